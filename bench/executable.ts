// The single executable (scripts/build-sea.ts) against the bundle run by node
// (`node dist/ldirectord-ts.cjs`), measured side by side in one run:
//
// - start-up latency of `status` (Pacemaker runs it every 20 s; target <= 100 ms), stopped and
//   with a daemon running, with the Perl original's status for reference, and of `check` on
//   examples/demo.cf and on the 10,000-real bench config;
// - the daemon's resident size on examples/demo.cf (its reals down: no demo servers) and on the
//   10,000-real bench config (reals served by nginx, as bench/detection-latency.ts), both with
//   --dry-run, sampled once a second after a warm-up;
// - the sizes of the executable and of the release packages (xz; `npm run package` builds them).
//
//   node bench/executable.ts [--runs 20] [--seconds 60] [--warmup 20] [--reals 10000]
//                            [--rounds 1] [--no-packages]
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { bundle, BUNDLE } from '../scripts/build.ts';
import { buildExecutable } from '../scripts/build-sea.ts';
import { buildPackages } from '../scripts/package.ts';
import { loadAverage, memory, percentile } from './support/proc-stats.ts';
import { benchConfig, RealServers, realAddress } from './support/real-servers.ts';

const { values } = parseArgs({
  options: {
    runs: { type: 'string', default: '20' },
    seconds: { type: 'string', default: '60' },
    warmup: { type: 'string', default: '20' },
    reals: { type: 'string', default: '10000' },
    rounds: { type: 'string', default: '1' },
    'no-packages': { type: 'boolean', default: false },
  },
});
const RUNS = Number(values.runs);
const SECONDS = Number(values.seconds);
const WARMUP = Number(values.warmup);
const REALS = Number(values.reals);
const ROUNDS = Number(values.rounds);
const root = new URL('..', import.meta.url).pathname;
const DEMO = join(root, 'examples/demo.cf');
const PERL = '/usr/sbin/ldirectord';

await bundle();
const EXECUTABLE = buildExecutable();
const programs = {
  executable: [EXECUTABLE],
  'node dist/ldirectord-ts.cjs': [process.execPath, BUNDLE],
} as const;
type Name = keyof typeof programs;
const names = Object.keys(programs) as Name[];

const scratch = mkdtempSync(join(tmpdir(), 'ldts-bench-executable-'));
const pidDir = join(scratch, 'run');
spawnSync('mkdir', [pidDir]);
const small = join(scratch, 'small.cf');
writeFileSync(
  small,
  `checkinterval=5\nlogfile="${scratch}/small.log"\nvirtual=10.13.0.1:80\n\treal=127.0.13.1:8080 masq\n\tchecktype=connect\n`,
);
const big = join(scratch, 'big.cf');
const addresses = Array.from({ length: REALS }, (_, i) => realAddress(i));
writeFileSync(
  big,
  benchConfig(addresses, {
    interval: 10,
    timeout: 3,
    globals: ['supervised=yes', 'autoreload=no', `logfile="${scratch}/big.log"`],
  }),
);

function ms(t: bigint): number {
  return Number(t) / 1e6;
}

/** Wall time of `argv` run to completion, in ms; fails on an unexpected exit status. */
function timed(argv: readonly string[], expect: number): number {
  const started = process.hrtime.bigint();
  const r = spawnSync(argv[0]!, argv.slice(1), { encoding: 'utf8', cwd: scratch });
  const took = ms(process.hrtime.bigint() - started);
  if (r.status !== expect) {
    throw new Error(`${argv.join(' ')}: exit ${r.status}, expected ${expect}\n${r.stderr}`);
  }
  return took;
}

function summary(samples: number[]): string {
  const sorted = [...samples].sort((a, b) => a - b);
  const f = (n: number): string => n.toFixed(0);
  return `${f(percentile(sorted, 0.5))} / ${f(percentile(sorted, 0.9))} / ${f(sorted[0]!)}`;
}

/** The cases, each run RUNS times, interleaved so that load changes hit all alike. */
function latency(cases: Array<{ label: string; argv: readonly string[]; expect: number }>): void {
  const samples = new Map(cases.map((c) => [c.label, [] as number[]]));
  for (const c of cases) timed(c.argv, c.expect); // warm the page cache
  for (let i = 0; i < RUNS; i++) {
    for (const c of cases) samples.get(c.label)!.push(timed(c.argv, c.expect));
  }
  for (const c of cases) {
    process.stdout.write(`| ${c.label} | ${summary(samples.get(c.label)!)} |\n`);
  }
}

