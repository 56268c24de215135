// service=http, https, http_proxy against real servers on 127.0.1.x and ::1: what is up, what
// is down and why, and that every check ends within its deadline plus a small margin, with
// its socket released.
import assert from 'node:assert/strict';
import {
  createServer as createHttpServer,
  type IncomingMessage,
  type ServerResponse,
} from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { createServer as createNetServer, type Server, type Socket } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { checkHttp, createHttpChecker } from '../../src/checkers/http.ts';
import { MARGIN_MS, runCheck, target } from '../support/checkers.ts';
import { makeCertificates, type TestCertificates } from '../support/tls-certificates.ts';
import {
  startUnansweredListener,
  type UnansweredListener,
} from '../support/unanswered-listener.ts';

const MAIN = '127.0.1.10';
const OTHER = '127.0.1.11';
const RAW = '127.0.1.12';
const TLS_SIGNED = '127.0.1.13';
const TLS_SELF = '127.0.1.14';
const PROXY = '127.0.1.15';
const HANG = '127.0.1.16';
const CLOSED = '127.0.1.254';

const servers: Server[] = [];
const ports: Record<string, number> = {};
const openSockets = new Set<Socket>();
let bigBodyBytesWritten = 0;
let proxySaw: { url?: string; host?: string } = {};
let certificates: TestCertificates;
let hangListener: UnansweredListener | undefined;

function listen(server: Server, name: string, host: string): Promise<void> {
  servers.push(server);
  return new Promise((resolve) => {
    server.listen(0, host, () => {
      ports[name] = (server.address() as { port: number }).port;
      resolve();
    });
  });
}

function routes(req: IncomingMessage, res: ServerResponse): void {
  const url = req.url ?? '/';
  const redirect = /^\/r\/(\d+)$/.exec(url);
  if (url === '/') res.end('I am healthy');
  else if (url === '/sick') res.end('I am sick');
  else if (url === '/missing') res.writeHead(404).end('no such page');
  else if (url === '/empty') res.writeHead(204).end();
  else if (url === '/host')
    res.end(`host=${req.headers.host} method=${req.method} ua=${req.headers['user-agent']}`);
  else if (redirect) {
    const n = Number(redirect[1]);
    if (n === 0) res.end('landed');
    else res.writeHead(302, { location: `/r/${n - 1}` }).end();
  } else if (url === '/elsewhere') {
    res.writeHead(301, { location: `http://${OTHER}:${ports.other}/host` }).end();
  } else if (url === '/big') {
    res.writeHead(200, { 'content-length': String(100 * 1024 * 1024 + 8) });
    res.write('BEGIN');
    const chunk = Buffer.alloc(64 * 1024, 'x');
    let left = 100 * 1024 * 1024;
    const pump = (): void => {
      while (left > 0 && !res.destroyed) {
        left -= chunk.length;
        bigBodyBytesWritten += chunk.length;
        if (!res.write(chunk)) return void res.once('drain', pump);
      }
      if (!res.destroyed) res.end('END');
    };
    pump();
  } else if (url === '/stall') {
    res.writeHead(200, { 'content-length': '100' });
    res.write('partial');
  } else if (url === '/drip') {
    res.writeHead(200, { 'content-length': '100' });
    const timer = setInterval(() => res.write('.'), 1000);
    res.on('close', () => clearInterval(timer));
  } else if (url === '/reset') {
    res.writeHead(200, { 'content-length': '100000' });
    res.write('partial body');
    setTimeout(() => req.socket.resetAndDestroy(), 50);
  } else res.writeHead(500).end();
}

/** A net server doing `behaviour` with each connection; counts open sockets. */
function raw(behaviour: (socket: Socket) => void): Server {
  return createNetServer((socket) => {
    openSockets.add(socket);
    socket.on('close', () => openSockets.delete(socket));
    socket.on('error', () => {});
    socket.resume(); // read, so that the client's close is seen
    behaviour(socket);
  });
}

