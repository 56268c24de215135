// External checks whose command leaves a process running behind it (`sleep 120 & exit 0`), in
// the daemon, check after check: the real is up (judged by the exit status, as the original),
// nothing the checks started is left running, during the run or after the stop, and the daemon
// holds no more file descriptors than at the start. checktype=external and external-perl.
// The sleeps carry a marker (an unusual time) to be found in /proc; IPVS: the fake ipvsadm.
import assert from 'node:assert/strict';
import { chmodSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { after, test } from 'node:test';
import { alive, DaemonScratch, eventually, footprint } from '../support/daemon-harness.ts';

const SH_MARKER = '120.4731';
const PERL_MARKER = '120.4732';
const s = new DaemonScratch('daemon-external-leftovers');

after(() => {
  s.kill();
  for (const pid of [...marked(SH_MARKER), ...marked(PERL_MARKER)]) process.kill(pid, 'SIGKILL');
  s.cleanup();
});

/** Live (not zombie) processes running `sleep <marker>`. */
function marked(marker: string): number[] {
  return readdirSync('/proc')
    .filter((name) => /^\d+$/.test(name))
    .filter((name) => {
      try {
        return readFileSync(`/proc/${name}/cmdline`, 'utf8') === `sleep\0${marker}\0`;
      } catch {
        return false;
      }
    })
    .map(Number)
    .filter((pid) => alive(pid));
}

/** Check results of the real at address in the monitorfile. */
function results(address: string): string[] {
  return s
    .read('monitor.log')
    .split('\n')
    .filter((line) => line.includes(` ${address} `));
}

test('external checks that leave a sleep behind: up, nothing left running, no fd growth', async () => {
  const sh = s.path('leaves.sh');
  writeFileSync(sh, `#!/bin/sh\nsleep ${SH_MARKER} &\nexit 0\n`);
  chmodSync(sh, 0o755);
  const pl = s.path('leaves.pl');
  writeFileSync(pl, `system("sleep ${PERL_MARKER} &"); exit(0);\n`);
  s.config(`checkinterval=1
checktimeout=3
quiescent=no
logfile="{{DIR}}/ldirectord.log"
virtual=10.17.1.1:80
\treal=127.0.17.201:80 masq
\tchecktype=external
\tcheckcommand="${sh}"
\tmonitorfile="{{DIR}}/monitor.log"

virtual=10.17.1.2:80
\treal=127.0.17.202:80 masq
\tchecktype=external-perl
\tcheckcommand="${pl}"
\tmonitorfile="{{DIR}}/monitor.log"
`);
  const pid = s.start();
  await s.waitForLog(/^Added real server: 127\.0\.17\.201:80 /, 0, 10_000);
  await s.waitForLog(/^Added real server: 127\.0\.17\.202:80 /, 0, 10_000);
  await eventually(
    () => results('127.0.17.201').length >= 3 && results('127.0.17.202').length >= 3,
    'three checks of each',
  );
  const before = footprint(pid);
  const counted = results('127.0.17.201').length;
  await eventually(
    () => results('127.0.17.201').length >= counted + 10,
    () => `ten more checks\n${s.read('monitor.log').slice(-2000)}`,
    30_000,
  );
  const fds = footprint(pid).fds;

  const down = [...results('127.0.17.201'), ...results('127.0.17.202')].filter((l) =>
    l.includes('[down]'),
  );
  assert.deepEqual(down, [], 'every check up');
  // At most the sleep of a check under way right now (it is killed at the check's exit).
  assert.ok(marked(SH_MARKER).length <= 1, `sleeps left by external: ${marked(SH_MARKER)}`);
  assert.ok(marked(PERL_MARKER).length <= 1, `sleeps left by perl: ${marked(PERL_MARKER)}`);
  // In flight at any moment: one check per real, three pipes each.
  assert.ok(fds <= before.fds + 6, `daemon fds: ${before.fds} after 3 checks, ${fds} after 13`);

  const stop = await s.runAsync([s.cf, 'stop']);
  assert.equal(stop.code, 0, stop.stderr);
  await eventually(
    () => marked(SH_MARKER).length + marked(PERL_MARKER).length === 0,
    () => `no sleep left after the stop: ${marked(SH_MARKER)} ${marked(PERL_MARKER)}`,
    5000,
  );
});
