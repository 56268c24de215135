// The real-server state machine of the original (docs/ldirectord-behavior.md §4.5: service_set,
// _service_up, _service_down), per (virtual, real), and the connect counter of checktype=N
// (§4.3 item 7). Two extensions (docs/extensions.md), both inert at their defaults: risecount
// (passes needed before a real that is out goes back in) and slowstart (the weight of a real
// that came back, as time goes on). Pure: a state and a verdict (or a time) in, the next state
// and what to log out.
import type { CheckKind, CheckMode } from './target.ts';

export interface RealState {
  up: boolean;
  /** Consecutive failures (the original's failcount). */
  failcount: number;
  /** Consecutive passes while out, towards risecount. */
  rise: number;
}

export interface Verdict {
  up: boolean;
  /** A forced verdict (maintenance) skips the soft-failure count. */
  force?: boolean;
  /**
   * The real's first check since it appeared (start-up, or new in a reload): it decides at
   * once, whatever risecount says, as the original's first check does.
   */
  first?: boolean;
}

export type StateNote =
  | { kind: 'reset' }
  | { kind: 'soft-failure'; failcount: number; failurecount: number }
  /** A pass of a real that is out, short of risecount. */
  | { kind: 'rising'; rise: number; risecount: number }
  /** A failure ended a run of passes short of risecount. */
  | { kind: 'rise-reset'; rise: number; risecount: number };

export interface StateStep {
  state: RealState;
  /** Set only when the real changes state. */
  transition?: 'up' | 'down';
  notes: StateNote[];
}

export function applyVerdict(
  state: RealState,
  verdict: Verdict,
  failurecount: number,
  risecount = 1,
): StateStep {
  const notes: StateNote[] = [];
  if (verdict.up) {
    if (!state.up && !verdict.first && state.rise + 1 < risecount) {
      const rise = state.rise + 1;
      notes.push({ kind: 'rising', rise, risecount });
      return { state: { ...state, rise }, notes };
    }
    // _service_up: any failure since the last success is announced as reset, even the
    // failures of a real that went down, as the original does.
    if (state.failcount > 0) notes.push({ kind: 'reset' });
    const next = { up: true, failcount: 0, rise: 0 };
    return state.up ? { state: next, notes } : { state: next, transition: 'up', notes };
  }
  // _service_down: an unforced failure of a real already down changes nothing (but ends a
  // run of passes towards risecount).
  if (!state.up && !verdict.force) {
    if (state.rise === 0) return { state, notes };
    notes.push({ kind: 'rise-reset', rise: state.rise, risecount });
    return { state: { ...state, rise: 0 }, notes };
  }
  const failcount = state.failcount + 1;
  if (!verdict.force && failcount < failurecount) {
    notes.push({ kind: 'soft-failure', failcount, failurecount });
    return { state: { up: true, failcount, rise: 0 }, notes };
  }
  const next = { up: false, failcount, rise: 0 };
  return state.up ? { state: next, transition: 'down', notes } : { state: next, notes };
}

/**
 * Where a real stands, for how soon it is checked again: `steady` while up with no failure
 * counted, `changing` while failing but not yet out or passing but not yet back in, `out`
 * while down (maintenance included).
 */
export type Pace = 'steady' | 'changing' | 'out';

export function paceOf(state: RealState): Pace {
  if (state.up) return state.failcount > 0 ? 'changing' : 'steady';
  return state.rise > 0 ? 'changing' : 'out';
}

/**
 * slowstart: a real that came back goes in at a fifth of its weight, then two, three and four
 * fifths, each for a quarter of the slow start, and has its full weight at its end. Never 0
 * for a weight above 0 (a weight of 0 takes no new connections at all).
 */
export const SLOW_START_STEPS = 4;

/** The weight of a real `elapsedMs` after it came back, with a slow start of `slowstartMs`. */
export function slowStartWeight(full: number, elapsedMs: number, slowstartMs: number): number {
  if (slowstartMs <= 0 || elapsedMs >= slowstartMs || full <= 0) return full;
  const step = Math.floor((Math.max(0, elapsedMs) * SLOW_START_STEPS) / slowstartMs);
  return Math.max(1, Math.ceil((full * (step + 1)) / (SLOW_START_STEPS + 1)));
}

/**
 * When (ms after the real came back) its slow-start weight next changes, after `elapsedMs`;
 * undefined once it has its full weight.
 */
export function nextSlowStartStep(elapsedMs: number, slowstartMs: number): number | undefined {
  if (slowstartMs <= 0 || elapsedMs >= slowstartMs) return undefined;
  const step = Math.floor((Math.max(0, elapsedMs) * SLOW_START_STEPS) / slowstartMs);
  return Math.ceil(((step + 1) * slowstartMs) / SLOW_START_STEPS);
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
