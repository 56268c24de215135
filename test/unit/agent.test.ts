// agentport: HAProxy's agent-check reply read word by word, the state each reply leaves, and
// the monitor combining it with the health check under fake time: weights scaled, drain at
// weight 0, down and maint out until the agent itself says otherwise, an unreachable agent
// changing nothing, the fallback when the agents take every real out, reloads.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseAgentReply } from '../../src/checkers/agent.ts';
import type { VirtualService } from '../../src/config/model.ts';
import { DryRunBackend } from '../../src/ipvs/emulator/dry-run.ts';
import { planIpvs } from '../../src/ipvs/plan.ts';
import {
  AGENT_START,
  type AgentState,
  agentAllows,
  agentWeight,
  applyAgentReply,
  describeAgent,
} from '../../src/monitor/agent-state.ts';
import { harness } from '../support/monitor-harness.ts';
import { makeConfig, makeReal, makeVirtual } from '../support/monitor-fixtures.ts';

test('a reply is words in any order, separated by spaces, tabs or commas, any case', () => {
  assert.deepEqual(parseAgentReply('75%\n'), { percent: 75, ignored: [] });
  assert.deepEqual(parseAgentReply('DRAIN'), { admin: 'drain', ignored: [] });
  assert.deepEqual(parseAgentReply('up,\tready 50%\r\n'), {
    operational: 'up',
    admin: 'ready',
    percent: 50,
    ignored: [],
  });
  assert.deepEqual(parseAgentReply('maint maxconn:30 hello'), {
    admin: 'maint',
    ignored: ['maxconn:30', 'hello'],
  });
  assert.deepEqual(parseAgentReply('  , '), { ignored: [] });
  assert.deepEqual(parseAgentReply('drain ready'), { admin: 'ready', ignored: [] }, 'last wins');
  assert.deepEqual(parseAgentReply('ready\nmaint'), { admin: 'ready', ignored: [] }, 'one line');
});

test('down, failed and stopped mark it down, with the description after #', () => {
  assert.deepEqual(parseAgentReply('down#disk full'), {
    operational: 'down',
    word: 'down',
    description: 'disk full',
    ignored: [],
  });
  assert.deepEqual(parseAgentReply('Failed 10% # out of memory '), {
    operational: 'down',
    word: 'failed',
    percent: 10,
    description: 'out of memory',
    ignored: [],
  });
  assert.deepEqual(parseAgentReply('stopped'), {
    operational: 'down',
    word: 'stopped',
    ignored: [],
  });
  assert.deepEqual(parseAgentReply('up # fine'), { operational: 'up', ignored: [] });
});

test('each reply changes what it names; only the agent undoes what it said', () => {
  const steps: Array<[reply: string, allows: boolean, weight: number, words: string]> = [
    ['50%', true, 5, 'weight 50%'],
    ['drain', true, 0, 'drain, weight 50%'],
    ['ready', true, 5, 'weight 50%'],
    ['down#upgrade', false, 5, 'down (down: upgrade), weight 50%'],
    ['100%', false, 10, 'down (down: upgrade), weight 100%'],
    ['up', true, 10, 'weight 100%'],
    ['maint', false, 10, 'maint, weight 100%'],
    ['up', false, 10, 'maint, weight 100%'],
    ['ready 300%', true, 30, 'weight 300%'],
    ['0%', true, 0, 'weight 0%'],
  ];
  let state: AgentState = AGENT_START;
  assert.equal(describeAgent(state), 'ready');
  for (const [reply, allows, weight, words] of steps) {
    state = applyAgentReply(state, parseAgentReply(reply), reply, 0);
    assert.deepEqual(
      [agentAllows(state), agentWeight(state, 10), describeAgent(state)],
      [allows, weight, words],
      reply,
    );
  }
  // A percentage of a small weight rounds down, as HAProxy's does.
  assert.equal(agentWeight(applyAgentReply(AGENT_START, parseAgentReply('75%'), '', 0), 1), 0);
  assert.equal(agentAllows(undefined), true);
  assert.equal(agentWeight(undefined, 7), 7);
});

// ---- the monitor -----------------------------------------------------------------------------

const A = '127.0.0.2';
const B = '127.0.0.3';

function agentVirtual(extra: Partial<VirtualService> = {}): VirtualService {
  return makeVirtual({
    checktype: 'connect',
    agentport: 5555,
    agentinterval: 2,
    checkinterval: 10,
    checktimeout: 1,
    fallback: { address: '127.0.0.9', port: 80, forward: 'masq', line: 1 },
    reals: [makeReal(A, 80, { weight: 10 }), makeReal(B, 80, { weight: 10 })],
    ...extra,
  });
}

function agentHarness(virtuals: VirtualService[]) {
  const backend = new DryRunBackend();
  const h = harness(makeConfig(virtuals), { monitor: { backend, planner: planIpvs } });
  const table = (): string[] =>
    backend.table.services.flatMap((s) =>
      s.destinations.map((d) => `${d.address}:${d.port} w${d.weight}`).sort(),
    );
  return { ...h, backend, table };
}

