// The shape of the requests the http checkers send (method, path, Host, headers), through an
// undici MockAgent. Timeouts, TLS and sockets are tested against real servers in
// test/integration/checker-http.test.ts.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MockAgent } from 'undici';
import { checkUrl, createHttpChecker } from '../../src/checkers/http.ts';
import { runCheck, target } from '../support/checkers.ts';

interface Seen {
  origin: string;
  path: string;
  method: string;
  headers: Record<string, string>;
}

/** A MockAgent answering `status` and `body` for any path of `origin`, recording requests. */
function recorder(
  origins: string[],
  status = 200,
  body = 'ok',
  headers: Record<string, string> = {},
) {
  const agent = new MockAgent();
  agent.disableNetConnect();
  const seen: Seen[] = [];
  for (const origin of origins) {
    agent
      .get(origin)
      .intercept({ path: () => true, method: () => true })
      .reply((opts) => {
        seen.push({
          origin,
          path: opts.path,
          method: opts.method,
          headers: Object.fromEntries(
            Object.entries(opts.headers as Record<string, string>).map(([k, v]) => [
              k.toLowerCase(),
              v,
            ]),
          ),
        });
        return { statusCode: status, data: body, responseOptions: { headers } };
      })
      .persist();
  }
  return { checker: createHttpChecker({ dispatcher: agent }), seen };
}

test('GET of the request path, Host the bare real address, a user agent naming libwww-perl', async () => {
  const { checker, seen } = recorder(['http://10.0.0.2:8080']);
  const r = await runCheck(
    checker,
    target({ host: '10.0.0.2', port: 8080, request: '/health?full=1' }),
  );
  assert.deepEqual([r.up, r.reason], [true, '200 OK']);
  assert.equal(seen.length, 1);
  assert.equal(seen[0]!.method, 'GET');
  assert.equal(seen[0]!.path, '/health?full=1');
  assert.equal(seen[0]!.headers.host, '10.0.0.2');
  assert.match(seen[0]!.headers['user-agent']!, /^ldirectord-ts\/\S+ \(libwww-perl compatible\)$/);
});

test('HEAD is sent as HEAD, virtualhost as Host', async () => {
  const { checker, seen } = recorder(['http://10.0.0.2']);
  await runCheck(
    checker,
    target({ host: '10.0.0.2', port: 80, httpmethod: 'HEAD', virtualhost: 'www.example.org' }),
  );
  assert.equal(seen[0]!.method, 'HEAD');
  assert.equal(seen[0]!.headers.host, 'www.example.org');
});

test('IPv6: the URL and the Host carry brackets', async () => {
  const { checker, seen } = recorder(['http://[2001:db8::2]']);
  const r = await runCheck(checker, target({ family: 6, host: '2001:db8::2', port: 80 }));
  assert.equal(r.up, true, r.reason);
  assert.equal(seen[0]!.headers.host, '[2001:db8::2]');
});

test('unsafe characters in the request are percent-encoded, the fragment dropped', async () => {
  const { checker, seen } = recorder(['http://10.0.0.2']);
  await runCheck(checker, target({ host: '10.0.0.2', port: 80, request: '/a b/ü?q=1#frag' }));
  assert.equal(seen[0]!.path, '/a%20b/%C3%BC?q=1');
});

test('http_proxy: the absolute URL as the request target, Host from the URL', async () => {
  const { checker, seen } = recorder(['http://10.0.0.3:3128']);
  await runCheck(
    checker,
    target({
      service: 'http_proxy',
      host: '10.0.0.3',
      port: 3128,
      request: '/http://www.example.org:8080/x',
    }),
  );
  assert.equal(seen[0]!.origin, 'http://10.0.0.3:3128');
  assert.equal(seen[0]!.path, 'http://www.example.org:8080/x');
  assert.equal(seen[0]!.headers.host, 'www.example.org:8080');
});

test('a redirect to another origin goes there with that origin as Host', async () => {
  const agent = new MockAgent();
  agent.disableNetConnect();
  const hosts: string[] = [];
  agent
    .get('http://10.0.0.2')
    .intercept({ path: '/' })
    .reply(301, '', { headers: { location: 'http://10.0.0.9:8080/moved' } });
  agent
    .get('http://10.0.0.9:8080')
    .intercept({ path: '/moved' })
    .reply((opts) => {
      hosts.push(String((opts.headers as Record<string, string>).host));
      return { statusCode: 200, data: 'here' };
    });
  const r = await runCheck(
    createHttpChecker({ dispatcher: agent }),
    target({ host: '10.0.0.2', port: 80, virtualhost: 'www.example.org', receive: 'here' }),
  );
  assert.deepEqual([r.up, r.reason], [true, '200 OK']);
  assert.deepEqual(hosts, ['10.0.0.9:8080']);
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
  const { checker, seen } = recorder(['http://10.0.0.2']);
  const r = await runCheck(checker, target({ host: '10.0.0.2', port: 80, receive: '(?{ 1 })' }));
  assert.equal(r.up, false);
  assert.match(r.reason, /^receive: code block/);
  assert.equal(seen.length, 0);
});
