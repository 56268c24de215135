// One request, one answer over UDP (dns, radius): a connected socket, so only the server's
// datagrams arrive and an ICMP port-unreachable surfaces as ECONNREFUSED; the request is resent
// while no answer comes; the socket is closed as soon as an answer, an error or the abort comes.
import { createSocket } from 'node:dgram';
import { isIPv6 } from 'node:net';

export interface UdpExchange {
  host: string;
  port: number;
  /** The request; a function to build it once the local address is known (RADIUS's NAS). */
  request: Buffer | ((local: { address: string; family: string }) => Buffer);
  /** Whether a datagram is the answer; anything else (stale, foreign, malformed) is ignored. */
  accept: (message: Buffer) => boolean;
  /** Resend the request after this many ms without an answer; 0: never. */
  retransmitMs: number;
  signal: AbortSignal;
}

export type UdpOutcome =
  | { kind: 'answer'; message: Buffer }
  | { kind: 'error'; error: NodeJS.ErrnoException }
  | { kind: 'aborted' };

export function udpExchange(exchange: UdpExchange): Promise<UdpOutcome> {
  const { signal } = exchange;
  if (signal.aborted) return Promise.resolve({ kind: 'aborted' });
  return new Promise((resolve) => {
    const socket = createSocket(isIPv6(exchange.host) ? 'udp6' : 'udp4');
    let resend: NodeJS.Timeout | undefined;
    let settled = false;
    const finish = (outcome: UdpOutcome): void => {
      if (settled) return;
      settled = true;
      clearInterval(resend);
      signal.removeEventListener('abort', onAbort);
      socket.removeAllListeners('message');
      socket.on('error', () => {});
      try {
        socket.close();
      } catch {
        // not running
      }
      resolve(outcome);
    };
    const onAbort = (): void => finish({ kind: 'aborted' });
    signal.addEventListener('abort', onAbort, { once: true });
    socket.on('error', (error: NodeJS.ErrnoException) => finish({ kind: 'error', error }));
    socket.on('message', (message) => {
      let accepted = false;
      try {
        accepted = exchange.accept(message);
      } catch {
        // a datagram the caller cannot read is not the answer
      }
      if (accepted) finish({ kind: 'answer', message });
    });
    // The callback also gets a failed lookup or connect (node's typing omits the argument).
    const onConnect = (error?: NodeJS.ErrnoException): void => {
      if (settled) return;
      if (error) {
        finish({ kind: 'error', error });
        return;
      }
      let request: Buffer;
      try {
        request =
          typeof exchange.request === 'function'
            ? exchange.request(socket.address())
            : exchange.request;
      } catch (error) {
        finish({ kind: 'error', error: error instanceof Error ? error : new Error(String(error)) });
        return;
      }
      const send = (): void => {
        if (!settled) socket.send(request);
      };
      send();
      if (exchange.retransmitMs > 0) resend = setInterval(send, exchange.retransmitMs);
    };
    socket.connect(exchange.port, exchange.host, onConnect as () => void);
  });
}
