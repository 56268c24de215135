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
  | { kind: 'entries'; reals: Array<{ virtual: VirtualService; real: RealServer }> }
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

export interface PlannedCommand {
  /** Arguments without the program name, in the original's form and order. */
  args: string[];
  /** The arguments joined by spaces: one `ipvsadm -R` line. */
  line: string;
  /** The original's log line, e.g. 'Added real server: 127.0.0.2:8080 (10.1.1.1:80) (Weight set to 1)'. */
  message: string;
  event: PlanEvent;
  /** virtualId() of the virtual concerned. */
  virtualId: string;
  target?: { kind: 'real' | 'fallback'; address: string; port: number };
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
