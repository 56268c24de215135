// Issue 13, scenario 6: the Perl original in the same heartbeat v1 cluster, as the reference
// for heartbeat-cluster.test.ts: the same steps (ha-cluster-tests.ts) must give the same tables.
// /etc/ha.d/resource.d/ldirectord is the Debian package's link to /usr/sbin/ldirectord.
// One known difference is pinned here: heartbeat's ResourceManager never reads the original as
// running (its status goes to stderr); heartbeat runs its start and stop all the same.
import assert from 'node:assert/strict';
import { heartbeatClusterTests } from '../support/ha-cluster-tests.ts';

heartbeatClusterTests('perl', async (c) => {
  const rm = await c.sh(
    'ld1',
    '/usr/share/heartbeat/ResourceManager status ldirectord::ldirectord.cf; echo "rm $?"',
  );
  assert.match(rm, /^rm 3$/m, 'ResourceManager reads the original as stopped');
});
