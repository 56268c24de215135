// Real servers for the benchmarks: thousands of HTTP servers on distinct loopback addresses
// (127.10.x.y), served by one private nginx with a listen socket per address, and hung servers
// (accept, read, never answer) served by listeners in this process.
//
// Each nginx-served real can be flipped at run time through a flag file named after its
// address: `down-<ip>` answers 503, `hang-<ip>` passes the request to a listener that never
// answers. nginx logs every request with its time and address (the check period of each real).
import { type ChildProcess, spawn } from 'node:child_process';
import {
  chmodSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  unlinkSync,
  writeFileSync,
} from 'node:fs';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const REAL_PORT = 8080;
/** The second octet: LDTS_BENCH_NET=11 lets two runs share the machine (127.11.x.y). */
const NET = Number(process.env.LDTS_BENCH_NET ?? 10);
/** The listener behind `hang-<ip>` flips. */
const HANG_TARGET = `127.${NET}.255.254`;

/** The address of real number i: 127.10.0.1 ... 127.10.0.250, 127.10.1.1 ... */
export function realAddress(i: number): string {
  return `127.${NET}.${Math.floor(i / 250)}.${(i % 250) + 1}`;
}

/**
 * The benchmarks' ldirectord.cf: virtuals of 100 http negotiate reals each (request /health,
 * receive OK, quiescent=no), over the given real addresses on REAL_PORT.
 */
export function benchConfig(
  addresses: readonly string[],
  options: { interval: number; timeout: number; globals?: string[] },
): string {
  const lines = [
    `checkinterval=${options.interval}`,
    `negotiatetimeout=${options.timeout}`,
    'quiescent=no',
    ...(options.globals ?? []),
  ];
  for (let v = 0; v * 100 < addresses.length; v++) {
    lines.push(`virtual=10.10.${v >> 8}.${v & 255}:80`);
    for (const a of addresses.slice(v * 100, v * 100 + 100)) {
      lines.push(`\treal=${a}:${REAL_PORT} masq`);
    }
    lines.push(
      '\tservice=http',
      '\trequest="/health"',
      '\treceive="OK"',
      '\tscheduler=wrr',
      '\tprotocol=tcp',
      '\tchecktype=negotiate',
      '',
    );
  }
  return `${lines.join('\n')}\n`;
}

export type Flip = 'down' | 'hang';

export class RealServers {
  readonly dir: string;
  readonly flagsDir: string;
  readonly accessLog: string;
  /** Connections accepted by the hung listeners. */
  hungAccepted = 0;
  private nginx: ChildProcess | undefined;
  private readonly listeners: Server[] = [];
  private readonly sockets = new Set<Socket>();

  constructor() {
    this.dir = mkdtempSync(join(tmpdir(), 'ldts-bench-reals-'));
    // nginx's workers run as nobody when started by root: they must see the flag files.
    chmodSync(this.dir, 0o755);
    this.flagsDir = join(this.dir, 'flags');
    mkdirSync(this.flagsDir, { mode: 0o755 });
    this.accessLog = join(this.dir, 'access.log');
  }

