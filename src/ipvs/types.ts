// The contract between the monitor and the IPVS layer: the monitor says which reals are up,
// the planner turns that into ipvsadm commands in the original's forms, a backend applies them.
import type { Config, RealServer, VirtualService } from '../config/model.ts';
import type { IpvsTable } from './model.ts';

export type PlanScope =
  /** §3.5 reconciliation at start-up. */
  | { kind: 'start' }
  /** §3.5, plus removal of the virtuals that left the config (§6 item 32). */
  | { kind: 'reload'; previous: Config }
  /**
   * Bring exactly these reals to their current state (transitions, or retries of failed
   * commands), then the fallback of their virtuals; touch nothing else.
   */
  | { kind: 'entries'; reals: RealPair[] }
  /** §3.8, honouring each virtual's cleanstop. */
  | { kind: 'stop' };

export interface PlanInput {
  config: Config;
  /** The table as last read from the kernel. */
  actual: IpvsTable;
  /** The monitor's state of a real in a virtual. */
  isUp(virtual: VirtualService, real: RealServer): boolean;
  scope: PlanScope;
}

export type PlanEvent =
  | 'virtual-added'
  | 'virtual-changed'
  | 'virtual-purged'
  | 'added'
  | 'restored'
  | 'quiescent'
  | 'readd-quiescent'
  | 'deleted'
  | 'purged';

/** A real of a virtual in the config: what the monitor keeps a state for. */
export interface RealPair {
  virtual: VirtualService;
  real: RealServer;
}

export interface PlannedCommand {
  /** Arguments without the program name, in the original's form and order. */
  args: string[];
  /** The arguments joined by spaces: one `ipvsadm -R` line. */
  line: string;
  /** The original's log line, e.g. 'Added real server: 127.0.0.2:8080 (10.1.1.1:80) (Weight set to 1)'. */
  message: string;
  /**
   * The subject of the e-mail alert the original sends for it (§5.3): commands on reals and
   * fallbacks only. It differs from the log line for a re-added quiescent real.
   */
  alert?: string;
  event: PlanEvent;
  /** The virtual concerned (of the previous config for a virtual a reload removes). */
  virtual: VirtualService;
  /** virtualId() of that virtual. */
  virtualId: string;
  /** serviceKey() of the service the command changes. */
  service: string;
  /**
   * destinationKey() of the destination it changes, at the port the kernel gives it; absent
   * for a command on the service itself.
   */
  destination?: string;
  /** The real or fallback server the command adds, changes or removes, as configured. */
  target?: { kind: 'real' | 'fallback'; address: string; port: number };
  /**
   * The reals whose state the command carries out: every real of the virtual the kernel holds
   * at that entry (reals on other ports share a gatewaying entry), or for the fallback every
   * real of its virtual, which it stands in for. Empty for commands on a service and for
   * purges of entries the config does not name.
   */
  serves: RealPair[];
}

export interface Plan {
  commands: PlannedCommand[];
  /** The table expected once every command has succeeded. */
  expected: IpvsTable;
}

export interface ApplyResult {
  /** The table as read back after applying. */
  table: IpvsTable;
  /** Commands that did not take effect, with ipvsadm's own message. */
  failed: Array<{ command: PlannedCommand; message: string }>;
  /** ipvsadm processes started. */
  processes: number;
}

export interface IpvsBackend {
  read(): Promise<IpvsTable>;
  apply(plan: Plan): Promise<ApplyResult>;
}