before(async () => {
  certificates = makeCertificates();
  await listen(createHttpServer(routes), 'main', MAIN);
  await listen(createHttpServer(routes), 'other', OTHER);
  await listen(createHttpServer(routes), 'v6', '::1');
  await listen(
    raw(() => {}),
    'silent',
    RAW,
  );
  await listen(
    raw((s) => s.end('SSH-2.0-OpenSSH_9.2\r\nnot http at all\r\n')),
    'garbage',
    RAW,
  );
  await listen(
    raw((s) => s.destroy()),
    'emptyReply',
    RAW,
  );
  await listen(createHttpsServer(certificates.signed, routes), 'tlsSigned', TLS_SIGNED);
  await listen(createHttpsServer(certificates.selfSigned, routes), 'tlsSelf', TLS_SELF);
  await listen(
    createHttpServer((req, res) => {
      proxySaw = { url: req.url, host: req.headers.host };
      res.end(`proxied ${req.url}`);
    }),
    'proxy',
    PROXY,
  );
  hangListener = await startUnansweredListener(HANG);
  ports.hang = hangListener.port;
});

after(() => {
  for (const s of servers) {
    s.close();
    if ('closeAllConnections' in s) (s as { closeAllConnections(): void }).closeAllConnections();
  }
  for (const s of openSockets) s.destroy();
  hangListener?.stop();
  certificates.remove();
});

const http = (overrides: Parameters<typeof target>[0] = {}) =>
  target({ host: MAIN, port: ports.main, ...overrides });

async function socketsReleased(): Promise<boolean> {
  for (let i = 0; i < 50 && openSockets.size > 0; i++) await new Promise((r) => setTimeout(r, 20));
  return openSockets.size === 0;
}

describe('http: status and body', () => {
  test('200 with a matching receive is up, with the status line', async () => {
    const r = await runCheck(checkHttp, http({ receive: 'health[y]' }));
    assert.deepEqual([r.up, r.reason], [true, '200 OK']);
  });
  test('200 with a body that does not match is down, the body as reason', async () => {
    const r = await runCheck(checkHttp, http({ request: '/sick', receive: 'healthy' }));
    assert.deepEqual([r.up, r.reason], [false, 'I am sick']);
  });
  test('404 is down with the status line', async () => {
    const r = await runCheck(checkHttp, http({ request: '/missing' }));
    assert.deepEqual([r.up, r.reason], [false, '404 Not Found']);
  });
  test('204 is up: any 2xx is success', async () => {
    const r = await runCheck(checkHttp, http({ request: '/empty' }));
    assert.deepEqual([r.up, r.reason], [true, '204 No Content']);
  });
  test('receive is a Perl regex: \\Z and possessive quantifiers work', async () => {
    const r = await runCheck(checkHttp, http({ receive: '^I am \\w++\\Z' }));
    assert.equal(r.up, true, r.reason);
  });
  test('the request is sent with the real as Host, bare, and our user agent', async () => {
    const r = await runCheck(
      checkHttp,
      http({
        request: '/host',
        receive: `^host=${MAIN} method=GET ua=ldirectord-ts/.*libwww-perl`,
      }),
    );
    assert.equal(r.up, true, r.reason);
  });
  test('virtualhost is sent as Host', async () => {
    const r = await runCheck(
      checkHttp,
      http({
        request: '/host',
        virtualhost: 'www.example.org',
        receive: '^host=www\\.example\\.org ',
      }),
    );
    assert.equal(r.up, true, r.reason);
  });
  test('HEAD is up on 200 without receive, and always down with one', async () => {
    const plain = await runCheck(checkHttp, http({ httpmethod: 'HEAD' }));
    assert.deepEqual([plain.up, plain.reason], [true, '200 OK']);
    const withReceive = await runCheck(checkHttp, http({ httpmethod: 'HEAD', receive: 'healthy' }));
    assert.equal(withReceive.up, false);
    assert.match(withReceive.reason, /empty body/);
  });
  test('an absolute request URL overrides the real address and port', async () => {
    const r = await runCheck(
      checkHttp,
      http({ host: CLOSED, port: 9, request: `/http://${OTHER}:${ports.other}/` }),
    );
    assert.deepEqual([r.up, r.reason], [true, '200 OK']);
  });
});

