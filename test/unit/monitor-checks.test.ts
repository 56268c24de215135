// The check engine under fake time: state machine, checktypes, dedup, intervals, the
// concurrency cap, spread of start times and hard deadlines.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { CheckResult } from '../../src/checkers/types.ts';
import { makeConfig, makeReal, makeVirtual, tableWith } from '../support/monitor-fixtures.ts';
import { harness } from '../support/monitor-harness.ts';

const VID = 'tcp:10.1.1.1:80';

test('failurecount: soft failures, down at the count, back on one success', async () => {
  const v = makeVirtual({ failurecount: 3, reals: [makeReal('127.0.4.2', 8080)] });
  const h = harness(makeConfig([v]), {
    table: tableWith([{ virtual: v, reals: [{ address: '127.0.4.2', port: 8080, weight: 1 }] }]),
  });
  h.checkers.set('127.0.4.2', false);
  await h.start();
  assert.equal(h.real(VID, '127.0.4.2').up, true, 'present in the kernel: up until 3 failures');
  await h.clock.advance(20_000);
  assert.deepEqual(
    h.logger.messages('info').filter((m) => m.startsWith('Soft')),
    [
      'Soft failure real server: 127.0.4.2:8080 (tcp:10.1.1.1:80) failure 1/3',
      'Soft failure real server: 127.0.4.2:8080 (tcp:10.1.1.1:80) failure 2/3',
    ],
  );
  assert.equal(h.real(VID, '127.0.4.2').up, false);
  assert.deepEqual(h.destinations(), []);
  assert.ok(
    h.logger.messages('info').includes('Deleted real server: 127.0.4.2:8080 (10.1.1.1:80)'),
  );
  h.checkers.set('127.0.4.2', true);
  await h.clock.advance(10_000);
  assert.equal(h.real(VID, '127.0.4.2').up, true);
  assert.ok(
    h.logger
      .messages('info')
      .includes('Resetting soft failure count: 127.0.4.2:8080 (tcp:10.1.1.1:80)'),
  );
  assert.deepEqual(h.destinations(), ['tcp:10.1.1.1:80 127.0.4.2:8080 w1']);
  await h.monitor.stop();
});

test('checktype=N: one negotiate, then N connects; a failed connect forces a negotiate', async () => {
  const v = makeVirtual({
    checktype: 'combined',
    combinedCount: 2,
    reals: [makeReal('127.0.4.2', 80)],
  });
  const h = harness(makeConfig([v]));
  h.checkers.set('127.0.4.2', true);
  await h.start();
  await h.until(() => h.checkers.calls.length >= 5);
  assert.deepEqual(h.checkers.kinds('127.0.4.2').slice(0, 5), [
    'negotiate:http',
    'connect',
    'connect',
    'negotiate:http',
    'connect',
  ]);
  h.checkers.answers.set('127.0.4.2', async (t) =>
    t.timeoutMs === 5000 ? { up: false, reason: 'refused' } : { up: true, reason: '200 OK' },
  );
  await h.until(() => h.checkers.calls.length >= 7);
  assert.deepEqual(h.checkers.kinds('127.0.4.2').slice(5, 7), ['connect', 'negotiate:http']);
  assert.equal(h.real(VID, '127.0.4.2').up, true, 'the negotiate after the failed connect passed');
  await h.monitor.stop();
});

test('checktype=on is up without a check; off is never checked and never added', async () => {
  const on = makeVirtual({ checktype: 'on', reals: [makeReal('127.0.4.2', 80)] });
  const off = makeVirtual({
    address: '10.1.1.2',
    checktype: 'off',
    reals: [makeReal('127.0.4.3', 80)],
  });
  const h = harness(makeConfig([on, off], { maintenancedir: '/var/lib/ldirectord' }), {
    table: tableWith([{ virtual: off, reals: [{ address: '127.0.4.3', port: 80, weight: 1 }] }]),
  });
  await h.start();
  await h.clock.advance(30_000);
  assert.deepEqual(h.checkers.calls, [], 'no checker ran');
  assert.equal(h.real(VID, '127.0.4.2').up, true);
  assert.equal(h.real('tcp:10.1.1.2:80', '127.0.4.3').up, false);
  assert.deepEqual(h.planner.calls[0]!.reals, [
    'tcp:10.1.1.1:80 127.0.4.2:80=up',
    'tcp:10.1.1.2:80 127.0.4.3:80=down',
  ]);
  assert.deepEqual(h.destinations(), ['tcp:10.1.1.1:80 127.0.4.2:80 w1']);
  // A maintenance file still takes an `on` real down, and its removal brings it back.
  h.maintenanceFiles.add('127.0.4.2');
  await h.clock.advance(10_000);
  assert.equal(h.real(VID, '127.0.4.2').up, false);
  h.maintenanceFiles.clear();
  await h.clock.advance(10_000);
  assert.equal(h.real(VID, '127.0.4.2').up, true);
  await h.monitor.stop();
});

