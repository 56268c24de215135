// A test server run as a foreground child (exim, dovecot, innd, sipp, vsftpd, dnsmasq, slapd,
// postgres, freeradius): started once per test file, waited for until it is ready, stopped by
// its process group (so servers that fork helpers leave nothing behind), its scratch folder
// removed. A lifetime limit kills it even if its test file never gets to stop it.
import { type ChildProcess, spawn } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { accessSync, constants, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { type AddressInfo, connect, createServer, isIPv6 } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface DaemonOptions {
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** Ready once all of these accept (tcp) or are bound (udp). */
  ready: { host: string; port: number; udp?: boolean }[];
  readyTimeoutMs?: number;
  /** SIGTERM to SIGKILL. Default 5000 ms. */
  killGraceMs?: number;
  /** The server is killed anyway after this long. Default 10 minutes. */
  lifetimeMs?: number;
}

export class Daemon {
  readonly name: string;
  /** Scratch folder removed by stop(); undefined when the caller owns its folders. */
  readonly dir: string | undefined;
  private readonly child: ChildProcess;
  private output = '';
  private readonly exited: Promise<void>;
  private readonly killGraceMs: number;
  private readonly lifetime: NodeJS.Timeout;

  constructor(
    name: string,
    dir: string | undefined,
    file: string,
    args: string[],
    options: {
      cwd?: string;
      env?: NodeJS.ProcessEnv;
      killGraceMs?: number;
      lifetimeMs?: number;
    } = {},
  ) {
    this.name = name;
    this.dir = dir;
    this.killGraceMs = options.killGraceMs ?? 5000;
    this.child = spawn(file, args, {
      cwd: options.cwd ?? dir,
      env: options.env ?? process.env,
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    const collect = (chunk: Buffer): void => {
      if (this.output.length < 1_000_000) this.output += chunk.toString('utf8');
    };
    this.child.stdout?.on('data', collect);
    this.child.stderr?.on('data', collect);
    this.child.on('error', (e) => collect(Buffer.from(`spawn error: ${e.message}\n`)));
    this.exited = new Promise((resolve) => this.child.on('close', () => resolve()));
    this.lifetime = setTimeout(() => void this.stop('SIGKILL'), options.lifetimeMs ?? 10 * 60_000);
    this.lifetime.unref();
  }

  /** Starts a server and waits until every `ready` endpoint answers. */
  static async start(file: string, args: string[], options: DaemonOptions): Promise<Daemon> {
    const daemon = new Daemon(file, undefined, file, args, options);
    await daemon.waitUntil(async () => {
      for (const e of options.ready) {
        const ok = e.udp ? udpBound(e.host, e.port) : await tcpAccepts(e.host, e.port);
        if (!ok) return false;
      }
      return true;
    }, options.readyTimeoutMs);
    return daemon;
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  /** Everything it printed so far. */
  get log(): string {
    return this.output;
  }

  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  /** Waits until `ready()` holds, polling every 50 ms; throws with the log on failure. */
  async waitUntil(ready: () => boolean | Promise<boolean>, timeoutMs = 15_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (!this.running) break;
      if (await ready()) return;
      await new Promise((r) => setTimeout(r, 50));
    }
    const why = this.running ? 'did not become ready' : 'exited before it was ready';
    await this.stop();
    throw new Error(`${this.name} ${why}:\n${this.output.slice(-4000)}`);
  }

  /** `signal` (SIGTERM) to its process group, SIGKILL after the grace time; removes `dir`. */
  async stop(signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
    clearTimeout(this.lifetime);
    const pid = this.child.pid;
    if (this.running && pid !== undefined) {
      signalGroup(pid, signal);
      const killer = setTimeout(() => {
        if (this.running) signalGroup(pid, 'SIGKILL');
      }, this.killGraceMs);
      await this.exited;
      clearTimeout(killer);
    }
    if (this.dir) rmSync(this.dir, { recursive: true, force: true });
  }
}

function signalGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    try {
      process.kill(pid, signal);
    } catch {
      // already gone
    }
  }
}

export function scratchDir(prefix: string): string {
  return mkdtempSync(join(tmpdir(), `ldts-${prefix}-`));
}

/** Why a program cannot run here, or undefined when it can. */
export function missingProgram(path: string, packageName: string): string | undefined {
  try {
    accessSync(path, constants.X_OK);
    return undefined;
  } catch {
    return `${path} is not installed (Debian package ${packageName})`;
  }
}

/** A port free for both TCP and UDP on host (bound, read, released). */
export async function freePort(host: string): Promise<number> {
  for (let attempt = 0; attempt < 20; attempt++) {
    const server = createServer();
    const port = await new Promise<number>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, host, () => resolve((server.address() as AddressInfo).port));
    });
    server.close();
    const udp = createSocket(isIPv6(host) ? 'udp6' : 'udp4');
    const udpFree = await new Promise<boolean>((resolve) => {
      udp.once('error', () => resolve(false));
      udp.bind(port, host, () => resolve(true));
    });
    try {
      udp.close();
    } catch {
      // never bound
    }
    if (udpFree) return port;
  }
  throw new Error(`no free port on ${host}`);
}

/** Whether something accepts TCP connections at host:port (1 s at most). */
export function tcpAccepts(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    socket.setTimeout(1000);
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
    socket.once('timeout', () => {
      socket.destroy();
      resolve(false);
    });
  });
}

/** Whether some socket is bound to host:port over UDP, from /proc/net/udp or udp6. */
export function udpBound(host: string, port: number): boolean {
  const table = isIPv6(host) ? '/proc/net/udp6' : '/proc/net/udp';
  const hexPort = port.toString(16).toUpperCase().padStart(4, '0');
  const hexHost = isIPv6(host)
    ? ''
    : host
        .split('.')
        .map((octet) => Number(octet).toString(16).toUpperCase().padStart(2, '0'))
        .reverse()
        .join('');
  return readFileSync(table, 'utf8')
    .split('\n')
    .some((line) => {
      const local = line.trim().split(/\s+/)[1] ?? '';
      return local.endsWith(`:${hexPort}`) && (hexHost === '' || local.startsWith(hexHost));
    });
}
