// service=mysql (the original's check_sql through DBI/DBD::mysql): log in with login, passwd
// and database, run the request (the SQL, leading '/' removed) and be up when it returns at
// least one row (for a statement other than SELECT: affects at least one row). The rows'
// contents are not looked at.
// Differences, in docs/compatibility.md: the original has no connect or query timeout (§6 item
// 23) and we bound both by the deadline; it runs the statement twice and we run it once.
// Rows are counted as they stream in, never kept, so a large result cannot exhaust memory;
// the connection is then closed politely (COM_QUIT), or destroyed on error or deadline.
import { type Connection, createConnection } from 'mysql2';
import { runWithin } from './support/deadline.ts';
import { down, errorText, redact } from './support/result.ts';
import { rowsResult, sqlPrerequisite } from './support/sql.ts';
import type { Checker, CheckResult, NegotiateTarget, ServiceDescriptors } from './types.ts';

/** Connections sent COM_QUIT after their query; destroyed only if the server lingers. */
const quitting = new WeakSet<Connection>();

export const checkMysql: Checker<NegotiateTarget> = async (target, signal) => {
  const query = target.request.replace(/^\//, '');
  const missing = sqlPrerequisite(target, query);
  if (missing) return missing;
  let connection: Connection | undefined;
  const result = await runWithin(
    signal,
    () =>
      new Promise<CheckResult>((resolve) => {
        connection = createConnection({
          host: target.host,
          port: target.port,
          user: target.login,
          password: target.passwd,
          database: target.database || undefined,
          connectTimeout: target.timeoutMs,
        });
        runQuery(connection, query, target, resolve);
      }),
    () => {
      // After a successful query the connection is closing politely; give it a moment.
      if (connection && !quitting.has(connection)) destroy(connection);
      else if (connection) setTimeout(() => connection && destroy(connection), 1000).unref();
    },
  );
  return redact(result, target);
};

/** service=mysql: up when the query returns a row; receive is not read. */
export const mysqlServices = {
  mysql: { check: checkMysql, port: 3306, receive: 'rows' },
} satisfies ServiceDescriptors;

/**
 * mysql2's destroy() only half-closes its socket (stream.end()), which leaves it open against a
 * server that never answers; destroy the socket itself too.
 */
function destroy(connection: Connection): void {
  connection.destroy();
  (connection as unknown as { stream?: { destroy(): void } }).stream?.destroy();
}

function runQuery(
  connection: Connection,
  sql: string,
  target: NegotiateTarget,
  resolve: (result: CheckResult) => void,
): void {
  let rows = 0;
  let settled = false;
  const fail = (err: unknown): void => {
    if (settled) return;
    settled = true;
    destroy(connection);
    resolve(down(errorText(err)));
  };
  connection.on('error', fail);
  connection
    .query({ sql, timeout: target.timeoutMs })
    .on('error', fail)
    .on('result', (row: unknown) => {
      // A SELECT emits one event per row; other statements one header with affectedRows.
      const affected = (row as { affectedRows?: unknown } | null)?.affectedRows;
      const isHeader = (row as object | null)?.constructor?.name === 'ResultSetHeader';
      rows += isHeader && typeof affected === 'number' ? affected : 1;
    })
    .on('end', () => {
      if (settled) return;
      settled = true;
      quitting.add(connection);
      connection.end(() => {});
      resolve(rowsResult(rows));
    });
}
