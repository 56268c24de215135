// The extensions of issue 12 in the check engine, under fake time, with the real planner:
// risecount, failinterval and downinterval, slowstart, minhealthy. Each at its default is the
// original (the other monitor tests run with the defaults).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { VirtualService } from '../../src/config/model.ts';
import { planIpvs } from '../../src/ipvs/plan.ts';
import { makeConfig, makeReal, makeVirtual, tableWith } from '../support/monitor-fixtures.ts';
import { harness } from '../support/monitor-harness.ts';

const VID = 'tcp:10.1.1.1:80';
const START = Date.UTC(2026, 0, 5, 12, 0, 0);

/** A harness over the real planner, the reals of `v` in the kernel's table at weight 1. */
function realHarness(v: VirtualService, inTable: string[] = v.reals.map((r) => r.address)) {
  const table = tableWith([
    {
      virtual: v,
      reals: v.reals
        .filter((r) => inTable.includes(r.address))
        .map((r) => ({ address: r.address, port: r.port, weight: r.weight })),
    },
  ]);
  return harness(makeConfig([v]), { table, monitor: { planner: planIpvs } });
}

/** Seconds since the harness's start of the checks of `host`. */
function checkTimes(h: ReturnType<typeof realHarness>, host: string): number[] {
  return h.checkers.calls.filter((c) => c.host === host).map((c) => (c.at - START) / 1000);
}

test('risecount=3: out after a failure, back in only on the third pass in a row', async () => {
  const v = makeVirtual({ risecount: 3, reals: [makeReal('127.0.4.2', 8080)] });
  const h = realHarness(v);
  h.checkers.set('127.0.4.2', false);
  await h.start();
  assert.equal(h.real(VID, '127.0.4.2').up, false);
  assert.deepEqual(h.destinations(), []);
  h.checkers.set('127.0.4.2', true);
  await h.until(() => h.real(VID, '127.0.4.2').rise === 2);
  assert.deepEqual(h.destinations(), [], 'two passes are not enough');
  assert.deepEqual(
    h.logger.messages('info').filter((m) => m.startsWith('Rising')),
    [
      'Rising real server: 127.0.4.2:8080 (tcp:10.1.1.1:80) success 1/3',
      'Rising real server: 127.0.4.2:8080 (tcp:10.1.1.1:80) success 2/3',
    ],
  );
  // A failure now starts the count again.
  h.checkers.set('127.0.4.2', false);
  await h.until(() => h.real(VID, '127.0.4.2').rise === 0);
  assert.ok(
    h.logger
      .messages('info')
      .includes('Resetting rise count: 127.0.4.2:8080 (tcp:10.1.1.1:80) after success 2/3'),
  );
  h.checkers.set('127.0.4.2', true);
  const before = h.checkers.calls.length;
  await h.until(() => h.real(VID, '127.0.4.2').up);
  assert.equal(h.checkers.calls.length - before, 3, 'in on the third pass');
  assert.deepEqual(h.destinations(), ['tcp:10.1.1.1:80 127.0.4.2:8080 w1']);
  assert.ok(
    h.logger
      .messages('info')
      .includes('Added real server: 127.0.4.2:8080 (10.1.1.1:80) (Weight set to 1)'),
  );
  assert.deepEqual(
    { rise: h.real(VID, '127.0.4.2').rise, risecount: h.real(VID, '127.0.4.2').risecount },
    { rise: 0, risecount: 3 },
  );
  await h.monitor.stop();
});

test('risecount: the first check after start decides at once, as the original', async () => {
  const v = makeVirtual({ risecount: 5, reals: [makeReal('127.0.4.2', 8080)] });
  const h = realHarness(v, []);
  h.checkers.set('127.0.4.2', true);
  await h.start();
  assert.equal(h.checkers.calls.length, 1);
  assert.equal(h.real(VID, '127.0.4.2').up, true);
  assert.deepEqual(h.destinations(), ['tcp:10.1.1.1:80 127.0.4.2:8080 w1']);
  await h.monitor.stop();
});

