import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import {
  pidFilePath,
  readPidState,
  removePidFile,
  writePidFile,
} from '../../src/daemon/pidfile.ts';

const dir = mkdtempSync(join(tmpdir(), 'pidfile-test-'));
after(() => rmSync(dir, { recursive: true, force: true }));

test('the pid file is named after the config argument basename', () => {
  assert.equal(pidFilePath('ldirectord'), '/var/run/ldirectord.ldirectord.pid');
  assert.equal(pidFilePath('ldirectord.cf', '/tmp/p'), '/tmp/p/ldirectord.ldirectord.cf.pid');
});

test('no file and an empty file both mean not running', () => {
  assert.deepEqual(readPidState(join(dir, 'missing.pid')), { kind: 'none' });
  const empty = join(dir, 'empty.pid');
  writeFileSync(empty, '');
  assert.deepEqual(readPidState(empty), { kind: 'none' });
});

test('a live process whose command line mentions ldirectord is running; others are stale', async () => {
  const path = join(dir, 'live.pid');
  // argv[0] of this child mentions ldirectord, as the daemon's does.
  const child = spawn('/bin/bash', ['-c', 'exec -a ldirectord-test sleep 30']);
  try {
    await new Promise((r) => setTimeout(r, 100));
    writeFileSync(path, `${child.pid}\n`);
    assert.deepEqual(readPidState(path), { kind: 'running', pid: child.pid });
  } finally {
    child.kill();
  }
  const other = spawn('/bin/sleep', ['30']);
  try {
    writeFileSync(path, `${other.pid}\n`);
    assert.deepEqual(readPidState(path), { kind: 'stale', pid: other.pid });
  } finally {
    other.kill();
  }
  writeFileSync(path, '999999999\n');
  assert.equal(readPidState(path).kind, 'stale');
});

test('the running test reads cmdline from the given proc root', () => {
  const proc = join(dir, 'proc');
  mkdirSync(join(proc, '4242'), { recursive: true });
  writeFileSync(join(proc, '4242', 'cmdline'), 'vi\0/etc/ha.d/ldirectord.cf\0');
  const path = join(dir, 'fake.pid');
  writeFileSync(path, '4242\n');
  // The original's quirk, kept: any process mentioning ldirectord passes.
  assert.deepEqual(readPidState(path, proc), { kind: 'running', pid: 4242 });
});

test('written atomically, removed only by its owner', () => {
  const path = join(dir, 'own.pid');
  writePidFile(path, 1234);
  assert.equal(readFileSync(path, 'utf8'), '1234\n');
  removePidFile(path, 9999);
  assert.ok(existsSync(path), 'another pid does not remove it');
  removePidFile(path, 1234);
  assert.ok(!existsSync(path));
});
