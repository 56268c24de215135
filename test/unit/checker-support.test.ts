// The pieces every checker relies on: the deadline race, failure texts, password redaction,
// and Perl-style line splitting.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { runWithin } from '../../src/checkers/support/deadline.ts';
import { errorText, redact } from '../../src/checkers/support/result.ts';
import { lineSplitter } from '../../src/checkers/support/tcp.ts';
import { target } from '../support/checkers.ts';

test('runWithin: the work result, release called once', async () => {
  let released = 0;
  const r = await runWithin(
    AbortSignal.timeout(1000),
    async () => ({ up: true, reason: 'ok' }),
    () => released++,
  );
  assert.deepEqual(r, { up: true, reason: 'ok' });
  assert.equal(released, 1);
});

test('runWithin: an abort answers timeout at once, however long the work takes', async () => {
  let released = 0;
  const started = performance.now();
  const r = await runWithin(
    AbortSignal.timeout(50),
    () => new Promise(() => {}),
    () => released++,
  );
  assert.deepEqual(r, { up: false, reason: 'timeout' });
  assert.ok(performance.now() - started < 500);
  assert.equal(released, 1);
});

test('runWithin: a throw, even a synchronous one, is down with its text', async () => {
  const r = await runWithin(AbortSignal.timeout(1000), () => {
    throw Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' });
  });
  assert.deepEqual(r, { up: false, reason: 'Connection refused' });
});

test('runWithin: an already aborted signal releases and answers timeout without working', async () => {
  const controller = new AbortController();
  controller.abort();
  let worked = false;
  let released = false;
  const r = await runWithin(
    controller.signal,
    async () => {
      worked = true;
      return { up: true, reason: '' };
    },
    () => {
      released = true;
    },
  );
  assert.deepEqual([r.reason, worked, released], ['timeout', false, true]);
});

test('errorText: strerror words for errno codes, the first line of other messages', () => {
  assert.equal(
    errorText(Object.assign(new Error('x'), { code: 'EHOSTUNREACH' })),
    'No route to host',
  );
  assert.equal(errorText(new Error('first line\nsecond')), 'first line');
  assert.equal(errorText('plain'), 'plain');
});

test('redact: the password and the secret never appear in a reason', () => {
  const t = target({ passwd: 's3cret', secret: 'radius-key' });
  assert.deepEqual(redact({ up: false, reason: 'bad s3cret and radius-key' }, t), {
    up: false,
    reason: 'bad ******** and ********',
  });
  const clean = { up: true, reason: 'fine' };
  assert.equal(redact(clean, t), clean);
});

test('lineSplitter: lines keep their newline, across chunks; a last partial line comes at the end', () => {
  const lines: string[] = [];
  const split = lineSplitter((line) => {
    lines.push(line);
    return false;
  });
  split.push(Buffer.from('one\ntw'));
  split.push(Buffer.from('o\nthr\xe9e', 'latin1'));
  split.end();
  assert.deepEqual(lines, ['one\n', 'two\n', 'thr\xe9e']);
});

test('lineSplitter: stops delivering once a line is accepted', () => {
  const lines: string[] = [];
  const split = lineSplitter((line) => {
    lines.push(line);
    return line.startsWith('OK');
  });
  split.push(Buffer.from('a\nOK\nb\n'));
  split.end();
  assert.deepEqual(lines, ['a\n', 'OK\n']);
});
