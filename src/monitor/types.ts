// The Monitor's injected collaborators, its events and its status snapshot.
import type { Checker } from '../checkers/types.ts';
import type { Config, RealServer, Service, VirtualService } from '../config/model.ts';
import type { IpvsBackend, Plan, PlanInput, PlannedCommand, PlanScope } from '../ipvs/types.ts';
import type { RunOptions, RunResult } from '../lib/run-command.ts';
import type { Logger } from '../log/logger.ts';
import type { Clock } from './clock.ts';
import type { MaintenanceLookup } from './maintenance.ts';
import type { FileAppender } from './monitorfile.ts';
import type { CheckKind } from './target.ts';

/** The checks the monitor can run; the daemon wires the real registry of src/checkers. */
export interface CheckerSet {
  /** The negotiate check of a service; undefined when there is none (the check then fails). */
  negotiate(service: Service): Checker | undefined;
  connect: Checker;
  ping: Checker;
  external: Checker;
  externalPerl: Checker;
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
  lastCheck?: CheckRecord;
  /** Its IPVS entry is waiting to be (re)applied. */
  pending: boolean;
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
  reals: RealStatus[];
}

export interface MonitorStatus {
  phase: MonitorPhase;
  virtuals: VirtualStatus[];
  checks: { jobs: number; running: number; queued: number; concurrency: number };
  /** ipvsadm work not yet applied: reals waiting, and whether a full reconciliation is owed. */
  pending: { reals: number; reconcile: boolean };
}
