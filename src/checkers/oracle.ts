// service=oracle (check_sql with DBD::Oracle): connect with login, passwd and the database as
// the SID, run the request (leading '/' removed); up when it returns at least one row (or, for
// DML, touches one) (docs/ldirectord-behavior.md §4.6). login and request are required, as in the
// original.
//
// The driver is node-oracledb in Thin mode: pure JavaScript, no Oracle client libraries on the
// director, so the single executable carries it. It is loaded on the first oracle check, and a
// missing one is named in the check's reason (support/optional-module.ts). Success against a
// real Oracle server is untested (none can be installed here); the failure paths are tested.
// The driver offers no way to pass our own socket, so the sockets it opens during a check are
// collected through node's `net.client.socket` diagnostics channel (attributed to the check by
// AsyncLocalStorage) and destroyed on abort.
import { AsyncLocalStorage } from 'node:async_hooks';
import { subscribe } from 'node:diagnostics_channel';
import type { Socket } from 'node:net';
import type { Connection } from 'oracledb';
import { backstopMs, runWithin } from './support/deadline.ts';
import { loadOptional } from './support/optional-module.ts';
import { redact } from './support/result.ts';
import { rowsResult, sqlPrerequisite } from './support/sql.ts';
import type { Checker, CheckResult, NegotiateTarget, ServiceDescriptors } from './types.ts';

const socketsOfCheck = new AsyncLocalStorage<Set<Socket>>();
let collecting = false;

function collectSockets(): void {
  if (collecting) return;
  collecting = true;
  subscribe('net.client.socket', (message) => {
    socketsOfCheck.getStore()?.add((message as { socket: Socket }).socket);
  });
}

export const checkOracle: Checker<NegotiateTarget> = async (target, signal) => {
  const query = target.request.replace(/^\//, '');
  const missing = sqlPrerequisite(target, query);
  if (missing) return missing;
  collectSockets();
  const sockets = new Set<Socket>();
  const release = (): void => {
    for (const socket of sockets) socket.destroy();
  };
  const work = (): Promise<CheckResult> => socketsOfCheck.run(sockets, () => run(target, query));
  return redact(await runWithin(signal, work, release), target);
};

/** service=oracle: up when the query returns a row; receive is not read. */
export const oracleServices = {
  oracle: { check: checkOracle, port: 1521, receive: 'rows' },
} satisfies ServiceDescriptors;

async function run(target: NegotiateTarget, query: string): Promise<CheckResult> {
  const { default: oracledb } = await loadOptional(
    'oracledb',
    'service=oracle',
    () => import('oracledb'),
  );
  const seconds = Math.ceil(backstopMs(target) / 1000);
  let connection: Connection | undefined;
  try {
    connection = await oracledb.getConnection({
      user: target.login,
      password: target.passwd,
      connectString: connectDescriptor(target),
      connectTimeout: seconds,
      transportConnectTimeout: seconds,
    });
    connection.callTimeout = backstopMs(target);
    const result = await connection.execute(query, [], { maxRows: 1 });
    return rowsResult(result.rows?.length ?? result.rowsAffected ?? 0);
  } finally {
    await connection?.close().catch(() => {});
  }
}

/** As the original's `dbi:Oracle:sid=<database>;host=<rip>;port=<port>`. */
export function connectDescriptor(
  target: Pick<NegotiateTarget, 'host' | 'port' | 'database'>,
): string {
  return (
    `(DESCRIPTION=(ADDRESS=(PROTOCOL=TCP)(HOST=${target.host})(PORT=${target.port}))` +
    `(CONNECT_DATA=(SID=${target.database})))`
  );
}
