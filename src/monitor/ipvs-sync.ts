// Keeps the kernel's IPVS table following the monitor's states, through the planner and a
// backend; never runs ipvsadm itself. Transitions within a short window become one `entries`
// plan and one apply, so a mass change is one ipvsadm batch. Commands that fail are kept
// pending and retried (with backoff) until the table converges. All applies run one at a time.
import type { Config, RealServer, VirtualService } from '../config/model.ts';
import { tookEffect } from '../ipvs/backend.ts';
import type { IpvsTable } from '../ipvs/model.ts';
import type { IpvsBackend, PlannedCommand, PlanScope } from '../ipvs/types.ts';
import type { Logger } from '../log/logger.ts';
import type { Clock, TimerHandle } from './clock.ts';
import type { MonitorEvent, Planner } from './types.ts';

/** A (virtual, real) pair as the monitor tracks it. */
export interface SyncMember {
  virtual: VirtualService;
  real: RealServer;
  /** False once a reload dropped it. */
  live: boolean;
}

export interface IpvsSyncHost<M extends SyncMember> {
  backend: IpvsBackend;
  planner: Planner;
  clock: Clock;
  logger: Logger;
  emit(event: MonitorEvent): void;
  /** The current config and states. */
  config(): Config;
  isUp(virtual: VirtualService, real: RealServer): boolean;
  /** The live member of this pair, if any. */
  memberOf(virtual: VirtualService, real: RealServer): M | undefined;
  /**
   * The live members of a virtual (by virtualId); with an address, the reals at that address
   * and port, else (a mapped port) every real at that address.
   */
  members(virtualId: string, address?: string, port?: number): M[];
  /** Finds the virtual a command names, in the current config or the previous one. */
  virtualById(virtualId: string): VirtualService | undefined;
  coalesceMs: number;
  retryInitialMs: number;
  retryMaxMs: number;
}

type FullScope = Extract<PlanScope, { kind: 'start' } | { kind: 'reload' }>;

export class IpvsSync<M extends SyncMember> {
  #host: IpvsSyncHost<M>;
  #table: IpvsTable = { services: [] };
  #tableStale = false;
  #dirty = new Set<M>();
  #pending = new Set<M>();
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

  constructor(host: IpvsSyncHost<M>) {
    this.#host = host;
    this.#retryDelay = host.retryInitialMs;
  }

  get table(): IpvsTable {
    return this.#table;
  }

  /** The table as read at start-up. */
  async readTable(): Promise<IpvsTable> {
    this.#table = await this.#host.backend.read();
    this.#tableStale = false;
    return this.#table;
  }

  isPending(member: M): boolean {
    return this.#dirty.has(member) || this.#pending.has(member);
  }

