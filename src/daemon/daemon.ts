// The running daemon: the monitor plus everything around it that the original does in its main
// loop — signals (HUP reload; TERM, INT, QUIT stop; USR1 status dump), autoreload and callback,
// execute= sub-instances, e-mail alerts and their reminders, the pid file and the status file.
// Every change of state (reload, stop) runs one at a time, in the order it was asked for.
import { accessSync, constants } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { checkers, negotiateChecker } from '../checkers/index.ts';
import { type LoadResult, loadConfig, loadConfigText } from '../config/load.ts';
import type { Config, DaemonStatus } from '../config/model.ts';
import { IpvsadmBackend } from '../ipvs/backend.ts';
import { DryRunBackend } from '../ipvs/emulator/dry-run.ts';
import { planIpvs } from '../ipvs/plan.ts';
import type { IpvsBackend } from '../ipvs/types.ts';
import { runCommand } from '../lib/run-command.ts';
import { type DaemonLogger, logTargetFor } from '../log/daemon-logger.ts';
import { formatOriginalStyle } from '../model/diagnostics.ts';
import { Monitor, type MonitorEvent, splitCommand } from '../monitor/index.ts';
import { ORIGINAL_VERSION, VERSION } from '../version.ts';
import { ConfigWatcher } from './config-watch.ts';
import { EmailAlerter } from './email-alerts.ts';
import { removePidFile, writePidFile } from './pidfile.ts';
import { StatusFile } from './status-file.ts';
import { type SelfInvocation, SubInstances } from './sub-instances.ts';

export type RunMode = 'debug' | 'supervised' | 'daemon';

export interface DaemonOptions {
  /** Absolute path of the config, as resolved by the original's lookup. */
  file: string;
  cfgname: string;
  config: Config;
  mode: RunMode;
  logger: DaemonLogger;
  /** Written in daemon mode only, as the original. */
  pidFile?: string;
  statusFile?: string;
  /** ipvsadm program; or a backend (tests). */
  ipvsadm?: string;
  backend?: IpvsBackend;
  /**
   * --dry-run: the IPVS table lives in memory (DryRunBackend, unless a backend is given) and
   * every ipvsadm command that took effect there is logged after the original's line.
   */
  dryRun?: boolean;
  self: SelfInvocation;
  /** Called once the pid file is written (the parent of a daemon then returns). */
  onReady?: () => void;
  smtpPort?: number;
}

const TERMINATING: NodeJS.Signals[] = ['SIGTERM', 'SIGINT', 'SIGQUIT'];

export class LdirectordDaemon {
  private readonly options: DaemonOptions;
  private readonly log: DaemonLogger;
  private config: Config;
  private status: DaemonStatus = 'starting';
  private readonly monitor: Monitor;
  private readonly alerter: EmailAlerter;
  private readonly subInstances: SubInstances;
  private readonly watcher: ConfigWatcher;
  private readonly statusFile: StatusFile | undefined;
  private readonly startedAt = new Date();
  private queue: Promise<void> = Promise.resolve();
  private timers: NodeJS.Timeout[] = [];
  private stopping: Promise<void> | undefined;
  private finished!: (code: number) => void;
  private readonly handlers = new Map<NodeJS.Signals, () => void>();
  private readonly deliveries = new Set<Promise<void>>();

  constructor(options: DaemonOptions) {
    this.options = options;
    this.log = options.logger;
    this.config = options.config;
    this.updateSecrets(options.config);
    this.alerter = new EmailAlerter({
      global: options.config.global,
      log: this.log,
      ...(options.smtpPort ? { smtpPort: options.smtpPort } : {}),
    });
    this.subInstances = new SubInstances(options.self, this.log);
    this.watcher = new ConfigWatcher(options.file, {
      onChange: (change) => this.configChanged(change.missing),
    });
    this.statusFile = options.statusFile
      ? new StatusFile(
          options.statusFile,
          () => this.statusSnapshot(),
          (text) => this.log.scrubber.scrub(text),
        )
      : undefined;
    const backend =
      options.backend ??
      (options.dryRun
        ? new DryRunBackend({ record: false })
        : new IpvsadmBackend({
            path: options.ipvsadm ?? '/sbin/ipvsadm',
            onFault: (message, fields) => this.log.error(message, fields),
          }));
    this.monitor = new Monitor({
      config: options.config,
      backend,
      planner: planIpvs,
      checkers: { negotiate: negotiateChecker, ...checkers },
      logger: this.log,
      onEvent: (event) => this.onMonitorEvent(event),
    });
  }

