// Does the daemon hold its ground over time? The built program runs as a daemon against the
// fake ipvsadm, and its open file descriptors (/proc/<pid>/fd, by kind) and RSS are sampled
// before, during and after:
//   1. --reloads reloads in a row (SIGHUP), each changing one real's weight, each waited for
//      (the log line of the -e it causes);
//   2. check cycles until --checks checks have run (counted in the monitorfile, one line per
//      check): --reals reals at checkinterval=1, 70 % http negotiate checks against HTTP
//      servers here, 20 % connect checks to listeners switched off and on every 5 s (so reals
//      go down and up, and ipvsadm runs), 10 % http checks against servers that accept and
//      never answer (every one of them ends at its 1 s deadline).
// Not a pass/fail test (see test/integration/daemon-fd-leak.test.ts for the bound); figures
// in BENCHMARKS.md.
//
//   node scripts/build.ts && node bench/daemon-reliability.ts [--reloads 1000] [--checks 10000]
//                                                              [--reals 100]
import { closeSync, openSync, readSync, statSync, writeFileSync } from 'node:fs';
import { createServer as createHttpServer, type Server as HttpServer } from 'node:http';
import { createServer, type Server } from 'node:net';
import { parseArgs } from 'node:util';
import {
  alive,
  DaemonScratch,
  type Footprint,
  footprint,
  Switchable,
} from '../test/support/daemon-harness.ts';

const { values } = parseArgs({
  options: {
    reloads: { type: 'string', default: '1000' },
    checks: { type: 'string', default: '10000' },
    reals: { type: 'string', default: '100' },
  },
});
const RELOADS = Number(values.reloads);
const CHECKS = Number(values.checks);
const REALS = Number(values.reals);
const HTTP_REALS = Math.round(REALS * 0.7);
const CONNECT_REALS = Math.round(REALS * 0.2);
const SILENT_REALS = REALS - HTTP_REALS - CONNECT_REALS;

const HTTP_HOST = '127.0.5.100';
const CONNECT_HOST = '127.0.5.101';
const SILENT_HOST = '127.0.5.102';

async function listen(server: Server | HttpServer, host: string): Promise<number> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, host, resolve);
  });
  return (server.address() as { port: number }).port;
}

const httpServers: HttpServer[] = [];
const httpPorts: number[] = [];
for (let i = 0; i < HTTP_REALS; i++) {
  const server = createHttpServer((_req, res) => res.end('alive\n'));
  httpServers.push(server);
  httpPorts.push(await listen(server, HTTP_HOST));
}
const silentServers: Server[] = [];
const silentPorts: number[] = [];
for (let i = 0; i < SILENT_REALS; i++) {
  const server = createServer((socket) => {
    socket.on('error', () => {});
    socket.resume();
  });
  silentServers.push(server);
  silentPorts.push(await listen(server, SILENT_HOST));
}
const switchables: Switchable[] = [];
for (let i = 0; i < CONNECT_REALS; i++) {
  const probe = createServer();
  const port = await listen(probe, CONNECT_HOST);
  await new Promise<void>((r) => probe.close(() => r()));
  const s = new Switchable(CONNECT_HOST, port);
  await s.up();
  switchables.push(s);
}

const s = new DaemonScratch('bench-daemon');
const toggled = switchables[0]!;
function config(weight: number): string {
  const lines = ['checkinterval=1', 'logfile="{{DIR}}/ldirectord.log"'];
  lines.push('virtual=10.5.10.1:80');
  for (const port of httpPorts) lines.push(`\treal=${HTTP_HOST}:${port} masq`);
  lines.push(
    '\tservice=http',
    '\tchecktype=negotiate',
    '\trequest="/health"',
    '\treceive="alive"',
    '\tchecktimeout=2',
    '\tmonitorfile="{{DIR}}/monitor.log"',
    '',
    'virtual=10.5.10.2:80',
  );
  for (const [i, sw] of switchables.entries()) {
    lines.push(`\treal=${sw.host}:${sw.port} masq ${i === 0 ? weight : 1}`);
  }
  lines.push(
    '\tchecktype=connect',
    '\tmonitorfile="{{DIR}}/monitor.log"',
    '',
    'virtual=10.5.10.3:80',
  );
  for (const port of silentPorts) lines.push(`\treal=${SILENT_HOST}:${port} masq`);
  lines.push(
    '\tservice=http',
    '\tchecktype=negotiate',
    '\trequest="/health"',
    '\treceive="alive"',
    '\tchecktimeout=1',
    '\tmonitorfile="{{DIR}}/monitor.log"',
  );
  return `${lines.join('\n')}\n`;
}

