// The monitor's side of the IPVS contract under fake time: start-up from the kernel table,
// coalescing of transitions into one plan, retry of failed commands, reload, stop, events.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { CheckResult } from '../../src/checkers/types.ts';
import { makeConfig, makeReal, makeVirtual, tableWith } from '../support/monitor-fixtures.ts';
import { harness } from '../support/monitor-harness.ts';

const VID = 'tcp:10.1.1.1:80';

test('start-up: initial states from the table, plan start, apply, then check every real', async () => {
  const v = makeVirtual({
    reals: [makeReal('127.0.4.2', 8080), makeReal('127.0.4.3', 8080), makeReal('127.0.4.4', 8080)],
  });
  const h = harness(makeConfig([v]), {
    table: tableWith([
      {
        virtual: v,
        reals: [
          { address: '127.0.4.2', port: 8080, weight: 1 },
          { address: '127.0.4.3', port: 8080, weight: 0 },
        ],
      },
    ]),
  });
  const appliedBeforeCheck: number[] = [];
  for (const host of ['127.0.4.2', '127.0.4.3', '127.0.4.4'])
    h.checkers.answers.set(host, async () => {
      appliedBeforeCheck.push(h.backend.applied.length);
      return { up: host !== '127.0.4.4', reason: '200 OK' };
    });
  await h.start();
  assert.equal(h.backend.reads, 1);
  assert.deepEqual(h.planner.calls[0], {
    scope: 'start',
    reals: [
      'tcp:10.1.1.1:80 127.0.4.2:8080=up',
      'tcp:10.1.1.1:80 127.0.4.3:8080=down',
      'tcp:10.1.1.1:80 127.0.4.4:8080=down',
    ],
    commands: ['-d -t 10.1.1.1:80 -r 127.0.4.3:8080'],
  });
  assert.deepEqual(
    appliedBeforeCheck,
    [1, 1, 1],
    'every check ran after the start plan was applied',
  );
  // The healthy real in the kernel was never removed; the one at weight 0 came in at its check.
  assert.deepEqual(h.planner.calls.slice(1), [
    {
      scope: 'entries',
      reals: ['tcp:10.1.1.1:80 127.0.4.3:8080=up'],
      commands: ['-a -t 10.1.1.1:80 -r 127.0.4.3:8080 -m -w 1'],
    },
  ]);
  assert.deepEqual(h.destinations().sort(), [
    'tcp:10.1.1.1:80 127.0.4.2:8080 w1',
    'tcp:10.1.1.1:80 127.0.4.3:8080 w1',
  ]);
  assert.equal(h.monitor.phase, 'running');
  await h.monitor.stop();
});

test('start-up: a gate real the kernel shows on the virtual port counts as present', async () => {
  const v = makeVirtual({ reals: [makeReal('127.0.4.2', 8080, { forward: 'gate' })] });
  const h = harness(makeConfig([v]), {
    table: tableWith([{ virtual: v, reals: [{ address: '127.0.4.2', port: 80, weight: 1 }] }]),
  });
  h.checkers.set('127.0.4.2', true);
  await h.start();
  assert.deepEqual(h.planner.calls[0]!.reals, ['tcp:10.1.1.1:80 127.0.4.2:8080=up']);
  await h.monitor.stop();
});

test('start-up fails when the table cannot be read', async () => {
  const h = harness(makeConfig([makeVirtual({ reals: [makeReal('127.0.4.2', 80)] })]));
  h.backend.read = async () => {
    throw new Error('Could not run /sbin/ipvsadm -L -n');
  };
  await assert.rejects(h.monitor.start(), /Could not run/);
  assert.equal(h.monitor.phase, 'idle');
  assert.deepEqual(h.checkers.calls, []);
  await h.monitor.stop();
  assert.equal(h.monitor.phase, 'stopped');
  assert.deepEqual(h.planner.calls, [], 'no stop plan over a table never read');
});

