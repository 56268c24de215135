// service=oracle: no Oracle server can be installed here, so only the failure paths run (closed
// port, a silent listener, one that speaks garbage, one that hangs up, the deadline). Success
// against a real Oracle is untested; the README says so.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { checkOracle, connectDescriptor } from '../../src/checkers/oracle.ts';
import type { CheckTarget } from '../../src/checkers/types.ts';
import { target as baseTarget, MARGIN_MS, runCheck } from '../support/checkers.ts';
import { freePort } from '../support/daemon.ts';
import {
  eventually,
  GARBAGE,
  openSockets,
  socketsSettle,
  type TcpTestServer,
  tcpListener,
} from '../support/misbehaving-servers.ts';

const HOST = '127.0.3.5';
const DEADLINE_MS = 1500;
/** For "at once": a long deadline, and the check must end well before it. */
const SLOW_DEADLINE_MS = 6000;

console.log('# oracle checker: no Oracle server here; success against a real Oracle is untested');

let silent: TcpTestServer;
let garbage: TcpTestServer;
let hangsUp: TcpTestServer;
let closedPort: number;

before(async () => {
  // Load the driver before timing checks: the daemon pays this once, not per check.
  await import('oracledb');
  [silent, garbage, closedPort] = await Promise.all([
    tcpListener(HOST),
    tcpListener(HOST, GARBAGE),
    freePort(HOST),
  ]);
  hangsUp = await tcpListener(HOST, undefined, true);
});

after(async () => {
  await Promise.all([silent.close(), garbage.close(), hangsUp.close()]);
});

function target(overrides: Partial<CheckTarget>): CheckTarget {
  return baseTarget({
    service: 'oracle',
    host: HOST,
    port: closedPort,
    login: 'scott',
    passwd: 'tiger-secret',
    database: 'ORCL',
    request: '/SELECT 1 FROM dual',
    timeoutMs: DEADLINE_MS,
    ...overrides,
  });
}

test('the connect descriptor names the SID, as the original DSN does', () => {
  assert.equal(
    connectDescriptor({ host: '2001:db8::2', port: 1521, database: 'ORCL' }),
    '(DESCRIPTION=(ADDRESS=(PROTOCOL=TCP)(HOST=2001:db8::2)(PORT=1521))(CONNECT_DATA=(SID=ORCL)))',
  );
});

test('login and request are required, as in the original', async () => {
  for (const overrides of [{ login: '' }, { login: '0' }, { request: '/' }]) {
    const { ms: _ms, ...result } = await runCheck(checkOracle, target(overrides));
    assert.deepEqual(result, {
      up: false,
      reason: `Error: Must specify a login and request string for MySQL, Oracle and PostgreSQL checks. Not adding ${HOST}.`,
    });
  }
});

describe('failure paths', () => {
  test('port closed (IPv4 and IPv6): down at once, the password not shown', async () => {
    for (const host of [HOST, '::1']) {
      const port = host === HOST ? closedPort : await freePort('::1');
      const { ms: elapsedMs, ...result } = await runCheck(
        checkOracle,
        target({ host, port, timeoutMs: SLOW_DEADLINE_MS }),
      );
      assert.equal(result.up, false, host);
      assert.match(result.reason, /NJS-503|ECONNREFUSED|could not be established/, host);
      assert.doesNotMatch(result.reason, /tiger-secret/);
      assert.ok(elapsedMs < SLOW_DEADLINE_MS / 2, `${host}: ${elapsedMs} ms`);
    }
  });

  test('a listener that stays silent: the deadline, connection closed', async () => {
    const baseline = openSockets();
    const accepted = silent.accepted;
    const { ms: elapsedMs, ...result } = await runCheck(checkOracle, target({ port: silent.port }));
    assert.deepEqual(result, { up: false, reason: 'timeout' });
    assert.ok(elapsedMs >= DEADLINE_MS - 50 && elapsedMs < DEADLINE_MS + MARGIN_MS, `${elapsedMs}`);
    assert.equal(silent.accepted, accepted + 1, 'the driver did connect');
    assert.ok(await eventually(() => silent.open === 0), 'the server saw the connection close');
    assert.ok((await socketsSettle(baseline)) <= baseline, 'no socket left open');
  });

  test('an early deadline ends the check early', async () => {
    const { ms: elapsedMs, ...result } = await runCheck(
      checkOracle,
      target({ port: silent.port, timeoutMs: 300 }),
    );
    assert.deepEqual(result, { up: false, reason: 'timeout' });
    assert.ok(elapsedMs < 300 + MARGIN_MS, `${elapsedMs}`);
    assert.ok(await eventually(() => silent.open === 0), 'the server saw the connection close');
  });

  test('a listener that speaks garbage: down within the deadline', async () => {
    const { ms: elapsedMs, ...result } = await runCheck(
      checkOracle,
      target({ port: garbage.port }),
    );
    assert.equal(result.up, false);
    assert.ok(elapsedMs < DEADLINE_MS + MARGIN_MS, `${elapsedMs}`);
    assert.ok(await eventually(() => garbage.open === 0), 'the server saw the connection close');
  });

  test('a listener that hangs up at once: down before the deadline', async () => {
    const { ms: elapsedMs, ...result } = await runCheck(
      checkOracle,
      target({ port: hangsUp.port }),
    );
    assert.equal(result.up, false);
    assert.notEqual(result.reason, 'timeout');
    assert.ok(elapsedMs < DEADLINE_MS, `${elapsedMs}`);
  });
});
