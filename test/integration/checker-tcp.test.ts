// checktype=connect, service=simpletcp and service=none against real servers on 127.0.1.x.
import assert from 'node:assert/strict';
import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { createServer, type Server, type Socket } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { checkConnect } from '../../src/checkers/connect.ts';
import { checkNone } from '../../src/checkers/none.ts';
import { checkSimpletcp, simpletcpPayload } from '../../src/checkers/simpletcp.ts';
import { MARGIN_MS, runCheck, target } from '../support/checkers.ts';
import {
  startUnansweredListener,
  type UnansweredListener,
} from '../support/unanswered-listener.ts';

const LINES = '127.0.1.20';
const UDP = '127.0.1.21';
const HANG = '127.0.1.22';
const CLOSED = '127.0.1.254';

const servers: Server[] = [];
const sockets = new Set<Socket>();
const ports: Record<string, number> = {};
const received: Buffer[] = [];
let udp: UdpSocket;
let hang: UnansweredListener;

/** A server that reads until the client half-closes, then answers `reply` and closes; or,
 * with no reply, keeps its side open and drips dots, never a whole line (the writes let it
 * notice when the client has gone). */
function lineServer(reply: string | undefined): Server {
  return createServer({ allowHalfOpen: true }, (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => {});
    const chunks: Buffer[] = [];
    socket.on('data', (d) => chunks.push(d));
    socket.on('end', () => {
      received.push(Buffer.concat(chunks));
      if (reply !== undefined) socket.end(reply);
      else {
        const timer = setInterval(() => socket.write('.'), 100);
        socket.on('close', () => clearInterval(timer));
      }
    });
  });
}

async function listen(server: Server, name: string, host: string): Promise<void> {
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, host, resolve));
  ports[name] = (server.address() as { port: number }).port;
}

before(async () => {
  await listen(lineServer('hello\nSTATUS: OK\nbye\n'), 'ok', LINES);
  await listen(lineServer('STATUS: BAD\n'), 'bad', LINES);
  await listen(lineServer('no newline at the end: OK'), 'partial', LINES);
  await listen(lineServer(''), 'closesEmpty', LINES);
  await listen(lineServer(undefined), 'silent', LINES);
  hang = await startUnansweredListener(HANG);
  udp = createSocket('udp4');
  udp.on('message', (msg, rinfo) => {
    received.push(msg);
    udp.send(`pong ${msg.toString().trim()}\nOK\n`, rinfo.port, rinfo.address);
  });
  await new Promise<void>((resolve) => udp.bind(0, UDP, resolve));
  ports.udp = udp.address().port;
});

after(() => {
  for (const s of servers) s.close();
  for (const s of sockets) s.destroy();
  udp.close();
  hang.stop();
});

describe('connect', () => {
  test('a listening port is up', async () => {
    const r = await runCheck(checkConnect, target({ host: LINES, port: ports.ok }));
    assert.equal(r.up, true);
  });
  test('a closed port is down: Connection refused', async () => {
    const r = await runCheck(checkConnect, target({ host: CLOSED, port: 9 }));
    assert.deepEqual([r.up, r.reason], [false, 'Connection refused']);
  });
  test('a connect that never completes is down at the deadline', async () => {
    const r = await runCheck(checkConnect, target({ host: HANG, port: hang.port, timeoutMs: 700 }));
    assert.deepEqual([r.up, r.reason], [false, 'timeout']);
    assert.ok(r.ms >= 650 && r.ms < 700 + MARGIN_MS, `took ${r.ms} ms`);
  });
  test('IPv6 ::1', async () => {
    const server = createServer((s) => s.destroy());
    await new Promise<void>((resolve) => server.listen(0, '::1', resolve));
    const port = (server.address() as { port: number }).port;
    const r = await runCheck(checkConnect, target({ family: 6, host: '::1', port }));
    server.close();
    assert.equal(r.up, true, r.reason);
  });
});

describe('simpletcp', () => {
  const simple = (overrides: Parameters<typeof target>[0]) =>
    target({
      service: 'simpletcp',
      host: LINES,
      request: '/STATUS\\nverbose',
      receive: '^STATUS: OK$',
      ...overrides,
    });

  test('the payload drops the first character and expands the two characters \\n only', () => {
    assert.equal(simpletcpPayload('/GET\\nHost: x\\r\\n').toString(), 'GET\nHost: x\\r\n');
  });
  test('a line matching receive is up; the request was sent and the write side closed', async () => {
    received.length = 0;
    const r = await runCheck(checkSimpletcp, simple({ port: ports.ok }));
    assert.deepEqual([r.up, r.reason], [true, 'STATUS: OK']);
    assert.equal(received[0]?.toString(), 'STATUS\nverbose');
  });
  test('no matching line is down: No OK', async () => {
    const r = await runCheck(checkSimpletcp, simple({ port: ports.bad }));
    assert.deepEqual([r.up, r.reason], [false, 'No OK']);
  });
  test('a last line without a newline is matched too', async () => {
    const r = await runCheck(checkSimpletcp, simple({ port: ports.partial, receive: 'OK$' }));
    assert.equal(r.up, true, r.reason);
  });
  test('empty receive: up when the server sends a line, down when it sends nothing', async () => {
    const some = await runCheck(checkSimpletcp, simple({ port: ports.bad, receive: '' }));
    assert.equal(some.up, true, some.reason);
    const none = await runCheck(checkSimpletcp, simple({ port: ports.closesEmpty, receive: '' }));
    assert.deepEqual([none.up, none.reason], [false, 'No OK']);
  });
  test('a silent server is down at the deadline, its socket released', async () => {
    const r = await runCheck(checkSimpletcp, simple({ port: ports.silent, timeoutMs: 700 }));
    assert.deepEqual([r.up, r.reason], [false, 'timeout']);
    assert.ok(r.ms < 700 + MARGIN_MS, `took ${r.ms} ms`);
    for (let i = 0; i < 50 && sockets.size > 0; i++)
      await new Promise((res) => setTimeout(res, 20));
    assert.equal(sockets.size, 0, 'the server still holds the connection');
  });
  test('a closed port is down', async () => {
    const r = await runCheck(checkSimpletcp, simple({ host: CLOSED, port: 9 }));
    assert.deepEqual([r.up, r.reason], [false, 'Connection refused']);
  });
  test('udp: the request as a datagram, reply lines matched', async () => {
    received.length = 0;
    const r = await runCheck(
      checkSimpletcp,
      simple({ protocol: 'udp', host: UDP, port: ports.udp, request: '/ping', receive: '^OK' }),
    );
    assert.deepEqual([r.up, r.reason], [true, 'OK']);
    assert.equal(received[0]?.toString(), 'ping');
  });
  test('udp: no answer is down at the deadline', async () => {
    const r = await runCheck(
      checkSimpletcp,
      simple({
        protocol: 'udp',
        host: UDP,
        port: ports.udp,
        request: '/ping',
        receive: 'never',
        timeoutMs: 500,
      }),
    );
    assert.deepEqual([r.up, r.reason], [false, 'timeout']);
  });
});

test('none is always up', async () => {
  const r = await runCheck(checkNone, target({ service: 'none', host: CLOSED, port: 9 }));
  assert.equal(r.up, true);
});
