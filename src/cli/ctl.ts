// `ldirectord-ts [configfile] ctl drain|enable|weight N|show ...`: one request to the running
// daemon over its control socket (src/daemon/control-socket.ts), its answer printed.
// Exit status: 0 done, 1 the daemon refused (unknown virtual or real...) or did not answer,
// 3 no daemon runs for this config, 4 not allowed (only root may steer the daemon), 255 usage.
import { connect } from 'node:net';
import { ConfigNotFoundError, locateConfig } from '../config/load.ts';
import {
  type ControlReply,
  type ControlRequest,
  parseCtlWords,
} from '../daemon/control-protocol.ts';
import { controlSocketPath } from '../daemon/control-socket.ts';
import { pidFilePath, readPidState } from '../daemon/pidfile.ts';
import { errorMessage } from '../lib/error-message.ts';
import { hostPort } from '../lib/inet.ts';
import { describeOverride } from '../monitor/overrides.ts';
import type { RealView } from '../monitor/types.ts';

export interface CtlOptions {
  /** The words after `ctl`; `--json` among them prints the daemon's answer as it came. */
  words: string[];
  config?: string | undefined;
  pidDir?: string | undefined;
  stdout?: NodeJS.WritableStream;
  stderr?: NodeJS.WritableStream;
  /** How long to wait for the answer (the daemon answers once the IPVS table follows). */
  timeoutMs?: number;
}

export async function run(options: CtlOptions): Promise<number> {
  const stdout = options.stdout ?? process.stdout;
  const stderr = options.stderr ?? process.stderr;
  const json = options.words.includes('--json');
  const parsed = parseCtlWords(options.words.filter((w) => w !== '--json'));
  if (!parsed.ok) {
    stderr.write(`${parsed.error}\n`);
    return 255;
  }
  let cfgname: string;
  let file: string;
  try {
    ({ cfgname, file } = locateConfig(options.config));
  } catch (error) {
    if (!(error instanceof ConfigNotFoundError)) throw error;
    stderr.write(`${error.message}\n`);
    return 1;
  }
  const pidFile = pidFilePath(
    cfgname,
    options.pidDir ?? (process.env.LDIRECTORD_TS_PID_DIR || undefined),
  );
  const socket = controlSocketPath(pidFile);
  const sent = await send(socket, parsed.request, options.timeoutMs ?? 120_000);
  if (!sent.ok) {
    const { code, message } = failure(sent.code, sent.message, socket, file, pidFile);
    stderr.write(`ldirectord-ts: ${message}\n`);
    return code;
  }
  const reply = sent.reply;
  if (json) stdout.write(`${JSON.stringify(reply, null, 2)}\n`);
  if (!reply.ok) {
    if (!json) stderr.write(`ldirectord-ts: ${reply.error}\n`);
    return 1;
  }
  if (!json) {
    stdout.write(`${reply.message}\n`);
    for (const view of reply.reals) stdout.write(`${realLine(view)}\n`);
  }
  if (reply.warning !== undefined) stderr.write(`ldirectord-ts: warning: ${reply.warning}\n`);
  return 0;
}

/** One real as `show` prints it. */
export function realLine({ virtual, real }: RealView): string {
  const parts = [`${virtual} ${hostPort(real.address, real.port)}`, real.up ? 'up' : 'down'];
  parts.push(`weight ${real.weight}`);
  if (real.override)
    parts.push(`${describeOverride(real.override)} by ctl since ${real.override.since}`);
  if (real.maintenance) parts.push(`in maintenance (${real.maintenance})`);
  parts.push(real.serving ? 'takes traffic' : 'takes no new traffic');
  if (real.pending) parts.push('IPVS update pending');
  if (real.lastCheck)
    parts.push(
      `last check ${real.lastCheck.up ? 'up' : 'down'} at ${real.lastCheck.at}${real.lastCheck.reason ? `: ${real.lastCheck.reason}` : ''}`,
    );
  return parts.join(', ');
}

type Sent = { ok: true; reply: ControlReply } | { ok: false; code?: string; message: string };

function send(path: string, request: ControlRequest, timeoutMs: number): Promise<Sent> {
  return new Promise((resolve) => {
    const socket = connect(path);
    let received = '';
    let settled = false;
    const settle = (result: Sent): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      resolve(result);
    };
    const timer = setTimeout(
      () => settle({ ok: false, message: `no answer within ${timeoutMs / 1000} s` }),
      timeoutMs,
    );
    socket.setEncoding('utf8');
    socket.on('connect', () => socket.write(`${JSON.stringify(request)}\n`));
    socket.on('data', (chunk: string) => {
      received += chunk;
      if (received.length > 16 * 1024 * 1024)
        settle({ ok: false, message: 'the answer is too long' });
    });
    socket.on('end', () => {
      if (received === '') {
        settle({ ok: false, message: 'the daemon closed the connection without an answer' });
        return;
      }
      try {
        settle({ ok: true, reply: JSON.parse(received) as ControlReply });
      } catch {
        settle({
          ok: false,
          message: `the daemon's answer is not JSON: ${received.slice(0, 200)}`,
        });
      }
    });
    socket.on('error', (error: NodeJS.ErrnoException) =>
      settle({
        ok: false,
        ...(error.code !== undefined ? { code: error.code } : {}),
        message: errorMessage(error),
      }),
    );
  });
}

function failure(
  code: string | undefined,
  message: string,
  socket: string,
  file: string,
  pidFile: string,
): { code: number; message: string } {
  if (code === 'EACCES' || code === 'EPERM')
    return {
      code: 4,
      message: `permission denied on ${socket}: only root (the daemon's user) may use ctl`,
    };
  if (code === 'ENOENT' || code === 'ECONNREFUSED') {
    const state = readPidState(pidFile);
    if (state.kind === 'running')
      return {
        code: 1,
        message: `the daemon (pid ${state.pid}) for ${file} does not answer on ${socket}: its log says why`,
      };
    return { code: 3, message: `ldirectord is stopped for ${file} (no control socket ${socket})` };
  }
  return { code: 1, message: `ctl failed on ${socket}: ${message}` };
}
