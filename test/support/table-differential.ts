// Two daemons (ldirectord-ts and the Perl original), each with its own fake ipvsadm table, on
// the same config against the same real servers: their tables must settle to the same listing.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { FAKE_IPVSADM } from './ldts.ts';

const execFileAsync = promisify(execFile);

export interface SettleOptions {
  timeoutMs?: number;
  quietMs?: number;
  /** The settled table must match this. */
  until?: RegExp;
}

/**
 * The fake's table at `state` as `ipvsadm -S -n` and `-L -n --thresholds` print it. Read
 * without blocking the event loop: the real servers of these tests answer from this process.
 */
export async function fakeTable(state: string): Promise<string> {
  const env = { ...process.env, FAKE_IPVSADM_STATE: state, FAKE_IPVSADM_LOG: '' };
  const [save, thresholds] = await Promise.all([
    execFileAsync(FAKE_IPVSADM, ['-S', '-n'], { env, encoding: 'utf8' }),
    execFileAsync(FAKE_IPVSADM, ['-L', '-n', '--thresholds'], { env, encoding: 'utf8' }),
  ]);
  return `${save.stdout}${thresholds.stdout}`;
}

/**
 * Waits until both tables are equal and unchanged for `quietMs` (and, when given, match
 * `until`: a change both daemons take a while to make); returns the table. Fails with both
 * listings when they do not agree within timeoutMs.
 */
export async function settledAlike(
  step: string,
  states: { ours: string; perl: string },
  { timeoutMs = 90_000, quietMs = 2000, until }: SettleOptions = {},
): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  let since = Date.now();
  for (;;) {
    const [a, b] = await Promise.all([fakeTable(states.ours), fakeTable(states.perl)]);
    const now = a === b && (until === undefined || until.test(a)) ? a : '';
    if (now !== last) {
      last = now;
      since = Date.now();
    } else if (now !== '' && Date.now() - since >= quietMs) {
      return now;
    }
    if (Date.now() > deadline) {
      assert.equal(a, b, `${step}: the tables did not agree within ${timeoutMs} ms`);
      assert.match(a, until!, `${step}: the tables agree but never reached the change`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
}
