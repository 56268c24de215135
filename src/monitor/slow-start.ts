// slowstart's timing (docs/extensions.md): a real that came back ramps up to its weight in
// steps (src/monitor/state.ts says which weight when); at each step a timer asks for the real's
// IPVS entry to be brought in line, and the planner gives it the weight of that moment.
import type { Clock } from './clock.ts';
import type { Member } from './membership.ts';
import { nextSlowStartStep, slowStartWeight } from './state.ts';

export class SlowStarts {
  readonly #clock: Clock;
  readonly #step: (m: Member) => void;
  /** The members ramping up, for stop() to cancel their timers. */
  readonly #ramping = new Set<Member>();
  #stopped = false;

  /** `step` is called at each step of a member's weight (the last one included). */
  constructor(clock: Clock, step: (m: Member) => void) {
    this.#clock = clock;
    this.#step = step;
  }

  /** The member came back: its ramp starts now (again, if it was ramping). */
  start(m: Member): void {
    this.end(m);
    if (this.#stopped) return;
    m.slowStart = { since: this.#clock.monotonic(), timer: undefined };
    this.#ramping.add(m);
    this.#arm(m);
  }

  /** The member went down, or its ramp is over: no more steps. */
  end(m: Member): void {
    const ramp = m.slowStart;
    if (!ramp) return;
    if (ramp.timer !== undefined) this.#clock.clearTimeout(ramp.timer);
    m.slowStart = undefined;
    this.#ramping.delete(m);
  }

  /** Its weight now: the step of its ramp towards `full`, else `full`. */
  weight(m: Member, full: number): number {
    const ramp = m.slowStart;
    if (!ramp) return full;
    const elapsed = this.#clock.monotonic() - ramp.since;
    return slowStartWeight(full, elapsed, m.virtual.slowstart * 1000);
  }

  stop(): void {
    this.#stopped = true;
    for (const m of [...this.#ramping]) this.end(m);
  }

  #arm(m: Member): void {
    const ramp = m.slowStart;
    if (!ramp) return;
    const elapsed = this.#clock.monotonic() - ramp.since;
    // A reload may have changed slowstart: the ramp follows the setting in force.
    const next = nextSlowStartStep(elapsed, m.virtual.slowstart * 1000);
    if (next === undefined || !m.live) {
      this.end(m);
      return;
    }
    ramp.timer = this.#clock.setTimeout(() => {
      ramp.timer = undefined;
      if (m.slowStart !== ramp) return;
      this.#step(m);
      this.#arm(m);
    }, next - elapsed);
  }
}
