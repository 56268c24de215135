// autoreload and reload, end to end (docs/ldirectord-behavior.md §3.5.3, §5.5): the daemon watches
// its config; every way an editor or a careless hand can leave the file (an atomic rename, vim's
// backup-and-write, delete then recreate, truncation, garbage, a syntax error) either brings in a
// good config or leaves the last good one running, logged with file and line, the table untouched.
// A reload never flaps a healthy real, and reals whose check did not change keep their state. Real
// servers: TCP listeners on 127.0.5.10-19 (checktype=connect); IPVS: the fake ipvsadm.
import assert from 'node:assert/strict';
import { chmodSync, renameSync, truncateSync, unlinkSync, writeFileSync } from 'node:fs';
import { after, before, test } from 'node:test';
import {
  commandsFor,
  DaemonScratch,
  eventually,
  Switchable,
  tableLines,
} from '../support/daemon-harness.ts';

const s = new DaemonScratch('daemon-reload');
const web1 = new Switchable('127.0.5.11', 8080);
const web2 = new Switchable('127.0.5.12', 8080);
const web3 = new Switchable('127.0.5.13', 8080);
// 127.0.5.14 never listens: a real that is down all along.

const GLOBAL = `checkinterval=1
autoreload=yes
callback="{{DIR}}/callback.sh"
logfile="{{DIR}}/ldirectord.log"
quiescent=no
`;
const WEB = `virtual=10.5.1.1:80
\treal=127.0.5.11:8080 masq
\treal=127.0.5.12:8080 masq 2
\treal=127.0.5.14:8080 masq
\tchecktype=connect
`;
const QUIESCENT = `virtual=10.5.1.3:80
\treal=127.0.5.14:8080 masq
\treal=127.0.5.11:8080 masq
\tchecktype=connect
\tquiescent=yes
`;
const MAIL = (weight: number): string => `virtual=10.5.1.2:25
\treal=127.0.5.13:8080 masq ${weight}
\tchecktype=connect
`;

function good(weight: number): string {
  return `${GLOBAL}${WEB}\n${QUIESCENT}\n${MAIL(weight)}`;
}

before(async () => {
  for (const server of [web1, web2, web3]) await server.up();
  s.write('callback.sh', `#!/bin/sh\necho "$@" >> "${s.path('callback.calls')}"\n`);
  chmodSync(s.path('callback.sh'), 0o755);
});
after(async () => {
  s.kill();
  for (const server of [web1, web2, web3]) await server.down();
  s.cleanup();
});

/** The table and the commands the healthy reals must never see during an edit. */
function snapshot(): { table: string[]; runs: number; lines: number } {
  return { table: tableLines(s.table()), runs: s.invocations().length, lines: s.logLineCount() };
}

function assertNoFlap(since: number): void {
  const commands = s.commandsSince(since);
  for (const [address, port] of [
    ['127.0.5.11', 8080],
    ['127.0.5.12', 8080],
    ['127.0.5.14', 8080],
  ] as const) {
    assert.deepEqual(
      commandsFor(commands, address, port),
      [],
      `no command for ${address}:${port} during the reload; all commands: ${commands.join(' | ')}`,
    );
  }
}

function callbackCalls(): string[] {
  return s.read('callback.calls').split('\n').filter(Boolean);
}

