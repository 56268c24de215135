// The shape of the requests the http checkers send (method, path, Host, headers, where the
// connection goes, SNI), through nock: it intercepts at the socket, so the checker's own undici
// Client and connector run as in production. Timeouts, TLS and sockets are tested against real
// servers in test/integration/checker-http.test.ts.
import assert from 'node:assert/strict';
import net from 'node:net';
import { after, beforeEach, mock, test } from 'node:test';
import tls from 'node:tls';
import nock from 'nock';
import { checkHttp, checkUrl } from '../../src/checkers/http.ts';
import { runCheck, target } from '../support/checkers.ts';

interface Seen {
  /** The scope (origin) that answered. */
  scope: string;
  method: string;
  url: string;
  headers: Record<string, string>;
}

/** Every connection the checker opens: where to, and the SNI name of a TLS one. */
const connections: Array<{ kind: 'tcp' | 'tls'; host: string; port: number; sni?: string }> = [];
const netConnect = net.connect;
const tlsConnect = tls.connect;
mock.method(net, 'connect', function (this: unknown, ...args: Parameters<typeof net.connect>) {
  const options = args[0] as unknown as net.TcpNetConnectOpts; // undici passes options
  connections.push({ kind: 'tcp', host: String(options.host), port: Number(options.port) });
  return netConnect.apply(this, args);
});
mock.method(tls, 'connect', function (this: unknown, ...args: Parameters<typeof tls.connect>) {
  const options = args[0] as tls.ConnectionOptions;
  connections.push({
    kind: 'tls',
    host: String(options.host),
    port: Number(options.port),
    ...(options.servername ? { sni: options.servername } : {}),
  });
  return tlsConnect.apply(this, args);
});

nock.disableNetConnect();
beforeEach(() => {
  nock.cleanAll();
  connections.length = 0;
});
after(() => {
  nock.cleanAll();
  nock.restore();
  mock.restoreAll();
});

/** Answers `status` and `body` for any GET or HEAD of each origin, recording the requests. */
function recorder(
  origins: string[],
  status = 200,
  body = 'ok',
  headers: Record<string, string> = {},
) {
  const seen: Seen[] = [];
  for (const origin of origins) {
    for (const method of ['GET', 'HEAD']) {
      nock(origin)
        .persist()
        .intercept(() => true, method)
        .reply((request: Request) => {
          seen.push({
            scope: origin,
            method: request.method,
            url: request.url,
            headers: Object.fromEntries(request.headers),
          });
          return [status, body, headers];
        });
    }
  }
  return seen;
}

test('GET of the request path, Host the bare real address, a user agent naming libwww-perl, a fresh connection', async () => {
  const seen = recorder(['http://10.0.0.2:8080']);
  const r = await runCheck(
    checkHttp,
    target({ host: '10.0.0.2', port: 8080, request: '/health?full=1' }),
  );
  assert.deepEqual([r.up, r.reason], [true, '200 OK']);
  assert.equal(seen.length, 1);
  assert.equal(seen[0]!.method, 'GET');
  assert.equal(seen[0]!.url, 'http://10.0.0.2:8080/health?full=1');
  assert.equal(seen[0]!.headers.host, '10.0.0.2');
  assert.equal(seen[0]!.headers.connection, 'close');
  assert.match(seen[0]!.headers['user-agent']!, /^ldirectord-ts\/\S+ \(libwww-perl compatible\)$/);
  assert.deepEqual(connections, [{ kind: 'tcp', host: '10.0.0.2', port: 8080 }]);
});

test('HEAD is sent as HEAD, virtualhost as Host, the connection still to the real', async () => {
  const seen = recorder(['http://10.0.0.2']);
  await runCheck(
    checkHttp,
    target({ host: '10.0.0.2', port: 80, httpmethod: 'HEAD', virtualhost: 'www.example.org' }),
  );
  assert.equal(seen[0]!.method, 'HEAD');
  assert.equal(seen[0]!.headers.host, 'www.example.org');
  assert.deepEqual(connections, [{ kind: 'tcp', host: '10.0.0.2', port: 80 }]);
});

