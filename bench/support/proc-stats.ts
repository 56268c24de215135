// Resident size and CPU time of a process (and its children) from /proc, and the load average.
import { readdirSync, readFileSync } from 'node:fs';

const CLOCK_TICKS = 100; // USER_HZ on Linux

function read(file: string): string | undefined {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
}

/**
 * VmRSS, VmHWM (peak), and VmRSS's anonymous part (RssAnon: the heaps and other private memory)
 * and file-backed part (RssFile: pages of the binary and libraries), in MiB; undefined once the
 * process is gone.
 */
export function memory(
  pid: number,
): { rssMiB: number; peakMiB: number; anonMiB: number; fileMiB: number } | undefined {
  const status = read(`/proc/${pid}/status`);
  if (!status) return undefined;
  const kib = (name: string): number => Number(new RegExp(`${name}:\\s+(\\d+)`).exec(status)?.[1]);
  return {
    rssMiB: kib('VmRSS') / 1024,
    peakMiB: kib('VmHWM') / 1024,
    anonMiB: kib('RssAnon') / 1024,
    fileMiB: kib('RssFile') / 1024,
  };
}

function statFields(pid: number): string[] | undefined {
  const stat = read(`/proc/${pid}/stat`);
  if (!stat) return undefined;
  return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
}

/** User + system CPU seconds of the process itself (its reaped children not included). */
export function cpuSeconds(pid: number): number {
  const f = statFields(pid);
  if (!f) return 0;
  // Fields after the command: state(0) ppid(1) ... utime(11) stime(12)
  return (Number(f[11]) + Number(f[12])) / CLOCK_TICKS;
}

/** The pids whose parent is `pid`. */
export function childPids(pid: number): number[] {
  const out: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    if (statFields(Number(name))?.[1] === String(pid)) out.push(Number(name));
  }
  return out;
}

/** The first process whose command line contains every one of `words`. */
export function findProcess(words: string[]): number | undefined {
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const cmdline = read(`/proc/${name}/cmdline`)?.split('\0').join(' ');
    if (cmdline && words.every((w) => cmdline.includes(w))) return Number(name);
  }
  return undefined;
}

export function loadAverage(): string {
  return (read('/proc/loadavg') ?? '').split(' ').slice(0, 3).join(' ');
}

export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil(p * sorted.length) - 1)]!;
}
