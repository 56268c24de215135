import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, renameSync, rmSync, unlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { after, test } from 'node:test';
import { ctime } from '../../src/log/ctime.ts';
import { DaemonLogger, logTargetFor } from '../../src/log/daemon-logger.ts';
import { MASK, SecretScrubber } from '../../src/lib/secrets.ts';
import { FileSink } from '../../src/log/sinks.ts';

process.env.TZ = 'UTC';
const dir = mkdtempSync(join(tmpdir(), 'log-test-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const fixed = new Date(Date.UTC(2026, 10, 2, 2, 18, 36));

function capture(): { stream: PassThrough; text: () => string } {
  const stream = new PassThrough();
  let text = '';
  stream.on('data', (b: Buffer) => {
    text += b.toString();
  });
  return { stream, text: () => text };
}

test("ctime is Perl's scalar localtime, day of month padded with a space", () => {
  assert.equal(ctime(fixed), 'Mon Nov  2 02:18:36 2026');
  assert.equal(ctime(new Date(Date.UTC(2026, 10, 22, 23, 5, 9))), 'Sun Nov 22 23:05:09 2026');
});

test('the destination follows the original: -d, then supervised, then logfile', () => {
  assert.deepEqual(logTargetFor({ debug: true, supervised: true, logfile: '/x' }), {
    kind: 'debug',
  });
  assert.deepEqual(logTargetFor({ debug: false, supervised: true, logfile: '/x' }), {
    kind: 'supervised',
  });
  assert.deepEqual(logTargetFor({ debug: false, supervised: false, logfile: '/var/log/x.log' }), {
    kind: 'file',
    path: '/var/log/x.log',
  });
  assert.deepEqual(logTargetFor({ debug: false, supervised: false, logfile: 'local0' }), {
    kind: 'syslog',
    facility: 'local0',
  });
});

test("a log file gets the original's `[ctime|CFGNAME|pid] message` lines", async () => {
  const path = join(dir, 'a', 'ldirectord.log');
  const log = new DaemonLogger({
    target: { kind: 'file', path },
    cfgname: 'ldirectord.cf',
    now: () => fixed,
    pid: 4242,
  });
  log.info('Added real server: 127.0.0.2:80 (10.0.0.1:80) (Weight set to 1)', { real: 'x' });
  log.warn('trailing newline is chomped\n');
  log.debug('not shown without -d');
  await log.close();
  assert.equal(
    readFileSync(path, 'utf8'),
    '[Mon Nov  2 02:18:36 2026|ldirectord.cf|4242] Added real server: 127.0.0.2:80 (10.0.0.1:80) (Weight set to 1)\n' +
      '[Mon Nov  2 02:18:36 2026|ldirectord.cf|4242] trailing newline is chomped\n',
  );
});

test('-d writes bare messages and DEBUG<n> lines to stderr; supervised writes [ctime] to stdout', () => {
  const err = capture();
  const debug = new DaemonLogger({
    target: { kind: 'debug' },
    cfgname: 'x',
    debugLevel: 3,
    stderr: err.stream,
  });
  debug.info('Starting Linux Director v1.186-ha with pid: 1');
  debug.debug('Checking negotiate: real server=...', { level: 2 });
  debug.debug('level four is never shown', { level: 4 });
  assert.equal(
    err.text(),
    'Starting Linux Director v1.186-ha with pid: 1\nDEBUG2: Checking negotiate: real server=...\n',
  );

  const out = capture();
  const supervised = new DaemonLogger({
    target: { kind: 'supervised' },
    cfgname: 'x',
    stdout: out.stream,
    now: () => fixed,
  });
  supervised.info('Reloading Linux Director Daemon config on signal');
  assert.equal(
    out.text(),
    '[Mon Nov  2 02:18:36 2026] Reloading Linux Director Daemon config on signal\n',
  );
});

test('json output carries the message, level and structured fields', () => {
  const out = capture();
  const log = new DaemonLogger({
    target: { kind: 'supervised' },
    cfgname: 'ldirectord.cf',
    json: true,
    stdout: out.stream,
    pid: 7,
  });
  log.warn('Soft failure real server: 127.0.0.2:80 (tcp:10.0.0.1:80) failure 1/3', {
    virtual: 'tcp:10.0.0.1:80',
    failures: 1,
  });
  const record = JSON.parse(out.text());
  assert.equal(record.msg, 'Soft failure real server: 127.0.0.2:80 (tcp:10.0.0.1:80) failure 1/3');
  assert.equal(record.level, 40);
  assert.equal(record.virtual, 'tcp:10.0.0.1:80');
  assert.equal(record.failures, 1);
  assert.equal(record.pid, 7);
  assert.equal(record.config, 'ldirectord.cf');
});

test('secrets never reach any destination, in text or json', () => {
  const scrubber = new SecretScrubber();
  scrubber.setSecrets(['s3cr3t', 'hunter2hunter2', 'x']);
  for (const json of [false, true]) {
    const out = capture();
    const log = new DaemonLogger({
      target: { kind: 'supervised' },
      cfgname: 'c',
      json,
      stdout: out.stream,
      scrubber,
    });
    log.error('Unknown command "passwd=s3cr3t" near hunter2hunter2', {
      detail: 'login failed for s3cr3t',
    });
    assert.doesNotMatch(out.text(), /s3cr3t|hunter2/);
    assert.match(out.text(), new RegExp(MASK.replace(/\*/g, '\\*')));
  }
  // One-character values are not masked (they would mask ordinary text).
  assert.equal(scrubber.scrub('x marks'), 'x marks');
});

test('a secret with a quote or a backslash is masked in json lines too', () => {
  const scrubber = new SecretScrubber();
  scrubber.setSecrets(['pa"ss\\word']);
  const out = capture();
  const log = new DaemonLogger({
    target: { kind: 'supervised' },
    cfgname: 'c',
    json: true,
    stdout: out.stream,
    scrubber,
  });
  log.error('server said: bad password pa"ss\\word', { reply: 'pa"ss\\word' });
  const record = JSON.parse(out.text());
  assert.equal(record.msg, 'server said: bad password ********');
  assert.equal(record.reply, '********');
});

test('the file sink notices logrotate moving or removing the file, and reopens on demand', () => {
  let now = 0;
  const path = join(dir, 'rotate.log');
  const sink = new FileSink(path, { now: () => now });
  sink.write('one');
  renameSync(path, `${path}.1`);
  sink.write('two (still the old file: checked at most once a second)');
  now += 1500;
  sink.write('three');
  assert.equal(
    readFileSync(`${path}.1`, 'utf8'),
    'one\ntwo (still the old file: checked at most once a second)\n',
  );
  assert.equal(readFileSync(path, 'utf8'), 'three\n');
  unlinkSync(path);
  now += 1500;
  sink.write('four');
  assert.equal(readFileSync(path, 'utf8'), 'four\n');
  renameSync(path, `${path}.2`);
  sink.reopen();
  sink.write('five');
  assert.equal(readFileSync(path, 'utf8'), 'five\n');
  void sink.close();
});
