// The real servers of the demo (scripts/demo.ts), all on loopback addresses: HTTP servers that
// answer a fixed body and one that accepts connections and never answers. (Its MariaDB is the
// tests' throwaway server, test/support/mariadb.ts.)
import { createServer as createHttpServer, type Server as HttpServer } from 'node:http';
import { createServer as createTcpServer, type Server, type Socket } from 'node:net';

function listen(server: Server, host: string, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const failed = (error: NodeJS.ErrnoException): void => {
      reject(
        new Error(
          error.code === 'EADDRINUSE'
            ? `${host}:${port} is already in use (is another demo running?)`
            : `cannot listen on ${host}:${port}: ${error.message}`,
        ),
      );
    };
    server.once('error', failed);
    server.listen(port, host, () => {
      server.off('error', failed);
      resolve();
    });
  });
}

/** An HTTP server answering every request with 200 and `body`; it can be stopped and restarted. */
export class HttpRealServer {
  readonly host: string;
  readonly port: number;
  requests = 0;
  private readonly server: HttpServer;

  constructor(host: string, port: number, body: string) {
    this.host = host;
    this.port = port;
    this.server = createHttpServer((_request, response) => {
      this.requests++;
      response.writeHead(200, { 'content-type': 'text/plain', connection: 'close' });
      response.end(`${body}\n`);
    });
  }

  get listening(): boolean {
    return this.server.listening;
  }

  start(): Promise<void> {
    return listen(this.server, this.host, this.port);
  }

  /** Stops listening and drops open connections: the next check is refused. */
  stop(): Promise<void> {
    if (!this.server.listening) return Promise.resolve();
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    this.server.closeAllConnections();
    return closed;
  }
}

/** Accepts connections, reads what is sent and never answers. */
export class HungRealServer {
  readonly host: string;
  readonly port: number;
  /** Connections the client gave up on (a check that hit its deadline closes its socket). */
  abandoned = 0;
  private readonly server: Server;
  private readonly sockets = new Set<Socket>();

  constructor(host: string, port: number) {
    this.host = host;
    this.port = port;
    this.server = createTcpServer((socket) => {
      this.sockets.add(socket);
      socket.on('data', () => {});
      socket.on('error', () => {});
      socket.on('close', () => {
        this.sockets.delete(socket);
        this.abandoned++;
      });
    });
  }

  start(): Promise<void> {
    return listen(this.server, this.host, this.port);
  }

  stop(): Promise<void> {
    if (!this.server.listening) return Promise.resolve();
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    for (const socket of this.sockets) socket.destroy();
    return closed;
  }
}
