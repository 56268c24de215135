// The monitor in real time with real sockets, processes and files: a hung server is cut at its
// deadline without slowing the others (timestamps), fallbackcommand runs a real script,
// the monitorfile and maintenancedir use the real file system and resolver.
import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import type { Checker, CheckResult } from '../../src/checkers/types.ts';
import { Monitor } from '../../src/monitor/monitor.ts';
import type { CheckerSet } from '../../src/monitor/types.ts';
import {
  MemoryBackend,
  makeConfig,
  makeReal,
  makeVirtual,
  RecordingLogger,
  recordingPlanner,
} from '../support/monitor-fixtures.ts';

const FAST = '127.0.4.2';
const HUNG = '127.0.4.3';
let dir: string;
const servers: Server[] = [];
const hungSockets: Array<{ opened: number; closed?: number }> = [];
let port = 0;

/** A banner check: connect, wait for the first line; releases its socket when aborted. */
const banner: Checker = (target, signal) =>
  new Promise<CheckResult>((resolve) => {
    const socket: Socket = connect({ host: target.host, port: target.port });
    const done = (result: CheckResult): void => {
      socket.destroy();
      resolve(result);
    };
    signal.addEventListener('abort', () => done({ up: false, reason: 'aborted' }), { once: true });
    socket.once('data', (data) => done({ up: true, reason: data.toString().trim() }));
    socket.once('error', (e) => done({ up: false, reason: e.message }));
  });

const unused: Checker = async () => ({ up: false, reason: 'not used' });
const checkers: CheckerSet = {
  negotiate: () => banner,
  connect: banner,
  ping: unused,
  external: unused,
  externalPerl: unused,
};

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'ldts-monitor-'));
  // One port shared by both addresses: the fast server greets, the hung one never says a word.
  const fast = createServer((s) => s.end('220 ready\r\n'));
  await new Promise<void>((resolve) => fast.listen(0, FAST, resolve));
  port = (fast.address() as { port: number }).port;
  const hung = createServer((s) => {
    const record: { opened: number; closed?: number } = { opened: Date.now() };
    hungSockets.push(record);
    s.on('close', () => {
      record.closed = Date.now();
    });
    s.on('error', () => {});
  });
  await new Promise<void>((resolve) => hung.listen(port, HUNG, resolve));
  servers.push(fast, hung);
});

after(() => {
  for (const s of servers) s.close();
  rmSync(dir, { recursive: true, force: true });
});

test('a hung real is cut at its deadline while the others keep their pace', async () => {
  const v = makeVirtual({
    checkinterval: 0.2,
    negotiatetimeout: 0.6,
    reals: [makeReal(FAST, port), makeReal(HUNG, port)],
  });
  const monitor = new Monitor({
    config: makeConfig([v]),
    backend: new MemoryBackend(),
    planner: recordingPlanner().plan,
    checkers: {
      ...checkers,
      negotiate: () => async (target, signal) => {
        const started = Date.now();
        const result = await banner(target, signal);
        starts.push({ host: target.host, at: started });
        return result;
      },
    },
  });
  const starts: Array<{ host: string; at: number }> = [];
  after(() => monitor.stop());
  const t0 = Date.now();
  await monitor.start();
  const startedIn = Date.now() - t0;
  assert.ok(startedIn >= 550 && startedIn < 3000, `start waited for the deadline: ${startedIn} ms`);
  await new Promise((resolve) => setTimeout(resolve, 2000));
  const status = monitor.status().virtuals[0]!.reals;
  const hung = status.find((r) => r.address === HUNG)!;
  const fast = status.find((r) => r.address === FAST)!;
  assert.equal(fast.up, true);
  assert.equal(fast.lastCheck?.reason, '220 ready');
  assert.equal(hung.up, false);
  assert.equal(hung.lastCheck?.reason, 'timeout');
  assert.ok(hung.lastCheck!.durationMs >= 590 && hung.lastCheck!.durationMs < 1200);
  // The fast real was checked every 200 ms throughout, hung neighbour or not.
  const fastStarts = starts.filter((s) => s.host === FAST).map((s) => s.at);
  assert.ok(fastStarts.length >= 9, `${fastStarts.length} checks of the fast real`);
  const gaps = fastStarts.slice(2).map((t, i) => t - fastStarts[i + 1]!);
  assert.ok(Math.max(...gaps) < 450, `gaps ${gaps}`);
  // Each hung check's socket was released at its deadline, not left open.
  await monitor.stop();
  await new Promise((resolve) => setTimeout(resolve, 100));
  assert.ok(hungSockets.length >= 2);
  for (const s of hungSockets) {
    assert.ok(s.closed !== undefined, 'socket closed');
    assert.ok(s.closed - s.opened < 1200, `held ${s.closed - s.opened} ms`);
  }
});

