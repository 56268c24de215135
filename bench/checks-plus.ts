// The cost of the issue-12 check options, in CPU of the checking process per check: HTTPS
// checks under the original's rule (the test CA trusted besides the system store), with
// tlsca (its file stat-ed on every check), with tlsverify=yes, with tlsverify=no, and with
// httpstatus plus two httpheader lines; and agent queries. The servers run in a child process
// on 127.31.14.1, so only the checker's CPU is counted.
//
//   node bench/checks-plus.ts [seconds=4] [concurrency=10]
import { spawn } from 'node:child_process';
import { checkAgent } from '../src/checkers/agent.ts';
import { checkHttp } from '../src/checkers/http.ts';
import type { Checker, CheckTarget } from '../src/checkers/types.ts';
import { makeCertificates } from '../test/support/tls-certificates.ts';

const HOST = '127.31.14.1';
const seconds = Number(process.argv[2] ?? 4);
const concurrency = Number(process.argv[3] ?? 10);

const certificates = makeCertificates({ addresses: [HOST] });
const serverScript = `
const https = require('node:https');
const net = require('node:net');
const tls = JSON.parse(process.argv[1]);
const s = https.createServer(tls, (req, res) => res.end('I am healthy\\n'));
const a = net.createServer((socket) => { socket.on('error', () => {}); socket.end('75% ready\\n'); });
s.listen(0, '${HOST}', () => a.listen(0, '${HOST}', () =>
  process.stdout.write(JSON.stringify({ https: s.address().port, agent: a.address().port }) + '\\n')));
`;
const child = spawn(process.execPath, ['-e', serverScript, JSON.stringify(certificates.signed)], {
  stdio: ['ignore', 'pipe', 'inherit'],
});
const ports = await new Promise<{ https: number; agent: number }>((resolve) => {
  child.stdout.once('data', (b: Buffer) => resolve(JSON.parse(b.toString())));
});

const base: CheckTarget = {
  service: 'https',
  protocol: 'tcp',
  family: 4,
  host: HOST,
  port: ports.https,
  realPort: ports.https,
  virtualAddress: '10.0.0.1',
  virtualPort: 443,
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
process.env.SSL_CERT_FILE = certificates.caFile; // the original's rule, trusting the test CA

async function run<T>(checker: Checker<T>, target: T): Promise<[number, number, number]> {
  let checks = 0;
  let failures = 0;
  const end = performance.now() + seconds * 1000;
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (performance.now() < end) {
        const r = await checker(target, AbortSignal.timeout(5000));
        checks++;
        if (!r.up) failures++;
      }
    }),
  );
  const cpu = process.cpuUsage(cpu0);
  const cpuMs = (cpu.user + cpu.system) / 1000;
  return [checks / ((performance.now() - t0) / 1000), (cpuMs * 1000) / checks, failures];
}

const cases: Array<[string, () => Promise<[number, number, number]>]> = [
  ["https, the original's rule", () => run(checkHttp, base)],
  ['https, tlsca', () => run(checkHttp, { ...base, tls: { ca: certificates.caFile } })],
  [
    'https, tlsverify=yes + tlsca',
    () => run(checkHttp, { ...base, tls: { verify: true, ca: certificates.caFile } }),
  ],
  ['https, tlsverify=no', () => run(checkHttp, { ...base, tls: { verify: false } })],
  [
    'https, httpstatus + 2 httpheader',
    () =>
      run(checkHttp, {
        ...base,
        httpstatus: [[200, 299]],
        httpheader: [
          { name: 'X-A', value: 'one' },
          { name: 'Authorization', value: 'Bearer abc' },
        ],
      }),
  ],
  ['agent query', () => run(checkAgent, { host: HOST, port: ports.agent, timeoutMs: 5000 })],
];

try {
  await run(checkHttp, base); // warm up: JIT, the secure contexts, the connectors
  console.log(`node ${process.version}, ${seconds} s per row, concurrency ${concurrency}`);
  console.log('case                               checks/s(wall)  cpu-us/check  failures');
  for (const [name, measure] of cases) {
    const [rate, cpu, failures] = await measure();
    console.log(
      `${name.padEnd(34)} ${rate.toFixed(0).padStart(14)}  ${cpu.toFixed(0).padStart(12)}  ${String(failures).padStart(8)}`,
    );
  }
} finally {
  child.kill();
  certificates.remove();
}