  pendingSummary(): { reals: number; reconcile: boolean } {
    const reals = new Set([...this.#dirty, ...this.#pending]).size;
    return { reals, reconcile: this.#pendingFull !== undefined };
  }

  /** A member changed state: bring its entry in line within the coalescing window. */
  markDirty(member: M): void {
    if (this.#stopped) return;
    this.#dirty.add(member);
    if (this.#windowTimer === undefined) {
      this.#windowTimer = this.#host.clock.setTimeout(() => {
        this.#windowTimer = undefined;
        void this.#enqueue(() => this.#flush());
      }, this.#host.coalesceMs);
    }
  }

  /** Apply whatever is dirty or pending now, without waiting for the window. */
  flushNow(): Promise<void> {
    if (this.#windowTimer !== undefined) {
      this.#host.clock.clearTimeout(this.#windowTimer);
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
      if (timer !== undefined) this.#host.clock.clearTimeout(timer);
    this.#windowTimer = undefined;
    this.#retryTimer = undefined;
    this.#dirty.clear();
    this.#pending.clear();
    this.#pendingFull = undefined;
    return this.#enqueue(() => this.#apply({ kind: 'stop' }));
  }

  #enqueue(work: () => Promise<void>): Promise<void> {
    const run = this.#chain.then(work).catch((error: unknown) => {
      this.#host.logger.error(`IPVS update failed: ${describe(error)}`);
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
    const members = [...new Set([...this.#dirty, ...this.#pending])].filter((m) => m.live);
    this.#dirty.clear();
    this.#pending.clear();
    if (members.length === 0) return;
    await this.#apply({
      kind: 'entries',
      reals: members.map((m) => ({ virtual: m.virtual, real: m.real })),
    });
  }

  async #apply(scope: PlanScope): Promise<void> {
    const host = this.#host;
    const epoch = this.#epoch;
    const entries = scope.kind === 'entries' ? scope.reals : [];
    if (this.#tableStale) {
      try {
        await this.readTable();
      } catch (error) {
        host.logger.error(`Could not read the IPVS table: ${describe(error)}`);
        this.#applied(scope, 0, 0, [], describe(error));
        this.#repend(scope, entries, undefined);
        return;
      }
      this.#confirm();
    }
    let plan: ReturnType<Planner>;
    try {
      plan = host.planner({
        config: host.config(),
        actual: this.#table,
        isUp: (v, r) => host.isUp(v, r),
        scope,
      });
    } catch (error) {
      host.logger.error(`IPVS planning failed (${scope.kind}): ${describe(error)}`);
      this.#repend(scope, entries, undefined);
      return;
    }
    if (plan.commands.length === 0) {
      this.#settled(scope);
      return;
    }
    let result: Awaited<ReturnType<IpvsBackend['apply']>>;
    try {
      result = await host.backend.apply(plan);
    } catch (error) {
      host.logger.error(`IPVS apply failed (${scope.kind}): ${describe(error)}`);
      this.#applied(scope, plan.commands.length, 0, [], describe(error));
      this.#tableStale = true;
      if (scope.kind !== 'stop') {
        for (const command of plan.commands) {
          this.#unconfirmed.push({ command, expected: plan.expected, scope: scope.kind });
        }
      }
      this.#repend(scope, entries, undefined);
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
      // follows it with ipvsadm's own message, and only what took effect becomes an event.
      host.logger.info(command.message, { ipvsadm: command.line, virtual: command.virtualId });
      if (message === undefined) {
        host.emit({
          type: 'ipvs',
          scope: scope.kind,
          command,
          virtual: host.virtualById(command.virtualId),
        });
      } else {
        failed.push(command);
        host.logger.error(`system(ipvsadm ${command.line}) failed: ${message.trim()}`, {
          ipvsadm: command.line,
          virtual: command.virtualId,
        });
      }
    }
    this.#applied(
      scope,
      plan.commands.length,
      result.processes,
      failed.map((c) => ({
        line: c.line,
        message: (failures.get(c) ?? failures.get(c.line) ?? '').trim(),
      })),
    );
    if (scope.kind === 'stop' || epoch !== this.#epoch) return;
    if (failed.length === 0) this.#settled(scope);
    else this.#repend(scope, [], failed);
  }

  #applied(
    scope: PlanScope,
    commands: number,
    processes: number,
    failed: Array<{ line: string; message: string }>,
    error?: string,
  ): void {
    this.#host.emit({
      type: 'ipvs-apply',
      scope: scope.kind,
      commands,
      processes,
      failed,
      ...(error === undefined ? {} : { error }),
    });
  }

  /** The unconfirmed commands that the table just read shows took effect: logged now. */
  #confirm(): void {
    const unconfirmed = this.#unconfirmed;
    this.#unconfirmed = [];
    for (const { command, expected, scope } of unconfirmed) {
      if (!tookEffect(command, expected, this.#table)) continue;
      this.#host.logger.info(command.message, {
        ipvsadm: command.line,
        virtual: command.virtualId,
      });
      this.#host.emit({
        type: 'ipvs',
        scope,
        command,
        virtual: this.#host.virtualById(command.virtualId),
      });
    }
  }

  #settled(scope: PlanScope): void {
    if (scope.kind === 'stop') return;
    if (this.#pending.size === 0 && this.#pendingFull === undefined)
      this.#retryDelay = this.#host.retryInitialMs;
  }

  /**
   * Keep what did not take effect for the next try: the reals of failed commands (a failed
   * fallback command re-plans one real of its virtual, which brings the fallback along); a
   * whole plan when nothing finer names the failure.
   */
  #repend(
    scope: PlanScope,
    entries: Array<{ virtual: VirtualService; real: RealServer }>,
    failed: PlannedCommand[] | undefined,
  ): void {
    if (this.#stopped || scope.kind === 'stop') return;
    if (failed === undefined) {
      if (scope.kind === 'entries') {
        for (const { virtual, real } of entries) {
          const member = this.#host.memberOf(virtual, real);
          if (member) this.#pending.add(member);
        }
      } else this.#pendingFull = scope;
    } else {
      for (const command of failed) {
        const members =
          command.target?.kind === 'real'
            ? this.#host.members(command.virtualId, command.target.address, command.target.port)
            : command.target?.kind === 'fallback'
              ? this.#host.members(command.virtualId).slice(0, 1)
              : [];
        if (members.length > 0) for (const m of members) this.#pending.add(m);
        else if (scope.kind !== 'entries') this.#pendingFull = scope;
        else
          this.#host.logger.warn(`Not retrying ipvsadm ${command.line}: no real of the config`, {
            ipvsadm: command.line,
          });
      }
    }
    this.#scheduleRetry();
  }

  #scheduleRetry(): void {
    if (this.#retryTimer !== undefined || this.#stopped) return;
    if (this.#pending.size === 0 && this.#pendingFull === undefined) return;
    const delay = this.#retryDelay;
    this.#retryDelay = Math.min(this.#retryDelay * 2, this.#host.retryMaxMs);
    this.#retryTimer = this.#host.clock.setTimeout(() => {
      this.#retryTimer = undefined;
      void this.#enqueue(() => this.#flush());
    }, delay);
  }
}

export function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