test('transitions within the window become one plan and one apply', async () => {
  const reals = Array.from({ length: 20 }, (_, i) => makeReal(`127.0.4.${10 + i}`, 80));
  const v = makeVirtual({ negotiatetimeout: 30, reals });
  const h = harness(makeConfig([v]));
  for (const r of reals) h.checkers.set(r.address, true);
  await h.start();
  assert.equal(h.destinations().length, 20);
  const plansBefore = h.planner.calls.length;
  const appliesBefore = h.backend.applied.length;
  // Every check starts at its own phase in the next interval but they all end at the same
  // moment (say, the servers' switch dies): twenty transitions, one window.
  const failAt = h.clock.now() + 15_000;
  for (const r of reals)
    h.checkers.answers.set(
      r.address,
      () =>
        new Promise<CheckResult>((resolve) =>
          h.clock.setTimeout(
            () => resolve({ up: false, reason: 'Connection reset' }),
            failAt - h.clock.now(),
          ),
        ),
    );
  await h.clock.advance(15_050);
  assert.equal(h.monitor.status().virtuals[0]!.reals.filter((r) => r.up).length, 0);
  await h.clock.advance(100);
  assert.equal(h.planner.calls.length, plansBefore + 1);
  const plan = h.planner.calls.at(-1)!;
  assert.equal(plan.scope, 'entries');
  assert.equal(plan.reals.length, 20);
  assert.equal(plan.commands.length, 20);
  assert.equal(h.backend.applied.length, appliesBefore + 1, 'one ipvsadm batch');
  assert.deepEqual(h.destinations(), []);
  await h.monitor.stop();
});

test('one shared check taking a real down in many virtuals is one plan', async () => {
  const virtuals = Array.from({ length: 30 }, (_, i) =>
    makeVirtual({ address: `10.1.1.${i + 1}`, reals: [makeReal('127.0.4.2', 80)] }),
  );
  const h = harness(makeConfig(virtuals));
  h.checkers.set('127.0.4.2', true);
  await h.start();
  assert.equal(h.destinations().length, 30);
  assert.equal(h.checkers.calls.length, 1);
  h.checkers.set('127.0.4.2', false);
  const plans = h.planner.calls.length;
  await h.until(() => h.destinations().length === 0, 30_000, 100);
  assert.equal(h.planner.calls.length, plans + 1);
  assert.equal(h.planner.calls.at(-1)!.commands.length, 30);
  assert.equal(h.checkers.calls.length, 2);
  await h.monitor.stop();
});

test('a failed ipvsadm command is logged, kept pending and retried until it succeeds', async () => {
  const v = makeVirtual({ reals: [makeReal('127.0.4.2', 80), makeReal('127.0.4.3', 80)] });
  const h = harness(makeConfig([v]));
  h.checkers.set('127.0.4.2', true);
  h.checkers.set('127.0.4.3', true);
  let failing = true;
  h.backend.fail = (line) =>
    failing && line.includes('127.0.4.3') ? 'Memory allocation problem\n' : undefined;
  await h.start();
  assert.deepEqual(h.destinations(), ['tcp:10.1.1.1:80 127.0.4.2:80 w1']);
  const added = 'Added real server: 127.0.4.3:80 (10.1.1.1:80) (Weight set to 1)';
  const failure =
    'system(ipvsadm -a -t 10.1.1.1:80 -r 127.0.4.3:80 -m -w 1) failed: Memory allocation problem';
  const logged = h.logger.messages();
  assert.equal(logged[logged.indexOf(added) + 1], failure, 'the original line, then the failure');
  assert.ok(
    !h.events.some((e) => e.type === 'ipvs' && e.command.line.includes('127.0.4.3')),
    'no event (no e-mail) for a change that did not happen',
  );
  assert.deepEqual(h.monitor.status().pending, { reals: 1, reconcile: false });
  assert.equal(h.real(VID, '127.0.4.3').pending, true);
  const tries = () =>
    h.planner.calls.filter((c) => c.commands.some((l) => l.includes('127.0.4.3'))).length;
  assert.equal(tries(), 1);
  await h.clock.advance(1000);
  assert.equal(tries(), 2, 'retried after 1 s');
  await h.clock.advance(1000);
  assert.equal(tries(), 2, 'then backs off');
  await h.clock.advance(1000);
  assert.equal(tries(), 3, 'retried 2 s later');
  failing = false;
  await h.clock.advance(4000);
  assert.equal(tries(), 4);
  assert.deepEqual(h.destinations().sort(), [
    'tcp:10.1.1.1:80 127.0.4.2:80 w1',
    'tcp:10.1.1.1:80 127.0.4.3:80 w1',
  ]);
  assert.deepEqual(h.monitor.status().pending, { reals: 0, reconcile: false });
  assert.equal(
    h.events.filter((e) => e.type === 'ipvs' && e.command.line.includes('127.0.4.3')).length,
    1,
    'one event once it took effect',
  );
  await h.clock.advance(60_000);
  assert.equal(tries(), 4, 'nothing more to retry');
  await h.monitor.stop();
});

