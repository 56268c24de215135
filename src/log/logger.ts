// The logging interface every part of the daemon writes through. A type only: the daemon
// implements it with pino (file, syslog or terminal); tests record calls. The message is the
// original's wording where it has one, so scripts that grep the log keep working; the fields
// carry the same facts in structured form alongside.

export type LogFields = Record<string, unknown>;

export interface Logger {
  error(message: string, fields?: LogFields): void;
  warn(message: string, fields?: LogFields): void;
  info(message: string, fields?: LogFields): void;
  debug(message: string, fields?: LogFields): void;
  /**
   * Whether debug(..., { level }) would be written; a caller on a hot path skips building the
   * message when not. Absent: assume it would.
   */
  debugEnabled?(level: number): boolean;
}

/** A logger that drops everything, for callers that do not care. */
export const silentLogger: Logger = {
  error() {},
  warn() {},
  info() {},
  debug() {},
};