describe('http: redirects', () => {
  test('a chain of 7 redirects is followed', async () => {
    const r = await runCheck(checkHttp, http({ request: '/r/7', receive: 'landed' }));
    assert.deepEqual([r.up, r.reason], [true, '200 OK']);
  });
  test('the 8th redirect is not followed: down with its status line', async () => {
    const r = await runCheck(checkHttp, http({ request: '/r/8' }));
    assert.deepEqual([r.up, r.reason], [false, '302 Found']);
  });
  test('a redirect to another server carries that server as Host', async () => {
    const r = await runCheck(
      checkHttp,
      http({
        request: '/elsewhere',
        virtualhost: 'www.example.org',
        receive: `^host=${OTHER}:${ports.other} `,
      }),
    );
    assert.equal(r.up, true, r.reason);
  });
});

describe('http: failures end within the deadline', () => {
  const deadline = 1000;
  const within = (ms: number): void => assert.ok(ms < deadline + MARGIN_MS, `took ${ms} ms`);

  test('connection refused', async () => {
    const r = await runCheck(checkHttp, http({ host: CLOSED, port: 9 }));
    assert.deepEqual(
      [r.up, r.reason],
      [false, `500 Can't connect to ${CLOSED}:9 (Connection refused)`],
    );
  });
  test('a connect that never completes', async () => {
    const r = await runCheck(
      checkHttp,
      http({ host: HANG, port: ports.hang, timeoutMs: deadline }),
    );
    assert.deepEqual([r.up, r.reason], [false, 'timeout']);
    within(r.ms);
    assert.ok(r.ms >= deadline - 50, `gave up early, at ${r.ms} ms`);
  });
  test('a server that accepts but never answers; the socket is released', async () => {
    const r = await runCheck(
      checkHttp,
      http({ host: RAW, port: ports.silent, timeoutMs: deadline }),
    );
    assert.deepEqual([r.up, r.reason], [false, 'timeout']);
    within(r.ms);
    assert.ok(await socketsReleased(), 'the server still sees the connection');
  });
  test('headers, then the body stalls', async () => {
    const r = await runCheck(checkHttp, http({ request: '/stall', timeoutMs: deadline }));
    assert.deepEqual([r.up, r.reason], [false, 'timeout']);
    within(r.ms);
  });
  test('a body dripping one byte per second', async () => {
    const r = await runCheck(checkHttp, http({ request: '/drip', timeoutMs: 2500 }));
    assert.deepEqual([r.up, r.reason], [false, 'timeout']);
    assert.ok(r.ms < 2500 + MARGIN_MS, `took ${r.ms} ms`);
  });
  test('a reset in the middle of the body', async () => {
    const r = await runCheck(checkHttp, http({ request: '/reset' }));
    assert.equal(r.up, false);
    assert.match(r.reason, /^500 /);
  });
  test('garbage instead of HTTP (the original reads it as HTTP/0.9, "200 Assumed OK")', async () => {
    const r = await runCheck(checkHttp, http({ host: RAW, port: ports.garbage }));
    assert.equal(r.up, false);
    assert.match(r.reason, /^500 Invalid HTTP response/);
  });
  test('a connection closed without a response', async () => {
    const r = await runCheck(checkHttp, http({ host: RAW, port: ports.emptyReply }));
    assert.deepEqual(
      [r.up, r.reason],
      [false, '500 Server closed connection without sending any data back'],
    );
  });
  test('a deadline already passed returns at once', async () => {
    const controller = new AbortController();
    controller.abort();
    const r = await checkHttp(http(), controller.signal);
    assert.deepEqual(r, { up: false, reason: 'timeout' });
  });
});

