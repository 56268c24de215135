// sip (the original's check_sip): send the original's OPTIONS request, byte for byte but for
// the random Call-ID and the local address, over the virtual's protocol (UDP, or TCP when the
// virtual is tcp), and require a `SIP/2.0 200` final response. Unlike the original we skip
// provisional (1xx) responses, retransmit over UDP on SIP's T1 schedule (500 ms, doubling),
// and print nothing (it dumped request and reply on stdout).
import { randomBytes } from 'node:crypto';
import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { isIPv6 } from 'node:net';
import { bracket } from '../lib/address.ts';
import { CheckFailure, Dialogue, failureOf, oneLine, verdict } from './support/dialogue.ts';
import type { Checker, CheckTarget } from './types.ts';

/** The original's request; the Via always says UDP, as there. */
export function optionsRequest(login: string, localAddress: string, localPort: number): string {
  return (
    `OPTIONS sip:${login} SIP/2.0\r\n` +
    `Via: SIP/2.0/UDP ${bracket(localAddress)}:${localPort};branch=z9hG4bKhjhs8ass877\r\n` +
    'Max-Forwards: 70\r\n' +
    `To: <sip:${login}>\r\n` +
    `From: <sip:${login}>;tag=1928301774\r\n` +
    `Call-ID: ${randomBytes(8).toString('hex')}\r\n` +
    'CSeq: 63104 OPTIONS\r\n' +
    `Contact: <sip:${login}>\r\n` +
    'Accept: application/sdp\r\n' +
    'Content-Length: 0\r\n\r\n'
  );
}

const isProvisional = (status: string): boolean => /^SIP\/2\.0 1\d\d\b/.test(status);

function judge(status: string): string {
  if (/^SIP\/2\.0 200\b/.test(status)) return oneLine(status);
  throw new CheckFailure(status === '' ? 'No OK' : oneLine(status));
}

async function overTcp(target: CheckTarget, signal: AbortSignal): Promise<string> {
  const dialogue = await Dialogue.open({ host: target.host, port: target.port, signal });
  try {
    const { address, port } = dialogue.localAddress();
    dialogue.send(optionsRequest(target.login, address, port));
    for (;;) {
      const response = await dialogue.readReply((line) => line === '');
      const status = response[0] ?? '';
      if (!isProvisional(status)) return judge(status);
    }
  } finally {
    dialogue.close();
  }
}

const T1_MS = 500;
const MAX_DATAGRAM = 65_535;

function overUdp(target: CheckTarget, signal: AbortSignal): Promise<string> {
  const socket: UdpSocket = createSocket({ type: isIPv6(target.host) ? 'udp6' : 'udp4' });
  let retransmit: NodeJS.Timeout | undefined;
  let finished = false;
  return new Promise<string>((resolve, reject) => {
    const finish = (error: Error | undefined, reason = ''): void => {
      if (finished) return;
      finished = true;
      clearTimeout(retransmit);
      signal.removeEventListener('abort', onAbort);
      socket.removeAllListeners('message');
      socket.close();
      if (error) reject(error);
      else resolve(reason);
    };
    const onAbort = (): void => finish(new CheckFailure('timeout'));
    if (signal.aborted) return onAbort();
    signal.addEventListener('abort', onAbort, { once: true });
    // A connected socket receives only the real's datagrams, and its ICMP errors.
    socket.on('error', (error: NodeJS.ErrnoException) => finish(failureOf(error)));
    socket.on('message', (message: Buffer) => {
      if (message.length > MAX_DATAGRAM) return;
      const status = message.toString('utf8').split(/\r?\n/, 1)[0] ?? '';
      if (isProvisional(status)) return;
      try {
        finish(undefined, judge(status));
      } catch (error) {
        finish(error as Error);
      }
    });
    socket.connect(target.port, target.host, (error?: Error) => {
      if (error) return finish(failureOf(error));
      const { address, port } = socket.address();
      const request = Buffer.from(optionsRequest(target.login, address, port));
      let interval = T1_MS;
      const send = (): void => {
        socket.send(request);
        retransmit = setTimeout(send, interval);
        interval *= 2;
      };
      send();
    });
  });
}

export const sip: Checker = (target, signal) =>
  verdict(signal, () =>
    target.protocol === 'tcp' ? overTcp(target, signal) : overUdp(target, signal),
  );
