// systemd's notify protocol (issue 11, packaging/ldirectord-ts-notify.service) against a real
// unix datagram listener in place of systemd (Python's socket module; Node has none), which
// records each datagram with its sender's pid as systemd sees it (SCM_CREDENTIALS).
// - The daemon started as the unit starts it (`--foreground start`, NOTIFY_SOCKET and
//   WATCHDOG_USEC set): READY=1 only once the first round of checks is in the table, with a
//   STATUS= summary and MAINPID, sent as the daemon's pid; WATCHDOG=1 after that; STATUS=
//   follows a real going down; a frozen daemon (SIGSTOP) sends nothing; RELOADING=1 then
//   READY=1 on reload; STOPPING=1 on stop.
// - The watchdog logic with the real systemd-notify and listener: no WATCHDOG=1 once no check
//   has completed for two intervals, pings again when one does.
// Reals: a TCP listener on 127.0.41.21 and a port that never answers on 127.0.41.22.
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { after, before, test } from 'node:test';
import { SystemdNotifier } from '../../src/observe/notify.ts';
import { alive, DaemonScratch, eventually, Switchable } from '../support/daemon-harness.ts';
import { BIN } from '../support/ldts.ts';
import { makeConfig, makeReal, makeVirtual } from '../support/monitor-fixtures.ts';
import { type Datagram, notifySocket } from '../support/observe.ts';
import {
  startUnansweredListener,
  type UnansweredListener,
} from '../support/unanswered-listener.ts';

const web = new Switchable('127.0.41.21', 8080);
const s = new DaemonScratch('ldts-observe-notify');
let hung: UnansweredListener | undefined;
let listener: Awaited<ReturnType<typeof notifySocket>> | undefined;
let daemon: ChildProcess | undefined;

before(async () => {
  await web.up();
  hung = await startUnansweredListener('127.0.41.22');
  listener = await notifySocket(s.dir);
});

after(async () => {
  if (daemon && daemon.exitCode === null) {
    daemon.kill('SIGCONT');
    daemon.kill('SIGKILL');
  }
  hung?.stop();
  await listener?.close();
  await web.down();
  s.cleanup();
});

const has = (d: Datagram, field: string): boolean => d.fields.includes(field);

test('the Type=notify unit starts the daemon the way this test does', () => {
  const unit = readFileSync(
    new URL('../../packaging/ldirectord-ts-notify.service', import.meta.url),
    'utf8',
  );
  const keys = new Map(
    unit
      .split('\n')
      .filter((l) => /^\w+=/.test(l))
      .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]),
  );
  assert.equal(keys.get('Type'), 'notify');
  assert.equal(keys.get('NotifyAccess'), 'all');
  assert.equal(keys.get('ExecStart'), '/usr/sbin/ldirectord-ts --foreground start');
  assert.match(keys.get('WatchdogSec') ?? '', /^\d+$/);
});

