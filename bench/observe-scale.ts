// What the metrics= listener costs (issue 11): the daemon as users run it (the built program,
// --dry-run, supervised), at 100 and at 10,000 reals, once without and once with the listener,
// side by side in one run; then the CPU one scrape costs, measured in-process (on a shared
// machine the wall-clock latency includes waiting for a core). For each run: the daemon's CPU
// (share of one core) and RSS over a steady window after every real is up; with the listener,
// Prometheus-style scrapes of /metrics every --scrape seconds during the window (size,
// latency), and one /status and /checks each.
//
//   node scripts/build.ts && node bench/observe-scale.ts [--sizes 100,10000] [--window 30]
//        [--scrape 5] [--interval 10] [--json FILE]
//
// Reals: http negotiate checks against one private nginx on 127.10.x.y:8080 (see
// bench/support/real-servers.ts); the listener on 127.0.41.60.
import { writeFileSync } from 'node:fs';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { CheckHistory } from '../src/observe/history.ts';
import { Metrics } from '../src/observe/metrics.ts';
import { checkedFleet, freePort, passedCheck } from '../test/support/observe.ts';
import { startBenchDaemon } from './support/daemon.ts';
import { cpuSeconds, loadAverage, memory, percentile } from './support/proc-stats.ts';
import { benchConfig, RealServers, realAddress } from './support/real-servers.ts';

const { values } = parseArgs({
  options: {
    sizes: { type: 'string', default: '100,10000' },
    window: { type: 'string', default: '30' },
    scrape: { type: 'string', default: '5' },
    interval: { type: 'string', default: '10' },
    json: { type: 'string' },
  },
});
const SIZES = values.sizes.split(',').map(Number);
const WINDOW_S = Number(values.window);
const SCRAPE_S = Number(values.scrape);
const INTERVAL = Number(values.interval);
const HOST = '127.0.41.60';

async function timedGet(url: string): Promise<{ ms: number; bytes: number }> {
  const started = performance.now();
  const r = await fetch(url, { signal: AbortSignal.timeout(30_000) });
  const body = await r.arrayBuffer();
  if (!r.ok) throw new Error(`${url}: HTTP ${r.status}`);
  return { ms: performance.now() - started, bytes: body.byteLength };
}

interface Row {
  reals: number;
  listener: boolean;
  startUpS: number;
  cpuPercent: number;
  rssMiB: { mean: number; max: number };
  scrape?: { bytes: number; series: number; p50Ms: number; maxMs: number; count: number };
  status?: { bytes: number; ms: number };
  checks?: { bytes: number; ms: number };
}

/**
 * The CPU one scrape costs the daemon, measured in this process (the machine is shared: wall
 * times above include waiting for a core): /metrics, /status's JSON and /checks at `size`
 * reals after one check each, median of 5.
 */
async function scrapeCpu(size: number): Promise<Record<string, number>> {
  const { config, status } = checkedFleet(size, realAddress);
  const metrics = new Metrics(config, { status: () => status });
  const history = new CheckHistory();
  for (const v of config.virtuals)
    for (const r of v.reals) {
      const event = passedCheck(v, r);
      metrics.onEvent(event);
      history.record(v, r, event);
    }
  const cpu = async (work: () => unknown): Promise<number> => {
    const samples: number[] = [];
    for (let i = 0; i < 5; i++) {
      const before = process.cpuUsage();
      await work();
      const used = process.cpuUsage(before);
      samples.push((used.user + used.system) / 1000);
    }
    return Math.round(samples.sort((a, b) => a - b)[2]!);
  };
  const scrub = (text: string): string => text;
  return {
    metrics: await cpu(() => metrics.text()),
    status: await cpu(() =>
      JSON.stringify({ daemon: { monitor: status } }, (_k, v: unknown) =>
        typeof v === 'string' ? scrub(v) : v,
      ),
    ),
    checks: await cpu(() => JSON.stringify(history.toJSON())),
  };
}

const maxSize = Math.max(...SIZES);
const addresses = Array.from({ length: maxSize }, (_, i) => realAddress(i));
const servers = new RealServers();
await servers.start(addresses, []);
const rows: Row[] = [];
const load = [loadAverage()];