test('a UDP connect check is a ping; a service without a negotiate check fails', async () => {
  const udp = makeVirtual({
    protocol: 'udp',
    port: 53,
    checktype: 'connect',
    reals: [makeReal('127.0.4.2', 53)],
  });
  const sip = makeVirtual({ port: 5060, service: 'sip', reals: [makeReal('127.0.4.3', 5060)] });
  const h = harness(makeConfig([udp, sip]));
  h.checkers.missing.add('sip');
  h.checkers.set('127.0.4.2', true);
  await h.start();
  assert.deepEqual(h.checkers.kinds('127.0.4.2'), ['ping']);
  const sipReal = h.real('tcp:10.1.1.1:5060', '127.0.4.3');
  assert.equal(sipReal.up, false);
  assert.equal(sipReal.lastCheck?.reason, 'no negotiate check for service sip');
  await h.monitor.stop();
});

test('a real shared by virtuals is checked once per interval; failurecount counts per virtual', async () => {
  const shared = () => makeReal('127.0.4.2', 8080);
  const a = makeVirtual({ address: '10.1.1.1', failurecount: 2, reals: [shared()] });
  const b = makeVirtual({ address: '10.1.1.2', failurecount: 2, reals: [shared()] });
  const c = makeVirtual({ address: '10.1.1.3', failurecount: 1, reals: [shared()] });
  const up = (v: typeof a) => ({
    virtual: v,
    reals: [{ address: '127.0.4.2', port: 8080, weight: 1 }],
  });
  const h = harness(makeConfig([a, b, c]), { table: tableWith([up(a), up(b), up(c)]) });
  h.checkers.set('127.0.4.2', true);
  await h.start();
  await h.clock.advance(30_000);
  assert.equal(h.checkers.calls.length, 4, 'one check per interval for three virtuals');
  h.checkers.set('127.0.4.2', false);
  await h.clock.advance(10_000);
  // The original's shared failcount would have reached 2/2 here
  // (docs/ldirectord-behavior.md §6 item 28).
  assert.equal(h.real('tcp:10.1.1.1:80', '127.0.4.2').up, true);
  assert.equal(h.real('tcp:10.1.1.2:80', '127.0.4.2').up, true);
  assert.equal(h.real('tcp:10.1.1.3:80', '127.0.4.2').up, false);
  assert.deepEqual(
    h.logger.messages('info').filter((m) => m.startsWith('Soft')),
    [
      'Soft failure real server: 127.0.4.2:8080 (tcp:10.1.1.1:80) failure 1/2',
      'Soft failure real server: 127.0.4.2:8080 (tcp:10.1.1.2:80) failure 1/2',
    ],
  );
  await h.clock.advance(10_000);
  assert.equal(h.checkers.calls.length, 6);
  for (const vid of ['tcp:10.1.1.1:80', 'tcp:10.1.1.2:80', 'tcp:10.1.1.3:80'])
    assert.equal(h.real(vid, '127.0.4.2').up, false, vid);
  await h.monitor.stop();
});

test('different check settings for the same real are separate checks', async () => {
  const a = makeVirtual({ reals: [makeReal('127.0.4.2', 80)] });
  const b = makeVirtual({ address: '10.1.1.2', receive: 'OK', reals: [makeReal('127.0.4.2', 80)] });
  const h = harness(makeConfig([a, b]));
  h.checkers.answers.set('127.0.4.2', async (t) => ({ up: t.receive === '', reason: t.receive }));
  await h.start();
  assert.equal(h.checkers.calls.length, 2);
  assert.equal(h.real('tcp:10.1.1.1:80', '127.0.4.2').up, true);
  assert.equal(h.real('tcp:10.1.1.2:80', '127.0.4.2').up, false);
  await h.monitor.stop();
});