test('an apply that throws is retried with the table read again', async () => {
  const v = makeVirtual({ reals: [makeReal('127.0.4.2', 80)] });
  const h = harness(makeConfig([v]));
  h.checkers.set('127.0.4.2', true);
  h.backend.broken = true;
  await h.start();
  assert.ok(h.logger.messages('error').some((m) => m.startsWith('IPVS apply failed (start)')));
  assert.deepEqual(h.monitor.status().pending, { reals: 0, reconcile: true });
  h.backend.broken = false;
  const reads = h.backend.reads;
  await h.clock.advance(1000);
  assert.equal(h.backend.reads, reads + 1, 'the table was read again before planning');
  assert.deepEqual(h.destinations(), ['tcp:10.1.1.1:80 127.0.4.2:80 w1']);
  assert.deepEqual(h.monitor.status().pending, { reals: 0, reconcile: false });
  await h.monitor.stop();
});

test('checks never wait for a slow ipvsadm', async () => {
  const v = makeVirtual({ checkinterval: 1, reals: [makeReal('127.0.4.2', 80)] });
  const h = harness(makeConfig([v]));
  h.checkers.set('127.0.4.2', true);
  await h.start();
  let release!: () => void;
  h.backend.gate = new Promise<void>((resolve) => {
    release = resolve;
  });
  h.checkers.set('127.0.4.2', false);
  const before = h.checkers.calls.length;
  await h.clock.advance(10_000);
  assert.ok(h.checkers.calls.length - before >= 9, 'checks went on while the apply hung');
  release();
  h.backend.gate = undefined;
  await h.clock.advance(200);
  assert.deepEqual(h.destinations(), []);
  await h.monitor.stop();
});

test('reload keeps the state of unchanged reals, starts new ones as at start-up', async () => {
  const a = makeReal('127.0.4.2', 80);
  const b = makeReal('127.0.4.3', 80);
  const v1 = makeVirtual({ failurecount: 3, reals: [a, b] });
  const gone = makeVirtual({ address: '10.1.1.9', reals: [makeReal('127.0.4.9', 80)] });
  const h = harness(makeConfig([v1, gone]));
  for (const host of ['127.0.4.2', '127.0.4.3', '127.0.4.9']) h.checkers.set(host, true);
  await h.start();
  h.checkers.set('127.0.4.2', false);
  await h.until(() => h.real(VID, '127.0.4.2').failcount === 1);
  assert.equal(h.real(VID, '127.0.4.2').up, true);

  // Same check for .2 (weight changed only), a new receive for .3, a new real .4, and the
  // second virtual removed.
  const v2 = makeVirtual({
    failurecount: 3,
    reals: [
      makeReal('127.0.4.2', 80, { weight: 3 }),
      makeReal('127.0.4.3', 80, { receive: 'OK', request: '/' }),
      makeReal('127.0.4.4', 80),
    ],
  });
  h.checkers.set('127.0.4.4', true);
  const callsBefore = h.checkers.calls.length;
  const appliedBefore = h.backend.applied.length;
  await h.monitor.reload(makeConfig([v2]));
  const kept = h.real(VID, '127.0.4.2');
  assert.equal(kept.up, true);
  assert.equal(kept.failcount, 1, 'the soft-failure count survived the reload');
  assert.equal(kept.weight, 3);
  const reload = h.planner.calls.find((c) => c.scope === 'reload')!;
  assert.deepEqual(reload.reals, [
    'tcp:10.1.1.1:80 127.0.4.2:80=up',
    'tcp:10.1.1.1:80 127.0.4.3:80=up',
    'tcp:10.1.1.1:80 127.0.4.4:80=down',
  ]);
  assert.deepEqual(reload.commands, ['-D -t 10.1.1.9:80']);
  const after = h.backend.applied.slice(appliedBefore).flat();
  assert.ok(!after.some((l) => l.startsWith('-d')), `no real left the table: ${after}`);
  assert.ok(after.includes('-a -t 10.1.1.1:80 -r 127.0.4.4:80 -m -w 1'));
  // The changed and the new real were checked at once; the removed one is no longer checked.
  const newCalls = h.checkers.calls.slice(callsBefore).map((c) => c.host);
  assert.deepEqual(newCalls.sort(), ['127.0.4.3', '127.0.4.4']);
  await h.clock.advance(30_000);
  assert.ok(!h.checkers.calls.slice(callsBefore).some((c) => c.host === '127.0.4.9'));
  // The kept real keeps counting toward its failurecount.
  await h.until(() => !h.real(VID, '127.0.4.2').up);
  assert.ok(
    h.logger
      .messages('info')
      .includes('Soft failure real server: 127.0.4.2:80 (tcp:10.1.1.1:80) failure 2/3'),
  );
  await h.monitor.stop();
});

