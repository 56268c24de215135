// Detection latency at scale, the daemon as users run it: how long from a real server failing
// (the benchmark flips it) to the daemon's ipvsadm command for it, with a share of the reals
// hung (they accept and never answer). Also: the check period of every healthy real (from
// nginx's access log), false removals, the daemon's CPU per check and its resident size.
//
//   node bench/detection-latency.ts [--impl ts|perl] [--reals 10000] [--hung 0.1]
//        [--interval 10] [--timeout 3] [--seconds 180] [--flip-every 250] [--hold 3]
//        [--backend dry-run|fake] [--node-flags="--optimize-for-size"] [--nginx-workers 1]
//        [--json FILE]
//
// --impl ts    bin/ldirectord-ts (the built bundle) with --log-format json: the time of the
//              "Deleted real server" record is when its command took effect (--dry-run: the
//              in-memory table; --backend fake: the fake ipvsadm, a process per batch).
// --impl perl  /usr/sbin/ldirectord -d (test/support/perl-ldirectord.ts) with the fake
//              ipvsadm as ./ipvsadm; its log lines are timed as they arrive (it prints each
//              after its ipvsadm commands have run). Serial: give it 20-100 reals.
//
// Reals are 127.10.x.y:8080 (real i = 127.10.(i/250).(i%250+1); LDTS_BENCH_NET=11 makes it
// 127.11, for a second run on the same machine); every 1/hung-th real hangs
// for the whole run; the others are served by one private nginx. Every --flip-every ms one
// healthy real fails, alternately answering 503 ("down") and hanging ("hang"); --hold s after
// its removal it is healed, and the time to its "Added real server" is the recovery latency.
// --flip-every 0 flips nothing (a throughput run: checks per CPU-second of the whole daemon).
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { type BenchDaemon, startBenchDaemon } from './support/daemon.ts';
import { childPids, cpuSeconds, loadAverage, memory, percentile } from './support/proc-stats.ts';
import {
  benchConfig,
  type Flip,
  REAL_PORT,
  RealServers,
  realAddress,
} from './support/real-servers.ts';

const { values } = parseArgs({
  options: {
    impl: { type: 'string', default: 'ts' },
    reals: { type: 'string', default: '10000' },
    hung: { type: 'string', default: '0.1' },
    interval: { type: 'string', default: '10' },
    timeout: { type: 'string', default: '3' },
    seconds: { type: 'string', default: '180' },
    'flip-every': { type: 'string', default: '250' },
    hold: { type: 'string', default: '3' },
    backend: { type: 'string', default: 'dry-run' },
    'node-flags': { type: 'string', default: '' },
    'nginx-workers': { type: 'string', default: '1' },
    json: { type: 'string' },
  },
});
const IMPL = values.impl === 'perl' ? 'perl' : 'ts';
const REALS = Number(values.reals);
const HUNG_EVERY = Number(values.hung) > 0 ? Math.round(1 / Number(values.hung)) : 0;
const INTERVAL = Number(values.interval);
const TIMEOUT = Number(values.timeout);
const SECONDS = Number(values.seconds);
const FLIP_EVERY_MS = Number(values['flip-every']);
const HOLD_MS = Number(values.hold) * 1000;
const root = new URL('..', import.meta.url).pathname;

const isHung = (i: number): boolean => HUNG_EVERY > 0 && i % HUNG_EVERY === 0;
const addresses = Array.from({ length: REALS }, (_, i) => realAddress(i));
const healthy = addresses.filter((_, i) => !isHung(i));
const hung = addresses.filter((_, i) => isHung(i));

function configText(): string {
  return benchConfig(addresses, {
    interval: INTERVAL,
    timeout: TIMEOUT,
    globals: ['failurecount=1', 'supervised=yes', 'autoreload=no'],
  });
}

/** Starts the daemon; `onLine` gets each log message with the time it took effect. */
async function startDaemon(
  dir: string,
  onLine: (at: number, message: string) => void,
): Promise<BenchDaemon> {
  if (IMPL === 'ts') {
    const build = spawnSync(process.execPath, ['scripts/build.ts'], {
      cwd: root,
      stdio: 'inherit',
    });
    if (build.status !== 0) throw new Error('build failed');
  }
  return startBenchDaemon({
    impl: IMPL,
    config: configText(),
    dir,
    onLine,
    nodeFlags: values['node-flags'] ? values['node-flags'].split(' ') : [],
    dryRun: values.backend !== 'fake',
  });
}

