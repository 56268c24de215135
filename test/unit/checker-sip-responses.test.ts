// How the sip checker reads responses, against UDP servers started here: provisional
// responses are skipped, any 200 is up, anything else final is down.
import assert from 'node:assert/strict';
import { createSocket } from 'node:dgram';
import { after, test } from 'node:test';
import { checkSip } from '../../src/checkers/sip.ts';
import { target } from '../support/checkers.ts';

const HOST = '127.0.2.61';
const sockets: ReturnType<typeof createSocket>[] = [];
after(() => {
  for (const socket of sockets) socket.close();
});

/** A UDP server answering each request with the given status lines, one datagram each. */
async function answering(...statuses: string[]): Promise<number> {
  const socket = createSocket('udp4');
  sockets.push(socket);
  socket.on('message', (request, from) => {
    const callId = /^Call-ID: .*$/m.exec(request.toString())?.[0] ?? '';
    for (const status of statuses) {
      socket.send(`${status}\r\n${callId}\r\nContent-Length: 0\r\n\r\n`, from.port, from.address);
    }
  });
  await new Promise<void>((resolve) => socket.bind(0, HOST, resolve));
  return socket.address().port;
}

const check = (port: number) =>
  checkSip(
    target({ service: 'sip', protocol: 'udp', host: HOST, port, login: 'a@b' }),
    AbortSignal.timeout(2000),
  );

test('a 100 Trying before the 200 is skipped', async () => {
  assert.deepEqual(await check(await answering('SIP/2.0 100 Trying', 'SIP/2.0 200 OK')), {
    up: true,
    reason: 'SIP/2.0 200 OK',
  });
});

test('any reason phrase after 200 is up', async () => {
  assert.equal((await check(await answering('SIP/2.0 200 Fine'))).up, true);
});

test('a final non-200 is down with its status line; a non-SIP reply is down', async () => {
  assert.deepEqual(await check(await answering('SIP/2.0 503 Service Unavailable')), {
    up: false,
    reason: 'SIP/2.0 503 Service Unavailable',
  });
  assert.deepEqual(await check(await answering('HTTP/1.1 200 OK')), {
    up: false,
    reason: 'HTTP/1.1 200 OK',
  });
});