try {
  for (const size of SIZES) {
    for (const listener of [false, true]) {
      const dir = mkdtempSync(join(tmpdir(), 'ldts-bench-observe-'));
      const port = await freePort(HOST);
      const added = new Set<string>();
      const config = benchConfig(addresses.slice(0, size), {
        interval: INTERVAL,
        timeout: 5,
        globals: ['supervised=yes', ...(listener ? [`metrics=${HOST}:${port}`] : [])],
      });
      const started = Date.now();
      const daemon = await startBenchDaemon({
        impl: 'ts',
        config,
        dir,
        dryRun: true,
        onLine: (_at, message) => {
          const m = /^Added real server: ([\d.]+):/.exec(message);
          if (m) added.add(m[1]!);
        },
      });
      try {
        const limit = Date.now() + 600_000;
        while (added.size < size) {
          if (Date.now() > limit) throw new Error(`only ${added.size} of ${size} reals came up`);
          await new Promise((r) => setTimeout(r, 200));
        }
        const startUpS = (Date.now() - started) / 1000;
        // One interval to settle (the start-up burst of checks and log lines).
        await new Promise((r) => setTimeout(r, INTERVAL * 1000));
        const url = `http://${HOST}:${port}`;
        const cpu0 = cpuSeconds(daemon.pid);
        const t0 = Date.now();
        const rss: number[] = [];
        const scrapes: Array<{ ms: number; bytes: number }> = [];
        let nextScrape = Date.now();
        while (Date.now() - t0 < WINDOW_S * 1000) {
          const m = memory(daemon.pid);
          if (m) rss.push(m.rssMiB);
          if (listener && Date.now() >= nextScrape) {
            nextScrape += SCRAPE_S * 1000;
            scrapes.push(await timedGet(`${url}/metrics`));
          }
          await new Promise((r) => setTimeout(r, 250));
        }
        const cpu = cpuSeconds(daemon.pid) - cpu0;
        const seconds = (Date.now() - t0) / 1000;
        const row: Row = {
          reals: size,
          listener,
          startUpS: Math.round(startUpS * 10) / 10,
          cpuPercent: Math.round((cpu / seconds) * 1000) / 10,
          rssMiB: {
            mean: Math.round(rss.reduce((a, b) => a + b, 0) / rss.length),
            max: Math.round(Math.max(...rss)),
          },
        };
        if (listener) {
          const text = await (await fetch(`${url}/metrics`)).text();
          const series = text.split('\n').filter((l) => l !== '' && !l.startsWith('#')).length;
          const ms = scrapes.map((s) => s.ms).sort((a, b) => a - b);
          row.scrape = {
            bytes: scrapes.at(-1)!.bytes,
            series,
            p50Ms: Math.round(percentile(ms, 0.5)),
            maxMs: Math.round(ms.at(-1)!),
            count: scrapes.length,
          };
          const status = await timedGet(`${url}/status`);
          row.status = { bytes: status.bytes, ms: Math.round(status.ms) };
          const checks = await timedGet(`${url}/checks`);
          row.checks = { bytes: checks.bytes, ms: Math.round(checks.ms) };
        }
        rows.push(row);
        console.error(JSON.stringify(row));
      } finally {
        await daemon.stop();
        rmSync(dir, { recursive: true, force: true });
      }
    }
  }
} finally {
  await servers.stop();
}
load.push(loadAverage());

const kib = (b: number): string => `${(b / 1024).toFixed(b < 10_240 ? 1 : 0)} KiB`;
console.log(`load average before ${load[0]}, after ${load[1]}`);
console.log(
  '| reals | listener | CPU (one core) | RSS mean / max | /metrics size (series) | scrape p50 / max | /status | /checks |',
);
console.log('| --- | --- | --- | --- | --- | --- | --- | --- |');
for (const r of rows) {
  console.log(
    `| ${r.reals.toLocaleString('en')} | ${r.listener ? 'on' : 'off'} | ${r.cpuPercent} % | ${r.rssMiB.mean} / ${r.rssMiB.max} MiB | ${
      r.scrape ? `${kib(r.scrape.bytes)} (${r.scrape.series.toLocaleString('en')})` : '-'
    } | ${r.scrape ? `${r.scrape.p50Ms} / ${r.scrape.maxMs} ms (${r.scrape.count} scrapes)` : '-'} | ${
      r.status ? `${kib(r.status.bytes)}, ${r.status.ms} ms` : '-'
    } | ${r.checks ? `${kib(r.checks.bytes)}, ${r.checks.ms} ms` : '-'} |`,
  );
}
console.log('\nCPU of one scrape, in-process (median of 5):');
console.log('| reals | /metrics | /status | /checks |');
console.log('| --- | --- | --- | --- |');
const inProcess: Array<Record<string, number>> = [];
for (const size of SIZES) {
  const r = await scrapeCpu(size);
  inProcess.push({ reals: size, ...r });
  console.log(
    `| ${size.toLocaleString('en')} | ${r.metrics} ms | ${r.status} ms | ${r.checks} ms |`,
  );
}
if (values.json)
  writeFileSync(values.json, `${JSON.stringify({ load, rows, inProcess }, null, 2)}\n`);