// ---- the run ---------------------------------------------------------------------------------
type RealState =
  | { kind: 'normal' }
  | { kind: 'flipped'; flip: Flip; at: number }
  | { kind: 'healing'; at: number };

const state = new Map<string, RealState>(healthy.map((a) => [a, { kind: 'normal' }]));
/** Reals whose last ipvsadm command added them. */
const inTable = new Set<string>();
const detection: Record<Flip, number[]> = { down: [], hang: [] };
const recovery: number[] = [];
const spurious: string[] = [];
const everFlipped = new Set<string>();
let flipping = false;

const servers = new RealServers();
const scratch = mkdtempSync(join(tmpdir(), 'ldts-bench-latency-'));
const realOf = (message: string, verb: string): string | undefined =>
  new RegExp(`^${verb} real server: ([\\d.]+):${REAL_PORT} \\(`).exec(message)?.[1];

function onLine(at: number, message: string): void {
  const up = realOf(message, 'Added');
  const down = realOf(message, 'Deleted');
  if (up) inTable.add(up);
  if (down) inTable.delete(down);
  if (up) {
    const s = state.get(up);
    if (s?.kind === 'healing') {
      recovery.push(at - s.at);
      state.set(up, { kind: 'normal' });
    }
  } else if (down) {
    const s = state.get(down);
    if (s?.kind === 'flipped') {
      detection[s.flip].push(at - s.at);
      const heal = setTimeout(() => {
        servers.unflip(down, s.flip);
        state.set(down, { kind: 'healing', at: Date.now() });
      }, HOLD_MS);
      heal.unref();
    } else if (flipping) spurious.push(`${down} (${s?.kind ?? 'hung'})`);
  }
}

const load: string[] = [loadAverage()];
console.error(`load average ${load[0]}; starting ${healthy.length} + ${hung.length} hung reals`);
await servers.start(healthy, hung, Number(values['nginx-workers']));
const started = Date.now();
const daemon = await startDaemon(scratch, onLine);
console.error(`daemon pid ${daemon.pid}`); // for heap snapshots (--node-flags=--heapsnapshot-signal=…)
const rssSamples: number[] = [];
let peakMiB = 0;
const sampler = setInterval(() => {
  const m = memory(daemon.pid);
  if (!m) return;
  rssSamples.push(m.rssMiB);
  peakMiB = Math.max(peakMiB, m.peakMiB);
}, 1000);

