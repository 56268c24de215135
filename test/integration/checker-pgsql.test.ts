// service=pgsql against a private PostgreSQL (IPv4 and IPv6), the failure paths, and the Perl
// original's verdicts where DBD::Pg is installed.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { checkPgsql } from '../../src/checkers/pgsql.ts';
import type { CheckTarget } from '../../src/checkers/types.ts';
import { perlModuleMissing, perlVerdicts } from '../support/checker-differential.ts';
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
import { perlUnavailableReason } from '../support/perl-ldirectord.ts';
import {
  PG_DATABASE,
  PG_PASSWORD,
  PG_USER,
  type PostgresServer,
  postgresUnavailable,
  startPostgres,
} from '../support/postgres.ts';

const HOST = '127.0.3.3';
const DEADLINE_MS = 2000;
/** For "at once": a long deadline, and the check must end well before it. */
const SLOW_DEADLINE_MS = 6000;

const unavailable = postgresUnavailable();
if (unavailable) console.log(`# pgsql checker: ${unavailable}; only the failure paths run`);

let server: PostgresServer | undefined;
let silent: TcpTestServer;
let garbage: TcpTestServer;
let closedPort: number;

before(async () => {
  const starting = unavailable ? undefined : startPostgres([HOST, '::1']);
  [silent, garbage, closedPort] = await Promise.all([
    tcpListener(HOST),
    tcpListener(HOST, GARBAGE),
    freePort(HOST),
  ]);
  server = await starting;
});

after(async () => {
  await Promise.all([server?.stop(), silent.close(), garbage.close()]);
});

function target(overrides: Partial<CheckTarget>): CheckTarget {
  return baseTarget({
    service: 'pgsql',
    host: HOST,
    port: server?.port ?? closedPort,
    login: PG_USER,
    passwd: PG_PASSWORD,
    database: PG_DATABASE,
    request: '/SELECT ok FROM health',
    timeoutMs: DEADLINE_MS,
    ...overrides,
  });
}

test('login and request are required, as in the original', async () => {
  for (const overrides of [{ login: '' }, { login: '0' }, { request: '/' }]) {
    const { ms: _ms, ...result } = await runCheck(checkPgsql, target(overrides));
    assert.deepEqual(result, {
      up: false,
      reason: `Error: Must specify a login and request string for MySQL, Oracle and PostgreSQL checks. Not adding ${HOST}.`,
    });
  }
});

describe('against PostgreSQL', { skip: unavailable }, () => {
  test('up when the request returns a row', async () => {
    const { ms: _ms, ...result } = await runCheck(checkPgsql, target({}));
    assert.deepEqual(result, { up: true, reason: '1 row' });
  });

  test('IPv6: up on ::1', async () => {
    const { ms: _ms, ...result } = await runCheck(checkPgsql, target({ host: '::1', family: 6 }));
    assert.deepEqual(result, { up: true, reason: '1 row' });
  });

  test('down when it returns no row', async () => {
    const { ms: _ms, ...result } = await runCheck(
      checkPgsql,
      target({ request: '/SELECT ok FROM empty' }),
    );
    assert.deepEqual(result, { up: false, reason: 'Query returned no rows' });
  });

  test('down on a wrong password, which the reason does not show', async () => {
    const { ms: _ms, ...result } = await runCheck(checkPgsql, target({ passwd: 'wrong-Secret-9' }));
    assert.equal(result.up, false);
    assert.match(result.reason, /password authentication failed/);
    assert.doesNotMatch(result.reason, /wrong-Secret-9/);
  });

  test('down on an SQL error', async () => {
    const { ms: _ms, ...result } = await runCheck(
      checkPgsql,
      target({ request: '/SELECT * FROM missing' }),
    );
    assert.equal(result.up, false);
    assert.match(result.reason, /relation "missing" does not exist/);
  });

  test('a query outlasting the deadline: timeout, connection released', async () => {
    const baseline = openSockets();
    const { ms: elapsedMs, ...result } = await runCheck(
      checkPgsql,
      target({ request: '/SELECT pg_sleep(10)' }),
    );
    assert.deepEqual(result, { up: false, reason: 'timeout' });
    assert.ok(elapsedMs < DEADLINE_MS + MARGIN_MS, `${elapsedMs}`);
    assert.ok((await socketsSettle(baseline)) <= baseline, 'no socket left open');
  });
});

describe('failure paths', () => {
  test('port closed: down at once', async () => {
    const { ms: elapsedMs, ...result } = await runCheck(
      checkPgsql,
      target({ port: closedPort, timeoutMs: SLOW_DEADLINE_MS }),
    );
    assert.equal(result.up, false);
    assert.equal(result.reason, 'Connection refused');
    assert.ok(elapsedMs < SLOW_DEADLINE_MS / 2, `${elapsedMs} ms`);
  });

  test('a listener that stays silent: the deadline, connection closed', async () => {
    const baseline = openSockets();
    const { ms: elapsedMs, ...result } = await runCheck(checkPgsql, target({ port: silent.port }));
    assert.deepEqual(result, { up: false, reason: 'timeout' });
    assert.ok(elapsedMs >= DEADLINE_MS - 50 && elapsedMs < DEADLINE_MS + MARGIN_MS, `${elapsedMs}`);
    assert.ok(await eventually(() => silent.open === 0), 'the server saw the connection close');
    assert.ok((await socketsSettle(baseline)) <= baseline, 'no socket left open');
  });

  test('a listener that speaks garbage: down within the deadline', async () => {
    const { ms: elapsedMs, ...result } = await runCheck(checkPgsql, target({ port: garbage.port }));
    assert.equal(result.up, false);
    assert.ok(elapsedMs < DEADLINE_MS + MARGIN_MS, `${elapsedMs}`);
    assert.ok(await eventually(() => garbage.open === 0), 'the server saw the connection close');
  });
});

const perlSkip =
  unavailable ?? perlUnavailableReason() ?? perlModuleMissing('DBD::Pg', 'libdbd-pg-perl');
if (perlSkip && !unavailable) console.log(`# pgsql differential: ${perlSkip}`);

test('differential: the Perl original and ours agree', { skip: perlSkip }, async () => {
  const cases = [
    { weight: 31, request: 'SELECT ok FROM health', passwd: PG_PASSWORD },
    { weight: 32, request: 'SELECT ok FROM empty', passwd: PG_PASSWORD },
    { weight: 33, request: 'SELECT ok FROM health', passwd: 'wrong' },
  ];
  const verdicts = await perlVerdicts(
    cases.map((c) => ({
      weight: c.weight,
      host: HOST,
      port: server!.port,
      service: 'pgsql',
      protocol: 'tcp',
      request: c.request,
      login: PG_USER,
      passwd: c.passwd,
      database: PG_DATABASE,
    })),
    { check: 3, negotiate: 3 },
  );
  for (const c of cases) {
    const perl = verdicts.get(c.weight)!;
    const { ms: _ms, ...result } = await runCheck(
      checkPgsql,
      target({ request: `/${c.request}`, passwd: c.passwd }),
    );
    assert.equal(result.up, perl.status === 'up', `case ${c.weight}: ours "${result.reason}"`);
  }
});
