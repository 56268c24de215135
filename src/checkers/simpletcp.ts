// service=simpletcp (the original's check_simpletcp): send the request, minus its leading '/',
// with each two-character sequence \n turned into a newline (no other escapes); half-close;
// then read lines and be up as soon as one line matches the receive Perl regex. "No OK" when
// the server closes without a matching line.
// An empty receive is the original's "empty pattern = last successful match" quirk, whose
// result depends on whatever matched last inside the daemon; we treat it as matching any line:
// up as soon as the server sends anything (docs/compatibility.md).
// The socket follows the virtual's protocol, as the original's: a datagram for udp (the
// request as one datagram, each reply datagram read as lines), a stream otherwise (tcp, fwm).
import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import type { Socket } from 'node:net';
import { isIPv6 } from 'node:net';
import { runWithin } from './support/deadline.ts';
import { hasReceive, receivePattern } from './support/receive.ts';
import { down, up } from './support/result.ts';
import { connectTcp, lineSplitter } from './support/tcp.ts';
import type { Checker, NegotiateTarget, ServiceDescriptors } from './types.ts';

/** Stop reading after this much without a matching line: a server cannot exhaust memory. */
const MAX_READ = 1024 * 1024;
const NO_OK = 'No OK';

/** The bytes sent: request minus its first character, "\n" (two chars) as a newline. */
export function simpletcpPayload(request: string): Buffer {
  return Buffer.from(request.slice(1).replaceAll('\\n', '\n'), 'utf8');
}

function matcher(target: NegotiateTarget): ((line: string) => boolean) | string {
  if (!hasReceive(target.receive)) return (line) => line !== '';
  const pattern = receivePattern(target.receive);
  return typeof pattern === 'string' ? pattern : (line) => pattern.test(line);
}

export const checkSimpletcp: Checker<NegotiateTarget> = (target, signal) => {
  const matches = matcher(target);
  if (typeof matches === 'string') return Promise.resolve(down(matches));
  let socket: Socket | undefined;
  let datagram: UdpSocket | undefined;
  return runWithin(
    signal,
    async () => {
      if (target.protocol === 'udp') {
        datagram = createSocket(isIPv6(target.host) ? 'udp6' : 'udp4');
        return await exchangeUdp(datagram, target, matches);
      }
      socket = await connectTcp(target.host, target.port, { signal, timeoutMs: target.timeoutMs });
      return await exchangeTcp(socket, target, matches);
    },
    () => {
      socket?.destroy();
      try {
        datagram?.close();
      } catch {
        // already closed
      }
    },
  );
};

/** service=simpletcp: no port of its own; receive matches the first line answered. */
export const simpletcpServices = {
  simpletcp: { check: checkSimpletcp, receive: 'regex' },
} satisfies ServiceDescriptors;

function exchangeTcp(
  socket: Socket,
  target: NegotiateTarget,
  matches: (line: string) => boolean,
): Promise<{ up: boolean; reason: string }> {
  return new Promise((resolve) => {
    let read = 0;
    let found: string | undefined;
    const lines = lineSplitter((line) => {
      if (!matches(line)) return false;
      found = line;
      return true;
    });
    const settle = (): void => {
      resolve(found === undefined ? down(NO_OK) : up(found.trimEnd()));
      socket.destroy();
    };
    socket.on('data', (chunk: Buffer) => {
      read += chunk.length;
      lines.push(chunk);
      if (found !== undefined || read > MAX_READ) settle();
    });
    socket.on('end', () => {
      lines.end();
      settle();
    });
    socket.on('error', () => {
      lines.end();
      settle();
    });
    socket.end(simpletcpPayload(target.request));
  });
}

function exchangeUdp(
  socket: UdpSocket,
  target: NegotiateTarget,
  matches: (line: string) => boolean,
): Promise<{ up: boolean; reason: string }> {
  return new Promise((resolve) => {
    // A refused datagram shows up as an ICMP error on the connected socket.
    socket.on('error', () => resolve(down(NO_OK)));
    socket.on('message', (message: Buffer) => {
      let found: string | undefined;
      const lines = lineSplitter((line) => {
        if (!matches(line)) return false;
        found = line;
        return true;
      });
      lines.push(message);
      lines.end();
      if (found !== undefined) resolve(up(found.trimEnd()));
    });
    socket.connect(target.port, target.host, () => socket.send(simpletcpPayload(target.request)));
  });
}
