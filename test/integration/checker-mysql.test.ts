// service=mysql against a real MariaDB started for this file (test/support/mariadb.ts).
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { checkMysql } from '../../src/checkers/mysql.ts';
import { MARGIN_MS, runCheck, target } from '../support/checkers.ts';
import { type MariaDb, mariadbUnavailable, startMariaDb } from '../support/mariadb.ts';

const skip = mariadbUnavailable();
const HOST = '127.0.1.40';
const PASSWORD = 'Secret-pw-4711';
let db: MariaDb;

before(async () => {
  if (skip) return;
  db = await startMariaDb({
    host: HOST,
    setupSql: `
      CREATE USER 'ldcheck'@'127.0.0.0/255.0.0.0' IDENTIFIED BY '${PASSWORD}';
      CREATE DATABASE healthdb;
      CREATE TABLE healthdb.t (id INT);
      INSERT INTO healthdb.t VALUES (1), (2);
      CREATE TABLE healthdb.empty (id INT);
      GRANT SELECT ON healthdb.* TO 'ldcheck'@'127.0.0.0/255.0.0.0';`,
  });
});

after(async () => {
  if (!skip) await db.stop();
});

const mysql = (overrides: Parameters<typeof target>[0] = {}) =>
  target({
    service: 'mysql',
    host: HOST,
    port: db.port,
    login: 'ldcheck',
    passwd: PASSWORD,
    database: 'healthdb',
    request: '/SELECT * FROM t',
    ...overrides,
  });

test('a query returning rows is up, and the connection is closed politely', { skip }, async () => {
  const r = await runCheck(checkMysql, mysql());
  assert.deepEqual([r.up, r.reason], [true, '2 rows']);
  await new Promise((resolve) => setTimeout(resolve, 200));
  assert.doesNotMatch(db.errorLog(), /Aborted connection/);
});

test('a million-row result is counted as it streams, not kept', { skip }, async () => {
  const before = process.memoryUsage().heapUsed;
  const r = await runCheck(
    checkMysql,
    mysql({ request: '/SELECT seq FROM seq_1_to_1000000', timeoutMs: 10_000 }),
  );
  assert.deepEqual([r.up, r.reason], [true, '1000000 rows']);
  assert.ok(process.memoryUsage().heapUsed - before < 64 * 1024 * 1024);
});

test('a query returning no rows is down', { skip }, async () => {
  const r = await runCheck(checkMysql, mysql({ request: '/SELECT * FROM empty' }));
  assert.deepEqual([r.up, r.reason], [false, 'Query returned no rows']);
});

test('a wrong password is down, and the password appears nowhere', { skip }, async () => {
  const r = await runCheck(checkMysql, mysql({ passwd: `${PASSWORD}-wrong` }));
  assert.equal(r.up, false);
  assert.match(r.reason, /Access denied for user 'ldcheck'/);
  assert.ok(!r.reason.includes(PASSWORD), r.reason);
});

test('an unknown database is down', { skip }, async () => {
  const r = await runCheck(checkMysql, mysql({ database: 'nosuchdb' }));
  assert.equal(r.up, false);
  assert.match(r.reason, /nosuchdb/);
});

test('bad SQL is down with the server error', { skip }, async () => {
  const r = await runCheck(checkMysql, mysql({ request: '/SELEKT 1' }));
  assert.equal(r.up, false);
  assert.match(r.reason, /SQL syntax/);
});

test('without login or request: down with the original message', { skip }, async () => {
  for (const overrides of [{ login: '' }, { request: '/' }, { login: '0' }]) {
    const r = await runCheck(checkMysql, mysql(overrides));
    assert.deepEqual(
      [r.up, r.reason],
      [
        false,
        `Error: Must specify a login and request string for MySQL, Oracle and PostgreSQL checks. Not adding ${HOST}.`,
      ],
    );
  }
});

test('a slow query is down at the deadline', { skip }, async () => {
  const r = await runCheck(checkMysql, mysql({ request: '/SELECT SLEEP(5)', timeoutMs: 800 }));
  assert.deepEqual([r.up, r.reason], [false, 'timeout']);
  assert.ok(r.ms < 800 + MARGIN_MS, `took ${r.ms} ms`);
});

test(
  'a stopped (SIGSTOP) server is down at the deadline, up again after SIGCONT',
  {
    skip,
  },
  async () => {
    db.suspend();
    try {
      const r = await runCheck(checkMysql, mysql({ timeoutMs: 800 }));
      assert.deepEqual([r.up, r.reason], [false, 'timeout']);
      assert.ok(r.ms < 800 + MARGIN_MS, `took ${r.ms} ms`);
    } finally {
      db.resume();
    }
    const again = await runCheck(checkMysql, mysql());
    assert.equal(again.up, true, again.reason);
  },
);

test('a server that is not running is down', { skip }, async () => {
  const r = await runCheck(checkMysql, mysql({ host: '127.0.1.254', port: 9 }));
  assert.deepEqual([r.up, r.reason], [false, 'Connection refused']);
});
