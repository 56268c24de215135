// The daemon's own stalls (README.md, "Running and watching it"; docs/compatibility.md). When the
// process does not run (SIGSTOP, a paused or migrating VM, swapping, a long garbage collection, a
// blocked event loop) time goes on for the reals but not for their checks, and when it runs again
// Node fires every overdue timer before it reads the sockets whose answers arrived in the meantime.
// A timer that fires more than STALL_MS late proves the daemon was not running from its due time
// until then; this records those spans, so a check's deadline can count only the time the daemon
// ran, and a failure that may be the daemon's doing can be told apart.
import type { Clock, TimerHandle } from './clock.ts';

/** A timer this late means the daemon was not running (normal lag stays far below). */
const STALL_MS = 500;
/** While checks are in flight the loop is looked at this often, so a stall shows even when
 * no other timer falls due during it. */
const SAMPLE_MS = 100;
/** Stalls remembered: a check asks only about its own lifetime. */
const KEPT = 32;

export class StallWatch {
  readonly #clock: Clock;
  readonly #onStall: ((ms: number) => void) | undefined;
  /** Disjoint spans [start, end, start, end, ...] in monotonic ms, oldest first. */
  #spans: number[] = [];
  #holders = 0;
  #sampler: TimerHandle | undefined;
  #samplerDue = 0;

  constructor(clock: Clock, onStall?: (ms: number) => void) {
    this.#clock = clock;
    this.#onStall = onStall;
  }

  /** Monotonic time, for `observe` and `stalledSince`. */
  now(): number {
    return this.#clock.monotonic();
  }

  /**
   * A timer due at `due` (monotonic) fires now: when it is late by more than STALL_MS, the
   * daemon was stalled from `due` until now. Returns the start of that stall, else undefined.
   */
  observe(due: number): number | undefined {
    const now = this.#clock.monotonic();
    if (now - due <= STALL_MS) return undefined;
    const spans = this.#spans;
    let start = due;
    let merged = false;
    // Spans are observed in time order, so only the latest ones can overlap a new one.
    while (spans.length > 0 && spans[spans.length - 1]! >= start) {
      start = Math.min(start, spans[spans.length - 2]!);
      spans.length -= 2;
      merged = true;
    }
    spans.push(start, now);
    if (spans.length > KEPT * 2) spans.splice(0, 2);
    if (!merged) this.#onStall?.(now - due);
    return start;
  }

  /** How long the daemon was stalled between `from` (monotonic) and now. */
  stalledSince(from: number): number {
    if (this.#sampler !== undefined) this.observe(this.#samplerDue);
    const spans = this.#spans;
    let total = 0;
    for (let i = spans.length - 2; i >= 0; i -= 2) {
      const end = spans[i + 1]!;
      if (end <= from) break;
      total += end - Math.max(spans[i]!, from);
    }
    return total;
  }

  /** A check starts: sample the loop until every check has ended. */
  hold(): void {
    if (this.#holders++ === 0) this.#sample();
  }

  release(): void {
    if (--this.#holders > 0) return;
    this.#holders = 0;
    if (this.#sampler !== undefined) this.#clock.clearTimeout(this.#sampler);
    this.#sampler = undefined;
  }

  #sample(): void {
    this.#samplerDue = this.#clock.monotonic() + SAMPLE_MS;
    this.#sampler = this.#clock.setTimeout(() => {
      this.observe(this.#samplerDue);
      this.#sample();
    }, SAMPLE_MS);
  }
}
