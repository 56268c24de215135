// The opt-in HTTP listener of metrics= (src/parser/listen.ts): GET and HEAD of /metrics,
// /status, /checks and /, nothing else. It only reads: no request changes anything.
//
// A listener beside a health checker must never slow the checks down: headers are capped
// (8 KiB), a client that sends them slowly is cut off after 10 s, connections are capped, a
// request body is never read (a POST gets 405 and the connection is closed), and a port in
// use is logged and retried every 30 s while the checks go on.
import { chmodSync, lstatSync, unlinkSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { connect } from 'node:net';
import type { ListenAddress } from '../model/domain.ts';
import { formatListenAddress } from '../parser/listen.ts';

export interface Route {
  contentType: string;
  /** The body; rejected promises become a 500 without details. */
  body(): string | Promise<string>;
}

export interface ListenerOptions {
  routes: Record<string, Route>;
  log: { info(message: string): void; error(message: string): void };
  retryMs?: number;
}

const MAX_HEADER_BYTES = 8 * 1024;
const MAX_CONNECTIONS = 64;

/** How an address is written in log lines: as metrics= takes it. */
export const describeAddress = formatListenAddress;

export function sameAddress(a: ListenAddress | undefined, b: ListenAddress | undefined): boolean {
  if (a === undefined || b === undefined) return a === b;
  return describeAddress(a) === describeAddress(b);
}

export class ObserveListener {
  #options: ListenerOptions;
  #server: Server | undefined;
  #address: ListenAddress | undefined;
  #retry: NodeJS.Timeout | undefined;
  #failed = false;
  #closed = false;

  constructor(options: ListenerOptions) {
    this.#options = options;
  }

  get address(): ListenAddress | undefined {
    return this.#address;
  }

  get listening(): boolean {
    return this.#server?.listening ?? false;
  }

  /** Listens at `address` (closing the old listener when it moved); undefined: no listener. */
  async bind(address: ListenAddress | undefined): Promise<void> {
    if (sameAddress(address, this.#address) && (this.listening || this.#retry)) return;
    await this.#stop();
    this.#address = address;
    this.#failed = false;
    if (address && !this.#closed) await this.#listen(address);
  }

  async close(): Promise<void> {
    this.#closed = true;
    await this.#stop();
  }

  async #stop(): Promise<void> {
    if (this.#retry) clearTimeout(this.#retry);
    this.#retry = undefined;
    const server = this.#server;
    this.#server = undefined;
    if (!server) return;
    const address = this.#address;
    await new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
    if (address?.kind === 'unix') removeSocket(address.path);
  }

  async #listen(address: ListenAddress): Promise<void> {
    const server = createServer(
      {
        maxHeaderSize: MAX_HEADER_BYTES,
        headersTimeout: 10_000,
        requestTimeout: 15_000,
        keepAliveTimeout: 5_000,
        // Answers are written whole: no reason to keep a connection that sends nothing.
        connectionsCheckingInterval: 1_000,
      },
      (req, res) => void this.#handle(req, res),
    );
    server.maxConnections = MAX_CONNECTIONS;
    server.maxHeadersCount = 50;
    server.on('clientError', (error: NodeJS.ErrnoException, socket) => {
      const status =
        error.code === 'HPE_HEADER_OVERFLOW'
          ? '431 Request Header Fields Too Large'
          : error.code === 'ERR_HTTP_REQUEST_TIMEOUT'
            ? '408 Request Timeout'
            : '400 Bad Request';
      if (socket.writable) socket.end(`HTTP/1.1 ${status}\r\nConnection: close\r\n\r\n`);
      else socket.destroy();
    });
    const error = await new Promise<NodeJS.ErrnoException | undefined>((resolve) => {
      const onError = (e: NodeJS.ErrnoException): void => resolve(e);
      server.once('error', onError);
      const done = (): void => {
        server.off('error', onError);
        resolve(undefined);
      };
      if (address.kind === 'unix') {
        void freeStaleSocket(address.path).then(() => server.listen(address.path, done));
      } else server.listen({ host: address.host, port: address.port, ipv6Only: false }, done);
    });
    if (this.#address !== address || this.#closed) {
      server.close();
      return;
    }
    const where = describeAddress(address);
    if (error) {
      if (!this.#failed)
        this.#options.log.error(
          `metrics: cannot listen on ${where}: ${describeListenError(error)}; the checks go on, retrying every ${Math.round((this.#options.retryMs ?? 30_000) / 1000)} s`,
        );
      this.#failed = true;
      this.#retry = setTimeout(() => {
        this.#retry = undefined;
        if (this.#address === address) void this.#listen(address);
      }, this.#options.retryMs ?? 30_000);
      this.#retry.unref();
      return;
    }
    server.on('error', (e) => this.#options.log.error(`metrics: ${where}: ${e.message}`));
    if (address.kind === 'unix') {
      try {
        chmodSync(address.path, 0o660);
      } catch {
        // Removed under us: the next bind makes it again.
      }
    }
    this.#server = server;
    this.#failed = false;
    this.#options.log.info(`metrics: listening on ${where} (GET /metrics, /status, /)`);
  }

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    res.setHeader('X-Content-Type-Options', 'nosniff');
    res.setHeader('Cache-Control', 'no-store');
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      // The body is never read: the connection closes after the answer.
      res.shouldKeepAlive = false;
      res.writeHead(405, { Allow: 'GET, HEAD', 'Content-Type': 'text/plain; charset=utf-8' });
      res.end('only GET and HEAD\n');
      return;
    }
    const path = (req.url ?? '/').split('?')[0]!;
    const route = this.#options.routes[path];
    if (!route) {
      res.writeHead(404, { 'Content-Type': 'text/plain; charset=utf-8' });
      res.end('not found\n');
      return;
    }
    let body: string;
    try {
      body = await route.body();
    } catch {
      res.writeHead(500, { 'Content-Type': 'text/plain; charset=utf-8' });
      res.end('internal error\n');
      return;
    }
    res.writeHead(200, {
      'Content-Type': route.contentType,
      'Content-Length': Buffer.byteLength(body),
    });
    res.end(req.method === 'HEAD' ? undefined : body);
  }
}

function describeListenError(error: NodeJS.ErrnoException): string {
  if (error.code === 'EADDRINUSE') return 'the address is already in use';
  if (error.code === 'EADDRNOTAVAIL') return 'no interface has this address';
  if (error.code === 'EACCES') return 'permission denied';
  return error.message;
}

/** A socket file left by a daemon that died: removed when nobody answers on it. */
async function freeStaleSocket(path: string): Promise<void> {
  try {
    if (!lstatSync(path).isSocket()) return;
  } catch {
    return;
  }
  const answered = await new Promise<boolean>((resolve) => {
    const socket = connect(path);
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
  if (!answered) removeSocket(path);
}

function removeSocket(path: string): void {
  try {
    if (lstatSync(path).isSocket()) unlinkSync(path);
  } catch {
    // gone already
  }
}
