// Parse + resolve a generated config of 1,000 virtual services and 10,000 real servers.
// Target: under 200 ms and under 50 MB of extra heap.
//   node --expose-gc bench/parse.ts
import { loadConfigText } from '../src/config/load.ts';

function generate(virtuals: number, realsPerVirtual: number): string {
  const lines = [
    'checkinterval=5',
    'checktimeout=3',
    'quiescent=yes',
    'fallback=127.0.0.1:80 gate',
    '',
  ];
  for (let v = 0; v < virtuals; v++) {
    lines.push(`virtual=10.${(v >> 8) & 255}.${v & 255}.1:80`);
    for (let r = 0; r < realsPerVirtual; r++) {
      lines.push(`\treal=172.16.${v % 256}.${r + 10}:8080 masq ${1 + (r % 5)}`);
    }
    lines.push(
      '\tservice=http',
      '\trequest="/health"',
      '\treceive="OK"',
      '\tscheduler=wlc',
      '\tchecktype=negotiate',
      '',
    );
  }
  return lines.join('\n');
}

const gc = (globalThis as { gc?: () => void }).gc;
const mb = (bytes: number) => (bytes / 1024 / 1024).toFixed(1);
const text = generate(1000, 10);

async function once() {
  const result = await loadConfigText(text, 'bench.cf', { fileChecks: 'none' });
  const reals = result.config?.virtuals.reduce((n, v) => n + v.reals.length, 0);
  if (result.config?.virtuals.length !== 1000 || reals !== 10_000)
    throw new Error('bench config did not resolve');
  return result;
}

// Memory of the first (cold) run: peak RSS growth, and the heap the result keeps.
gc?.();
const heapBefore = process.memoryUsage().heapUsed;
const rssBefore = process.memoryUsage().rss;
let start = performance.now();
// Held in an object so the result stays alive until measured, then is dropped.
const kept: { result?: unknown } = { result: await once() };
const firstMs = performance.now() - start;
const peakRss = process.resourceUsage().maxRSS * 1024 - rssBefore;
gc?.();
const retained = process.memoryUsage().heapUsed - heapBefore;
kept.result = undefined;

const times: number[] = [];
for (let i = 0; i < 9; i++) {
  start = performance.now();
  kept.result = await once();
  times.push(performance.now() - start);
}
times.sort((a, b) => a - b);
process.stdout.write(
  `config: ${text.split('\n').length} lines, ${(text.length / 1024).toFixed(0)} KiB, 1000 virtuals, 10000 reals\n` +
    `parse+resolve: first (cold) ${firstMs.toFixed(1)} ms; warm median ${times[4]!.toFixed(1)} ms, best ${times[0]!.toFixed(1)} ms\n` +
    `memory: peak RSS growth during the first run ${mb(peakRss)} MB; heap kept by the result ${gc ? `${mb(retained)} MB` : '(run with --expose-gc)'}\n`,
);
void kept;
