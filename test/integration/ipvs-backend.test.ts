// IpvsadmBackend against the fake ipvsadm (a real process per call), and DryRunBackend: one
// batch per plan read back by the same process, one-at-a-time fallback for the entries that
// differ, a hung ipvsadm killed, an exit-2 batch, and convergence once a fault clears.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import type { RealServer, VirtualService } from '../../src/config/model.ts';
import { IpvsadmBackend, type IpvsBackend, locateIpvsadm } from '../../src/ipvs/backend.ts';
import { DryRunBackend } from '../../src/ipvs/emulator/dry-run.ts';
import type { IpvsTable } from '../../src/ipvs/model.ts';
import { planIpvs } from '../../src/ipvs/plan.ts';
import { tablesEqual } from '../../src/ipvs/table.ts';
import { config, real, virtual } from '../support/ipvs-fixtures.ts';

const FAKE = new URL('../support/fake-ipvsadm/ipvsadm', import.meta.url).pathname;

function fake(options: { timeoutMs?: number; faults?: unknown[] } = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'ipvs-backend-'));
  const state = join(dir, 'state.json');
  const log = join(dir, 'log');
  writeFileSync(state, JSON.stringify({ services: [], faults: options.faults ?? [] }));
  const backend = new IpvsadmBackend({
    path: FAKE,
    timeoutMs: options.timeoutMs ?? 20_000,
    env: { ...process.env, FAKE_IPVSADM_STATE: state, FAKE_IPVSADM_LOG: log },
  });
  return {
    backend,
    /** ipvsadm processes started so far. */
    invocations: () => readFileSync(log, 'utf8').split('\n').filter(Boolean).length,
    setFaults(faults: unknown[]) {
      const s = JSON.parse(readFileSync(state, 'utf8'));
      writeFileSync(state, JSON.stringify({ ...s, faults }));
    },
  };
}

const reals = [real('10.0.0.2', 80), real('10.0.0.3', 80), real('10.0.0.4', 80)];
const v = virtual({ address: '10.0.0.1', port: 80 }, reals);
const cfg = config([v]);
const allUp = () => true;
const startPlan = (actual: IpvsTable) =>
  planIpvs({ config: cfg, actual, isUp: allUp, scope: { kind: 'start' } });
const addresses = (t: IpvsTable) => t.services.flatMap((s) => s.destinations.map((d) => d.address));

describe('IpvsadmBackend with the fake ipvsadm', () => {
  test('a plan is one -R batch that also reads the table back', async () => {
    const f = fake();
    const before = await f.backend.read();
    assert.deepEqual(before, { services: [] });
    const plan = startPlan(before);
    const result = await f.backend.apply(plan);
    assert.deepEqual(result.failed, []);
    assert.equal(result.processes, 1);
    assert.ok(tablesEqual(result.table, plan.expected));
    assert.equal(f.invocations(), 2, 'one read, one batch');
    const idle = await f.backend.apply(startPlan(result.table));
    assert.deepEqual([idle.processes, idle.failed], [0, []], 'an idle tick starts nothing');
    assert.equal(f.invocations(), 2);
  });

  test('one bad entry neither hides nor blocks the others', async () => {
    const f = fake({
      faults: [{ match: '-r 10\\.0\\.0\\.3:', error: 'Memory allocation problem' }],
    });
    const result = await f.backend.apply(startPlan(await f.backend.read()));
    assert.deepEqual(
      result.failed.map((x) => [x.command.line, x.message]),
      [['-a -t 10.0.0.1:80 -x 0 -y 0 -r 10.0.0.3:80 -m -w 1', 'Memory allocation problem']],
    );
    assert.deepEqual(addresses(result.table).sort(), ['10.0.0.2', '10.0.0.4']);
    assert.equal(result.processes, 3, 'batch, the bad entry alone, read back');
  });

  test('an ipvsadm error ends the batch (exit 2); the rest still goes in, one at a time', async () => {
    const f = fake({
      faults: [{ match: '-r 10\\.0\\.0\\.3:', fatal: 'illegal weight specified', exitCode: 2 }],
    });
    const result = await f.backend.apply(startPlan(await f.backend.read()));
    assert.deepEqual(
      result.failed.map((x) => x.message),
      ['illegal weight specified'],
    );
    assert.deepEqual(addresses(result.table).sort(), ['10.0.0.2', '10.0.0.4']);
    // batch (no listing came back), read, the two lines it never ran, read back
    assert.equal(result.processes, 5);
  });

  test('a hung ipvsadm is killed after the timeout and reported', async () => {
    const f = fake({ timeoutMs: 1500, faults: [{ match: '-r 10\\.0\\.0\\.3:', hang: true }] });
    const started = Date.now();
    const result = await f.backend.apply(startPlan(await f.backend.read()));
    const elapsed = Date.now() - started;
    assert.deepEqual(
      result.failed.map((x) => x.message),
      ['did not finish within 1500 ms and was killed'],
    );
    assert.deepEqual(addresses(result.table).sort(), ['10.0.0.2', '10.0.0.4']);
    assert.ok(elapsed >= 3000 && elapsed < 15_000, `two timeouts, no more (${elapsed} ms)`);
  });

  test('the next tick converges once the fault clears', async () => {
    const f = fake({
      faults: [{ match: '-r 10\\.0\\.0\\.3:', error: 'Memory allocation problem' }],
    });
    const first = await f.backend.apply(startPlan(await f.backend.read()));
    assert.equal(first.failed.length, 1);
    const retry = (table: IpvsTable) =>
      planIpvs({
        config: cfg,
        actual: table,
        isUp: allUp,
        scope: {
          kind: 'entries',
          reals: first.failed.map(() => ({ virtual: v, real: reals[1]! })),
        },
      });
    const stillFailing = await f.backend.apply(retry(first.table));
    assert.equal(stillFailing.failed.length, 1);
    f.setFaults([]);
    const second = await f.backend.apply(retry(stillFailing.table));
    assert.deepEqual([second.failed, second.processes], [[], 1]);
    assert.deepEqual(addresses(second.table).sort(), ['10.0.0.2', '10.0.0.3', '10.0.0.4']);
  });

  test('a failing read is an error, not an empty table', async () => {
    const f = fake({
      faults: [{ match: '^-R$', error: "Can't initialize ipvs: Protocol not available" }],
    });
    await assert.rejects(f.backend.read(), /Protocol not available/);
  });
});

