// Keeps the kernel's IPVS table following the monitor's states, through the planner and a
// backend; never runs ipvsadm itself. Transitions within a short window become one `entries`
// plan and one apply, so a mass change is one ipvsadm batch. Commands that fail are kept
// pending and retried (with backoff) until the table converges. All applies run one at a time.
// The monitor gives it a view of the desired state (config and states) and hears of each
// command that took effect; a planned command names the reals it serves, so a failure is
// retried for exactly those.
import type { Config, RealServer, VirtualService } from '../config/model.ts';
import { tookEffect } from '../ipvs/backend.ts';
import type { IpvsTable } from '../ipvs/model.ts';
import type { IpvsBackend, PlannedCommand, PlanScope, RealPair } from '../ipvs/types.ts';
import { errorMessage } from '../lib/error-message.ts';
import type { Logger } from '../log/logger.ts';
import type { Clock, TimerHandle } from './clock.ts';
import type { Planner } from './types.ts';

/** What the table should hold: the config in force and the monitor's state of each real. */
export interface DesiredState {
  config(): Config;
  isUp(virtual: VirtualService, real: RealServer): boolean;
}

export interface IpvsSyncOptions {
  backend: IpvsBackend;
  planner: Planner;
  clock: Clock;
  logger: Logger;
  desired: DesiredState;
  /** Told of each command that took effect, with the kind of plan it came in. */
  applied(command: PlannedCommand, scope: PlanScope['kind']): void;
  coalesceMs: number;
  retryInitialMs: number;
  retryMaxMs: number;
}

type FullScope = Extract<PlanScope, { kind: 'start' } | { kind: 'reload' }>;

/** A set of (virtual, real) pairs, by identity of both. */
class PairSet {
  readonly #byVirtual = new Map<VirtualService, Set<RealServer>>();

  add({ virtual, real }: RealPair): void {
    let reals = this.#byVirtual.get(virtual);
    if (!reals) this.#byVirtual.set(virtual, (reals = new Set()));
    reals.add(real);
  }

  has(virtual: VirtualService, real: RealServer): boolean {
    return this.#byVirtual.get(virtual)?.has(real) ?? false;
  }

  get empty(): boolean {
    return this.#byVirtual.size === 0;
  }

  clear(): void {
    this.#byVirtual.clear();
  }

  *[Symbol.iterator](): IterableIterator<RealPair> {
    for (const [virtual, reals] of this.#byVirtual)
      for (const real of reals) yield { virtual, real };
  }
}

export class IpvsSync {
  #options: IpvsSyncOptions;
  #table: IpvsTable = { services: [] };
  #tableStale = false;
  /** Reals that changed state since the last plan. */
  #dirty = new PairSet();
  /** Reals whose commands failed, for the next retry. */
  #pending = new PairSet();
  #pendingFull: FullScope | undefined;
  #chain: Promise<void> = Promise.resolve();
  #windowTimer: TimerHandle | undefined;
  #retryTimer: TimerHandle | undefined;
  #retryDelay: number;
  #stopped = false;
  /** Bumped by every full plan: failures of older plans are then moot. */
  #epoch = 0;
  /**
   * Commands of an apply that failed after its batch was sent (the table could not be read
   * back): they may have taken effect. The next table read says which did; those get their
   * line and event then, as no later plan will repeat them.
   */
  #unconfirmed: Array<{ command: PlannedCommand; expected: IpvsTable; scope: PlanScope['kind'] }> =
    [];

  constructor(options: IpvsSyncOptions) {
    this.#options = options;
    this.#retryDelay = options.retryInitialMs;
  }

  get table(): IpvsTable {
    return this.#table;
  }

  /** The table as read at start-up. */
  async readTable(): Promise<IpvsTable> {
    this.#table = await this.#options.backend.read();
    this.#tableStale = false;
    return this.#table;
  }

  isPending(virtual: VirtualService, real: RealServer): boolean {
    return this.#dirty.has(virtual, real) || this.#pending.has(virtual, real);
  }

