// Run a program without a shell, under a hard deadline, and collect what it printed.
// Used by every part that starts a child: external checks, ipvsadm, fallbackcommand, callback.
// The child gets its own process group so a timeout or abort kills it and its descendants.
// The result comes at the child's exit, as the original's system() returns then: what the child
// left running behind it (`sleep 60 & exit 0`) may hold its output pipes open for as long as it
// lives, so they are read only until the child has exited and they are drained.
import { spawn } from 'node:child_process';

export interface RunOptions {
  /** Kill the child (SIGTERM, then SIGKILL after killGraceMs) when this passes. */
  timeoutMs?: number;
  /** Kill the child when aborted. */
  signal?: AbortSignal;
  /** Written to stdin, which is then closed. stdin is /dev/null when absent. */
  input?: string;
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** Output beyond this many bytes per stream is dropped (the child keeps running). */
  maxOutputBytes?: number;
  /** Time between SIGTERM and SIGKILL on timeout or abort. Default 1000 ms. */
  killGraceMs?: number;
  /**
   * What the child leaves running in its process group when it exits: 'keep' it (the default,
   * as the original's system() does) or 'kill' it (SIGKILL; checks, which must leave nothing).
   */
  leftovers?: 'keep' | 'kill';
}

export interface RunResult {
  /** Exit status, or null when the child was killed by a signal. */
  code: number | null;
  /** The signal that killed the child, if any. */
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  timedOut: boolean;
  aborted: boolean;
  /** Set when the program could not be started (ENOENT, EACCES...). */
  spawnError?: NodeJS.ErrnoException;
  durationMs: number;
}

/** After the child's exit, how long its pipes may take to deliver what it wrote and close. */
const DRAIN_MS = 100;

export function runCommand(
  file: string,
  args: readonly string[],
  options: RunOptions = {},
): Promise<RunResult> {
  const started = performance.now();
  const maxBytes = options.maxOutputBytes ?? 4 * 1024 * 1024;
  const grace = options.killGraceMs ?? 1000;
  return new Promise((resolve) => {
    let timedOut = false;
    let aborted = false;
    let spawnError: NodeJS.ErrnoException | undefined;
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    let outBytes = 0;
    let errBytes = 0;

    const child = spawn(file, args, {
      cwd: options.cwd,
      env: options.env ?? process.env,
      stdio: [options.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
      detached: true,
      shell: false,
    });

    let killTimer: NodeJS.Timeout | undefined;
    const kill = (): void => {
      if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
      signalGroup(child.pid, 'SIGTERM');
      killTimer = setTimeout(() => {
        if (child.pid !== undefined) signalGroup(child.pid, 'SIGKILL');
      }, grace);
      killTimer.unref();
    };

    const deadline =
      options.timeoutMs === undefined
        ? undefined
        : setTimeout(() => {
            timedOut = true;
            kill();
          }, options.timeoutMs);
    const onAbort = (): void => {
      aborted = true;
      kill();
    };
    if (options.signal?.aborted) onAbort();
    else options.signal?.addEventListener('abort', onAbort, { once: true });

    child.stdout?.on('data', (chunk: Buffer) => {
      if (outBytes < maxBytes) out.push(chunk);
      outBytes += chunk.length;
    });
    child.stderr?.on('data', (chunk: Buffer) => {
      if (errBytes < maxBytes) err.push(chunk);
      errBytes += chunk.length;
    });
    if (options.input !== undefined && child.stdin) {
      // A child that exits without reading its stdin makes the write fail with EPIPE.
      child.stdin.on('error', () => {});
      child.stdin.end(options.input);
    }
    child.on('error', (e: NodeJS.ErrnoException) => {
      spawnError = e;
    });
    let drainTimer: NodeJS.Timeout | undefined;
    child.on('exit', () => {
      if (deadline) clearTimeout(deadline);
      if (killTimer) clearTimeout(killTimer);
      options.signal?.removeEventListener('abort', onAbort);
      // The group outlives its leader only when the child left something running in it.
      if (options.leftovers === 'kill' || timedOut || aborted) killLeftovers(child.pid);
      drainTimer = setTimeout(() => {
        child.stdin?.destroy();
        child.stdout?.destroy();
        child.stderr?.destroy();
      }, DRAIN_MS);
    });
    child.on('close', (code, signal) => {
      if (deadline) clearTimeout(deadline);
      if (killTimer) clearTimeout(killTimer);
      if (drainTimer) clearTimeout(drainTimer);
      options.signal?.removeEventListener('abort', onAbort);
      resolve({
        code: spawnError ? null : code,
        signal,
        stdout: Buffer.concat(out).toString('utf8'),
        stderr: Buffer.concat(err).toString('utf8'),
        timedOut,
        aborted,
        spawnError,
        durationMs: performance.now() - started,
      });
    });
  });
}

/**
 * SIGKILL to the process group of a child that has exited (and was reaped): no fallback to the
 * pid itself, which may already belong to another process.
 */
function killLeftovers(pid: number | undefined): void {
  if (pid === undefined) return;
  try {
    process.kill(-pid, 'SIGKILL');
  } catch {
    // nothing left in the group
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
