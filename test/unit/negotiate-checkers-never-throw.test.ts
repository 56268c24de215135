// The dns, ldap, pgsql, radius and oracle checkers never throw: nonsense in the target (a
// port out of range, an absurd name, a receive that is no regex) comes back as a down result.
// (No host names: resolving them would leave the loopback network.)
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { checkDns } from '../../src/checkers/dns.ts';
import { checkLdap } from '../../src/checkers/ldap.ts';
import { checkOracle } from '../../src/checkers/oracle.ts';
import { checkPgsql } from '../../src/checkers/pgsql.ts';
import { checkRadius } from '../../src/checkers/radius.ts';
import type { Checker } from '../../src/checkers/types.ts';
import type { Service } from '../../src/model/domain.ts';
import { target as baseTarget } from '../support/checkers.ts';

const checkers: [Service, Checker][] = [
  ['dns', checkDns],
  ['ldap', checkLdap],
  ['ldaps', checkLdap],
  ['pgsql', checkPgsql],
  ['radius', checkRadius],
  ['oracle', checkOracle],
];

for (const [service, checker] of checkers) {
  test(`${service}: nonsense targets give down results, never a throw`, async () => {
    const nonsense = [
      { host: '127.0.0.1', port: 70000 },
      { host: '127.0.0.1', port: -1, request: `/${'x'.repeat(300)}.test`, receive: '(' },
      { host: '127.0.0.1', port: 70000, protocol: 'udp' as const },
    ];
    for (const overrides of nonsense) {
      const target = baseTarget({
        service,
        login: 'u',
        passwd: 'p',
        request: '/select 1',
        timeoutMs: 1000,
        ...overrides,
      });
      const result = await checker(target, AbortSignal.timeout(1000));
      assert.equal(result.up, false, JSON.stringify(overrides));
      assert.equal(typeof result.reason, 'string');
      assert.ok(result.reason.length > 0);
    }
  });
}
