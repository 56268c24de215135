// One check under a hard deadline. At the deadline the signal is aborted and the check counts
// as a failure with reason "timeout" whether or not the checker ever settles; a checker that
// throws counts as a failure with its message. Nothing a checker does can reach the caller
// as an exception or arrive after the result. The deadline counts only time in which the
// daemon ran (src/monitor/stall.ts): a stall of the daemon is added to it.
import type { Checker, CheckResult, CheckTarget } from '../checkers/types.ts';
import { errorMessage } from '../lib/error-message.ts';
import { maskSecrets } from '../lib/secrets.ts';
import type { Clock, TimerHandle } from './clock.ts';
import { StallWatch } from './stall.ts';

export interface TimedResult extends CheckResult {
  timedOut: boolean;
  durationMs: number;
  /** How long the daemon itself was stalled while the check ran (0 almost always). */
  stalledMs: number;
}

const MAX_REASON = 500;

/** One line, bounded, without the target's secrets. */
export function cleanReason(reason: string, target: CheckTarget): string {
  const text = maskSecrets(reason, [target.passwd, target.secret]);
  return text.length > MAX_REASON ? `${text.slice(0, MAX_REASON)}...` : text;
}

function normalise(value: unknown, target: CheckTarget): CheckResult {
  if (typeof value !== 'object' || value === null || typeof (value as CheckResult).up !== 'boolean')
    return { up: false, reason: 'the checker returned no result' };
  const { up, reason } = value as CheckResult;
  return { up, reason: cleanReason(typeof reason === 'string' ? reason : '', target) };
}

export function runWithDeadline(
  checker: Checker,
  target: CheckTarget,
  deadlineMs: number,
  clock: Clock,
  controller: AbortController = new AbortController(),
  stalls: StallWatch = new StallWatch(clock),
): Promise<TimedResult> {
  const started = clock.now();
  const startedMono = stalls.now();
  stalls.hold();
  return new Promise((resolve) => {
    let settled = false;
    let judging: NodeJS.Immediate | undefined;
    const finish = (result: CheckResult, timedOut: boolean): void => {
      if (settled) return;
      settled = true;
      clock.clearTimeout(timer);
      if (judging) clearImmediate(judging);
      controller.signal.removeEventListener('abort', onAbort);
      const stalledMs = stalls.stalledSince(startedMono);
      stalls.release();
      resolve({ ...result, timedOut, durationMs: clock.now() - started, stalledMs });
    };
    const arm = (ms: number): TimerHandle => {
      const due = stalls.now() + ms;
      return clock.setTimeout(() => expire(due), ms);
    };
    const expire = (due: number): void => {
      stalls.observe(due);
      const stalled = stalls.stalledSince(startedMono);
      const owed = deadlineMs - (stalls.now() - startedMono - stalled);
      // The daemon did not run for part of the deadline: the check gets that time back.
      if (stalled > 0 && owed > 0) {
        timer = arm(owed);
        return;
      }
      // Node fires overdue timers before it reads sockets: let an answer that has already
      // arrived be read before the verdict.
      judging = setImmediate(() => {
        judging = undefined;
        finish({ up: false, reason: 'timeout' }, true);
        controller.abort(new DOMException('check deadline passed', 'TimeoutError'));
      });
    };
    let timer = arm(deadlineMs);
    // Aborted from outside (stop, reload): settle now so no timer outlives the check.
    const onAbort = (): void => finish({ up: false, reason: 'aborted' }, false);
    if (controller.signal.aborted) onAbort();
    else controller.signal.addEventListener('abort', onAbort, { once: true });
    let pending: Promise<CheckResult>;
    try {
      pending = Promise.resolve(checker(target, controller.signal));
    } catch (error) {
      pending = Promise.reject(error);
    }
    pending.then(
      (value) => finish(normalise(value, target), false),
      (error: unknown) => {
        finish({ up: false, reason: cleanReason(`error: ${errorMessage(error)}`, target) }, false);
      },
    );
  });
}
