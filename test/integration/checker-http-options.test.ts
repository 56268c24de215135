// httpstatus, httpheader, tlsverify, tlsca and tlsservername against real HTTP and HTTPS
// servers on 127.31.12.x, with a CA made by openssl for this run: certificates for the right
// name and address, a wrong name, an expired one and a self-signed one.
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import {
  createServer as createHttpServer,
  type IncomingMessage,
  type ServerResponse,
} from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { Server } from 'node:net';
import { join } from 'node:path';
import type { TLSSocket } from 'node:tls';
import { after, before, describe, test } from 'node:test';
import { checkHttp } from '../../src/checkers/http.ts';
import type { CheckTarget } from '../../src/checkers/types.ts';
import { cleanReason } from '../../src/monitor/deadline.ts';
import { runCheck, target } from '../support/checkers.ts';
import { listenOn } from '../support/listeners.ts';
import { makeCertificates, type TestCertificates } from '../support/tls-certificates.ts';

const PLAIN = '127.31.12.10';
const OTHER = '127.31.12.11';
const PROXY = '127.31.12.12';
const GOOD = '127.31.12.20';
const WRONG_NAME = '127.31.12.21';
const EXPIRED = '127.31.12.22';
const SELF_SIGNED = '127.31.12.23';

const servers: Server[] = [];
const ports: Record<string, number> = {};
let certificates: TestCertificates;
let landed = 0;
/** The SNI each TLS server saw last ('' for none). */
const sniSeen: Record<string, string> = {};

function routes(req: IncomingMessage, res: ServerResponse): void {
  const url = req.url ?? '/';
  const status = /^\/status\/(\d{3})$/.exec(url);
  if (status) res.writeHead(Number(status[1])).end(`status ${status[1]} body`);
  else if (url === '/moved') res.writeHead(301, { location: '/landed' }).end('moved');
  else if (url === '/landed') {
    landed++;
    res.end('landed');
  } else if (url === '/headers') res.end(JSON.stringify(req.headers));
  else if (url === '/elsewhere')
    res.writeHead(302, { location: `http://${OTHER}:${ports.other}/headers` }).end();
  else if (url === '/sni') res.end(`sni=${(req.socket as TLSSocket).servername || ''}`);
  else res.end('I am healthy');
}

async function listen(server: Server, name: string, host: string): Promise<void> {
  servers.push(server);
  ports[name] = await listenOn(server, host);
}

function https(credentials: { key: string; cert: string }, name: string): Server {
  const server = createHttpsServer(credentials, routes);
  server.on('secureConnection', (socket: TLSSocket) => {
    sniSeen[name] = socket.servername || '';
  });
  return server;
}

before(async () => {
  certificates = makeCertificates();
  const good = certificates.issue({ name: 'real.example', ips: [GOOD] });
  const wrong = certificates.issue({ name: 'other.example' });
  const expired = certificates.issue({ name: 'real.example', ips: [EXPIRED], expired: true });
  await listen(createHttpServer(routes), 'plain', PLAIN);
  await listen(createHttpServer(routes), 'other', OTHER);
  await listen(
    createHttpServer((req, res) => res.end(JSON.stringify({ url: req.url, ...req.headers }))),
    'proxy',
    PROXY,
  );
  await listen(https(good, 'good'), 'good', GOOD);
  await listen(https(wrong, 'wrong'), 'wrong', WRONG_NAME);
  await listen(https(expired, 'expired'), 'expired', EXPIRED);
  await listen(https(certificates.selfSigned, 'self'), 'self', SELF_SIGNED);
});

after(() => {
  for (const s of servers) {
    s.close();
    if ('closeAllConnections' in s) (s as { closeAllConnections(): void }).closeAllConnections();
  }
  certificates.remove();
});

const plain = (request: string, extra: Partial<CheckTarget> = {}): CheckTarget =>
  target({ host: PLAIN, port: ports.plain!, request, ...extra });

const secure = (host: string, name: string, extra: Partial<CheckTarget> = {}): CheckTarget =>
  target({ service: 'https', host, port: ports[name]!, ...extra });

async function check(t: CheckTarget): Promise<[boolean, string]> {
  const { up, reason } = await runCheck(checkHttp, t);
  return [up, reason];
}

