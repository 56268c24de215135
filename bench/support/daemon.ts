// The daemon under benchmark, started as users run it, each log message handed over with the
// time it took effect.
//
// ts    `node [flags] <program> --dry-run|--ipvsadm <fake> --log-format json <cf> start` with
//       supervised=yes in the config (foreground, records on stdout): the time of a record is
//       when its ipvsadm command took effect.
// perl  /usr/sbin/ldirectord -d (test/support/perl-ldirectord.ts) with the fake ipvsadm as
//       ./ipvsadm; its log lines are timed as they arrive (it prints each after its ipvsadm
//       commands have run).
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PerlLdirectord } from '../../test/support/perl-ldirectord.ts';
import { findProcess } from './proc-stats.ts';

const root = new URL('../..', import.meta.url).pathname;
export const FAKE_IPVSADM = join(root, 'test/support/fake-ipvsadm/ipvsadm');

export interface BenchDaemon {
  pid: number;
  /** Stops it (a stopped process is continued first) and waits for it to exit. */
  stop(): Promise<void>;
}

export interface BenchDaemonOptions {
  impl: 'ts' | 'perl';
  config: string;
  /** A scratch folder for the config and the fake ipvsadm's table (ts). */
  dir: string;
  onLine: (at: number, message: string) => void;
  /** ts: what node runs; default bin/ldirectord-ts (the built bundle, else the sources). */
  program?: string;
  nodeFlags?: string[];
  /** ts: keep the table in memory (--dry-run) instead of running the fake ipvsadm. */
  dryRun?: boolean;
}

export async function startBenchDaemon(options: BenchDaemonOptions): Promise<BenchDaemon> {
  return options.impl === 'perl' ? startPerl(options) : startTs(options);
}

async function startPerl({ config, onLine }: BenchDaemonOptions): Promise<BenchDaemon> {
  const perl = PerlLdirectord.start({ config, ipvsadm: FAKE_IPVSADM });
  let seen = 0;
  let partial = '';
  const poll = setInterval(() => {
    const text = perl.log;
    const lines = (partial + text.slice(seen)).split('\n');
    seen = text.length;
    partial = lines.pop() ?? '';
    const now = Date.now();
    for (const line of lines) if (!line.startsWith('DEBUG')) onLine(now, line);
  }, 20);
  let pid: number | undefined;
  for (let i = 0; i < 100 && pid === undefined; i++) {
    pid = findProcess(['ldirectord', perl.configPath]);
    if (pid === undefined) await new Promise((r) => setTimeout(r, 50));
  }
  if (pid === undefined) {
    clearInterval(poll);
    throw new Error(`Perl ldirectord did not start:\n${perl.log}`);
  }
  const found = pid;
  return {
    pid: found,
    stop: async () => {
      clearInterval(poll);
      continued(found);
      await perl.stop({ timeoutMs: 60_000 });
    },
  };
}

async function startTs(options: BenchDaemonOptions): Promise<BenchDaemon> {
  const { dir, onLine } = options;
  const cf = join(dir, 'bench.cf');
  writeFileSync(cf, options.config);
  const child = spawn(
    process.execPath,
    [
      ...(options.nodeFlags ?? []),
      options.program ?? join(root, 'bin/ldirectord-ts'),
      ...(options.dryRun ? ['--dry-run'] : ['--ipvsadm', FAKE_IPVSADM]),
      '--log-format',
      'json',
      cf,
      'start',
    ],
    {
      cwd: dir,
      env: { ...process.env, FAKE_IPVSADM_STATE: join(dir, 'ipvsadm.state.json') },
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  let partial = '';
  child.stdout.on('data', (chunk: Buffer) => {
    const lines = (partial + chunk.toString('utf8')).split('\n');
    partial = lines.pop() ?? '';
    for (const line of lines) {
      let record: { time: number; msg: string };
      try {
        record = JSON.parse(line) as typeof record;
      } catch {
        // Node's own diagnostics (--trace-gc) go to stdout too, at times inside a record.
        process.stderr.write(`${line}\n`);
        continue;
      }
      onLine(record.time, record.msg);
    }
  });
  const exited = new Promise((r) => child.once('exit', r));
  return {
    pid: child.pid!,
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGCONT');
        child.kill('SIGTERM');
      }
      await exited;
    },
  };
}

function continued(pid: number): void {
  try {
    process.kill(pid, 'SIGCONT');
  } catch {
    // gone
  }
}