/** Reads what was appended to a file since the last call. */
class Tail {
  private offset = 0;
  private readonly path: string;
  constructor(path: string) {
    this.path = path;
  }
  read(): string {
    let size: number;
    try {
      size = statSync(this.path).size;
    } catch {
      return '';
    }
    if (size <= this.offset) return '';
    const fd = openSync(this.path, 'r');
    const buffer = Buffer.alloc(size - this.offset);
    readSync(fd, buffer, 0, buffer.length, this.offset);
    closeSync(fd);
    this.offset = size;
    return buffer.toString('utf8');
  }
}

async function until(predicate: () => boolean, what: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

interface Sample extends Footprint {
  label: string;
  seconds: number;
}
const samples: Sample[] = [];
const t0 = Date.now();
let pid = 0;
function sample(label: string): Sample {
  const f = { label, seconds: (Date.now() - t0) / 1000, ...footprint(pid) };
  samples.push(f);
  process.stdout.write(
    `${f.seconds.toFixed(1).padStart(7)} s  ${label.padEnd(28)} fds ${String(f.fds).padStart(3)} ` +
      `(sockets ${f.sockets}, pipes ${f.pipes}, files ${f.files})  RSS ${(f.rssKiB / 1024).toFixed(1)} MiB\n`,
  );
  return f;
}

s.config(config(1));
const start = await s.runAsync([s.cf, 'start']);
if (start.code !== 0) throw new Error(`start: ${start.stderr}`);
pid = s.daemonPid!;
const log = new Tail(s.path('ldirectord.log'));
const monitor = new Tail(s.path('monitor.log'));
let logText = '';
await until(() => {
  logText += log.read();
  return logText.includes(`Added real server: ${toggled.host}:${toggled.port}`);
}, 'the first checks');
await new Promise((r) => setTimeout(r, 3000));
const before = sample('before (started, settled)');

// 1. Reloads.
const reloadStarted = Date.now();
for (let i = 1; i <= RELOADS; i++) {
  const weight = (i % 2) + 1;
  writeFileSync(s.cf, config(weight).replaceAll('{{DIR}}', s.dir));
  process.kill(pid, 'SIGHUP');
  const expected = `Restored real server: ${toggled.host}:${toggled.port} (10.5.10.2:80) (Weight set to ${weight})`;
  let seen = '';
  await until(() => {
    seen += log.read();
    return seen.includes(expected);
  }, `reload ${i}`);
  if (i % Math.max(1, Math.floor(RELOADS / 10)) === 0) sample(`after ${i} reloads`);
}
const reloadSeconds = (Date.now() - reloadStarted) / 1000;
monitor.read();

// 2. Check cycles.
let checks = 0;
let transitions = 0;
const cyclesStarted = Date.now();
let nextToggle = Date.now() + 5000;
let nextSample = Date.now() + 10_000;
let off = false;
while (checks < CHECKS) {
  await new Promise((r) => setTimeout(r, 200));
  checks += monitor.read().split('\n').filter(Boolean).length;
  transitions += (log.read().match(/(Added|Deleted) real server/g) ?? []).length;
  if (Date.now() >= nextToggle) {
    off = !off;
    for (const sw of switchables.slice(1, 6)) await (off ? sw.down() : sw.up());
    nextToggle += 5000;
  }
  if (Date.now() >= nextSample) {
    sample(`${checks} checks`);
    nextSample += 10_000;
  }
  if (!alive(pid)) throw new Error('the daemon died');
}
const cycleSeconds = (Date.now() - cyclesStarted) / 1000;
for (const sw of switchables) await sw.up();
await new Promise((r) => setTimeout(r, 5000));
const afterAll = sample('after (5 s quiet)');

const stopStarted = Date.now();
const stop = await s.runAsync([s.cf, 'stop']);
const stopMs = Date.now() - stopStarted;

const during = samples.slice(1, -1);
const max = (key: keyof Footprint): number => Math.max(...samples.map((x) => x[key]));
process.stdout.write(
  `\n${RELOADS} reloads in ${reloadSeconds.toFixed(1)} s (${((reloadSeconds * 1000) / RELOADS).toFixed(0)} ms each, ` +
    `each waited for its ipvsadm -e)\n` +
    `${checks} checks in ${cycleSeconds.toFixed(1)} s (${(checks / cycleSeconds).toFixed(0)}/s), ` +
    `${transitions} real-server transitions\n` +
    `fds: before ${before.fds}, max during ${Math.max(...during.map((x) => x.fds))}, after ${afterAll.fds}; ` +
    `sockets max ${max('sockets')}\n` +
    `RSS MiB: before ${(before.rssKiB / 1024).toFixed(1)}, max ${(max('rssKiB') / 1024).toFixed(1)}, ` +
    `after ${(afterAll.rssKiB / 1024).toFixed(1)}\n` +
    `stop: exit ${stop.code} in ${stopMs} ms\n`,
);

for (const server of [...httpServers, ...silentServers]) server.close();
for (const sw of switchables) await sw.down();
s.cleanup();
