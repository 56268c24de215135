// The resolved configuration: what the daemon runs. Produced by src/config/resolve/ from the
// syntax tree of src/parser; consumed by the monitor, the checkers and the IPVS planner.
// Pure data: no methods, no I/O. Every effective value is filled in (defaults, inheritance
// from the global section and the derived defaults of the original are already applied).

import type { CheckType, Family, Forward, Protocol, Service } from '../model/domain.ts';

// Some files of ipvs, monitor and daemon still import these from here; their home is
// src/model/domain.ts.
export type { DaemonStatus, Family, Forward, Protocol, Service } from '../model/domain.ts';
export { EMAIL_STATUS_BITS } from '../model/domain.ts';

/** Where an effective value came from, for `ldirectord-ts check`. */
export type ValueSource = 'default' | 'global' | 'virtual' | 'real' | 'derived';
export interface Origin {
  source: ValueSource;
  /** Line of the directive that set it; absent for defaults. */
  line?: number;
  /**
   * The directive the value was taken from when that is not the key itself, e.g. the
   * effective checktimeout taken from `negotiatetimeout`, or service derived from `port`.
   */
  from?: string;
}

/** A position in a config file (1-based line and column). */
export interface Position {
  file: string;
  line: number;
  column: number;
}

export interface RealServer {
  /** Numeric address; IPv6 without brackets, canonical lower case. */
  address: string;
  /** 0 when the config gave no port (the original's rule). */
  port: number;
  forward: Forward;
  weight: number;
  /** Per-real request (always with a leading '/') and receive, when both were given. */
  request?: string;
  receive?: string;
  /** `l:N`, passed to ipvsadm as -y. 0 when unset. */
  lowerThreshold: number;
  /** `u:N`, passed to ipvsadm as -x. 0 when unset. */
  upperThreshold: number;
  /** Line of the real=/real6= directive. */
  line: number;
  /** The host as written (hostname, or `a->b` range), for reports. */
  written: string;
}

export interface FallbackServer {
  address: string;
  port: number;
  forward: Forward;
  line: number;
  /**
   * Only on the global fallback: true when it gave no port, so that each virtual service
   * uses its own port (port is 0 here then). A virtual's effective fallback never has it.
   */
  portUnset?: boolean;
}

export interface VirtualService {
  /** Line of the virtual=/virtual6= directive. */
  line: number;
  family: Family;
  protocol: Protocol;
  /** Numeric address; '' for a firewall-mark service. */
  address: string;
  /** 0 for a firewall-mark service. */
  port: number;
  /** 0 unless protocol is 'fwm'. */
  fwmark: number;
  /** The text after `virtual=` as written, for reports. */
  written: string;

  scheduler: string;
  persistent?: number;
  netmask?: string;
  ops: boolean;
  schedflags?: string;

  service: Service;
  checktype: CheckType;
  /** N of `checktype=N` (N connect checks, then one negotiate); 0 otherwise. */
  combinedCount: number;
  checkcommand: string;
  /** Always starts with '/'. */
  request: string;
  receive: string;
  login: string;
  passwd: string;
  database: string;
  secret: string;
  httpmethod: 'GET' | 'HEAD';
  virtualhost?: string;
  checkport?: number;

  /** Effective seconds after the original's fallback chains (§2.8). */
  checktimeout: number;
  negotiatetimeout: number;
  checkcount: number;
  failurecount: number;
  checkinterval: number;

  quiescent: boolean;
  cleanstop: boolean;
  /** Effective fallback: the virtual's own, else the global one for its family and protocol. */
  fallback?: FallbackServer;
  fallbackcommand?: string;

  emailalert: string;
  emailalertfreq: number;
  /** Bit mask of EMAIL_STATUS_BITS. */
  emailalertstatus: number;
  smtp?: string;
  monitorfile?: string;
  servicename?: string;
  comment?: string;

  reals: RealServer[];
  /** Origin of each effective setting above, keyed by directive name. */
  origins: Record<string, Origin>;
}

export interface GlobalConfig {
  /** As written; undefined when unset (the virtuals hold the effective values). */
  checktimeout?: number;
  negotiatetimeout?: number;
  checkinterval: number;
  checkcount: number;
  failurecount: number;
  fallback?: { tcp: FallbackServer; udp: FallbackServer };
  fallback6?: { tcp: FallbackServer; udp: FallbackServer };
  fallbackcommand?: string;
  autoreload: boolean;
  callback?: string;
  /** A path starting with '/', or a syslog facility name. */
  logfile: string;
  execute: string[];
  fork: boolean;
  supervised: boolean;
  quiescent: boolean;
  readdquiescent: boolean;
  emailalert: string;
  emailalertfreq: number;
  emailalertstatus: number;
  emailalertfrom?: string;
  cleanstop: boolean;
  smtp?: string;
  maintenancedir?: string;
  origins: Record<string, Origin>;
}

export interface Config {
  /** Absolute path of the file read. */
  file: string;
  global: GlobalConfig;
  virtuals: VirtualService[];
}
