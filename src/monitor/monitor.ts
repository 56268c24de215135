// The check engine: decides, for every real of every virtual, whether it is up, as the
// original does (§4.5), without letting one slow or hung real delay any other check.
//
// - Each distinct check (src/monitor/target.ts checkKey) is a job that runs every
//   checkinterval of its virtual, at a stable phase within the interval, under a concurrency
//   cap and a hard deadline. Its result goes to every (virtual, real) pair sharing it; each
//   pair keeps its own failure count.
// - The daemon's own stalls are not the reals' (src/monitor/stall.ts): a check's deadline
//   counts only time in which the daemon ran, a check that fails after the daemon stalled
//   during it is run once more before its verdict counts, and the checks whose start fell in
//   a stall start when it ends, in their order and spacing rather than all at once.
// - State changes go to the IPVS layer through src/monitor/ipvs-sync.ts.
// - fallbackcommand runs when a virtual loses its last real or gets its first one back.
// Everything that does I/O or tells time is injected (src/monitor/types.ts).
import type { Checker } from '../checkers/types.ts';
import { realId, realIdText, virtualId } from '../config/identity.ts';
import type { Config, RealServer, VirtualService } from '../config/model.ts';
import type { IpvsTable } from '../ipvs/model.ts';
import { hostPort } from '../lib/address.ts';
import { runCommand } from '../lib/run-command.ts';
import { type Logger, silentLogger } from '../log/logger.ts';
import { type Clock, systemClock, type TimerHandle } from './clock.ts';
import { Semaphore } from './concurrency.ts';
import { runWithDeadline, type TimedResult } from './deadline.ts';
import { fallbackCommandArgs, splitCommand } from './fallback-command.ts';
import { describe, IpvsSync, type SyncMember } from './ipvs-sync.ts';
import { createMaintenanceLookup, type MaintenanceLookup } from './maintenance.ts';
import { createFileAppender, type FileAppender, monitorLine } from './monitorfile.ts';
import { nextRun, phaseOffset } from './schedule.ts';
import { StallWatch } from './stall.ts';
import {
  applyVerdict,
  COMBINED_START,
  kindForPass,
  nextCombinedCounter,
  type RealState,
} from './state.ts';
import { buildCheckTarget, type CheckKind, type CheckMode, checkKey, checkMode } from './target.ts';
import type {
  CheckerSet,
  CheckRecord,
  CommandRunner,
  MonitorEvent,
  MonitorOptions,
  MonitorPhase,
  MonitorStatus,
  Planner,
} from './types.ts';

interface Member extends SyncMember {
  vid: string;
  /** `<virtual-id> <rip:rport> #<n>`: what survives a reload. */
  identity: string;
  mode: CheckMode;
  /** The job's key; undefined for checktype=off (never checked). */
  key: string | undefined;
  state: RealState;
  /** The last check; its time as a number, made ISO 8601 only for status(). */
  last?: Omit<CheckRecord, 'at'> & { atMs: number };
  maintenance?: string;
  /** Its first check since it appeared has not completed yet. */
  awaitingFirst: boolean;
  entry: VirtualEntry;
  /**
   * Strings for logs and the monitorfile, made when first needed and kept until the next
   * config load (most reals never change state: kept for all, they cost ~0.4 KiB each).
   */
  text: MemberText | undefined;
}

interface MemberText {
  realId: string;
  monitor: string;
  where: string;
}

interface VirtualEntry {
  virtual: VirtualService;
  vid: string;
  members: Member[];
  /** The fallbackcommand to run, split; undefined when none (or refused). */
  command: string[] | undefined;
  /** The last status decided; the original's fallbackcommand_status. */
  commandState: 'start' | 'stop' | undefined;
  /** Every real has had its first check: fallbackcommand may run. */
  settled: boolean;
  /** Runs of its fallbackcommand, one after the other. */
  chain: Promise<void>;
}

interface Job {
  key: string;
  mode: CheckMode;
  intervalMs: number;
  phase: number;
  members: Member[];
  /** The connect counter of checktype=N. */
  counter: number;
  timer: TimerHandle | undefined;
  /** When its timer is due (monotonic ms). */
  dueAt: number;
  queued: boolean;
  controller: AbortController | undefined;
  alive: boolean;
  /** Until its first check after start, reload or new members is done; then dropped. */
  first: PromiseWithResolvers<void> | undefined;
}

interface Outcome {
  maintenance: Map<Member, string>;
  kind?: CheckKind;
  result?: TimedResult;
}

const MIN_INTERVAL_MS = 100;

