// What each cluster test file does first: decide whether it can run (guest prerequisites, the
// manager's and program's packages; as root a missing package fails, otherwise the file skips),
// boot the cluster before its tests and close it after them. And the heartbeat steps, which
// both programs run alike.
//
// Each test of the file is a step: whatever fails in it, an assertion too, fails with both
// directors' logs and kernel tables and the client's last requests.
//
//   const { step, cluster } = clusterUnderTest('ldirectord-ts', 'pacemaker');
//   step('...', async () => { await clusterStarts(cluster(), 'ld1', 'ld2'); });
import assert from 'node:assert/strict';
import { after, before, type TestContext, test } from 'node:test';
import { guestPrerequisites, missingAsRoot } from './guest-prerequisites.ts';
import {
  type ClusterManager,
  clusterPrerequisites,
  type DirectorProgram,
  DirectorPair,
} from './ha-cluster.ts';
import {
  clusterStarts,
  heartbeatManualFailover,
  heartbeatNodeReturns,
  heartbeatResources,
  ldirectordStatus,
  masterDies,
  realServerFails,
} from './ha-scenarios.ts';

const CLUSTER_TIER_VARIABLE = 'LDTS_CLUSTER_TESTS';
const CLUSTER_TIER_REQUESTED = process.env[CLUSTER_TIER_VARIABLE] === '1';

export function clusterUnderTest(
  program: DirectorProgram,
  manager: ClusterManager,
): {
  cluster: () => DirectorPair;
  step: (name: string, body: (t: TestContext) => Promise<void>) => void;
} {
  const guests = guestPrerequisites();
  const problems = [
    ...(guests.ok ? [] : guests.problems),
    ...clusterPrerequisites(manager, program),
  ];
  const root = process.getuid?.() === 0;
  // Three emulated guests per cluster and the steps' waits cost 5 to 10 minutes a file on two
  // cores, past what `npm test` may take in all (20 minutes): the tier runs on request.
  const skip = !CLUSTER_TIER_REQUESTED
    ? `the cluster tier runs with ${CLUSTER_TIER_VARIABLE}=1 (npm run test:cluster)`
    : problems.length === 0 || root
      ? false
      : `needs root: ${problems.join('; ')}`;
  let pair: DirectorPair | undefined;
  before(
    async (t) => {
      if (skip !== false) return;
      if (problems.length > 0) throw new Error(missingAsRoot(problems));
      pair = await DirectorPair.start({
        program,
        manager,
        host: guests.ok ? guests.host : undefined,
        note: (line) => t.diagnostic(line),
      });
    },
    // Other cluster files may hold the machine's cluster lock first (ha-cluster.ts).
    { timeout: 30 * 60_000 },
  );
  after(async () => {
    await pair?.close();
  });
  const cluster = (): DirectorPair => {
    if (!pair) throw new Error('the cluster did not start');
    return pair;
  };
  const step = (name: string, body: (t: TestContext) => Promise<void>): void => {
    test(name, { skip }, async (t) => {
      try {
        await body(t);
      } catch (error) {
        throw pair ? await pair.failure(error) : error;
      }
    });
  };
  return { cluster, step };
}

export const seconds = (ms: number): string => `${(ms / 1000).toFixed(1)} s`;

/**
 * Issue 13's heartbeat steps 1-4 as node:test tests, the same for either program; `afterStart`
 * adds the program's own checks once ld1 serves.
 */
export function heartbeatClusterTests(
  program: DirectorProgram,
  afterStart?: (c: DirectorPair) => Promise<void>,
): void {
  const { step, cluster: c } = clusterUnderTest(program, 'heartbeat');
  const name = program === 'perl' ? 'the Perl original' : 'ldirectord-ts';

  step(
    `1. ld1 takes the VIP, ${name} builds the table; the client gets answers from both reals`,
    async () => {
      await clusterStarts(c(), 'ld1', 'ld2');
      assert.equal(await heartbeatResources(c(), 'ld1'), 'local', 'heartbeat: its own group');
      assert.equal(await ldirectordStatus(c(), 'ld1'), 0, 'status: running');
      await afterStart?.(c());
    },
  );

  step(
    '2. a real server fails: it leaves the table, the client sees no errors after; it comes back',
    async (t) => {
      const { removalMs, failures } = await realServerFails(c(), 'ld1');
      t.diagnostic(
        `r1 out of the table ${seconds(removalMs)} after its server stopped; ${failures} requests failed before`,
      );
    },
  );

  step(`3. ld1 is killed: ld2 takes the VIP, starts ${name}, the client recovers`, async (t) => {
    const takeover = await masterDies(c(), 'ld1', 'ld2');
    t.diagnostic(
      `client outage ${seconds(takeover.outage.ms)}; VIP to full table on ld2 ${seconds(takeover.vipToTableMs)}`,
    );
    assert.equal(await heartbeatResources(c(), 'ld2'), 'all', 'heartbeat: both groups');
    assert.equal(await ldirectordStatus(c(), 'ld2'), 0, 'status: running');
  });

  step(
    '4. ld1 returns: the VIP stays on ld2 (auto_failback off); hb_takeover moves it back cleanly',
    async (t) => {
      await heartbeatNodeReturns(c(), 'ld1', 'ld2');
      const takeover = await heartbeatManualFailover(c(), 'ld1', 'ld2');
      t.diagnostic(
        `client outage ${seconds(takeover.outage.ms)}; VIP to full table on ld1 ${seconds(takeover.vipToTableMs)}`,
      );
    },
  );
}
