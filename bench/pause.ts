// A pause of the daemon: N HTTP reals that answer every check after a delay shorter than
// negotiatetimeout; the daemon is stopped (SIGSTOP) for each of the given times, then continued;
// how many healthy reals it removes from the table for it.
//
//   node bench/pause.ts [--impl ts|perl] [--bundle dist/ldirectord-ts.cjs] [--reals 100]
//        [--answer-ms 1000] [--timeout 2] [--interval 5] [--stops 3,30] [--net 18] [--json FILE]
//
// --impl ts    `node <bundle> --ipvsadm <fake> --log-format json <cf> start` (supervised=yes:
//              foreground); --bundle runs another build (e.g. one made from main, for a before
//              and after in the same conditions).
// --impl perl  /usr/sbin/ldirectord -d with the fake ipvsadm (test/support/perl-ldirectord.ts).
//              It checks one real after the other: with 100 reals answering in 1 s a pass takes
//              100 s, and it needs two passes to add every real at start-up.
//
// Reals are node:http servers in this process on 127.<net>.0.1... port 8080 (bench config:
// request /health, receive OK). Before each stop every real is in the table and one interval
// has passed; after SIGCONT the daemon gets an interval plus a deadline plus the answer delay
// (plus 2 s) to show what it makes of the pause; a removal is a "Deleted real server" line.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server, type ServerResponse } from 'node:http';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { startBenchDaemon } from './support/daemon.ts';
import { loadAverage } from './support/proc-stats.ts';
import { benchConfig, REAL_PORT } from './support/real-servers.ts';

const { values } = parseArgs({
  options: {
    impl: { type: 'string', default: 'ts' },
    bundle: { type: 'string', default: 'dist/ldirectord-ts.cjs' },
    reals: { type: 'string', default: '100' },
    'answer-ms': { type: 'string', default: '1000' },
    timeout: { type: 'string', default: '2' },
    interval: { type: 'string', default: '5' },
    stops: { type: 'string', default: '3,30' },
    net: { type: 'string', default: '18' },
    json: { type: 'string' },
  },
});
const IMPL = values.impl === 'perl' ? 'perl' : 'ts';
const REALS = Number(values.reals);
const ANSWER_MS = Number(values['answer-ms']);
const TIMEOUT = Number(values.timeout);
const INTERVAL = Number(values.interval);
const STOPS = values.stops.split(',').map(Number);
const root = new URL('..', import.meta.url).pathname;
const addresses = Array.from(
  { length: REALS },
  (_, i) => `127.${values.net}.${Math.floor(i / 250)}.${(i % 250) + 1}`,
);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

// ---- reals -------------------------------------------------------------------------------
const servers: Server[] = [];
const open = new Set<ServerResponse>();
for (const address of addresses) {
  const server = createServer((request, response) => {
    request.resume();
    open.add(response);
    const timer = setTimeout(() => response.end('OK\n'), ANSWER_MS);
    response.on('close', () => {
      clearTimeout(timer);
      open.delete(response);
    });
  });
  await new Promise<void>((ok, fail) => {
    server.once('error', fail);
    server.listen({ port: REAL_PORT, host: address, backlog: 1024 }, ok);
  });
  servers.push(server);
}

// ---- the daemon ----------------------------------------------------------------------------
const inTable = new Set<string>();
const removals: Array<{ at: number; address: string }> = [];
const realOf = (message: string, verb: string): string | undefined =>
  new RegExp(`^${verb} real server: ([\\d.]+):${REAL_PORT} \\(`).exec(message)?.[1];
function onLine(at: number, message: string): void {
  const added = realOf(message, 'Added');
  const deleted = realOf(message, 'Deleted');
  if (added) inTable.add(added);
  if (deleted) {
    inTable.delete(deleted);
    removals.push({ at, address: deleted });
  }
}

const config = benchConfig(addresses, {
  interval: INTERVAL,
  timeout: TIMEOUT,
  globals: ['failurecount=1', 'supervised=yes', 'autoreload=no'],
});
const scratch = mkdtempSync(join(tmpdir(), 'ldts-bench-pause-'));
const daemon = await startBenchDaemon({
  impl: IMPL,
  config,
  dir: scratch,
  onLine,
  program: resolve(root, values.bundle),
});

async function allInTable(limitMs: number): Promise<boolean> {
  const limit = Date.now() + limitMs;
  while (!addresses.every((a) => inTable.has(a))) {
    if (Date.now() > limit) return false;
    await sleep(100);
  }
  return true;
}

// ---- the run ---------------------------------------------------------------------------------
const passMs = IMPL === 'perl' ? REALS * (ANSWER_MS + 100) + INTERVAL * 1000 : INTERVAL * 1000;
const results: Array<{ stopSeconds: number; removed: number; examples: string[] }> = [];
const load = [loadAverage()];
try {
  if (!(await allInTable(3 * passMs + 60_000)))
    throw new Error(`only ${inTable.size} of ${REALS} reals came up`);
  for (const seconds of STOPS) {
    await sleep(INTERVAL * 1000);
    const from = removals.length;
    process.kill(daemon.pid, 'SIGSTOP');
    await sleep(seconds * 1000);
    process.kill(daemon.pid, 'SIGCONT');
    await sleep((INTERVAL + TIMEOUT) * 1000 + ANSWER_MS + 2000);
    const removed = [...new Set(removals.slice(from).map((r) => r.address))];
    results.push({ stopSeconds: seconds, removed: removed.length, examples: removed.slice(0, 3) });
    console.error(`SIGSTOP ${seconds} s: ${removed.length} of ${REALS} reals removed`);
    if (!(await allInTable(2 * passMs + 30_000))) throw new Error('the reals did not come back');
  }
  load.push(loadAverage());
  const result = {
    impl: IMPL,
    bundle: IMPL === 'ts' ? values.bundle : undefined,
    reals: REALS,
    answerMs: ANSWER_MS,
    negotiatetimeout: TIMEOUT,
    checkinterval: INTERVAL,
    loadAverage: load,
    stops: results,
  };
  console.log(JSON.stringify(result, null, 2));
  if (values.json) writeFileSync(values.json, `${JSON.stringify(result, null, 2)}\n`);
} finally {
  await daemon.stop().catch(() => {});
  for (const response of open) response.destroy();
  await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
  rmSync(scratch, { recursive: true, force: true });
}
