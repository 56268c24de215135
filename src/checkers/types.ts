// The one interface every checker implements. A checker is a function of a target and an
// AbortSignal; the scheduler (src/monitor) owns the deadline and aborts the signal when it
// passes. On abort a checker must release its socket or child process at once.
import type { Family, Protocol, Service } from '../model/domain.ts';

export interface CheckTarget {
  service: Service;
  /** The virtual service's protocol: selects TCP or UDP for dns, sip, simpletcp. */
  protocol: Protocol;
  family: Family;
  /** The real server's address (numeric; IPv6 bare). */
  host: string;
  /** The check port (ld_checkport: checkport, else the real's port, else the service's port). */
  port: number;
  /** The real's configured port (may be 0), for external checks. */
  realPort: number;
  /** The virtual address ('' for fwmark) and port (0 for fwmark), for external checks. */
  virtualAddress: string;
  virtualPort: number;
  fwmark: number;
  /** Effective request (starts with '/') and receive: the real's own, else the virtual's. */
  request: string;
  receive: string;
  login: string;
  passwd: string;
  database: string;
  secret: string;
  virtualhost?: string;
  httpmethod: 'GET' | 'HEAD';
  checkcommand: string;
  /** The deadline the scheduler applies, in milliseconds; for library-level timeouts. */
  timeoutMs: number;
  /** Ping attempts (the deprecated checkcount). */
  checkcount: number;
}

export interface CheckResult {
  up: boolean;
  /**
   * One line saying why, in the original's words where it has them: '200 OK', 'Success',
   * 'Connection refused', 'timeout', the body that did not match...
   */
  reason: string;
}

/** A check of one real; `T` is what it reads of the target (the whole of it by default). */
export type Checker<T = CheckTarget> = (target: T, signal: AbortSignal) => Promise<CheckResult>;

/**
 * What no negotiate check reads: the real's own port (they dial the check port), the virtual
 * it is behind, and what only the external and ping checks use. The monitor runs one check
 * for reals whose targets agree on everything else (monitor/target.ts checkKey), so a field
 * added to CheckTarget keeps their checks apart unless it is listed here.
 */
export const NEGOTIATE_IGNORES = [
  'realPort',
  'virtualAddress',
  'virtualPort',
  'fwmark',
  'checkcommand',
  'checkcount',
] as const satisfies readonly (keyof CheckTarget)[];
export type NegotiateTarget = Omit<CheckTarget, (typeof NEGOTIATE_IGNORES)[number]>;

/**
 * How a service's negotiate check reads receive=:
 * - 'regex': a Perl regular expression the answer must match (compiled when the config is read);
 * - 'rows': not at all: the check is up when the query returns a row (the SQL services);
 * - 'unused': not at all.
 */
export type ReceiveUse = 'regex' | 'rows' | 'unused';

/**
 * What a service is, for the config and the monitor: its negotiate check and the facts the
 * original ties to the service. Each checker file holds the descriptors of its services;
 * index.ts gathers them.
 */
export interface ServiceDescriptor {
  /** The negotiate check (checktype=negotiate, and the negotiate turn of checktype=N). */
  check: Checker<NegotiateTarget>;
  /**
   * The well-known port (ld_service_to_port, ld_port_to_service): the check port of a real
   * given without one, and the service a virtual on this port negotiates. None for none and
   * simpletcp.
   */
  port?: number;
  receive: ReceiveUse;
  /** The check is an HTTP request: virtualhost sets its Host header. */
  virtualhost?: boolean;
  /** The check is an HTTP request: httpmethod (GET or HEAD) is its method. */
  httpmethod?: boolean;
  /**
   * login= and passwd= as service= sets them when they were not given before it (the
   * original's ftp and sip defaults); `hostname` is the director's.
   */
  defaults?: (hostname: string) => { login?: string; passwd?: string };
}

/** The descriptors one checker file holds, by service. */
export type ServiceDescriptors = Partial<Record<Service, ServiceDescriptor>>;
