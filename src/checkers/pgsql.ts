// service=pgsql (check_sql with DBD::Pg): connect with login, passwd and database, run the
// request (leading '/' removed); up when it returns at least one row (§4.6). login and request
// are required, as in the original.
//
// The client is pg (node-postgres, pure JavaScript). It is given the socket we create, so an
// abort destroys it at once; connect and query are bounded by the check's deadline too.
// TLS follows PGSSLMODE as pg reads it (default: none; libpq's default would be "prefer").
import { Socket } from 'node:net';
import pg from 'pg';
import { backstopMs, runWithin } from './support/deadline.ts';
import { redact } from './support/result.ts';
import { rowsResult, sqlPrerequisite } from './support/sql.ts';
import type { Checker, CheckResult, NegotiateTarget, ServiceDescriptors } from './types.ts';

export const checkPgsql: Checker<NegotiateTarget> = async (target, signal) => {
  const query = target.request.replace(/^\//, '');
  const missing = sqlPrerequisite(target, query);
  if (missing) return missing;
  const socket = new Socket();
  const work = (): Promise<CheckResult> => {
    const client = new pg.Client({
      host: target.host,
      port: target.port,
      user: target.login,
      password: target.passwd,
      database: target.database === '' ? undefined : target.database,
      stream: () => socket,
      connectionTimeoutMillis: backstopMs(target),
      query_timeout: backstopMs(target),
      statement_timeout: backstopMs(target),
      application_name: 'ldirectord-ts',
    });
    // A connection lost after the result is in must not crash the daemon.
    client.on('error', () => {});
    return run(client, query);
  };
  const result = await runWithin(signal, work, () => socket.destroy());
  return redact(result, target);
};

/** service=pgsql: up when the query returns a row; receive is not read. */
export const pgsqlServices = {
  pgsql: { check: checkPgsql, port: 5432, receive: 'rows' },
} satisfies ServiceDescriptors;

async function run(client: pg.Client, query: string): Promise<CheckResult> {
  try {
    await client.connect();
    const results = await client.query(query);
    // Several statements give one result each; the last one counts.
    const result = Array.isArray(results) ? (results.at(-1) as pg.QueryResult) : results;
    return rowsResult(result.rowCount ?? result.rows.length);
  } finally {
    // Terminate politely: the message is written at once, before the socket is let go.
    client.end().catch(() => {});
  }
}