describe('httpstatus', () => {
  test("without it, the original's rule: 2xx is up, 401 and 500 are down", async () => {
    assert.deepEqual(await check(plain('/status/204')), [true, '204 No Content']);
    assert.deepEqual(await check(plain('/status/401')), [false, '401 Unauthorized']);
    assert.deepEqual(await check(plain('/status/500')), [false, '500 Internal Server Error']);
  });

  test('a listed status or one in a listed range is up; the others are down', async () => {
    const httpstatus = [
      [200, 299],
      [401, 401],
    ] as const;
    assert.deepEqual(await check(plain('/status/401', { httpstatus })), [true, '401 Unauthorized']);
    assert.deepEqual(await check(plain('/status/250', { httpstatus })), [true, '250 unknown']);
    assert.deepEqual(await check(plain('/status/403', { httpstatus })), [false, '403 Forbidden']);
  });

  test('an accepted redirect is the answer; one not accepted is followed as before', async () => {
    const before = landed;
    assert.deepEqual(await check(plain('/moved', { httpstatus: [[301, 301]] })), [
      true,
      '301 Moved Permanently',
    ]);
    assert.equal(landed, before, 'the accepted redirect was not followed');
    assert.deepEqual(await check(plain('/moved')), [true, '200 OK']);
    assert.equal(landed, before + 1, 'the redirect was followed');
    assert.deepEqual(await check(plain('/moved', { httpstatus: [[200, 200]] })), [true, '200 OK']);
  });

  test('receive is matched against the body of an accepted status', async () => {
    const httpstatus = [[404, 404]] as const;
    assert.deepEqual(await check(plain('/status/404', { httpstatus, receive: 'status 404' })), [
      true,
      '404 Not Found',
    ]);
    assert.deepEqual(await check(plain('/status/404', { httpstatus, receive: 'healthy' })), [
      false,
      'status 404 body',
    ]);
  });
});

describe('httpheader', () => {
  const headers = [
    { name: 'X-Check', value: 'one' },
    { name: 'x-check', value: 'two' },
    { name: 'Authorization', value: 'Bearer s3cr3t-t0ken' },
  ];

  test('every line is sent, a repeated name once per line, User-Agent kept', async () => {
    const t = plain('/headers', { httpheader: headers, receive: 'nothing-matches' });
    const { reason } = await runCheck(checkHttp, t);
    const seen = JSON.parse(reason) as Record<string, string>;
    assert.equal(seen['x-check'], 'one, two');
    assert.equal(seen.authorization, 'Bearer s3cr3t-t0ken');
    assert.match(seen['user-agent']!, /libwww-perl/);
    assert.equal(seen.host, PLAIN);
  });

  test('a User-Agent line replaces the default one', async () => {
    const t = plain('/headers', {
      httpheader: [{ name: 'User-Agent', value: 'probe/1' }],
      receive: 'nothing-matches',
    });
    const seen = JSON.parse((await runCheck(checkHttp, t)).reason) as Record<string, string>;
    assert.equal(seen['user-agent'], 'probe/1');
  });

  test('a header value the server echoes never reaches a reason the monitor logs', async () => {
    const t = plain('/headers', { httpheader: headers, receive: 'nothing-matches' });
    const { up, reason } = await runCheck(checkHttp, t);
    assert.equal(up, false);
    assert.match(reason, /s3cr3t-t0ken/, 'the echo came back (the test can fail)');
    const logged = cleanReason(reason, t);
    assert.doesNotMatch(logged, /s3cr3t-t0ken/);
    assert.match(logged, /\*{8}/);
  });

  test('http_proxy: the headers go through the real, the proxy, with the request', async () => {
    const t = target({
      service: 'http_proxy',
      host: PROXY,
      port: ports.proxy!,
      request: '/http://www.example.invalid/health',
      httpheader: headers,
      receive: 'nothing-matches',
    });
    const seen = JSON.parse((await runCheck(checkHttp, t)).reason) as Record<string, string>;
    assert.equal(seen.url, 'http://www.example.invalid/health');
    assert.equal(seen['x-check'], 'one, two');
  });

  test('the headers do not follow a redirect to another host', async () => {
    const t = plain('/elsewhere', { httpheader: headers, receive: 'nothing-matches' });
    const seen = JSON.parse((await runCheck(checkHttp, t)).reason) as Record<string, string>;
    assert.equal(seen.host, `${OTHER}:${ports.other}`);
    assert.equal(seen['x-check'], undefined);
    assert.equal(seen.authorization, undefined);
  });
});