test('https with a virtualhost: TLS to the real address, no SNI (as the original), Host the virtualhost', async () => {
  const seen = recorder(['https://10.0.0.2']);
  const r = await runCheck(
    checkHttp,
    target({ service: 'https', host: '10.0.0.2', port: 443, virtualhost: 'www.example.org' }),
  );
  assert.equal(r.up, true, r.reason);
  assert.equal(seen[0]!.headers.host, 'www.example.org');
  // undici alone would send the Host header's name as SNI; the checker's connector drops it.
  assert.deepEqual(connections, [{ kind: 'tls', host: '10.0.0.2', port: 443 }]);
});

test('IPv6: the URL and the Host carry brackets', async () => {
  const seen = recorder(['http://[2001:db8::2]']);
  const r = await runCheck(checkHttp, target({ family: 6, host: '2001:db8::2', port: 80 }));
  assert.equal(r.up, true, r.reason);
  assert.equal(seen[0]!.headers.host, '[2001:db8::2]');
  assert.deepEqual(connections, [{ kind: 'tcp', host: '2001:db8::2', port: 80 }]);
});

test('unsafe characters in the request are percent-encoded, the fragment dropped', async () => {
  const seen = recorder(['http://10.0.0.2']);
  await runCheck(checkHttp, target({ host: '10.0.0.2', port: 80, request: '/a b/ü?q=1#frag' }));
  assert.equal(seen[0]!.url, 'http://10.0.0.2/a%20b/%C3%BC?q=1');
});

test('http_proxy: the connection to the real, the absolute URL as the request target, Host from the URL', async () => {
  const seen = recorder(['http://10.0.0.3:3128', 'http://www.example.org:8080']);
  const r = await runCheck(
    checkHttp,
    target({
      service: 'http_proxy',
      host: '10.0.0.3',
      port: 3128,
      request: '/http://www.example.org:8080/x',
    }),
  );
  assert.equal(r.up, true, r.reason);
  assert.deepEqual(connections, [{ kind: 'tcp', host: '10.0.0.3', port: 3128 }]);
  // A request in origin form would read as http://10.0.0.3:3128/x here.
  assert.equal(seen[0]!.url, 'http://www.example.org:8080/x');
  assert.equal(seen[0]!.headers.host, 'www.example.org:8080');
});

test('a redirect to another origin goes there with that origin as Host', async () => {
  const hosts: string[] = [];
  nock('http://10.0.0.2').get('/').reply(301, '', { location: 'http://10.0.0.9:8080/moved' });
  nock('http://10.0.0.9:8080')
    .get('/moved')
    .reply((request: Request) => {
      hosts.push(String(request.headers.get('host')));
      return [200, 'here'];
    });
  const r = await runCheck(
    checkHttp,
    target({ host: '10.0.0.2', port: 80, virtualhost: 'www.example.org', receive: 'here' }),
  );
  assert.deepEqual([r.up, r.reason], [true, '200 OK']);
  assert.deepEqual(hosts, ['10.0.0.9:8080']);
  assert.deepEqual(
    connections.map((c) => `${c.host}:${c.port}`),
    ['10.0.0.2:80', '10.0.0.9:8080'],
  );
});

test('checkUrl builds the URL as ld_setup does', () => {
  const t = (o: Parameters<typeof target>[0]) =>
    checkUrl(target({ host: '10.0.0.2', port: 81, ...o }));
  assert.deepEqual(t({ request: '/index.html' }), { url: 'http://10.0.0.2:81/index.html' });
  assert.deepEqual(t({ service: 'https', request: '/' }), { url: 'https://10.0.0.2:81/' });
  assert.deepEqual(t({ request: '/http://other:82/x' }), { url: 'http://other:82/x' });
  // only the service's own scheme makes the request absolute, as in the original
  assert.deepEqual(t({ service: 'https', request: '/http://other/x' }), {
    url: 'https://10.0.0.2:81/http://other/x',
  });
  assert.deepEqual(t({ service: 'http_proxy', request: '/http://site/' }), {
    url: 'http://site/',
    proxy: 'http://10.0.0.2:81',
  });
  assert.deepEqual(t({ family: 6, host: '2001:db8::2', request: '/' }), {
    url: 'http://[2001:db8::2]:81/',
  });
});

test('a receive that cannot be translated is down with the reason, without a request', async () => {
  const seen = recorder(['http://10.0.0.2']);
  const r = await runCheck(checkHttp, target({ host: '10.0.0.2', port: 80, receive: '(?{ 1 })' }));
  assert.equal(r.up, false);
  assert.match(r.reason, /^receive: code block/);
  assert.equal(seen.length, 0);
  assert.deepEqual(connections, []);
});