test('each virtual is checked at its own checkinterval', async () => {
  const fast = makeVirtual({ checkinterval: 2, reals: [makeReal('127.0.4.2', 80)] });
  const slow = makeVirtual({
    address: '10.1.1.2',
    checkinterval: 5,
    reals: [makeReal('127.0.4.3', 80)],
  });
  const h = harness(makeConfig([fast, slow]));
  h.checkers.set('127.0.4.2', true);
  h.checkers.set('127.0.4.3', true);
  await h.start();
  const t0 = h.clock.now();
  await h.clock.advance(60_000);
  const gaps = (host: string) => {
    const at = h.checkers.calls.filter((c) => c.host === host).map((c) => c.at - t0);
    return at.slice(2).map((t, i) => t - at[i + 1]!);
  };
  assert.ok(gaps('127.0.4.2').length >= 28);
  assert.ok(
    gaps('127.0.4.2').every((g) => g === 2000),
    String(gaps('127.0.4.2')),
  );
  assert.ok(gaps('127.0.4.3').length >= 10);
  assert.ok(
    gaps('127.0.4.3').every((g) => g === 5000),
    String(gaps('127.0.4.3')),
  );
  await h.monitor.stop();
});

test('the concurrency cap bounds checks in flight; the rest wait for a slot', async () => {
  const reals = Array.from({ length: 10 }, (_, i) => makeReal(`127.0.4.${10 + i}`, 80));
  const h = harness(makeConfig([makeVirtual({ reals })]), { monitor: { concurrency: 3 } });
  let inFlight = 0;
  let most = 0;
  for (const r of reals)
    h.checkers.answers.set(
      r.address,
      () =>
        new Promise<CheckResult>((resolve) => {
          most = Math.max(most, ++inFlight);
          h.clock.setTimeout(() => {
            inFlight--;
            resolve({ up: true, reason: 'ok' });
          }, 1000);
        }),
    );
  await h.start(4000);
  assert.equal(most, 3);
  const starts = h.checkers.calls.map((c) => c.at - h.checkers.calls[0]!.at);
  assert.deepEqual(starts, [0, 0, 0, 1000, 1000, 1000, 2000, 2000, 2000, 3000]);
  assert.equal(h.monitor.status().virtuals[0]!.reals.filter((r) => r.up).length, 10);
  await h.monitor.stop();
});

test('start times spread across the interval', async () => {
  const reals = Array.from({ length: 500 }, (_, i) =>
    makeReal(`127.0.${4 + (i >> 8)}.${i & 255}`, 80),
  );
  const h = harness(makeConfig([makeVirtual({ reals })]));
  for (const r of reals) h.checkers.set(r.address, true);
  await h.start();
  const t0 = h.clock.now();
  assert.equal(h.checkers.calls.length, 500, 'every real checked at once at start-up');
  await h.clock.advance(20_000);
  const periodic = h.checkers.calls.slice(500).map((c) => c.at - t0);
  const window = periodic.filter((t) => t >= 10_000 && t < 20_000);
  assert.equal(window.length, 500, 'each real once per interval');
  const perSecond = new Array(10).fill(0);
  for (const t of window) perSecond[Math.floor((t - 10_000) / 1000)]++;
  for (const n of perSecond) assert.ok(n > 20 && n < 90, `checks per second: ${perSecond}`);
  assert.ok(new Set(window).size > 400, 'hardly two checks in the same millisecond');
  await h.monitor.stop();
});

