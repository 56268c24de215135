// kill -9, then start again (docs/ldirectord-behavior.md §3.5): the new daemon takes the table it
// finds as its starting point. Healthy reals stay where they are (no -d/-a for them in the fake
// ipvsadm's invocation log), a real that went down while no daemon ran is removed and one that came
// up is added, at the first check rather than an interval later; another daemon's virtual is left
// alone. Real servers: TCP listeners on 127.0.5.20-29 (checktype=connect); IPVS: the fake ipvsadm.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { after, before, test } from 'node:test';
import {
  alive,
  commandsFor,
  DaemonScratch,
  eventually,
  FAKE_IPVSADM,
  Switchable,
} from '../support/daemon-harness.ts';

const s = new DaemonScratch('daemon-crash');
const reals = [21, 22, 23, 24].map((n) => new Switchable(`127.0.5.${n}`, 8080));
const [web1, web2, web3, web4] = reals as [Switchable, Switchable, Switchable, Switchable];

// A long interval: convergence after the restart must come from the first check, not the loop.
const CONFIG = `checkinterval=30
logfile="{{DIR}}/ldirectord.log"
virtual=10.5.2.1:80
\treal=127.0.5.21:8080 masq
\treal=127.0.5.22:8080 masq 2
\treal=127.0.5.23:8080 masq 3
\tchecktype=connect
\tchecktimeout=2

virtual=10.5.2.2:80
\treal=127.0.5.24:8080 masq
\treal=127.0.5.22:8080 masq
\tchecktype=connect
\tchecktimeout=2
\tquiescent=yes
`;

before(async () => {
  await web1.up();
  await web2.up();
  await web4.up();
});
after(async () => {
  s.kill();
  for (const r of reals) await r.down();
  s.cleanup();
});

test('kill -9 and start again: reconcile with the table found, converge at once', async () => {
  s.config(CONFIG);
  // Someone else's virtual service, in the kernel before we start: never ours to touch.
  const other = spawnSync(FAKE_IPVSADM, ['-R'], {
    input: '-A -t 10.9.9.9:80 -s rr\n-a -t 10.9.9.9:80 -r 10.9.9.10:80 -m -w 1\n',
    env: s.env(),
  });
  assert.equal(other.status, 0, String(other.stderr));

  const first = s.start();
  await eventually(() => {
    const t = s.table();
    return (
      t.includes('-a -t 10.5.2.1:80 -r 127.0.5.22:8080 -m -w 2') &&
      t.includes('-a -t 10.5.2.2:80 -r 127.0.5.24:8080 -m -w 1') &&
      t.includes('-a -t 10.5.2.2:80 -r 127.0.5.22:8080 -m -w 1')
    );
  }, 'the first daemon programmed the table');
  assert.doesNotMatch(s.table(), /127\.0\.5\.23/, 'web3 is down and out');

  process.kill(first, 'SIGKILL');
  await eventually(() => !alive(first), 'the first daemon is gone');
  const stale = s.action('status');
  assert.equal(stale.code, 1, 'the pid file left behind is stale');
  assert.match(stale.stderr, /^ldirectord stale pid file .* for /);

  // While no daemon runs: web2 dies, web3 comes up.
  await web2.down();
  await web3.up();
  const tableBefore = s.table();
  const mark = s.invocations().length;
  const lines = s.logLineCount();

  const started = Date.now();
  const second = s.start();
  assert.notEqual(second, first);
  await eventually(() => {
    const t = s.table();
    return (
      !t.includes('-a -t 10.5.2.1:80 -r 127.0.5.22:8080') &&
      t.includes('-a -t 10.5.2.2:80 -r 127.0.5.22:8080 -m -w 0') &&
      t.includes('-a -t 10.5.2.1:80 -r 127.0.5.23:8080 -m -w 3')
    );
  }, 'web2 out (quiesced where quiescent=yes), web3 in');
  const convergedMs = Date.now() - started;
  assert.ok(
    convergedMs < 15_000,
    `converged after ${convergedMs} ms: the first check, not a 30 s interval later`,
  );

  const commands = s.commandsSince(mark);
  assert.deepEqual(commandsFor(commands, '127.0.5.21', 8080), [], 'web1 untouched');
  assert.deepEqual(commandsFor(commands, '127.0.5.24', 8080), [], 'web4 untouched');
  assert.deepEqual(
    commandsFor(commands, '127.0.5.22', 8080),
    ['-d -t 10.5.2.1:80 -r 127.0.5.22:8080', '-e -t 10.5.2.2:80 -r 127.0.5.22:8080 -m -w 0'],
    'web2 removed (and quiesced) once, never re-added first',
  );
  assert.deepEqual(commandsFor(commands, '127.0.5.23', 8080), [
    '-a -t 10.5.2.1:80 -x 0 -y 0 -r 127.0.5.23:8080 -m -w 3',
  ]);
  assert.ok(
    !commands.some((c) => c.includes('10.9.9.9')),
    `the foreign virtual is not touched: ${commands.join(' | ')}`,
  );
  assert.match(tableBefore, /-A -t 10\.9\.9\.9:80 -s rr/);
  assert.match(s.table(), /-a -t 10\.9\.9\.9:80 -r 10\.9\.9\.10:80 -m -w 1/);

  const messages = s.messages(lines);
  assert.ok(
    messages.includes('Deleted real server: 127.0.5.22:8080 (10.5.2.1:80)'),
    messages.join('\n'),
  );
  assert.ok(
    messages.includes('Added real server: 127.0.5.23:8080 (10.5.2.1:80) (Weight set to 3)'),
  );
  assert.ok(!messages.some((m) => /Purged|Changed virtual/.test(m)), messages.join('\n'));

  const stop = s.action('stop');
  assert.equal(stop.code, 0, stop.stderr);
  assert.ok(!alive(second));
  assert.equal(
    s.table().trim(),
    '-A -t 10.9.9.9:80 -s rr\n-a -t 10.9.9.9:80 -r 10.9.9.10:80 -m -w 1',
    'cleanstop removes our virtuals only',
  );
});
