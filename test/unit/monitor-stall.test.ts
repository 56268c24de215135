// The daemon's own stalls under fake time (src/monitor/stall.ts): FakeClock.stall() is the
// process stopped (time moves, no timer fires); the next advance() fires the overdue timers
// late, before the test delivers the answer that "arrived" meanwhile, as Node fires overdue
// timers before it reads the sockets. A stall must not fail a real; a real that hangs must
// still fail, within its deadline of the daemon's running time.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Checker, CheckResult } from '../../src/checkers/types.ts';
import { runWithDeadline } from '../../src/monitor/deadline.ts';
import { StallWatch } from '../../src/monitor/stall.ts';
import { buildCheckTarget } from '../../src/monitor/target.ts';
import { FakeClock } from '../support/fake-clock.ts';
import { makeConfig, makeReal, makeVirtual, tableWith } from '../support/monitor-fixtures.ts';
import { harness } from '../support/monitor-harness.ts';

const VID = 'tcp:10.1.1.1:80';
const virtual = makeVirtual({ reals: [makeReal('127.0.4.2', 80)] });
const target = buildCheckTarget(virtual, virtual.reals[0]!, 'negotiate');

/** A check whose answer the test delivers (the socket read), or never. */
function answerable(): { checker: Checker; answer: (r: CheckResult) => void } {
  let answer: (r: CheckResult) => void = () => {};
  const checker: Checker = () => new Promise((resolve) => (answer = resolve));
  return { checker, answer: (r) => answer(r) };
}

function check(clock: FakeClock, checker: Checker) {
  let result: Awaited<ReturnType<typeof runWithDeadline>> | undefined;
  const done = runWithDeadline(checker, target, 2000, clock, undefined, new StallWatch(clock));
  void done.then((r) => (result = r));
  return { done, result: () => result };
}

test('an answer that arrived while the daemon was stopped is read, not a timeout', async () => {
  const clock = new FakeClock();
  const { checker, answer } = answerable();
  const c = check(clock, checker);
  await clock.advance(500);
  clock.stall(3000);
  await clock.advance(0); // the overdue deadline timer fires first
  answer({ up: true, reason: '200 OK' }); // then the socket is read
  const result = await c.done;
  assert.equal(result.up, true, result.reason);
  assert.equal(result.timedOut, false);
  assert.ok(result.stalledMs >= 2900, `stalled ${result.stalledMs} ms`);
});

test('a hung real times out after its deadline of the daemon running time, stall or not', async () => {
  const clock = new FakeClock();
  const plain = check(clock, answerable().checker);
  await clock.advance(1999);
  assert.equal(plain.result(), undefined);
  await clock.advance(1);
  assert.equal(plain.result()?.timedOut, true, 'no stall: cut at the deadline');
  assert.equal(plain.result()?.durationMs, 2000);
  assert.equal(plain.result()?.stalledMs, 0);

  // Stopped 3 s after 500 ms of its deadline: 1500 ms more once it runs again (the loop is
  // sampled every 100 ms, so up to 100 ms of the time before the stall may count as stalled).
  const paused = check(clock, answerable().checker);
  await clock.advance(500);
  clock.stall(3000);
  await clock.advance(0);
  assert.equal(paused.result(), undefined, 'not judged on the daemon resuming');
  await clock.advance(1399);
  assert.equal(paused.result(), undefined, 'not before 1400 ms of running time after the stall');
  await clock.advance(101);
  const r = paused.result();
  assert.equal(r?.timedOut, true, 'cut at most 100 ms past its deadline of running time');
  assert.equal(r?.reason, 'timeout');
});

test('a stall in the middle of a check is added to its deadline; a small lag is not', async () => {
  const clock = new FakeClock();
  const middle = check(clock, answerable().checker);
  await clock.advance(200);
  clock.stall(1000); // ends long before the deadline: seen by the loop sampler
  await clock.advance(0);
  // 900 ms of it seen as a stall (sampled every 100 ms): the check is cut at 2900 ms.
  await clock.advance(1599);
  assert.equal(middle.result(), undefined, 'the deadline moved by the stall');
  await clock.advance(101);
  assert.equal(middle.result()?.timedOut, true);
  assert.ok(middle.result()!.durationMs <= 3000, `${middle.result()!.durationMs} ms`);

  const lag = check(clock, answerable().checker);
  await clock.advance(500);
  clock.stall(300); // a garbage collection: the daemon's normal lag
  await clock.advance(1200);
  assert.equal(lag.result()?.timedOut, true, 'cut at the deadline, lag included');
  assert.equal(lag.result()?.durationMs, 2000);
});