  /** Runs until stopped by a signal (or stop()); resolves with the exit status. */
  async run(): Promise<number> {
    const done = new Promise<number>((resolve) => {
      this.finished = resolve;
    });
    const pid = process.pid;
    if (this.options.mode === 'daemon') {
      this.log.info(`Starting ${ORIGINAL_VERSION} as daemon`, { version: VERSION });
    } else {
      this.log.info(`Starting ${ORIGINAL_VERSION} with pid: ${pid}`, { version: VERSION });
    }
    if (this.options.dryRun) {
      this.log.info('Dry run: ipvsadm commands are logged, not run; the IPVS table is in memory');
    }
    if (this.options.pidFile) writePidFile(this.options.pidFile, pid);
    this.options.onReady?.();
    this.installSignals();
    this.watcher.start();
    this.statusFile?.write();

    try {
      await this.monitor.start();
    } catch (error) {
      this.log.error(`Exiting with exit_status 1: ${(error as Error).message}`);
      await this.cleanUp();
      return 1;
    }
    if (this.stopping) return done;
    await this.subInstances.startAll(this.config.global.execute);
    this.status = 'running';
    this.statusFile?.changed();
    this.startLoops();
    return done;
  }

  /** SIGTERM and friends: clean stop (cleanstop), pid file removed, exit 0. */
  stop(signalName: string): Promise<void> {
    if (this.stopping) {
      // §6 item 33: a repeated signal must not interrupt the clean stop under way.
      this.log.info(`Linux Director Daemon already stopping, ignoring signal: ${signalName}`);
      return this.stopping;
    }
    this.status = 'stopping';
    this.stopping = this.enqueue(async () => {
      for (const t of this.timers) clearInterval(t);
      this.timers = [];
      await this.subInstances.stopAll(this.config.global.execute);
      await this.monitor.stop();
      await this.mailsSent(30_000);
      const farewell = `Linux Director Daemon terminated on signal: ${signalName}`;
      this.log.info(farewell);
      // The original's ld_exit logs this too when debugging (-d).
      if (this.options.mode === 'debug') this.log.info(`Exiting with exit_status 0: ${farewell}`);
      await this.cleanUp();
      this.finished(0);
    });
    return this.stopping;
  }

  /** HUP, `reload`, or a changed file with autoreload=yes. */
  reload(trigger: 'signal' | 'file'): Promise<void> {
    if (this.stopping) return Promise.resolve();
    return this.enqueue(async () => {
      if (this.stopping) return;
      if (trigger === 'signal') this.log.info('Reloading Linux Director Daemon config on signal');
      this.status = 'reloading';
      try {
        const { config, diagnostics } = await this.readConfig();
        if (!config) {
          const errors = diagnostics.filter((d) => d.severity === 'error');
          for (const d of errors) this.log.error(formatOriginalStyle(d));
          this.log.error(
            `Reload failed with ${errors.length} error(s): still running the configuration read before`,
            { file: this.options.file },
          );
          return;
        }
        const previous = this.config;
        this.config = config;
        this.updateSecrets(config);
        if (this.options.mode === 'daemon') {
          this.log.setTarget(
            logTargetFor({ debug: false, supervised: false, logfile: config.global.logfile }),
          );
        }
        await this.monitor.reload(config);
        this.alerter.reload(config.global, config.virtuals);
        await this.subInstances.reload(previous.global.execute, config.global.execute);
        this.restartLoops();
      } finally {
        if (trigger === 'signal') this.watcher.reset();
        if (!this.stopping) this.status = 'running';
        this.statusFile?.changed();
      }
    });
  }

  /**
   * The file for a reload. A file without a single directive (truncated, or emptied by an
   * editor half way through a save) is refused: taken at its word it would purge every virtual
   * service and send the log to the default file, which is never what the person editing meant.
   */
  private async readConfig(): Promise<LoadResult> {
    const file = this.options.file;
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch {
      return loadConfig(file, { fileChecks: 'open' });
    }
    if (!hasDirectives(text)) {
      return {
        diagnostics: [
          {
            severity: 'error',
            file,
            line: 1,
            column: 1,
            code: 'empty-file',
            message: 'the file is empty (no directive, at most comments)',
          },
        ],
      };
    }
    return loadConfigText(text, file, { fileChecks: 'open' });
  }

  /** SIGUSR1: every virtual and real with its state, to the log. */
  dumpStatus(): void {
    const s = this.monitor.status();
    this.log.info(`Status: ${this.status}, ${s.virtuals.length} virtual service(s)`);
    for (const v of s.virtuals) {
      const fallback = v.fallback ? `, fallback ${v.fallbackActive ? 'active' : 'idle'}` : '';
      this.log.info(`Status: virtual ${v.id} checktype ${v.checktype}${fallback}`);
      for (const r of v.reals) {
        const last = r.lastCheck
          ? `, last check ${r.lastCheck.up ? 'up' : 'down'}: ${r.lastCheck.reason}`
          : '';
        this.log.info(
          `Status:   real ${r.address}:${r.port} ${r.up ? 'up' : 'down'} weight ${r.weight} failures ${r.failcount}/${r.failurecount}${last}`,
        );
      }
    }
  }