test('autoreload: every way of saving the file, good and bad', async (t) => {
  s.config(good(1));
  s.start();
  await eventually(() => {
    const table = s.table();
    return (
      table.includes('-a -t 10.5.1.1:80 -r 127.0.5.12:8080 -m -w 2') &&
      table.includes('-a -t 10.5.1.2:25 -r 127.0.5.13:8080 -m -w 1') &&
      table.includes('-a -t 10.5.1.3:80 -r 127.0.5.14:8080 -m -w 0')
    );
  }, 'the initial table');
  assert.doesNotMatch(s.table(), /-t 10\.5\.1\.1:80 -r 127\.0\.5\.14:8080/, 'the down real is out');
  const cf = s.cf;
  let weight = 1;

  /** A good edit (the mail real's weight), saved by `save`; the rest must not move. */
  async function goodEdit(save: (text: string) => void | Promise<void>): Promise<void> {
    weight++;
    const before = snapshot();
    const calls = callbackCalls().length;
    await save(good(weight).replaceAll('{{DIR}}', s.dir));
    await eventually(
      () => s.table().includes(`-a -t 10.5.1.2:25 -r 127.0.5.13:8080 -m -w ${weight}`),
      `weight ${weight} in the table`,
    );
    await s.waitForLog(/^Configuration file '.*' has changed on disk$/, before.lines);
    await s.waitForLog(/^ - reread new configuration$/, before.lines);
    await eventually(() => callbackCalls().length > calls, 'the callback ran');
    assert.deepEqual(callbackCalls().slice(calls), [cf], 'the callback gets the config path');
    assertNoFlap(before.runs);
    const after = tableLines(s.table());
    const moved = after.filter((l) => !before.table.includes(l));
    assert.deepEqual(moved, [`-a -t 10.5.1.2:25 -r 127.0.5.13:8080 -m -w ${weight}`]);
  }

  /** A bad file: the last good config stays, the table does not move, the log says why. */
  async function badEdit(save: () => void, why: RegExp): Promise<void> {
    const before = snapshot();
    const calls = callbackCalls().length;
    save();
    await s.waitForLog(why, before.lines);
    await s.waitForLog(/still running the configuration read before/, before.lines);
    // The original runs the callback on every change it notices, reloaded or not.
    await eventually(() => callbackCalls().length > calls, 'the callback ran');
    assert.deepEqual(callbackCalls().slice(calls), [cf]);
    // Two more check cycles: nothing may happen to the table meanwhile.
    await new Promise((r) => setTimeout(r, 2200));
    assert.deepEqual(tableLines(s.table()), before.table, 'the table is unchanged');
    assert.deepEqual(s.commandsSince(before.runs), [], 'no table command at all');
  }

  await t.test('an atomic save (write a temporary file, rename it over)', () =>
    goodEdit((text) => {
      writeFileSync(`${cf}.tmp`, text);
      renameSync(`${cf}.tmp`, cf);
    }),
  );

  await t.test("vim's save: rename to a backup, write a new file, delete the backup", () =>
    goodEdit((text) => {
      renameSync(cf, `${cf}~`);
      writeFileSync(cf, text);
      unlinkSync(`${cf}~`);
    }),
  );

  await t.test('a syntax error: logged with file and line, the old config stays', async () => {
    const text = good(weight)
      .replaceAll('{{DIR}}', s.dir)
      .replace('\tchecktype=connect\n\tquiescent=yes', '\tchecktype=connnect\n\tquiescent=yes');
    const line = text.split('\n').indexOf('\tchecktype=connnect') + 1;
    await badEdit(
      () => writeFileSync(cf, text),
      new RegExp(
        `^Error \\[\\d+\\] reading file ${cf} at line ${line}: checktype must be "connect"`,
      ),
    );
  });
  await t.test('a good edit after the syntax error is picked up', () =>
    goodEdit((text) => writeFileSync(cf, text)),
  );

  await t.test('garbage: the old config stays', () =>
    badEdit(
      () => writeFileSync(cf, Buffer.from([0x7f, 0x45, 0x4c, 0x46, 0x02, 0x01, 0x0a, 0xff])),
      new RegExp(`^Error \\[\\d+\\] reading file ${cf} at line 1: Unknown command`),
    ),
  );
  await t.test('a good edit after garbage is picked up', () =>
    goodEdit((text) => writeFileSync(cf, text)),
  );

  await t.test('truncated to nothing: the old config stays (an empty file is no config)', () =>
    badEdit(
      () => truncateSync(cf, 0),
      new RegExp(
        `^Error \\[\\d+\\] reading file ${cf} at line 1: the file is empty \\(no directive`,
      ),
    ),
  );
  await t.test('a good edit after the truncation is picked up', () =>
    goodEdit((text) => writeFileSync(cf, text)),
  );

  await t.test('deleted: the old config stays until the file is back', async () => {
    await badEdit(
      () => unlinkSync(cf),
      new RegExp(`^can not open file ${cf}: still running the configuration read before$`),
    );
  });
  await t.test('recreated: picked up', () => goodEdit((text) => writeFileSync(cf, text)));

  await t.test('a touch changes nothing (the content is what counts)', async () => {
    const before = snapshot();
    const now = new Date();
    const { utimesSync } = await import('node:fs');
    utimesSync(cf, now, now);
    await new Promise((r) => setTimeout(r, 1500));
    assert.ok(
      !s.messages(before.lines).some((m) => m.includes('has changed on disk')),
      'no change reported',
    );
    assert.deepEqual(s.commandsSince(before.runs), []);
  });
});

test('a reload neither flaps the reals nor resets what their checks counted', async () => {
  // web2 has failurecount=4 and a 2 s interval: once it has failed once, a reload (changing
  // another virtual) must let its count go on to 2/4, not start again at 1/4; the reals up stay
  // untouched, and the real down all along (127.0.5.14) is not put in and taken out again.
  const text = (w: number): string =>
    good(w)
      .replaceAll('{{DIR}}', s.dir)
      .replace(
        '\treal=127.0.5.12:8080 masq 2\n\treal=127.0.5.14:8080 masq\n\tchecktype=connect\n',
        '\treal=127.0.5.12:8080 masq 2\n\treal=127.0.5.14:8080 masq\n\tchecktype=connect\n' +
          '\tfailurecount=4\n\tcheckinterval=2\n',
      );
  writeFileSync(s.cf, text(20));
  await eventually(
    () => s.table().includes('-a -t 10.5.1.2:25 -r 127.0.5.13:8080 -m -w 20'),
    'the failurecount edit is in',
  );
  const before = snapshot();
  await web2.down();
  await s.waitForLog(
    /^Soft failure real server: 127\.0\.5\.12:8080 \(tcp:10\.5\.1\.1:80\) failure 1\/4$/,
    before.lines,
  );
  const mark = snapshot();
  writeFileSync(s.cf, text(21));
  const reload = s.action('reload');
  assert.equal(reload.code, 0, reload.stderr);
  await s.waitForLog(/^Reloading Linux Director Daemon config on signal$/, mark.lines);
  await eventually(
    () => s.table().includes('-a -t 10.5.1.2:25 -r 127.0.5.13:8080 -m -w 21'),
    'the reload',
  );
  const next = await s.waitForLog(/^Soft failure real server: 127\.0\.5\.12:8080/, mark.lines);
  assert.match(next, /failure 2\/4$/, 'the count goes on across the reload');
  assertNoFlap(mark.runs);
  await web2.up();
  await s.waitForLog(/^Resetting soft failure count: 127\.0\.5\.12:8080/, mark.lines);
  assert.deepEqual(
    commandsFor(s.commandsSince(before.runs), '127.0.5.12', 8080),
    [],
    'web2 never left the table: it came back before failurecount',
  );
  const stop = s.action('stop');
  assert.equal(stop.code, 0, stop.stderr);
});