  /** Starts nginx for `http` and a hung listener for each of `hung`; resolves once all accept. */
  async start(http: string[], hung: string[], workers = 1): Promise<void> {
    for (const address of [...hung, HANG_TARGET]) await this.listenHung(address);
    const d = this.dir;
    writeFileSync(
      join(d, 'nginx.conf'),
      `daemon off;
worker_processes ${workers};
worker_rlimit_nofile 65536;
pid ${d}/nginx.pid;
error_log ${d}/error.log;
events { worker_connections 32768; }
http {
  log_format bench '$msec $server_addr $status';
  access_log ${this.accessLog} bench buffer=256k flush=1s;
  client_body_temp_path ${d}/body;
  proxy_temp_path ${d}/proxy;
  fastcgi_temp_path ${d}/fastcgi;
  uwsgi_temp_path ${d}/uwsgi;
  scgi_temp_path ${d}/scgi;
  default_type text/plain;
  server {
${http.map((a) => `    listen ${a}:${REAL_PORT};`).join('\n')}
    location / {
      if (-f ${this.flagsDir}/down-$server_addr) { return 503 "down\\n"; }
      if (-f ${this.flagsDir}/hang-$server_addr) { rewrite ^ /hang last; }
      return 200 "OK\\n";
    }
    location = /hang {
      internal;
      proxy_pass http://${HANG_TARGET}:${REAL_PORT};
      proxy_read_timeout 600s;
    }
  }
}
`,
    );
    // Thousands of listen sockets: raise the open-file limit as far as the hard limit allows.
    this.nginx = spawn(
      'sh',
      [
        '-c',
        'ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)"; exec nginx "$@"',
        'sh',
        '-e',
        join(d, 'error.log'),
        '-p',
        d,
        '-c',
        join(d, 'nginx.conf'),
      ],
      { stdio: 'inherit' },
    );
    // An interrupted benchmark (Ctrl-C, timeout) must not leave nginx serving thousands of
    // addresses behind it.
    const nginx = this.nginx;
    const killNginx = (): void => {
      if (nginx.exitCode === null) nginx.kill('SIGKILL');
    };
    process.once('exit', killNginx);
    for (const signal of ['SIGINT', 'SIGTERM'] as const) {
      process.once(signal, () => {
        killNginx();
        rmSync(d, { recursive: true, force: true });
        process.exit(128 + (signal === 'SIGINT' ? 2 : 15));
      });
    }
    const deadline = Date.now() + 60_000;
    for (const address of [http[0], http.at(-1)]) {
      if (address === undefined) continue;
      while (!(await accepts(address, REAL_PORT))) {
        if (Date.now() > deadline || this.nginx.exitCode !== null) {
          throw new Error(`nginx did not start:\n${readText(join(d, 'error.log'))}`);
        }
        await new Promise((r) => setTimeout(r, 100));
      }
    }
  }

  flip(address: string, kind: Flip): void {
    writeFileSync(join(this.flagsDir, `${kind}-${address}`), '');
  }

  unflip(address: string, kind: Flip): void {
    unlinkSync(join(this.flagsDir, `${kind}-${address}`));
  }

  /** Requests nginx served: time (ms since the epoch), address, status. */
  requests(): Array<{ at: number; address: string; status: number }> {
    const out: Array<{ at: number; address: string; status: number }> = [];
    for (const line of readText(this.accessLog).split('\n')) {
      const [msec, address, status] = line.split(' ');
      if (address && status) out.push({ at: Number(msec) * 1000, address, status: Number(status) });
    }
    return out;
  }

  /** nginx's pid (the master; its workers are its children). */
  get nginxPid(): number | undefined {
    return this.nginx?.pid;
  }

  async stop(): Promise<void> {
    const nginx = this.nginx;
    if (nginx && nginx.exitCode === null) {
      const exited = new Promise((r) => nginx.once('exit', r));
      nginx.kill('SIGQUIT'); // graceful: flushes the access log
      const timeout = new Promise((r) => setTimeout(r, 10_000).unref());
      if ((await Promise.race([exited, timeout])) === undefined && nginx.exitCode === null) {
        nginx.kill('SIGKILL');
      }
    }
    for (const s of this.sockets) s.destroy();
    await Promise.all(this.listeners.map((l) => new Promise((r) => l.close(r))));
    rmSync(this.dir, { recursive: true, force: true });
  }

  private listenHung(address: string): Promise<void> {
    const server = createServer((socket) => {
      this.hungAccepted++;
      this.sockets.add(socket);
      socket.resume(); // read and drop the request; never answer
      socket.on('error', () => {});
      socket.on('end', () => socket.destroy());
      socket.on('close', () => this.sockets.delete(socket));
    });
    this.listeners.push(server);
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen({ port: REAL_PORT, host: address, backlog: 4096 }, () => resolve());
    });
  }
}

function accepts(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, host, () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

function readText(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return '';
  }
}
