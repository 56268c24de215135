// The daemon's end of `ldirectord-ts ctl`: a unix socket beside the pid file
// (`ldirectord.<CFGNAME>.sock`), never TCP. Only the daemon's user (root) may use it. Node has
// no API for the peer's credentials (SO_PEERCRED), so the kernel's own checks do the refusing:
// connecting needs write permission on the socket, which is created 0600 (in a private
// folder, then moved into place, so it is never reachable with a looser mode), in a folder no
// one else can write to (src/daemon/safe-folder.ts). Each connection carries one request line
// and gets one answer line (src/daemon/control-protocol.ts); size, time and connections are
// bounded.
import { chmodSync, lstatSync, mkdtempSync, renameSync, rmdirSync, unlinkSync } from 'node:fs';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { dirname, join } from 'node:path';
import { errorMessage } from '../lib/error-message.ts';
import {
  type ControlReply,
  type ControlRequest,
  MAX_REQUEST_BYTES,
  parseControlRequest,
} from './control-protocol.ts';
import { folderWriters } from './safe-folder.ts';

export function controlSocketPath(pidFile: string): string {
  return pidFile.replace(/\.pid$/, '') + '.sock';
}

/** sun_path holds 108 bytes with the terminating NUL. */
const MAX_SOCKET_PATH = 107;

export interface ControlServerOptions {
  path: string;
  handle(request: ControlRequest): Promise<ControlReply>;
  /** Connections served at once; more are answered busy. Default 8. */
  maxConnections?: number;
  /** A connection that sends no full request within this is closed. Default 5 s. */
  idleMs?: number;
}

export class ControlServer {
  readonly path: string;
  readonly #options: ControlServerOptions;
  #server: Server | undefined;
  #inode: number | undefined;
  readonly #sockets = new Set<Socket>();

  constructor(options: ControlServerOptions) {
    this.path = options.path;
    this.#options = options;
  }

  /** Connections open now. */
  get connections(): number {
    return this.#sockets.size;
  }

  /** Listens; resolves with why it could not (nothing is listening then), else undefined. */
  async open(): Promise<string | undefined> {
    const path = this.path;
    const dir = dirname(path);
    if (Buffer.byteLength(path) > MAX_SOCKET_PATH)
      return `${path} is longer than a unix socket path can be (${MAX_SOCKET_PATH} bytes)`;
    const writers = folderWriters(dir);
    if (writers !== undefined) return `its folder ${dir} is writable by ${writers} and not sticky`;
    const inTheWay = await this.#clearStale();
    if (inTheWay !== undefined) return inTheWay;
    let privateDir: string | undefined;
    // Half-open: a client may end its side after the request and still read the answer.
    const server = createServer({ allowHalfOpen: true }, (socket) => this.#serve(socket));
    try {
      privateDir = mkdtempSync(join(dir, '.ldirectord-ctl-'));
      const temporary = join(privateDir, 's');
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(temporary, () => {
          server.off('error', reject);
          resolve();
        });
      });
      chmodSync(temporary, 0o600);
      renameSync(temporary, path);
      this.#inode = lstatSync(path).ino;
    } catch (error) {
      server.close();
      return errorMessage(error);
    } finally {
      if (privateDir !== undefined) removePrivateDir(privateDir);
    }
    server.on('error', () => {});
    this.#server = server;
    return undefined;
  }

  /** Stops listening, ends open connections, removes the socket if it is still ours. */
  async close(): Promise<void> {
    const server = this.#server;
    this.#server = undefined;
    if (!server) return;
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    for (const socket of this.#sockets) socket.destroy();
    await closed;
    try {
      if (lstatSync(this.path).ino === this.#inode) unlinkSync(this.path);
    } catch {
      // already gone
    }
  }

  /**
   * A socket left by a daemon that died is removed; one that answers belongs to a running
   * daemon, and anything else at the path is not ours to remove.
   */
  async #clearStale(): Promise<string | undefined> {
    let st;
    try {
      st = lstatSync(this.path);
    } catch {
      return undefined;
    }
    if (!st.isSocket()) return `${this.path} exists and is not a socket`;
    const uid = process.getuid?.() ?? 0;
    if (st.uid !== uid) return `${this.path} belongs to uid ${st.uid}`;
    const answers = await new Promise<boolean>((resolve) => {
      const probe = connect(this.path);
      probe.setTimeout(1000);
      probe.once('connect', () => {
        probe.destroy();
        resolve(true);
      });
      probe.once('timeout', () => {
        probe.destroy();
        resolve(true);
      });
      probe.once('error', () => resolve(false));
    });
    if (answers) return `another daemon answers on ${this.path}`;
    unlinkSync(this.path);
    return undefined;
  }

  #serve(socket: Socket): void {
    socket.on('error', () => {});
    const idleMs = this.#options.idleMs ?? 5000;
    const reply = (answer: ControlReply): void => {
      socket.end(`${JSON.stringify(answer)}\n`);
      // A client that never closes its side does not hold a connection for ever.
      socket.setTimeout(idleMs, () => socket.destroy());
    };
    const busy = this.#sockets.size >= (this.#options.maxConnections ?? 8);
    this.#sockets.add(socket);
    socket.on('close', () => this.#sockets.delete(socket));
    if (busy) {
      reply({ ok: false, error: 'the daemon is busy with other ctl requests: try again' });
      return;
    }
    socket.setTimeout(idleMs, () => socket.destroy());
    let received = '';
    let done = false;
    const finish = (line: string): void => {
      if (done) return;
      done = true;
      socket.setTimeout(0);
      const parsed = parseControlRequest(line);
      if (!parsed.ok) {
        reply(parsed);
        return;
      }
      this.#options
        .handle(parsed.request)
        .then(reply, (error: unknown) =>
          reply({ ok: false, error: `internal error: ${errorMessage(error)}` }),
        );
    };
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => {
      if (done) return;
      received += chunk;
      const end = received.indexOf('\n');
      if (end >= 0) finish(received.slice(0, end));
      else if (Buffer.byteLength(received) > MAX_REQUEST_BYTES) {
        done = true;
        reply({ ok: false, error: `request longer than ${MAX_REQUEST_BYTES} bytes` });
      }
    });
    socket.on('end', () => {
      if (done) return;
      if (received.trim() !== '') finish(received);
      else socket.end();
    });
  }
}

/** The private folder the socket was made in, and the socket if it was never moved out. */
function removePrivateDir(dir: string): void {
  try {
    unlinkSync(join(dir, 's'));
  } catch {
    // moved into place, or never made
  }
  try {
    rmdirSync(dir);
  } catch {
    // nothing more to do: a leftover empty folder is harmless
  }
}
