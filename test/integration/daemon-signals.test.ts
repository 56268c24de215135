// Signals (docs/ldirectord-behavior.md §1.6, §3.8): TERM, INT and QUIT stop cleanly, honouring
// cleanstop per virtual (our virtuals leave the table, another daemon's stay; cleanstop=no leaves
// the table as it is); a second TERM during a slow clean stop neither kills the daemon half way nor
// corrupts the table (§6 item 33); HUP with a broken file changes nothing and checks keep driving
// IPVS afterwards (the original stopped applying them: §3.5.3); USR1 dumps every real's state. Real
// servers: TCP listeners on 127.0.5.30-39 (checktype=connect); IPVS: the fake ipvsadm.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { after, before, test } from 'node:test';
import {
  alive,
  DaemonScratch,
  eventually,
  FAKE_IPVSADM,
  Switchable,
  tableLines,
} from '../support/daemon-harness.ts';

const s = new DaemonScratch('daemon-signals');
const web1 = new Switchable('127.0.5.31', 8080);
const web2 = new Switchable('127.0.5.32', 8080);

const config = (cleanstop: { global?: string; second?: string } = {}): string => `checkinterval=1
logfile="{{DIR}}/ldirectord.log"
${cleanstop.global ? `cleanstop=${cleanstop.global}\n` : ''}virtual=10.5.3.1:80
\treal=127.0.5.31:8080 masq
\treal=127.0.5.32:8080 masq 2
\tchecktype=connect

virtual=10.5.3.2:443
\treal=127.0.5.31:8080 masq
\treal=127.0.5.33:8080 masq
\tchecktype=connect
\tquiescent=yes
${cleanstop.second ? `\tcleanstop=${cleanstop.second}\n` : ''}`;

const FOREIGN = '-A -t 10.9.9.9:80 -s rr\n-a -t 10.9.9.9:80 -r 10.9.9.10:80 -m -w 1\n';
const FOREIGN_LINES = ['-A -t 10.9.9.9:80 -s rr', '-a -t 10.9.9.9:80 -r 10.9.9.10:80 -m -w 1'];

before(async () => {
  await web1.up();
  await web2.up();
});
after(async () => {
  s.kill();
  await web1.down();
  await web2.down();
  s.cleanup();
});

/** A fresh table holding only the foreign virtual, optional faults, and a started daemon. */
async function startWith(text: string, faults: object[] = []): Promise<number> {
  writeFileSync(s.state, JSON.stringify({ services: [], faults: [] }));
  const r = spawnSync(FAKE_IPVSADM, ['-R'], { input: FOREIGN, env: s.env() });
  assert.equal(r.status, 0, String(r.stderr));
  s.config(text);
  const pid = s.start();
  await eventually(() => {
    const t = s.table();
    return (
      t.includes('-a -t 10.5.3.1:80 -r 127.0.5.32:8080 -m -w 2') &&
      t.includes('-a -t 10.5.3.2:443 -r 127.0.5.33:8080 -m -w 0')
    );
  }, 'the table programmed');
  if (faults.length > 0) {
    const state = JSON.parse(s.read('ipvsadm.state.json')) as { faults: object[] };
    state.faults = faults;
    writeFileSync(s.state, JSON.stringify(state));
  }
  return pid;
}

async function exited(pid: number): Promise<void> {
  await eventually(() => !alive(pid), `daemon ${pid} to exit`, 20_000);
  assert.ok(!existsSync(s.path(`ldirectord.${s.cfgname}.pid`)), 'the pid file is removed');
}

test('TERM with cleanstop=yes: our virtuals leave the table, the foreign one stays', async () => {
  const pid = await startWith(config());
  const lines = s.logLineCount();
  process.kill(pid, 'SIGTERM');
  await exited(pid);
  assert.deepEqual(tableLines(s.table()), FOREIGN_LINES);
  const messages = s.messages(lines);
  assert.ok(messages.includes('Purged virtual server (stop): 10.5.3.1:80'), messages.join('\n'));
  assert.ok(messages.includes('Purged virtual server (stop): 10.5.3.2:443'));
  assert.equal(messages.at(-1), 'Linux Director Daemon terminated on signal: TERM');
});

test('INT with cleanstop=no: the table is left as it is', async () => {
  const pid = await startWith(config({ global: 'no' }));
  const table = tableLines(s.table());
  const lines = s.logLineCount();
  process.kill(pid, 'SIGINT');
  await exited(pid);
  assert.deepEqual(tableLines(s.table()), table);
  const messages = s.messages(lines);
  assert.deepEqual(messages, ['Linux Director Daemon terminated on signal: INT']);
});

test('QUIT with cleanstop=no on one virtual only: that one stays', async () => {
  const pid = await startWith(config({ second: 'no' }));
  process.kill(pid, 'SIGQUIT');
  await exited(pid);
  const table = tableLines(s.table());
  assert.ok(!table.some((l) => l.includes('10.5.3.1:80')), table.join('\n'));
  assert.ok(table.includes('-A -t 10.5.3.2:443 -s wrr'), table.join('\n'));
  assert.ok(table.includes('-a -t 10.5.3.2:443 -r 127.0.5.31:8080 -m -w 1'));
  assert.ok(table.includes('-a -t 10.5.3.2:443 -r 127.0.5.33:8080 -m -w 0'));
  assert.match(s.log, /Linux Director Daemon terminated on signal: QUIT/);
});

