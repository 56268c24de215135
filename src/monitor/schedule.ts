// When checks run: every check has a stable phase within its interval, so thousands of checks
// spread over the interval instead of firing in the same millisecond. Pure arithmetic.

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
