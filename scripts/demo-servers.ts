// The real servers of the demo (scripts/demo.ts), all on loopback addresses: HTTP servers that
// answer a fixed body, one that accepts connections and never answers, and a throwaway MariaDB.
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer as createHttpServer, type Server as HttpServer } from 'node:http';
import { createServer as createTcpServer, type Server, type Socket } from 'node:net';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';

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

/** Why MariaDB cannot run here, or undefined. */
export function mariadbMissing(): string | undefined {
  for (const program of ['mariadbd', 'mariadb-install-db', 'mariadb', 'mariadb-admin']) {
    if (spawnSync('sh', ['-c', `command -v ${program}`]).status !== 0) return program;
  }
  return undefined;
}

/** A throwaway MariaDB in a fresh data folder, as the user running the demo. */
export class DemoMariaDb {
  readonly host: string;
  readonly port: number;
  readonly dir: string;
  private child: ChildProcess | undefined;
  private exited: Promise<void> | undefined;

  constructor(host: string, port: number) {
    this.host = host;
    this.port = port;
    this.dir = mkdtempSync(join(tmpdir(), 'ldirectord-ts-demo-mariadb-'));
  }

  private get socket(): string {
    return join(this.dir, 'mysqld.sock');
  }

  /** Creates the data folder, starts the server and runs `setupSql` as root. */
  async start(setupSql: string): Promise<void> {
    const user = userInfo().username;
    const data = join(this.dir, 'data');
    const install = spawnSync(
      'mariadb-install-db',
      [
        '--no-defaults',
        `--datadir=${data}`,
        `--user=${user}`,
        '--auth-root-authentication-method=normal',
        '--skip-test-db',
        '--skip-name-resolve',
      ],
      { encoding: 'utf8' },
    );
    if (install.status !== 0) throw new Error(`mariadb-install-db failed: ${install.stderr}`);
    const child = spawn(
      'mariadbd',
      [
        '--no-defaults',
        `--datadir=${data}`,
        `--socket=${this.socket}`,
        `--port=${this.port}`,
        `--bind-address=${this.host}`,
        `--user=${user}`,
        `--pid-file=${join(this.dir, 'mysqld.pid')}`,
        `--log-error=${join(this.dir, 'error.log')}`,
        '--skip-name-resolve',
        '--skip-log-bin',
        '--innodb-buffer-pool-size=32M',
        '--innodb-log-file-size=16M',
      ],
      { stdio: 'ignore' },
    );
    this.child = child;
    this.exited = new Promise((resolve) => child.once('exit', () => resolve()));
    for (let i = 0; ; i++) {
      const ping = spawnSync(
        'mariadb-admin',
        ['--no-defaults', `--socket=${this.socket}`, '-uroot', 'ping'],
        { stdio: 'ignore' },
      );
      if (ping.status === 0) break;
      if (i >= 300 || child.exitCode !== null) {
        throw new Error(`mariadbd did not start (see ${join(this.dir, 'error.log')})`);
      }
      await new Promise((r) => setTimeout(r, 50));
    }
    const sql = spawnSync(
      'mariadb',
      ['--no-defaults', `--socket=${this.socket}`, '-uroot', '-e', setupSql],
      { encoding: 'utf8' },
    );
    if (sql.status !== 0) throw new Error(`mariadb: ${sql.stderr}`);
  }

  async stop(): Promise<void> {
    const child = this.child;
    if (child?.pid !== undefined && child.exitCode === null) {
      child.kill('SIGTERM');
      const timeout = new Promise<'timeout'>((r) => setTimeout(r, 10_000, 'timeout').unref());
      if ((await Promise.race([this.exited, timeout])) === 'timeout') {
        child.kill('SIGKILL');
        await this.exited;
      }
    }
    rmSync(this.dir, { recursive: true, force: true });
  }
}
