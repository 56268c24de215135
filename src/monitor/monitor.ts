// The check engine: decides, for every real of every virtual, whether it is up, as the
// original does (docs/ldirectord-behavior.md §4.5), without letting one slow or hung real delay any
// other check.
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
// - A real with an agent (agentport) is in the table only when both its check and its agent
//   allow it, at the weight the agent gives (src/monitor/agents.ts, agent-state.ts).
// - The operator's overrides (ctl: drain, weight) are kept here by virtual id and real
//   address:port, so they outlast reloads; each member points at its own. The planner decides
//   what they do to the table (src/ipvs/override.ts).
// - The extensions of docs/extensions.md, decided in the pure files and timed here: risecount
//   (src/monitor/state.ts), failinterval and downinterval (the interval after each run,
//   src/monitor/schedule.ts), slowstart (src/monitor/slow-start.ts marks a real that came back
//   for the planner at each step of its weight), minhealthy (the planner keeps the reals; here the
//   alert when a virtual starts or stops holding them).
// Everything that does I/O or tells time is injected (src/monitor/types.ts).
import { checkAgent } from '../checkers/agent.ts';
import type { Checker } from '../checkers/types.ts';
import { realId, realIdText } from '../config/identity.ts';
import type { Config, RealServer, VirtualService } from '../config/model.ts';
import type { ServiceLookup } from '../config/services.ts';
import { takesTraffic, weightInService } from '../ipvs/override.ts';
import type { IpvsTable } from '../ipvs/model.ts';
import { holdsLastKnown, minHealthyNeeded } from '../ipvs/plan.ts';
import { errorMessage } from '../lib/error-message.ts';
import { hostPort } from '../lib/inet.ts';
import { runCommand } from '../lib/run-command.ts';
import { type Logger, silentLogger } from '../log/logger.ts';
import { type AgentState, agentAllows, agentWeight, describeAgent } from './agent-state.ts';
import { agentEndpoint, AgentWatch } from './agents.ts';
import type { RealOverride } from '../model/domain.ts';
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
import {
  describeOverride,
  type OverrideRecord,
  overrideKey,
  overrideKeyOf,
  selectReal,
  selectVirtual,
} from './overrides.ts';
import { sharedIntervalMs } from './schedule.ts';
import { Scheduler } from './scheduler.ts';
import { StallWatch } from './stall.ts';
import { monitorStatus } from './status.ts';
import { SlowStarts } from './slow-start.ts';
import { applyVerdict, kindForPass, nextCombinedCounter } from './state.ts';
import { buildCheckTarget, type CheckKind } from './target.ts';
import type {
  CheckerSet,
  CheckRecord,
  CommandRunner,
  ControlAnswer,
  MonitorEvent,
  MonitorOptions,
  MonitorPhase,
  MonitorStatus,
  RealView,
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
  #agents: AgentWatch;

  #phase: MonitorPhase = 'idle';
  #stopping = false;
  #members: Membership = emptyMembership();
  #lifecycle: Promise<void> = Promise.resolve();
  #failingMonitorFiles = new Set<string>();
  /** monitorfile writes in flight, for stop() to wait for. */
  #writes = new Set<Promise<void>>();
  #namesResolved: Promise<void> = Promise.resolve();
  #maintenanceWaitMs: number;
  #slowStarts: SlowStarts;
  /** The operator's overrides, by overrideKey(); members point at theirs. */
  #overrides = new Map<string, OverrideRecord>();
  #lookupService: ServiceLookup | undefined;

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
    this.#lookupService = options.lookupService;
    for (const record of options.overrides ?? [])
      this.#overrides.set(overrideKey(record.virtual, record.real), record);
    this.#stalls = new StallWatch(this.#clock, (ms) => {
      if (ms >= 1000)
        this.#logger.info(
          `The daemon did not run for ${(ms / 1000).toFixed(1)} s (stopped, paused or stalled): checks do not count that time`,
        );
    });
    this.#slowStarts = new SlowStarts(this.#clock, (m) => this.#sync.markDirty(m));
    this.#sync = new IpvsSync({
      backend: options.backend,
      planner: options.planner,
      clock: this.#clock,
      logger: this.#logger,
      desired: {
        config: () => this.#config,
        isUp: (v, r) => {
          const m = this.#members.byVirtual.get(v)?.get(r);
          return m !== undefined && this.#inTable(m);
        },
        weight: (v, r) => agentWeight(this.#agentOf(v, r), r.weight),
        slowStartWeight: (v, r, full) => this.#slowStartWeightOf(v, r, full),
        override: (v, r) =>
          this.#overrides.size === 0
            ? undefined
            : this.#members.byVirtual.get(v)?.get(r)?.override?.override,
      },
      applied: (command, scope) => this.#emit({ type: 'ipvs', scope, command }),
      sent: (outcome) => this.#emit({ type: 'ipvs-apply', ...outcome }),
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
      intervalMs: (job) =>
        sharedIntervalMs(
          job.members.filter((m) => m.live),
          job.intervalMs,
        ),
    });
    this.#agents = new AgentWatch({
      clock: this.#clock,
      stalls: this.#stalls,
      logger: this.#logger,
      checker: options.checkers.agent ?? checkAgent,
      concurrency: options.concurrency ?? 1000,
      changed: (endpoint, before, after) => this.#agentChanged(endpoint, before, after),
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
      this.#agents.begin();
      let table: IpvsTable;
      try {
        table = await this.#sync.readTable();
      } catch (error) {
        this.#phase = 'idle';
        throw error;
      }
      const { fresh, agents } = this.#build(this.#config, table);
      await this.#sync.reconcile({ kind: 'start' });
      await this.#launch(fresh, [], agents);
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
      const { fresh, grown, agents } = this.#build(config, this.#sync.table);
      await this.#sync.reconcile({ kind: 'reload', previous });
      for (const job of grown) this.#scheduler.runSoon(job);
      await this.#launch(fresh, grown, agents);
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
    this.#agents.stop();
    this.#slowStarts.stop();
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
      inTable: (m) => this.#inTable(m),
      slowStartWeight: (m) =>
        this.#slowStartWeightOf(
          m.virtual,
          m.real,
          weightInService(
            agentWeight(this.#agentOf(m.virtual, m.real), m.real.weight),
            m.override?.override,
          ),
        ),
      agent: (m) => {
        const endpoint = agentEndpoint(m.virtual, m.real);
        const state = this.#agents.state(endpoint);
        if (endpoint === undefined || state === undefined) return undefined;
        return {
          endpoint,
          state: describeAgent(state),
          allows: agentAllows(state),
          weight: agentWeight(state, m.real.weight),
          ...(state.reply !== undefined ? { reply: state.reply } : {}),
          ...(state.at !== undefined ? { at: new Date(state.at).toISOString() } : {}),
          ...(state.error !== undefined ? { error: state.error } : {}),
        };
      },
      pending: this.#sync.pendingSummary(),
    });
  }

  /** The overrides in force, for the daemon to store. */
  overrides(): OverrideRecord[] {
    return [...this.#overrides.values()];
  }

  /**
   * Drain a real, give it another weight, or (undefined) hand it back to its checks. Answers
   * once the IPVS table follows (a command that failed is retried as usual and shows as
   * pending); an unknown virtual or real is an error that changes nothing.
   */
  setOverride(
    virtualText: string,
    realText: string,
    override: RealOverride | undefined,
  ): Promise<ControlAnswer> {
    let answer: ControlAnswer = { ok: false, error: 'the daemon is stopping' };
    return this.#serially(async () => {
      if (this.#phase !== 'running') {
        if (this.#phase !== 'stopping' && this.#phase !== 'stopped')
          answer = { ok: false, error: `the daemon is ${this.#phase}` };
        return;
      }
      const selection = selectReal(this.#config, virtualText, realText, this.#lookupService);
      if (!selection.ok) {
        answer = selection;
        return;
      }
      const key = overrideKey(selection.virtual, selection.real);
      const previous = this.#overrides.get(key);
      const changed = !sameOverride(previous?.override, override);
      const record: OverrideRecord | undefined =
        override === undefined
          ? undefined
          : changed || !previous
            ? {
                virtual: selection.virtual,
                real: selection.real,
                override,
                sinceMs: this.#clock.now(),
              }
            : previous;
      if (record) this.#overrides.set(key, record);
      else this.#overrides.delete(key);
      const where = `${selection.real} (${selection.virtual})`;
      const members = selection.pairs
        .map(({ virtual, real }) => this.#members.byVirtual.get(virtual)?.get(real))
        .filter((m) => m !== undefined);
      for (const m of members) {
        m.override = record;
        if (changed) this.#sync.markDirty(m);
      }
      let message: string;
      if (!changed) {
        message = override
          ? `Real server ${where} is ${describeOverride(override)} already: nothing changed`
          : `Real server ${where} has no override: nothing changed`;
        this.#logger.info(message);
      } else {
        const configured = members[0]?.real.weight;
        message =
          override === undefined
            ? `Enabled real server: ${where} by ctl: its checks decide again (was ${describeOverride(previous!.override)})`
            : override.kind === 'drain'
              ? `Drained real server: ${where} by ctl: weight 0 until enable`
              : `Set weight of real server: ${where} by ctl: ${override.weight} until enable (configured ${configured})`;
        this.#logger.info(message, {
          virtual: selection.virtual,
          real: selection.real,
          override: override ?? null,
        });
        this.#emit({
          type: 'override',
          virtual: selection.virtual,
          real: selection.real,
          override,
          cause: 'ctl',
        });
        for (const entry of new Set(members.map((m) => m.entry))) this.#decideVirtual(entry);
        await this.#sync.flushNow();
      }
      answer = { ok: true, message, reals: this.#views(selection.virtual, selection.real) };
    }).then(() => answer);
  }

  /**
   * The reals a ctl `show` asks for: one real of a virtual, every real of a virtual, or (with
   * neither) every real that has an override.
   */
  show(virtualText?: string, realText?: string): ControlAnswer {
    if (virtualText === undefined) {
      const reals = this.#views(undefined, undefined).filter((view) => view.real.override);
      const message =
        reals.length === 0 ? 'No real server has an override' : `${reals.length} override(s)`;
      return { ok: true, message, reals };
    }
    if (realText === undefined) {
      const virtual = selectVirtual(this.#config, virtualText);
      if (!virtual.ok) return virtual;
      return { ok: true, message: virtual.id, reals: this.#views(virtual.id, undefined) };
    }
    const selection = selectReal(this.#config, virtualText, realText, this.#lookupService);
    if (!selection.ok) return selection;
    const where = `${selection.real} (${selection.virtual})`;
    return { ok: true, message: where, reals: this.#views(selection.virtual, selection.real) };
  }

  #views(virtual: string | undefined, real: string | undefined): RealView[] {
    const views: RealView[] = [];
    for (const v of this.status().virtuals) {
      if (virtual !== undefined && v.id !== virtual) continue;
      for (const r of v.reals)
        if (real === undefined || hostPort(r.address, r.port) === real)
          views.push({ virtual: v.id, real: r });
    }
    return views;
  }

  // ---- lifecycle -------------------------------------------------------------------------

  #serially(work: () => Promise<void>): Promise<void> {
    const run = this.#lifecycle.then(work);
    this.#lifecycle = run.catch(() => {});
    return run;
  }

  /**
   * Start the first checks of these jobs and the first queries of these agents, wait for them,
   * and apply what they changed.
   */
  async #launch(
    fresh: Job[],
    others: Job[],
    agents: Parameters<AgentWatch['launch']>[0],
  ): Promise<void> {
    await this.#waitForNames();
    const queried = this.#agents.launch(agents);
    for (const job of fresh) this.#scheduler.due(job);
    for (const entry of this.#members.entries) this.#decideVirtual(entry);
    await Promise.all([...[...fresh, ...others].map((job) => job.first?.promise), queried]);
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
  #build(
    config: Config,
    table: IpvsTable,
  ): { fresh: Job[]; grown: Job[]; agents: ReturnType<AgentWatch['update']> } {
    const change = nextMembership(this.#members, config, table);
    for (const entry of change.entries) {
      entry.command = this.#fallbackCommandOf(entry.virtual, config, entry.vid);
    }
    for (const job of change.retired) this.#scheduler.kill(job);
    const { entries, byVirtual, jobs } = change;
    this.#members = { entries, byVirtual, jobs };
    this.#attachOverrides();
    this.#namesResolved = this.#maintenance.prepare(
      config.global.maintenancedir,
      config.virtuals.flatMap((v) => v.reals.map((r) => r.address)),
    );
    return { fresh: change.fresh, grown: change.grown, agents: this.#agents.update(config) };
  }

  /**
   * Point each member at its override; drop (and say so) the overrides of reals the config no
   * longer has, so that a real added again later starts from its checks.
   */
  #attachOverrides(): void {
    const used = new Set<string>();
    for (const entry of this.#members.entries) {
      for (const m of entry.members) {
        if (this.#overrides.size === 0) {
          m.override = undefined;
          continue;
        }
        const key = overrideKeyOf(entry.vid, m.real);
        m.override = this.#overrides.get(key);
        if (m.override) used.add(key);
      }
    }
    for (const [key, record] of this.#overrides) {
      if (used.has(key)) continue;
      this.#overrides.delete(key);
      this.#logger.warn(
        `Dropped override of real server: ${record.real} (${record.virtual}): ${describeOverride(record.override)}, but the configuration has no such real any more`,
        { virtual: record.virtual, real: record.real },
      );
      const { virtual, real } = record;
      this.#emit({ type: 'override', virtual, real, override: undefined, cause: 'config' });
    }
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
          // Every check result is written, ping-down and external-perl included
          // (docs/ldirectord-behavior.md §6 item 30); checktype=on runs no check and writes
          // nothing, as the original.
          logToFile: kind !== 'on',
        });
      } else continue;
      m.awaitingFirst = false;
      touched.add(m.entry);
    }
    if (result && kind) job.counter = nextCombinedCounter(job.counter, kind, result.up);
    for (const entry of touched) this.#decideVirtual(entry);
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
    const first = m.awaitingFirst;
    const step = applyVerdict(m.state, { ...verdict, first }, v.failurecount, v.risecount);
    for (const note of step.notes) {
      const where = this.#text(m).where;
      switch (note.kind) {
        case 'reset':
          this.#logger.info(`Resetting soft failure count: ${where}`);
          break;
        case 'soft-failure':
          this.#logger.info(
            `Soft failure real server: ${where} failure ${note.failcount}/${note.failurecount}`,
            { reason },
          );
          break;
        case 'rising':
          this.#logger.info(`Rising real server: ${where} success ${note.rise}/${note.risecount}`);
          break;
        case 'rise-reset':
          this.#logger.info(
            `Resetting rise count: ${where} after success ${note.rise}/${note.risecount}`,
            { reason },
          );
          break;
      }
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
      // slowstart ramps a real that comes back, not one the first check finds up.
      if (step.transition === 'up' && !first && v.slowstart > 0 && this.#inTable(m))
        this.#slowStarts.start(m);
      else this.#slowStarts.end(m);
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

  /** The weight of a real in its slow start, on its way to `full`; else undefined. */
  #slowStartWeightOf(v: VirtualService, r: RealServer, full: number): number | undefined {
    const m = this.#members.byVirtual.get(v)?.get(r);
    return m?.slowStart ? this.#slowStarts.weight(m, full) : undefined;
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

  /** What a virtual does once its reals changed: fallbackcommand, then the minhealthy alert. */
  #decideVirtual(entry: VirtualEntry): void {
    this.#decideFallback(entry);
    this.#decideMinHealthy(entry);
  }

  /**
   * minhealthy: say when a virtual starts keeping its last-known set in the table (fewer reals
   * up than it needs) and when it stops; the planner does the keeping. Once every real has
   * had its first check, as fallbackcommand.
   */
  #decideMinHealthy(entry: VirtualEntry): void {
    if (this.#stopping || !entry.settled) return;
    const v = entry.virtual;
    const total = entry.members.length;
    const needed = minHealthyNeeded(v, total);
    const up = entry.members.filter((m) =>
      takesTraffic(this.#inTable(m), m.override?.override),
    ).length;
    const holding = needed > 0 && holdsLastKnown(v, up, total);
    if (holding === entry.holding) return;
    entry.holding = holding;
    // A reload that turned minhealthy off ends a hold without news about the reals.
    if (needed === 0) return;
    const counts = `${entry.vid} has ${up} of ${total} real servers up, minhealthy needs ${needed}`;
    const message = holding
      ? `Too few real servers up: ${counts}: keeping the real servers in the IPVS table`
      : `Enough real servers up again: ${counts}: real servers that are down leave the IPVS table`;
    if (holding) this.#logger.warn(message, { virtual: entry.vid });
    else this.#logger.info(message, { virtual: entry.vid });
    this.#emit({ type: 'minhealthy', virtual: v, holding, up, total, needed, message });
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
    const status = entry.members.some((m) => takesTraffic(this.#inTable(m), m.override?.override))
      ? 'stop'
      : 'start';
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

  // ---- agents ----------------------------------------------------------------------------

  #agentOf(v: VirtualService, r: RealServer): AgentState | undefined {
    return v.agentport === undefined ? undefined : this.#agents.state(agentEndpoint(v, r));
  }

  /** In the table: its check passes and its agent (if any) allows it. */
  #inTable(m: Member): boolean {
    return m.state.up && agentAllows(this.#agentOf(m.virtual, m.real));
  }

  /** An agent changed what it allows or the weight it gives: the reals it serves follow. */
  #agentChanged(endpoint: string, before: AgentState, after: AgentState): void {
    const touched = new Set<VirtualEntry>();
    for (const entry of this.#members.entries) {
      if (entry.virtual.agentport === undefined) continue;
      for (const m of entry.members) {
        if (!m.live || agentEndpoint(m.virtual, m.real) !== endpoint) continue;
        const was = m.state.up && agentAllows(before);
        const now = m.state.up && agentAllows(after);
        const weight = m.real.weight;
        if (was !== now || (now && agentWeight(before, weight) !== agentWeight(after, weight)))
          this.#sync.markDirty(m);
        if (was === now) continue;
        // Back in the table by its agent's word: a comeback, as after a check.
        if (now && m.virtual.slowstart > 0) this.#slowStarts.start(m);
        else this.#slowStarts.end(m);
        const reason = `agent: ${after.reply ?? ''}`;
        this.#emit({ type: 'real', virtual: m.virtual, real: m.real, up: now, reason });
        touched.add(entry);
      }
    }
    for (const entry of touched) this.#decideVirtual(entry);
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

function sameOverride(a: RealOverride | undefined, b: RealOverride | undefined): boolean {
  if (a === undefined || b === undefined) return a === b;
  return a.kind === b.kind && (a.kind === 'drain' || a.weight === (b as typeof a).weight);
}

/** The original's debug wording for the check a pass runs. */
function checkLabel(v: VirtualService, kind: CheckKind): string {
  if (v.checktype === 'combined' && kind === 'connect') return 'combined-connect';
  if (v.checktype === 'connect' && kind === 'ping') return 'connect (ping)';
  return kind;
}
