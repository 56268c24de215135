// What logfile= and monitorfile= may name (docs/compatibility.md, "`logfile` or `monitorfile`
// naming a FIFO"): opening a FIFO for writing blocks until someone reads it, so a FIFO hung
// `start`, and a reload that moved the log to one hung every later reload. A log or monitor file
// must be a regular file (or not exist yet) or a character device such as /dev/null; anything else
// is a config error with file and line, and no open may block. A symlink to a regular file works,
// as with the original.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, readFileSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { after, test } from 'node:test';
import { runCheck } from '../../src/cli/check.ts';
import { DaemonScratch, eventually } from '../support/daemon-harness.ts';
import { alive } from '../support/ldts.ts';

const scratches: DaemonScratch[] = [];
function scratch(): DaemonScratch {
  const s = new DaemonScratch('log-files');
  scratches.push(s);
  return s;
}
after(() => {
  for (const s of scratches) {
    s.kill();
    s.cleanup();
  }
});

function mkfifo(path: string): void {
  const r = spawnSync('mkfifo', [path]);
  assert.equal(r.status, 0, String(r.stderr));
}

const config = (logfile: string, extra = '', weight = 1): string => `checkinterval=1
logfile="${logfile}"
virtual=10.1.8.1:80
\treal=127.0.8.2:8080 masq ${weight}
\tchecktype=on
${extra}`;

async function check(cf: string): Promise<{ code: number; out: string }> {
  const out: string[] = [];
  const io = {
    stdout: { write: (t: string) => out.push(t) },
    stderr: { write: (t: string) => out.push(t) },
  };
  const code = await runCheck([cf], io);
  return { code, out: out.join('') };
}

test('a FIFO as logfile: start and check refuse it at once, naming file and line', async () => {
  const s = scratch();
  mkfifo(s.path('fifo'));
  const cf = s.config(config('{{DIR}}/fifo'));
  const started = Date.now();
  const r = s.run([cf, 'start'], { timeoutMs: 20_000 });
  assert.notEqual(r.code, null, `start returned (it hung for ${Date.now() - started} ms)`);
  assert.equal(r.code, 2, r.stderr);
  assert.match(r.stderr, new RegExp(`${s.cfgname}.*line 2.*unable to open logfile`));
  assert.match(r.stderr, /is a FIFO/);
  assert.equal(s.daemonPid, undefined);

  const c = await check(cf);
  assert.equal(c.code, 2, c.out);
  assert.match(c.out, /ldirectord\.cf:2:\d+: error: unable to open logfile: .*fifo/);
  assert.match(c.out, /is a FIFO: only a regular file or a character device/);
});

test('a FIFO as monitorfile: refused the same way', async () => {
  const s = scratch();
  mkfifo(s.path('monitor-fifo'));
  const cf = s.config(config('{{DIR}}/ldirectord.log', '\tmonitorfile="{{DIR}}/monitor-fifo"\n'));
  const r = s.run([cf, 'start'], { timeoutMs: 20_000 });
  assert.equal(r.code, 2, `start exits 2 (got ${r.code}): ${r.stderr}`);
  assert.match(r.stderr, /line 6.*unable to open monitorfile .*monitor-fifo: is a FIFO/);
  const c = await check(cf);
  assert.equal(c.code, 2);
  assert.match(c.out, /ldirectord\.cf:6:\d+: error: unable to open monitorfile/);
});

test('/dev/null and a symlink to a regular file are accepted', async () => {
  const s = scratch();
  writeFileSync(s.path('real.log'), '');
  symlinkSync(s.path('real.log'), s.path('link.log'));
  const cf = s.config(config('{{DIR}}/link.log', '\tmonitorfile="/dev/null"\n'));
  assert.equal((await check(cf)).code, 0);
  const pid = s.start();
  await eventually(
    () => readFileSync(s.path('real.log'), 'utf8').includes('Starting Linux Director'),
    'the log written through the symlink',
  );
  assert.equal(s.action('stop').code, 0);
  await eventually(() => !alive(pid), 'the daemon gone');
});

test('a reload to a FIFO log is refused and logged; later reloads still work', async () => {
  const s = scratch();
  mkfifo(s.path('fifo'));
  s.config(config('{{DIR}}/ldirectord.log'));
  const pid = s.start();
  await eventually(() => s.table().includes('-r 127.0.8.2:8080 -m -w 1'), 'the real added');

  const from = s.logLineCount();
  s.config(config('{{DIR}}/fifo', '', 2));
  process.kill(pid, 'SIGHUP');
  await s.waitForLog(/unable to open logfile: .*fifo.*is a FIFO/, from, 10_000);
  await s.waitForLog(/Reload failed with 1 error\(s\)/, from, 10_000);
  assert.ok(s.table().includes('-r 127.0.8.2:8080 -m -w 1'), 'the old config still runs');

  const again = s.logLineCount();
  s.config(config('{{DIR}}/ldirectord.log', '', 3));
  process.kill(pid, 'SIGHUP');
  await s.waitForLog(/Reloading Linux Director Daemon config on signal/, again, 10_000);
  await eventually(() => s.table().includes('-r 127.0.8.2:8080 -m -w 3'), 'the next reload done');
  assert.equal(s.action('stop').code, 0);
});

test('the log file is created 0640 whatever the umask; an existing one keeps its mode', async () => {
  const s = scratch();
  s.config(config('{{DIR}}/new.log'));
  const old = process.umask(0o000);
  let pid: number;
  try {
    pid = s.start();
  } finally {
    process.umask(old);
  }
  await eventually(() => existsSync(s.path('new.log')), 'the log file');
  assert.equal((statSync(s.path('new.log')).mode & 0o777).toString(8), '640');
  assert.equal(s.action('stop').code, 0);
  await eventually(() => !alive(pid), 'the daemon gone');

  writeFileSync(s.path('kept.log'), '');
  chmodSync(s.path('kept.log'), 0o604);
  s.config(config('{{DIR}}/kept.log'));
  const second = s.start();
  await eventually(
    () => readFileSync(s.path('kept.log'), 'utf8').includes('Starting'),
    'lines in the kept log',
  );
  assert.equal((statSync(s.path('kept.log')).mode & 0o777).toString(8), '604');
  assert.equal(s.action('stop').code, 0);
  await eventually(() => !alive(second), 'the daemon gone');
});
