// Where log lines go. Each sink takes finished lines (no trailing newline).
//  - FileSink: `logfile="/path"`. Keeps the file open, and notices when logrotate has moved or
//    removed it (Debian's logrotate sends no signal: the original opened the file per line) by
//    comparing inodes at most once a second; reopen() forces it (SIGHUP).
//  - SyslogSink: `logfile="<facility>"`. Node cannot write to /dev/log (a datagram socket), so
//    lines go through one long-lived `logger` (bsdutils, Essential on Debian) with the
//    original's ident `ldirectord`, our pid, and priority info for every message.
//  - StreamSink: stderr (-d) or stdout (supervised).
import { type ChildProcess, spawn } from 'node:child_process';
import { closeSync, fstatSync, ftruncateSync, mkdirSync, statSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import { LOG_FILE_MODE, openForAppend } from '../lib/append-file.ts';
import { SYSLOG_FACILITIES } from '../lib/syslog.ts';

export interface LineSink {
  /** Writes the line whole, or not at all: false when it could not be written. */
  write(line: string): boolean;
  /** Why the last write failed ('' before any failure). */
  readonly failure: string;
  reopen(): void;
  close(): Promise<void>;
}

export class StreamSink implements LineSink {
  private readonly stream: NodeJS.WritableStream;
  readonly failure = '';

  constructor(stream: NodeJS.WritableStream) {
    this.stream = stream;
  }

  write(line: string): boolean {
    this.stream.write(`${line}\n`);
    return true;
  }

  reopen(): void {}

  async close(): Promise<void> {}
}

export class FileSink implements LineSink {
  readonly path: string;
  private fd: number | undefined;
  private inode = -1;
  private lastCheck = 0;
  private readonly now: () => number;
  /** Called once per failure episode, so a full disk does not flood stderr. */
  private readonly onError: (error: Error) => void;
  private failing = false;
  failure = '';

  constructor(path: string, options: { now?: () => number; onError?: (e: Error) => void } = {}) {
    this.path = path;
    this.now = options.now ?? Date.now;
    this.onError =
      options.onError ?? ((e) => process.stderr.write(`ldirectord-ts: ${e.message}\n`));
  }

  /** Opens the file for append, creating it and its folder; throws when it cannot. */
  open(): void {
    mkdirSync(dirname(this.path), { recursive: true });
    const fd = openForAppend(this.path, LOG_FILE_MODE);
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = fd;
    this.inode = fstatSync(fd).ino;
    this.lastCheck = this.now();
  }

  write(line: string): boolean {
    try {
      if (this.fd === undefined || this.rotated()) this.open();
      this.append(this.fd!, Buffer.from(`${line}\n`));
      this.failing = false;
      return true;
    } catch (error) {
      const e = error as NodeJS.ErrnoException;
      this.failure = e.code ? `${e.code}: ${describeErrno(e)}` : e.message;
      if (!this.failing) this.onError(e);
      this.failing = true;
      return false;
    }
  }

  /**
   * The whole line or nothing: a full disk takes what fits of a write and refuses the rest, so
   * the part that went in is cut off again (the file is opened for append: it is at the end).
   */
  private append(fd: number, data: Buffer): void {
    let written = 0;
    try {
      while (written < data.length) written += writeSync(fd, data, written);
    } catch (error) {
      if (written > 0) {
        try {
          ftruncateSync(fd, fstatSync(fd).size - written);
        } catch {
          // Nothing more can be done; the next line still starts on a line of its own.
        }
      }
      throw error;
    }
  }

  reopen(): void {
    try {
      this.open();
    } catch (error) {
      this.onError(error as Error);
    }
  }

  async close(): Promise<void> {
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
  }

  private rotated(): boolean {
    const t = this.now();
    if (t - this.lastCheck < 1000) return false;
    this.lastCheck = t;
    try {
      return statSync(this.path).ino !== this.inode;
    } catch {
      return true; // moved away or removed: start a new file
    }
  }
}

export class SyslogSink implements LineSink {
  private child: ChildProcess | undefined;
  private readonly facility: string;
  private readonly socket: string | undefined;
  private readonly pid: number;
  private warned = false;
  private lastSpawn = 0;
  failure = '';

  /** `socket` overrides /dev/log (tests, chroots); `pid` is the id logged with each line. */
  constructor(facility: string, options: { socket?: string; pid?: number } = {}) {
    this.facility = SYSLOG_FACILITIES.includes(facility) ? facility : 'daemon';
    this.socket = options.socket;
    this.pid = options.pid ?? process.pid;
  }

  write(line: string): boolean {
    const child = this.ensureChild();
    if (!child?.stdin?.writable) {
      this.failure = 'logger is not running';
      return false;
    }
    child.stdin.write(`${line}\n`);
    return true;
  }

  reopen(): void {}

  async close(): Promise<void> {
    const child = this.child;
    this.child = undefined;
    if (!child || child.exitCode !== null) return;
    // The child and its pipe are unref'd so that logging never keeps the process alive; while
    // closing they must be ref'd again, or a process with nothing else to do (the `start`
    // command before it daemonizes) exits in the middle of this await.
    child.ref();
    (child.stdin as unknown as { ref?: () => void } | null)?.ref?.();
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        child.kill('SIGKILL');
        resolve();
      }, 2000);
      child.on('close', () => {
        clearTimeout(timer);
        resolve();
      });
      child.stdin?.end();
    });
  }

  private ensureChild(): ChildProcess | undefined {
    if (this.child && this.child.exitCode === null && !this.child.killed) return this.child;
    // A logger that keeps dying (no /dev/log) is restarted at most every 5 s.
    if (Date.now() - this.lastSpawn < 5000 && this.child) return undefined;
    this.lastSpawn = Date.now();
    const args = ['-t', 'ldirectord', `--id=${this.pid}`, '-p', `${this.facility}.info`];
    if (this.socket) args.push('-u', this.socket);
    const child = spawn('logger', args, { stdio: ['pipe', 'ignore', 'pipe'] });
    child.stdin?.on('error', () => {});
    child.on('error', (e) => this.warnOnce(`cannot run logger for syslog: ${e.message}`));
    child.stderr?.on('data', (b: Buffer) => this.warnOnce(`syslog: ${b.toString().trim()}`));
    child.unref();
    (child.stdin as unknown as { unref?: () => void } | null)?.unref?.();
    this.child = child;
    return child;
  }

  private warnOnce(message: string): void {
    if (this.warned) return;
    this.warned = true;
    process.stderr.write(`ldirectord-ts: ${message}\n`);
  }
}

/** `no space left on device` for ENOSPC: Node's message without its `ENOSPC: ` and `, write`. */
function describeErrno(e: NodeJS.ErrnoException): string {
  const m = /^[A-Z]+: ([^,]*)/.exec(e.message);
  return m ? m[1]! : e.message;
}
