// HTTP negotiate checks per CPU-second, a fresh connection per check (as the original),
// against a private nginx on 127.0.1.90. Target: >= 3,000 checks per CPU-second on one core.
//
//   node bench/http-checks.ts [seconds=5] [concurrency=50]
//
// Prints, per concurrency: checks per wall-second, CPU used by this process (user + system),
// and checks per CPU-second; then `ab` (no keep-alive) against the same nginx as the ceiling.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { checkHttp } from '../src/checkers/http.ts';
import type { CheckTarget } from '../src/checkers/types.ts';

const HOST = '127.0.1.90';
const seconds = Number(process.argv[2] ?? 5);
const concurrencies = process.argv[3] ? [Number(process.argv[3])] : [1, 10, 50];

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, HOST, () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

const dir = mkdtempSync(join(tmpdir(), 'ldts-bench-nginx-'));
const port = await freePort();
writeFileSync(
  join(dir, 'nginx.conf'),
  `daemon off;
worker_processes 1;
pid ${dir}/nginx.pid;
error_log ${dir}/error.log;
events { worker_connections 4096; }
http {
  access_log off;
  client_body_temp_path ${dir}/body;
  proxy_temp_path ${dir}/proxy;
  fastcgi_temp_path ${dir}/fastcgi;
  uwsgi_temp_path ${dir}/uwsgi;
  scgi_temp_path ${dir}/scgi;
  server {
    listen ${HOST}:${port} backlog=4096;
    location / { return 200 "I am healthy\\n"; }
  }
}
`,
);
const nginx = spawn(
  'nginx',
  ['-e', join(dir, 'error.log'), '-p', dir, '-c', join(dir, 'nginx.conf')],
  {
    stdio: 'inherit',
  },
);
for (let i = 0; i < 100; i++) {
  const ok = await fetch(`http://${HOST}:${port}/`).then(
    (r) => r.ok,
    () => false,
  );
  if (ok) break;
  await new Promise((r) => setTimeout(r, 50));
}

const target: CheckTarget = {
  service: 'http',
  protocol: 'tcp',
  family: 4,
  host: HOST,
  port,
  realPort: port,
  virtualAddress: '10.0.0.1',
  virtualPort: 80,
  fwmark: 0,
  request: '/',
  receive: 'healthy',
  login: '',
  passwd: '',
  database: '',
  secret: '',
  httpmethod: 'GET',
  checkcommand: '',
  timeoutMs: 5000,
  checkcount: 1,
};

async function run(
  concurrency: number,
  durationMs: number,
): Promise<{ checks: number; failures: number; wallMs: number; cpuMs: number }> {
  let checks = 0;
  let failures = 0;
  const end = performance.now() + durationMs;
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (performance.now() < end) {
        const r = await checkHttp(target, AbortSignal.timeout(target.timeoutMs));
        checks++;
        if (!r.up) failures++;
      }
    }),
  );
  const cpu = process.cpuUsage(cpu0);
  return {
    checks,
    failures,
    wallMs: performance.now() - t0,
    cpuMs: (cpu.user + cpu.system) / 1000,
  };
}

try {
  await run(10, 1000); // warm up (JIT, the TLS-free connector cache, the regex cache)
  console.log(`node ${process.version}, ${seconds} s per row, nginx 1 worker on ${HOST}:${port}`);
  console.log('concurrency  checks  failures  checks/s(wall)  cpu-ms  checks/cpu-s  cpu-us/check');
  for (const c of concurrencies) {
    const r = await run(c, seconds * 1000);
    console.log(
      `${String(c).padStart(11)}  ${String(r.checks).padStart(6)}  ${String(r.failures).padStart(8)}  ${(r.checks / (r.wallMs / 1000)).toFixed(0).padStart(14)}  ${r.cpuMs.toFixed(0).padStart(6)}  ${(r.checks / (r.cpuMs / 1000)).toFixed(0).padStart(12)}  ${((r.cpuMs * 1000) / r.checks).toFixed(0).padStart(12)}`,
    );
  }
  const ab = spawnSync('ab', ['-q', '-n', '20000', '-c', '50', `http://${HOST}:${port}/`], {
    encoding: 'utf8',
  });
  const rps = /Requests per second:\s+([\d.]+)/.exec(ab.stdout ?? '');
  if (rps)
    console.log(
      `ab -n 20000 -c 50 (no keep-alive), the ceiling: ${Number(rps[1]).toFixed(0)} requests/s`,
    );
} finally {
  nginx.kill('SIGTERM');
  await new Promise((r) => nginx.once('exit', r));
  rmSync(dir, { recursive: true, force: true });
}
