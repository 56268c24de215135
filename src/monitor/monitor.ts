// The check engine: decides, for every real of every virtual, whether it is up, as the
// original does (§4.5), without letting one slow or hung real delay any other check.
//
// - Each distinct check (src/monitor/target.ts checkKey) is a job that runs every
//   checkinterval of its virtual, at a stable phase within the interval, under a concurrency
//   cap (src/monitor/scheduler.ts) and a hard deadline. Its result goes to every (virtual,
//   real) pair sharing it; each pair keeps its own failure count. Which pairs and jobs there
//   are, and what survives a reload, is src/monitor/membership.ts; status() is
//   src/monitor/status.ts.
// - The daemon's own stalls are not the reals' (src/monitor/stall.ts): a check's deadline
//   counts only time in which the daemon ran, a check that fails after the daemon stalled
//   during it is run once more before its verdict counts, and the checks whose start fell in
//   a stall start when it ends, in their order and spacing rather than all at once.
// - State changes go to the IPVS layer through src/monitor/ipvs-sync.ts.
// - fallbackcommand runs when a virtual loses its last real or gets its first one back.
// Everything that does I/O or tells time is injected (src/monitor/types.ts).
import type { Checker } from '../checkers/types.ts';
import { realId, realIdText } from '../config/identity.ts';
import type { Config, VirtualService } from '../config/model.ts';
import type { IpvsTable } from '../ipvs/model.ts';
import { errorMessage } from '../lib/error-message.ts';
import { hostPort } from '../lib/inet.ts';
import { runCommand } from '../lib/run-command.ts';
import { type Logger, silentLogger } from '../log/logger.ts';
import { type Clock, systemClock, type TimerHandle } from './clock.ts';
import { runWithDeadline, type TimedResult } from './deadline.ts';
import { fallbackCommandArgs, splitCommand } from './fallback-command.ts';
import { IpvsSync } from './ipvs-sync.ts';
import { createMaintenanceLookup, type MaintenanceLookup } from './maintenance.ts';
import {
  emptyMembership,
  type Job,
  type Member,
  type MemberText,
  type Membership,
  nextMembership,
  type VirtualEntry,
} from './membership.ts';
import { createFileAppender, type FileAppender, monitorLine } from './monitorfile.ts';
import { Scheduler } from './scheduler.ts';
import { StallWatch } from './stall.ts';
import { monitorStatus } from './status.ts';
import { applyVerdict, kindForPass, nextCombinedCounter } from './state.ts';
import { buildCheckTarget, type CheckKind } from './target.ts';
import type {
  CheckerSet,
  CheckRecord,
  CommandRunner,
  MonitorEvent,
  MonitorOptions,
  MonitorPhase,
  MonitorStatus,
} from './types.ts';

interface Outcome {
  maintenance: Map<Member, string>;
  kind?: CheckKind;
  result?: TimedResult;
}

export class Monitor {
  #config: Config;
  #checkers: CheckerSet;
  #clock: Clock;
  #logger: Logger;
  #onEvent: ((event: MonitorEvent) => void) | undefined;
  #runCommand: CommandRunner;
  #append: FileAppender;
  #maintenance: MaintenanceLookup;
  #pid: number;
  #fallbackTimeoutMs: number;
  #sync: IpvsSync;
  #stalls: StallWatch;
  #scheduler: Scheduler<Job, Outcome>;

  #phase: MonitorPhase = 'idle';
  #stopping = false;
  #members: Membership = emptyMembership();
  #lifecycle: Promise<void> = Promise.resolve();
  #failingMonitorFiles = new Set<string>();
  /** monitorfile writes in flight, for stop() to wait for. */
  #writes = new Set<Promise<void>>();
  #namesResolved: Promise<void> = Promise.resolve();
  #maintenanceWaitMs: number;

