// The pure parts of src/observe: what a monitor event becomes in the event log, how a check is
// counted in the metrics, the per-real history ring, the watchdog's stall window, and the
// metrics of a monitor that counts 10,000 reals (the series stay bounded per real).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { MonitorEvent } from '../../src/monitor/types.ts';
import { eventRecord, formatRecord, lastRecords } from '../../src/observe/eventlog.ts';
import { CheckHistory, HISTORY_LENGTH } from '../../src/observe/history.ts';
import { checkResultOf, Metrics } from '../../src/observe/metrics.ts';
import { stallWindowMs } from '../../src/observe/notify.ts';
import { makeConfig, makeReal, makeVirtual } from '../support/monitor-fixtures.ts';
import { checkedFleet, passedCheck } from '../support/observe.ts';

const NOW = new Date('2026-01-02T03:04:05.000Z');

function check(extra: Partial<Extract<MonitorEvent, { type: 'check' }>> = {}): MonitorEvent {
  const v = makeVirtual({ service: 'http' });
  return {
    type: 'check',
    virtual: v,
    real: makeReal('127.0.0.2', 80),
    up: false,
    reason: '503 Service Unavailable',
    kind: 'negotiate',
    durationMs: 12.34,
    timedOut: false,
    failcount: 1,
    ...extra,
  };
}

test('event log: a transition is a line, a check without one is not', () => {
  assert.equal(eventRecord(check(), NOW), undefined);
  assert.deepEqual(eventRecord(check({ transition: 'down' }), NOW), {
    time: '2026-01-02T03:04:05.000Z',
    event: 'real-down',
    virtual: 'tcp:10.1.1.1:80',
    real: '127.0.0.2:80',
    service: 'http',
    check: 'negotiate',
    reason: '503 Service Unavailable',
    httpStatus: 503,
    durationMs: 12.3,
  });
  const timeout = eventRecord(
    check({ transition: 'down', reason: 'timeout', timedOut: true }),
    NOW,
  );
  assert.equal(timeout?.timedOut, true);
  assert.equal(timeout?.httpStatus, undefined);
});

test('event log: failed applies, and the history reader skips a cut line', () => {
  const ok: MonitorEvent = {
    type: 'ipvs-apply',
    scope: 'entries',
    commands: 2,
    processes: 1,
    failed: [],
  };
  assert.equal(eventRecord(ok, NOW), undefined);
  const broken = eventRecord({ ...ok, error: 'ipvsadm: not found' }, NOW);
  assert.deepEqual(broken, {
    time: NOW.toISOString(),
    event: 'ipvsadm-failed',
    scope: 'entries',
    error: 'ipvsadm: not found',
    commands: 2,
  });
  const text = [
    JSON.stringify({ time: 'a', event: 'reload', file: '/x.cf' }),
    '{"time":"b","event":"real-d',
    JSON.stringify(broken),
    '',
  ].join('\n');
  const last = lastRecords(text, 5);
  assert.deepEqual(
    last.map((r) => r.event),
    ['reload', 'ipvsadm-failed'],
  );
  assert.equal(lastRecords(text, 1)[0]!.event, 'ipvsadm-failed');
  assert.equal(
    formatRecord(last[1]!),
    '2026-01-02T03:04:05.000Z  ipvsadm-failed  entries  error: ipvsadm: not found',
  );
});

test('checks are counted as up, down, error (no connection) or timeout', () => {
  assert.equal(checkResultOf({ up: true, timedOut: false, reason: 'Connected' }), 'up');
  assert.equal(checkResultOf({ up: false, timedOut: true, reason: 'timeout' }), 'timeout');
  assert.equal(
    checkResultOf({ up: false, timedOut: false, reason: 'Connection refused' }),
    'error',
  );
  assert.equal(checkResultOf({ up: false, timedOut: false, reason: 'No route to host' }), 'error');
  assert.equal(checkResultOf({ up: false, timedOut: false, reason: '500 Oops' }), 'down');
});

test('history keeps the last checks of each real and drops reals a reload removed', () => {
  let now = 1000;
  const h = new CheckHistory(() => now);
  const v = makeVirtual({});
  const r = makeReal('127.0.0.2', 80);
  for (let i = 0; i < HISTORY_LENGTH + 3; i++) {
    now += 1000;
    h.record(v, r, {
      up: i % 2 === 0,
      timedOut: i === 5,
      durationMs: i,
      ...(i === 4 ? { transition: 'up' } : {}),
    });
  }
  const got = h.get('tcp:10.1.1.1:80', '127.0.0.2:80')!;
  assert.equal(got.checks.length, HISTORY_LENGTH);
  assert.equal(got.checks[0]![2], 3, 'the oldest kept is the fourth');
  assert.equal(got.checks.at(-1)![0], now);
  assert.equal(got.changedAt, 1000 + 5 * 1000);
  assert.deepEqual(Object.keys(h.toJSON()), ['tcp:10.1.1.1:80']);
  h.retain(makeConfig([makeVirtual({ address: '10.9.9.9' })]));
  assert.deepEqual(h.toJSON(), {});
});

