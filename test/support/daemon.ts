// A test server run as a foreground child (dnsmasq, slapd, postgres, freeradius): started once
// per test file, waited for until it is ready, stopped by its pid, its scratch folder removed.
import { type ChildProcess, spawn } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { accessSync, constants, mkdtempSync, rmSync } from 'node:fs';
import { type AddressInfo, connect, createServer, isIPv6 } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export class Daemon {
  readonly name: string;
  readonly dir: string;
  private readonly child: ChildProcess;
  private output = '';
  private readonly exited: Promise<void>;

  constructor(name: string, dir: string, file: string, args: string[], cwd = dir) {
    this.name = name;
    this.dir = dir;
    this.child = spawn(file, args, { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    const collect = (chunk: Buffer): void => {
      if (this.output.length < 1_000_000) this.output += chunk.toString('utf8');
    };
    this.child.stdout?.on('data', collect);
    this.child.stderr?.on('data', collect);
    this.exited = new Promise((resolve) => this.child.on('close', () => resolve()));
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
    await this.stop();
    throw new Error(`${this.name} did not become ready:\n${this.output.slice(-4000)}`);
  }

  /** `signal` (SIGTERM) by pid, SIGKILL after 5 s, then remove the scratch folder. */
  async stop(signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
    const pid = this.child.pid;
    if (this.running && pid !== undefined) {
      process.kill(pid, signal);
      const killer = setTimeout(() => {
        if (this.running) process.kill(pid, 'SIGKILL');
      }, 5000);
      await this.exited;
      clearTimeout(killer);
    }
    rmSync(this.dir, { recursive: true, force: true });
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

/** Whether something accepts TCP connections at host:port. */
export function tcpAccepts(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}