describe('http: a 100 MB body', () => {
  test('only the first MiB is read: up when receive matches early, quickly', async () => {
    bigBodyBytesWritten = 0;
    const r = await runCheck(checkHttp, http({ request: '/big', receive: '^BEGIN' }));
    assert.deepEqual([r.up, r.reason], [true, '200 OK']);
    assert.ok(r.ms < 1500, `took ${r.ms} ms`);
    await new Promise((resolve) => setTimeout(resolve, 100));
    assert.ok(bigBodyBytesWritten < 32 * 1024 * 1024, `server wrote ${bigBodyBytesWritten} bytes`);
  });
  test('a receive matching only past the cap is down', async () => {
    const r = await runCheck(checkHttp, http({ request: '/big', receive: 'END' }));
    assert.equal(r.up, false);
    assert.ok(r.reason.length <= 2048);
  });
});

describe('https', () => {
  test('a self-signed certificate is down: the chain is verified', async () => {
    const r = await runCheck(
      checkHttp,
      target({ service: 'https', host: TLS_SELF, port: ports.tlsSelf }),
    );
    assert.equal(r.up, false);
    assert.match(r.reason, /^500 Can't connect to 127\.0\.1\.14:\d+ \(certificate verify failed/);
  });
  test('a self-signed certificate is up once trusted (as SSL_CERT_FILE does for the original)', async () => {
    const checker = createHttpChecker({ caFile: certificates.selfSignedFile });
    const r = await runCheck(
      checker,
      target({ service: 'https', host: TLS_SELF, port: ports.tlsSelf }),
    );
    assert.deepEqual([r.up, r.reason], [true, '200 OK']);
  });
  test('a certificate from a trusted CA is up although its name is not the address', async () => {
    const checker = createHttpChecker({ caFile: certificates.caFile });
    const r = await runCheck(
      checker,
      target({ service: 'https', host: TLS_SIGNED, port: ports.tlsSigned, receive: 'healthy' }),
    );
    assert.deepEqual([r.up, r.reason], [true, '200 OK']);
  });
  test('the same certificate without its CA trusted is down', async () => {
    const r = await runCheck(
      checkHttp,
      target({ service: 'https', host: TLS_SIGNED, port: ports.tlsSigned }),
    );
    assert.equal(r.up, false);
    assert.match(r.reason, /certificate verify failed/);
  });
  test('https with virtualhost sends it as Host', async () => {
    const checker = createHttpChecker({ caFile: certificates.caFile });
    const r = await runCheck(
      checker,
      target({
        service: 'https',
        host: TLS_SIGNED,
        port: ports.tlsSigned,
        request: '/host',
        virtualhost: 'secure.example.org',
        receive: '^host=secure\\.example\\.org ',
      }),
    );
    assert.equal(r.up, true, r.reason);
  });
});

describe('http_proxy and IPv6', () => {
  test('http_proxy requests the absolute URL through the real', async () => {
    const r = await runCheck(
      checkHttp,
      target({
        service: 'http_proxy',
        host: PROXY,
        port: ports.proxy,
        request: '/http://www.example.org/status',
        receive: '^proxied http://www\\.example\\.org/status$',
      }),
    );
    assert.equal(r.up, true, r.reason);
    assert.deepEqual(proxySaw, { url: 'http://www.example.org/status', host: 'www.example.org' });
  });
  test('an IPv6 real is checked, Host in brackets', async () => {
    const r = await runCheck(
      checkHttp,
      target({
        family: 6,
        host: '::1',
        port: ports.v6,
        request: '/host',
        receive: '^host=\\[::1\\] ',
      }),
    );
    assert.equal(r.up, true, r.reason);
  });
});