  pendingSummary(): { reals: number; reconcile: boolean } {
    return { reals: this.#waiting().length, reconcile: this.#pendingFull !== undefined };
  }

  /** A real changed state: bring its entry in line within the coalescing window. */
  markDirty(pair: RealPair): void {
    if (this.#stopped) return;
    this.#dirty.add(pair);
    if (this.#windowTimer === undefined) {
      this.#windowTimer = this.#options.clock.setTimeout(() => {
        this.#windowTimer = undefined;
        void this.#enqueue(() => this.#flush());
      }, this.#options.coalesceMs);
    }
  }

  /** Apply whatever is dirty or pending now, without waiting for the window. */
  flushNow(): Promise<void> {
    if (this.#windowTimer !== undefined) {
      this.#options.clock.clearTimeout(this.#windowTimer);
      this.#windowTimer = undefined;
    }
    return this.#enqueue(() => this.#flush());
  }

  /** A full reconciliation (start or reload); supersedes everything dirty or pending. */
  reconcile(scope: FullScope): Promise<void> {
    this.#epoch++;
    this.#dirty.clear();
    this.#pending.clear();
    this.#pendingFull = undefined;
    return this.#enqueue(() => this.#apply(scope));
  }

  /** Stop: no more windows or retries; the stop plan runs after any apply in progress. */
  stop(): Promise<void> {
    this.#stopped = true;
    for (const timer of [this.#windowTimer, this.#retryTimer])
      if (timer !== undefined) this.#options.clock.clearTimeout(timer);
    this.#windowTimer = undefined;
    this.#retryTimer = undefined;
    this.#dirty.clear();
    this.#pending.clear();
    this.#pendingFull = undefined;
    return this.#enqueue(() => this.#apply({ kind: 'stop' }));
  }

  /** The reals dirty or pending, each once. */
  #waiting(): RealPair[] {
    const waiting = new PairSet();
    for (const pair of this.#dirty) waiting.add(pair);
    for (const pair of this.#pending) waiting.add(pair);
    return [...waiting];
  }

  #enqueue(work: () => Promise<void>): Promise<void> {
    const run = this.#chain.then(work).catch((error: unknown) => {
      this.#options.logger.error(`IPVS update failed: ${errorMessage(error)}`);
    });
    this.#chain = run;
    return run;
  }

  async #flush(): Promise<void> {
    if (this.#stopped) return;
    if (this.#pendingFull) {
      const scope = this.#pendingFull;
      this.#pendingFull = undefined;
      this.#dirty.clear();
      this.#pending.clear();
      await this.#apply(scope);
      return;
    }
    const reals = this.#waiting();
    this.#dirty.clear();
    this.#pending.clear();
    if (reals.length === 0) return;
    await this.#apply({ kind: 'entries', reals });
  }

  async #apply(scope: PlanScope): Promise<void> {
    const { logger, desired } = this.#options;
    const epoch = this.#epoch;
    if (this.#tableStale) {
      try {
        await this.readTable();
      } catch (error) {
        logger.error(`Could not read the IPVS table: ${errorMessage(error)}`);
        this.#repend(scope, epoch, undefined);
        return;
      }
      this.#confirm();
    }
    let plan: ReturnType<Planner>;
    try {
      plan = this.#options.planner({
        config: desired.config(),
        actual: this.#table,
        isUp: (v, r) => desired.isUp(v, r),
        scope,
      });
    } catch (error) {
      logger.error(`IPVS planning failed (${scope.kind}): ${errorMessage(error)}`);
      this.#repend(scope, epoch, undefined);
      return;
    }
    if (plan.commands.length === 0) {
      this.#settled(scope);
      return;
    }
    let result: Awaited<ReturnType<IpvsBackend['apply']>>;
    try {
      result = await this.#options.backend.apply(plan);
    } catch (error) {
      logger.error(`IPVS apply failed (${scope.kind}): ${errorMessage(error)}`);
      this.#tableStale = true;
      if (scope.kind !== 'stop') {
        for (const command of plan.commands) {
          this.#unconfirmed.push({ command, expected: plan.expected, scope: scope.kind });
        }
      }
      this.#repend(scope, epoch, undefined);
      return;
    }
    this.#table = result.table;
    const failures = new Map<PlannedCommand | string, string>();
    for (const f of result.failed) {
      failures.set(f.command, f.message);
      failures.set(f.command.line, f.message);
    }
    const failed: PlannedCommand[] = [];
    for (const command of plan.commands) {
      const message = failures.get(command) ?? failures.get(command.line);
      // The original's line is logged for every command, as it does (§6 item 22); a failure
      // follows it with ipvsadm's own message, and only what took effect is reported.
      logger.info(command.message, { ipvsadm: command.line, virtual: command.virtualId });
      if (message === undefined) this.#options.applied(command, scope.kind);
      else {
        failed.push(command);
        logger.error(`system(ipvsadm ${command.line}) failed: ${message.trim()}`, {
          ipvsadm: command.line,
          virtual: command.virtualId,
        });
      }
    }
    if (scope.kind === 'stop' || epoch !== this.#epoch) return;
    if (failed.length === 0) this.#settled(scope);
    else this.#repend(scope, epoch, failed);
  }

  /** The unconfirmed commands that the table just read shows took effect: logged now. */
  #confirm(): void {
    const unconfirmed = this.#unconfirmed;
    this.#unconfirmed = [];
    for (const { command, expected, scope } of unconfirmed) {
      if (!tookEffect(command, expected, this.#table)) continue;
      this.#options.logger.info(command.message, {
        ipvsadm: command.line,
        virtual: command.virtualId,
      });
      this.#options.applied(command, scope);
    }
  }

  #settled(scope: PlanScope): void {
    if (scope.kind === 'stop') return;
    if (this.#pending.empty && this.#pendingFull === undefined)
      this.#retryDelay = this.#options.retryInitialMs;
  }

  /**
   * Keep what did not take effect for the next try: the reals the failed commands serve (for a
   * failed fallback command one real of its virtual, whose plan brings the fallback along); a
   * whole plan when nothing finer names the failure. A full plan since then covers it all.
   */
  #repend(scope: PlanScope, epoch: number, failed: PlannedCommand[] | undefined): void {
    if (this.#stopped || scope.kind === 'stop' || epoch !== this.#epoch) return;
    if (failed === undefined) {
      if (scope.kind === 'entries') for (const pair of scope.reals) this.#pending.add(pair);
      else this.#pendingFull = scope;
    } else {
      for (const command of failed) {
        const reals =
          command.target?.kind === 'fallback' ? command.serves.slice(0, 1) : command.serves;
        if (reals.length > 0) for (const pair of reals) this.#pending.add(pair);
        else if (scope.kind !== 'entries') this.#pendingFull = scope;
        else
          this.#options.logger.warn(`Not retrying ipvsadm ${command.line}: no real of the config`, {
            ipvsadm: command.line,
          });
      }
    }
    this.#scheduleRetry();
  }

  #scheduleRetry(): void {
    if (this.#retryTimer !== undefined || this.#stopped) return;
    if (this.#pending.empty && this.#pendingFull === undefined) return;
    const delay = this.#retryDelay;
    this.#retryDelay = Math.min(this.#retryDelay * 2, this.#options.retryMaxMs);
    this.#retryTimer = this.#options.clock.setTimeout(() => {
      this.#retryTimer = undefined;
      void this.#enqueue(() => this.#flush());
    }, delay);
  }
}