test('reload: a new virtual sharing a running check gets its result at once', async () => {
  const a = makeVirtual({ reals: [makeReal('127.0.4.2', 80)] });
  const h = harness(makeConfig([a]));
  h.checkers.set('127.0.4.2', true);
  await h.start();
  const b = makeVirtual({ address: '10.1.1.2', reals: [makeReal('127.0.4.2', 80)] });
  await h.monitor.reload(makeConfig([a, b]));
  assert.equal(h.real('tcp:10.1.1.2:80', '127.0.4.2').up, true);
  assert.equal(h.checkers.calls.length, 2, 'the shared job ran once more for its new member');
  assert.deepEqual(h.destinations().sort(), [
    'tcp:10.1.1.1:80 127.0.4.2:80 w1',
    'tcp:10.1.1.2:80 127.0.4.2:80 w1',
  ]);
  await h.monitor.stop();
});

test('stop cancels timers, aborts running checks and applies the stop plan', async () => {
  const v = makeVirtual({
    checktype: 'connect',
    checktimeout: 60,
    reals: [makeReal('127.0.4.2', 80), makeReal('127.0.4.3', 80)],
  });
  const h = harness(makeConfig([v]));
  h.checkers.set('127.0.4.2', true);
  h.checkers.set('127.0.4.3', true);
  await h.start();
  h.checkers.answers.set('127.0.4.3', () => new Promise<CheckResult>(() => {}));
  const hung = h.checkers.calls.filter((c) => c.host === '127.0.4.3').length;
  await h.until(() => h.checkers.calls.filter((c) => c.host === '127.0.4.3').length > hung, 30_000);
  await h.monitor.stop();
  assert.deepEqual(h.checkers.aborted, ['connect 127.0.4.3']);
  assert.equal(h.clock.pendingTimers, 0, 'no timer left behind');
  assert.equal(h.planner.calls.at(-1)!.scope, 'stop');
  assert.deepEqual(h.backend.applied.at(-1), [
    '-d -t 10.1.1.1:80 -r 127.0.4.2:80',
    '-d -t 10.1.1.1:80 -r 127.0.4.3:80',
    '-D -t 10.1.1.1:80',
  ]);
  const calls = h.checkers.calls.length;
  await h.clock.advance(60_000);
  assert.equal(h.checkers.calls.length, calls, 'no check after stop');
  assert.equal(h.monitor.phase, 'stopped');
});

test('events: each ipvsadm command that took effect, and each real transition', async () => {
  const v = makeVirtual({ reals: [makeReal('127.0.4.2', 80)] });
  const h = harness(makeConfig([v]));
  h.checkers.set('127.0.4.2', true);
  await h.start();
  const summary = h.events.map((e) =>
    e.type === 'ipvs'
      ? `ipvs ${e.scope} ${e.command.event} ${e.command.virtual === v}`
      : e.type === 'real'
        ? `real ${e.real.address} ${e.up} ${e.reason}`
        : e.type,
  );
  assert.deepEqual(summary, [
    'ipvs start virtual-added true',
    'real 127.0.4.2 true Success',
    'ipvs entries added true',
  ]);
  await h.monitor.stop();
});

