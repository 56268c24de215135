// An emulated Ethernet segment for qemu guests, with no host networking at all: a learning
// switch in the test process, listening on a unix socket. Each guest NIC is qemu's
// `-netdev stream` connected to that socket (qemu-guest.ts `nics`); qemu sends every frame as a
// 4-byte big-endian length followed by the frame, and receives the same.
//
//   await using lan = await startEthernetHub();
//   await bootGuest({ nics: [{ hub: lan, address: '10.0.5.1/24' }] });
//
// Frames to a learned MAC go to its port only; broadcast, multicast and unknown destinations
// to every other port. A guest that is killed just drops its connection; booted again, it
// connects as a new port and its MAC is learned again from its first frame.
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface EthernetHub extends AsyncDisposable {
  /** The unix socket a qemu `-netdev stream,server=off,addr.type=unix` connects to. */
  readonly socketPath: string;
  /** Ports connected now (one per guest NIC). */
  readonly ports: number;
  /** Frames forwarded so far. */
  readonly frames: number;
  close(): Promise<void>;
}

/** The largest frame qemu sends (jumbo frames included); anything bigger is a broken stream. */
const MAX_FRAME = 65_536;
/** Frames buffered towards one slow port before more are dropped, as a switch drops them. */
const MAX_QUEUED_BYTES = 4 * 1024 * 1024;

export async function startEthernetHub(): Promise<EthernetHub> {
  const dir = await mkdtemp(join(tmpdir(), 'ldts-lan-'));
  const socketPath = join(dir, 'hub.sock');
  const hub = new LearningSwitch(socketPath, dir);
  await hub.listen();
  return hub;
}

class LearningSwitch implements EthernetHub {
  readonly socketPath: string;
  frames = 0;
  private readonly dir: string;
  private readonly server: Server;
  private readonly sockets = new Set<Socket>();
  /** MAC (12 hex digits) -> the port it was last seen on. */
  private readonly learned = new Map<string, Socket>();
  private closing: Promise<void> | undefined;

  constructor(socketPath: string, dir: string) {
    this.socketPath = socketPath;
    this.dir = dir;
    this.server = createServer((socket) => this.attach(socket));
  }

  get ports(): number {
    return this.sockets.size;
  }

  listen(): Promise<void> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(this.socketPath, () => {
        this.server.off('error', reject);
        resolve();
      });
    });
  }

  private attach(socket: Socket): void {
    this.sockets.add(socket);
    let pending: Buffer = Buffer.alloc(0);
    socket.on('data', (chunk: Buffer) => {
      pending = pending.length === 0 ? chunk : Buffer.concat([pending, chunk]);
      while (pending.length >= 4) {
        const length = pending.readUInt32BE(0);
        if (length > MAX_FRAME) {
          socket.destroy();
          return;
        }
        if (pending.length < 4 + length) break;
        this.forward(socket, pending.subarray(0, 4 + length));
        pending = pending.subarray(4 + length);
      }
    });
    const detach = (): void => {
      this.sockets.delete(socket);
      for (const [mac, port] of this.learned) if (port === socket) this.learned.delete(mac);
    };
    socket.on('close', detach);
    socket.on('error', detach);
  }

  /** `record` is the length prefix and the frame, forwarded as it came. */
  private forward(from: Socket, record: Buffer): void {
    if (record.length < 4 + 14) return; // not even an Ethernet header
    this.frames++;
    const destination = record.toString('hex', 4, 10);
    const source = record.toString('hex', 10, 16);
    // A copy: the record is a view of a buffer the next chunk replaces.
    const frame = Buffer.from(record);
    if ((record[10]! & 1) === 0) this.learned.set(source, from);
    const multicast = (record[4]! & 1) === 1;
    const port = multicast ? undefined : this.learned.get(destination);
    if (port) {
      if (port !== from) send(port, frame);
      return;
    }
    for (const socket of this.sockets) if (socket !== from) send(socket, frame);
  }

  close(): Promise<void> {
    this.closing ??= (async () => {
      for (const socket of this.sockets) socket.destroy();
      await new Promise<void>((resolve) => this.server.close(() => resolve()));
      await rm(this.dir, { recursive: true, force: true });
    })();
    return this.closing;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }
}

function send(socket: Socket, frame: Buffer): void {
  if (socket.destroyed || socket.writableLength > MAX_QUEUED_BYTES) return;
  socket.write(frame);
}