/** The gaps between consecutive times, in seconds (to the millisecond). */
const gapsOf = (times: number[]) =>
  times.slice(1).map((t, i) => Math.round((t - times[i]!) * 1000) / 1000);

test('failinterval and downinterval: checked fast while failing or rising, slowly while out', async () => {
  const v = makeVirtual({
    checkinterval: 10,
    failinterval: 2,
    downinterval: 30,
    failurecount: 3,
    risecount: 2,
    reals: [makeReal('127.0.4.2', 8080)],
  });
  const h = realHarness(v);
  h.checkers.set('127.0.4.2', true);
  await h.start();
  await h.clock.advance(35_000);
  const steady = gapsOf(checkTimes(h, '127.0.4.2')).slice(1);
  assert.ok(steady.length >= 2);
  assert.ok(
    steady.every((gap) => gap === 10),
    `steady: every checkinterval ${steady}`,
  );

  // Failing: after the first failure the checks come every failinterval (the first one at the
  // next slot of the faster interval, at least half of it later), then every downinterval.
  h.checkers.set('127.0.4.2', false);
  const from = h.checkers.calls.length;
  await h.until(() => !h.real(VID, '127.0.4.2').up, 60_000, 100);
  await h.clock.advance(95_000);
  const failing = gapsOf(checkTimes(h, '127.0.4.2').slice(from));
  assert.ok(failing[0]! >= 1 && failing[0]! < 3, `to the second failure: ${failing}`);
  assert.equal(failing[1], 2, `to the third: ${failing}`);
  assert.ok(failing[2]! >= 15 && failing[2]! < 45, `out, the first check: ${failing}`);
  assert.ok(failing.length >= 5, `${failing}`);
  assert.ok(
    failing.slice(3).every((gap) => gap === 30),
    `out: every downinterval ${failing}`,
  );

  // Passing again: the first pass starts the rise, the second comes at the faster pace and
  // brings it in; then it is steady again.
  h.checkers.set('127.0.4.2', true);
  const back = h.checkers.calls.length;
  await h.until(() => h.real(VID, '127.0.4.2').up, 60_000, 100);
  await h.clock.advance(35_000);
  const rising = gapsOf(checkTimes(h, '127.0.4.2').slice(back));
  assert.ok(rising[0]! >= 1 && rising[0]! < 3, `the second pass: ${rising}`);
  assert.ok(rising[1]! >= 5 && rising[1]! < 15, `the first steady check: ${rising}`);
  assert.ok(
    rising.slice(2).every((gap) => gap === 10),
    `steady again: ${rising}`,
  );
  await h.monitor.stop();
});

test('failinterval: a check shared by virtuals runs at the pace of the real that needs it most', async () => {
  const shared = () => makeReal('127.0.4.2', 8080);
  const paced = { checkinterval: 10, failinterval: 2, downinterval: 10 };
  const a = makeVirtual({ ...paced, failurecount: 3, reals: [shared()] });
  const b = makeVirtual({ ...paced, address: '10.1.1.2', failurecount: 1, reals: [shared()] });
  const table = tableWith(
    [a, b].map((virtual) => ({
      virtual,
      reals: [{ address: '127.0.4.2', port: 8080, weight: 1 }],
    })),
  );
  const h = harness(makeConfig([a, b]), { table, monitor: { planner: planIpvs } });
  h.checkers.set('127.0.4.2', true);
  await h.start();
  await h.clock.advance(20_000);
  h.checkers.set('127.0.4.2', false);
  const from = h.checkers.calls.length;
  await h.until(() => !h.real(VID, '127.0.4.2').up, 30_000, 100);
  // b is out after the first failure; a, failing (1/3, 2/3), wants a check every 2 s: one
  // check serves both, at a's pace.
  const failing = gapsOf(checkTimes(h, '127.0.4.2').slice(from));
  assert.equal(failing.length, 2, `three checks: ${failing}`);
  assert.ok(failing[0]! < 3 && failing[1] === 2, `${failing}`);
  assert.equal(h.real('tcp:10.1.1.2:80', '127.0.4.2').up, false);
  await h.monitor.stop();
});

