// checktype=ping through the system ping. Up on loopback (IPv4 and IPv6); down cases run in a
// network namespace this test creates, where 10.255.0.0/24 is routed into lo and silently
// dropped (nothing answers, nothing leaves the machine), or has no route at all.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { test } from 'node:test';
import { pathToFileURL } from 'node:url';
import { checkPing } from '../../src/checkers/ping.ts';
import { MARGIN_MS, runCheck, target } from '../support/checkers.ts';

const noPing =
  spawnSync('ping', ['-V']).status === 0 ? undefined : 'ping (iputils-ping) is not installed';
const noNamespace =
  noPing ??
  (spawnSync('unshare', ['-n', 'true']).status === 0
    ? undefined
    : 'cannot create a network namespace (needs root)');

/** Runs checkPing inside a fresh network namespace and returns its result and duration. */
function pingInNamespace(overrides: Parameters<typeof target>[0]): {
  up: boolean;
  reason: string;
  ms: number;
} {
  const module = pathToFileURL(
    new URL('../../src/checkers/ping.ts', import.meta.url).pathname,
  ).href;
  const code = `
    import { checkPing } from ${JSON.stringify(module)};
    const t = ${JSON.stringify(target({ service: 'none', ...overrides }))};
    const started = performance.now();
    const r = await checkPing(t, AbortSignal.timeout(t.timeoutMs));
    console.log(JSON.stringify({ ...r, ms: Math.round(performance.now() - started) }));`;
  const r = spawnSync(
    'unshare',
    [
      '-n',
      'sh',
      '-c',
      'ip link set lo up && ip route add 10.255.0.0/24 dev lo && exec "$@"',
      'sh',
      process.execPath,
      '--input-type=module',
      '-e',
      code,
    ],
    { encoding: 'utf8', timeout: 20_000 },
  );
  assert.equal(r.status, 0, r.stderr);
  return JSON.parse(r.stdout);
}

test('a loopback address answers: up', { skip: noPing }, async () => {
  const r = await runCheck(checkPing, target({ host: '127.0.1.30' }));
  assert.deepEqual([r.up, r.reason], [true, 'echo reply']);
});

test('::1 answers: up', { skip: noPing }, async () => {
  const r = await runCheck(checkPing, target({ family: 6, host: '::1' }));
  assert.deepEqual([r.up, r.reason], [true, 'echo reply']);
});

test('no reply: down after checkcount attempts, within the deadline', { skip: noNamespace }, () => {
  const r = pingInNamespace({ host: '10.255.0.2', checkcount: 2, timeoutMs: 1200 });
  assert.deepEqual([r.up, r.reason], [false, 'no reply (attempt 2/2)']);
  assert.ok(r.ms >= 1000 && r.ms < 1200 + MARGIN_MS, `took ${r.ms} ms`);
});

test("no route: down at once with ping's error", { skip: noNamespace }, () => {
  const r = pingInNamespace({ host: '10.9.9.9', timeoutMs: 1000 });
  assert.equal(r.up, false);
  assert.match(r.reason, /Network is unreachable \(attempt 1\/1\)/);
  assert.ok(r.ms < 500, `took ${r.ms} ms`);
});

test('the deadline aborts a ping in progress', { skip: noNamespace }, () => {
  // The scheduler's deadline (300 ms) comes before the check's own timeout (3 s).
  const module = pathToFileURL(
    new URL('../../src/checkers/ping.ts', import.meta.url).pathname,
  ).href;
  const code = `
    import { checkPing } from ${JSON.stringify(module)};
    const t = ${JSON.stringify(target({ host: '10.255.0.2', timeoutMs: 3000 }))};
    const started = performance.now();
    const r = await checkPing(t, AbortSignal.timeout(300));
    console.log(JSON.stringify({ ...r, ms: Math.round(performance.now() - started) }));`;
  const started = Date.now();
  const r = spawnSync(
    'unshare',
    [
      '-n',
      'sh',
      '-c',
      'ip link set lo up && ip route add 10.255.0.0/24 dev lo && exec "$@"',
      'sh',
      process.execPath,
      '--input-type=module',
      '-e',
      code,
    ],
    { encoding: 'utf8', timeout: 20_000 },
  );
  const result = JSON.parse(r.stdout);
  assert.deepEqual([result.up, result.reason], [false, 'timeout']);
  assert.ok(result.ms < 300 + MARGIN_MS, `took ${result.ms} ms`);
  // The node process exits only when its ping child is gone: well before ping's own 3 s.
  assert.ok(Date.now() - started < 2500, `the process lingered ${Date.now() - started} ms`);
});
