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

export type Checker = (target: CheckTarget, signal: AbortSignal) => Promise<CheckResult>;
