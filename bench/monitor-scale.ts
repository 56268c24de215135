// How the check engine copes with many reals: start-up pass, spread of start times, the
// regularity of each real's interval, event-loop delay, CPU and memory, with a share of the
// reals hanging until their deadline.
//
//   node bench/monitor-scale.ts [--reals 10000] [--interval 10] [--seconds 35]
//                               [--hung 0.1] [--timeout 3] [--mode fake|tcp]
//
// mode fake: an in-process checker answering after 1-20 ms (the engine's own overhead).
// mode tcp:  a banner check over real TCP to 250 servers on 127.0.4.1-250 (distinct requests
//            keep the checks distinct); hung reals go to servers that never answer.
import { connect, createServer, type Server } from 'node:net';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import type { Checker, CheckResult } from '../src/checkers/types.ts';
import type { RealServer, VirtualService } from '../src/config/model.ts';
import { Monitor } from '../src/monitor/monitor.ts';
import {
  MemoryBackend,
  makeConfig,
  makeReal,
  makeVirtual,
  recordingPlanner,
} from '../test/support/monitor-fixtures.ts';

const { values } = parseArgs({
  options: {
    reals: { type: 'string', default: '10000' },
    interval: { type: 'string', default: '10' },
    seconds: { type: 'string', default: '35' },
    hung: { type: 'string', default: '0.1' },
    timeout: { type: 'string', default: '3' },
    mode: { type: 'string', default: 'fake' },
  },
});
const REALS = Number(values.reals);
const INTERVAL = Number(values.interval);
const SECONDS = Number(values.seconds);
const HUNG = Number(values.hung);
const TIMEOUT = Number(values.timeout);
const TCP = values.mode === 'tcp';

const ADDRESSES = 250;
const PER_VIRTUAL = 100;
const isHung = (i: number): boolean => i % Math.round(1 / HUNG) === 0 && HUNG > 0;

// ---- servers (tcp mode) --------------------------------------------------------------------
const servers: Server[] = [];
let greetPort = 0;
let hungPort = 0;
if (TCP) {
  for (let a = 1; a <= ADDRESSES; a++) {
    const host = `127.0.4.${a}`;
    const greet = createServer((s) => s.end('OK\r\n'));
    await new Promise<void>((resolve) => greet.listen(greetPort, host, resolve));
    greetPort = (greet.address() as { port: number }).port;
    const silent = createServer((s) => s.on('error', () => {}));
    await new Promise<void>((resolve) => silent.listen(hungPort, host, resolve));
    hungPort = (silent.address() as { port: number }).port;
    servers.push(greet, silent);
  }
}

// ---- config ----------------------------------------------------------------------------------
const virtuals: VirtualService[] = [];
let index = 0;
for (let v = 0; index < REALS; v++) {
  const reals: RealServer[] = [];
  for (let k = 0; k < PER_VIRTUAL && index < REALS; k++, index++) {
    const address = `127.0.4.${1 + (index % ADDRESSES)}`;
    const port = TCP
      ? isHung(index)
        ? hungPort
        : greetPort
      : 10_000 + Math.floor(index / ADDRESSES);
    // In tcp mode many reals share an address and port: a distinct request keeps them distinct.
    reals.push(makeReal(address, port, { request: `/r${index}`, receive: 'OK' }));
  }
  virtuals.push(
    makeVirtual({
      address: `10.${v >> 8}.${v & 255}.1`,
      written: `10.${v >> 8}.${v & 255}.1:80`,
      checkinterval: INTERVAL,
      negotiatetimeout: TIMEOUT,
      checktimeout: TIMEOUT,
      reals,
    }),
  );
}

// ---- checkers --------------------------------------------------------------------------------
const starts = new Map<string, number[]>();
const hosts = new Set<string>();
const fake: Checker = (target, signal) =>
  new Promise<CheckResult>((resolve) => {
    const i = Number(target.request.slice(2));
    if (isHung(i)) {
      signal.addEventListener('abort', () => resolve({ up: false, reason: 'aborted' }));
      return;
    }
    const timer = setTimeout(() => resolve({ up: true, reason: 'OK' }), 1 + Math.random() * 19);
    signal.addEventListener('abort', () => clearTimeout(timer));
  });
