// The original's actions (docs/ldirectord-behavior.md §1.4): start, stop, restart, try-restart,
// reload, force-reload, status — with its messages, exit codes and pid file, which heartbeat, the
// OCF agent and systemd depend on. Every action reads the config first: a config error exits 2 and
// changes nothing (the original also deleted a running daemon's pid file: §6 item 5, fixed).
//
// `start` daemonizes by starting a detached copy of this program, which reports back through a
// pipe once it has read the config and written its pid file; the parent then exits 0, or exits
// with the child's error. The child's command line is the parent's (`... <cfg> start`), which
// the OCF agent's pgrep fallback looks for.
import { spawn } from 'node:child_process';
import { closeSync, fstatSync, openSync, readFileSync, readSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import {
  ConfigNotFoundError,
  type LocatedConfig,
  loadConfig,
  locateConfig,
} from '../config/load.ts';
import type { Config } from '../config/model.ts';
import { locateIpvsadm } from '../ipvs/backend.ts';
import { hostPort } from '../lib/inet.ts';
import { selfCommand } from '../lib/self-command.ts';
import { DaemonLogger, logTargetFor } from '../log/daemon-logger.ts';
import { type Diagnostic, formatDiagnostic, formatOriginalStyle } from '../model/diagnostics.ts';
import { formatRecord, lastRecords } from '../observe/eventlog.ts';
import { describeOverride } from '../monitor/overrides.ts';
import type { MonitorStatus } from '../monitor/types.ts';
import type { RunMode } from './daemon.ts';
import { controlSocketPath } from './control-socket.ts';
import { overrideStatePath } from './override-store.ts';
import { isLdirectordProcess, pidDirProblem, pidFilePath, readPidState } from './pidfile.ts';
import { statusDocument, statusFilePath } from './status-file.ts';
import { type SelfInvocation, SubInstances } from './sub-instances.ts';

/** ldirectord's actions, the words after the config on its command line. */
export const ACTIONS = [
  'start',
  'stop',
  'restart',
  'try-restart',
  'reload',
  'force-reload',
  'status',
] as const;
export type Action = (typeof ACTIONS)[number];

/** What an action is asked to do (src/cli/legacy.ts reads it from ldirectord's argv). */
export interface ActionOptions {
  action: Action;
  /** The config argument as given; undefined means the default `ldirectord.cf`. */
  config?: string;
  /** -d: in the foreground, logging verbosely to the terminal; ./ipvsadm preferred. */
  debug: boolean;
  pidDir?: string;
  /** Extension: where ctl's overrides are kept across restarts. */
  stateDir?: string;
  ipvsadm?: string;
  /** Extension: `--log-format json` writes pino's JSON records instead of the original's lines. */
  logFormat?: 'text' | 'json';
  /** Extension: `status --json`. */
  json: boolean;
  /** Extension: IPVS changes go to an in-memory table and are logged, not run (no ipvsadm). */
  dryRun: boolean;
  /**
   * Extension: `start` runs the daemon in this process (pid file and log as usual) instead of
   * forking, for a service manager that supervises it (systemd Type=notify).
   */
  foreground: boolean;
  /** Extension: `status --history [N]`: the last N lines of the eventlog= file. */
  history?: number;
}

const READY_FD_ENV = 'LDIRECTORD_TS_READY_FD';
const DEFAULT_LOG = '/var/log/ldirectord.log';

export interface ActionContext {
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
  /** How long stop and restart wait for the daemon to exit. */
  stopTimeoutMs: number;
}

function defaultContext(): ActionContext {
  return {
    stdout: process.stdout,
    stderr: process.stderr,
    stopTimeoutMs: Number(process.env.LDIRECTORD_TS_STOP_TIMEOUT_MS ?? 60_000),
  };
}

export async function runAction(
  args: ActionOptions,
  context: ActionContext = defaultContext(),
): Promise<number> {
  const action = args.action;
  const readyFd = process.env[READY_FD_ENV] ? Number(process.env[READY_FD_ENV]) : undefined;
  // Between `start` and its daemon only: no program the daemon runs (checks, fallbackcommand,
  // callback, ipvsadm, sub-instances) may inherit it.
  delete process.env[READY_FD_ENV];
  const report = readyReporter(readyFd);
  // systemd's notify socket is the daemon's alone: no check, ipvsadm or fallbackcommand may
  // inherit it (sd_notify's unset_environment).
  const notifyEnv: NodeJS.ProcessEnv = {};
  for (const name of ['NOTIFY_SOCKET', 'WATCHDOG_USEC', 'WATCHDOG_PID']) {
    if (process.env[name] !== undefined) notifyEnv[name] = process.env[name];
    delete process.env[name];
  }

  let located: LocatedConfig;
  try {
    located = locateConfig(args.config);
  } catch (error) {
    if (!(error instanceof ConfigNotFoundError)) throw error;
    if (!args.debug) context.stderr.write(`${error.message}\n`);
    const log = new DaemonLogger({
      target: args.debug ? { kind: 'debug' } : { kind: 'file', path: DEFAULT_LOG },
      cfgname: args.config ?? 'ldirectord',
    });
    log.info(error.message);
    log.info('Exiting with exit_status 1: Initialisation Error');
    await log.close();
    report.error(1, error.message);
    return 1;
  }

  const { config, diagnostics } = await loadConfig(located.file, {
    fileChecks: action === 'start' || action === 'restart' ? 'open' : 'access',
    debug: args.debug,
  });
  if (!config) {
    printConfigErrors(diagnostics, context);
    report.error(2, diagnostics.find((d) => d.severity === 'error')?.message ?? 'config error');
    return 2;
  }

  const supervised = config.global.supervised;
  const logger = new DaemonLogger({
    target: logTargetFor({ debug: args.debug, supervised, logfile: config.global.logfile }),
    cfgname: located.cfgname,
    debugLevel: args.debug ? 3 : 0,
    json: args.logFormat === 'json',
    stdout: context.stdout,
    stderr: context.stderr,
    // Another syslog socket than /dev/log (a chroot, a container, the tests).
    ...(process.env.LDIRECTORD_TS_SYSLOG_SOCKET
      ? { syslogSocket: process.env.LDIRECTORD_TS_SYSLOG_SOCKET }
      : {}),
  });
  const argWords = [args.config, action].filter((w) => w !== undefined);
  // The parent of a daemon has logged this already.
  if (!report.isChild) {
    logger.info(
      `Invoking ldirectord invoked as: ${process.argv[1]} ${argWords.map((w) => `${w} `).join('')}`,
    );
  }

  // LDIRECTORD_TS_PID_DIR is for callers that must keep the command line `<prog> <cfg> start`
  // as it is (the OCF agent finds the daemon with pgrep on exactly that).
  const pidFile = pidFilePath(
    located.cfgname,
    args.pidDir ?? (process.env.LDIRECTORD_TS_PID_DIR || undefined),
  );
  const self: SelfInvocation = { command: selfCommand(), options: globalOptions(args) };

  try {
    switch (action) {
      case 'status':
        return await status(located, pidFile, config, args, logger, context, self);
      case 'stop':
        return await stop(pidFile, context);
      case 'reload':
      case 'force-reload': {
        const state = readPidState(pidFile);
        if (state.kind !== 'running') {
          logger.info(`ldirectord is stopped for ${located.file}`);
          return 1;
        }
        process.kill(state.pid, 'SIGHUP');
        return 0;
      }
      case 'try-restart':
        if (readPidState(pidFile).kind !== 'running') return 0;
        return await restart(args, located, config, logger, pidFile, context, report);
      case 'restart':
        return await restart(args, located, config, logger, pidFile, context, report);
      case 'start': {
        if (readyFd === undefined && readPidState(pidFile).kind === 'running') return 0;
        return await start(args, located, config, logger, pidFile, context, report, notifyEnv);
      }
    }
  } finally {
    await logger.close();
  }
}

function printConfigErrors(diagnostics: Diagnostic[], context: ActionContext): void {
  const errors = diagnostics.filter((d) => d.severity === 'error');
  // The first line keeps the original's form; then every error, with what would be accepted.
  context.stderr.write(`${formatOriginalStyle(errors[0]!)}\n`);
  for (const d of errors) context.stderr.write(`${formatDiagnostic(d)}\n`);
}

/** The global options a daemon child or execute= instance must get again. */
function globalOptions(args: ActionOptions): string[] {
  const options: string[] = [];
  if (args.pidDir) options.push('--pid-dir', args.pidDir);
  if (args.stateDir) options.push('--state-dir', args.stateDir);
  if (args.ipvsadm) options.push('--ipvsadm', args.ipvsadm);
  if (args.logFormat) options.push('--log-format', args.logFormat);
  if (args.dryRun) options.push('--dry-run');
  return options;
}

async function status(
  located: LocatedConfig,
  pidFile: string,
  config: Config,
  args: ActionOptions,
  logger: DaemonLogger,
  context: ActionContext,
  self: SelfInvocation,
): Promise<number> {
  if (args.history !== undefined) return history(located, config, args, context);
  const state = readPidState(pidFile);
  if (args.json) {
    let daemon: unknown = null;
    if (state.kind === 'running') {
      try {
        daemon = JSON.parse(readFileSync(statusFilePath(pidFile), 'utf8'));
      } catch {
        daemon = null;
      }
    }
    const out = statusDocument({
      config: located.file,
      pidFile,
      running: state.kind === 'running',
      ...(state.kind !== 'none' ? { pid: state.pid } : {}),
      stale: state.kind === 'stale',
      daemon,
    });
    context.stdout.write(`${JSON.stringify(out, null, 2)}\n`);
    return state.kind === 'running' ? 0 : state.kind === 'stale' ? 1 : 3;
  }
  if (state.kind === 'running') {
    const line = `ldirectord for ${located.file} is running with pid: ${state.pid}`;
    context.stderr.write(`${line}\n`);
    logger.info(line);
    for (const override of overridesInStatus(pidFile)) context.stderr.write(`${override}\n`);
    const children = new SubInstances(self, logger);
    for (const key of config.global.execute) {
      const r = await children.run(key, 'status');
      context.stderr.write(r.stderr);
      context.stdout.write(r.stdout);
    }
    logger.info('Exiting from ldirectord status');
    return 0;
  }
  if (state.kind === 'stale') {
    const line = `ldirectord stale pid file ${pidFile} for ${located.file}`;
    context.stderr.write(`${line}\n`);
    logger.info(line);
    context.stdout.write(`ldirectord is stopped for ${located.file}\n`);
    return 1;
  }
  context.stdout.write(`ldirectord is stopped for ${located.file}\n`);
  return 3;
}

/** `status --history [N]`: the last N state changes of the eventlog= file. */
function history(
  located: LocatedConfig,
  config: Config,
  args: ActionOptions,
  context: ActionContext,
): number {
  const file = config.global.eventlog;
  if (file === undefined) {
    context.stderr.write(
      `${located.file} has no eventlog= directive: no history is kept (see ldirectord-ts(8))\n`,
    );
    return 1;
  }
  let text: string;
  try {
    text = readTail(file, 4 * 1024 * 1024);
  } catch (error) {
    const e = error as NodeJS.ErrnoException;
    if (e.code !== 'ENOENT') {
      context.stderr.write(`cannot read eventlog ${file}: ${e.message}\n`);
      return 1;
    }
    text = '';
  }
  const records = lastRecords(text, args.history ?? 20);
  if (args.json) context.stdout.write(`${JSON.stringify(records, null, 2)}\n`);
  else for (const r of records) context.stdout.write(`${formatRecord(r)}\n`);
  return 0;
}

/** The last `limit` bytes of a file (a log's newest lines), from a line start. */
function readTail(file: string, limit: number): string {
  const fd = openSync(file, 'r');
  try {
    const size = fstatSync(fd).size;
    const start = Math.max(0, size - limit);
    const buffer = Buffer.alloc(size - start);
    let read = 0;
    while (read < buffer.length) {
      const n = readSync(fd, buffer, read, buffer.length - read, start + read);
      if (n === 0) break;
      read += n;
    }
    const text = buffer.subarray(0, read).toString('utf8');
    return start === 0 ? text : text.slice(text.indexOf('\n') + 1);
  } finally {
    closeSync(fd);
  }
}

/**
 * The ctl overrides the running daemon reports in its status file, one line each (on standard
 * error with the running line; heartbeat reads both, and these never say "running" or "OK").
 */
function overridesInStatus(pidFile: string): string[] {
  let snapshot: { monitor?: MonitorStatus };
  try {
    snapshot = JSON.parse(readFileSync(statusFilePath(pidFile), 'utf8')) as typeof snapshot;
  } catch {
    return [];
  }
  const lines: string[] = [];
  for (const v of snapshot.monitor?.virtuals ?? [])
    for (const r of v.reals)
      if (r.override)
        lines.push(
          `ldirectord-ts: real server ${hostPort(r.address, r.port)} (${v.id}) ${describeOverride(r.override)} by ctl since ${r.override.since}`,
        );
  return lines;
}

/** SIGTERM, then wait (bounded) until the daemon is gone, so callers can rely on it. */
async function stop(pidFile: string, context: ActionContext): Promise<number> {
  const state = readPidState(pidFile);
  if (state.kind !== 'running') return 0;
  process.kill(state.pid, 'SIGTERM');
  if (await waitForExit(state.pid, context.stopTimeoutMs)) return 0;
  context.stderr.write(
    `ldirectord (pid ${state.pid}) did not stop within ${context.stopTimeoutMs / 1000} s\n`,
  );
  return 1;
}

async function waitForExit(pid: number, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (!isLdirectordProcess(pid)) return true;
    await new Promise((r) => setTimeout(r, 100));
  }
  return !isLdirectordProcess(pid);
}

