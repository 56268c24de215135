// execute=<config> (docs/ldirectord-behavior.md §1.8): a second instance for another config is
// started, queried, reloaded and stopped together with the first, each with its own pid file and
// virtuals; a reload that drops the execute= line stops the second instance, one that adds it back
// starts it again. Real servers: TCP listeners on 127.0.5.70-79 (checktype=connect); IPVS: the fake
// ipvsadm.
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { after, before, test } from 'node:test';
import { alive, DaemonScratch, eventually, Switchable } from '../support/daemon-harness.ts';

const s = new DaemonScratch('daemon-execute', 'main.cf');
const reals = [71, 72, 73].map((n) => new Switchable(`127.0.5.${n}`, 8080));

const MAIN = (execute: boolean): string => `checkinterval=1
logfile="{{DIR}}/ldirectord.log"
${execute ? 'execute="{{DIR}}/second.cf"\n' : ''}virtual=10.5.7.1:80
\treal=127.0.5.71:8080 masq
\tchecktype=connect
`;
const SECOND = (extra: boolean): string => `checkinterval=1
logfile="{{DIR}}/second.log"
virtual=10.5.7.2:80
\treal=127.0.5.72:8080 masq
${extra ? '\treal=127.0.5.73:8080 masq 3\n' : ''}\tchecktype=connect
`;

before(async () => {
  for (const r of reals) await r.up();
});
after(async () => {
  s.kill();
  const second = s.pid('second.cf');
  if (alive(second)) process.kill(second!, 'SIGKILL');
  for (const r of reals) await r.down();
  s.cleanup();
});

test('execute=: started, queried, reloaded and stopped with the first instance', async () => {
  s.config(MAIN(true));
  const second = s.write('second.cf', SECOND(false));
  const main = s.start();
  await eventually(() => alive(s.pid('second.cf')), 'the second instance started');
  const secondPid = s.pid('second.cf')!;
  assert.notEqual(secondPid, main);
  await eventually(() => {
    const t = s.table();
    return t.includes('-r 127.0.5.71:8080') && t.includes('-a -t 10.5.7.2:80 -r 127.0.5.72:8080');
  }, 'both instances programmed the table');
  assert.match(s.read('second.log'), /Starting Linux Director v1\.186-ha as daemon/);

  // status: the first instance's line, then the second's, both on stderr, exit 0.
  const status = s.action('status');
  assert.equal(status.code, 0, status.stderr);
  assert.equal(
    status.stderr,
    `ldirectord for ${s.cf} is running with pid: ${main}\n` +
      `ldirectord for ${second} is running with pid: ${secondPid}\n`,
  );

  // reload: the second instance is reloaded too (its new real comes in, same process).
  writeFileSync(second, SECOND(true).replaceAll('{{DIR}}', s.dir));
  assert.equal(s.action('reload').code, 0);
  await eventually(
    () => s.table().includes('-a -t 10.5.7.2:80 -r 127.0.5.73:8080 -m -w 3'),
    'the second instance reloaded',
  );
  assert.equal(s.pid('second.cf'), secondPid, 'reloaded, not restarted');
  assert.match(s.read('second.log'), /Reloading Linux Director Daemon config on signal/);

  // A reload without the execute= line stops it; with the line back, it starts again.
  writeFileSync(s.cf, MAIN(false).replaceAll('{{DIR}}', s.dir));
  assert.equal(s.action('reload').code, 0);
  await eventually(() => !alive(secondPid), 'the second instance stopped');
  await eventually(() => !s.table().includes('10.5.7.2'), 'its virtual is gone (cleanstop)');
  writeFileSync(s.cf, MAIN(true).replaceAll('{{DIR}}', s.dir));
  assert.equal(s.action('reload').code, 0);
  await eventually(() => alive(s.pid('second.cf')), 'the second instance started again');
  const again = s.pid('second.cf')!;
  await eventually(() => s.table().includes('10.5.7.2:80'), 'its virtual is back');

  // stop: both go, each with its clean stop.
  const stop = s.action('stop');
  assert.equal(stop.code, 0, stop.stderr);
  assert.ok(!alive(main));
  await eventually(() => !alive(again), 'the second instance stopped with the first');
  assert.equal(s.table(), '', 'both cleaned up');
  assert.equal(s.run([second, 'status']).code, 3);
});