const tcp: Checker = (target, signal) =>
  new Promise<CheckResult>((resolve) => {
    const socket = connect({ host: target.host, port: target.port });
    const done = (r: CheckResult): void => {
      socket.destroy();
      resolve(r);
    };
    signal.addEventListener('abort', () => done({ up: false, reason: 'aborted' }), { once: true });
    socket.once('data', (d) => done({ up: d.toString().includes(target.receive), reason: 'OK' }));
    socket.once('error', (e) => done({ up: false, reason: e.message }));
  });
const inner = TCP ? tcp : fake;
const timed: Checker = (target, signal) => {
  const key = `${target.host}:${target.port}${target.request}`;
  hosts.add(key);
  const list = starts.get(key) ?? [];
  starts.set(key, list);
  list.push(performance.now());
  return inner(target, signal);
};

// ---- run -------------------------------------------------------------------------------------
const monitor = new Monitor({
  config: makeConfig(virtuals),
  backend: new MemoryBackend(),
  planner: recordingPlanner().plan,
  checkers: {
    negotiate: () => timed,
    connect: timed,
    ping: timed,
    external: timed,
    externalPerl: timed,
  },
});

const loop = monitorEventLoopDelay({ resolution: 10 });
loop.enable();
const cpu0 = process.cpuUsage();
const t0 = performance.now();
await monitor.start();
const startMs = performance.now() - t0;
const afterStart = performance.now();
const startLoopMax = loop.max;
const steadyLoop = monitorEventLoopDelay({ resolution: 10 });
steadyLoop.enable();
await new Promise((resolve) => setTimeout(resolve, SECONDS * 1000));
steadyLoop.disable();
const cpu = process.cpuUsage(cpu0);
const wall = performance.now() - t0;
loop.disable();

// Start times in the steady state: how many checks began in the busiest 100 ms, and how
// regular each real's period was.
const steady = [...starts.values()].flatMap((l) =>
  l.filter((t) => t > afterStart + INTERVAL * 1000),
);
const buckets = new Map<number, number>();
for (const t of steady)
  buckets.set(Math.floor(t / 100), (buckets.get(Math.floor(t / 100)) ?? 0) + 1);
const periods = [...starts.entries()]
  .filter(([key]) => !isHung(Number(key.split('/r')[1])))
  .flatMap(([, l]) => l.slice(2).map((t, i) => t - l[i + 1]!));
periods.sort((a, b) => a - b);
const pct = (p: number): number =>
  periods[Math.min(periods.length - 1, Math.floor(p * periods.length))]!;
const status = monitor.status();
const up = status.virtuals.flatMap((v) => v.reals).filter((r) => r.up).length;
await monitor.stop();
for (const s of servers) s.close();

const ms = (n: number): string => `${n.toFixed(0)} ms`;
console.log(
  JSON.stringify(
    {
      mode: TCP ? 'tcp' : 'fake',
      reals: REALS,
      distinctChecks: hosts.size,
      hung: Math.round(REALS * HUNG),
      interval: `${INTERVAL} s`,
      deadline: `${TIMEOUT} s`,
      startUpPass: ms(startMs),
      upAfterRun: up,
      steadyChecksPerSecond: Math.round(steady.length / (wall / 1000 - startMs / 1000 - INTERVAL)),
      busiest100msBucket: Math.max(...buckets.values()),
      evenShare100ms: Math.round(REALS / INTERVAL / 10),
      periodP50: ms(pct(0.5)),
      periodP99: ms(pct(0.99)),
      periodMax: ms(periods.at(-1)!),
      eventLoopDelayMaxDuringStart: ms(startLoopMax / 1e6),
      eventLoopDelayP99Steady: ms(steadyLoop.percentile(99) / 1e6),
      eventLoopDelayMaxSteady: ms(steadyLoop.max / 1e6),
      cpuPercentOfOneCore: Math.round(((cpu.user + cpu.system) / 1000 / wall) * 100),
      rssMiB: Math.round(process.memoryUsage().rss / 2 ** 20),
      heapMiB: Math.round(process.memoryUsage().heapUsed / 2 ** 20),
    },
    null,
    2,
  ),
);
