// What the tests of src/observe share: a free port on a loopback address, HTTP GETs against
// the metrics= listener, a real Prometheus (Debian's package) scraping it, and a unix
// datagram listener standing in for systemd's notify socket.
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import type { Config, RealServer, VirtualService } from '../../src/config/model.ts';
import type { MonitorEvent, MonitorStatus } from '../../src/monitor/types.ts';
import { type DaemonScratch, eventually, type Switchable } from './daemon-harness.ts';
import { makeConfig, makeReal, makeVirtual } from './monitor-fixtures.ts';

/**
 * Starts a daemon that checks every second and serves metrics= on a free port of `host`, with
 * `reals` up and `virtuals` (config lines) after the global ones; the port.
 */
export async function startWithMetrics(
  s: DaemonScratch,
  host: string,
  reals: readonly Switchable[],
  virtuals: readonly string[],
): Promise<number> {
  const port = await freePort(host);
  for (const real of reals) await real.up();
  s.config(
    [
      'checkinterval=1',
      'logfile="{{DIR}}/ldirectord.log"',
      `metrics=${host}:${port}`,
      ...virtuals,
      '',
    ].join('\n'),
  );
  s.start();
  return port;
}

/** A port free on `host` right now (bound and released). */
export async function freePort(host: string): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, host, resolve);
  });
  const port = (server.address() as { port: number }).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

export function hostPortUrl(host: string, port: number, path = '/'): string {
  return `http://${host.includes(':') ? `[${host}]` : host}:${port}${path}`;
}

/** GET (or another method) with a deadline; the status, headers and body. */
export async function httpGet(
  url: string,
  init: RequestInit = {},
): Promise<{ status: number; headers: Headers; body: string }> {
  const r = await fetch(url, { ...init, signal: AbortSignal.timeout(10_000) });
  return { status: r.status, headers: r.headers, body: await r.text() };
}

/** The value of the first sample of `name` whose labels include all of `labels`. */
export function sampleOf(
  text: string,
  name: string,
  labels: Record<string, string> = {},
): number | undefined {
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue;
    if (!Object.entries(labels).every(([k, v]) => line.includes(`${k}="${v}"`))) continue;
    return Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return undefined;
}

export const PROMETHEUS = '/usr/bin/prometheus';
export const PROMTOOL = '/usr/bin/promtool';

export function hasProgram(path: string): boolean {
  return spawnSync(path, ['--version'], { stdio: 'ignore' }).status === 0;
}

/** `promtool <args>` with `input` on stdin. */
export function promtool(args: string[], input?: string): { code: number | null; output: string } {
  const r = spawnSync(PROMTOOL, args, { input, encoding: 'utf8', timeout: 60_000 });
  return { code: r.status, output: `${r.stdout}${r.stderr}` };
}

export interface Prometheus {
  url: string;
  /** An instant query through the HTTP API: the result vector. */
  query(expr: string): Promise<Array<{ metric: Record<string, string>; value: [number, string] }>>;
  stop(): Promise<void>;
  output(): string;
}