try {
  // Start-up: every healthy real in the table (the Perl original adds each, removes each, and
  // adds them back on its next pass), then one more interval and deadline to settle.
  const startLimit = Date.now() + Math.max(600_000, REALS * 2 * TIMEOUT * 1000);
  while (!healthy.every((a) => inTable.has(a))) {
    if (Date.now() > startLimit) throw new Error(`only ${inTable.size} reals came up`);
    await new Promise((r) => setTimeout(r, 200));
  }
  const startUpMs = Date.now() - started;
  console.error(
    `all ${healthy.length} healthy reals added after ${(startUpMs / 1000).toFixed(1)} s`,
  );
  await new Promise((r) => setTimeout(r, (INTERVAL + TIMEOUT) * 1000));

  // Steady state with flips.
  load.push(loadAverage());
  flipping = true;
  const windowStart = Date.now();
  const cpu0 = cpuSeconds(daemon.pid);
  const hung0 = servers.hungAccepted;
  let nextFlip: Flip = 'down';
  while (Date.now() - windowStart < SECONDS * 1000) {
    const candidates =
      FLIP_EVERY_MS > 0 ? healthy.filter((a) => state.get(a)!.kind === 'normal') : [];
    const address = candidates[Math.floor(Math.random() * candidates.length)];
    if (address) {
      servers.flip(address, nextFlip);
      state.set(address, { kind: 'flipped', flip: nextFlip, at: Date.now() });
      everFlipped.add(address);
      nextFlip = nextFlip === 'down' ? 'hang' : 'down';
    }
    await new Promise((r) => setTimeout(r, FLIP_EVERY_MS || 1000));
  }
  const windowEnd = Date.now();
  const cpu = cpuSeconds(daemon.pid) - cpu0;
  const hungChecks = servers.hungAccepted - hung0;
  load.push(loadAverage());
  // Let the flips under way finish (bounded).
  const settleLimit = Date.now() + 4 * (INTERVAL + TIMEOUT) * 1000 + HOLD_MS + 120_000;
  while ([...state.values()].some((s) => s.kind !== 'normal') && Date.now() < settleLimit) {
    await new Promise((r) => setTimeout(r, 200));
  }
  flipping = false;
  const unfinished = [...state.entries()].filter(([, s]) => s.kind !== 'normal').length;
  const nginxCpu = [servers.nginxPid!, ...childPids(servers.nginxPid!)]
    .map((p) => cpuSeconds(p))
    .reduce((a, b) => a + b, 0);

  await daemon.stop();
  clearInterval(sampler);
  await new Promise((r) => setTimeout(r, 1500)); // nginx flushes its log every second
  const requests = servers.requests();

  // The period of every real that was never flipped, inside the flipping window.
  const byAddress = new Map<string, number[]>();
  for (const r of requests) {
    if (r.at < windowStart || r.at > windowEnd || everFlipped.has(r.address)) continue;
    const list = byAddress.get(r.address) ?? [];
    list.push(r.at);
    byAddress.set(r.address, list);
  }
  const periods = [...byAddress.values()].flatMap((l) => l.slice(1).map((t, i) => t - l[i]!));
  const checksInWindow =
    requests.filter((r) => r.at >= windowStart && r.at <= windowEnd).length + hungChecks;
  const sorted = (l: number[]) => [...l].sort((a, b) => a - b);
  const stats = (l: number[]) => {
    const s = sorted(l);
    return {
      n: s.length,
      p50: Math.round(percentile(s, 0.5)),
      p99: Math.round(percentile(s, 0.99)),
      max: Math.round(s.at(-1) ?? Number.NaN),
    };
  };
  const rssSorted = sorted(rssSamples);
  const result = {
    impl: IMPL,
    backend: IMPL === 'ts' ? values.backend : 'fake ipvsadm',
    nodeFlags: IMPL === 'ts' ? values['node-flags'] : undefined,
    reals: REALS,
    hung: hung.length,
    interval: INTERVAL,
    negotiatetimeout: TIMEOUT,
    boundMs: (INTERVAL + TIMEOUT + 0.5) * 1000,
    flipWindowSeconds: Math.round((windowEnd - windowStart) / 1000),
    loadAverage: load,
    startUpSeconds: Math.round(startUpMs / 100) / 10,
    detectionMs: { down: stats(detection.down), hang: stats(detection.hang) },
    detectionAllMs: stats([...detection.down, ...detection.hang]),
    recoveryMs: stats(recovery),
    spuriousRemovals: spurious.length,
    spuriousExamples: spurious.slice(0, 5),
    unfinishedFlips: unfinished,
    healthyPeriodMs: stats(periods),
    checksPerSecond: Math.round(checksInWindow / ((windowEnd - windowStart) / 1000)),
    daemonCpuPercent: Math.round((cpu / ((windowEnd - windowStart) / 1000)) * 100),
    checksPerCpuSecond: Math.round(checksInWindow / cpu),
    nginxCpuSecondsTotal: Math.round(nginxCpu),
    rssMiB: {
      median: Math.round(percentile(rssSorted, 0.5)),
      max: Math.round(rssSorted.at(-1) ?? 0),
      peak: Math.round(peakMiB),
    },
  };
  console.log(JSON.stringify(result, null, 2));
  if (values.json) writeFileSync(values.json, `${JSON.stringify(result, null, 2)}\n`);
} finally {
  clearInterval(sampler);
  await daemon.stop().catch(() => {});
  await servers.stop();
  rmSync(scratch, { recursive: true, force: true });
}
