// IPVS layer at scale, against the fake ipvsadm (a process per call, like the real one):
//   1. a mass change of N real servers (all down, then all up): ipvsadm processes and wall time
//      of IpvsadmBackend.apply, and the planner's share;
//   2. reading and parsing a table of M destinations;
//   3. the Perl original's ipvsadm processes for the same change, with a smaller N (it runs
//      ipvsadm three times per transition: two reads and the change).
// Usage: node bench/ipvs-mass-change.ts [N=5000] [M=10000] [perlN=20]   (perlN=0 skips 3.)
import { spawn } from 'node:child_process';
import {
  chmodSync,
  existsSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  symlinkSync,
  unlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { RealServer, VirtualService } from '../src/config/model.ts';
import { IpvsadmBackend } from '../src/ipvs/backend.ts';
import { listText } from '../src/ipvs/emulator/ipvsadm-format.ts';
import { parseTable } from '../src/ipvs/listing.ts';
import type { IpvsTable } from '../src/ipvs/model.ts';
import { planIpvs } from '../src/ipvs/plan.ts';
import { config, real, virtual } from '../test/support/ipvs-fixtures.ts';

const [N = 5000, M = 10_000, PERL_N = 20] = process.argv.slice(2).map(Number);
const FAKE = new URL('../test/support/fake-ipvsadm/ipvsadm', import.meta.url).pathname;

function fake(dir: string) {
  const state = join(dir, 'state.json');
  const log = join(dir, 'ipvsadm.log');
  writeFileSync(state, JSON.stringify({ services: [] }));
  const backend = new IpvsadmBackend({
    path: FAKE,
    timeoutMs: 60_000,
    env: { ...process.env, FAKE_IPVSADM_STATE: state, FAKE_IPVSADM_LOG: log },
  });
  const calls = () =>
    existsSync(log) ? readFileSync(log, 'utf8').split('\n').filter(Boolean).length : 0;
  return { backend, calls };
}

/** `count` reals spread over virtuals of 100 reals each. */
function layout(count: number) {
  const virtuals: VirtualService[] = [];
  for (let i = 0; i * 100 < count; i++) {
    const reals: RealServer[] = [];
    for (let j = 0; j < 100 && i * 100 + j < count; j++) {
      reals.push(real(`10.${100 + (i >> 8)}.${i & 255}.${j + 1}`, 80, 'masq', 1 + (j % 5)));
    }
    virtuals.push(virtual({ address: `10.1.${i >> 8}.${i & 255}`, port: 80 }, reals));
  }
  return config(virtuals);
}

async function massChange(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'bench-ipvs-'));
  const { backend, calls } = fake(dir);
  const cfg = layout(N);
  let up = true;
  const isUp = () => up;
  console.log(`\n1. mass change of ${N} reals in ${cfg.virtuals.length} virtuals (fake ipvsadm)`);
  console.log('| change | commands | plan ms | apply ms (wall) | ipvsadm processes | failed |');
  console.log('|---|---|---|---|---|---|');
  const s0 = performance.now();
  const actual = await backend.read();
  const s1 = performance.now();
  const startPlan = planIpvs({ config: cfg, actual, isUp, scope: { kind: 'start' } });
  const s2 = performance.now();
  const started = await backend.apply(startPlan);
  const s3 = performance.now();
  let table = started.table;
  console.log(
    `| start from an empty table, all up (read, plan, apply) | ${startPlan.commands.length} | ${(s2 - s1).toFixed(0)} | ${(s1 - s0 + s3 - s2).toFixed(0)} | ${calls()} | ${started.failed.length} |`,
  );
  const entries = cfg.virtuals.flatMap((v) => v.reals.map((r) => ({ virtual: v, real: r })));
  for (const state of [false, true]) {
    up = state;
    const before = calls();
    const t0 = performance.now();
    const plan = planIpvs({
      config: cfg,
      actual: table,
      isUp,
      scope: { kind: 'entries', reals: entries },
    });
    const t1 = performance.now();
    const result = await backend.apply(plan);
    const t2 = performance.now();
    table = result.table;
    const processes = calls() - before;
    console.log(
      `| all ${state ? 'up' : 'down'} | ${plan.commands.length} | ${(t1 - t0).toFixed(0)} | ${(t2 - t1).toFixed(0)} | ${processes} (reported ${result.processes}) | ${result.failed.length} |`,
    );
  }
  rmSync(dir, { recursive: true, force: true });
}

