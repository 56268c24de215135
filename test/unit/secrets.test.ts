// The masking rule for passwd= and secret= values: a secret is masked where it appears as a value,
// a whole word, not wherever its characters happen to occur. passwd="20" used to turn 127.20.1.30
// into 127.********.1.30 in every log line. Every place that masks (the log and status scrubber,
// check reasons, the deadline's reasons) follows the one rule.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { redact } from '../../src/checkers/support/result.ts';
import { MASK, maskSecrets, SecretScrubber } from '../../src/lib/secrets.ts';
import { cleanReason } from '../../src/monitor/deadline.ts';
import { target } from '../support/checkers.ts';

const kept = [
  'Added real server: 127.20.1.30:80 (10.20.0.1:80) (Weight set to 1)',
  'Real server down: 127.0.0.2:8020 (2001:db8::201:1) version 1.20-3 id x20 20x',
  'a20b, 20_ab, ab_20, 3.20.4-20beta',
];
const masked: Array<[string, string]> = [
  ['Unknown command "passwd=20"', `Unknown command "passwd=${MASK}"`],
  [
    "Access denied for user (using password '20')",
    `Access denied for user (using password '${MASK}')`,
  ],
  ['password authentication failed: got "20"', `password authentication failed: got "${MASK}"`],
  ['bad password 20.', `bad password ${MASK}.`],
  ['20 is wrong', `${MASK} is wrong`],
  ['login=x passwd=20,20;20', `login=x passwd=${MASK},${MASK};${MASK}`],
  ['\tpasswd=20\n', `\tpasswd=${MASK}\n`],
  // `:` separates words, so a user:password pair is masked, and so is a port or an IPv6 group
  // that equals the password: the price of never missing one.
  ['ftp://monitor:20@127.0.0.2/', `ftp://monitor:${MASK}@127.0.0.2/`],
  ['127.0.0.2:20 (2001:db8::20:1)', `127.0.0.2:${MASK} (2001:db8::${MASK}:1)`],
];

test('a secret is masked as a whole word, not inside an address, a number or a word', () => {
  for (const text of kept) assert.equal(maskSecrets(text, ['20']), text);
  for (const [text, want] of masked) assert.equal(maskSecrets(text, ['20']), want, text);
});

test('every masking place follows the rule', () => {
  const scrubber = new SecretScrubber();
  scrubber.setSecrets(['20']);
  const t = target({ passwd: '20', secret: 'Radius-20' });
  for (const text of kept) {
    assert.equal(scrubber.scrub(text), text, 'log lines and the status file');
    assert.equal(cleanReason(text, t), text, 'reasons after the deadline');
    assert.equal(redact({ up: false, reason: text }, t).reason, text, 'checkers');
  }
  for (const [text, want] of masked) {
    assert.equal(scrubber.scrub(text), want);
    assert.equal(cleanReason(text, t), want);
    assert.equal(redact({ up: false, reason: text }, t).reason, want);
  }
  const server = 'Access-Reject for secret Radius-20: Radius-20!';
  assert.equal(cleanReason(server, t), `Access-Reject for secret ${MASK}: ${MASK}!`);
  assert.equal(redact({ up: false, reason: server }, t).reason, cleanReason(server, t));
});

test('secrets with punctuation, quotes and backslashes; the longest first', () => {
  const secrets = ['My-S3cret-Pass', 'pa"ss\\word', 'S3cret'];
  assert.equal(
    maskSecrets('got "My-S3cret-Pass" then pa"ss\\word and S3cret', secrets),
    `got "${MASK}" then ${MASK} and ${MASK}`,
  );
  // A one-character value is never masked: it would hide ordinary text, and hides nothing.
  assert.equal(maskSecrets('x marks the spot', ['x']), 'x marks the spot');
  assert.equal(maskSecrets('nothing here', []), 'nothing here');
});
