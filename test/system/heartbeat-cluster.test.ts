// Issue 13 on real kernels: two directors under heartbeat v1 (haresources
// `ld1 IPaddr2::<VIP>/24/eth0 ldirectord::ldirectord.cf`, auto_failback off), ldirectord-ts
// installed as the drop-in /etc/ha.d/resource.d/ldirectord, LVS-DR to two real servers, and a
// client sending a request every 200 ms through the VIP the whole time (test/support/ha-cluster.ts
// has the topology, ha-cluster-tests.ts the steps). heartbeat-cluster-perl.test.ts runs the same
// steps with the Perl original.
import assert from 'node:assert/strict';
import { heartbeatClusterTests } from '../support/ha-cluster-tests.ts';

heartbeatClusterTests('ldirectord-ts', async (c) => {
  const rm = await c.sh(
    'ld1',
    '/usr/share/heartbeat/ResourceManager status ldirectord::ldirectord.cf; echo "rm $?"',
  );
  assert.match(rm, /^rm 0$/m, 'ResourceManager reads ldirectord-ts as running');
});
