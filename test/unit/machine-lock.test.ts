// The machine-wide lock the cluster tests take turns with (test/support/machine-lock.ts).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { acquireMachineLock } from '../support/machine-lock.ts';

const name = `ldts-lock-test-${process.pid}`;
const dir = join(tmpdir(), `${name}.lock`);

test('one holder at a time; released, it can be taken again', async () => {
  const release = await acquireMachineLock(name, { timeoutMs: 1000 });
  let waitedFor: number | undefined;
  await assert.rejects(
    acquireMachineLock(name, { timeoutMs: 1500, onWait: (pid) => (waitedFor = pid) }),
    /still held by pid \d+ after 1500 ms/,
  );
  assert.equal(waitedFor, process.pid);
  await release();
  assert.equal(existsSync(dir), false);
  const again = await acquireMachineLock(name, { timeoutMs: 1000 });
  await again();
});

test('a waiter gets the lock when the holder releases it', async () => {
  const release = await acquireMachineLock(name, { timeoutMs: 1000 });
  const waiting = acquireMachineLock(name, { timeoutMs: 10_000 });
  setTimeout(() => void release(), 1200);
  const second = await waiting;
  await second();
});

test('a lock left by a dead process is taken over', async () => {
  const dead = spawnSync('true').pid!;
  mkdirSync(dir);
  writeFileSync(join(dir, 'pid'), String(dead));
  const release = await acquireMachineLock(name, { timeoutMs: 1000 });
  await release();
});
