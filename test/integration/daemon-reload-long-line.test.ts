// A reload of a file with a 48 KB real= line: it stopped every check of a running daemon for 8.9 s
// while the parser backtracked over the line. With the parse linear the reload is decided at once:
// a line the original rejects is one clear, short error and the old config keeps running; a long
// line that is valid is taken in. Checks go on throughout.
// Real servers: TCP listeners on 127.0.18.11-12 (checktype=connect); IPVS: the fake ipvsadm.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { DaemonScratch, eventually, Switchable } from '../support/daemon-harness.ts';

const s = new DaemonScratch('daemon-reload-long-line');
const web1 = new Switchable('127.0.18.11', 8080);
const web2 = new Switchable('127.0.18.12', 8080);

/**
 * From the HUP to the reload's outcome in the log. A linear parse of 48 KB takes milliseconds;
 * the quadratic one took 8.9 s. Generous, so that a loaded machine does not fail it.
 */
const DECIDED_WITHIN_MS = 4000;

function config(extraLine = ''): string {
  return [
    'checkinterval=1',
    'logfile="{{DIR}}/ldirectord.log"',
    'virtual=10.17.1.1:80',
    '\treal=127.0.18.11:8080 masq',
    ...(extraLine ? [extraLine] : []),
    '\tchecktype=connect',
    '\tmonitorfile="{{DIR}}/monitor.log"',
    '',
  ].join('\n');
}

function monitorLines(): number {
  return s.read('monitor.log').split('\n').filter(Boolean).length;
}

/** Sends HUP and waits for a log line matching `outcome`; returns how long that took. */
async function reload(outcome: RegExp): Promise<{ ms: number; lines: string[] }> {
  const from = s.logLineCount();
  const started = Date.now();
  // The signal itself: the `reload` action reads the file first and refuses a broken one.
  process.kill(s.daemonPid!, 'SIGHUP');
  await s.waitForLog(outcome, from);
  return { ms: Date.now() - started, lines: s.messages(from) };
}

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

test('a 48 KB real= line: the reload is decided at once, rejected or accepted clearly', async () => {
  s.config(config());
  s.start();
  await eventually(() => s.table().includes('-r 127.0.18.11:8080 -m -w 1'), 'the first real');

  // The line that stalled the daemon: real= and 48 KB of digits. The original rejects it too.
  s.config(config(`\treal=${'1'.repeat(48 * 1024)}`));
  const checksBefore = monitorLines();
  const rejected = await reload(/^Reload failed with 1 error\(s\)/);
  assert.ok(rejected.ms < DECIDED_WITHIN_MS, `rejected after ${rejected.ms} ms`);
  const error = rejected.lines.find((l) => l.includes('invalid address for real server'));
  assert.ok(error, rejected.lines.join('\n'));
  assert.match(error, /reading file .*ldirectord\.cf at line 5: /);
  assert.ok(error.length < 500, `the error quotes ${error.length} characters`);
  assert.ok(s.table().includes('-r 127.0.18.11:8080 -m -w 1'), 'the old config runs on');
  await eventually(() => monitorLines() >= checksBefore + 2, 'checks going on after the reload');

  // A valid line of the same length (a long request string): taken in.
  s.config(config(`\treal=127.0.18.12:8080 masq 3 "${'r'.repeat(48 * 1024)}", "ok"`));
  const accepted = await reload(/^Added real server: 127\.0\.18\.12:8080/);
  assert.ok(accepted.ms < DECIDED_WITHIN_MS, `accepted after ${accepted.ms} ms`);
  assert.ok(s.table().includes('-r 127.0.18.12:8080 -m -w 3'), s.table());
  for (const line of accepted.lines) assert.ok(line.length < 2000, line.slice(0, 200));

  const stop = s.action('stop');
  assert.equal(stop.code, 0, stop.stderr);
});
