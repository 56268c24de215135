// A leak check, not a timing: after 50 reloads (each changing a weight, so each runs ipvsadm)
// and a few reals going down and up, the daemon holds no more file descriptors than before,
// within a generous margin for checks in flight. The figures over 1,000 reloads and 10,000
// checks are in BENCHMARKS.md (bench/daemon-reliability.ts).
// Real servers: TCP listeners on 127.0.5.110-119 (checktype=connect); IPVS: the fake ipvsadm.
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { after, before, test } from 'node:test';
import { DaemonScratch, eventually, footprint, Switchable } from '../support/daemon-harness.ts';

const s = new DaemonScratch('daemon-fd-leak');
const reals = [111, 112, 113, 114, 115, 116].map((n) => new Switchable(`127.0.5.${n}`, 8080));

const config = (weight: number): string => `checkinterval=1
logfile="{{DIR}}/ldirectord.log"
virtual=10.5.11.1:80
${reals.map((r, i) => `\treal=${r.host}:${r.port} masq ${i === 0 ? weight : 1}\n`).join('')}\tchecktype=connect
\tmonitorfile="{{DIR}}/monitor.log"
`;

before(async () => {
  for (const r of reals) await r.up();
});
after(async () => {
  s.kill();
  for (const r of reals) await r.down();
  s.cleanup();
});

test('50 reloads and some transitions leave no file descriptor behind', async () => {
  s.config(config(1));
  const start = await s.runAsync([s.cf, 'start']);
  assert.equal(start.code, 0, start.stderr);
  const pid = s.daemonPid!;
  await eventually(
    () => reals.every((r) => s.table().includes(`-r ${r.host}:${r.port}`)),
    'every real in the table',
  );
  await new Promise((r) => setTimeout(r, 1500));
  const before = footprint(pid);

  for (let i = 1; i <= 50; i++) {
    const weight = (i % 2) + 1;
    const lines = s.logLineCount();
    writeFileSync(s.cf, config(weight).replaceAll('{{DIR}}', s.dir));
    process.kill(pid, 'SIGHUP');
    await s.waitForLog(
      new RegExp(`^Restored real server: 127\\.0\\.5\\.111:8080 .*\\(Weight set to ${weight}\\)$`),
      lines,
    );
  }
  for (const r of reals.slice(3)) await r.down();
  await eventually(() => !s.table().includes('127.0.5.116'), 'three reals down');
  for (const r of reals.slice(3)) await r.up();
  await eventually(() => s.table().includes('127.0.5.116'), 'back up');
  await new Promise((r) => setTimeout(r, 1500));
  const after = footprint(pid);

  // In flight at any moment: up to one socket per real being checked, one ipvsadm pipe set.
  const margin = reals.length + 4;
  assert.ok(
    after.fds <= before.fds + margin,
    `fds: ${before.fds} before, ${after.fds} after (${JSON.stringify(after)})`,
  );
  assert.ok(after.files <= before.files, `open files: ${before.files} -> ${after.files}`);
  const stop = await s.runAsync([s.cf, 'stop']);
  assert.equal(stop.code, 0, stop.stderr);
});