test('slowstart=60: a real that comes back goes in at 2 of 10, then 4, 6, 8, and 10 at 60 s', async () => {
  const v = makeVirtual({
    checkinterval: 5,
    slowstart: 60,
    reals: [
      makeReal('127.0.4.2', 8080, { weight: 10 }),
      makeReal('127.0.4.3', 8080, { weight: 10 }),
    ],
  });
  const h = realHarness(v, []);
  h.checkers.set('127.0.4.2', true);
  h.checkers.set('127.0.4.3', false);
  await h.start();
  // At start the first check finds it up: full weight at once, no ramp.
  assert.ok(
    h.destinations().includes('tcp:10.1.1.1:80 127.0.4.2:8080 w10'),
    h.destinations().join(),
  );
  assert.equal(h.real(VID, '127.0.4.2').slowStartWeight, undefined);

  h.checkers.set('127.0.4.3', true);
  await h.until(() => h.real(VID, '127.0.4.3').up, 20_000, 100);
  const cameBack = h.clock.now();
  const weights: Array<[number, number]> = [];
  const weightOf = () =>
    Number(/ w(\d+)$/.exec(h.destinations().find((d) => d.includes('127.0.4.3')) ?? ' w-1')![1]);
  for (let t = 0; t <= 70_000; t += 500) {
    await h.clock.advance(t === 0 ? 200 : 500);
    const w = weightOf();
    if (weights.at(-1)?.[1] !== w) weights.push([Math.round((h.clock.now() - cameBack) / 1000), w]);
  }
  assert.deepEqual(weights, [
    [0, 2],
    [15, 4],
    [30, 6],
    [45, 8],
    [60, 10],
  ]);
  assert.deepEqual(
    h.logger.messages('info').filter((m) => m.includes('127.0.4.3') && /Weight/.test(m)),
    [
      'Added real server: 127.0.4.3:8080 (10.1.1.1:80) (Weight set to 2)',
      'Slow start real server: 127.0.4.3:8080 (10.1.1.1:80) (Weight set to 4 of 10)',
      'Slow start real server: 127.0.4.3:8080 (10.1.1.1:80) (Weight set to 6 of 10)',
      'Slow start real server: 127.0.4.3:8080 (10.1.1.1:80) (Weight set to 8 of 10)',
      'Restored real server: 127.0.4.3:8080 (10.1.1.1:80) (Weight set to 10)',
    ],
  );
  assert.equal(h.real(VID, '127.0.4.3').slowStartWeight, undefined, 'the ramp is over');
  assert.equal(h.clock.pendingTimers > 0, true);
  await h.monitor.stop();
});

test('slowstart: a real that fails during its ramp leaves, and starts over when it comes back', async () => {
  const v = makeVirtual({
    checkinterval: 5,
    slowstart: 40,
    quiescent: true,
    reals: [makeReal('127.0.4.2', 8080, { weight: 5 })],
  });
  const h = realHarness(v);
  h.checkers.set('127.0.4.2', false);
  await h.start();
  h.checkers.set('127.0.4.2', true);
  await h.until(() => h.real(VID, '127.0.4.2').up, 20_000, 100);
  await h.clock.advance(12_000);
  assert.equal(h.real(VID, '127.0.4.2').slowStartWeight, 2, 'the second step of 5: 2 of 5');
  h.checkers.set('127.0.4.2', false);
  await h.until(() => !h.real(VID, '127.0.4.2').up, 20_000, 100);
  await h.clock.advance(1000);
  assert.deepEqual(h.destinations(), ['tcp:10.1.1.1:80 127.0.4.2:8080 w0']);
  assert.equal(h.real(VID, '127.0.4.2').slowStartWeight, undefined);
  // Its old step timers are gone: the quiesced weight stays 0.
  await h.clock.advance(40_000);
  assert.deepEqual(h.destinations(), ['tcp:10.1.1.1:80 127.0.4.2:8080 w0']);
  h.checkers.set('127.0.4.2', true);
  await h.until(() => h.real(VID, '127.0.4.2').up, 20_000, 100);
  await h.clock.advance(200);
  assert.deepEqual(h.destinations(), ['tcp:10.1.1.1:80 127.0.4.2:8080 w1'], 'from the start again');
  await h.monitor.stop();
});

