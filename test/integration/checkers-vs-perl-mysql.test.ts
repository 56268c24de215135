// Differential test of service=mysql against the Perl original's check_sql, both checking the
// same MariaDB: up, wrong password, no rows. The original needs DBD::mysql; when only
// DBD::MariaDB is installed, test/fixtures/perl/DBD/mysql.pm stands in for it.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { checkMysql } from '../../src/checkers/mysql.ts';
import { runCheck, target } from '../support/checkers.ts';
import { type MariaDb, mariadbUnavailable, startMariaDb } from '../support/mariadb.ts';
import { PerlLdirectord, perlUnavailableReason } from '../support/perl-ldirectord.ts';

const SHIM = fileURLToPath(new URL('../fixtures/perl', import.meta.url));
const hasModule = (name: string): boolean =>
  spawnSync('perl', [`-M${name}`, '-e', '1']).status === 0;
const perlLib = hasModule('DBD::mysql') ? undefined : SHIM;
const skip =
  perlUnavailableReason() ??
  mariadbUnavailable() ??
  (hasModule('DBI') && (hasModule('DBD::mysql') || hasModule('DBD::MariaDB'))
    ? undefined
    : 'the Perl original needs DBI and DBD::mysql (libdbd-mysql-perl) or DBD::MariaDB');

const HOST = '127.0.1.42';
const PASSWORD = 'Another-secret-99';
let db: MariaDb;

before(async () => {
  if (skip) return;
  db = await startMariaDb({
    host: HOST,
    setupSql: `
      CREATE USER 'ldcheck'@'127.0.0.0/255.0.0.0' IDENTIFIED BY '${PASSWORD}';
      CREATE DATABASE healthdb;
      CREATE TABLE healthdb.t (id INT);
      INSERT INTO healthdb.t VALUES (1);
      CREATE TABLE healthdb.empty (id INT);
      GRANT SELECT ON healthdb.* TO 'ldcheck'@'127.0.0.0/255.0.0.0';`,
  });
});

after(async () => {
  if (!skip) await db.stop();
});

test('mysql: the original and ours agree (up, wrong password, no rows)', { skip }, async () => {
  const cases = [
    { name: 'up', passwd: PASSWORD, request: '/SELECT * FROM t' },
    { name: 'wrong password', passwd: 'wrong', request: '/SELECT * FROM t' },
    { name: 'no rows', passwd: PASSWORD, request: '/SELECT * FROM empty' },
  ];
  const config = ['checkinterval=1', 'checktimeout=3', 'negotiatetimeout=3'];
  cases.forEach((c, i) => {
    config.push(
      `virtual=10.1.4.${i + 1}:3306`,
      `\treal=${HOST}:${db.port} masq ${i + 1}`,
      '\tservice=mysql',
      '\tlogin="ldcheck"',
      `\tpasswd="${c.passwd}"`,
      '\tdatabase="healthdb"',
      `\trequest="${c.request}"`,
      `\tmonitorfile="{{DIR}}/case-${i}.log"`,
      '',
    );
  });
  const perl = PerlLdirectord.start({
    config: config.join('\n'),
    env: perlLib ? { PERL5LIB: perlLib } : {},
  });
  const theirs: boolean[] = [];
  try {
    for (const i of cases.keys()) {
      const entries = await perl.waitForMonitor(
        `{{DIR}}/case-${i}.log`,
        (e) => e.length > 0,
        15_000,
      );
      theirs.push(entries[0]!.status === 'up');
    }
  } finally {
    await perl.stop();
  }
  assert.deepEqual(theirs, [true, false, false], 'the original');
  for (const [i, c] of cases.entries()) {
    const r = await runCheck(
      checkMysql,
      target({
        service: 'mysql',
        host: HOST,
        port: db.port,
        login: 'ldcheck',
        passwd: c.passwd,
        database: 'healthdb',
        request: c.request,
      }),
    );
    assert.equal(r.up, theirs[i], `${c.name}: ours ${r.reason}`);
  }
});