describe('DryRunBackend', () => {
  test('records the commands, with the same fallback as the real backend', async () => {
    const dry = new DryRunBackend({
      fault: (args) =>
        args.includes('10.0.0.3:80')
          ? { kind: 'error', message: 'No such destination' }
          : undefined,
    });
    const backend: IpvsBackend = dry;
    const result = await backend.apply(startPlan(await backend.read()));
    assert.deepEqual(
      result.failed.map((x) => x.message),
      ['No such destination'],
    );
    assert.deepEqual(dry.commandLines, [
      '-A -t 10.0.0.1:80 -s wrr',
      '-a -t 10.0.0.1:80 -x 0 -y 0 -r 10.0.0.2:80 -m -w 1',
      '-a -t 10.0.0.1:80 -x 0 -y 0 -r 10.0.0.3:80 -m -w 1',
      '-a -t 10.0.0.1:80 -x 0 -y 0 -r 10.0.0.4:80 -m -w 1',
      '-a -t 10.0.0.1:80 -x 0 -y 0 -r 10.0.0.3:80 -m -w 1',
    ]);
    assert.deepEqual(addresses(dry.table).sort(), ['10.0.0.2', '10.0.0.4']);
  });

  test("record: false (the daemon's --dry-run) applies the same, keeping no runs", async () => {
    const kept = new DryRunBackend();
    const unkept = new DryRunBackend({ record: false });
    await kept.apply(startPlan(await kept.read()));
    await unkept.apply(startPlan(await unkept.read()));
    assert.deepEqual(unkept.table, kept.table);
    assert.ok(kept.runs.length > 0);
    assert.deepEqual(unkept.runs, []);
  });

  test('stop with cleanstop removes the virtual', async () => {
    const dry = new DryRunBackend();
    await dry.apply(startPlan(await dry.read()));
    const isUp = (_v: VirtualService, _r: RealServer) => true;
    const stop = planIpvs({ config: cfg, actual: dry.table, isUp, scope: { kind: 'stop' } });
    const result = await dry.apply(stop);
    assert.deepEqual([result.failed, result.table], [[], { services: [] }]);
  });
});

describe('locating ipvsadm', () => {
  test('--ipvsadm, then $LDIRECTORD_IPVSADM, then ./ipvsadm with -d, then /sbin, /usr/sbin', () => {
    const dir = mkdtempSync(join(tmpdir(), 'ipvs-locate-'));
    assert.equal(
      locateIpvsadm({ explicit: '/x/ipvsadm', env: { LDIRECTORD_IPVSADM: '/y' } }),
      '/x/ipvsadm',
    );
    assert.equal(locateIpvsadm({ env: { LDIRECTORD_IPVSADM: '/y' }, debug: true, cwd: dir }), '/y');
    const system = locateIpvsadm({ env: {}, cwd: dir, debug: true });
    assert.ok(system === undefined || ['/sbin/ipvsadm', '/usr/sbin/ipvsadm'].includes(system));
    symlinkSync(FAKE, join(dir, 'ipvsadm'));
    assert.equal(locateIpvsadm({ env: {}, cwd: dir, debug: true }), './ipvsadm');
    assert.equal(locateIpvsadm({ env: {}, cwd: dir, debug: false }), system);
  });
});