test('a hung checker is cut at its deadline as "timeout" and delays no other check', async () => {
  const v = makeVirtual({
    checktype: 'connect',
    checktimeout: 3,
    checkinterval: 2,
    reals: [makeReal('127.0.4.2', 80), makeReal('127.0.4.3', 80)],
  });
  const h = harness(makeConfig([v]), {
    table: tableWith([{ virtual: v, reals: [{ address: '127.0.4.2', port: 80, weight: 1 }] }]),
  });
  h.checkers.answers.set('127.0.4.2', () => new Promise<CheckResult>(() => {}));
  h.checkers.set('127.0.4.3', true);
  const t0 = h.clock.now();
  await h.start(3000);
  const hung = h.real(VID, '127.0.4.2');
  assert.equal(hung.up, false);
  assert.equal(hung.lastCheck?.reason, 'timeout');
  assert.equal(hung.lastCheck?.timedOut, true);
  assert.equal(hung.lastCheck?.durationMs, 3000);
  assert.equal(Date.parse(hung.lastCheck!.at) - t0, 3000, 'cut exactly at checktimeout');
  assert.deepEqual(h.checkers.aborted, ['connect 127.0.4.2'], 'its signal was aborted');
  // Meanwhile the other real was checked at once and then every 2 s, undisturbed.
  await h.clock.advance(7000);
  const healthy = h.checkers.calls.filter((c) => c.host === '127.0.4.3').map((c) => c.at - t0);
  assert.equal(healthy[0], 0);
  assert.ok(healthy.length >= 5, String(healthy));
  for (let i = 2; i < healthy.length; i++) assert.equal(healthy[i]! - healthy[i - 1]!, 2000);
  // The hung real is not checked again while its check runs, and each check is cut at 3 s.
  const hungStarts = h.checkers.calls.filter((c) => c.host === '127.0.4.2').map((c) => c.at - t0);
  for (let i = 1; i < hungStarts.length; i++)
    assert.ok(hungStarts[i]! - hungStarts[i - 1]! >= 3000);
  await h.monitor.stop();
});

test('a checker that throws, or answers late or with garbage, never corrupts state', async () => {
  const v = makeVirtual({
    negotiatetimeout: 2,
    passwd: 's3cret',
    reals: [makeReal('127.0.4.2', 80), makeReal('127.0.4.3', 80), makeReal('127.0.4.4', 80)],
  });
  const h = harness(makeConfig([v]));
  h.checkers.answers.set('127.0.4.2', async () => {
    throw new Error('boom with s3cret');
  });
  h.checkers.answers.set(
    '127.0.4.3',
    () =>
      new Promise<CheckResult>((resolve) =>
        h.clock.setTimeout(() => resolve({ up: true, reason: 'late' }), 5000),
      ),
  );
  h.checkers.answers.set('127.0.4.4', async () => 'yes' as unknown as CheckResult);
  await h.start(2000);
  assert.equal(h.real(VID, '127.0.4.2').lastCheck?.reason, 'error: boom with ********');
  assert.equal(h.real(VID, '127.0.4.3').lastCheck?.reason, 'timeout');
  assert.equal(h.real(VID, '127.0.4.4').lastCheck?.reason, 'the checker returned no result');
  await h.clock.advance(4000);
  // The late "up" arrived after the deadline and was ignored.
  assert.equal(h.real(VID, '127.0.4.3').up, false);
  assert.equal(h.real(VID, '127.0.4.3').lastCheck?.reason, 'timeout');
  assert.ok(!JSON.stringify(h.monitor.status()).includes('s3cret'));
  assert.ok(!JSON.stringify(h.logger.lines).includes('s3cret'));
  await h.monitor.stop();
});

test('status: every virtual and real with state, weight, last check and counts', async () => {
  const v = makeVirtual({
    failurecount: 2,
    fallback: { address: '127.0.0.1', port: 80, forward: 'masq', line: 3 },
    reals: [makeReal('127.0.4.2', 80, { weight: 5 })],
  });
  const h = harness(makeConfig([v]));
  h.checkers.set('127.0.4.2', { up: false, reason: '503 Service Unavailable' });
  await h.start();
  const s = h.monitor.status();
  assert.equal(s.phase, 'running');
  assert.deepEqual(s.checks, { jobs: 1, running: 0, queued: 0, concurrency: 1000 });
  assert.deepEqual(s.pending, { reals: 0, reconcile: false });
  const vs = s.virtuals[0]!;
  assert.equal(vs.id, VID);
  assert.equal(vs.fallback, '127.0.0.1:80');
  assert.equal(vs.fallbackActive, true);
  const r = vs.reals[0]!;
  assert.equal(r.weight, 5);
  assert.equal(r.up, false);
  assert.equal(r.failurecount, 2);
  assert.equal(r.lastCheck?.reason, '503 Service Unavailable');
  assert.equal(r.lastCheck?.kind, 'negotiate');
  assert.equal(r.lastCheck?.at, new Date(h.clock.now()).toISOString());
  await h.monitor.stop();
  assert.equal(h.monitor.status().phase, 'stopped');
});