export class Monitor {
  #config: Config;
  #previous: Config | undefined;
  #checkers: CheckerSet;
  #clock: Clock;
  #logger: Logger;
  #onEvent: ((event: MonitorEvent) => void) | undefined;
  #runCommand: CommandRunner;
  #append: FileAppender;
  #maintenance: MaintenanceLookup;
  #pid: number;
  #fallbackTimeoutMs: number;
  #slots: Semaphore;
  #sync: IpvsSync<Member>;
  #stalls: StallWatch;

  #phase: MonitorPhase = 'idle';
  #stopping = false;
  #epoch = 0;
  #entries: VirtualEntry[] = [];
  #byVirtual = new Map<VirtualService, Map<RealServer, Member>>();
  #jobs = new Map<string, Job>();
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
    this.#slots = new Semaphore(options.concurrency ?? 1000);
    this.#stalls = new StallWatch(this.#clock, (ms) => {
      if (ms >= 1000)
        this.#logger.info(
          `The daemon did not run for ${(ms / 1000).toFixed(1)} s (stopped, paused or stalled): checks do not count that time`,
        );
    });
    const planner: Planner = options.planner;
    this.#sync = new IpvsSync<Member>({
      backend: options.backend,
      planner,
      clock: this.#clock,
      logger: this.#logger,
      emit: (event) => this.#emit(event),
      config: () => this.#config,
      isUp: (v, r) => this.#byVirtual.get(v)?.get(r)?.state.up ?? false,
      memberOf: (v, r) => this.#byVirtual.get(v)?.get(r),
      members: (vid, address, port) => this.#membersOf(vid, address, port),
      virtualById: (vid) => this.#virtualById(vid),
      coalesceMs: options.coalesceMs ?? 100,
      retryInitialMs: options.retryInitialMs ?? 1000,
      retryMaxMs: options.retryMaxMs ?? 30_000,
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
      this.#epoch = this.#clock.now();
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
      this.#previous = this.#config;
      this.#config = config;
      const { fresh, grown } = this.#build(config, this.#sync.table);
      await this.#sync.reconcile({ kind: 'reload', previous: this.#previous });
      for (const job of grown) this.#runSoon(job);
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
    for (const job of this.#jobs.values()) this.#kill(job);
    this.#slots.clear();
    const done = this.#serially(async () => {
      this.#phase = 'stopping';
      // A start or reload that was under way when stop() came may have made new jobs.
      for (const job of this.#jobs.values()) this.#kill(job);
      await this.#sync.stop();
      await Promise.all([...this.#entries.map((e) => e.chain), ...this.#writes]);
      this.#phase = 'stopped';
    });
    return done;
  }

  status(): MonitorStatus {
    return {
      phase: this.#phase,
      virtuals: this.#entries.map((e) => {
        const v = e.virtual;
        const anyUp = e.members.some((m) => m.state.up);
        return {
          id: e.vid,
          checktype: v.checktype === 'combined' ? String(v.combinedCount) : v.checktype,
          service: v.service,
          checkinterval: v.checkinterval,
          ...(v.fallback ? { fallback: hostPort(v.fallback.address, v.fallback.port) } : {}),
          fallbackActive: v.fallback !== undefined && !anyUp,
          ...(e.commandState ? { fallbackCommand: e.commandState } : {}),
          reals: e.members.map((m) => ({
            address: m.real.address,
            port: m.real.port,
            weight: m.real.weight,
            forward: m.real.forward,
            up: m.state.up,
            failcount: m.state.failcount,
            failurecount: v.failurecount,
            ...(m.maintenance ? { maintenance: m.maintenance } : {}),
            ...(m.last ? { lastCheck: lastCheck(m.last) } : {}),
            pending: this.#sync.isPending(m),
          })),
        };
      }),
      checks: {
        jobs: this.#jobs.size,
        running: this.#slots.active,
        queued: this.#slots.queued,
        concurrency: this.#slots.limit,
      },
      pending: this.#sync.pendingSummary(),
    };
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
    for (const job of fresh) this.#due(job);
    for (const entry of this.#entries) this.#decideFallback(entry);
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

  /** Build members, jobs and virtual entries for a config, carrying over what did not change. */
  #build(config: Config, table: IpvsTable): { fresh: Job[]; grown: Job[] } {
    const oldEntries = new Map(this.#entries.map((e) => [e.vid, e]));
    const oldMembers = new Map<string, Member>();
    for (const e of this.#entries) for (const m of e.members) oldMembers.set(m.identity, m);
    const oldJobs = this.#jobs;
    const jobs = new Map<string, Job>();
    const fresh = new Set<Job>();
    const grown = new Set<Job>();
    const entries: VirtualEntry[] = [];
    const byVirtual = new Map<VirtualService, Map<RealServer, Member>>();

    for (const v of config.virtuals) {
      const vid = virtualId(v);
      let entry = oldEntries.get(vid);
      oldEntries.delete(vid);
      if (entry) {
        entry.virtual = v;
        entry.members = [];
      } else {
        entry = {
          virtual: v,
          vid,
          members: [],
          command: undefined,
          commandState: undefined,
          settled: false,
          chain: Promise.resolve(),
        };
      }
      entry.command = this.#fallbackCommandOf(v, config, vid);
      const mode = checkMode(v);
      const seen = new Map<string, number>();
      const reals = new Map<RealServer, Member>();
      for (const r of v.reals) {
        const base = `${vid} ${hostPort(r.address, r.port)}`;
        const n = seen.get(base) ?? 0;
        seen.set(base, n + 1);
        // join() makes one flat string; a template literal keeps a tree of pieces per real.
        const identity = [base, `#${n}`].join(' ');
        const key = mode === 'off' ? undefined : checkKey(v, r);
        let member = oldMembers.get(identity);
        const carried = member !== undefined && member.mode === mode && member.key === key;
        if (member && carried) {
          oldMembers.delete(identity);
          member.virtual = v;
          member.real = r;
          member.entry = entry;
          member.text = undefined;
        } else {
          member = {
            virtual: v,
            real: r,
            live: true,
            vid,
            identity,
            mode,
            key,
            state: { up: initiallyUp(v, r, mode, table), failcount: 0 },
            awaitingFirst: mode !== 'off',
            entry,
            text: undefined,
          };
        }
        entry.members.push(member);
        reals.set(r, member);
        if (key === undefined) continue;
        let job = jobs.get(key);
        if (!job) {
          const old = oldJobs.get(key);
          if (old?.alive) {
            job = old;
            job.members = [];
          } else {
            job = this.#newJob(key, mode, v);
            fresh.add(job);
          }
          jobs.set(key, job);
        }
        job.members.push(member);
        if (!carried && !fresh.has(job)) grown.add(job);
      }
      byVirtual.set(v, reals);
      entries.push(entry);
    }

    // push() left room for 16 more members in each; most jobs have one, for good.
    for (const job of jobs.values()) job.members = job.members.slice();
    for (const m of oldMembers.values()) m.live = false;
    for (const [key, job] of oldJobs) if (jobs.get(key) !== job) this.#kill(job);
    this.#entries = entries;
    this.#byVirtual = byVirtual;
    this.#jobs = jobs;
    this.#namesResolved = this.#maintenance.prepare(
      config.global.maintenancedir,
      config.virtuals.flatMap((v) => v.reals.map((r) => r.address)),
    );
    return { fresh: [...fresh], grown: [...grown] };
  }

  #newJob(key: string, mode: CheckMode, v: VirtualService): Job {
    const intervalMs = Math.max(MIN_INTERVAL_MS, Math.round(v.checkinterval * 1000));
    return {
      key,
      mode,
      intervalMs,
      phase: phaseOffset(key, intervalMs),
      members: [],
      counter: COMBINED_START,
      timer: undefined,
      dueAt: 0,
      queued: false,
      controller: undefined,
      alive: true,
      first: Promise.withResolvers<void>(),
    };
  }

  #kill(job: Job): void {
    job.alive = false;
    if (job.timer !== undefined) this.#clock.clearTimeout(job.timer);
    job.timer = undefined;
    job.controller?.abort(new DOMException('check cancelled', 'AbortError'));
    this.#firstDone(job);
  }

  /** The job's first check is done (or will never run): whoever waits for it goes on. */
  #firstDone(job: Job): void {
    job.first?.resolve();
    job.first = undefined;
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

  // ---- scheduling ------------------------------------------------------------------------

  /** The job's time has come: queue it for a slot unless it is already queued or running. */
  #due(job: Job): void {
    job.timer = undefined;
    if (!job.alive || this.#stopping) {
      this.#firstDone(job);
      return;
    }
    if (job.queued || job.controller) return;
    job.queued = true;
    this.#slots.acquire(() => {
      job.queued = false;
      if (!job.alive || this.#stopping) {
        this.#slots.release();
        this.#firstDone(job);
        return;
      }
      void this.#runJob(job);
    });
  }

  /** Run a job now (it has new members) instead of at its next slot; `first` waits for it. */
  #runSoon(job: Job): void {
    job.first = Promise.withResolvers<void>();
    if (job.timer !== undefined) this.#clock.clearTimeout(job.timer);
    this.#due(job);
  }

  async #runJob(job: Job): Promise<void> {
    const controller = new AbortController();
    job.controller = controller;
    const started = this.#clock.now();
    let outcome: Outcome | undefined;
    try {
      outcome = await this.#check(job, controller);
    } catch (error) {
      this.#logger.error(`Check failed unexpectedly: ${describe(error)}`);
    } finally {
      job.controller = undefined;
      this.#slots.release();
    }
    if (!job.alive || this.#stopping) return;
    try {
      if (outcome) this.#complete(job, outcome);
    } catch (error) {
      this.#logger.error(`Applying a check result failed: ${describe(error)}`);
    }
    this.#firstDone(job);
    const now = this.#clock.now();
    this.#arm(job, nextRun(this.#epoch, job.phase, job.intervalMs, started, now) - now);
  }

  #arm(job: Job, delayMs: number): void {
    job.dueAt = this.#stalls.now() + delayMs;
    job.timer = this.#clock.setTimeout(() => this.#fire(job), delayMs);
  }

  /**
   * The job's timer fired. When its time came while the daemon was stalled, it runs as long
   * after the stall as it was due after the stall began (at most an interval): the checks
   * that fell due in a stall keep their order and spacing instead of all starting at once.
   */
  #fire(job: Job): void {
    job.timer = undefined;
    const stallStart = this.#stalls.observe(job.dueAt);
    if (stallStart !== undefined && job.alive && !this.#stopping) {
      const delay = Math.min(job.dueAt - stallStart, job.intervalMs);
      if (delay >= 1) {
        this.#arm(job, delay);
        return;
      }
    }
    this.#due(job);
  }

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
    this.#emit({
      type: 'check',
      virtual: v,
      real: r,
      up: verdict.up,
      reason,
      kind,
      durationMs: extra.durationMs,
      timedOut: extra.timedOut,
      failcount: m.state.failcount,
      ...(step.transition ? { transition: step.transition } : {}),
    });
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
        this.#logger.error(`Error writing to monitorfile '${file}': ${describe(error)}`);
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
      if ('error' in run) detail = describe(run.error);
      else if (run.spawnError) detail = run.spawnError.message;
      else if (run.timedOut) detail = `timed out after ${this.#fallbackTimeoutMs} ms`;
      else if (run.code === null) detail = `killed by ${run.signal}`;
      else detail = `exit status ${run.code}`;
      const ok = detail === 'exit status 0';
      if (!ok) this.#logger.warn(`system(${line}) failed: ${detail}`, { virtual: entry.vid });
      this.#emit({ type: 'fallback-command', virtual, status, argv, ok, detail });
    });
  }

  // ---- lookups ---------------------------------------------------------------------------

  #membersOf(vid: string, address?: string, port?: number): Member[] {
    const members = this.#entries
      .filter((e) => e.vid === vid)
      .flatMap((e) => e.members)
      .filter((m) => m.live && (address === undefined || m.real.address === address));
    if (port === undefined) return members;
    const exact = members.filter((m) => m.real.port === port);
    return exact.length > 0 ? exact : members;
  }

  #virtualById(vid: string): VirtualService | undefined {
    return (
      this.#entries.find((e) => e.vid === vid)?.virtual ??
      this.#previous?.virtuals.find((v) => virtualId(v) === vid)
    );
  }

  #emit(event: MonitorEvent): void {
    if (!this.#onEvent) return;
    try {
      this.#onEvent(event);
    } catch (error) {
      this.#logger.error(`Event handler failed: ${describe(error)}`);
    }
  }
}

