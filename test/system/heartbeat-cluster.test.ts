// Issue 13 on real kernels: two directors under heartbeat v1 (haresources
// `ld1 IPaddr2::<VIP>/24/eth0 ldirectord::ldirectord.cf`, auto_failback off), ldirectord-ts
// installed as the drop-in /etc/ha.d/resource.d/ldirectord, LVS-DR to two real servers, and a
// client sending a request every 200 ms through the VIP the whole time (test/support/ha-cluster.ts
// has the topology). heartbeat-cluster-perl.test.ts runs the same steps with the Perl original.
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
  ...clusterPrerequisites('heartbeat', 'ldirectord-ts'),
];
const root = process.getuid?.() === 0;
const skip = problems.length === 0 || root ? false : `needs root: ${problems.join('; ')}`;

let cluster: DirectorPair;

before(
  async (t) => {
    if (skip) return;
    if (problems.length > 0) throw new Error(missingAsRoot(problems));
    cluster = await DirectorPair.start({
      program: 'ldirectord-ts',
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

test(
  '1. ld1 takes the VIP and builds the table; the client gets answers from both reals',
  { skip },
  async () => {
    await clusterStarts(cluster, 'ld1', 'ld2');
    assert.equal(await heartbeatResources(cluster, 'ld1'), 'local', 'its own group');
    assert.equal(
      await ldirectordStatus(cluster, 'ld1'),
      0,
      'heartbeat reads ldirectord-ts as running',
    );
  },
);

test(
  '2. a real server fails: it leaves the table, the client sees no errors after; it comes back',
  { skip },
  async (t) => {
    const { removalMs, failures } = await realServerFails(cluster, 'ld1');
    t.diagnostic(
      `r1 out of the table ${(removalMs / 1000).toFixed(1)} s after its server stopped; ${failures} requests failed before`,
    );
  },
);

test(
  '3. ld1 is killed: ld2 takes the VIP, starts ldirectord-ts, the client recovers',
  { skip },
  async (t) => {
    const takeover = await masterDies(cluster, 'ld1', 'ld2');
    t.diagnostic(
      `client outage ${(takeover.outage.ms / 1000).toFixed(1)} s; VIP to full table on ld2 ${(takeover.vipToTableMs / 1000).toFixed(1)} s`,
    );
    assert.equal(await heartbeatResources(cluster, 'ld2'), 'all');
    assert.equal(await ldirectordStatus(cluster, 'ld2'), 0);
  },
);

test(
  '4. ld1 returns: the VIP stays on ld2 (auto_failback off); hb_takeover moves it back cleanly',
  { skip },
  async (t) => {
    await heartbeatNodeReturns(cluster, 'ld1', 'ld2');
    const takeover = await heartbeatManualFailover(cluster, 'ld1', 'ld2');
    t.diagnostic(
      `client outage ${(takeover.outage.ms / 1000).toFixed(1)} s; VIP to full table on ld1 ${(takeover.vipToTableMs / 1000).toFixed(1)} s`,
    );
  },
);
