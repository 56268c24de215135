// Runs the ldirectord-ts program as users and init systems do (the built bin), in a scratch
// folder holding the config, the pid folder and the fake ipvsadm's table.
import { type SpawnSyncReturns, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const root = new URL('../../', import.meta.url).pathname;
export const BIN = join(root, 'bin/ldirectord-ts');
export const FAKE_IPVSADM = join(root, 'test/support/fake-ipvsadm/ipvsadm');

export interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export class Scratch {
  readonly dir: string;
  readonly state: string;
  readonly pidDir: string;
  /** The program run by run() and runAsync(): the built bin by node, or the single executable. */
  program: readonly string[] = [process.execPath, BIN];

  constructor(prefix = 'ldts') {
    this.dir = mkdtempSync(join(tmpdir(), `${prefix}-`));
    this.state = join(this.dir, 'ipvsadm.state.json');
    this.pidDir = this.dir;
  }

  path(name: string): string {
    return join(this.dir, name);
  }

  write(name: string, text: string): string {
    const p = this.path(name);
    writeFileSync(p, text.replaceAll('{{DIR}}', this.dir));
    return p;
  }

  read(name: string): string {
    const p = this.path(name);
    return existsSync(p) ? readFileSync(p, 'utf8') : '';
  }

  env(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
    return {
      ...process.env,
      FAKE_IPVSADM_STATE: this.state,
      LDIRECTORD_IPVSADM: FAKE_IPVSADM,
      ...extra,
    };
  }

  /** `ldirectord-ts --pid-dir <dir> <args...>`, synchronously. */
  run(
    args: string[],
    options: { env?: NodeJS.ProcessEnv; cwd?: string; timeoutMs?: number } = {},
  ): RunResult {
    const [file, ...prefix] = this.program;
    const r: SpawnSyncReturns<string> = spawnSync(
      file!,
      [...prefix, '--pid-dir', this.pidDir, ...args],
      {
        cwd: options.cwd ?? this.dir,
        env: this.env(options.env),
        encoding: 'utf8',
        timeout: options.timeoutMs ?? 90_000,
      },
    );
    return { code: r.status, stdout: r.stdout, stderr: r.stderr };
  }

  /** Same, without blocking the event loop (for tests that serve requests meanwhile). */
  runAsync(
    args: string[],
    options: { env?: NodeJS.ProcessEnv; cwd?: string } = {},
  ): Promise<RunResult> {
    return new Promise((resolve) => {
      const [file, ...prefix] = this.program;
      const child = spawn(file!, [...prefix, '--pid-dir', this.pidDir, ...args], {
        cwd: options.cwd ?? this.dir,
        env: this.env(options.env),
      });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (b: Buffer) => {
        stdout += b.toString();
      });
      child.stderr.on('data', (b: Buffer) => {
        stderr += b.toString();
      });
      child.on('close', (code) => resolve({ code, stdout, stderr }));
    });
  }

  /** The fake ipvsadm's table as `ipvsadm -S -n` prints it. */
  table(): string {
    const r = spawnSync(FAKE_IPVSADM, ['-S', '-n'], { env: this.env(), encoding: 'utf8' });
    return r.stdout;
  }

  pid(cfgname: string): number | undefined {
    const text = this.read(`ldirectord.${cfgname}.pid`).trim();
    return text ? Number(text) : undefined;
  }

  cleanup(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** Polls until `predicate` holds; fails with `what` after timeoutMs. */
export async function eventually(
  predicate: () => boolean,
  what: string,
  timeoutMs = 15_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (predicate()) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
}

/** Whether the process exists and has not exited (a zombie waiting for its reaper has). */
export function alive(pid: number | undefined): boolean {
  if (pid === undefined) return false;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}

/**
 * Waits (2 s at most) for a stopped daemon to be gone. `stop` returns once the process no longer
 * runs ldirectord (its command line is empty while it exits); the kernel's last steps of the
 * exit may follow a moment later.
 */
export async function gone(pid: number, what: string): Promise<void> {
  await eventually(() => !alive(pid), what, 2000);
}
