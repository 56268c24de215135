// What watches the monitor without deciding anything: the metrics= listener (/metrics,
// /status, /checks, /), the eventlog= file and systemd's notify protocol. Fed by the
// monitor's events and read from Monitor.status(); the daemon tells it about starts, reloads
// and the stop. With neither directive and no NOTIFY_SOCKET it does nothing at all.
import type { Config } from '../config/model.ts';
import type { MonitorEvent, MonitorStatus } from '../monitor/types.ts';
import { EventLog } from './eventlog.ts';
import { CheckHistory } from './history.ts';
import { ObserveListener } from './http.ts';
import type { Metrics } from './metrics.ts';
import { SystemdNotifier } from './notify.ts';
import { STATUS_PAGE } from './page.ts';

export interface ObserverOptions {
  config: Config;
  status(): MonitorStatus;
  /** The document of `status --json`, for /status. */
  statusDocument(): unknown;
  log: { info(message: string): void; error(message: string): void };
  /** Masks passwords in any string that leaves the process. */
  scrub(text: string): string;
  /** NOTIFY_SOCKET and WATCHDOG_*; none: no systemd notification. */
  env?: NodeJS.ProcessEnv;
  notifyProgram?: string;
}

export class Observer {
  #options: ObserverOptions;
  #config: Config;
  #metrics: Metrics | undefined;
  #history: CheckHistory | undefined;
  #listener: ObserveListener | undefined;
  #eventLog: EventLog | undefined;
  #notifier: SystemdNotifier | undefined;
  #statusTimer: NodeJS.Timeout | undefined;
  #ready = false;

  constructor(options: ObserverOptions) {
    this.#options = options;
    this.#config = options.config;
    const notifier = new SystemdNotifier({
      env: options.env ?? {},
      onError: (message) => options.log.error(message),
      ...(options.notifyProgram ? { program: options.notifyProgram } : {}),
    });
    if (notifier.enabled) this.#notifier = notifier;
  }

  /** Before the first checks: open the event log and bind the listener. */
  async start(): Promise<void> {
    await this.#apply(this.#config);
  }

  /** The first round of checks is in the table (READY=1), or a reload finished. */
  ready(): void {
    this.#ready = true;
    if (!this.#notifier) return;
    void this.#notifier.ready(this.summary());
    this.#notifier.watch(this.#config);
  }

  reloading(): void {
    void this.#notifier?.reloading();
  }

  /** A reload swapped the config in. */
  async reloaded(config: Config): Promise<void> {
    this.#config = config;
    this.#metrics?.reloadAttempted(true);
    await this.#apply(config);
    this.#eventLog?.reloaded(true, config.file);
    this.#notifier?.watch(config);
    if (this.#ready) void this.#notifier?.ready(this.summary());
  }

  /** A reload was refused: the old config stays. */
  reloadFailed(errors: string[]): void {
    this.#metrics?.reloadAttempted(false);
    this.#eventLog?.reloaded(false, this.#config.file, errors);
    if (this.#ready) void this.#notifier?.ready(this.summary());
  }

  onEvent(event: MonitorEvent): void {
    if (event.type === 'check') {
      this.#history?.record(event.virtual, event.real, event);
      this.#notifier?.checkCompleted();
    }
    this.#metrics?.onEvent(event);
    this.#eventLog?.onEvent(event);
    if (this.#notifier && this.#ready && (event.type === 'real' || event.type === 'ipvs'))
      this.#statusSoon();
  }

  /** SIGHUP: reopen the event log (after logrotate). */
  reopen(): void {
    this.#eventLog?.reopen();
  }

  stopping(): void {
    void this.#notifier?.stopping();
  }

  async close(): Promise<void> {
    if (this.#statusTimer) clearTimeout(this.#statusTimer);
    await this.#listener?.close();
    await this.#eventLog?.close();
    await this.#notifier?.close();
  }

  /** One line: `3 virtual services, 5/6 reals up, 1 fallback active`. */
  summary(): string {
    const s = this.#options.status();
    let up = 0;
    let total = 0;
    let fallbacks = 0;
    for (const v of s.virtuals) {
      total += v.reals.length;
      up += v.reals.filter((r) => r.up).length;
      if (v.fallbackActive) fallbacks++;
    }
    const parts = [`${s.virtuals.length} virtual services`, `${up}/${total} reals up`];
    if (fallbacks > 0) parts.push(`${fallbacks} fallback active`);
    return parts.join(', ');
  }

  #statusSoon(): void {
    if (this.#statusTimer) return;
    this.#statusTimer = setTimeout(() => {
      this.#statusTimer = undefined;
      void this.#notifier?.status(this.summary());
    }, 1000);
    this.#statusTimer.unref();
  }

  async #apply(config: Config): Promise<void> {
    const { metrics: address, eventlog } = config.global;
    if (eventlog !== this.#eventLog?.path) {
      await this.#eventLog?.close();
      this.#eventLog = eventlog
        ? new EventLog(eventlog, this.#options.scrub, (e) =>
            this.#options.log.error(`eventlog ${eventlog}: ${e.message}`),
          )
        : undefined;
    }
    if (address && !this.#metrics) {
      // prom-client is loaded only by a daemon that serves metrics.
      const { Metrics } = await import('./metrics.ts');
      this.#metrics = new Metrics(config, { status: () => this.#options.status() });
      this.#history = new CheckHistory();
    } else if (this.#metrics && this.#config !== config) {
      this.#metrics.configLoaded(config);
    }
    this.#history?.retain(config);
    if (address && !this.#listener) this.#listener = this.#newListener();
    await this.#listener?.bind(address);
  }

  #newListener(): ObserveListener {
    const scrub = this.#options.scrub;
    // Compact: at 10,000 reals the indented document is a third larger.
    const json = (value: unknown): string =>
      `${JSON.stringify(value, (_k, v: unknown) => (typeof v === 'string' ? scrub(v) : v))}\n`;
    return new ObserveListener({
      log: this.#options.log,
      routes: {
        '/metrics': {
          contentType: this.#metrics!.contentType,
          body: async () => scrub(await this.#metrics!.text()),
        },
        '/status': {
          contentType: 'application/json; charset=utf-8',
          body: () => json(this.#options.statusDocument()),
        },
        '/checks': {
          contentType: 'application/json; charset=utf-8',
          body: () => json({ now: Date.now(), reals: this.#history?.toJSON() ?? {} }),
        },
        '/': { contentType: 'text/html; charset=utf-8', body: () => STATUS_PAGE },
      },
    });
  }
}
