// What the daemon tests share: real servers that can be switched on and off (plain TCP
// listeners for checktype=connect), the fake ipvsadm's invocation log read back as the table
// commands it ran, and a scratch folder that runs one daemon with its log file.
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { alive, FAKE_IPVSADM, type RunResult, Scratch } from './ldts.ts';

/** A real server for checktype=connect: a TCP listener at host:port, switched up and down. */
export class Switchable {
  readonly host: string;
  readonly port: number;
  private server: Server | undefined;
  private readonly sockets = new Set<Socket>();

  constructor(host: string, port: number) {
    this.host = host;
    this.port = port;
  }

  get isUp(): boolean {
    return this.server !== undefined;
  }

  async up(): Promise<void> {
    if (this.server) return;
    const server = createServer((socket) => {
      this.sockets.add(socket);
      socket.on('error', () => {});
      socket.on('close', () => this.sockets.delete(socket));
      socket.resume();
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.port, this.host, resolve);
    });
    this.server = server;
  }

  /** Closed port: a connect check fails at once (connection refused). */
  async down(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = undefined;
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}

export interface Invocation {
  time: number;
  pid: number;
  argv: string[];
  stdin?: string;
}

/** Every ipvsadm run recorded in the fake's invocation log. */
export function invocations(logPath: string): Invocation[] {
  let text: string;
  try {
    text = readFileSync(logPath, 'utf8');
  } catch {
    return [];
  }
  return text
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as Invocation);
}

const TABLE_CHANGES = /^-[AEDaedC]\b/;

/**
 * The commands that change the table, in order: the argv of a direct run (without the program)
 * and every line of an `ipvsadm -R` batch, each as one string of words.
 */
export function tableCommands(runs: readonly Invocation[]): string[] {
  const commands: string[] = [];
  for (const run of runs) {
    const lines =
      run.argv[1] === '-R' ? (run.stdin ?? '').split('\n') : [run.argv.slice(1).join(' ')];
    for (const line of lines) {
      const words = line.trim().split(/\s+/).join(' ');
      if (TABLE_CHANGES.test(words)) commands.push(words);
    }
  }
  return commands;
}

/** The commands among `commands` that add, edit or delete the real at address:port. */
export function commandsFor(commands: readonly string[], address: string, port: number): string[] {
  const target = `-r ${address}:${port}`;
  return commands.filter((c) => c.includes(`${target} `) || c.endsWith(target));
}

/** A scratch folder for one daemon: its config, log file, pid file and the fake's logs. */
export class DaemonScratch extends Scratch {
  readonly cfgname: string;
  readonly ipvsadmLog: string;
  private readonly extraEnv: NodeJS.ProcessEnv;

  constructor(prefix: string, cfgname = 'ldirectord.cf', env: NodeJS.ProcessEnv = {}) {
    super(prefix);
    this.cfgname = cfgname;
    this.ipvsadmLog = this.path('ipvsadm.log');
    this.extraEnv = env;
  }

  get cf(): string {
    return this.path(this.cfgname);
  }

  override env(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
    return super.env({ FAKE_IPVSADM_LOG: this.ipvsadmLog, ...this.extraEnv, ...extra });
  }

  /** The table as `ipvsadm -S -n` prints it; this look is not in the invocation log. */
  override table(): string {
    const r = spawnSync(FAKE_IPVSADM, ['-S', '-n'], {
      env: { ...this.env(), FAKE_IPVSADM_LOG: '' },
      encoding: 'utf8',
    });
    return r.stdout;
  }

  /** Writes the config ({{DIR}} replaced) in place. */
  config(text: string): string {
    return this.write(this.cfgname, text);
  }

  action(action: string, options: { env?: NodeJS.ProcessEnv } = {}): RunResult {
    return this.run([this.cf, action], options);
  }

  /** `start`, checked, and the daemon's pid. */
  start(options: { env?: NodeJS.ProcessEnv } = {}): number {
    const r = this.action('start', options);
    if (r.code !== 0) throw new Error(`start exited ${r.code}: ${r.stderr}${r.stdout}`);
    const pid = this.pid(this.cfgname);
    if (!alive(pid)) throw new Error('start returned without a live daemon');
    return pid!;
  }

