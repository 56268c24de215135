// Issue 13, scenario 5: the same two directors under corosync + Pacemaker, as the heartbeat v1
// haresources line becomes after the migration to the CRM: a group of ocf:heartbeat:IPaddr2 and
// ocf:heartbeat:ldirectord (ldirectord=/usr/sbin/ldirectord-ts) with its monitor running,
// configured with crmsh (test/support/ha-cluster.ts has the topology and the configuration).
import assert from 'node:assert/strict';
import { crmConfiguration } from '../support/ha-cluster.ts';
import { clusterUnderTest, seconds } from '../support/ha-cluster-tests.ts';
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

const { step, cluster: c } = clusterUnderTest('ldirectord-ts', 'pacemaker');

step(
  'the group starts on ld1, its monitor runs; the client gets answers from both reals',
  async () => {
    await pacemakerConfigure(c(), 'ld1', crmConfiguration('ldirectord-ts'));
    await clusterStarts(c(), 'ld1', 'ld2');
    await c().until(
      'a monitor of lvs on ld1',
      () => operationResults(c(), 'monitor', 'lvs', 'ld1').includes('ok'),
      120_000,
    );
    assert.deepEqual(operationResults(c(), 'start', 'lvs', 'ld1'), ['ok']);
    assert.equal(await groupLocation(c(), 'ld2'), 'ld1');
  },
);

step(
  'a config error in ldirectord.cf on ld1 fails the resource; the group moves to ld2 and stays',
  async (t) => {
    const takeover = await brokenConfigMovesGroup(c(), 'ld1', 'ld2');
    t.diagnostic(
      `client outage ${seconds(takeover.outage.ms)}; VIP to full table on ld2 ${seconds(takeover.vipToTableMs)}`,
    );
    await repairConfig(c(), 'ld1');
  },
);

step('crm resource move puts the group back on ld1; ld2 keeps no table', async (t) => {
  const takeover = await pacemakerMove(c(), 'ld1', 'ld2');
  t.diagnostic(
    `client outage ${seconds(takeover.outage.ms)}; VIP to full table on ld1 ${seconds(takeover.vipToTableMs)}`,
  );
});

step('ld1 is killed: ld2 takes the group over, the client recovers', async (t) => {
  const takeover = await masterDies(c(), 'ld1', 'ld2');
  t.diagnostic(
    `client outage ${seconds(takeover.outage.ms)}; VIP to full table on ld2 ${seconds(takeover.vipToTableMs)}`,
  );
  assert.equal(await groupLocation(c(), 'ld2'), 'ld2');
  assert.equal(await ldirectordStatus(c(), 'ld2'), 0);
});
