// What the daemon hands to the programs it runs: a checkcommand and a fallbackcommand see the
// environment the daemon was started with, without the variables ldirectord-ts uses between
// its own processes (LDIRECTORD_TS_READY_FD: how `start` hears that the daemon is ready).
// The daemon is started with `start`, which sets that variable for it; IPVS: the fake ipvsadm.
import assert from 'node:assert/strict';
import { chmodSync, writeFileSync } from 'node:fs';
import { after, test } from 'node:test';
import { DaemonScratch, eventually } from '../support/daemon-harness.ts';

const s = new DaemonScratch('daemon-child-environment');

after(() => {
  s.kill();
  s.cleanup();
});

function dumper(name: string, status: number): string {
  const file = s.path(`${name}.sh`);
  writeFileSync(
    file,
    `#!/bin/sh\nenv > "${s.path(`${name}.env.tmp`)}"\nmv "${s.path(`${name}.env.tmp`)}" "${s.path(`${name}.env`)}"\nexit ${status}\n`,
  );
  chmodSync(file, 0o755);
  return file;
}

test('checkcommand and fallbackcommand get no internal variable of ours', async () => {
  const check = dumper('check', 1);
  const fallback = dumper('fallback', 0);
  s.config(`checkinterval=1
checktimeout=3
logfile="{{DIR}}/ldirectord.log"
virtual=10.17.2.1:80
\treal=127.0.17.210:80 masq
\tchecktype=external
\tcheckcommand="${check}"
\tfallbackcommand="${fallback}"
`);
  s.start({ env: { LDTS_TEST_MARKER: 'passed-on' } });
  await eventually(
    () => s.read('check.env') !== '' && s.read('fallback.env') !== '',
    () => `both commands ran\n${s.log}`,
  );
  for (const name of ['check', 'fallback']) {
    const env = s.read(`${name}.env`).split('\n');
    assert.ok(env.includes('LDTS_TEST_MARKER=passed-on'), `${name}: the daemon's environment`);
    const ours = env.filter((line) => line.startsWith('LDIRECTORD_TS_READY_FD='));
    assert.deepEqual(ours, [], `${name}: no internal variable`);
  }
  const stop = await s.runAsync([s.cf, 'stop']);
  assert.equal(stop.code, 0, stop.stderr);
});
