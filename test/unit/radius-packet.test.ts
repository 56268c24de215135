// The RADIUS codec against the worked example of RFC 2865 §7.1 (secret "xyzzy5461").
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { test } from 'node:test';
import {
  classifyReply,
  encodeAccessRequest,
  hidePassword,
} from '../../src/checkers/radius-packet.ts';

const SECRET = 'xyzzy5461';
const REQUEST_AUTHENTICATOR = Buffer.from('0f403f9473978057bd83d5cb98f4227a', 'hex');
const ACCEPT = Buffer.from(
  '02000026' + '86fe220e7624ba2a1005f6bf9b55e0b2' + '0606000000010f06000000000e06c0a80103',
  'hex',
);

test('User-Password is hidden as in RFC 2865 §7.1', () => {
  const hidden = hidePassword(
    Buffer.from('arctangent'),
    Buffer.from(SECRET),
    REQUEST_AUTHENTICATOR,
  );
  assert.equal(hidden.toString('hex'), '0dbe708d93d413ce3196e43f782a0aee');
});

test('a password longer than 16 bytes takes two blocks chained on the first', () => {
  const secret = Buffer.from(SECRET);
  const hidden = hidePassword(Buffer.from('a'.repeat(20)), secret, REQUEST_AUTHENTICATOR);
  assert.equal(hidden.length, 32);
  const first = hidePassword(Buffer.from('a'.repeat(16)), secret, REQUEST_AUTHENTICATOR);
  assert.deepEqual(hidden.subarray(0, 16), first);
});

test('the RFC example Access-Accept verifies against its request', () => {
  const request = { identifier: 0, authenticator: REQUEST_AUTHENTICATOR, secret: SECRET };
  assert.deepEqual(classifyReply(ACCEPT, request), { code: 2 });
  assert.equal(classifyReply(ACCEPT, { ...request, secret: 'other' }), 'forged');
  assert.equal(classifyReply(ACCEPT, { ...request, identifier: 1 }), 'foreign');
  const tampered = Buffer.from(ACCEPT);
  tampered[tampered.length - 1] = 4;
  assert.equal(classifyReply(tampered, request), 'forged');
  assert.equal(classifyReply(ACCEPT.subarray(0, 19), request), 'foreign');
});

test('an Access-Request carries the RFC example attributes and a valid Message-Authenticator', () => {
  const packet = encodeAccessRequest({
    identifier: 0,
    authenticator: REQUEST_AUTHENTICATOR,
    userName: 'nemo',
    password: 'arctangent',
    secret: SECRET,
    nasAddress: '192.168.1.16',
  });
  assert.equal(packet.readUInt8(0), 1);
  assert.equal(packet.readUInt16BE(2), packet.length);
  // The RFC's packet up to NAS-IP-Address (it has no Message-Authenticator, and a NAS-Port).
  const rfc =
    '010000380f403f9473978057bd83d5cb98f4227a01066e656d6f02120dbe708d93d413ce3196e43f782a0aee0406c0a80110';
  assert.equal(packet.subarray(4, rfc.length / 2).toString('hex'), rfc.slice(8));
  // Message-Authenticator (80, length 18) last: HMAC-MD5 of the packet with itself zeroed.
  const at = packet.length - 18;
  assert.deepEqual([packet[at], packet[at + 1]], [80, 18]);
  const zeroed = Buffer.from(packet);
  zeroed.fill(0, at + 2);
  const hmac = createHmac('md5', SECRET).update(zeroed).digest();
  assert.deepEqual(packet.subarray(at + 2), hmac);
});

test('NAS-IPv6-Address for an IPv6 source', () => {
  const packet = encodeAccessRequest({
    identifier: 7,
    authenticator: REQUEST_AUTHENTICATOR,
    userName: 'u',
    password: 'p',
    secret: SECRET,
    nasAddress: '2001:db8::1',
  });
  const at = packet.indexOf(Buffer.from([95, 18]));
  assert.ok(at > 20);
  assert.equal(
    packet.subarray(at + 2, at + 18).toString('hex'),
    '20010db8000000000000000000000001',
  );
});
