// The ipvsadm command forms of the Perl original (§3.2, §3.3 of the behaviour reference), word
// for word and in its flag order, and the `ipvsadm -R` input of a list of commands.
import type { Forward, VirtualService } from '../config/model.ts';
import { hostPort, inetAton } from '../lib/inet.ts';

const FORWARD_FLAG: Record<Forward, string> = { gate: '-g', masq: '-m', ipip: '-i' };

export function protocolFlag(v: VirtualService): '-t' | '-u' | '-f' {
  return v.protocol === 'fwm' ? '-f' : v.protocol === 'udp' ? '-u' : '-t';
}

/** get_virtual_option: `addr:port`, `mark`, or `mark -6`. */
export function virtualOption(v: VirtualService): string[] {
  if (v.protocol === 'fwm') return v.family === 6 ? [String(v.fwmark), '-6'] : [String(v.fwmark)];
  return [hostPort(v.address, v.port)];
}

/** The flags of ld_setup: `<-t|-u|-f> <vopt> [-o] -s <sched> [-p <n> [-M <mask>]] [-b <flags>]`. */
export function virtualFlags(v: VirtualService): string[] {
  const args = [protocolFlag(v), ...virtualOption(v)];
  if (v.protocol === 'udp' && v.ops) args.push('-o');
  args.push('-s', v.scheduler);
  if (v.persistent !== undefined) {
    args.push('-p', String(v.persistent));
    if (v.netmask !== undefined) args.push('-M', v.netmask);
  }
  if (v.schedflags !== undefined) args.push('-b', v.schedflags);
  return args;
}

export const addVirtualArgs = (v: VirtualService): string[] => ['-A', ...virtualFlags(v)];
export const editVirtualArgs = (v: VirtualService): string[] => ['-E', ...virtualFlags(v)];
export const deleteVirtualArgs = (v: VirtualService): string[] => [
  '-D',
  protocolFlag(v),
  ...virtualOption(v),
];

export interface RealSpec {
  address: string;
  port: number;
  forward: Forward;
  weight: number;
  upperThreshold: number;
  lowerThreshold: number;
}

/** `-a|-e <p> <vopt> -x <upper> -y <lower> -r <rip:rport> <fwd> -w <weight>`. */
export function realArgs(command: '-a' | '-e', v: VirtualService, r: RealSpec): string[] {
  return [
    command,
    protocolFlag(v),
    ...virtualOption(v),
    '-x',
    String(r.upperThreshold),
    '-y',
    String(r.lowerThreshold),
    '-r',
    hostPort(r.address, r.port),
    FORWARD_FLAG[r.forward],
    '-w',
    String(r.weight),
  ];
}

/** Quiesce (`-e`) or re-add quiesced (`-a`): `... -r <rip:rport> <fwd> -w 0`, no -x/-y. */
export function quiescentArgs(
  command: '-a' | '-e',
  v: VirtualService,
  r: { address: string; port: number; forward: Forward },
): string[] {
  return [
    command,
    protocolFlag(v),
    ...virtualOption(v),
    '-r',
    hostPort(r.address, r.port),
    FORWARD_FLAG[r.forward],
    '-w',
    '0',
  ];
}

/** `-d <p> <vopt> -r <rip:rport>`. */
export function deleteRealArgs(v: VirtualService, r: { address: string; port: number }): string[] {
  return ['-d', protocolFlag(v), ...virtualOption(v), '-r', hostPort(r.address, r.port)];
}

/** The lines of an `ipvsadm -R` batch for these commands. */
export function restoreInput(commands: ReadonlyArray<{ args: readonly string[] }>): string {
  return commands.map((c) => `${c.args.join(' ')}\n`).join('');
}

/** A configured IPv4 netmask as ipvsadm prints it (`255.255.255.0`). */
export function normalizeNetmask(family: 4 | 6, netmask: string): string | undefined {
  if (family === 6) return netmask === '128' ? undefined : String(Number(netmask));
  const v = inetAton(netmask);
  if (v === undefined || v === 0xffffffff) return undefined;
  return [v >>> 24, (v >>> 16) & 255, (v >>> 8) & 255, v & 255].join('.');
}
