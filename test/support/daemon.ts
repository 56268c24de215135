// Runs a test server in the foreground under runCommand (no shell, own process group) until
// stopped: stop() signals it by its pid's group, SIGKILL after a grace time, and waits.
// Readiness is polled: a TCP port accepting, or a UDP port bound (read from /proc/net/udp*).
import { readFileSync } from 'node:fs';
import { connect, isIPv6 } from 'node:net';
import { type RunResult, runCommand } from '../../src/lib/run-command.ts';

export interface DaemonOptions {
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** Ready once all of these accept (tcp) or are bound (udp). */
  ready: { host: string; port: number; udp?: boolean }[];
  readyTimeoutMs?: number;
  /** SIGTERM to SIGKILL. Default 3000 ms. */
  killGraceMs?: number;
  /** The server is killed anyway after this long, so it never outlives its test file. */
  lifetimeMs?: number;
}

export class Daemon {
  readonly name: string;
  readonly #controller: AbortController;
  readonly #exited: Promise<RunResult>;
  #result: RunResult | undefined;

  private constructor(name: string, controller: AbortController, exited: Promise<RunResult>) {
    this.name = name;
    this.#controller = controller;
    this.#exited = exited.then((result) => {
      this.#result = result;
      return result;
    });
  }

  static async start(file: string, args: string[], options: DaemonOptions): Promise<Daemon> {
    const controller = new AbortController();
    const exited = runCommand(file, args, {
      signal: controller.signal,
      env: options.env,
      cwd: options.cwd,
      timeoutMs: options.lifetimeMs ?? 10 * 60_000,
      killGraceMs: options.killGraceMs ?? 3000,
      maxOutputBytes: 64 * 1024,
    });
    const daemon = new Daemon(file, controller, exited);
    const deadline = Date.now() + (options.readyTimeoutMs ?? 15_000);
    for (const endpoint of options.ready) {
      for (;;) {
        if (daemon.#result) {
          const r = daemon.#result;
          throw new Error(
            `${file} exited (${r.code ?? r.signal}) before listening:\n${r.stdout}\n${r.stderr}`,
          );
        }
        const ready = endpoint.udp
          ? udpBound(endpoint.host, endpoint.port)
          : await tcpAccepts(endpoint.host, endpoint.port);
        if (ready) break;
        if (Date.now() > deadline) {
          await daemon.stop();
          throw new Error(`${file} not ready on ${endpoint.host}:${endpoint.port}`);
        }
        await new Promise((r) => setTimeout(r, 50));
      }
    }
    return daemon;
  }

  /** Stops the server (SIGTERM to its process group, then SIGKILL) and waits for it. */
  async stop(): Promise<RunResult> {
    this.#controller.abort();
    return this.#exited;
  }
}

function tcpAccepts(host: string, port: number): Promise<boolean> {
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
function udpBound(host: string, port: number): boolean {
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
