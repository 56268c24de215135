import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  applyVerdict,
  COMBINED_START,
  kindForPass,
  nextCombinedCounter,
  type RealState,
} from '../../src/monitor/state.ts';
import type { CheckKind } from '../../src/monitor/target.ts';

function run(start: RealState, verdicts: boolean[], failurecount: number) {
  let state = start;
  const trace: string[] = [];
  for (const up of verdicts) {
    const step = applyVerdict(state, { up }, failurecount);
    state = step.state;
    trace.push(
      [
        step.transition ?? '-',
        ...step.notes.map((n) =>
          n.kind === 'reset' ? 'reset' : `soft ${n.failcount}/${n.failurecount}`,
        ),
      ].join(' '),
    );
  }
  return { state, trace };
}

test('failurecount=3: two soft failures, down on the third, back on one success', () => {
  const { trace, state } = run({ up: true, failcount: 0 }, [false, false, false, false, true], 3);
  assert.deepEqual(trace, ['- soft 1/3', '- soft 2/3', 'down', '-', 'up reset']);
  assert.deepEqual(state, { up: true, failcount: 0 });
});

test('failurecount=1: the first failure takes it down; no soft-failure line', () => {
  assert.deepEqual(run({ up: true, failcount: 0 }, [false, true], 1).trace, ['down', 'up reset']);
});

test('a success between failures resets the count with a log line', () => {
  assert.deepEqual(run({ up: true, failcount: 0 }, [false, true, false, false], 3).trace, [
    '- soft 1/3',
    '- reset',
    '- soft 1/3',
    '- soft 2/3',
  ]);
});

test('a real down from the start comes up silently and failures while down count nothing', () => {
  const { trace, state } = run({ up: false, failcount: 0 }, [false, false, true], 2);
  assert.deepEqual(trace, ['-', '-', 'up']);
  assert.equal(state.failcount, 0);
});

test('a forced down (maintenance) skips the soft count and counts on every pass', () => {
  let step = applyVerdict({ up: true, failcount: 0 }, { up: false, force: true }, 5);
  assert.equal(step.transition, 'down');
  assert.deepEqual(step.notes, []);
  step = applyVerdict(step.state, { up: false, force: true }, 5);
  assert.equal(step.transition, undefined);
  assert.equal(step.state.failcount, 2);
  step = applyVerdict(step.state, { up: true }, 5);
  assert.equal(step.transition, 'up');
  assert.deepEqual(step.notes, [{ kind: 'reset' }]);
});

test('checktype=N: one negotiate first, then N connects, repeated', () => {
  let counter = COMBINED_START;
  const kinds: CheckKind[] = [];
  for (let i = 0; i < 8; i++) {
    const kind = kindForPass('combined', counter, 2);
    kinds.push(kind);
    counter = nextCombinedCounter(counter, kind, true);
  }
  assert.deepEqual(kinds, [
    'negotiate',
    'connect',
    'connect',
    'negotiate',
    'connect',
    'connect',
    'negotiate',
    'connect',
  ]);
});

test('checktype=N: a failed connect forces a negotiate; a failed negotiate negotiates again', () => {
  let counter = nextCombinedCounter(COMBINED_START, 'negotiate', true);
  assert.equal(kindForPass('combined', counter, 3), 'connect');
  counter = nextCombinedCounter(counter, 'connect', false);
  assert.equal(kindForPass('combined', counter, 3), 'negotiate');
  counter = nextCombinedCounter(counter, 'negotiate', false);
  assert.equal(kindForPass('combined', counter, 3), 'negotiate');
  assert.equal(kindForPass('combined', 0, 0), 'negotiate', 'checktype=0 negotiates every time');
  assert.equal(kindForPass('ping', 0, 0), 'ping');
  assert.throws(() => kindForPass('off', 0, 0));
});