process.stdout.write(
  `Node ${process.version}, ${new Date().toISOString().slice(0, 10)}, load ${loadAverage()}\n\n`,
);
process.stdout.write('| command (ms: median / p90 / best) | |\n| --- | --- |\n');
const ours = (name: Name, args: string[]): readonly string[] => [
  ...programs[name],
  '--pid-dir',
  pidDir,
  ...args,
];
latency([
  ...names.map((n) => ({
    label: `${n} status (stopped)`,
    argv: ours(n, [small, 'status']),
    expect: 3,
  })),
  ...(existsSync(PERL)
    ? [{ label: 'Perl ldirectord status (stopped)', argv: [PERL, small, 'status'], expect: 3 }]
    : []),
]);
const started = spawnSync(EXECUTABLE, ['--pid-dir', pidDir, '--dry-run', small, 'start']);
if (started.status !== 0) throw new Error(`start: ${started.stderr}`);
latency(
  names.map((n) => ({
    label: `${n} status (running)`,
    argv: ours(n, [small, 'status']),
    expect: 0,
  })),
);
spawnSync(EXECUTABLE, ['--pid-dir', pidDir, small, 'stop']);
latency([
  ...names.map((n) => ({
    label: `${n} check demo.cf`,
    argv: [...programs[n], 'check', DEMO],
    expect: 0,
  })),
  ...names.map((n) => ({
    label: `${n} check (${REALS} reals)`,
    argv: [...programs[n], 'check', big],
    expect: 0,
  })),
]);

/**
 * Starts `name` in the foreground (supervised=yes) on `config`; RSS sampled once a second after
 * the warm-up: the medians of RSS, of its anonymous part and of its file-backed part.
 */
async function residentSize(name: Name, config: string): Promise<string> {
  const child: ChildProcess = spawn(
    programs[name][0],
    [...programs[name].slice(1), '--dry-run', config, 'start'],
    { cwd: scratch, stdio: 'ignore' },
  );
  const exited = new Promise((r) => child.once('exit', r));
  const samples = { rss: [] as number[], anon: [] as number[], file: [] as number[] };
  const until = Date.now() + (WARMUP + SECONDS) * 1000;
  const from = Date.now() + WARMUP * 1000;
  while (Date.now() < until && child.exitCode === null) {
    await new Promise((r) => setTimeout(r, 1000));
    const m = memory(child.pid!);
    if (m && Date.now() >= from) {
      samples.rss.push(m.rssMiB);
      samples.anon.push(m.anonMiB);
      samples.file.push(m.fileMiB);
    }
  }
  if (child.exitCode === null) child.kill('SIGTERM');
  await exited;
  if (samples.rss.length === 0) throw new Error(`${name} on ${config} exited early`);
  const median = (xs: number[]): string =>
    percentile(
      xs.sort((a, b) => a - b),
      0.5,
    ).toFixed(0);
  return `${median(samples.rss)} = ${median(samples.anon)} + ${median(samples.file)}`;
}

process.stdout.write(
  '\n| daemon RSS MiB (medians: RSS = anonymous + file-backed) | demo.cf | ' +
    `${REALS} reals |\n| --- | --- | --- |\n`,
);
const servers = new RealServers();
await servers.start(addresses, []);
try {
  // Round by round, the order reversed each time: the load changes over minutes.
  for (let round = 0; round < ROUNDS; round++) {
    for (const name of round % 2 === 0 ? names : [...names].reverse()) {
      const demo = await residentSize(name, DEMO);
      const many = await residentSize(name, big);
      process.stdout.write(`| ${name} | ${demo} | ${many} |\n`);
    }
  }
} finally {
  await servers.stop();
}

if (!values['no-packages']) {
  const packages = await buildPackages();
  process.stdout.write('\n| file | MiB |\n| --- | --- |\n');
  for (const file of [
    packages.executable,
    packages.deb,
    packages.rpm,
    packages.dropinDeb,
    packages.dropinRpm,
  ]) {
    process.stdout.write(
      `| ${file.slice(root.length)} | ${(statSync(file).size / 2 ** 20).toFixed(2)} |\n`,
    );
  }
}
process.stdout.write(`\nload at the end ${loadAverage()}\n`);
rmSync(scratch, { recursive: true, force: true });