test('fallbackcommand runs a real script without a shell, once per change', async () => {
  const script = join(dir, 'fallback.sh');
  const out = join(dir, 'fallback.out');
  writeFileSync(script, '#!/bin/sh\nout="$1"; shift\necho "$@" >> "$out"\n');
  chmodSync(script, 0o755);
  let up = false;
  const v = makeVirtual({
    checkinterval: 0.1,
    fallbackcommand: `${script} ${out}`,
    reals: [makeReal(FAST, port)],
  });
  const monitor = new Monitor({
    config: makeConfig([v]),
    backend: new MemoryBackend(),
    planner: recordingPlanner().plan,
    checkers: { ...checkers, negotiate: () => async () => ({ up, reason: '' }) },
  });
  after(() => monitor.stop());
  await monitor.start();
  up = true;
  const read = (): string[] => {
    try {
      return readFileSync(out, 'utf8').trim().split('\n');
    } catch {
      return [];
    }
  };
  const lines = async (n: number): Promise<string[]> => {
    for (let i = 0; i < 100 && read().length < n; i++)
      await new Promise((resolve) => setTimeout(resolve, 50));
    return read();
  };
  assert.deepEqual(await lines(2), ['start 10.1.1.1:80 tcp', 'stop 10.1.1.1:80 tcp']);
  up = false;
  assert.deepEqual(await lines(3), [
    'start 10.1.1.1:80 tcp',
    'stop 10.1.1.1:80 tcp',
    'start 10.1.1.1:80 tcp',
  ]);
  await new Promise((resolve) => setTimeout(resolve, 300));
  assert.equal((await lines(3)).length, 3, 'nothing repeated while the state holds');
  await monitor.stop();
});

test('monitorfile and maintenancedir on the real file system and resolver', async () => {
  const maintenance = join(dir, 'maintenance');
  const monitorfile = join(dir, 'checks.log');
  const { mkdirSync } = await import('node:fs');
  mkdirSync(maintenance);
  // /etc/hosts names 127.0.0.1 "localhost": the host-name form of the file names.
  writeFileSync(join(maintenance, `localhost:${port}`), '');
  const v = makeVirtual({
    checkinterval: 0.2,
    monitorfile,
    receive: 'ready',
    reals: [makeReal(FAST, port), makeReal('127.0.0.1', port)],
  });
  const logger = new RecordingLogger();
  const monitor = new Monitor({
    config: makeConfig([v], { maintenancedir: maintenance }),
    backend: new MemoryBackend(),
    planner: recordingPlanner().plan,
    checkers,
    logger,
    pid: 31337,
  });
  after(() => monitor.stop());
  await monitor.start();
  await monitor.stop();
  const lines = readFileSync(monitorfile, 'utf8').split('\n').filter(Boolean);
  const ctime = String.raw`\[\w{3} \w{3} [ \d]\d \d\d:\d\d:\d\d \d{4}\]`;
  assert.match(
    lines.find((l) => l.includes(FAST))!,
    new RegExp(
      `^${ctime} \\[31337\\] negotiate http tcp 127\\.0\\.4\\.2 ${port} 1 masq / ready \\[up\\] 220 ready$`,
    ),
  );
  assert.match(
    lines.find((l) => l.includes('127.0.0.1'))!,
    new RegExp(
      `^${ctime} \\[31337\\] negotiate http tcp 127\\.0\\.0\\.1 ${port} 1 masq / ready \\[down\\] Server in maintenance$`,
    ),
  );
  assert.deepEqual(logger.messages('error'), []);
});
