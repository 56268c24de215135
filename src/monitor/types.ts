// The Monitor's injected collaborators, its events and its status snapshot.
import type { AgentTarget } from '../checkers/agent.ts';
import type { Checker } from '../checkers/types.ts';
import type { Config, RealServer, Service, VirtualService } from '../config/model.ts';
import type { ServiceLookup } from '../config/services.ts';
import type { IpvsBackend, Plan, PlanInput, PlannedCommand, PlanScope } from '../ipvs/types.ts';
import type { RunOptions, RunResult } from '../lib/run-command.ts';
import type { Logger } from '../log/logger.ts';
import type { RealOverride } from '../model/domain.ts';
import type { Clock } from './clock.ts';
import type { MaintenanceLookup } from './maintenance.ts';
import type { FileAppender } from './monitorfile.ts';
import type { OverrideRecord } from './overrides.ts';
import type { CheckKind } from './target.ts';

/** The checks the monitor can run; the daemon wires the real registry of src/checkers. */
export interface CheckerSet {
  /** The negotiate check of a service; undefined when there is none (the check then fails). */
  negotiate(service: Service): Checker | undefined;
  connect: Checker;
  ping: Checker;
  external: Checker;
  externalPerl: Checker;
  /** The agent query of agentport; src/checkers/agent.ts when absent. */
  agent?: Checker<AgentTarget>;
}

export type Planner = (input: PlanInput) => Plan;

export type CommandRunner = (
  file: string,
  args: readonly string[],
  options: RunOptions,
) => Promise<RunResult>;

export type MonitorEvent =
  /**
   * An ipvsadm command that took effect (failed ones are logged and retried, not sent); the
   * command names its virtual, entry and reals.
   */
  | { type: 'ipvs'; scope: PlanScope['kind']; command: PlannedCommand }
  /** A real changed state in a virtual (before the IPVS table follows). */
  | { type: 'real'; virtual: VirtualService; real: RealServer; up: boolean; reason: string }
  /**
   * A check's verdict reached a (virtual, real) pair: every check, not only transitions, for
   * the views that count and time them (src/observe). `transition` is set when it changed the
   * real's state; `failcount` is the pair's consecutive failures after it.
   */
  | {
      type: 'check';
      virtual: VirtualService;
      real: RealServer;
      up: boolean;
      reason: string;
      kind: CheckRecord['kind'];
      durationMs: number;
      timedOut: boolean;
      failcount: number;
      transition?: 'up' | 'down';
    }
  /**
   * One plan sent to the backend (src/monitor/ipvs-sync.ts): how many commands, how many
   * ipvsadm processes ran, the commands the read-back table shows did not take effect, or the
   * error when the apply (or the table read before it) failed as a whole.
   */
  | {
      type: 'ipvs-apply';
      scope: PlanScope['kind'];
      commands: number;
      processes: number;
      failed: Array<{ line: string; message: string }>;
      error?: string;
    }
  /**
   * minhealthy: the virtual started (holding) or stopped keeping its last-known set in the
   * table; `message` is what was logged.
   */
  | {
      type: 'minhealthy';
      virtual: VirtualService;
      holding: boolean;
      up: number;
      total: number;
      needed: number;
      message: string;
    }
  /**
   * An operator's override of a real was set, changed or cleared (`ctl`), or dropped because
   * the config no longer has that real. `overrides()` then has the full set to store.
   */
  | {
      type: 'override';
      /** virtualId() and address:port of the real. */
      virtual: string;
      real: string;
      override: RealOverride | undefined;
      cause: 'ctl' | 'config';
    }
  /** fallbackcommand ran. */
  | {
      type: 'fallback-command';
      virtual: VirtualService;
      status: 'start' | 'stop';
      argv: string[];
      ok: boolean;
      detail: string;
    };