  get daemonPid(): number | undefined {
    return this.pid(this.cfgname);
  }

  get log(): string {
    return this.read('ldirectord.log');
  }

  /** Log lines without the `[ctime|cfgname|pid] ` prefix. */
  messages(from = 0): string[] {
    return this.log
      .split('\n')
      .slice(from)
      .filter(Boolean)
      .map((line) => line.replace(/^\[[^\]]*\] /, ''));
  }

  /** The messages logged by process `pid` (the `[ctime|cfgname|pid]` prefix names it). */
  messagesOf(pid: number, from = 0): string[] {
    return this.log
      .split('\n')
      .slice(from)
      .filter((line) => line.startsWith('[') && line.includes(`|${pid}] `))
      .map((line) => line.replace(/^\[[^\]]*\] /, ''));
  }

  logLineCount(): number {
    return this.log.split('\n').filter(Boolean).length;
  }

  async waitForLog(pattern: RegExp, from = 0, timeoutMs = 15_000): Promise<string> {
    let found: string | undefined;
    await eventually(
      () => {
        found = this.messages(from).find((m) => pattern.test(m));
        return found !== undefined;
      },
      () => `a log line matching ${pattern}\n--- log:\n${this.log.slice(-3000)}`,
      timeoutMs,
    );
    return found!;
  }

  invocations(): Invocation[] {
    return invocations(this.ipvsadmLog);
  }

  /** Table-changing commands run since invocation number `from`. */
  commandsSince(from: number): string[] {
    return tableCommands(this.invocations().slice(from));
  }

  /** Kills a daemon left running by a failed test. */
  kill(): void {
    const pid = this.daemonPid;
    if (alive(pid)) process.kill(pid!, 'SIGKILL');
  }

  /** After a file's tests: the daemon stopped (killed if it stays), `reals` closed, the folder removed. */
  async finish(reals: readonly Switchable[] = []): Promise<void> {
    if (alive(this.daemonPid)) this.action('stop');
    this.kill();
    for (const real of reals) await real.down();
    this.cleanup();
  }
}

/** The real lines of the table (`-a -t v -r r -m -w n`), sorted, for before/after comparisons. */
export function tableLines(table: string): string[] {
  return table
    .split('\n')
    .filter((l) => l.trim() !== '')
    .sort();
}

export interface Footprint {
  /** Open file descriptors (/proc/<pid>/fd), and how many of them are sockets, pipes, files. */
  fds: number;
  sockets: number;
  pipes: number;
  files: number;
  /** Resident set size, KiB (/proc/<pid>/status VmRSS). */
  rssKiB: number;
}

/** What a process holds right now, from /proc. */
export function footprint(pid: number): Footprint {
  const links = readdirSync(`/proc/${pid}/fd`).map((fd) => {
    try {
      return readlinkSync(`/proc/${pid}/fd/${fd}`);
    } catch {
      return '';
    }
  });
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return {
    fds: links.length,
    sockets: links.filter((l) => l.startsWith('socket:')).length,
    pipes: links.filter((l) => l.startsWith('pipe:')).length,
    files: links.filter((l) => l.startsWith('/')).length,
    rssKiB: Number(/^VmRSS:\s+(\d+)/m.exec(status)?.[1] ?? 0),
  };
}

/** `promise`, or a failure naming `what` after timeoutMs. */
export async function within<T>(promise: Promise<T>, what: string, timeoutMs = 20_000): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)),
      timeoutMs,
    );
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Polls until `predicate` holds; fails after timeoutMs with `what` (a function is called then,
 * so the message can show the state at the time of failure).
 */
export async function eventually(
  predicate: () => boolean,
  what: string | (() => string),
  timeoutMs = 15_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (predicate()) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  if (predicate()) return;
  const text = typeof what === 'function' ? what() : what;
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${text}`);
}

export { alive, FAKE_IPVSADM };