  statusSnapshot(): unknown {
    return {
      pid: process.pid,
      version: VERSION,
      config: this.options.file,
      status: this.status,
      startedAt: this.startedAt.toISOString(),
      updatedAt: new Date().toISOString(),
      monitor: this.monitor.status(),
      emailReminders: this.alerter.pendingReminders,
    };
  }

  private onMonitorEvent(event: MonitorEvent): void {
    if (event.type === 'ipvs' && this.options.dryRun) {
      this.log.info(`Dry run: ipvsadm ${event.command.line}`, { ipvsadm: event.command.line });
    }
    if (event.type === 'ipvs') {
      this.track(this.alerter.notify(event.command, this.status));
    }
    this.statusFile?.changed();
  }

  /** A mail on its way; the clean stop waits for these, its own purge mails included. */
  private track(delivery: Promise<void>): void {
    this.deliveries.add(delivery);
    void delivery.finally(() => this.deliveries.delete(delivery));
  }

  /** Waits for the mails on their way, at most `limitMs` (the mailer has its own timeouts). */
  private async mailsSent(limitMs: number): Promise<void> {
    if (this.deliveries.size === 0) return;
    let timer: NodeJS.Timeout | undefined;
    const limit = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, limitMs);
    });
    await Promise.race([Promise.allSettled([...this.deliveries]), limit]);
    clearTimeout(timer);
  }

  private configChanged(missing: boolean): void {
    this.log.info(`Configuration file '${this.options.file}' has changed on disk`);
    if (this.config.global.autoreload) {
      this.log.info(' - reread new configuration');
      if (missing) {
        this.log.error(
          `can not open file ${this.options.file}: still running the configuration read before`,
        );
      } else {
        void this.reload('file').then(() => this.runCallback());
        return;
      }
    } else {
      this.log.info(' - ignore new configuration');
    }
    void this.runCallback();
  }

  /** callback="/path": run with the config's path, without a shell (§5.5). */
  private async runCallback(): Promise<void> {
    const callback = this.config.global.callback;
    if (!callback) return;
    const split = splitCommand(callback);
    if (!split.ok) {
      this.log.error(`callback ${callback} not run: ${split.reason}`);
      return;
    }
    try {
      accessSync(split.argv[0]!, constants.X_OK);
    } catch {
      return; // the original runs it only when executable
    }
    const r = await runCommand(split.argv[0]!, [...split.argv.slice(1), this.options.file], {
      timeoutMs: 60_000,
    });
    if (r.code !== 0) {
      this.log.info(
        `system(${callback} ${this.options.file}) failed: ${r.spawnError?.message ?? r.code ?? r.signal}`,
      );
    }
  }

  private startLoops(): void {
    // The original polls the file and sends reminders once per main-loop turn.
    const interval = Math.max(1, this.config.global.checkinterval) * 1000;
    this.timers.push(setInterval(() => this.watcher.poll(), interval));
    this.timers.push(setInterval(() => this.track(this.alerter.resend(this.status)), 1000));
    this.timers.push(setInterval(() => this.statusFile?.changed(), 5000));
    for (const t of this.timers) t.unref();
  }

  private restartLoops(): void {
    for (const t of this.timers) clearInterval(t);
    this.timers = [];
    this.startLoops();
  }

  private installSignals(): void {
    for (const signal of TERMINATING) {
      const handler = (): void => void this.stop(signal.replace(/^SIG/, ''));
      this.handlers.set(signal, handler);
      process.on(signal, handler);
    }
    const hup = (): void => {
      this.log.reopen();
      void this.reload('signal');
    };
    const usr1 = (): void => this.dumpStatus();
    const pipe = (): void => {};
    this.handlers.set('SIGHUP', hup);
    this.handlers.set('SIGUSR1', usr1);
    this.handlers.set('SIGPIPE', pipe);
    process.on('SIGHUP', hup);
    process.on('SIGUSR1', usr1);
    process.on('SIGPIPE', pipe);
  }

  private async cleanUp(): Promise<void> {
    for (const t of this.timers) clearInterval(t);
    for (const [signal, handler] of this.handlers) process.off(signal, handler);
    await this.watcher.close();
    this.statusFile?.remove();
    if (this.options.pidFile) removePidFile(this.options.pidFile, process.pid);
    await this.log.close();
  }

  private enqueue(work: () => Promise<void>): Promise<void> {
    const next = this.queue.then(work, work);
    this.queue = next.catch((error: unknown) => {
      this.log.error(`internal error: ${(error as Error).stack ?? String(error)}`);
    });
    return this.queue;
  }

  private updateSecrets(config: Config): void {
    const secrets: string[] = [];
    for (const v of config.virtuals) {
      if (v.passwd) secrets.push(v.passwd);
      if (v.secret) secrets.push(v.secret);
    }
    this.log.scrubber.setSecrets(secrets);
  }
}

/** Whether a config text holds anything but blank lines and comments. */
function hasDirectives(text: string): boolean {
  return text.split('\n').some((line) => line.replace(/#.*$/, '').trim() !== '');
}
