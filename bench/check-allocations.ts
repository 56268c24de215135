// Where the daemon's memory goes at scale: the check engine with the real checkers and the
// dry-run backend, in this process, against the servers of bench/detection-latency.ts (9,000
// nginx reals and 1,000 hung ones by default). Prints the heap after start-up and after a
// forced GC (what is retained), and, from V8's sampling heap profiler with collected objects
// included, the bytes allocated per check by module (the garbage the GC must keep up with).
// By default only objects that a major GC collected are counted: the garbage that outlived
// the young generation and grows the old space. --minor adds what the scavenger collected
// (every allocation; much slower).
//
//   node --expose-gc bench/check-allocations.ts [--reals 10000] [--interval 10] [--seconds 20]
//                                               [--minor]
import { Session } from 'node:inspector/promises';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { checkers, negotiateChecker } from '../src/checkers/index.ts';
import { loadConfig } from '../src/config/load.ts';
import { DryRunBackend } from '../src/ipvs/emulator/dry-run.ts';
import { planIpvs } from '../src/ipvs/plan.ts';
import { Monitor } from '../src/monitor/index.ts';
import { benchConfig, RealServers, realAddress } from './support/real-servers.ts';

const { values } = parseArgs({
  options: {
    reals: { type: 'string', default: '10000' },
    interval: { type: 'string', default: '10' },
    seconds: { type: 'string', default: '20' },
    minor: { type: 'boolean', default: false },
  },
});
const REALS = Number(values.reals);
const addresses = Array.from({ length: REALS }, (_, i) => realAddress(i));
const servers = new RealServers();
await servers.start(
  addresses.filter((_, i) => i % 10 !== 0),
  addresses.filter((_, i) => i % 10 === 0),
);

const file = join(servers.dir, 'bench.cf');
writeFileSync(file, benchConfig(addresses, { interval: Number(values.interval), timeout: 3 }));
const { config, diagnostics } = await loadConfig(file, { fileChecks: 'open' });
if (!config) {
  await servers.stop();
  throw new Error(diagnostics.map((d) => d.message).join('\n'));
}
const mib = (n: number): string => `${(n / 2 ** 20).toFixed(0)} MiB`;
const heap = (): string => {
  const m = process.memoryUsage();
  return `heap used ${mib(m.heapUsed)} of ${mib(m.heapTotal)}, external ${mib(m.external)}`;
};

const monitor = new Monitor({
  config,
  backend: new DryRunBackend(),
  planner: planIpvs,
  checkers: { negotiate: negotiateChecker, ...checkers },
});
await monitor.start();
await new Promise((r) => setTimeout(r, Number(values.interval) * 1000));
console.log(`steady: ${heap()}`);
globalThis.gc?.();
console.log(
  `after a full GC (retained): ${heap()}${globalThis.gc ? '' : ' (run with --expose-gc)'}`,
);

const session = new Session();
session.connect();
await session.post('HeapProfiler.startSampling', {
  samplingInterval: 8192,
  includeObjectsCollectedByMajorGC: true,
  includeObjectsCollectedByMinorGC: values.minor,
});
const accepted0 = servers.hungAccepted;
const t0 = Date.now();
await new Promise((r) => setTimeout(r, Number(values.seconds) * 1000));
const { profile } = (await session.post('HeapProfiler.stopSampling')) as {
  profile: { head: ProfileNode };
};
const seconds = (Date.now() - t0) / 1000;
const t1 = Date.now();
await new Promise((r) => setTimeout(r, 1500)); // nginx writes its log every second
const checks =
  servers.requests().filter((r) => r.at >= t0 && r.at <= t1).length +
  servers.hungAccepted -
  accepted0;
await monitor.stop();
await servers.stop();

interface ProfileNode {
  callFrame: { functionName: string; url: string; lineNumber: number };
  selfSize: number;
  children: ProfileNode[];
}
// Each sample is charged to the innermost frame of our code or of an npm package on its stack.
const byModule = new Map<string, number>();
/** The allocating function itself (the innermost frame with a URL). */
const bySite = new Map<string, number>();
let total = 0;
const owner = (url: string): string | undefined =>
  /(node_modules\/[^/]+|src\/[^:]+|bench\/[^:]+)/.exec(url)?.[1];
const walk = (node: ProfileNode, charged: string): void => {
  const here = owner(node.callFrame.url) ?? charged;
  total += node.selfSize;
  byModule.set(here, (byModule.get(here) ?? 0) + node.selfSize);
  const { functionName, url, lineNumber } = node.callFrame;
  const site = `${functionName || '(anonymous)'} ${url.replace(/^.*\/(node_modules|src)\//, '')}:${lineNumber + 1}`;
  if (node.selfSize > 0) bySite.set(site, (bySite.get(site) ?? 0) + node.selfSize);
  for (const child of node.children) walk(child, here);
};
walk(profile.head, 'node internals');
console.log(
  `\n${checks} checks in ${seconds.toFixed(0)} s; allocated ${mib(total)} ` +
    `(${(total / Math.max(1, checks) / 1024).toFixed(0)} KiB per check, ${mib(total / seconds)}/s)`,
);
for (const [module, bytes] of [...byModule].sort((a, b) => b[1] - a[1]).slice(0, 15)) {
  console.log(
    `${mib(bytes).padStart(9)}  ${((bytes / total) * 100).toFixed(0).padStart(3)} %  ${module}`,
  );
}
console.log('\nallocation sites');
for (const [site, bytes] of [...bySite].sort((a, b) => b[1] - a[1]).slice(0, 25)) {
  console.log(
    `${mib(bytes).padStart(9)}  ${((bytes / total) * 100).toFixed(0).padStart(3)} %  ${site}`,
  );
}
