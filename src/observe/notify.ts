// systemd's notify protocol for the Type=notify unit (packaging/ldirectord-ts-notify.service):
// READY=1 once the first round of checks is in the IPVS table, STATUS= a one-line summary,
// RELOADING=1 / STOPPING=1, and WATCHDOG=1 while the check loop completes checks.
//
// The message is one datagram on the unix socket in NOTIFY_SOCKET. Node has no unix datagram
// sockets, and the npm packages that add them (unix-dgram, sd-notify) are native addons that
// need a compiler and Node's headers at install time. `systemd-notify` ships with systemd on
// every host that has a NOTIFY_SOCKET; run as root it sends with the daemon's pid as the
// sender (systemd-notify(1)) and waits until systemd has read the message, so systemd
// attributes it to the service even though systemd-notify is a child (the unit still sets
// NotifyAccess=all, which a message from a child needs when that fallback is taken).
//
// The watchdog is fed by the check loop: a timer at half of WATCHDOG_USEC sends WATCHDOG=1
// only when a check has completed within the last two intervals (an interval: the longest
// checkinterval or check deadline of the config, since a check may end only at its deadline).
// A wedged checker stops the pings, and systemd restarts the service.
import { spawn } from 'node:child_process';
import type { Config } from '../config/model.ts';

export type Spawner = (fields: string[]) => Promise<{ ok: boolean; detail: string }>;

export interface NotifyOptions {
  /** NOTIFY_SOCKET, WATCHDOG_USEC, WATCHDOG_PID as systemd set them. */
  env: NodeJS.ProcessEnv;
  pid?: number;
  now?: () => number;
  /** Sends the fields (tests); systemd-notify by default. */
  send?: Spawner;
  onError?: (message: string) => void;
  program?: string;
}

/** How long the check loop may go without completing a check before the watchdog starves. */
export function stallWindowMs(config: Config): number {
  let longest = 0;
  for (const v of config.virtuals) {
    if (v.checktype === 'off' || v.reals.length === 0) continue;
    longest = Math.max(longest, v.checkinterval, v.checktimeout, v.negotiatetimeout);
  }
  return 2 * longest * 1000;
}

function systemdNotify(program: string, socket: string): Spawner {
  return (fields) =>
    new Promise((resolve) => {
      const child = spawn(program, fields, {
        env: { PATH: process.env.PATH ?? '/usr/bin:/bin', NOTIFY_SOCKET: socket },
        stdio: ['ignore', 'ignore', 'pipe'],
      });
      let stderr = '';
      child.stderr.on('data', (b: Buffer) => {
        if (stderr.length < 1000) stderr += b.toString();
      });
      // systemd-notify waits for systemd to read the message; never longer than this.
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      child.on('error', (e) => {
        clearTimeout(timer);
        resolve({ ok: false, detail: e.message });
      });
      child.on('close', (code, signal) => {
        clearTimeout(timer);
        resolve({
          ok: code === 0,
          detail: code === 0 ? '' : stderr.trim() || `exit ${code ?? signal}`,
        });
      });
    });
}

export class SystemdNotifier {
  readonly enabled: boolean;
  /** Half of WATCHDOG_USEC, in ms; undefined without a watchdog for this process. */
  readonly watchdogIntervalMs: number | undefined;
  #send: Spawner;
  #now: () => number;
  #onError: (message: string) => void;
  #queue: Promise<void> = Promise.resolve();
  #inFlight = 0;
  #failing = false;
  #timer: NodeJS.Timeout | undefined;
  #lastCheckAt: number;
  #windowMs = 0;
  #starving = false;
  #closed = false;

  constructor(options: NotifyOptions) {
    const socket = options.env.NOTIFY_SOCKET;
    const pid = options.pid ?? process.pid;
    this.enabled = socket !== undefined && socket !== '';
    this.#now = options.now ?? Date.now;
    this.#onError = options.onError ?? (() => {});
    this.#send = options.send ?? systemdNotify(options.program ?? 'systemd-notify', socket ?? '');
    this.#lastCheckAt = this.#now();
    const usec = Number(options.env.WATCHDOG_USEC);
    const forUs =
      options.env.WATCHDOG_PID === undefined || Number(options.env.WATCHDOG_PID) === pid;
    this.watchdogIntervalMs =
      this.enabled && forUs && Number.isFinite(usec) && usec > 0
        ? Math.max(1, Math.floor(usec / 2000))
        : undefined;
  }

  /** Queued one after the other; a failure is reported once until a send succeeds again. */
  notify(fields: string[]): Promise<void> {
    if (!this.enabled || this.#closed) return Promise.resolve();
    this.#inFlight++;
    const run = this.#queue.then(async () => {
      const result = await this.#send(fields);
      this.#inFlight--;
      if (result.ok) this.#failing = false;
      else if (!this.#failing) {
        this.#failing = true;
        this.#onError(`systemd notification ${fields.join(' ')} failed: ${result.detail}`);
      }
    });
    this.#queue = run;
    return run;
  }

  ready(status: string): Promise<void> {
    return this.notify(['READY=1', `STATUS=${status}`, `MAINPID=${process.pid}`]);
  }

  status(status: string): Promise<void> {
    return this.notify([`STATUS=${status}`]);
  }

  reloading(): Promise<void> {
    return this.notify(['RELOADING=1']);
  }

  stopping(): Promise<void> {
    return this.notify(['STOPPING=1']);
  }

  /** A check completed: the check loop is alive. */
  checkCompleted(): void {
    this.#lastCheckAt = this.#now();
    this.#starving = false;
  }

  /** Starts (or, on reload, re-times) the watchdog for this config. */
  watch(config: Config): void {
    this.#windowMs = stallWindowMs(config);
    if (this.watchdogIntervalMs === undefined || this.#timer || this.#closed) return;
    this.#timer = setInterval(() => this.#tick(), this.watchdogIntervalMs);
    this.#timer.unref();
    this.#tick();
  }

  #tick(): void {
    const idle = this.#now() - this.#lastCheckAt;
    if (this.#windowMs > 0 && idle > this.#windowMs) {
      if (!this.#starving) {
        this.#starving = true;
        this.#onError(
          `No check completed for ${Math.round(idle / 1000)} s: the systemd watchdog is no longer fed`,
        );
      }
      return;
    }
    // A ping still waiting for systemd-notify is enough; do not pile them up.
    if (this.#inFlight > 0) return;
    void this.notify(['WATCHDOG=1']);
  }

  async close(): Promise<void> {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = undefined;
    this.#closed = true;
    await this.#queue;
  }
}