  constructor(options: MonitorOptions) {
    this.#config = options.config;
    this.#checkers = options.checkers;
    this.#clock = options.clock ?? systemClock;
    this.#logger = options.logger ?? silentLogger;
    this.#onEvent = options.onEvent;
    this.#runCommand = options.runCommand ?? runCommand;
    this.#append = options.appendFile ?? createFileAppender();
    this.#maintenance = options.maintenance ?? createMaintenanceLookup({ clock: this.#clock });
    this.#pid = options.pid ?? process.pid;
    this.#fallbackTimeoutMs = options.fallbackCommandTimeoutMs ?? 30_000;
    this.#maintenanceWaitMs = options.maintenanceNamesWaitMs ?? 3000;
    this.#stalls = new StallWatch(this.#clock, (ms) => {
      if (ms >= 1000)
        this.#logger.info(
          `The daemon did not run for ${(ms / 1000).toFixed(1)} s (stopped, paused or stalled): checks do not count that time`,
        );
    });
    this.#sync = new IpvsSync({
      backend: options.backend,
      planner: options.planner,
      clock: this.#clock,
      logger: this.#logger,
      desired: {
        config: () => this.#config,
        isUp: (v, r) => this.#members.byVirtual.get(v)?.get(r)?.state.up ?? false,
      },
      applied: (command, scope) => this.#emit({ type: 'ipvs', scope, command }),
      coalesceMs: options.coalesceMs ?? 100,
      retryInitialMs: options.retryInitialMs ?? 1000,
      retryMaxMs: options.retryMaxMs ?? 30_000,
    });
    this.#scheduler = new Scheduler<Job, Outcome>({
      clock: this.#clock,
      concurrency: options.concurrency ?? 1000,
      stalls: this.#stalls,
      logger: this.#logger,
      check: (job, controller) => this.#check(job, controller),
      complete: (job, outcome) => this.#complete(job, outcome),
    });
  }

  get phase(): MonitorPhase {
    return this.#phase;
  }

  /**
   * Read the kernel's table, take the initial states from it (a real present with weight > 0
   * is up until its first check says otherwise; every other real is down), apply the `start`
   * plan, then check every real at once. Resolves when every real has had its first check and
   * the resulting changes are applied (at most the longest deadline later, plus queueing when
   * there are more checks than the concurrency cap). Rejects when the table cannot be read.
   */
  start(): Promise<void> {
    return this.#serially(async () => {
      if (this.#phase !== 'idle') throw new Error(`cannot start a monitor that is ${this.#phase}`);
      this.#phase = 'starting';
      this.#scheduler.begin();
      let table: IpvsTable;
      try {
        table = await this.#sync.readTable();
      } catch (error) {
        this.#phase = 'idle';
        throw error;
      }
      const { fresh } = this.#build(this.#config, table);
      await this.#sync.reconcile({ kind: 'start' });
      await this.#launch(fresh);
      if (!this.#stopping) this.#phase = 'running';
    });
  }

  /**
   * Swap in a new config (already parsed and validated). Reals whose check did not change keep
   * their state and counters; new ones start as at start-up (from the last table read) and are
   * checked at once. Applies the `reload` plan; resolves like start().
   */
  reload(config: Config): Promise<void> {
    return this.#serially(async () => {
      if (this.#phase !== 'running')
        throw new Error(`cannot reload a monitor that is ${this.#phase}`);
      this.#phase = 'reloading';
      const previous = this.#config;
      this.#config = config;
      const { fresh, grown } = this.#build(config, this.#sync.table);
      await this.#sync.reconcile({ kind: 'reload', previous });
      for (const job of grown) this.#scheduler.runSoon(job);
      await this.#launch(fresh, grown);
      if (!this.#stopping) this.#phase = 'running';
    });
  }

  /**
   * Cancel every timer, abort running checks, apply the `stop` plan; resolves once running
   * fallbackcommands (each under its deadline) and monitorfile writes are done.
   */
  async stop(): Promise<void> {
    if (this.#stopping) return this.#lifecycle;
    this.#stopping = true;
    if (this.#phase === 'idle') {
      // Never started (or the table could not be read): nothing to undo in the kernel.
      this.#phase = 'stopped';
      return;
    }
    this.#phase = 'stopping';
    this.#scheduler.stop(this.#members.jobs.values());
    const done = this.#serially(async () => {
      this.#phase = 'stopping';
      // A start or reload that was under way when stop() came may have made new jobs.
      for (const job of this.#members.jobs.values()) this.#scheduler.kill(job);
      await this.#sync.stop();
      await Promise.all([...this.#members.entries.map((e) => e.chain), ...this.#writes]);
      this.#phase = 'stopped';
    });
    return done;
  }

  status(): MonitorStatus {
    return monitorStatus({
      phase: this.#phase,
      entries: this.#members.entries,
      jobs: this.#members.jobs.size,
      load: this.#scheduler.load,
      isPending: (m) => this.#sync.isPending(m.virtual, m.real),
      pending: this.#sync.pendingSummary(),
    });
  }

  // ---- lifecycle -------------------------------------------------------------------------

  #serially(work: () => Promise<void>): Promise<void> {
    const run = this.#lifecycle.then(work);
    this.#lifecycle = run.catch(() => {});
    return run;
  }

  /** Start the first checks of these jobs, wait for them, and apply what they changed. */
  async #launch(fresh: Job[], others: Job[] = []): Promise<void> {
    await this.#waitForNames();
    for (const job of fresh) this.#scheduler.due(job);
    for (const entry of this.#members.entries) this.#decideFallback(entry);
    await Promise.all([...fresh, ...others].map((job) => job.first?.promise));
    if (!this.#stopping) await this.#sync.flushNow();
  }

  /**
   * Give the reverse lookups of maintenancedir a moment before the first checks, so a real in
   * maintenance under its host name is not added at start-up; never longer than the bound.
   */
  async #waitForNames(): Promise<void> {
    if (this.#config.global.maintenancedir === undefined) return;
    let timer: TimerHandle | undefined;
    const bound = new Promise<void>((resolve) => {
      timer = this.#clock.setTimeout(resolve, this.#maintenanceWaitMs);
    });
    await Promise.race([this.#namesResolved, bound]);
    this.#clock.clearTimeout(timer);
  }

  /** The membership of a config, carried over from the one in force; its jobs retired. */
  #build(config: Config, table: IpvsTable): { fresh: Job[]; grown: Job[] } {
    const change = nextMembership(this.#members, config, table);
    for (const entry of change.entries) {
      entry.command = this.#fallbackCommandOf(entry.virtual, config, entry.vid);
    }
    for (const job of change.retired) this.#scheduler.kill(job);
    const { entries, byVirtual, jobs } = change;
    this.#members = { entries, byVirtual, jobs };
    this.#namesResolved = this.#maintenance.prepare(
      config.global.maintenancedir,
      config.virtuals.flatMap((v) => v.reals.map((r) => r.address)),
    );
    return { fresh: change.fresh, grown: change.grown };
  }

  #fallbackCommandOf(v: VirtualService, config: Config, vid: string): string[] | undefined {
    const text = v.fallbackcommand ?? config.global.fallbackcommand;
    if (text === undefined || text.trim() === '') return undefined;
    const split = splitCommand(text);
    if (split.ok) return split.argv;
    this.#logger.error(`fallbackcommand of ${vid} will not run: ${split.reason}`, {
      virtual: vid,
      fallbackcommand: text,
    });
    return undefined;
  }

  // ---- checks --------------------------------------------------------------------------

  /** The maintenance test of every member, then one check for those not in maintenance. */
  async #check(job: Job, controller: AbortController): Promise<Outcome> {
    const members = job.members.filter((m) => m.live);
    const maintenance = new Map<Member, string>();
    // Without a maintenancedir nothing can be found: no lookup per member on every check.
    if (this.#config.global.maintenancedir !== undefined)
      await Promise.all(
        members.map(async (m) => {
          const file = await this.#maintenance
            .find(m.real.address, m.real.port)
            .catch(() => undefined);
          if (file !== undefined) maintenance.set(m, file);
        }),
      );
    const checked = members.filter((m) => !maintenance.has(m));
    const first = checked[0];
    if (!first || controller.signal.aborted) return { maintenance };
    const v = first.virtual;
    const kind = kindForPass(job.mode, job.counter, v.combinedCount);
    if (kind === 'on')
      return {
        maintenance,
        kind,
        result: { up: true, reason: '', timedOut: false, durationMs: 0, stalledMs: 0 },
      };
    // Once per check: not built unless shown.
    if (this.#logger.debugEnabled?.(2) ?? true)
      this.#logger.debug(
        `Checking ${checkLabel(v, kind)}: real server=${this.#text(first).realId} (virtual=${first.vid})`,
        { level: 2 },
      );
    const checker = this.#checkerFor(kind, v);
    const target = buildCheckTarget(v, first.real, kind);
    if (!checker) {
      const reason = `no negotiate check for service ${v.service}`;
      const result = { up: false, reason, timedOut: false, durationMs: 0, stalledMs: 0 };
      return { maintenance, kind, result };
    }
    const run = (c: AbortController): Promise<TimedResult> =>
      runWithDeadline(checker, target, target.timeoutMs, this.#clock, c, this.#stalls);
    let result = await run(controller);
    // A failure the daemon's stall may have caused (a library's own timeout, a server that
    // gave up waiting for us) is not the real's: one fresh check decides.
    if (!result.up && result.stalledMs > 0 && job.alive && !this.#stopping) {
      this.#logger.debug(
        `Checking ${this.#text(first).realId} again: the daemon stalled ${Math.round(result.stalledMs)} ms during its check (${result.reason})`,
        { level: 2 },
      );
      const again = new AbortController();
      job.controller = again;
      result = await run(again);
    }
    return { maintenance, kind, result };
  }

  #checkerFor(kind: CheckKind, v: VirtualService): Checker | undefined {
    switch (kind) {
      case 'negotiate':
        return this.#checkers.negotiate(v.service);
      case 'connect':
        return this.#checkers.connect;
      case 'ping':
        return this.#checkers.ping;
      case 'external':
        return this.#checkers.external;
      case 'external-perl':
        return this.#checkers.externalPerl;
      case 'on':
        return undefined;
    }
  }

  // ---- results ---------------------------------------------------------------------------

  #complete(job: Job, outcome: Outcome): void {
    const now = this.#clock.now();
    const touched = new Set<VirtualEntry>();
    const { result, kind } = outcome;
    for (const m of job.members) {
      if (!m.live) continue;
      const file = outcome.maintenance.get(m);
      if (file !== undefined) {
        m.maintenance = file;
        this.#apply(m, now, { up: false, force: true }, 'Server in maintenance', 'maintenance', {
          timedOut: false,
          durationMs: 0,
          logToFile: true,
        });
      } else if (result && kind) {
        m.maintenance = undefined;
        this.#apply(m, now, { up: result.up }, result.reason, kind, {
          timedOut: result.timedOut,
          durationMs: result.durationMs,
          // Every check result is written, ping-down and external-perl included (§6 item 30);
          // checktype=on runs no check and writes nothing, as the original.
          logToFile: kind !== 'on',
        });
      } else continue;
      m.awaitingFirst = false;
      touched.add(m.entry);
    }
    if (result && kind) job.counter = nextCombinedCounter(job.counter, kind, result.up);
    for (const entry of touched) this.#decideFallback(entry);
  }

  #apply(
    m: Member,
    now: number,
    verdict: { up: boolean; force?: boolean },
    reason: string,
    kind: CheckRecord['kind'],
    extra: { timedOut: boolean; durationMs: number; logToFile: boolean },
  ): void {
    const v = m.virtual;
    const r = m.real;
    const step = applyVerdict(m.state, verdict, v.failurecount);
    for (const note of step.notes) {
      const where = this.#text(m).where;
      if (note.kind === 'reset') this.#logger.info(`Resetting soft failure count: ${where}`);
      else
        this.#logger.info(
          `Soft failure real server: ${where} failure ${note.failcount}/${note.failurecount}`,
          { reason },
        );
    }
    m.state = step.state;
    m.last = {
      up: verdict.up,
      reason,
      kind,
      atMs: now,
      durationMs: extra.durationMs,
      timedOut: extra.timedOut,
    };
    if (step.transition) {
      if (this.#logger.debugEnabled?.(2) ?? true)
        this.#logger.debug(`Real server ${step.transition}: ${this.#text(m).where}: ${reason}`);
      this.#sync.markDirty(m);
      this.#emit({ type: 'real', virtual: v, real: r, up: step.transition === 'up', reason });
    }
    if (v.monitorfile && extra.logToFile)
      this.#writeMonitorFile(
        v.monitorfile,
        monitorLine(now, this.#pid, this.#text(m).monitor, verdict.up, reason),
      );
  }

  #text(m: Member): MemberText {
    if (m.text) return m.text;
    const v = m.virtual;
    const r = m.real;
    m.text = {
      realId: realId(v, r),
      monitor: realIdText(v, r),
      where: `${hostPort(r.address, r.port)} (${m.vid})`,
    };
    return m.text;
  }

  #writeMonitorFile(file: string, line: string): void {
    const write = this.#append(file, line).then(
      () => {
        this.#failingMonitorFiles.delete(file);
      },
      (error: unknown) => {
        // The original dies here; a monitorfile is not worth the daemon. Said once per outage.
        if (this.#failingMonitorFiles.has(file)) return;
        this.#failingMonitorFiles.add(file);
        this.#logger.error(`Error writing to monitorfile '${file}': ${errorMessage(error)}`);
      },
    );
    this.#writes.add(write);
    void write.then(() => this.#writes.delete(write));
  }

  /**
   * fallbackcommand: `start` when no real of the virtual is up, `stop` when one is, only on a
   * change, and only once every real has had its first check (so start-up and reload run it
   * once, not start/stop/start).
   */
  #decideFallback(entry: VirtualEntry): void {
    if (this.#stopping) return;
    if (!entry.settled) {
      if (entry.members.some((m) => m.live && m.awaitingFirst)) return;
      entry.settled = true;
    }
    const status = entry.members.some((m) => m.state.up) ? 'stop' : 'start';
    if (status === entry.commandState) return;
    entry.commandState = status;
    const command = entry.command;
    if (!command) return;
    const argv = [...command, ...fallbackCommandArgs(entry.virtual, status)];
    const virtual = entry.virtual;
    entry.chain = entry.chain.then(async () => {
      const line = argv.join(' ');
      this.#logger.debug(`Running system(${line})`, { level: 3 });
      const run = await this.#runCommand(argv[0]!, argv.slice(1), {
        timeoutMs: this.#fallbackTimeoutMs,
      }).catch((error: unknown) => ({ error }));
      let detail: string;
      if ('error' in run) detail = errorMessage(run.error);
      else if (run.spawnError) detail = run.spawnError.message;
      else if (run.timedOut) detail = `timed out after ${this.#fallbackTimeoutMs} ms`;
      else if (run.code === null) detail = `killed by ${run.signal}`;
      else detail = `exit status ${run.code}`;
      const ok = detail === 'exit status 0';
      if (!ok) this.#logger.warn(`system(${line}) failed: ${detail}`, { virtual: entry.vid });
      this.#emit({ type: 'fallback-command', virtual, status, argv, ok, detail });
    });
  }

  #emit(event: MonitorEvent): void {
    if (!this.#onEvent) return;
    try {
      this.#onEvent(event);
    } catch (error) {
      this.#logger.error(`Event handler failed: ${errorMessage(error)}`);
    }
  }
}

/** The original's debug wording for the check a pass runs. */
function checkLabel(v: VirtualService, kind: CheckKind): string {
  if (v.checktype === 'combined' && kind === 'connect') return 'combined-connect';
  if (v.checktype === 'connect' && kind === 'ping') return 'connect (ping)';
  return kind;
}