/** Prometheus on host:port scraping `targets` every second, its data in `dir`. */
export async function startPrometheus(
  dir: string,
  host: string,
  targets: string[],
): Promise<Prometheus> {
  const port = await freePort(host);
  const config = join(dir, 'prometheus.yml');
  writeFileSync(
    config,
    [
      'global:',
      '  scrape_interval: 1s',
      '  scrape_timeout: 1s',
      'scrape_configs:',
      '  - job_name: ldirectord',
      '    static_configs:',
      `      - targets: [${targets.map((t) => `'${t}'`).join(', ')}]`,
      '',
    ].join('\n'),
  );
  const child: ChildProcess = spawn(
    PROMETHEUS,
    [
      `--config.file=${config}`,
      `--web.listen-address=${host}:${port}`,
      `--storage.tsdb.path=${join(dir, 'tsdb')}`,
      '--storage.tsdb.retention.time=1h',
      '--log.level=warn',
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let output = '';
  child.stdout!.on('data', (b: Buffer) => (output += b.toString()));
  child.stderr!.on('data', (b: Buffer) => (output += b.toString()));
  const url = `http://${host}:${port}`;
  const ready = async (): Promise<boolean> => {
    try {
      return (await fetch(`${url}/-/ready`, { signal: AbortSignal.timeout(2000) })).ok;
    } catch {
      return false;
    }
  };
  let isReady = false;
  await eventually(
    () => {
      void ready().then((ok) => (isReady ||= ok));
      return isReady || child.exitCode !== null;
    },
    () => `prometheus ready\n${output}`,
    30_000,
  );
  if (child.exitCode !== null) throw new Error(`prometheus exited: ${output}`);
  return {
    url,
    output: () => output,
    async query(expr) {
      const r = await fetch(`${url}/api/v1/query?query=${encodeURIComponent(expr)}`, {
        signal: AbortSignal.timeout(5000),
      });
      const body = (await r.json()) as {
        status: string;
        data: { result: Array<{ metric: Record<string, string>; value: [number, string] }> };
      };
      if (body.status !== 'success') throw new Error(`query ${expr}: ${JSON.stringify(body)}`);
      return body.data.result;
    },
    async stop() {
      if (child.exitCode !== null) return;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** Polls an async predicate until it holds (deadline and interval bounded). */
export async function until(
  predicate: () => Promise<boolean>,
  what: () => string,
  timeoutMs = 20_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await predicate().catch(() => false)) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  if (await predicate().catch(() => false)) return;
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what()}`);
}

export interface Datagram {
  /** Milliseconds since the epoch when it arrived. */
  at: number;
  /** The sender's pid from SCM_CREDENTIALS (what systemd attributes it by). */
  pid: number;
  fields: string[];
}

/**
 * A unix datagram socket like systemd's notify socket (Python's socket module, since Node has
 * none): every datagram with its sender's credentials, passed file descriptors closed at once
 * (systemd-notify's barrier waits for that).
 */
export async function notifySocket(dir: string): Promise<{
  path: string;
  datagrams: Datagram[];
  close(): Promise<void>;
}> {
  const path = join(dir, 'notify.sock');
  const script = `
import json, os, socket, struct, sys, time
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_PASSCRED, 1)
s.bind(sys.argv[1])
print("listening", flush=True)
while True:
    data, anc, flags, addr = s.recvmsg(65536, socket.CMSG_SPACE(64 * 4) + socket.CMSG_SPACE(12))
    pid = 0
    for level, kind, payload in anc:
        if level == socket.SOL_SOCKET and kind == socket.SCM_CREDENTIALS:
            pid = struct.unpack("iII", payload[:12])[0]
        elif level == socket.SOL_SOCKET and kind == socket.SCM_RIGHTS:
            for i in range(len(payload) // 4):
                os.close(struct.unpack("i", payload[i * 4:i * 4 + 4])[0])
    print(json.dumps({"at": time.time() * 1000, "pid": pid, "fields": data.decode().split("\\n")}), flush=True)
`;
  const child = spawn('python3', ['-c', script, path], { stdio: ['ignore', 'pipe', 'pipe'] });
  const datagrams: Datagram[] = [];
  let partial = '';
  let listening = false;
  let errors = '';
  child.stderr.on('data', (b: Buffer) => (errors += b.toString()));
  child.stdout.on('data', (b: Buffer) => {
    const lines = (partial + b.toString()).split('\n');
    partial = lines.pop() ?? '';
    for (const line of lines) {
      if (line === 'listening') listening = true;
      else if (line.trim() !== '') {
        const d = JSON.parse(line) as Datagram;
        d.fields = d.fields.filter((f) => f !== '');
        datagrams.push(d);
      }
    }
  });
  await eventually(
    () => listening || child.exitCode !== null,
    () => `notify socket ${errors}`,
  );
  if (!listening) throw new Error(`the notify listener did not start: ${errors}`);
  return {
    path,
    datagrams,
    async close() {
      if (child.exitCode !== null) return;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
    },
  };
}

/**
 * `count` reals in virtuals of 100 (10.2.x.y:80, reals from `realAt`), and the status a monitor
 * would give for them once every real has passed one check: for the metrics tests and bench.
 */
export function checkedFleet(
  count: number,
  realAt: (i: number) => string,
): { config: Config; status: MonitorStatus } {
  const virtuals: VirtualService[] = [];
  for (let n = 0; n * 100 < count; n++) {
    const address = `10.2.${n >> 8}.${n & 255}`;
    const v = makeVirtual({ address, written: `${address}:80` });
    for (let i = 0; i < Math.min(100, count - n * 100); i++)
      v.reals.push(makeReal(realAt(n * 100 + i), 80));
    virtuals.push(v);
  }
  const at = new Date().toISOString();
  const status: MonitorStatus = {
    phase: 'running',
    virtuals: virtuals.map((v) => ({
      id: `tcp:${v.address}:80`,
      checktype: 'negotiate',
      service: 'http',
      checkinterval: 10,
      fallbackActive: false,
      reals: v.reals.map((r) => ({
        address: r.address,
        port: r.port,
        weight: 1,
        forward: 'gate',
        up: true,
        serving: true,
        failcount: 0,
        failurecount: 1,
        lastCheck: {
          up: true,
          reason: '200 OK',
          kind: 'negotiate',
          at,
          durationMs: 3,
          timedOut: false,
        },
        pending: false,
      })),
    })),
    checks: { jobs: count, running: 0, queued: 0, concurrency: 1000 },
    pending: { reals: 0, reconcile: false },
  };
  return { config: makeConfig(virtuals), status };
}

/** The `check` event of one passed check of `real` in `virtual`. */
export function passedCheck(
  virtual: VirtualService,
  real: RealServer,
): Extract<MonitorEvent, { type: 'check' }> {
  return {
    type: 'check',
    virtual,
    real,
    up: true,
    reason: '200 OK',
    kind: 'negotiate',
    durationMs: 3,
    timedOut: false,
    failcount: 0,
  };
}