test('the watchdog waits two of the longest interval or check deadline', () => {
  const fast = makeVirtual({ checkinterval: 2, checktimeout: 1, negotiatetimeout: 3 });
  fast.reals.push(makeReal('127.0.0.2', 80));
  const off = makeVirtual({ checktype: 'off', checkinterval: 100 });
  off.reals.push(makeReal('127.0.0.3', 80));
  assert.equal(stallWindowMs(makeConfig([fast, off])), 6000);
  assert.equal(stallWindowMs(makeConfig([off])), 0);
});

test('metrics at 10,000 reals: a bounded set of series per real', async () => {
  const { config, status } = checkedFleet(
    10_000,
    (i) => `127.${i >> 16}.${(i >> 8) & 255}.${i & 255}`,
  );
  const virtuals = config.virtuals;
  const metrics = new Metrics(config, { status: () => status });
  for (const v of virtuals) for (const r of v.reals) metrics.onEvent(passedCheck(v, r));
  const text = await metrics.text();
  const samples = text.split('\n').filter((l) => l !== '' && !l.startsWith('#'));
  const perReal = samples.filter((l) => l.includes('real="'));
  // up, weight, configured weight, failures, checks by result, transitions, last duration.
  assert.equal(perReal.length, 7 * 10_000);
  assert.ok(samples.length - perReal.length < 3000, `${samples.length - perReal.length} others`);
  assert.ok(!/reason=|command=/.test(text), 'no free-text label');
  // A reload that drops a virtual drops its reals' series.
  metrics.configLoaded(makeConfig(virtuals.slice(1)));
  const after = await metrics.text();
  assert.ok(!after.includes('ldirectord_real_checks_total{virtual="tcp:10.2.0.0:80"'));
  assert.ok(after.includes('ldirectord_real_checks_total{virtual="tcp:10.2.0.1:80"'));
});

test('issue 12: a minhealthy hold is an event-log line each way; a slow start shows its weight', async () => {
  const v = makeVirtual({ minhealthy: { kind: 'count', value: 2 } });
  const hold: MonitorEvent = {
    type: 'minhealthy',
    virtual: v,
    holding: true,
    up: 1,
    total: 3,
    needed: 2,
    message: 'Too few real servers up: ...',
  };
  assert.deepEqual(eventRecord(hold, NOW), {
    time: NOW.toISOString(),
    event: 'minhealthy-hold',
    virtual: 'tcp:10.1.1.1:80',
    up: 1,
    reals: 3,
    needed: 2,
  });
  assert.equal(eventRecord({ ...hold, holding: false, up: 2 }, NOW)?.event, 'minhealthy-release');

  const { config, status } = checkedFleet(2, (i) => `127.0.0.${i + 2}`);
  const ramping = status.virtuals[0]!.reals[0]!;
  ramping.weight = 10;
  ramping.slowStartWeight = 4;
  const metrics = new Metrics(config, { status: () => status });
  const text = await metrics.text();
  assert.match(text, /^ldirectord_real_weight\{[^}]*real="127\.0\.0\.2:80"[^}]*\} 4$/m);
  assert.match(text, /^ldirectord_real_configured_weight\{[^}]*real="127\.0\.0\.2:80"[^}]*\} 10$/m);
});

test('metrics: the weight in the table is the one an agent gave; a real its agent keeps out has none', async () => {
  const { config, status } = checkedFleet(2, (i) => `127.0.9.${i + 1}`);
  const [scaled, held] = status.virtuals[0]!.reals;
  const agent = { endpoint: '', state: '', reply: '' };
  scaled!.weight = 10;
  scaled!.agent = { ...agent, state: 'weight 50%', allows: true, weight: 5 };
  held!.agent = { ...agent, state: 'maint', allows: false, weight: 1 };
  held!.serving = false; // as the status view says of a real its agent keeps out
  const text = await new Metrics(config, { status: () => status }).text();
  const weights = text.split('\n').filter((l) => l.startsWith('ldirectord_real_weight{'));
  assert.deepEqual(
    weights.map((l) => l.replace(/\{.*real="([^"]+)".*\}/, ' $1')),
    ['ldirectord_real_weight 127.0.9.1:80 5'],
  );
});

test('metrics: a drained real is in the table at 0, a ctl weight replaces the configured one', async () => {
  const { config, status } = checkedFleet(2, (i) => `127.0.9.${i + 1}`);
  const [drained, weighted] = status.virtuals[0]!.reals;
  const since = new Date().toISOString();
  drained!.override = { kind: 'drain', since };
  drained!.serving = false; // as the status view says of a drained real
  weighted!.override = { kind: 'weight', weight: 7, since };
  const text = await new Metrics(config, { status: () => status }).text();
  const weights = text.split('\n').filter((l) => l.startsWith('ldirectord_real_weight{'));
  assert.deepEqual(
    weights.map((l) => l.replace(/\{.*real="([^"]+)".*\}/, ' $1')),
    ['ldirectord_real_weight 127.0.9.1:80 0', 'ldirectord_real_weight 127.0.9.2:80 7'],
  );
});
