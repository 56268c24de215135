// --dry-run: the daemon keeps the IPVS table in memory, logs each command that took effect
// after the original's line, and never runs ipvsadm (here ipvsadm is /bin/false, which would
// make every read fail). In the foreground (supervised) and as a daemon, whose child must get
// --dry-run again.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { after, test } from 'node:test';
import { BIN, eventually, Scratch } from '../support/ldts.ts';

const scratch = new Scratch('dry-run');
after(() => {
  const pid = scratch.pid('daemon.cf');
  if (pid) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {}
  }
  scratch.cleanup();
});

const SITE = `checkinterval=1
virtual=10.9.9.1:80
\treal=127.0.0.2:8080 masq
\treal=127.0.0.3:8080 masq 2
\tchecktype=on
`;
const NO_IPVSADM = { LDIRECTORD_IPVSADM: '/bin/false' };

test('supervised: commands are logged after the original lines and the stop exits 0', async () => {
  const cf = scratch.write('fg.cf', `supervised=yes\n${SITE}`);
  const child = spawn(process.execPath, [BIN, '--dry-run', cf, 'start'], {
    env: scratch.env(NO_IPVSADM),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout.on('data', (b: Buffer) => {
    out += b.toString();
  });
  child.stderr.on('data', (b: Buffer) => {
    out += b.toString();
  });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  await eventually(() => out.includes('-r 127.0.0.3:8080 -m -w 2'), 'the second real', 30_000);
  child.kill('SIGTERM');
  assert.equal(await exited, 0, out);

  const messages = out
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => l.replace(/^\[[^\]]+\] /, ''));
  const from = messages.indexOf('Added virtual server: 10.9.9.1:80');
  assert.notEqual(from, -1, out);
  assert.deepEqual(messages.slice(from, from + 6), [
    'Added virtual server: 10.9.9.1:80',
    'Dry run: ipvsadm -A -t 10.9.9.1:80 -s wrr',
    'Added real server: 127.0.0.2:8080 (10.9.9.1:80) (Weight set to 1)',
    'Dry run: ipvsadm -a -t 10.9.9.1:80 -x 0 -y 0 -r 127.0.0.2:8080 -m -w 1',
    'Added real server: 127.0.0.3:8080 (10.9.9.1:80) (Weight set to 2)',
    'Dry run: ipvsadm -a -t 10.9.9.1:80 -x 0 -y 0 -r 127.0.0.3:8080 -m -w 2',
  ]);
  assert.ok(messages.includes('Dry run: ipvsadm -D -t 10.9.9.1:80'), 'the stop purge is logged');
  assert.ok(!out.includes('failed'), out);
});

test('as a daemon: the detached child runs dry too', async () => {
  const cf = scratch.write('daemon.cf', `logfile="{{DIR}}/daemon.log"\n${SITE}`);
  const start = scratch.run(['--dry-run', cf, 'start'], { env: NO_IPVSADM });
  assert.equal(start.code, 0, start.stderr);
  await eventually(
    () => scratch.read('daemon.log').includes('Dry run: ipvsadm -a -t 10.9.9.1:80'),
    'the dry-run lines in the log file',
    30_000,
  );
  const stop = scratch.run([cf, 'stop'], { env: NO_IPVSADM });
  assert.equal(stop.code, 0, stop.stderr);
  const logged = scratch.read('daemon.log');
  assert.match(logged, /Dry run: ipvsadm commands are logged, not run/);
  assert.match(logged, /Linux Director Daemon terminated on signal: TERM/);
  assert.doesNotMatch(logged, /Could not read|failed/);
});
