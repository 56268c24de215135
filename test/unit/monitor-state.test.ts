import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  applyVerdict,
  COMBINED_START,
  kindForPass,
  nextCombinedCounter,
  nextSlowStartStep,
  paceOf,
  type RealState,
  slowStartWeight,
  type StateNote,
} from '../../src/monitor/state.ts';
import type { CheckKind } from '../../src/monitor/target.ts';

function noteText(n: StateNote): string {
  switch (n.kind) {
    case 'reset':
      return 'reset';
    case 'soft-failure':
      return `soft ${n.failcount}/${n.failurecount}`;
    case 'rising':
      return `rising ${n.rise}/${n.risecount}`;
    case 'rise-reset':
      return `rise-reset ${n.rise}/${n.risecount}`;
  }
}

function run(start: RealState, verdicts: boolean[], failurecount: number, risecount = 1) {
  let state = start;
  const trace: string[] = [];
  for (const up of verdicts) {
    const step = applyVerdict(state, { up }, failurecount, risecount);
    state = step.state;
    trace.push([step.transition ?? '-', ...step.notes.map(noteText)].join(' '));
  }
  return { state, trace };
}

test('failurecount=3: two soft failures, down on the third, back on one success', () => {
  const { trace, state } = run(
    { up: true, failcount: 0, rise: 0 },
    [false, false, false, false, true],
    3,
  );
  assert.deepEqual(trace, ['- soft 1/3', '- soft 2/3', 'down', '-', 'up reset']);
  assert.deepEqual(state, { up: true, failcount: 0, rise: 0 });
});

test('failurecount=1: the first failure takes it down; no soft-failure line', () => {
  assert.deepEqual(run({ up: true, failcount: 0, rise: 0 }, [false, true], 1).trace, [
    'down',
    'up reset',
  ]);
});

test('a success between failures resets the count with a log line', () => {
  assert.deepEqual(run({ up: true, failcount: 0, rise: 0 }, [false, true, false, false], 3).trace, [
    '- soft 1/3',
    '- reset',
    '- soft 1/3',
    '- soft 2/3',
  ]);
});

test('a real down from the start comes up silently and failures while down count nothing', () => {
  const { trace, state } = run({ up: false, failcount: 0, rise: 0 }, [false, false, true], 2);
  assert.deepEqual(trace, ['-', '-', 'up']);
  assert.equal(state.failcount, 0);
});

test('a forced down (maintenance) skips the soft count and counts on every pass', () => {
  let step = applyVerdict({ up: true, failcount: 0, rise: 0 }, { up: false, force: true }, 5);
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

test('risecount=3: a real that is out goes back in on the third pass in a row', () => {
  const { trace, state } = run(
    { up: true, failcount: 0, rise: 0 },
    [false, true, true, true, true],
    1,
    3,
  );
  assert.deepEqual(trace, ['down', '- rising 1/3', '- rising 2/3', 'up reset', '-']);
  assert.deepEqual(state, { up: true, failcount: 0, rise: 0 });
});

test('risecount: a failure between passes starts the count again', () => {
  const { trace } = run(
    { up: false, failcount: 1, rise: 0 },
    [true, true, false, false, true, true, true],
    1,
    3,
  );
  assert.deepEqual(trace, [
    '- rising 1/3',
    '- rising 2/3',
    '- rise-reset 2/3',
    '-',
    '- rising 1/3',
    '- rising 2/3',
    'up reset',
  ]);
});

test('risecount: the first check of a real decides at once; a forced down ends a rise', () => {
  const first = applyVerdict({ up: false, failcount: 0, rise: 0 }, { up: true, first: true }, 1, 5);
  assert.equal(first.transition, 'up');
  const rising = applyVerdict({ up: false, failcount: 1, rise: 2 }, { up: true }, 1, 5);
  assert.deepEqual(rising.state, { up: false, failcount: 1, rise: 3 });
  const forced = applyVerdict(rising.state, { up: false, force: true }, 1, 5);
  assert.deepEqual(forced.state, { up: false, failcount: 2, rise: 0 });
  assert.deepEqual(forced.notes, [], 'maintenance is not a failed pass');
});

test('risecount=1 is the original: every sequence gives the same steps as without it', () => {
  // All 2^8 sequences of verdicts from both initial states, failurecount 1 to 3.
  for (let bits = 0; bits < 256; bits++) {
    const verdicts = Array.from({ length: 8 }, (_, i) => ((bits >> i) & 1) === 1);
    for (const up of [true, false])
      for (const failurecount of [1, 2, 3]) {
        const start = { up, failcount: 0, rise: 0 };
        assert.deepEqual(
          run(start, verdicts, failurecount, 1),
          run(start, verdicts, failurecount),
          `${up} ${failurecount} ${verdicts}`,
        );
        assert.equal(run(start, verdicts, failurecount).state.rise, 0);
      }
  }
});

test('pace: steady while up, changing between states, out while down', () => {
  assert.equal(paceOf({ up: true, failcount: 0, rise: 0 }), 'steady');
  assert.equal(paceOf({ up: true, failcount: 1, rise: 0 }), 'changing');
  assert.equal(paceOf({ up: false, failcount: 3, rise: 1 }), 'changing');
  assert.equal(paceOf({ up: false, failcount: 3, rise: 0 }), 'out');
});

test('slowstart: a fifth, two, three, four fifths, each for a quarter, then the full weight', () => {
  const S = 60_000;
  const at = (ms: number) => slowStartWeight(10, ms, S);
  assert.deepEqual(
    [0, 14_999, 15_000, 29_999, 30_000, 45_000, 59_999, 60_000, 90_000].map(at),
    [2, 2, 4, 4, 6, 8, 8, 10, 10],
  );
  assert.deepEqual(
    [0, 1, 14_999, 15_000, 30_000, 45_000, 59_999, 60_000].map((ms) => nextSlowStartStep(ms, S)),
    [15_000, 15_000, 15_000, 30_000, 45_000, 60_000, 60_000, undefined],
  );
  // Never 0 for a real with a weight; 0 stays 0; slowstart=0 is off.
  assert.equal(slowStartWeight(1, 0, S), 1);
  assert.equal(slowStartWeight(3, 0, S), 1);
  assert.equal(slowStartWeight(0, 0, S), 0);
  assert.equal(slowStartWeight(10, 0, 0), 10);
  assert.equal(nextSlowStartStep(0, 0), undefined);
});
