// Issue 13, scenario 5: the same two directors under corosync + Pacemaker, as the heartbeat v1
// haresources line becomes after the migration to the CRM: a group of ocf:heartbeat:IPaddr2 and
// ocf:heartbeat:ldirectord (ldirectord=/usr/sbin/ldirectord-ts) with its monitor running,
// configured with crmsh (test/support/ha-cluster.ts has the topology and the configuration).
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { guestPrerequisites, missingAsRoot } from '../support/guest-prerequisites.ts';
import { clusterPrerequisites, crmConfiguration, DirectorPair } from '../support/ha-cluster.ts';
import {
  brokenConfigMovesGroup,
  clusterStarts,
  groupLocation,
  ldirectordStatus,
  masterDies,
  operationResults,
  pacemakerConfigure,
  pacemakerMove,
  repairConfig,
} from '../support/ha-scenarios.ts';

const guests = guestPrerequisites();
const problems = [
  ...(guests.ok ? [] : guests.problems),
  ...clusterPrerequisites('pacemaker', 'ldirectord-ts'),
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
      manager: 'pacemaker',
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
  'the group starts on ld1, its monitor runs; the client gets answers from both reals',
  { skip },
  async () => {
    await pacemakerConfigure(cluster, 'ld1', crmConfiguration('ldirectord-ts'));
    await clusterStarts(cluster, 'ld1', 'ld2');
    await cluster.until(
      'a monitor of lvs on ld1',
      () => operationResults(cluster, 'monitor', 'lvs', 'ld1').includes('ok'),
      120_000,
    );
    assert.deepEqual(operationResults(cluster, 'start', 'lvs', 'ld1'), ['ok']);
    assert.equal(await groupLocation(cluster, 'ld2'), 'ld1');
  },
);

test(
  'a config error in ldirectord.cf on ld1 fails the resource; the group moves to ld2 and stays',
  { skip },
  async (t) => {
    const takeover = await brokenConfigMovesGroup(cluster, 'ld1', 'ld2');
    t.diagnostic(
      `client outage ${seconds(takeover.outage.ms)}; VIP to full table on ld2 ${seconds(takeover.vipToTableMs)}`,
    );
    await repairConfig(cluster, 'ld1');
  },
);

test('crm resource move puts the group back on ld1; ld2 keeps no table', { skip }, async (t) => {
  const takeover = await pacemakerMove(cluster, 'ld1', 'ld2');
  t.diagnostic(
    `client outage ${seconds(takeover.outage.ms)}; VIP to full table on ld1 ${seconds(takeover.vipToTableMs)}`,
  );
});

test('ld1 is killed: ld2 takes the group over, the client recovers', { skip }, async (t) => {
  const takeover = await masterDies(cluster, 'ld1', 'ld2');
  t.diagnostic(
    `client outage ${seconds(takeover.outage.ms)}; VIP to full table on ld2 ${seconds(takeover.vipToTableMs)}`,
  );
  assert.equal(await groupLocation(cluster, 'ld2'), 'ld2');
  assert.equal(await ldirectordStatus(cluster, 'ld2'), 0);
});
