// The real-server state machine of the original (docs/ldirectord-behavior.md §4.5: service_set,
// _service_up, _service_down), per (virtual, real), and the connect counter of checktype=N
// (§4.3 item 7). Pure: a state and a verdict in, the next state and what to log out.
import type { CheckKind, CheckMode } from './target.ts';

export interface RealState {
  up: boolean;
  /** Consecutive failures (the original's failcount). */
  failcount: number;
}

export interface Verdict {
  up: boolean;
  /** A forced verdict (maintenance) skips the soft-failure count. */
  force?: boolean;
}

export type StateNote =
  { kind: 'reset' } | { kind: 'soft-failure'; failcount: number; failurecount: number };

export interface StateStep {
  state: RealState;
  /** Set only when the real changes state. */
  transition?: 'up' | 'down';
  notes: StateNote[];
}

export function applyVerdict(state: RealState, verdict: Verdict, failurecount: number): StateStep {
  const notes: StateNote[] = [];
  if (verdict.up) {
    // _service_up: any failure since the last success is announced as reset, even the
    // failures of a real that went down, as the original does.
    if (state.failcount > 0) notes.push({ kind: 'reset' });
    const next = { up: true, failcount: 0 };
    return state.up ? { state: next, notes } : { state: next, transition: 'up', notes };
  }
  // _service_down: an unforced failure of a real already down changes nothing.
  if (!state.up && !verdict.force) return { state, notes };
  const failcount = state.failcount + 1;
  if (!verdict.force && failcount < failurecount) {
    notes.push({ kind: 'soft-failure', failcount, failurecount });
    return { state: { up: true, failcount }, notes };
  }
  const next = { up: false, failcount };
  return state.up ? { state: next, transition: 'down', notes } : { state: next, notes };
}

/** The original's initial connect counter: at least N, so the first check negotiates. */
export const COMBINED_START = 999999;

/** Which check this pass runs for a mode, given the connect counter of checktype=N. */
export function kindForPass(mode: CheckMode, counter: number, combinedCount: number): CheckKind {
  switch (mode) {
    case 'combined':
      return counter >= combinedCount ? 'negotiate' : 'connect';
    case 'off':
      throw new Error('checktype=off is never checked');
    default:
      return mode;
  }
}

/**
 * The connect counter after a pass of checktype=N: a successful negotiate resets it, each
 * successful connect counts one, a failed connect forces a negotiate next time, a failed
 * negotiate leaves it (so the next pass negotiates again).
 */
export function nextCombinedCounter(counter: number, kind: CheckKind, up: boolean): number {
  if (kind === 'negotiate') return up ? 0 : counter;
  return up ? counter + 1 : COMBINED_START;
}
