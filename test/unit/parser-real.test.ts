// real=/real6= lines: the original's reading for the lines it accepts, the fixed bugs
// (docs/ldirectord-behavior.md §6 items 9 and 11), and the lines it rejects but the documented
// syntax reads. § numbers in test names are of the same document.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseReal } from '../../src/parser/real.ts';

function read(text: string) {
  const r = parseReal(text);
  if (!r.ok) return { error: r.message };
  const { hostOffset: _h, portOffset: _p, ...value } = r.value;
  return { value, notes: (r.notes ?? []).map((n) => n.code) };
}

test('address forms: dotted quad, host name, [v6], range, port number or name, no port', () => {
  assert.deepEqual(read('10.0.0.2:80 gate').value, {
    host: '10.0.0.2',
    port: '80',
    forward: 'gate',
    weight: 1,
  });
  assert.deepEqual(read('web-1.example.com:http masq').value, {
    host: 'web-1.example.com',
    port: 'http',
    forward: 'masq',
    weight: 1,
  });
  assert.deepEqual(read('[2001:db8::2]:8080 ipip').value, {
    host: '[2001:db8::2]',
    port: '8080',
    forward: 'ipip',
    weight: 1,
  });
  assert.deepEqual(read('10.0.0.2->10.0.0.9:80 gate').value, {
    host: '10.0.0.2',
    hostEnd: '10.0.0.9',
    port: '80',
    forward: 'gate',
    weight: 1,
  });
  assert.deepEqual(read('10.0.0.2 gate').value, { host: '10.0.0.2', forward: 'gate', weight: 1 });
});

test('weight, request/receive with comma or space, thresholds', () => {
  assert.deepEqual(read('10.0.0.2:80 masq 5 "index.html", "Welcome" l:2 u:9').value, {
    host: '10.0.0.2',
    port: '80',
    forward: 'masq',
    weight: 5,
    request: '/index.html',
    receive: 'Welcome',
    lowerThreshold: 2,
    upperThreshold: 9,
  });
  assert.equal(read('10.0.0.2:80 masq "a" "b"').value?.receive, 'b');
  assert.deepEqual(read('10.0.0.2:80 masq 0').value?.weight, 0);
});

test('errors keep the original wording', () => {
  assert.equal(read('10.0.0.2:80').error, 'invalid address for real server (wrong format)');
  assert.equal(read('10.0.0.2:80 masq3').error, 'forward method must be gate, masq or ipip');
  assert.equal(read('10.0.0.2:80 gate 1.5').error, 'Invalid real server line, around ".5"');
  assert.equal(read('10.0.0.2:80 gate -1').error, 'Invalid real server line, around " -1"');
  assert.equal(read('10.0.0.3 :8080 gate').error, 'forward method must be gate, masq or ipip');
});

test('FIX (§6 item 9): a request starting with / keeps its receive and thresholds', () => {
  const r = read('10.0.0.2:80 masq 1 "/alive", "yes" l:1 u:5');
  assert.equal(r.value?.receive, 'yes');
  assert.equal(r.value?.lowerThreshold, 1);
  assert.equal(r.value?.upperThreshold, 5);
  assert.deepEqual(r.notes, ['real-request-receive-fixed']);
});

test('FIX 9: text the original ignores after such a request is reported, not an error', () => {
  const r = read('10.0.0.2:80 masq 1 "/alive", "yes" junk');
  assert.equal(r.value?.receive, 'yes');
  assert.deepEqual(r.notes, ['real-request-receive-fixed', 'real-trailing-text-ignored']);
});

test('FIX (§6 item 11): u: before l: keeps both thresholds', () => {
  const r = read('10.0.0.2:80 masq 3 u:50 l:10');
  assert.equal(r.value?.lowerThreshold, 10);
  assert.equal(r.value?.upperThreshold, 50);
  assert.deepEqual(r.notes, ['real-upper-threshold-fixed']);
});

test('lines the original reads oddly keep its reading, with a warning', () => {
  // The request and receive before a weight are skipped by the unanchored weight search.
  const r = read('10.0.0.2:80 masq "x" "y" 5');
  assert.equal(r.value?.weight, 5);
  assert.equal(r.value?.request, undefined);
  assert.deepEqual(r.notes, ['real-ambiguous']);
  const junk = read('10.0.0.2:80 gate foo 7');
  assert.equal(junk.value?.weight, 7);
  assert.deepEqual(junk.notes, ['real-ambiguous']);
});

test('the unanchored address pattern skips what it cannot match (host-with_underscore)', () => {
  const r = read('host-with_underscore:80 gate');
  assert.equal(r.value?.host, 'underscore');
  assert.deepEqual(r.notes, ['real-leading-junk']);
});

test('lines the original rejects but the documented syntax reads are accepted with a migration note', () => {
  const r = read('10.0.0.2:80 gate "status", "HTTP/1.1 200"');
  assert.equal(r.value?.receive, 'HTTP/1.1 200');
  assert.equal(r.value?.weight, 1);
  assert.deepEqual(r.notes, ['real-perl-rejects']);
  const q = read('10.0.0.2:80 masq 3 "l:5"');
  assert.equal(q.value?.lowerThreshold, 5);
  assert.deepEqual(q.notes, ['real-perl-rejects']);
});
