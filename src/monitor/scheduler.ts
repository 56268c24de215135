// When each check job runs: at once when it is new (or gained members), then at its phase in
// each interval (src/monitor/schedule.ts), one run at a time per job and at most `concurrency`
// runs at once, queued in arrival order. A job whose time came while the daemon was stalled
// (src/monitor/stall.ts) runs after the stall with its spacing kept. What a run does belongs to
// the caller: `check` runs it, `complete` takes what it found.
import { errorMessage } from '../lib/error-message.ts';
import type { Logger } from '../log/logger.ts';
import type { Clock, TimerHandle } from './clock.ts';
import { Semaphore } from './concurrency.ts';
import { nextRun, phaseOffset } from './schedule.ts';
import type { StallWatch } from './stall.ts';

/** A job as the scheduler keeps it. */
export interface ScheduledJob {
  readonly key: string;
  readonly intervalMs: number;
  /** Its stable offset within the interval. */
  readonly phase: number;
  timer: TimerHandle | undefined;
  /** When its timer is due (monotonic ms). */
  dueAt: number;
  queued: boolean;
  /** Aborts the run in flight. */
  controller: AbortController | undefined;
  alive: boolean;
  /** Until its first run after start, reload or new members is done; then dropped. */
  first: PromiseWithResolvers<void> | undefined;
}

const MIN_INTERVAL_MS = 100;

/** A new job with this key, run every `checkinterval` seconds; not yet started. */
export function scheduledJob(key: string, checkinterval: number): ScheduledJob {
  const intervalMs = Math.max(MIN_INTERVAL_MS, Math.round(checkinterval * 1000));
  return {
    key,
    intervalMs,
    phase: phaseOffset(key, intervalMs),
    timer: undefined,
    dueAt: 0,
    queued: false,
    controller: undefined,
    alive: true,
    first: Promise.withResolvers<void>(),
  };
}

export interface SchedulerOptions<J extends ScheduledJob, O> {
  clock: Clock;
  /** Runs at once at most. */
  concurrency: number;
  stalls: StallWatch;
  logger: Logger;
  /** One run of a job; `controller` aborts it. */
  check(job: J, controller: AbortController): Promise<O>;
  /** What a run found, for a job still alive. */
  complete(job: J, outcome: O): void;
}

export class Scheduler<J extends ScheduledJob, O> {
  readonly #options: SchedulerOptions<J, O>;
  readonly #slots: Semaphore;
  /** The origin of every job's slots (the monitor's start). */
  #epoch = 0;
  #stopped = false;

  constructor(options: SchedulerOptions<J, O>) {
    this.#options = options;
    this.#slots = new Semaphore(options.concurrency);
  }

  /** Slots count from now. */
  begin(): void {
    this.#epoch = this.#options.clock.now();
  }

  get load(): { running: number; queued: number; concurrency: number } {
    return {
      running: this.#slots.active,
      queued: this.#slots.queued,
      concurrency: this.#slots.limit,
    };
  }

  /** The job's time has come: queue it for a slot unless it is already queued or running. */
  due(job: J): void {
    job.timer = undefined;
    if (!job.alive || this.#stopped) {
      this.#firstDone(job);
      return;
    }
    if (job.queued || job.controller) return;
    job.queued = true;
    this.#slots.acquire(() => {
      job.queued = false;
      if (!job.alive || this.#stopped) {
        this.#slots.release();
        this.#firstDone(job);
        return;
      }
      void this.#run(job);
    });
  }

  /** Run a job now (it has new members) instead of at its next slot; `first` waits for it. */
  runSoon(job: J): void {
    job.first = Promise.withResolvers<void>();
    if (job.timer !== undefined) this.#options.clock.clearTimeout(job.timer);
    this.due(job);
  }

  /** The job runs no more: its timer cancelled, its run in flight aborted. */
  kill(job: J): void {
    job.alive = false;
    if (job.timer !== undefined) this.#options.clock.clearTimeout(job.timer);
    job.timer = undefined;
    job.controller?.abort(new DOMException('check cancelled', 'AbortError'));
    this.#firstDone(job);
  }

  /** No more runs: these jobs killed, the queue forgotten. */
  stop(jobs: Iterable<J>): void {
    this.#stopped = true;
    for (const job of jobs) this.kill(job);
    this.#slots.clear();
  }

  /** The job's first run is done (or will never come): whoever waits for it goes on. */
  #firstDone(job: J): void {
    job.first?.resolve();
    job.first = undefined;
  }

  async #run(job: J): Promise<void> {
    const { clock, logger } = this.#options;
    const controller = new AbortController();
    job.controller = controller;
    const started = clock.now();
    let outcome: O | undefined;
    let checked = false;
    try {
      outcome = await this.#options.check(job, controller);
      checked = true;
    } catch (error) {
      logger.error(`Check failed unexpectedly: ${errorMessage(error)}`);
    } finally {
      job.controller = undefined;
      this.#slots.release();
    }
    if (!job.alive || this.#stopped) return;
    try {
      if (checked) this.#options.complete(job, outcome as O);
    } catch (error) {
      logger.error(`Applying a check result failed: ${errorMessage(error)}`);
    }
    this.#firstDone(job);
    const now = clock.now();
    this.#arm(job, nextRun(this.#epoch, job.phase, job.intervalMs, started, now) - now);
  }

  #arm(job: J, delayMs: number): void {
    job.dueAt = this.#options.stalls.now() + delayMs;
    job.timer = this.#options.clock.setTimeout(() => this.#fire(job), delayMs);
  }

  /**
   * The job's timer fired. When its time came while the daemon was stalled, it runs as long
   * after the stall as it was due after the stall began (at most an interval): the checks
   * that fell due in a stall keep their order and spacing instead of all starting at once.
   */
  #fire(job: J): void {
    job.timer = undefined;
    const stallStart = this.#options.stalls.observe(job.dueAt);
    if (stallStart !== undefined && job.alive && !this.#stopped) {
      const delay = Math.min(job.dueAt - stallStart, job.intervalMs);
      if (delay >= 1) {
        this.#arm(job, delay);
        return;
      }
    }
    this.due(job);
  }
}