async function restart(
  args: ActionOptions,
  located: LocatedConfig,
  config: Config,
  logger: DaemonLogger,
  pidFile: string,
  context: ActionContext,
  report: ReadyReporter,
): Promise<number> {
  const code = await stop(pidFile, context);
  if (code !== 0) return code;
  return start(args, located, config, logger, pidFile, context, report);
}

async function start(
  args: ActionOptions,
  located: LocatedConfig,
  config: Config,
  logger: DaemonLogger,
  pidFile: string,
  context: ActionContext,
  report: ReadyReporter,
  notifyEnv: NodeJS.ProcessEnv = {},
): Promise<number> {
  const foreground = args.debug || config.global.supervised;
  // Only a daemon keeps a pid file (as the original), so only a daemon needs a safe folder.
  const pidDirRefused = foreground ? undefined : pidDirProblem(dirname(pidFile));
  if (pidDirRefused !== undefined) {
    logger.error(pidDirRefused);
    if (!report.isChild) context.stderr.write(`${pidDirRefused}\n`);
    report.error(1, pidDirRefused);
    return 1;
  }
  if (!foreground && !args.foreground && !report.isChild) {
    await logger.close();
    return daemonize(context);
  }
  // A dry run keeps the table in memory and needs no ipvsadm.
  const ipvsadm = args.dryRun
    ? undefined
    : locateIpvsadm({ explicit: args.ipvsadm, debug: args.debug });
  if (!ipvsadm && !args.dryRun) {
    logger.error('Can not find ipvsadm');
    report.error(1, 'Can not find ipvsadm');
    if (foreground) context.stderr.write('Can not find ipvsadm\n');
    return 1;
  }
  const mode: RunMode = args.debug ? 'debug' : config.global.supervised ? 'supervised' : 'daemon';
  if (mode === 'daemon') process.chdir('/');
  // Loaded here, not at the top: the checkers, mail and file watching are only needed by a
  // running daemon, and status (Pacemaker: every 20 s) starts faster without them.
  const { LdirectordDaemon } = await import('./daemon.ts');
  const daemon = new LdirectordDaemon({
    file: located.file,
    cfgname: located.cfgname,
    config,
    mode,
    logger,
    ...(mode === 'daemon' ? { pidFile, statusFile: statusFilePath(pidFile) } : {}),
    // In every mode: a daemon in the foreground is steered like one in the background.
    controlSocket: controlSocketPath(pidFile),
    overrideState: overrideStatePath(
      located.cfgname,
      args.stateDir ?? (process.env.LDIRECTORD_TS_STATE_DIR || undefined),
    ),
    ...(ipvsadm ? { ipvsadm } : {}),
    dryRun: args.dryRun,
    notifyEnv,
    self: { command: selfCommand(), options: globalOptions(args) },
    onReady: () => report.ready(),
    ...(process.env.LDIRECTORD_TS_SMTP_PORT
      ? { smtpPort: Number(process.env.LDIRECTORD_TS_SMTP_PORT) }
      : {}),
  });
  const code = await daemon.run();
  // The daemon has stopped cleanly. Whatever is still open now (a check's socket that a server
  // never closes: a hung MySQL keeps mysql2's half-closed socket alive) must not keep the
  // process alive: `stop`, systemd and the OCF agent wait for it to be gone. The timer does not
  // hold the process: when nothing else does, it exits at once.
  setTimeout(() => process.exit(code), 500).unref();
  return code;
}