test('minhealthy=75%: reals that fail below it keep their entries, with one alert each way', async () => {
  const hosts = ['127.0.4.2', '127.0.4.3', '127.0.4.4', '127.0.4.5'];
  const v = makeVirtual({
    minhealthy: { kind: 'percent', value: 75 },
    reals: hosts.map((a) => makeReal(a, 8080)),
  });
  const h = realHarness(v);
  for (const a of hosts) h.checkers.set(a, true);
  await h.start();
  assert.deepEqual(h.monitor.status().virtuals[0]!.minhealthy, { needed: 3, holding: false });
  const inTable = () =>
    h
      .destinations()
      .map((d) => d.split(' ')[1]!.replace(':8080', ''))
      .sort();
  /** Script the reals, wait until the monitor has seen it, and let the plan apply. */
  const become = async (up: boolean, ...changed: string[]) => {
    for (const a of changed) h.checkers.set(a, up);
    await h.until(() => changed.every((a) => h.real(VID, a).up === up), 30_000, 100);
    await h.clock.advance(500);
  };
  // One fails: 3 of 4 up are enough, it leaves as usual.
  await become(false, '127.0.4.5');
  assert.deepEqual(inTable(), ['127.0.4.2', '127.0.4.3', '127.0.4.4']);
  assert.deepEqual(h.logger.messages('warn'), []);
  // Another fails: 2 of 4 would remain. It stays, and the monitor says so.
  await become(false, '127.0.4.4');
  assert.deepEqual(inTable(), ['127.0.4.2', '127.0.4.3', '127.0.4.4']);
  const hold =
    'Too few real servers up: tcp:10.1.1.1:80 has 2 of 4 real servers up, minhealthy needs 3: keeping the real servers in the IPVS table';
  assert.deepEqual(h.logger.messages('warn'), [hold]);
  assert.deepEqual(h.monitor.status().virtuals[0]!.minhealthy, { needed: 3, holding: true });
  // The others fail too (no fallback): still kept, never drained to nothing; said once.
  await become(false, '127.0.4.2', '127.0.4.3');
  assert.deepEqual(inTable(), ['127.0.4.2', '127.0.4.3', '127.0.4.4']);
  assert.deepEqual(h.logger.messages('warn'), [hold]);
  // Two come back: 127.0.4.5 (out before) goes in, 2 of 4 are still too few.
  await become(true, '127.0.4.5', '127.0.4.3');
  assert.deepEqual(inTable(), ['127.0.4.2', '127.0.4.3', '127.0.4.4', '127.0.4.5']);
  // A third: enough. The one still down leaves.
  await become(true, '127.0.4.4');
  assert.deepEqual(inTable(), ['127.0.4.3', '127.0.4.4', '127.0.4.5']);
  assert.ok(
    h.logger
      .messages('info')
      .includes(
        'Enough real servers up again: tcp:10.1.1.1:80 has 3 of 4 real servers up, minhealthy needs 3: real servers that are down leave the IPVS table',
      ),
  );
  assert.deepEqual(
    h.events.filter((e) => e.type === 'minhealthy').map((e) => [e.holding, e.up, e.needed]),
    [
      [true, 2, 3],
      [false, 3, 3],
    ],
  );
  await h.monitor.stop();
});

test('minhealthy: a restart finding too few up keeps the table as it was', async () => {
  const hosts = ['127.0.4.2', '127.0.4.3', '127.0.4.4'];
  const v = makeVirtual({
    minhealthy: { kind: 'count', value: 2 },
    reals: hosts.map((a) => makeReal(a, 8080)),
  });
  const h = realHarness(v);
  h.checkers.set('127.0.4.2', true);
  await h.start();
  assert.equal(h.destinations().length, 3, h.destinations().join());
  assert.equal(h.logger.messages('warn').length, 1);
  await h.monitor.stop();
});

