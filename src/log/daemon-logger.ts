// The daemon's logger: pino for levels, structured fields and JSON output; the text formats
// are the original's (docs/ldirectord-behavior.md §1.7), because operators' scripts grep them:
//   -d           stderr   `<msg>` (debug lines `DEBUG<n>: <msg>`)
//   supervised   stdout   `[<ctime>] <msg>`
//   logfile=/x   file     `[<ctime>|<CFGNAME>|<pid>] <msg>`
//   logfile=fac  syslog   `<msg>` with ident ldirectord[pid], priority info
// With json: true every destination gets pino's JSON lines instead (message plus fields).
// Every line passes the SecretScrubber first.
import { pino } from 'pino';
import { ctime } from './ctime.ts';
import { printable } from '../lib/printable.ts';
import { SecretScrubber } from '../lib/secrets.ts';
import { FileSink, type LineSink, StreamSink, SyslogSink } from './sinks.ts';

export type LogTarget =
  | { kind: 'debug' }
  | { kind: 'supervised' }
  | { kind: 'file'; path: string }
  | { kind: 'syslog'; facility: string };

/**
 * The original's destination rule (docs/ldirectord-behavior.md §1.7): -d, then supervised, then the
 * logfile value.
 */
export function logTargetFor(options: {
  debug: boolean;
  supervised: boolean;
  logfile: string;
}): LogTarget {
  if (options.debug) return { kind: 'debug' };
  if (options.supervised) return { kind: 'supervised' };
  if (options.logfile.startsWith('/')) return { kind: 'file', path: options.logfile };
  return { kind: 'syslog', facility: options.logfile };
}

export type LogFields = Record<string, unknown>;

export interface DaemonLoggerOptions {
  target: LogTarget;
  /** The argv basename of the config (`ldirectord.cf`), shown in file lines. */
  cfgname: string;
  json?: boolean;
  /** 0 normally; 3 with -d (debug lines up to DEBUG3 are shown). */
  debugLevel?: number;
  scrubber?: SecretScrubber;
  stdout?: NodeJS.WritableStream;
  stderr?: NodeJS.WritableStream;
  /** Overrides /dev/log for the syslog sink. */
  syslogSocket?: string;
  now?: () => Date;
  pid?: number;
}

interface PinoRecord {
  level: number;
  msg: string;
  time: number;
  debugLevel?: number;
  pid?: number;
  config?: string;
}

const PINO_DEBUG = 20;
const PINO_WARN = 40;
/** The longest message written in the text formats; longer ones are cut (with a note). */
const MAX_MESSAGE = 16 * 1024;

export class DaemonLogger {
  readonly scrubber: SecretScrubber;
  private target: LogTarget;
  private sink: LineSink;
  private readonly options: DaemonLoggerOptions;
  private readonly pino: pino.Logger;
  /** Lines the sink could not take since the last one it took, and why the first failed. */
  private lost = 0;
  private lostBecause = '';

  constructor(options: DaemonLoggerOptions) {
    this.options = options;
    this.scrubber = options.scrubber ?? new SecretScrubber();
    this.target = options.target;
    this.sink = this.makeSink(options.target);
    const pid = options.pid ?? process.pid;
    this.pino = pino(
      {
        level: (options.debugLevel ?? 0) > 0 ? 'debug' : 'info',
        base: { pid, config: options.cfgname },
        timestamp: () => `,"time":${(options.now?.() ?? new Date()).getTime()}`,
      },
      { write: (line: string) => this.emit(line) },
    );
  }

  info(message: string, fields?: LogFields): void {
    this.pino.info(fields ?? {}, message);
  }

  warn(message: string, fields?: LogFields): void {
    this.pino.warn(fields ?? {}, message);
  }

  error(message: string, fields?: LogFields): void {
    this.pino.error(fields ?? {}, message);
  }

  debugEnabled(level: number): boolean {
    return level <= (this.options.debugLevel ?? 0);
  }

  /** Shown only when the debug level (-d: 3) is at least `level`, as `DEBUG<level>: <msg>`. */
  debug(message: string, fields?: LogFields & { level?: number }): void {
    const level = fields?.level ?? 2;
    if (level > (this.options.debugLevel ?? 0)) return;
    this.pino.debug({ ...fields, debugLevel: level }, message);
  }

  /** A new destination (a reload changed logfile). Lines already written stay where they are. */
  setTarget(target: LogTarget): void {
    if (JSON.stringify(target) === JSON.stringify(this.target)) return;
    const old = this.sink;
    this.target = target;
    this.sink = this.makeSink(target);
    void old.close();
  }

  /** SIGHUP: reopen the log file (log rotation). */
  reopen(): void {
    this.sink.reopen();
  }

  async close(): Promise<void> {
    await this.sink.close();
  }

  private makeSink(target: LogTarget): LineSink {
    const stderr = this.options.stderr ?? process.stderr;
    switch (target.kind) {
      case 'debug':
        return new StreamSink(stderr);
      case 'supervised':
        return new StreamSink(this.options.stdout ?? process.stdout);
      case 'file': {
        const sink = new FileSink(target.path, {
          onError: (e) =>
            stderr.write(`ldirectord-ts: cannot write ${target.path}: ${e.message}\n`),
        });
        return sink;
      }
      case 'syslog':
        return new SyslogSink(target.facility, {
          socket: this.options.syslogSocket,
          pid: this.options.pid,
        });
    }
  }

  private emit(jsonLine: string): void {
    const line = jsonLine.endsWith('\n') ? jsonLine.slice(0, -1) : jsonLine;
    this.deliver(this.format(JSON.parse(line) as PinoRecord));
  }

  /**
   * Writes a finished line. Lines the sink cannot take (a full disk) are counted; the first
   * line that goes through again is preceded by one saying how many were lost and why.
   */
  private deliver(line: string): void {
    if (this.lost > 0) {
      const notice = this.format({
        level: PINO_WARN,
        time: (this.options.now?.() ?? new Date()).getTime(),
        msg: `${this.lost} log line${this.lost === 1 ? '' : 's'} lost: the log could not be written (${this.lostBecause})`,
        pid: this.options.pid ?? process.pid,
        config: this.options.cfgname,
      });
      if (!this.sink.write(notice)) {
        this.lost++;
        return;
      }
      this.lost = 0;
    }
    if (!this.sink.write(line)) {
      if (this.lost === 0) this.lostBecause = this.sink.failure;
      this.lost++;
    }
  }

  private format(record: PinoRecord): string {
    if (this.options.json) {
      // Each string is scrubbed before JSON escapes it, so the rule sees the text as written.
      return JSON.stringify(record, (_key, value: unknown) =>
        typeof value === 'string' ? this.scrubber.scrub(value) : value,
      );
    }
    // The original chomps trailing newlines. A message never spans lines (one inside it would
    // forge a line of its own) nor grows without bound: control characters are escaped and a
    // very long message is cut, after the secrets are masked.
    const message = printable(
      this.scrubber.scrub(String(record.msg ?? '').replace(/\n+$/, '')),
      MAX_MESSAGE,
    );
    const when = ctime(new Date(record.time));
    const isDebug = record.level <= PINO_DEBUG;
    switch (this.target.kind) {
      case 'debug':
        return isDebug ? `DEBUG${record.debugLevel ?? 2}: ${message}` : message;
      case 'supervised':
        return `[${when}] ${message}`;
      case 'file':
        return `[${when}|${this.options.cfgname}|${this.options.pid ?? process.pid}] ${message}`;
      case 'syslog':
        return message;
    }
  }
}
