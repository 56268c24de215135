// sip (the original's check_sip): send the original's OPTIONS request, byte for byte but for
// the random Call-ID and the local address, over the virtual's protocol (UDP, or TCP when the
// virtual is tcp), and require a `SIP/2.0 200` final response. Unlike the original we skip
// provisional (1xx) responses, retransmit over UDP on SIP's T1 schedule (500 ms, doubling),
// and print nothing (it dumped request and reply on stdout).
import { randomBytes } from 'node:crypto';
import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { isIPv6 } from 'node:net';
import { bracket } from '../lib/inet.ts';
import { runWithin } from './support/deadline.ts';
import { CheckFailure, Dialogue, endpoint, failureOf, oneLine } from './support/dialogue.ts';
import { up } from './support/result.ts';
import type { Checker, CheckResult, NegotiateTarget, ServiceDescriptors } from './types.ts';

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

function judge(status: string): CheckResult {
  if (/^SIP\/2\.0 200\b/.test(status)) return up(oneLine(status));
  throw new CheckFailure(status === '' ? 'No OK' : oneLine(status));
}

async function overTcp(dialogue: Dialogue, target: NegotiateTarget): Promise<CheckResult> {
  const { address, port } = dialogue.localAddress();
  dialogue.send(optionsRequest(target.login, address, port));
  for (;;) {
    const response = await dialogue.readReply((line) => line === '');
    const status = response[0] ?? '';
    if (!isProvisional(status)) return judge(status);
  }
}

const T1_MS = 500;

/** Sends until a final response, an ICMP error, or release (which closes the socket). */
function overUdp(socket: UdpSocket, target: NegotiateTarget): Promise<CheckResult> {
  let retransmit: NodeJS.Timeout | undefined;
  return new Promise<CheckResult>((resolve, reject) => {
    const finish = (settle: () => void): void => {
      clearTimeout(retransmit);
      socket.removeAllListeners('message');
      settle();
    };
    socket.on('close', () => finish(() => reject(new CheckFailure('closed'))));
    // A connected socket receives only the real's datagrams, and its ICMP errors.
    socket.on('error', (error) => finish(() => reject(failureOf(error))));
    socket.on('message', (message: Buffer) => {
      const status = message.toString('utf8').split(/\r?\n/, 1)[0] ?? '';
      if (isProvisional(status)) return;
      try {
        const result = judge(status);
        finish(() => resolve(result));
      } catch (error) {
        finish(() => reject(error));
      }
    });
    socket.connect(target.port, target.host, (error?: Error) => {
      if (error) return finish(() => reject(failureOf(error)));
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

export const checkSip: Checker<NegotiateTarget> = (target, signal) => {
  let dialogue: Dialogue | undefined;
  let datagram: UdpSocket | undefined;
  return runWithin(
    signal,
    async () => {
      if (target.protocol === 'tcp') {
        dialogue = await Dialogue.open({ ...endpoint(target), signal });
        return overTcp(dialogue, target);
      }
      datagram = createSocket(isIPv6(target.host) ? 'udp6' : 'udp4');
      return overUdp(datagram, target);
    },
    () => {
      dialogue?.close();
      try {
        datagram?.close();
      } catch {
        // already closed
      }
    },
  );
};

/** service=sip. service= sets the original's login when none was given before it. */
export const sipServices = {
  sip: {
    check: checkSip,
    port: 5060,
    receive: 'unused',
    defaults: (hostname) => ({ login: `ldirectord@${hostname}` }),
  },
} satisfies ServiceDescriptors;
