// Watches a director from inside its guest, without running a program per look: whether it
// holds the virtual IP (getifaddrs) and its IPVS table (/proc/net/ip_vs, in `ipvsadm -S -n`
// form). Each change is one line appended to a log the host reads through the share, stamped
// with the guest's clock, so the host can wait on a director's state without a guest job and
// time a takeover (VIP up -> table complete) on one clock:
//
//   <epoch ms> vip=<0|1> <table lines joined by " | ">
//
//   node director-watch.ts <log> <vip> [interval ms]
import { appendFileSync, readFileSync } from 'node:fs';
import { networkInterfaces } from 'node:os';

export interface DirectorState {
  /** The guest's clock (epoch ms) when the change was seen. */
  at: number;
  vip: boolean;
  /** `ipvsadm -S -n` lines, virtual services and their reals in the kernel's order. */
  table: string[];
}

export function parseWatchLog(text: string): DirectorState[] {
  const states: DirectorState[] = [];
  for (const line of text.split('\n')) {
    const m = /^(\d+) vip=([01]) ?(.*)$/.exec(line);
    if (!m) continue;
    states.push({ at: Number(m[1]), vip: m[2] === '1', table: m[3] ? m[3].split(' | ') : [] });
  }
  return states;
}

const FORWARD: Record<string, string> = { Route: '-g', Masq: '-m', Local: '-m', Tunnel: '-i' };

function hexAddress(hex: string): string {
  const [ip, port] = hex.split(':') as [string, string];
  const n = Number.parseInt(ip, 16);
  return `${[n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.')}:${Number.parseInt(port, 16)}`;
}

/** /proc/net/ip_vs as `ipvsadm -S -n` prints IPv4 TCP/UDP services; others verbatim. */
export function procIpvsToSave(text: string): string[] {
  const lines: string[] = [];
  let virtual = '';
  for (const raw of text.split('\n').slice(3)) {
    const line = raw.trim();
    if (line === '') continue;
    const real = /^-> ([0-9A-F]{8}:[0-9A-F]{4})\s+(\w+)\s+(\d+)/.exec(line);
    if (real) {
      const forward = FORWARD[real[2]!] ?? real[2];
      lines.push(`-a ${virtual} -r ${hexAddress(real[1]!)} ${forward} -w ${real[3]}`);
      continue;
    }
    const service = /^(TCP|UDP)\s+([0-9A-F]{8}:[0-9A-F]{4})\s+(\S+)\s*(.*)$/.exec(line);
    if (!service) {
      lines.push(line);
      continue;
    }
    virtual = `-${service[1] === 'TCP' ? 't' : 'u'} ${hexAddress(service[2]!)}`;
    const flags = service[4] ? ` ${service[4]}` : '';
    lines.push(`-A ${virtual} -s ${service[3]}${flags}`);
  }
  return lines;
}

function holds(vip: string): boolean {
  return Object.values(networkInterfaces()).some((addresses) =>
    (addresses ?? []).some((a) => a.address === vip),
  );
}

async function main(argv: string[]): Promise<void> {
  const [log, vip, interval = '100'] = argv;
  if (!log || !vip) throw new Error('usage: director-watch.ts <log> <vip> [interval ms]');
  let last = '';
  for (;;) {
    const table = procIpvsToSave(readFileSync('/proc/net/ip_vs', 'utf8'));
    const state = `vip=${holds(vip) ? 1 : 0} ${table.join(' | ')}`.trimEnd();
    if (state !== last) appendFileSync(log, `${Date.now()} ${state}\n`);
    last = state;
    await new Promise((resolve) => setTimeout(resolve, Number(interval)));
  }
}

if (import.meta.main) await main(process.argv.slice(2));
