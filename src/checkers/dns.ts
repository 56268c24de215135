// service=dns (check_dns): ask the real server for the request (an A name, or an address for
// its PTR) and match the answers' addresses or names against receive (§4.6).
//
// Packets are built and read with dns-packet; node's dns.Resolver cannot be used because it
// cannot be told to use TCP, which the original does when the virtual's protocol is tcp.
// The name is queried as written: resolv.conf search domains are not applied (the original's
// Net::DNS search() applies them; see docs/compatibility.md).
import { randomInt } from 'node:crypto';
import { connect, isIP, isIPv4 } from 'node:net';
import dnsPacket, { type DecodedPacket, type Question } from 'dns-packet';
import { ipv6Groups } from '../lib/inet.ts';
import { perlBytes } from '../lib/perl-regex.ts';
import { runWithin } from './support/deadline.ts';
import { receivePattern } from './support/receive.ts';
import { down, TIMEOUT, up } from './support/result.ts';
import { udpExchange } from './support/udp-exchange.ts';
import type { Checker, CheckResult, NegotiateTarget, ServiceDescriptors } from './types.ts';

/** The original's word for every resolver failure: refused, NXDOMAIN, no answer, timeout. */
const FAILED = down('Connection timed out');
const MISMATCH = down('Response mismatch');
const UDP_RETRANSMIT_MS = 1000;

type Outcome = { kind: 'answer'; message: Buffer } | { kind: 'failed' } | { kind: 'aborted' };

export const checkDns: Checker<NegotiateTarget> = (target, signal) =>
  runWithin(signal, () => query(target, signal));

/** service=dns: receive matches the address (or name) of an A or PTR answer. */
export const dnsServices = {
  dns: { check: checkDns, port: 53, receive: 'regex' },
} satisfies ServiceDescriptors;

async function query(target: NegotiateTarget, signal: AbortSignal): Promise<CheckResult> {
  const question = questionFor(target.request.replace(/^\//, ''));
  const id = randomInt(0, 0x10000);
  const query: Parameters<typeof dnsPacket.encode>[0] = {
    type: 'query',
    id,
    flags: dnsPacket.RECURSION_DESIRED,
    questions: [question],
  };
  const isAnswer = (message: Buffer): DecodedPacket | undefined => {
    try {
      const decoded = dnsPacket.decode(message);
      const asked = decoded.questions?.[0];
      if (decoded.type !== 'response' || decoded.id !== id || !asked) return undefined;
      if (asked.type !== question.type || asked.name.toLowerCase() !== question.name.toLowerCase())
        return undefined;
      return decoded;
    } catch {
      return undefined;
    }
  };

  let outcome: Outcome;
  if (target.protocol === 'tcp') {
    outcome = await tcpQuery(target.host, target.port, dnsPacket.streamEncode(query), signal);
  } else {
    const udp = await udpExchange({
      host: target.host,
      port: target.port,
      request: dnsPacket.encode(query),
      accept: (message) => isAnswer(message) !== undefined,
      retransmitMs: UDP_RETRANSMIT_MS,
      signal,
    });
    outcome = udp.kind === 'error' ? { kind: 'failed' } : udp;
    // A truncated answer is asked again over TCP, as Net::DNS does.
    if (outcome.kind === 'answer' && isAnswer(outcome.message)?.flag_tc) {
      outcome = await tcpQuery(target.host, target.port, dnsPacket.streamEncode(query), signal);
    }
  }
  if (outcome.kind === 'aborted') return TIMEOUT;
  if (outcome.kind === 'failed') return FAILED;
  const response = isAnswer(outcome.message);
  const answers = response?.answers ?? [];
  if (!response || (response as { rcode?: string }).rcode !== 'NOERROR' || answers.length === 0)
    return FAILED;

  // Empty receive: always down, as the original (§6 item 27; the config layer warns).
  if (target.receive === '') return MISMATCH;
  const receive = receivePattern(target.receive);
  if (typeof receive === 'string') return down(receive);
  for (const answer of answers) {
    if ((answer.type === 'A' || answer.type === 'PTR') && receive.test(perlBytes(answer.data))) {
      return up('Success');
    }
  }
  return MISMATCH;
}

/** An address asks for its PTR (in-addr.arpa or ip6.arpa), anything else for an A record. */
export function questionFor(request: string): Question {
  if (isIPv4(request)) {
    return { type: 'PTR', name: `${request.split('.').reverse().join('.')}.in-addr.arpa` };
  }
  if (isIP(request) === 6) {
    const hex = ipv6Groups(request).map((group) => group.toString(16).padStart(4, '0'));
    const nibbles = hex.join('').split('').reverse();
    return { type: 'PTR', name: `${nibbles.join('.')}.ip6.arpa` };
  }
  return { type: 'A', name: request.replace(/\.$/, '') };
}

/** A DNS query over TCP: two-byte length, then the message, both ways. */
function tcpQuery(
  host: string,
  port: number,
  request: Buffer,
  signal: AbortSignal,
): Promise<Outcome> {
  if (signal.aborted) return Promise.resolve({ kind: 'aborted' });
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    let received = Buffer.alloc(0);
    const finish = (outcome: Outcome): void => {
      signal.removeEventListener('abort', onAbort);
      socket.destroy();
      resolve(outcome);
    };
    const onAbort = (): void => finish({ kind: 'aborted' });
    signal.addEventListener('abort', onAbort, { once: true });
    socket.on('connect', () => socket.write(request));
    socket.on('data', (chunk: Buffer) => {
      received = Buffer.concat([received, chunk]);
      if (received.length >= 2 && received.length >= 2 + received.readUInt16BE(0)) {
        finish({ kind: 'answer', message: received.subarray(2, 2 + received.readUInt16BE(0)) });
      }
    });
    socket.on('error', () => finish({ kind: 'failed' }));
    socket.on('close', () => finish({ kind: 'failed' }));
  });
}