/** Starts a detached copy of this command and waits for it to report ready or failed. */
function daemonize(context: ActionContext): Promise<number> {
  return new Promise((resolve) => {
    const self = selfCommand();
    const child = spawn(self.file, [...self.prefix, ...process.argv.slice(2)], {
      argv0: self.argv0,
      detached: true,
      stdio: ['ignore', 'ignore', 'ignore', 'pipe'],
      env: { ...process.env, [READY_FD_ENV]: '3' },
    });
    let message = '';
    const pipe = child.stdio[3] as NodeJS.ReadableStream;
    pipe.on('data', (b: Buffer) => {
      message += b.toString();
    });
    const finish = (): void => {
      const line = message.split('\n')[0] ?? '';
      if (line === 'ready') {
        child.unref();
        (pipe as unknown as { destroy(): void }).destroy();
        resolve(0);
        return;
      }
      const m = /^error (\d+) (.*)$/s.exec(message.trim());
      if (m) {
        context.stderr.write(`${m[2]}\n`);
        resolve(Number(m[1]));
      } else {
        context.stderr.write('ldirectord-ts: the daemon exited before it was ready\n');
        resolve(1);
      }
    };
    pipe.on('end', finish);
    child.on('error', (e) => {
      context.stderr.write(`ldirectord-ts: cannot start the daemon: ${e.message}\n`);
      resolve(1);
    });
  });
}

interface ReadyReporter {
  isChild: boolean;
  ready(): void;
  error(code: number, message: string): void;
}

/** In a daemon child, tells the parent through the inherited pipe; elsewhere does nothing. */
function readyReporter(fd: number | undefined): ReadyReporter {
  let done = false;
  const send = (text: string): void => {
    if (fd === undefined || done) return;
    done = true;
    try {
      writeSync(fd, text);
      closeSync(fd);
    } catch {
      // the parent is gone; nothing to tell
    }
  };
  return {
    isChild: fd !== undefined,
    ready: () => send('ready\n'),
    error: (code, message) => send(`error ${code} ${message}\n`),
  };
}