test('slowstart with an agent: the ramp climbs to the weight the agent gives, and an agent that lets a real back in starts one', async () => {
  const v = makeVirtual({
    checkinterval: 5,
    agentport: 5555,
    agentinterval: 1,
    slowstart: 20,
    reals: [makeReal('127.0.4.2', 8080, { weight: 20 })],
  });
  const h = realHarness(v, []);
  h.checkers.set('127.0.4.2', true);
  h.checkers.agentReplies.set('127.0.4.2', '50%');
  await h.start();
  await h.clock.advance(1500);
  assert.deepEqual(h.destinations(), ['tcp:10.1.1.1:80 127.0.4.2:8080 w10'], 'no ramp at start');
  // The agent takes it out, then lets it back in: it ramps to 10 (50% of 20), not to 20.
  h.checkers.agentReplies.set('127.0.4.2', 'down');
  await h.until(() => h.destinations().length === 0, 10_000, 100);
  h.checkers.agentReplies.set('127.0.4.2', 'up');
  await h.until(() => h.destinations().length === 1, 10_000, 100);
  const weights: number[] = [];
  for (let t = 0; t < 50; t++) {
    const w = Number(/ w(\d+)$/.exec(h.destinations()[0] ?? ' w-1')![1]);
    if (weights.at(-1) !== w) weights.push(w);
    await h.clock.advance(500);
  }
  assert.deepEqual(weights, [2, 4, 6, 8, 10]);
  assert.ok(
    h.logger
      .messages('info')
      .includes('Slow start real server: 127.0.4.2:8080 (10.1.1.1:80) (Weight set to 8 of 10)'),
  );
  await h.monitor.stop();
});

test('minhealthy counts the reals in the table: an agent that takes reals out counts as a failure', async () => {
  const hosts = ['127.0.4.2', '127.0.4.3'];
  const v = makeVirtual({
    agentport: 5555,
    agentinterval: 1,
    minhealthy: { kind: 'count', value: 2 },
    reals: hosts.map((a) => makeReal(a, 8080)),
  });
  const h = realHarness(v);
  for (const a of hosts) {
    h.checkers.set(a, true);
    h.checkers.agentReplies.set(a, 'ready');
  }
  await h.start();
  h.checkers.agentReplies.set('127.0.4.3', 'maint');
  await h.until(() => h.logger.messages('warn').length > 0, 10_000, 100);
  assert.match(h.logger.messages('warn')[0]!, /has 1 of 2 real servers up, minhealthy needs 2/);
  assert.equal(h.destinations().length, 2, 'kept while too few are in');
  await h.monitor.stop();
});

test('minhealthy with ctl: a drained real does not count as up, and a drain wins over the hold', async () => {
  const hosts = ['127.0.4.2', '127.0.4.3', '127.0.4.4'];
  const v = makeVirtual({
    minhealthy: { kind: 'count', value: 2 },
    reals: hosts.map((a) => makeReal(a, 8080)),
  });
  const h = realHarness(v);
  for (const a of hosts) h.checkers.set(a, true);
  await h.start();
  await h.monitor.setOverride('10.1.1.1:80', '127.0.4.2:8080', { kind: 'drain' });
  // 2 of 3 take traffic; one more failing leaves 1: kept, with the alert.
  h.checkers.set('127.0.4.3', false);
  await h.until(() => h.logger.messages('warn').length > 0, 30_000, 100);
  assert.match(h.logger.messages('warn')[0]!, /has 1 of 3 real servers up, minhealthy needs 2/);
  await h.clock.advance(500);
  assert.deepEqual(h.destinations().sort(), [
    'tcp:10.1.1.1:80 127.0.4.2:8080 w0',
    'tcp:10.1.1.1:80 127.0.4.3:8080 w1',
    'tcp:10.1.1.1:80 127.0.4.4:8080 w1',
  ]);
  // Draining the kept real takes it to weight 0 even while the virtual holds.
  await h.monitor.setOverride('10.1.1.1:80', '127.0.4.3:8080', { kind: 'drain' });
  assert.ok(
    h.destinations().includes('tcp:10.1.1.1:80 127.0.4.3:8080 w0'),
    h.destinations().join(),
  );
  await h.monitor.stop();
});
