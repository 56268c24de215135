// The line dialogue helper and the TLS options under the protocol checkers, against small
// servers started here: bounds, a peer closing, abort, and what TLS verification accepts.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { createServer as createTlsServer } from 'node:tls';
import { CheckFailure, Dialogue, verdict } from '../../src/checkers/support/dialogue.ts';
import { verifyingTlsOptions } from '../../src/checkers/support/verify-tls.ts';
import { makeSelfSignedCertificate, type TestCertificate } from '../support/tls-cert.ts';

const HOST = '127.0.2.60';
let dir = '';
let certificate: TestCertificate;
const servers: Server[] = [];

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'ldts-dialogue-'));
  // Names an address that is not the server's: host names are not verified.
  certificate = await makeSelfSignedCertificate(dir, ['192.0.2.1']);
});

after(async () => {
  for (const server of servers) server.close();
  rmSync(dir, { recursive: true, force: true });
});

async function serve(onClient: (socket: Socket) => void): Promise<number> {
  const server = createServer((socket) => {
    socket.on('error', () => {});
    onClient(socket);
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, HOST, resolve));
  return (server.address() as { port: number }).port;
}

const open = (port: number, signal = AbortSignal.timeout(3000), maxBytes?: number) =>
  Dialogue.open({ host: HOST, port, signal, maxBytes });

test('reads lines without their CRLF, a multi-line reply, and the first bytes', async () => {
  const port = await serve((s) => s.write('one\r\n250-a\r\n250-b\r\n250 c\r\nrest of it'));
  const dialogue = await open(port);
  try {
    assert.equal(await dialogue.readLine(), 'one');
    assert.deepEqual(await dialogue.readReply((l) => l.startsWith('250 ')), [
      '250-a',
      '250-b',
      '250 c',
    ]);
    assert.equal((await dialogue.readSome(4)).toString(), 'rest');
  } finally {
    dialogue.close();
  }
});

test('a line longer than maxBytes fails instead of growing the buffer', async () => {
  const port = await serve((s) => s.write('x'.repeat(5000)));
  const dialogue = await open(port, undefined, 1024);
  await assert.rejects(dialogue.readLine(), new CheckFailure('reply too long'));
  dialogue.close();
});

test('an endless multi-line reply fails at maxBytes', async () => {
  const port = await serve((s) => {
    const flood = setInterval(() => s.write('250-more\r\n'.repeat(50)), 5);
    s.on('close', () => clearInterval(flood));
  });
  const dialogue = await open(port, undefined, 4096);
  await assert.rejects(
    dialogue.readReply((l) => l.startsWith('250 ')),
    new CheckFailure('reply too long'),
  );
  dialogue.close();
});

test('a peer closing mid-reply ends the read', async () => {
  const port = await serve((s) => s.end('250-partial\r\n'));
  const dialogue = await open(port);
  await assert.rejects(
    dialogue.readReply((l) => l.startsWith('250 ')),
    new CheckFailure('Connection closed by peer'),
  );
  dialogue.close();
});

test('an aborted signal fails at once, before and after connecting', async () => {
  const port = await serve(() => {});
  await assert.rejects(open(port, AbortSignal.abort()), new CheckFailure('timeout'));
  const controller = new AbortController();
  const dialogue = await open(port, controller.signal);
  const reading = dialogue.readLine();
  controller.abort();
  await assert.rejects(reading, new CheckFailure('timeout'));
});

test('verdict never throws: up with the reason returned, down with the failure, timeout once aborted', async () => {
  const live = new AbortController().signal;
  assert.deepEqual(await verdict(live, async () => 'fine'), { up: true, reason: 'fine' });
  assert.deepEqual(
    await verdict(live, async () => {
      throw new CheckFailure('bad');
    }),
    { up: false, reason: 'bad' },
  );
  assert.deepEqual(
    await verdict(live, async () => {
      throw 'odd';
    }),
    { up: false, reason: 'odd' },
  );
  assert.deepEqual(
    await verdict(AbortSignal.abort(), async () => {
      throw new Error('ECONNRESET');
    }),
    {
      up: false,
      reason: 'timeout',
    },
  );
});

async function tlsGreeter(): Promise<number> {
  const server = createTlsServer(
    { cert: readFileSync(certificate.certFile), key: readFileSync(certificate.keyFile) },
    (socket) => socket.end('+OK tls\r\n'),
  );
  server.on('tlsClientError', () => {});
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, HOST, resolve));
  return (server.address() as { port: number }).port;
}

test('TLS: an untrusted chain fails; trusted through SSL_CERT_FILE it passes though the name differs', async () => {
  const port = await tlsGreeter();
  await assert.rejects(
    Dialogue.open({
      host: HOST,
      port,
      signal: AbortSignal.timeout(3000),
      tls: verifyingTlsOptions(),
    }),
    /self[- ]signed certificate/,
  );
  process.env.SSL_CERT_FILE = certificate.certFile;
  try {
    const dialogue = await Dialogue.open({
      host: HOST,
      port,
      signal: AbortSignal.timeout(3000),
      tls: verifyingTlsOptions(),
    });
    assert.equal(await dialogue.readLine(), '+OK tls');
    dialogue.close();
  } finally {
    delete process.env.SSL_CERT_FILE;
  }
});
