// Issue 13, scenario 6: the Perl original in the same heartbeat v1 cluster, as the reference
// for heartbeat-cluster.test.ts: the same steps (ha-scenarios.ts) must give the same tables.
// /etc/ha.d/resource.d/ldirectord is the Debian package's link to /usr/sbin/ldirectord.
// Where the two differ, the assertions say so: heartbeat's ResourceManager never reads the
// original as running (its status goes to stderr), so `cl_status rscstatus` still tracks the
// group (heartbeat runs start and stop regardless) while `ResourceManager status` says stopped.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { guestPrerequisites, missingAsRoot } from '../support/guest-prerequisites.ts';
import { clusterPrerequisites, DirectorPair } from '../support/ha-cluster.ts';
import {
  clusterStarts,
  heartbeatManualFailover,
  heartbeatNodeReturns,
  heartbeatResources,
  ldirectordStatus,
  masterDies,
  realServerFails,
} from '../support/ha-scenarios.ts';

const guests = guestPrerequisites();
const problems = [
  ...(guests.ok ? [] : guests.problems),
  ...clusterPrerequisites('heartbeat', 'perl'),
];
const root = process.getuid?.() === 0;
const skip = problems.length === 0 || root ? false : `needs root: ${problems.join('; ')}`;

let cluster: DirectorPair;

before(
  async (t) => {
    if (skip) return;
    if (problems.length > 0) throw new Error(missingAsRoot(problems));
    cluster = await DirectorPair.start({
      program: 'perl',
      manager: 'heartbeat',
      host: guests.ok ? guests.host : undefined,
      note: (line) => t.diagnostic(line),
    });
  },
  { timeout: 240_000 },
);

after(async () => {
  await cluster?.close();
});

const seconds = (ms: number): string => `${(ms / 1000).toFixed(1)} s`;

test(
  '1. ld1 takes the VIP and the original builds the same table; both reals answer',
  { skip },
  async () => {
    await clusterStarts(cluster, 'ld1', 'ld2');
    assert.equal(await heartbeatResources(cluster, 'ld1'), 'local');
    assert.equal(await ldirectordStatus(cluster, 'ld1'), 0, 'its own status: running');
    const rm = await cluster.sh(
      'ld1',
      '/usr/share/heartbeat/ResourceManager status ldirectord::ldirectord.cf; echo "rm $?"',
    );
    assert.match(rm, /^rm 3$/m, 'ResourceManager reads the original as stopped');
  },
);

test('2. a real server fails: the same table without it, and back', { skip }, async (t) => {
  const { removalMs, failures } = await realServerFails(cluster, 'ld1');
  t.diagnostic(
    `r1 out of the table ${seconds(removalMs)} after its server stopped; ${failures} requests failed before`,
  );
});

test('3. ld1 is killed: ld2 takes the VIP and starts the original', { skip }, async (t) => {
  const takeover = await masterDies(cluster, 'ld1', 'ld2');
  t.diagnostic(
    `client outage ${seconds(takeover.outage.ms)}; VIP to full table on ld2 ${seconds(takeover.vipToTableMs)}`,
  );
  assert.equal(await ldirectordStatus(cluster, 'ld2'), 0);
});

test(
  '4. ld1 returns, the VIP stays; hb_takeover moves it back and ld2 keeps no table',
  { skip },
  async (t) => {
    await heartbeatNodeReturns(cluster, 'ld1', 'ld2');
    const takeover = await heartbeatManualFailover(cluster, 'ld1', 'ld2');
    t.diagnostic(
      `client outage ${seconds(takeover.outage.ms)}; VIP to full table on ld1 ${seconds(takeover.vipToTableMs)}`,
    );
  },
);