test('a second TERM during a slow clean stop: ignored, the stop completes', async () => {
  // Each virtual's deletion takes ipvsadm 1.5 s: the stop takes about 3 s.
  const pid = await startWith(config(), [{ match: '^-D ', delayMs: 1500 }]);
  const runs = s.invocations().length;
  const lines = s.logLineCount();
  process.kill(pid, 'SIGTERM');
  await eventually(
    () =>
      s
        .invocations()
        .slice(runs)
        .some((r) => (r.stdin ?? '').includes('-D -t 10.5.3.1:80')),
    'the stop batch is running',
  );
  process.kill(pid, 'SIGTERM');
  process.kill(pid, 'SIGINT');
  // `stop` meanwhile (systemd's ExecStop after a kill): it waits for the same clean stop.
  const stop = await s.runAsync([s.cf, 'stop']);
  assert.equal(stop.code, 0, stop.stderr);
  assert.ok(!alive(pid), 'stop returned once the daemon was gone');
  await exited(pid);
  assert.deepEqual(tableLines(s.table()), FOREIGN_LINES, 'every one of our virtuals is gone');
  // The daemon's own lines (the `stop` command logs its `Invoking ...` line whenever it runs).
  const messages = s.messagesOf(pid, lines);
  const ignored = messages.filter((m) =>
    /^Linux Director Daemon already stopping, ignoring signal: (TERM|INT)$/.test(m),
  );
  assert.ok(ignored.length >= 2, messages.join('\n'));
  assert.equal(
    messages.filter((m) => m.startsWith('Linux Director Daemon terminated on signal')).length,
    1,
  );
  assert.equal(messages.at(-1), 'Linux Director Daemon terminated on signal: TERM');
  const stopBatches = s
    .invocations()
    .slice(runs)
    .filter((r) => /^-[dD] /m.test(r.stdin ?? ''));
  assert.equal(stopBatches.length, 1, 'one stop plan, not one per signal');
});

test('HUP with a broken file changes nothing; the checks still drive IPVS', async () => {
  const pid = await startWith(config());
  const table = tableLines(s.table());
  const runs = s.invocations().length;
  const lines = s.logLineCount();
  writeFileSync(s.cf, `${config().replaceAll('{{DIR}}', s.dir)}\tquiescent=perhaps\n`);
  const badLine = config().split('\n').length;
  process.kill(pid, 'SIGHUP');
  await s.waitForLog(/^Reloading Linux Director Daemon config on signal$/, lines);
  await s.waitForLog(
    new RegExp(
      `^Error \\[${pid}\\] reading file ${s.cf} at line ${badLine}: quiescent must be 'yes' or 'no'$`,
    ),
    lines,
  );
  await s.waitForLog(/still running the configuration read before/, lines);
  await new Promise((r) => setTimeout(r, 1500));
  assert.deepEqual(tableLines(s.table()), table);
  assert.deepEqual(s.commandsSince(runs), []);
  assert.ok(alive(pid));

  // The old config still runs: web2 going down is acted on.
  await web2.down();
  await eventually(() => !s.table().includes('127.0.5.32'), 'web2 deleted after the failed HUP');
  await web2.up();
  await eventually(() => s.table().includes('-r 127.0.5.32:8080 -m -w 2'), 'web2 back');
  process.kill(pid, 'SIGTERM');
  await exited(pid);
});

test('USR1 dumps the state of every virtual and real to the log', async () => {
  const pid = await startWith(config());
  await web2.down();
  await eventually(() => !s.table().includes('127.0.5.32'), 'web2 down');
  const lines = s.logLineCount();
  process.kill(pid, 'SIGUSR1');
  await s.waitForLog(/^Status:\s+real 127\.0\.5\.33:8080/, lines);
  const dump = s.messages(lines).filter((m) => m.startsWith('Status:'));
  assert.match(dump[0]!, /^Status: running, 2 virtual service\(s\)$/);
  assert.match(dump.join('\n'), /Status: virtual tcp:10\.5\.3\.1:80 checktype connect/);
  assert.match(
    dump.join('\n'),
    /Status: {3}real 127\.0\.5\.31:8080 up weight 1 failures 0\/1, last check up/,
  );
  assert.match(
    dump.join('\n'),
    /Status: {3}real 127\.0\.5\.32:8080 down weight 2 failures 1\/1, last check down: /,
  );
  assert.match(dump.join('\n'), /Status: {3}real 127\.0\.5\.33:8080 down weight 1/);
  assert.ok(alive(pid), 'USR1 does not stop the daemon');
  await web2.up();
  process.kill(pid, 'SIGTERM');
  await exited(pid);
});
