// The command line and lifecycle contract heartbeat, Pacemaker and systemd depend on
// (docs/ldirectord-behavior.md §1.4): start daemonizes and returns once the pid file is written,
// status answers 0/3/1 with the original's words, reload signals, stop waits for the clean stop,
// config errors exit 2 and change nothing. Driven through the built program against the fake
// ipvsadm. § numbers in test names are of the same document.
import assert from 'node:assert/strict';
import { existsSync, writeFileSync } from 'node:fs';
import { after, test } from 'node:test';
import { alive, eventually, Scratch } from '../support/ldts.ts';

const scratches: Scratch[] = [];
function scratch(): Scratch {
  const s = new Scratch('lifecycle');
  scratches.push(s);
  return s;
}
after(() => {
  for (const s of scratches) {
    for (const name of ['web.cf', 'other.cf']) {
      const pid = s.pid(name);
      if (alive(pid)) process.kill(pid!, 'SIGKILL');
    }
    s.cleanup();
  }
});

const WEB = `checkinterval=1
logfile="{{DIR}}/ldirectord.log"
virtual=10.1.1.1:80
\treal=127.0.0.2:8080 masq
\treal=127.0.0.3:8080 masq 2
\tchecktype=on
`;

test('start, status, reload, stop: the exit codes and messages of the original', async () => {
  const s = scratch();
  const cf = s.write('web.cf', WEB);

  const stopped = s.run([cf, 'status']);
  assert.equal(stopped.code, 3);
  assert.equal(stopped.stdout, `ldirectord is stopped for ${cf}\n`);

  const start = s.run([cf, 'start']);
  assert.equal(start.code, 0, start.stderr);
  const pid = s.pid('web.cf');
  assert.ok(pid && alive(pid), 'the pid file names a live daemon when start returns');
  await eventually(
    () => s.table().includes('-r 127.0.0.3:8080 -m -w 2'),
    'both reals in the table',
  );

  const again = s.run([cf, 'start']);
  assert.equal(again.code, 0);
  assert.equal(s.pid('web.cf'), pid, 'a second start leaves the running daemon alone');

  const running = s.run([cf, 'status']);
  assert.equal(running.code, 0);
  assert.equal(running.stderr, `ldirectord for ${cf} is running with pid: ${pid}\n`);

  // A broken config: every action exits 2 with the original's first line; the daemon and its
  // pid file are untouched (docs/ldirectord-behavior.md §6 item 5) and it keeps the table.
  writeFileSync(cf, `${WEB.replaceAll('{{DIR}}', s.dir)}quiescent=maybe\n`);
  for (const action of ['reload', 'status', 'stop']) {
    const r = s.run([cf, action]);
    assert.equal(r.code, 2, `${action}: ${r.stderr}`);
    assert.match(
      r.stderr,
      new RegExp(
        `^Error \\[\\d+\\] reading file ${cf} at line 7: quiescent must be 'yes' or 'no'\\n`,
      ),
    );
  }
  assert.equal(s.pid('web.cf'), pid);
  assert.ok(alive(pid));

  // A good reload adds a virtual and leaves the healthy reals where they were.
  writeFileSync(
    cf,
    `${WEB.replaceAll('{{DIR}}', s.dir)}virtual=10.1.1.2:80\n\treal=127.0.0.4:8080 gate\n\tchecktype=on\n`,
  );
  const reload = s.run([cf, 'reload']);
  assert.equal(reload.code, 0, reload.stderr);
  await eventually(() => s.table().includes('-A -t 10.1.1.2:80'), 'the new virtual');
  assert.match(s.table(), /-a -t 10\.1\.1\.1:80 -r 127\.0\.0\.2:8080 -m -w 1/);
  assert.match(s.read('ldirectord.log'), /Reloading Linux Director Daemon config on signal/);
  assert.doesNotMatch(s.read('ldirectord.log'), /Deleted real server/);

  const stop = s.run([cf, 'stop']);
  assert.equal(stop.code, 0, stop.stderr);
  assert.ok(!alive(pid), 'stop returns once the daemon has exited');
  assert.ok(!existsSync(s.path('ldirectord.web.cf.pid')), 'the pid file is removed');
  assert.equal(s.table(), '', 'cleanstop=yes (the default) empties the table');
  assert.match(s.read('ldirectord.log'), /Linux Director Daemon terminated on signal: TERM/);
  assert.equal(s.run([cf, 'status']).code, 3);
  assert.equal(s.run([cf, 'reload']).code, 1, 'reload when not running exits 1');
});