test('stop during start-up does not wait for hung first checks', async () => {
  const v = makeVirtual({ negotiatetimeout: 30, reals: [makeReal('127.0.4.2', 80)] });
  const h = harness(makeConfig([v]));
  h.checkers.answers.set('127.0.4.2', () => new Promise<CheckResult>(() => {}));
  let started = false;
  const starting = h.monitor.start().then(() => {
    started = true;
  });
  await h.clock.advance(1000);
  assert.equal(started, false);
  const stopping = h.monitor.stop();
  await h.clock.advance(0);
  await starting;
  await stopping;
  assert.equal(h.monitor.phase, 'stopped');
  assert.deepEqual(h.checkers.aborted, ['negotiate:http 127.0.4.2']);
  assert.equal(h.clock.pendingTimers, 0);
});

test('a failed fallback command is retried through its virtual', async () => {
  const v = makeVirtual({
    fallback: { address: '127.0.0.1', port: 80, forward: 'masq', line: 3 },
    reals: [makeReal('127.0.4.2', 80)],
  });
  const h = harness(makeConfig([v]));
  h.checkers.set('127.0.4.2', false);
  let failing = true;
  h.backend.fail = (line) =>
    failing && line.includes('127.0.0.1') ? 'No such service' : undefined;
  await h.start();
  assert.deepEqual(h.destinations(), []);
  // Retried as an entries plan of one real of the virtual, which brings the fallback along.
  assert.deepEqual(h.monitor.status().pending, { reals: 1, reconcile: false });
  failing = false;
  await h.clock.advance(1000);
  assert.deepEqual(h.destinations(), ['tcp:10.1.1.1:80 127.0.0.1:80 w1']);
  assert.deepEqual(h.monitor.status().pending, { reals: 0, reconcile: false });
  // During operation a failed fallback change is retried as an entries plan of its virtual.
  failing = true;
  h.checkers.set('127.0.4.2', true);
  await h.until(() => h.real(VID, '127.0.4.2').up);
  await h.clock.advance(200);
  assert.deepEqual(h.monitor.status().pending, { reals: 1, reconcile: false });
  failing = false;
  await h.clock.advance(1000);
  assert.deepEqual(h.destinations(), ['tcp:10.1.1.1:80 127.0.4.2:80 w1']);
  assert.equal(h.planner.calls.at(-1)!.scope, 'entries');
  await h.monitor.stop();
});

test('a reload during a slow apply leaves the table right', async () => {
  const v = makeVirtual({ reals: [makeReal('127.0.4.2', 80), makeReal('127.0.4.3', 80)] });
  const h = harness(makeConfig([v]));
  h.checkers.set('127.0.4.2', true);
  h.checkers.set('127.0.4.3', true);
  await h.start();
  let release!: () => void;
  h.backend.gate = new Promise<void>((resolve) => {
    release = resolve;
  });
  h.checkers.set('127.0.4.2', false);
  await h.until(() => !h.real(VID, '127.0.4.2').up);
  await h.clock.advance(200);
  const v2 = makeVirtual({
    reals: [makeReal('127.0.4.2', 80), makeReal('127.0.4.3', 80), makeReal('127.0.4.4', 80)],
  });
  h.checkers.set('127.0.4.4', true);
  const reloading = h.monitor.reload(makeConfig([v2]));
  await h.clock.advance(100);
  release();
  h.backend.gate = undefined;
  await h.clock.advance(0);
  await reloading;
  assert.deepEqual(h.destinations().sort(), [
    'tcp:10.1.1.1:80 127.0.4.3:80 w1',
    'tcp:10.1.1.1:80 127.0.4.4:80 w1',
  ]);
  assert.deepEqual(h.logger.messages('error'), []);
  assert.equal(h.monitor.phase, 'running');
  await h.monitor.stop();
});

test('stop while start-up is still reading the table', async () => {
  const v = makeVirtual({ reals: [makeReal('127.0.4.2', 80)] });
  const h = harness(makeConfig([v]));
  h.checkers.set('127.0.4.2', true);
  const read = h.backend.read.bind(h.backend);
  let release!: () => void;
  const gate = new Promise<void>((resolve) => {
    release = resolve;
  });
  h.backend.read = async () => {
    await gate;
    return read();
  };
  const starting = h.monitor.start();
  await h.clock.advance(0);
  const stopping = h.monitor.stop();
  release();
  await h.clock.advance(0);
  await starting;
  await stopping;
  assert.equal(h.monitor.phase, 'stopped');
  assert.deepEqual(h.checkers.calls, [], 'no check after stop');
  assert.equal(h.clock.pendingTimers, 0);
});
