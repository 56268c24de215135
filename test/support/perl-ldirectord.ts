// Runs the Perl original (/usr/sbin/ldirectord, Debian package `ldirectord`) as the reference
// for behaviour. In -d mode it stays in the foreground, logs to stderr and runs `./ipvsadm`
// from its working directory when that file exists (docs/ldirectord-behavior.md §3.1), so each run
// gets a scratch folder holding the config, an ipvsadm (a recording stub, or a stateful fake), and
// any files the config names through the {{DIR}} placeholder.
import { type ChildProcess, spawn } from 'node:child_process';
import {
  accessSync,
  chmodSync,
  constants,
  mkdtempSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const PERL_LDIRECTORD = '/usr/sbin/ldirectord';

/** Why the original cannot run here, or undefined when it can. */
export function perlUnavailableReason(): string | undefined {
  try {
    accessSync(PERL_LDIRECTORD, constants.X_OK);
    return undefined;
  } catch {
    return `${PERL_LDIRECTORD} is not installed (apt-get install ldirectord)`;
  }
}

/** An ipvsadm that records its argv and stdin and shows an empty table. */
const RECORDING_STUB = `#!/bin/sh
printf '%s\\n' "$*" >> "$(dirname "$0")/ipvsadm.calls"
case " $* " in
  *" -L "*|*" -l "*|*" -S "*)
    printf 'IP Virtual Server version 1.2.1 (size=4096)\\nProt LocalAddress:Port Scheduler Flags\\n  -> RemoteAddress:Port           Forward Weight ActiveConn InActConn\\n'
    ;;
esac
exit 0
`;

export interface PerlRunOptions {
  /** Config text; every {{DIR}} is replaced by the scratch folder's path. */
  config: string;
  /** An ipvsadm program to link as ./ipvsadm; default: a stub recording calls to ipvsadm.calls. */
  ipvsadm?: string;
  /** Extra environment (e.g. the state file of a fake ipvsadm). */
  env?: NodeJS.ProcessEnv;
  /** Extra arguments before the config (e.g. none). */
  action?: 'start';
}

export class PerlLdirectord {
  readonly dir: string;
  readonly configPath: string;
  private readonly child: ChildProcess;
  private output = '';
  private exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;

  private constructor(dir: string, configPath: string, child: ChildProcess) {
    this.dir = dir;
    this.configPath = configPath;
    this.child = child;
    child.stdout?.on('data', (b: Buffer) => {
      this.output += b.toString('utf8');
    });
    child.stderr?.on('data', (b: Buffer) => {
      this.output += b.toString('utf8');
    });
    this.exited = new Promise((resolve) => {
      child.on('close', (code, signal) => resolve({ code, signal }));
    });
  }

  /** Starts `ldirectord -d <abs cfg> start` in a fresh scratch folder. */
  static start(options: PerlRunOptions): PerlLdirectord {
    const dir = mkdtempSync(join(tmpdir(), 'perl-ldirectord-'));
    const configPath = join(dir, 'ldirectord.cf');
    writeFileSync(configPath, options.config.replaceAll('{{DIR}}', dir));
    const ipvsadm = join(dir, 'ipvsadm');
    if (options.ipvsadm) symlinkSync(options.ipvsadm, ipvsadm);
    else {
      writeFileSync(ipvsadm, RECORDING_STUB);
      chmodSync(ipvsadm, 0o755);
    }
    const child = spawn(PERL_LDIRECTORD, ['-d', configPath, options.action ?? 'start'], {
      cwd: dir,
      env: { ...process.env, ...options.env },
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    return new PerlLdirectord(dir, configPath, child);
  }

  /** Everything it printed so far (-d prints each log line twice: `DEBUG2: msg`, then `msg`). */
  get log(): string {
    return this.output;
  }

  /** Log lines without the DEBUG duplicates. */
  get messages(): string[] {
    return this.output.split('\n').filter((l) => l !== '' && !l.startsWith('DEBUG'));
  }

  /** The argv of every ipvsadm call so far (recording stub only). */
  get ipvsadmCalls(): string[] {
    try {
      return readFileSync(join(this.dir, 'ipvsadm.calls'), 'utf8').split('\n').filter(Boolean);
    } catch {
      return [];
    }
  }

  /** Resolves with the first log line matching, or rejects after timeoutMs. */
  async waitFor(pattern: RegExp, timeoutMs: number): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const line = this.messages.find((l) => pattern.test(l));
      if (line !== undefined) return line;
      if (Date.now() > deadline) {
        throw new Error(
          `Perl ldirectord: no line matching ${pattern} in ${timeoutMs} ms:\n${this.output}`,
        );
      }
      if (this.child.exitCode !== null) {
        throw new Error(
          `Perl ldirectord exited (${this.child.exitCode}) before ${pattern}:\n${this.output}`,
        );
      }
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  /** Waits until `predicate` holds for the monitorfile's entries, polling. */
  async waitForMonitor(
    file: string,
    predicate: (entries: MonitorEntry[]) => boolean,
    timeoutMs: number,
  ): Promise<MonitorEntry[]> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const entries = readMonitorFile(file.replaceAll('{{DIR}}', this.dir));
      if (predicate(entries)) return entries;
      if (Date.now() > deadline || this.child.exitCode !== null) {
        throw new Error(`monitorfile condition not met in ${timeoutMs} ms:\n${this.output}`);
      }
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  /** SIGTERM (the original then runs its stop: cleanstop and so on), wait, remove the folder. */
  async stop(options: { keepDir?: boolean; timeoutMs?: number } = {}): Promise<{
    code: number | null;
    signal: NodeJS.Signals | null;
  }> {
    if (this.child.exitCode === null && this.child.pid !== undefined) {
      try {
        process.kill(this.child.pid, 'SIGTERM');
      } catch {
        // already gone
      }
    }
    const timeout = new Promise<'timeout'>((r) =>
      setTimeout(r, options.timeoutMs ?? 10_000, 'timeout').unref(),
    );
    const result = await Promise.race([this.exited, timeout]);
    if (result === 'timeout') {
      if (this.child.pid !== undefined) {
        try {
          process.kill(-this.child.pid, 'SIGKILL');
        } catch {
          // already gone
        }
      }
    }
    const final = await this.exited;
    if (!options.keepDir) rmSync(this.dir, { recursive: true, force: true });
    return final;
  }
}

export interface MonitorEntry {
  /**
   * The real-id as text (docs/ldirectord-behavior.md §5.2: colon runs squeezed, backslashes
   * removed).
   */
  realIdText: string;
  status: 'up' | 'down';
  message: string;
}

/** Parses monitorfile lines: `[<ctime>] [<pid>] <rid-as-text> [<up|down>] <message>`. */
export function readMonitorFile(file: string): MonitorEntry[] {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return [];
  }
  const entries: MonitorEntry[] = [];
  for (const line of text.split('\n')) {
    const m = /^\[[^\]]*\] \[\d+\] (.*) \[(up|down)\] (.*)$/.exec(line);
    if (m) entries.push({ realIdText: m[1]!, status: m[2] as 'up' | 'down', message: m[3]! });
  }
  return entries;
}