describe('TLS', () => {
  test("the original's rule (tlsca alone): the chain and dates are verified, the name is not", async () => {
    const tls = { ca: certificates.caFile };
    assert.deepEqual(await check(secure(GOOD, 'good', { tls })), [true, '200 OK']);
    assert.deepEqual(await check(secure(WRONG_NAME, 'wrong', { tls })), [true, '200 OK']);
    const [expiredUp, expiredReason] = await check(secure(EXPIRED, 'expired', { tls }));
    assert.equal(expiredUp, false);
    assert.match(expiredReason, /certificate verify failed.*expired/);
    const [selfUp, selfReason] = await check(secure(SELF_SIGNED, 'self', { tls }));
    assert.equal(selfUp, false);
    assert.match(selfReason, /certificate verify failed/);
  });

  test('without tlsca the system store decides: the test CA is not in it', async () => {
    const [up, reason] = await check(secure(GOOD, 'good'));
    assert.equal(up, false);
    assert.match(reason, /certificate verify failed/);
  });

  test('tlsverify=yes: the address, else tlsservername, else the virtualhost must be named', async () => {
    const tls = { verify: true, ca: certificates.caFile };
    assert.deepEqual(await check(secure(GOOD, 'good', { tls })), [true, '200 OK']);
    const [wrongUp, wrongReason] = await check(secure(WRONG_NAME, 'wrong', { tls }));
    assert.equal(wrongUp, false);
    assert.match(wrongReason, /certificate verify failed.*127\.31\.12\.21/);
    const named = { ...tls, servername: 'real.example' };
    assert.deepEqual(await check(secure(GOOD, 'good', { tls: named })), [true, '200 OK']);
    const misnamed = { ...tls, servername: 'wrong.example' };
    const [misUp, misReason] = await check(secure(GOOD, 'good', { tls: misnamed }));
    assert.equal(misUp, false);
    assert.match(misReason, /wrong\.example/);
    const other = { ...tls, servername: 'other.example' };
    assert.deepEqual(await check(secure(WRONG_NAME, 'wrong', { tls: other })), [true, '200 OK']);
    // The virtualhost names the server when tlsservername does not.
    assert.deepEqual(
      await check(secure(WRONG_NAME, 'wrong', { tls, virtualhost: 'other.example' })),
      [true, '200 OK'],
    );
    const [expiredUp] = await check(secure(EXPIRED, 'expired', { tls }));
    assert.equal(expiredUp, false);
  });

  test('tlsverify=no: self-signed, expired and misnamed certificates all pass', async () => {
    const tls = { verify: false };
    assert.deepEqual(await check(secure(SELF_SIGNED, 'self', { tls })), [true, '200 OK']);
    assert.deepEqual(await check(secure(EXPIRED, 'expired', { tls })), [true, '200 OK']);
    assert.deepEqual(
      await check(secure(WRONG_NAME, 'wrong', { tls: { ...tls, servername: 'x.example' } })),
      [true, '200 OK'],
    );
  });

  test('SNI: none by default (not even the virtualhost), tlsservername when given', async () => {
    const ca = certificates.caFile;
    const sni = async (extra: Partial<CheckTarget>): Promise<string> => {
      const t = secure(GOOD, 'good', { request: '/sni', ...extra });
      const { up, reason } = await runCheck(checkHttp, t);
      assert.equal(up, true, reason);
      return sniSeen.good!;
    };
    assert.equal(await sni({ tls: { ca }, virtualhost: 'www.example' }), '');
    assert.equal(await sni({ tls: { ca, servername: 'real.example' } }), 'real.example');
    assert.equal(
      await sni({ tls: { ca, verify: true }, virtualhost: 'real.example' }),
      'real.example',
    );
  });

  test('tlsca is read again when it changes; an unreadable one is down with its path', async () => {
    const file = join(certificates.dir, 'changing-ca.pem');
    writeFileSync(file, certificates.selfSigned.cert);
    const t = secure(GOOD, 'good', { tls: { ca: file } });
    assert.equal((await check(t))[0], false, 'the self-signed certificate is not our CA');
    writeFileSync(file, readFileSync(certificates.caFile, 'utf8'));
    assert.deepEqual(await check(t), [true, '200 OK']);
    const missing = secure(GOOD, 'good', { tls: { ca: join(certificates.dir, 'missing.pem') } });
    const [up, reason] = await check(missing);
    assert.equal(up, false);
    assert.match(reason, /tlsca .*missing\.pem.*no such file/i);
  });
});
