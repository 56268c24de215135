// A model of the kernel's IPVS table, as ipvsadm shows it, with the keys that identify its
// entries and the kernel's service flags. The planner compares a desired table with the actual
// one; the ipvsadm output parser and the emulator (src/ipvs/emulator) produce it.
import type { Family, Protocol } from '../config/model.ts';

/**
 * ipvsadm's forwarding methods. 'local' is what kernels before 2.6.x showed for a destination
 * on a local address; the 6.1 kernel keeps the configured method (seen under qemu).
 */
export type IpvsForward = 'gate' | 'masq' | 'ipip' | 'local' | 'bypass';

export interface IpvsDestination {
  /** Numeric; IPv6 bare and canonical. */
  address: string;
  port: number;
  forward: IpvsForward;
  weight: number;
  /** -x */
  upperThreshold: number;
  /** -y */
  lowerThreshold: number;
}

export interface IpvsService {
  protocol: Protocol;
  family: Family;
  /** '' for a firewall-mark service. */
  address: string;
  /** 0 for a firewall-mark service. */
  port: number;
  /** 0 unless protocol is 'fwm'. */
  fwmark: number;
  scheduler: string;
  /** Persistence timeout in seconds; undefined when not persistent. */
  persistent?: number;
  /** Persistence netmask as ipvsadm prints it (dotted quad, or a prefix length for IPv6). */
  netmask?: string;
  /** One-packet scheduling (-o); UDP only. */
  ops: boolean;
  /** Scheduler flags (-b), e.g. 'sh-fallback,sh-port'. */
  schedflags?: string;
  destinations: IpvsDestination[];
}

export interface IpvsTable {
  services: IpvsService[];
}

/** The identity of a service in a table (what every command on it is looked up by). */
export function serviceKey(s: {
  family: Family;
  protocol: Protocol;
  address: string;
  port: number;
  fwmark: number;
}): string {
  return s.protocol === 'fwm'
    ? `fwm${s.family}|${s.fwmark}`
    : `${s.protocol}${s.family}|${s.address}|${s.port}`;
}

/** The identity of a destination within its service. */
export function destinationKey(d: { family: Family; address: string; port: number }): string {
  return `${d.family}|${d.address}|${d.port}`;
}

/** Service flags (include/uapi/linux/ip_vs.h). */
export const SVC_F_PERSISTENT = 0x1;
export const SVC_F_ONEPACKET = 0x4;
export const SVC_F_SCHED1 = 0x8;
export const SVC_F_SCHED2 = 0x10;
export const SVC_F_SCHED3 = 0x20;
export const SVC_F_SCHED_MASK = SVC_F_SCHED1 | SVC_F_SCHED2 | SVC_F_SCHED3;

const SCHED_FLAG_NAMES: Record<string, number> = {
  'flag-1': SVC_F_SCHED1,
  'flag-2': SVC_F_SCHED2,
  'flag-3': SVC_F_SCHED3,
  'sh-fallback': SVC_F_SCHED1,
  'sh-port': SVC_F_SCHED2,
  'mh-fallback': SVC_F_SCHED1,
  'mh-port': SVC_F_SCHED2,
};

/** The kernel's service flags for a model service. */
export function serviceFlags(s: {
  persistent?: number;
  ops: boolean;
  schedflags?: string;
}): number {
  let flags = s.persistent === undefined ? 0 : SVC_F_PERSISTENT;
  if (s.ops) flags |= SVC_F_ONEPACKET;
  for (const name of (s.schedflags ?? '').split(',')) flags |= SCHED_FLAG_NAMES[name] ?? 0;
  return flags;
}

/** Scheduler flags as ipvsadm prints them for this scheduler (undefined when none). */
export function schedFlagsText(scheduler: string, flags: number): string | undefined {
  const names =
    scheduler === 'sh'
      ? ['sh-fallback', 'sh-port', 'flag-3']
      : scheduler === 'mh'
        ? ['mh-fallback', 'mh-port', 'flag-3']
        : ['flag-1', 'flag-2', 'flag-3'];
  const bits = [SVC_F_SCHED1, SVC_F_SCHED2, SVC_F_SCHED3];
  const text = names.filter((_, i) => flags & bits[i]!).join(',');
  return text === '' ? undefined : text;
}
