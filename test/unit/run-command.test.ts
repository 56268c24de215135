import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { test } from 'node:test';
import { runCommand } from '../../src/lib/run-command.ts';

test('collects exit status and output without a shell', async () => {
  const r = await runCommand('/bin/sh', ['-c', 'echo out; echo err >&2; exit 3']);
  assert.equal(r.code, 3);
  assert.equal(r.stdout, 'out\n');
  assert.equal(r.stderr, 'err\n');
  assert.equal(r.timedOut, false);
});

test('arguments are passed verbatim, shell metacharacters included', async () => {
  const r = await runCommand('/bin/echo', ['a b', '$HOME', ';', '*']);
  assert.equal(r.stdout, 'a b $HOME ; *\n');
});

test('a child past its deadline is killed with its descendants', async () => {
  const started = Date.now();
  const r = await runCommand('/bin/sh', ['-c', 'sleep 30 & sleep 30; echo never'], {
    timeoutMs: 200,
    killGraceMs: 200,
  });
  assert.equal(r.timedOut, true);
  assert.equal(r.code, null);
  assert.equal(r.signal, 'SIGTERM');
  assert.ok(Date.now() - started < 5000, 'returned promptly');
});

test('a child ignoring SIGTERM is killed with SIGKILL after the grace time', async () => {
  const r = await runCommand('/bin/sh', ['-c', 'trap "" TERM; sleep 30'], {
    timeoutMs: 100,
    killGraceMs: 200,
  });
  assert.equal(r.timedOut, true);
  assert.equal(r.signal, 'SIGKILL');
});

test('an abort signal kills the child', async () => {
  const controller = new AbortController();
  setTimeout(() => controller.abort(), 100);
  const r = await runCommand('/bin/sleep', ['30'], { signal: controller.signal });
  assert.equal(r.aborted, true);
  assert.notEqual(r.signal, null);
});

test('a missing program reports a spawn error, not an exit status', async () => {
  const r = await runCommand('/nonexistent/program', []);
  assert.equal(r.code, null);
  assert.equal(r.spawnError?.code, 'ENOENT');
});

test('stdin input reaches the child', async () => {
  const r = await runCommand('/bin/cat', [], { input: '-a -t 10.0.0.1:80 -s wrr\n' });
  assert.equal(r.stdout, '-a -t 10.0.0.1:80 -s wrr\n');
});

/** Processes whose command line is exactly these words (the marker: an unusual sleep time). */
function processesRunning(...words: string[]): number[] {
  const wanted = `${words.join('\0')}\0`;
  return readdirSync('/proc')
    .filter((name) => /^\d+$/.test(name))
    .filter((name) => {
      try {
        return readFileSync(`/proc/${name}/cmdline`, 'utf8') === wanted;
      } catch {
        return false;
      }
    })
    .map(Number);
}

test(
  'a child that leaves a process running is judged at its exit; kill takes the leftover',
  { timeout: 10_000 },
  async () => {
    const started = Date.now();
    const r = await runCommand('/bin/sh', ['-c', 'sleep 120.4711 & echo started; exit 0'], {
      leftovers: 'kill',
    });
    assert.equal(r.code, 0);
    assert.equal(r.stdout, 'started\n', 'what it wrote before its exit is read');
    assert.ok(Date.now() - started < 5000, `returned after ${Date.now() - started} ms`);
    // SIGKILL is delivered at once, but the process may take a moment to be gone.
    for (let i = 0; i < 100 && processesRunning('sleep', '120.4711').length > 0; i++)
      await new Promise((resolve) => setTimeout(resolve, 20));
    assert.deepEqual(processesRunning('sleep', '120.4711'), [], 'the leftover was killed');
  },
);

test(
  'leftovers: keep (the default) returns at the exit and leaves the process running',
  { timeout: 10_000 },
  async () => {
    const r = await runCommand('/bin/sh', ['-c', 'sleep 120.4712 & exit 3']);
    assert.equal(r.code, 3);
    const left = processesRunning('sleep', '120.4712');
    try {
      assert.equal(left.length, 1, 'the leftover runs on, as after the original system()');
    } finally {
      for (const pid of left) process.kill(pid, 'SIGKILL');
    }
  },
);
