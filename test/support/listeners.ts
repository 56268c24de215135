// Plain TCP listeners standing in for misbehaving servers: one that accepts and says nothing,
// one that answers with fixed text; and a port known to be closed. Each records when its
// client goes away, so a test can prove a checker released its socket.
import assert from 'node:assert/strict';
import { createServer, type Server, type Socket } from 'node:net';

export interface Listener {
  host: string;
  port: number;
  /** Resolves when every client connected so far has closed its connection. */
  allClosed(): Promise<void>;
  /** Number of clients that connected so far. */
  readonly connections: number;
  close(): Promise<void>;
}

async function listen(host: string, onClient: (socket: Socket) => void): Promise<Listener> {
  const open = new Set<Socket>();
  const waiters: (() => void)[] = [];
  let connections = 0;
  const server: Server = createServer((socket) => {
    connections++;
    open.add(socket);
    socket.on('error', () => {});
    // Read and drop what the client sends, so its FIN is seen even after data came.
    socket.resume();
    socket.on('close', () => {
      open.delete(socket);
      if (open.size === 0) for (const wake of waiters.splice(0)) wake();
    });
    onClient(socket);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, host, resolve);
  });
  const port = (server.address() as { port: number }).port;
  return {
    host,
    port,
    get connections() {
      return connections;
    },
    allClosed: () =>
      open.size === 0 ? Promise.resolve() : new Promise<void>((r) => waiters.push(r)),
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of open) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

/** Accepts connections and never sends a byte. */
export function silentListener(host: string): Promise<Listener> {
  return listen(host, () => {});
}

/** Sends `text` on connect, then reads and ignores whatever comes. */
export function scriptedListener(host: string, text: string): Promise<Listener> {
  return listen(host, (socket) => socket.write(text));
}

/**
 * A line server: sends greeting, then answers each line the client sends with reply(line)
 * (nothing when it returns undefined).
 */
export function answeringListener(
  host: string,
  greeting: string,
  reply: (line: string) => string | undefined,
): Promise<Listener> {
  return listen(host, (socket) => {
    socket.write(greeting);
    let pending = '';
    socket.on('data', (chunk: Buffer) => {
      pending += chunk.toString('utf8');
      for (let end = pending.indexOf('\n'); end >= 0; end = pending.indexOf('\n')) {
        const answer = reply(pending.slice(0, end).replace(/\r$/, ''));
        pending = pending.slice(end + 1);
        if (answer !== undefined) socket.write(answer);
      }
    });
  });
}

/** A TCP port on host where nothing listens (bound, then released). */
export async function closedPort(host: string): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, host, resolve));
  const port = (server.address() as { port: number }).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** Whether every one of ports can be bound on host now (nothing, not even *:port, holds it). */
export async function portsFree(host: string, ports: number[]): Promise<boolean> {
  for (const port of ports) {
    const server = createServer();
    const bound = await new Promise<boolean>((resolve) => {
      server.once('error', () => resolve(false));
      server.listen(port, host, () => resolve(true));
    });
    if (!bound) return false;
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
  return true;
}

/** A free TCP port on host for a server that takes its port from its config. */
export const freePort = closedPort;

/** Asserts that a checker connected to the listener and that all its sockets closed within 1 s. */
export async function released(listener: Listener): Promise<void> {
  assert.ok(listener.connections > 0, 'the checker connected');
  const timer = new Promise<'open'>((r) => setTimeout(r, 1000, 'open').unref());
  assert.notEqual(await Promise.race([listener.allClosed(), timer]), 'open', 'socket still open');
}

/** Starts `server` (net, http or https) on host and port (0: any free one); resolves its port. */
export function listenOn(server: Server, host: string, port = 0): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve((server.address() as { port: number }).port);
    });
  });
}
