// Runs the real ipvsadm binary on a kernel without IPVS through shim.c (LD_PRELOAD), to compare
// it with the emulation. Needs gcc and /usr/sbin/ipvsadm (test/setup/setup.sh installs both).
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { KernelTable } from '../../../src/ipvs/emulator/kernel.ts';

export const REAL_IPVSADM = '/usr/sbin/ipvsadm';

/** Why the shim cannot run here, or undefined when it can. */
export function shimUnavailable(): string | undefined {
  if (!existsSync(REAL_IPVSADM)) return `${REAL_IPVSADM} is not installed`;
  const gcc = spawnSync('gcc', ['--version']);
  if (gcc.error || gcc.status !== 0) return 'gcc is not installed';
  return undefined;
}

/** Compile shim.c into a fresh directory; returns the shared object's path. */
export function buildShim(): string {
  const dir = mkdtempSync(join(tmpdir(), 'ipvsadm-shim-'));
  const so = join(dir, 'shim.so');
  const source = new URL('shim.c', import.meta.url).pathname;
  const r = spawnSync('gcc', ['-shared', '-fPIC', '-O2', '-o', so, source, '-ldl'], {
    encoding: 'utf8',
  });
  if (r.status !== 0) throw new Error(`gcc failed: ${r.stderr}`);
  return so;
}

/** The shim's table file: IPv4 services; destinations in the kernel's order (newest first). */
export function shimTableText(table: KernelTable): string {
  const ntoa = (v: number): string =>
    [v >>> 24, (v >>> 16) & 255, (v >>> 8) & 255, v & 255].join('.');
  let text = '';
  for (const s of table.services) {
    if (s.family !== 4) throw new Error('the sockopt interface lists IPv4 only');
    const proto = s.protocol === 'udp' ? 17 : 6;
    const address = s.protocol === 'fwm' ? '0.0.0.0' : s.address;
    text += `S ${proto} ${address} ${s.port} ${s.fwmark} ${s.scheduler} ${s.flags} ${s.timeout} ${ntoa(s.netmask)}\n`;
    for (const d of s.destinations.slice().reverse()) {
      const flags = { masq: 0, local: 1, ipip: 2, gate: 3, bypass: 4 }[d.forward];
      text += `D ${d.address} ${d.port} ${flags} ${d.weight} ${d.upperThreshold} ${d.lowerThreshold}\n`;
    }
  }
  return text;
}

export interface RealRun {
  stdout: string;
  stderr: string;
  exitCode: number;
}

/** Run the real ipvsadm with the shim, listing `table`; change requests succeed (or errno). */
export function runReal(
  so: string,
  args: readonly string[],
  options: { table?: KernelTable; stdin?: string; errno?: number } = {},
): RealRun {
  const env: NodeJS.ProcessEnv = { ...process.env, LD_PRELOAD: so };
  if (options.table) {
    const file = join(mkdtempSync(join(tmpdir(), 'ipvsadm-table-')), 'table');
    writeFileSync(file, shimTableText(options.table));
    env.IPVSADM_SHIM_TABLE = file;
  }
  if (options.errno) env.IPVSADM_SHIM_ERRNO = String(options.errno);
  const r = spawnSync(REAL_IPVSADM, args, {
    env,
    input: options.stdin ?? '',
    encoding: 'utf8',
    timeout: 10_000,
  });
  return { stdout: r.stdout, stderr: r.stderr, exitCode: r.status ?? -1 };
}