test('a stale pid file: status exits 1 with the exact text the OCF agent looks for', () => {
  const s = scratch();
  const cf = s.write('web.cf', WEB);
  const pidFile = s.path('ldirectord.web.cf.pid');
  writeFileSync(pidFile, '999999999\n');
  const r = s.run([cf, 'status']);
  assert.equal(r.code, 1);
  assert.equal(r.stderr, `ldirectord stale pid file ${pidFile} for ${cf}\n`);
  assert.equal(r.stdout, `ldirectord is stopped for ${cf}\n`);
});

test('a broken config: start exits 2, prints every error, writes no pid file', () => {
  const s = scratch();
  const cf = s.write('web.cf', 'quiescent=maybe\nvirtual=10.1.1.1:80\n\treal=10.0.0.2:80 bridge\n');
  const r = s.run([cf, 'start']);
  assert.equal(r.code, 2);
  const lines = r.stderr.split('\n');
  assert.match(
    lines[0]!,
    /^Error \[\d+\] reading file .*web\.cf at line 1: quiescent must be 'yes' or 'no'$/,
  );
  assert.match(r.stderr, /web\.cf:3:\d+: error: forward method must be gate, masq or ipip/);
  assert.ok(!existsSync(s.path('ldirectord.web.cf.pid')));
});

test('a relative config path keeps working after daemonizing (§6 item 6)', async () => {
  const s = scratch();
  s.write('web.cf', WEB);
  const start = s.run(['web.cf', 'start'], { cwd: s.dir });
  assert.equal(start.code, 0, start.stderr);
  const pid = s.pid('web.cf');
  writeFileSync(
    s.path('web.cf'),
    `${WEB.replaceAll('{{DIR}}', s.dir)}virtual=10.1.1.9:80\n\treal=127.0.0.9:80 gate\n\tchecktype=on\n`,
  );
  assert.equal(s.run(['web.cf', 'reload'], { cwd: s.dir }).code, 0);
  await eventually(() => s.table().includes('-A -t 10.1.1.9:80'), 'the reload read the file');
  assert.equal(s.run(['web.cf', 'stop'], { cwd: s.dir }).code, 0);
  assert.ok(!alive(pid));
});

test('status --json: state of every real, without passwords', async () => {
  const s = scratch();
  const cf = s.write(
    'web.cf',
    `${WEB}virtual=10.1.1.3:3306\n\treal=127.0.0.5:3306 masq\n\tchecktype=off\n\tlogin="dbuser"\n\tpasswd="t0p-s3cret"\n`,
  );
  assert.equal(s.run([cf, 'start']).code, 0);
  let json:
    | {
        running: boolean;
        pid: number;
        daemon: { status: string; monitor: { virtuals: unknown[] } };
      }
    | undefined;
  await eventually(() => {
    const r = s.run([cf, 'status', '--json']);
    json = JSON.parse(r.stdout);
    return r.code === 0 && json?.daemon?.status === 'running';
  }, 'the status file says running');
  assert.equal(json!.running, true);
  assert.equal(json!.pid, s.pid('web.cf'));
  assert.equal(json!.daemon.monitor.virtuals.length, 2);
  const text = s.run([cf, 'status', '--json']).stdout;
  assert.doesNotMatch(text, /t0p-s3cret/);
  assert.match(text, /"address": "127\.0\.0\.3"/);
  assert.equal(s.run([cf, 'stop']).code, 0);
  const stopped = s.run([cf, 'status', '--json']);
  assert.equal(stopped.code, 3);
  assert.equal(JSON.parse(stopped.stdout).running, false);
});

test('usage, version and a missing config', () => {
  const s = scratch();
  const usage = s.run([]);
  assert.equal(usage.code, 255);
  assert.match(
    usage.stdout,
    /^Usage:\n {4}ldirectord \[-d\|--debug\] \[--\] \[configfile\] start \| stop \| restart \|/,
  );
  const badAction = s.run(['x.cf', 'explode']);
  assert.equal(badAction.code, 255);
  const version = s.run(['-v']);
  assert.equal(version.code, 0);
  assert.match(version.stdout, /^Linux Director v1\.186-ha\n/);
  const missing = s.run([s.path('missing.cf'), 'status']);
  assert.equal(missing.code, 1);
  assert.equal(missing.stderr, `Config file ${s.path('missing.cf')} not found\n`);
});

test('SIGUSR1 writes a status dump to the log', async () => {
  const s = scratch();
  const cf = s.write('web.cf', WEB);
  assert.equal(s.run([cf, 'start']).code, 0);
  await eventually(() => s.table().includes('127.0.0.3:8080'), 'reals in');
  process.kill(s.pid('web.cf')!, 'SIGUSR1');
  await eventually(
    () => /Status:\s+real 127\.0\.0\.3:8080 up weight 2/.test(s.read('ldirectord.log')),
    'the dump',
  );
  assert.equal(s.run([cf, 'stop']).code, 0);
});
