// A check that times out against a hung server (it accepted the connection and then stopped:
// a SIGSTOPped database, a wedged process) must leave no socket behind. A socket that is only
// half-closed stays open as long as the server never reads our FIN: each check would leak a
// file descriptor, and a daemon stopping with one open cannot exit (found by the daemon tests:
// `stop` waited for a daemon held by a leftover MySQL socket). The hung server here is a
// listener that never reads (pauseOnConnect), on 127.0.5.90.
import assert from 'node:assert/strict';
import { createServer, type Socket } from 'node:net';
import { describe, test } from 'node:test';
import { checkers, negotiateChecker } from '../../src/checkers/index.ts';
import type { Checker, CheckTarget } from '../../src/checkers/types.ts';
import type { Service } from '../../src/model/domain.ts';

/** Runs `body` against a fresh hung server (its own port, so tests can run side by side). */
async function withHungServer<T>(body: (port: number) => Promise<T>): Promise<T> {
  const accepted: Socket[] = [];
  const server = createServer({ pauseOnConnect: true }, (socket) => {
    socket.on('error', () => {});
    accepted.push(socket);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.5.90', resolve));
  try {
    return await body((server.address() as { port: number }).port);
  } finally {
    for (const socket of accepted) socket.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}

/** Our sockets to the server at `port` that are still open. */
function openClientSockets(port: number): number {
  const handles = (process as unknown as { _getActiveHandles(): unknown[] })._getActiveHandles();
  return handles.filter(
    (h) => h instanceof Object && (h as Socket).remotePort === port && !(h as Socket).destroyed,
  ).length;
}

function target(service: Service, port: number): CheckTarget {
  return {
    service,
    protocol: 'tcp',
    family: 4,
    host: '127.0.5.90',
    port,
    realPort: port,
    virtualAddress: '10.5.9.1',
    virtualPort: port,
    fwmark: 0,
    request: '/SELECT 1',
    receive: 'ok',
    login: 'monitor',
    passwd: 'secret',
    database: 'test',
    secret: 'secret',
    httpmethod: 'GET',
    checkcommand: '',
    timeoutMs: 300,
    checkcount: 1,
  };
}

/** Three checks that time out; how many of their sockets are still open a second later. */
function leftOpen(checker: Checker, service: Service): Promise<number> {
  return withHungServer(async (port) => {
    for (let i = 0; i < 3; i++) {
      const result = await checker(target(service, port), AbortSignal.timeout(300));
      if (service !== 'none') assert.equal(result.reason, 'timeout');
    }
    // Give a polite close every chance: a socket still open a second later is kept open.
    await new Promise((r) => setTimeout(r, 1000));
    return openClientSockets(port);
  });
}

const TCP_SERVICES: Service[] = [
  'ftp',
  'http',
  'https',
  'http_proxy',
  'imap',
  'imaps',
  'ldap',
  'ldaps',
  'nntp',
  'pgsql',
  'pop',
  'pops',
  'simpletcp',
  'smtp',
  'submission',
];

describe('sockets of timed-out checks', { concurrency: true }, () => {
  for (const service of TCP_SERVICES) {
    test(`${service}: none left open`, async () => {
      assert.equal(await leftOpen(negotiateChecker(service), service), 0);
    });
  }

  test('connect (up: the server accepts): none left open', async () => {
    assert.equal(await leftOpen(checkers.connect, 'none'), 0);
  });

  test('mysql: none left open', async () => {
    assert.equal(await leftOpen(negotiateChecker('mysql'), 'mysql'), 0);
  });
});
