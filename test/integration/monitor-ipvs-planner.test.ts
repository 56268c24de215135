// The monitor driving the real planner (planIpvs) and the in-memory ipvsadm (DryRunBackend):
// start-up, checks, the exact ipvsadm commands, coalescing, retries, reload and stop.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { CheckResult } from '../../src/checkers/types.ts';
import type { Config } from '../../src/config/model.ts';
import { DryRunBackend } from '../../src/ipvs/emulator/dry-run.ts';
import type { IpvsTable } from '../../src/ipvs/model.ts';
import { planIpvs } from '../../src/ipvs/plan.ts';
import { Monitor } from '../../src/monitor/monitor.ts';
import { FakeClock } from '../support/fake-clock.ts';
import {
  makeConfig,
  makeReal,
  makeVirtual,
  RecordingLogger,
  ScriptedCheckers,
  tableWith,
} from '../support/monitor-fixtures.ts';

function setup(config: Config, table?: IpvsTable, fail?: (line: string) => string | undefined) {
  const clock = new FakeClock();
  const checkers = new ScriptedCheckers(() => clock.now());
  const backend = new DryRunBackend({
    ...(table ? { table } : {}),
    fault: (args) => {
      const message = fail?.(args.join(' '));
      return message === undefined ? undefined : { kind: 'error', message };
    },
  });
  const logger = new RecordingLogger();
  const monitor = new Monitor({ config, backend, planner: planIpvs, checkers, clock, logger });
  return { clock, checkers, backend, logger, monitor };
}

const until = async (clock: FakeClock, done: () => boolean, limitMs = 60_000): Promise<void> => {
  for (let t = 0; !done(); t += 100) {
    if (t > limitMs) throw new Error('condition not met');
    await clock.advance(100);
  }
};

test('start, checks, the ipvsadm commands of the original form', async () => {
  const v = makeVirtual({
    reals: [makeReal('127.0.4.2', 8080), makeReal('127.0.4.3', 8080, { weight: 5 })],
  });
  const s = setup(makeConfig([v]));
  s.checkers.set('127.0.4.2', true);
  s.checkers.set('127.0.4.3', false);
  await s.monitor.start();
  assert.deepEqual(s.backend.commandLines, [
    '-A -t 10.1.1.1:80 -s wrr',
    '-a -t 10.1.1.1:80 -x 0 -y 0 -r 127.0.4.2:8080 -m -w 1',
  ]);
  assert.ok(
    s.logger
      .messages('info')
      .includes('Added real server: 127.0.4.2:8080 (10.1.1.1:80) (Weight set to 1)'),
  );
  s.checkers.set('127.0.4.3', true);
  s.checkers.set('127.0.4.2', false);
  await until(s.clock, () =>
    s.monitor.status().virtuals[0]!.reals.every((r) => r.up !== (r.address === '127.0.4.2')),
  );
  await s.clock.advance(200);
  assert.deepEqual(s.backend.commandLines.slice(2).sort(), [
    '-a -t 10.1.1.1:80 -x 0 -y 0 -r 127.0.4.3:8080 -m -w 5',
    '-d -t 10.1.1.1:80 -r 127.0.4.2:8080',
  ]);
  await s.monitor.stop();
  assert.deepEqual(s.backend.table, { services: [] }, 'cleanstop removed the virtual');
});

test('a restart after kill -9 keeps the healthy reals in the table', async () => {
  const v = makeVirtual({ reals: [makeReal('127.0.4.2', 8080), makeReal('127.0.4.3', 8080)] });
  const table = tableWith([
    {
      virtual: v,
      reals: [
        { address: '127.0.4.2', port: 8080, weight: 1 },
        { address: '127.0.4.3', port: 8080, weight: 1 },
      ],
    },
  ]);
  const s = setup(makeConfig([v]), table);
  s.checkers.set('127.0.4.2', true);
  s.checkers.set('127.0.4.3', false);
  await s.monitor.start();
  const lines = s.backend.commandLines;
  assert.ok(!lines.some((l) => l.includes('127.0.4.2')), `healthy real untouched: ${lines}`);
  assert.ok(lines.includes('-d -t 10.1.1.1:80 -r 127.0.4.3:8080'));
  await s.monitor.stop();
});

test('a mass failure is one ipvsadm batch', async () => {
  const reals = Array.from({ length: 50 }, (_, i) => makeReal(`127.0.4.${10 + i}`, 80));
  const virtuals = [
    makeVirtual({ reals }),
    makeVirtual({ address: '10.1.1.2', reals: reals.map((r) => ({ ...r })) }),
  ];
  const s = setup(makeConfig(virtuals));
  for (const r of reals) s.checkers.set(r.address, true);
  await s.monitor.start();
  const runs = s.backend.runs.length;
  // The checks start at their own phases over the next interval and all fail at the same
  // moment (their switch dies): 100 removals, one window, one batch.
  const failAt = s.clock.now() + 15_000;
  for (const r of reals)
    s.checkers.answers.set(
      r.address,
      () =>
        new Promise<CheckResult>((resolve) =>
          s.clock.setTimeout(() => resolve({ up: false, reason: 'reset' }), failAt - s.clock.now()),
        ),
    );
  await s.clock.advance(15_200);
  assert.ok(s.backend.table.services.every((x) => x.destinations.length === 0));
  const batches = s.backend.runs.slice(runs).filter((r) => r.args[0] === '-R');
  assert.equal(batches.length, 1, 'one ipvsadm -R for 100 removals');
  assert.equal(batches[0]!.input.split('\n').filter((l) => l.startsWith('-d')).length, 100);
  // A check whose slot falls in the last 200 ms also starts; which ones depends on the phases.
  assert.equal(
    s.checkers.calls.filter((c) => c.at < failAt).length,
    100,
    'each real checked twice before the failure: shared by both virtuals',
  );
  await s.monitor.stop();
});

test('a refused command is retried until the kernel takes it', async () => {
  const v = makeVirtual({ reals: [makeReal('127.0.4.2', 80)] });
  let refuse = true;
  const s = setup(makeConfig([v]), undefined, (line) =>
    refuse && line.startsWith('-a') ? 'Memory allocation problem' : undefined,
  );
  s.checkers.set('127.0.4.2', true);
  await s.monitor.start();
  assert.ok(
    s.logger
      .messages('error')
      .some((m) => m.includes('-r 127.0.4.2:80') && m.includes('Memory allocation problem')),
  );
  assert.deepEqual(s.monitor.status().pending.reals, 1);
  refuse = false;
  await s.clock.advance(1000);
  assert.equal(s.backend.table.services[0]!.destinations.length, 1);
  assert.deepEqual(s.monitor.status().pending, { reals: 0, reconcile: false });
  await s.monitor.stop();
});

test('a reload keeps healthy reals in place and adds the new one', async () => {
  const v1 = makeVirtual({ reals: [makeReal('127.0.4.2', 80)] });
  const s = setup(makeConfig([v1]));
  s.checkers.set('127.0.4.2', true);
  s.checkers.set('127.0.4.3', true);
  await s.monitor.start();
  const before = s.backend.commandLines.length;
  const v2 = makeVirtual({ reals: [makeReal('127.0.4.2', 80), makeReal('127.0.4.3', 80)] });
  await s.monitor.reload(makeConfig([v2]));
  const after = s.backend.commandLines.slice(before);
  assert.ok(!after.some((l) => l.startsWith('-d')), `nothing removed: ${after}`);
  assert.ok(after.includes('-a -t 10.1.1.1:80 -x 0 -y 0 -r 127.0.4.3:80 -m -w 1'), String(after));
  await s.monitor.stop();
});