async function readBench(): Promise<void> {
  const cfg = layout(M);
  const dir = mkdtempSync(join(tmpdir(), 'bench-ipvs-'));
  const { backend } = fake(dir);
  const table: IpvsTable = (
    await backend.apply(
      planIpvs({
        config: cfg,
        actual: { services: [] },
        isUp: () => true,
        scope: { kind: 'start' },
      }),
    )
  ).table;
  const text = listText(table) + listText(table, true);
  const runs: number[] = [];
  for (let i = 0; i < 10; i++) {
    const t0 = performance.now();
    parseTable(text);
    runs.push(performance.now() - t0);
  }
  runs.sort((a, b) => a - b);
  const reads: number[] = [];
  for (let i = 0; i < 5; i++) {
    const t0 = performance.now();
    await backend.read();
    reads.push(performance.now() - t0);
  }
  reads.sort((a, b) => a - b);
  console.log(
    `\n2. reading a table of ${M} destinations (${(text.length / 1e6).toFixed(1)} MB of listings)`,
  );
  console.log('| step | median ms | best ms |');
  console.log('|---|---|---|');
  console.log(`| parse both listings | ${runs[5]!.toFixed(1)} | ${runs[0]!.toFixed(1)} |`);
  console.log(
    `| read() through the fake (one process) | ${reads[2]!.toFixed(0)} | ${reads[0]!.toFixed(0)} |`,
  );
  rmSync(dir, { recursive: true, force: true });
}

/** The Perl original, external check toggled by a flag file; ipvsadm calls per change. */
async function perl(): Promise<void> {
  if (PERL_N === 0 || !existsSync('/usr/sbin/ldirectord')) return;
  const dir = mkdtempSync(join(tmpdir(), 'bench-perl-'));
  const flag = join(dir, 'up');
  const check = join(dir, 'check.sh');
  writeFileSync(check, `#!/bin/sh\n[ -e ${flag} ]\n`);
  chmodSync(check, 0o755);
  writeFileSync(flag, '');
  let cf = 'checkinterval=1\nchecktimeout=3\nvirtual=10.1.1.1:80\n    checktype=external\n';
  cf += `    checkcommand=${check}\n`;
  for (let j = 0; j < PERL_N; j++) cf += `    real=10.2.${j >> 8}.${(j & 255) + 1}:80 masq\n`;
  writeFileSync(join(dir, 'ld.cf'), cf);
  symlinkSync(FAKE, join(dir, 'ipvsadm'));
  const log = join(dir, 'ipvsadm.log');
  const env = {
    ...process.env,
    FAKE_IPVSADM_STATE: join(dir, 'state.json'),
    FAKE_IPVSADM_LOG: log,
  };
  const child = spawn('/usr/sbin/ldirectord', ['-d', join(dir, 'ld.cf'), 'start'], {
    cwd: dir,
    env,
    stdio: 'ignore',
  });
  const calls = () =>
    existsSync(log) ? readFileSync(log, 'utf8').split('\n').filter(Boolean).length : 0;
  const settle = async () => {
    let last = -1;
    let since = Date.now();
    for (;;) {
      await new Promise((r) => setTimeout(r, 200));
      const now = calls();
      if (now !== last) [last, since] = [now, Date.now()];
      else if (Date.now() - since > 3000) return now;
    }
  };
  const started = await settle();
  unlinkSync(flag);
  const t0 = Date.now();
  const down = await settle();
  const downMs = Date.now() - t0 - 3000;
  writeFileSync(flag, '');
  const t1 = Date.now();
  const upCount = await settle();
  const upMs = Date.now() - t1 - 3000;
  child.kill('SIGTERM');
  await new Promise((r) => child.on('close', r));
  console.log(`\n3. the Perl original, ${PERL_N} reals, external check (fake ipvsadm)`);
  console.log('| change | ipvsadm processes | per real | wall ms (incl. check interval) |');
  console.log('|---|---|---|---|');
  console.log(`| start | ${started} | ${(started / PERL_N).toFixed(1)} | |`);
  console.log(
    `| all down | ${down - started} | ${((down - started) / PERL_N).toFixed(1)} | ${downMs} |`,
  );
  console.log(
    `| all up | ${upCount - down} | ${((upCount - down) / PERL_N).toFixed(1)} | ${upMs} |`,
  );
  rmSync(dir, { recursive: true, force: true });
}

await massChange();
await readBench();
await perl();