/** A real present in the kernel's table with weight > 0 starts up; `on` always, `off` never. */
export function initiallyUp(
  v: VirtualService,
  r: RealServer,
  mode: CheckMode,
  table: IpvsTable,
): boolean {
  if (mode === 'on') return true;
  if (mode === 'off') return false;
  const service = table.services.find(
    (s) =>
      s.protocol === v.protocol &&
      s.family === v.family &&
      (v.protocol === 'fwm' ? s.fwmark === v.fwmark : s.address === v.address && s.port === v.port),
  );
  if (!service) return false;
  const exact = service.destinations.find((d) => d.address === r.address && d.port === r.port);
  // ipvsadm gives a gate or ipip real of an address:port virtual the virtual's port (§3.9).
  const mapped =
    exact ??
    (v.protocol !== 'fwm' && r.forward !== 'masq'
      ? service.destinations.find((d) => d.address === r.address && d.port === v.port)
      : undefined);
  return mapped !== undefined && mapped.weight > 0;
}

function lastCheck(last: NonNullable<Member['last']>): CheckRecord {
  const { up, reason, kind, atMs, durationMs, timedOut } = last;
  return { up, reason, kind, at: new Date(atMs).toISOString(), durationMs, timedOut };
}

/** The original's debug wording for the check a pass runs. */
function checkLabel(v: VirtualService, kind: CheckKind): string {
  if (v.checktype === 'combined' && kind === 'connect') return 'combined-connect';
  if (v.checktype === 'connect' && kind === 'ping') return 'connect (ping)';
  return kind;
}