test('a failure the stall caused (a library timeout) is checked again; a real hang still fails', async () => {
  const v = makeVirtual({
    checkinterval: 5,
    negotiatetimeout: 2,
    reals: [makeReal('127.0.4.2', 80)],
  });
  const h = harness(makeConfig([v]), {
    table: tableWith([{ virtual: v, reals: [{ address: '127.0.4.2', port: 80, weight: 1 }] }]),
  });
  // Like undici's headersTimeout: a timer of the checker's own just under the deadline.
  const answers: Array<(r: CheckResult) => void> = [];
  h.checkers.answers.set(
    '127.0.4.2',
    (t) =>
      new Promise<CheckResult>((resolve) => {
        answers.push(resolve);
        h.clock.setTimeout(
          () => resolve({ up: false, reason: 'Headers Timeout Error' }),
          t.timeoutMs - 10,
        );
      }),
  );
  const started = h.monitor.start();
  await h.clock.advance(0);
  answers.at(-1)!({ up: true, reason: '200 OK' });
  await h.clock.advance(0);
  await started;
  await h.until(() => h.checkers.calls.length === 2, 10_000, 100);
  await h.clock.advance(100);
  h.clock.stall(10_000);
  await h.clock.advance(0); // the library's timer fires late, before the answer is read
  answers.at(-2)!({ up: true, reason: '200 OK' });
  await h.clock.advance(0);
  assert.equal(h.checkers.calls.length, 3, 'checked again at once');
  answers.at(-1)!({ up: true, reason: '200 OK' });
  await h.clock.advance(0);
  assert.equal(h.real(VID, '127.0.4.2').up, true);
  assert.deepEqual(
    h.events.filter((e) => e.type === 'real'),
    [],
    'never down',
  );

  // The real hangs: the check after the next stall fails, its second check fails too.
  const calls = h.checkers.calls.length;
  await h.until(() => h.checkers.calls.length === calls + 1, 10_000, 100);
  await h.clock.advance(100);
  h.clock.stall(10_000);
  await h.clock.advance(0);
  assert.equal(h.real(VID, '127.0.4.2').up, true, 'not judged by the stalled check');
  await h.clock.advance(2000);
  assert.equal(h.checkers.calls.length, calls + 2);
  assert.equal(h.real(VID, '127.0.4.2').up, false, 'down after the second check failed');
  assert.equal(h.real(VID, '127.0.4.2').lastCheck?.reason, 'Headers Timeout Error');
  await h.monitor.stop();
});

test('checks that fell due during a stall start after it in turn, not all at once', async () => {
  const reals = Array.from({ length: 50 }, (_, i) => makeReal(`127.0.4.${10 + i}`, 80));
  const h = harness(makeConfig([makeVirtual({ checkinterval: 10, reals })]));
  for (const r of reals) h.checkers.set(r.address, true);
  await h.start();
  await h.clock.advance(15_000);
  const before = h.checkers.calls.length;
  h.clock.stall(30_000);
  const resumed = h.clock.now();
  await h.clock.advance(0);
  const atOnce = h.checkers.calls.length - before;
  assert.ok(atOnce <= 3, `${atOnce} checks started the moment the daemon resumed`);
  await h.clock.advance(10_000);
  const after = h.checkers.calls.slice(before).filter((c) => c.at < resumed + 10_000);
  assert.deepEqual(
    after.map((c) => c.host).sort(),
    reals.map((r) => r.address).sort(),
    'each real checked once within an interval of the stall',
  );
  const perSecond = new Array(10).fill(0);
  for (const c of after) perSecond[Math.floor((c.at - resumed) / 1000)]++;
  assert.ok(Math.max(...perSecond) < 15, `checks per second after the stall: ${perSecond}`);
  await h.monitor.stop();
});
