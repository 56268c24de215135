// src/lib/inet.ts: the readers that differ in what they accept, and the two bracket rules.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  canonicalIpv6,
  familyOf,
  insideBrackets,
  ipv6Groups,
  ipv6ToString,
  isMulticast,
  parseIpv6,
  stripBrackets,
} from '../../src/lib/inet.ts';

test('parseIpv6 is inet_pton (no zone); ipv6Groups reads what isIPv6 accepts, zone ignored', () => {
  assert.equal(parseIpv6('fe80::1%eth0'), undefined);
  assert.deepEqual(ipv6Groups('fe80::1%eth0'), [0xfe80, 0, 0, 0, 0, 0, 0, 1]);
  assert.deepEqual(ipv6Groups('::ffff:192.0.2.1'), [0, 0, 0, 0, 0, 0xffff, 0xc000, 0x0201]);
  assert.equal(ipv6ToString(ipv6Groups('FE80:0::1%eth0')), 'fe80::1');
  assert.throws(() => ipv6Groups('10.0.0.1'), /not an IPv6 address/);
  assert.equal(canonicalIpv6('2001:DB8:0:0:0:0:0:1'), '2001:db8::1');
  assert.equal(canonicalIpv6('example'), undefined);
});

test('stripBrackets takes off the brackets of [v6]; insideBrackets is the original lookup rule', () => {
  assert.equal(stripBrackets('[2001:db8::1]'), '2001:db8::1');
  assert.equal(stripBrackets('x[2001:db8::1]'), 'x[2001:db8::1]');
  assert.equal(insideBrackets('x[2001:db8::1]'), '2001:db8::1');
  assert.equal(insideBrackets('[a]b]'), 'a]b');
  assert.equal(insideBrackets('host'), 'host');
});

test('family and multicast of address text', () => {
  assert.equal(familyOf('10.0.0.1'), 4);
  assert.equal(familyOf('::1'), 6);
  assert.equal(isMulticast('239.1.1.1'), true);
  assert.equal(isMulticast('10.1.1.1'), false);
  assert.equal(isMulticast('ff02::1'), true);
  assert.equal(isMulticast('fe80::1%eth0'), false);
});
