// When checks run: every check has a stable phase within its interval, so thousands of checks
// spread over the interval instead of firing in the same millisecond; and which interval, by the
// state of the reals it serves (failinterval, downinterval). Pure arithmetic.
import { type Pace, paceOf, type RealState } from './state.ts';

/** A stable offset in [0, intervalMs) derived from the check's key (FNV-1a, 32 bits). */
export function phaseOffset(key: string, intervalMs: number): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) {
    hash ^= key.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return Math.floor((hash / 0x1_0000_0000) * intervalMs);
}

/** The first slot `epoch + phase + k * interval` strictly after `after`. */
export function nextSlot(epoch: number, phase: number, intervalMs: number, after: number): number {
  const base = epoch + phase;
  if (after < base) return base;
  const k = Math.floor((after - base) / intervalMs) + 1;
  return base + k * intervalMs;
}

/**
 * When a check that started at `started` and finished at `finished` runs next: its next slot,
 * but never sooner than half an interval after it started (the first periodic check after the
 * immediate start-up check), and never while it is still running (a check longer than its
 * interval skips the slots it overran).
 */
export function nextRun(
  epoch: number,
  phase: number,
  intervalMs: number,
  started: number,
  finished: number,
): number {
  return nextSlot(epoch, phase, intervalMs, Math.max(finished, started + intervalMs / 2));
}

/** Timers shorter than this are not worth it (and a 0 would spin). */
export const MIN_INTERVAL_MS = 100;

/** A number of seconds from the config as timer milliseconds. */
export function intervalMs(seconds: number): number {
  return Math.max(MIN_INTERVAL_MS, Math.round(seconds * 1000));
}

/** The intervals of a virtual: checkinterval, failinterval, downinterval (seconds). */
export interface Intervals {
  checkinterval: number;
  failinterval: number;
  downinterval: number;
}

/** How long until a real at this pace is checked again. */
export function paceIntervalMs(pace: Pace, v: Intervals): number {
  switch (pace) {
    case 'steady':
      return intervalMs(v.checkinterval);
    case 'changing':
      return intervalMs(v.failinterval);
    case 'out':
      return intervalMs(v.downinterval);
  }
}

/**
 * The interval of a check shared by several reals: the shortest any of them asks for (each
 * is then checked at least as often as its own state wants). `fallbackMs` when none is left.
 */
export function sharedIntervalMs(
  members: Iterable<{ state: RealState; virtual: Intervals }>,
  fallbackMs: number,
): number {
  let shortest = Infinity;
  for (const m of members)
    shortest = Math.min(shortest, paceIntervalMs(paceOf(m.state), m.virtual));
  return shortest === Infinity ? fallbackMs : shortest;
}
