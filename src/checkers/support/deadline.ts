// The deadline race every checker runs in. The scheduler aborts the signal at the deadline;
// whatever the check is doing then (a TCP connect the kernel keeps trying, a server that
// drips one byte a second, a child that ignores SIGTERM) must not delay the answer, so the
// result is decided by whichever comes first, and `release` frees the socket or child at once.
import type { CheckResult, CheckTarget } from '../types.ts';
import { down, errorText, TIMEOUT } from './result.ts';

/**
 * Runs `work` against `signal`: resolves with work's result, `{ up: false, reason: 'timeout' }`
 * when the signal aborts first, or a down result when work throws. Never rejects. `release`
 * runs exactly once when the race is decided (whichever way) and must not throw.
 */
export async function runWithin(
  signal: AbortSignal,
  work: () => Promise<CheckResult>,
  release?: () => void,
): Promise<CheckResult> {
  if (signal.aborted) {
    release?.();
    return TIMEOUT;
  }
  let onAbort: () => void = () => {};
  const aborted = new Promise<CheckResult>((resolve) => {
    onAbort = () => resolve(TIMEOUT);
    signal.addEventListener('abort', onAbort, { once: true });
  });
  const working = Promise.resolve()
    .then(work)
    .catch((err: unknown) => (signal.aborted ? TIMEOUT : down(errorText(err))));
  try {
    return await Promise.race([working, aborted]);
  } finally {
    signal.removeEventListener('abort', onAbort);
    release?.();
  }
}

/** An error that reads as a timeout to the checkers (see TIMEOUT_CODES). */
export function timeoutError(what: string): Error {
  return Object.assign(new Error(`${what} timed out`), { code: 'ERR_CHECK_TIMEOUT' });
}

/**
 * A library's own timeout (ldapts, pg, oracledb): a backstop a little past the deadline, so the
 * scheduler's abort always decides (reason 'timeout') and the library cannot hold on longer.
 */
export function backstopMs(target: Pick<CheckTarget, 'timeoutMs'>): number {
  return target.timeoutMs + 250;
}