test('the agent scales the weight; drain keeps the real in at weight 0', async () => {
  const h = agentHarness([agentVirtual()]);
  h.checkers.set(A, true);
  h.checkers.set(B, true);
  h.checkers.agentReplies.set(A, '50%\n');
  h.checkers.agentReplies.set(B, 'ready\n');
  await h.start();
  assert.deepEqual(h.table(), ['127.0.0.2:80 w5', '127.0.0.3:80 w10']);
  assert.deepEqual(h.real('tcp:10.1.1.1:80', A).agent, {
    endpoint: '127.0.0.2:5555',
    state: 'weight 50%',
    allows: true,
    weight: 5,
    reply: '50%\n',
    at: new Date(h.clock.now()).toISOString(),
  });

  h.checkers.agentReplies.set(A, 'drain');
  await h.until(() => h.table().includes('127.0.0.2:80 w0'), 5000);
  assert.ok(
    h.logger
      .messages('info')
      .includes('Agent 127.0.0.2:5555 says "drain": drain, weight 50% (was weight 50%)'),
  );
  assert.ok(
    h.logger
      .messages('info')
      .some((m) => /^Restored real server: 127\.0\.0\.2:80 .*Weight set to 0/.test(m)),
  );
  // Checked every agentinterval (2 s), not every checkinterval.
  const queries = h.checkers.calls.filter((c) => c.kind === 'agent' && c.host === A);
  assert.ok(queries.length >= 2 && queries.length <= 4, String(queries.length));
});

test('down and maint take the real out whatever its check says; an unreachable agent changes nothing', async () => {
  const h = agentHarness([agentVirtual()]);
  h.checkers.set(A, true);
  h.checkers.set(B, true);
  h.checkers.agentReplies.set(A, 'up');
  h.checkers.agentReplies.set(B, 'up');
  await h.start();
  assert.deepEqual(h.table(), ['127.0.0.2:80 w10', '127.0.0.3:80 w10']);

  h.checkers.agentReplies.set(A, 'down#maintenance window');
  await h.until(() => !h.table().some((e) => e.startsWith(A)), 5000);
  assert.equal(h.real('tcp:10.1.1.1:80', A).up, true, 'its check still passes');
  assert.equal(h.real('tcp:10.1.1.1:80', A).agent?.state, 'down (down: maintenance window)');

  h.checkers.agentReplies.set(A, false);
  await h.clock.advance(6000);
  assert.ok(!h.table().some((e) => e.startsWith(A)), 'still out');
  const silent = h.logger.messages('info').filter((m) => m.includes('did not reply'));
  assert.deepEqual(silent, [
    'Agent 127.0.0.2:5555 did not reply (Connection refused): its state is kept',
  ]);
  assert.equal(h.real('tcp:10.1.1.1:80', A).agent?.error, 'Connection refused');

  h.checkers.agentReplies.set(A, 'up');
  await h.until(() => h.table().includes('127.0.0.2:80 w10'), 5000);
  assert.equal(h.real('tcp:10.1.1.1:80', A).agent?.error, undefined);

  // The agent's up does not overrule a failing check.
  h.checkers.set(B, false);
  await h.until(() => !h.table().some((e) => e.startsWith(B)), 30_000);
  h.checkers.agentReplies.set(B, 'up ready');
  await h.clock.advance(4000);
  assert.ok(!h.table().some((e) => e.startsWith(B)));
  h.checkers.set(B, true);
  await h.until(() => h.table().includes('127.0.0.3:80 w10'), 30_000);

  h.checkers.agentReplies.set(B, 'maint');
  await h.until(() => !h.table().some((e) => e.startsWith(B)), 5000);
  h.checkers.agentReplies.set(B, 'ready');
  await h.until(() => h.table().includes('127.0.0.3:80 w10'), 5000);
});

test('when the agents take every real out, the fallback server goes in, and out again', async () => {
  const h = agentHarness([agentVirtual()]);
  h.checkers.set(A, true);
  h.checkers.set(B, true);
  h.checkers.agentReplies.set(A, 'ready');
  h.checkers.agentReplies.set(B, 'ready');
  await h.start();
  h.checkers.agentReplies.set(A, 'maint');
  h.checkers.agentReplies.set(B, 'stopped');
  await h.until(() => h.table().join() === '127.0.0.9:80 w1', 5000);
  assert.equal(h.monitor.status().virtuals[0]!.fallbackActive, true);
  h.checkers.agentReplies.set(B, 'up');
  await h.until(() => h.table().join() === '127.0.0.3:80 w10', 5000);
});

test('one agent query serves the real in every virtual; a reload without agentport forgets it', async () => {
  const first = agentVirtual({ reals: [makeReal(A, 80, { weight: 10 })] });
  const second = agentVirtual({
    port: 81,
    written: '10.1.1.1:81',
    reals: [makeReal(A, 80, { weight: 4 })],
  });
  const h = agentHarness([first, second]);
  h.checkers.set(A, true);
  h.checkers.agentReplies.set(A, '50%');
  await h.start();
  assert.deepEqual(h.table(), ['127.0.0.2:80 w5', '127.0.0.2:80 w2']);
  const before = h.checkers.calls.filter((c) => c.kind === 'agent').length;
  await h.clock.advance(10_000);
  const queries = h.checkers.calls.filter((c) => c.kind === 'agent').length - before;
  assert.ok(queries >= 4 && queries <= 6, `one job every 2 s: ${queries}`);

  const { agentport: _port, ...withoutAgent } = first;
  await h.monitor.reload(makeConfig([{ ...withoutAgent, agentinterval: 10 }]));
  assert.deepEqual(h.table(), ['127.0.0.2:80 w10']);
  assert.equal(h.real('tcp:10.1.1.1:80', A).agent, undefined);
  const after = h.checkers.calls.filter((c) => c.kind === 'agent').length;
  await h.clock.advance(10_000);
  assert.equal(h.checkers.calls.filter((c) => c.kind === 'agent').length, after, 'no more queries');
});