test('READY after the first round, STATUS, WATCHDOG from a live loop, RELOADING, STOPPING', async () => {
  s.config(
    [
      'checkinterval=1',
      'checktimeout=2',
      'logfile="{{DIR}}/ldirectord.log"',
      'virtual=10.41.2.1:80',
      '\treal=127.0.41.21:8080 masq',
      `\treal=127.0.41.22:${hung!.port} masq`,
      '\tchecktype=connect',
      '',
    ].join('\n'),
  );
  const started = Date.now();
  daemon = spawn(process.execPath, [BIN, '--pid-dir', s.dir, '--foreground', s.cf, 'start'], {
    cwd: s.dir,
    env: s.env({ NOTIFY_SOCKET: listener!.path, WATCHDOG_USEC: '400000' }),
    stdio: 'ignore',
  });
  const pid = daemon.pid!;
  const datagrams = listener!.datagrams;
  await eventually(
    () => datagrams.some((d) => has(d, 'READY=1')),
    () => `READY=1 (got ${JSON.stringify(datagrams)})\n${s.log}`,
    20_000,
  );
  const ready = datagrams.find((d) => has(d, 'READY=1'))!;
  // The hung real's first check ends at its 2 s deadline: READY waits for it.
  assert.ok(ready.at - started >= 2000, `READY after ${ready.at - started} ms`);
  const added = s
    .invocations()
    .find((i) => (i.stdin ?? i.argv.join(' ')).includes('127.0.41.21:8080'));
  assert.ok(added && added.time <= ready.at, 'the up real was in the table before READY');
  assert.deepEqual(
    datagrams.slice(0, datagrams.indexOf(ready)).filter((d) => has(d, 'WATCHDOG=1')),
    [],
    'no watchdog ping before READY',
  );
  assert.ok(has(ready, 'STATUS=1 virtual services, 1/2 reals up'), JSON.stringify(ready));
  assert.ok(has(ready, `MAINPID=${pid}`));
  assert.equal(ready.pid, pid, 'sent as the daemon (what systemd attributes it by)');

  // WATCHDOG=1 at half of WATCHDOG_USEC.
  const pings = (): Datagram[] => datagrams.filter((d) => has(d, 'WATCHDOG=1'));
  await eventually(
    () => pings().length >= 4,
    () => `4 pings: ${JSON.stringify(datagrams)}`,
  );
  assert.ok(pings().every((d) => d.pid === pid));

  await web.down();
  await eventually(
    () => datagrams.some((d) => has(d, 'STATUS=1 virtual services, 0/2 reals up')),
    () => `STATUS= after the real went down: ${JSON.stringify(datagrams.slice(-5))}`,
  );

  // Frozen: nothing is sent; thawed: the pings resume.
  process.kill(pid, 'SIGSTOP');
  // A systemd-notify started just before is not stopped with it: let it finish first (an
  // exited one stays a zombie until the daemon runs again).
  await eventually(
    () => childrenOf(pid).filter((child) => alive(child)).length === 0,
    () => `the notify helpers to finish: ${childrenOf(pid).join(', ')}`,
  );
  await new Promise((r) => setTimeout(r, 100));
  const frozenAt = datagrams.length;
  await new Promise((r) => setTimeout(r, 1500));
  assert.equal(datagrams.length, frozenAt, 'a stopped daemon sends nothing');
  process.kill(pid, 'SIGCONT');
  await eventually(
    () => datagrams.slice(frozenAt).some((d) => has(d, 'WATCHDOG=1')),
    'pings after SIGCONT',
  );

  const beforeReload = datagrams.length;
  process.kill(pid, 'SIGHUP');
  await eventually(
    () => datagrams.slice(beforeReload).some((d) => has(d, 'READY=1')),
    () => `READY=1 after the reload: ${JSON.stringify(datagrams.slice(beforeReload))}`,
  );
  const afterReload = datagrams.slice(beforeReload).filter((d) => !has(d, 'WATCHDOG=1'));
  assert.ok(has(afterReload[0]!, 'RELOADING=1'), JSON.stringify(afterReload));

  const exited = new Promise((resolve) => daemon!.once('exit', resolve));
  daemon.kill('SIGTERM');
  await exited;
  assert.ok(datagrams.some((d) => has(d, 'STOPPING=1')));
  assert.match(s.log, /Linux Director Daemon terminated on signal: TERM/);
});

test('the watchdog starves when no check completes for two intervals', async () => {
  let now = 1_000_000;
  const errors: string[] = [];
  const notifier = new SystemdNotifier({
    env: { NOTIFY_SOCKET: listener!.path, WATCHDOG_USEC: '200000' },
    now: () => now,
    onError: (m) => errors.push(m),
  });
  assert.equal(notifier.watchdogIntervalMs, 100);
  const v = makeVirtual({ checkinterval: 1, checktimeout: 1, negotiatetimeout: 1 });
  v.reals.push(makeReal('127.0.41.21', 8080));
  const datagrams = listener!.datagrams;
  const from = datagrams.length;
  const pings = (): number => datagrams.slice(from).filter((d) => has(d, 'WATCHDOG=1')).length;
  notifier.checkCompleted();
  notifier.watch(makeConfig([v]));
  await eventually(() => pings() >= 3, 'pings while checks complete');
  // systemd-notify sends as its parent; its BARRIER=1 (waiting for the read) goes as itself.
  assert.equal(datagrams.findLast((d) => has(d, 'WATCHDOG=1'))!.pid, process.pid);

  now += 2001; // two intervals of 1 s without a completed check
  await new Promise((r) => setTimeout(r, 300)); // a ping in flight may still land
  const starved = pings();
  await new Promise((r) => setTimeout(r, 600));
  assert.equal(pings(), starved, 'no WATCHDOG=1 from a wedged check loop');
  assert.deepEqual(errors, ['No check completed for 2 s: the systemd watchdog is no longer fed']);

  notifier.checkCompleted();
  await eventually(() => pings() > starved, 'pings once a check completes again');
  await notifier.close();
});

/** The pids of a process's children (/proc). */
function childrenOf(parent: number): number[] {
  try {
    return readFileSync(`/proc/${parent}/task/${parent}/children`, 'utf8')
      .split(' ')
      .filter(Boolean)
      .map(Number);
  } catch {
    return [];
  }
}