export interface MonitorOptions {
  config: Config;
  backend: IpvsBackend;
  planner: Planner;
  checkers: CheckerSet;
  clock?: Clock;
  logger?: Logger;
  /** Called synchronously for every event; exceptions are logged and ignored. */
  onEvent?: (event: MonitorEvent) => void;
  /** Runs fallbackcommand; src/lib/run-command.ts by default. */
  runCommand?: CommandRunner;
  /** Appends monitorfile lines; per-file ordered appendFile by default. */
  appendFile?: FileAppender;
  /** maintenancedir lookups; reverse names resolved in the background by default. */
  maintenance?: MaintenanceLookup;
  /**
   * How long the first checks after a start or reload wait for the reverse names of
   * maintenancedir (resolved in the background, once per config). Default 3 s.
   */
  maintenanceNamesWaitMs?: number;
  /** Checks running at once. Default 1000. */
  concurrency?: number;
  /** Transitions within this window go to IPVS as one plan. Default 100 ms. */
  coalesceMs?: number;
  /** Delay before failed ipvsadm commands are retried, doubling up to retryMaxMs. Default 1 s. */
  retryInitialMs?: number;
  /** Default 30 s. */
  retryMaxMs?: number;
  /** Deadline of one fallbackcommand run. Default 30 s. */
  fallbackCommandTimeoutMs?: number;
  /** The pid written into monitorfile lines. Default process.pid. */
  pid?: number;
  /** Overrides in force from the start (the daemon's state file); dropped when not configured. */
  overrides?: readonly OverrideRecord[];
  /** Reads a port a ctl request writes as a service name; without it only numbers are ports. */
  lookupService?: ServiceLookup;
}

export type MonitorPhase = 'idle' | 'starting' | 'running' | 'reloading' | 'stopping' | 'stopped';

export interface CheckRecord {
  up: boolean;
  reason: string;
  /** The check that ran, or 'maintenance' when a maintenance file forced the real down. */
  kind: CheckKind | 'maintenance';
  /** ISO 8601. */
  at: string;
  durationMs: number;
  timedOut: boolean;
}

export interface RealStatus {
  address: string;
  port: number;
  weight: number;
  forward: string;
  up: boolean;
  failcount: number;
  failurecount: number;
  /** The maintenance file that forces it down, if any. */
  maintenance?: string;
  /** With risecount above 1: the passes so far of a real that is out. */
  rise?: number;
  risecount?: number;
  /** Its weight now, while it ramps up after coming back (slowstart). */
  slowStartWeight?: number;
  /** What its agent (agentport) said, when it has one. */
  agent?: AgentStatus;
  /**
   * The operator's override (ctl) and when it was set (ISO 8601): drained (in the table at
   * weight 0 whatever `up` says), or another weight than `weight` while up. The metrics read it
   * from here.
   */
  override?: RealOverride & { since: string };
  /** It takes new connections: up and not drained. */
  serving: boolean;
  lastCheck?: CheckRecord;
  /** Its IPVS entry is waiting to be (re)applied. */
  pending: boolean;
}

export interface AgentStatus {
  /** address:agentport. */
  endpoint: string;
  /** In words: "ready", "drain, weight 50%", "down (failed: disk full)". */
  state: string;
  /** The agent lets the real be in the table (its check must pass too). */
  allows: boolean;
  /** The weight the table gets while the real is in. */
  weight: number;
  /** The last reply, and when (ISO 8601). */
  reply?: string;
  at?: string;
  /** Why the last query got no reply. */
  error?: string;
}

export interface VirtualStatus {
  id: string;
  checktype: string;
  service: string;
  checkinterval: number;
  fallback?: string;
  /** The fallback server is wanted in the table: no real is up. */
  fallbackActive: boolean;
  /** The last fallbackcommand status run (or decided, without a command). */
  fallbackCommand?: 'start' | 'stop';
  /**
   * With minhealthy: the reals it needs up, and whether it keeps its last-known set in the
   * table because fewer are.
   */
  minhealthy?: { needed: number; holding: boolean };
  reals: RealStatus[];
}

export interface MonitorStatus {
  phase: MonitorPhase;
  virtuals: VirtualStatus[];
  checks: { jobs: number; running: number; queued: number; concurrency: number };
  /** ipvsadm work not yet applied: reals waiting, and whether a full reconciliation is owed. */
  pending: { reals: number; reconcile: boolean };
}

/** One real of one virtual, as ctl shows it. */
export interface RealView {
  /** virtualId() of its virtual. */
  virtual: string;
  real: RealStatus;
}

/** What the monitor answers a ctl request. */
export type ControlAnswer =
  { ok: true; message: string; reals: RealView[] } | { ok: false; error: string };
