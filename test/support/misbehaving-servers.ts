// Servers that misbehave, for the failure paths of every checker: a TCP listener that accepts
// and stays silent, one that answers with garbage, a UDP socket that never answers; and a way
// to see that a checker left no socket open.
import { createSocket } from 'node:dgram';
import { type AddressInfo, createServer, type Server, type Socket } from 'node:net';

export interface TcpTestServer {
  port: number;
  /** Connections accepted and still open. */
  readonly open: number;
  /** Connections accepted so far. */
  readonly accepted: number;
  close(): Promise<void>;
}

/**
 * Accepts connections and never sends a byte (or sends `greeting` once, then nothing); with
 * `hangUp`, closes each connection at once after the greeting.
 */
export async function tcpListener(
  host: string,
  greeting?: Buffer | string,
  hangUp = false,
): Promise<TcpTestServer> {
  const sockets = new Set<Socket>();
  let accepted = 0;
  const server: Server = createServer((socket) => {
    accepted++;
    sockets.add(socket);
    socket.on('error', () => {});
    socket.on('close', () => sockets.delete(socket));
    // Read and drop what comes: a paused socket would never see the peer's close.
    socket.resume();
    if (greeting !== undefined) socket.write(greeting);
    if (hangUp) socket.end();
  });
  await new Promise<void>((resolve) => server.listen(0, host, resolve));
  return {
    port: (server.address() as AddressInfo).port,
    get open() {
      return sockets.size;
    },
    get accepted() {
      return accepted;
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

/** Bytes no protocol accepts as a greeting or a reply. */
export const GARBAGE = Buffer.from(
  '\x00\xff garbage \xfe\x01 this is not the protocol\r\n'.repeat(8),
);

export interface UdpTestServer {
  port: number;
  /** Datagrams received so far. */
  readonly received: number;
  close(): Promise<void>;
}

/** A UDP socket that reads and never answers (or answers every datagram with `reply`). */
export async function udpListener(host: string, reply?: Buffer): Promise<UdpTestServer> {
  const socket = createSocket(host.includes(':') ? 'udp6' : 'udp4');
  let received = 0;
  socket.on('message', (_message, from) => {
    received++;
    if (reply) socket.send(reply, from.port, from.address);
  });
  await new Promise<void>((resolve) => socket.bind(0, host, resolve));
  return {
    port: socket.address().port,
    get received() {
      return received;
    },
    close: () => new Promise<void>((resolve) => socket.close(() => resolve())),
  };
}

const SOCKET_RESOURCES = new Set(['TCPSocketWrap', 'UDPWrap', 'TLSWrap']);

/** Sockets this process holds open (client sockets, accepted connections, UDP sockets). */
export function openSockets(): number {
  return process.getActiveResourcesInfo().filter((r) => SOCKET_RESOURCES.has(r)).length;
}

/**
 * Waits (up to 2 s) until this process holds no more sockets than `baseline`; returns the
 * count then (sockets of earlier tests may close meanwhile: assert at most the baseline).
 */
export async function socketsSettle(baseline: number, timeoutMs = 2000): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  while (openSockets() > baseline && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 20));
  }
  return openSockets();
}

/** Polls `condition` every 20 ms for up to timeoutMs; whether it came true. */
export async function eventually(condition: () => boolean, timeoutMs = 2000): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) return false;
    await new Promise((r) => setTimeout(r, 20));
  }
  return true;
}
