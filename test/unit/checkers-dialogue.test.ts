// The line dialogue helper under the protocol checkers, against small servers started here:
// lines and replies, bounds, a peer closing, close() during a read, the abort signal while
// connecting, and TLS verification (the chain, not the name).
import assert from 'node:assert/strict';
import { createServer, type Server, type Socket } from 'node:net';
import { after, before, test } from 'node:test';
import { createServer as createTlsServer } from 'node:tls';
import { CheckFailure, Dialogue } from '../../src/checkers/support/dialogue.ts';
import { tlsOptions } from '../../src/checkers/support/tls.ts';
import { makeCertificates, type TestCertificates } from '../support/tls-certificates.ts';

const HOST = '127.0.2.60';
let certificates: TestCertificates;
const servers: Server[] = [];

before(() => {
  certificates = makeCertificates();
});

after(() => {
  for (const server of servers) server.close();
  certificates.remove();
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

const open = (port: number, options: { maxBytes?: number; signal?: AbortSignal } = {}) =>
  Dialogue.open({
    host: HOST,
    port,
    timeoutMs: 3000,
    signal: options.signal ?? AbortSignal.timeout(3000),
    maxBytes: options.maxBytes,
  });

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
  const dialogue = await open(port, { maxBytes: 1024 });
  await assert.rejects(dialogue.readLine(), new CheckFailure('reply too long'));
  dialogue.close();
});

test('an endless multi-line reply fails at maxBytes', async () => {
  const port = await serve((s) => {
    const flood = setInterval(() => s.write('250-more\r\n'.repeat(50)), 5);
    s.on('close', () => clearInterval(flood));
  });
  const dialogue = await open(port, { maxBytes: 4096 });
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

test('close() fails a pending read at once; an aborted signal stops the connect', async () => {
  const port = await serve(() => {});
  const dialogue = await open(port);
  const reading = dialogue.readLine();
  dialogue.close();
  await assert.rejects(reading, new CheckFailure('closed'));
  await assert.rejects(open(port, { signal: AbortSignal.abort() }), new CheckFailure('timeout'));
});

test('a closed port reads as strerror words', async () => {
  const port = await serve(() => {});
  servers.at(-1)!.close();
  await assert.rejects(open(port), new CheckFailure('Connection refused'));
});

async function tlsGreeter(key: string, cert: string): Promise<number> {
  const server = createTlsServer({ key, cert }, (socket) => socket.end('+OK tls\r\n'));
  server.on('tlsClientError', () => {});
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, HOST, resolve));
  return (server.address() as { port: number }).port;
}

test('TLS: the chain is verified, the name is not', async () => {
  const tlsOpen = (port: number, caFile?: string) =>
    Dialogue.open({
      host: HOST,
      port,
      timeoutMs: 3000,
      signal: AbortSignal.timeout(3000),
      tls: tlsOptions(undefined, undefined, caFile),
    });
  const selfSigned = await tlsGreeter(certificates.selfSigned.key, certificates.selfSigned.cert);
  await assert.rejects(tlsOpen(selfSigned), /^Error: certificate verify failed \(self[- ]signed/);
  // Signed by a CA we trust, for a name that is not this address.
  const signed = await tlsGreeter(certificates.signed.key, certificates.signed.cert);
  await assert.rejects(tlsOpen(signed), /^Error: certificate verify failed/);
  const dialogue = await tlsOpen(signed, certificates.caFile);
  assert.equal(await dialogue.readLine(), '+OK tls');
  dialogue.close();
});
