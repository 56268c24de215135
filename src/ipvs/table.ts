// Helpers over the IPVS table model: identity keys, the port the kernel ends up with for a real,
// comparison and differences, and conversion to and from the kernel emulation's table.
import type { Family, Forward, Protocol, VirtualService } from '../config/model.ts';
import { inetAton, ipv4ToString, parseIpv4Strict } from './address.ts';
import {
  destinationKey,
  type KernelDestination,
  type KernelService,
  type KernelTable,
  SVC_F_ONEPACKET,
  SVC_F_PERSISTENT,
  SVC_F_SCHED1,
  SVC_F_SCHED2,
  SVC_F_SCHED3,
  serviceKey,
} from './kernel.ts';
import type { IpvsDestination, IpvsService, IpvsTable } from './model.ts';

export { destinationKey, serviceKey };

export function familyOf(address: string): Family {
  return address.includes(':') ? 6 : 4;
}

/** The key of a configured virtual service in a table. */
export function virtualKey(v: VirtualService): string {
  return serviceKey({
    family: v.family,
    protocol: v.protocol,
    address: v.address,
    port: v.port,
    fwmark: v.fwmark,
  });
}

export function ipvsServiceKey(s: IpvsService): string {
  return serviceKey(s);
}

export function ipvsDestinationKey(d: { address: string; port: number }): string {
  return destinationKey({ family: familyOf(d.address), address: d.address, port: d.port });
}

/**
 * The port a real (or fallback) has in the kernel: ipvsadm gives gatewaying and tunnelling
 * destinations of an address:port service the service's port; firewall-mark services keep it.
 */
export function kernelPort(
  v: { protocol: Protocol; port: number },
  r: { forward: Forward; port: number },
): number {
  return v.protocol !== 'fwm' && (r.forward === 'gate' || r.forward === 'ipip') ? v.port : r.port;
}

export function findService(table: IpvsTable, v: VirtualService): IpvsService | undefined {
  const key = virtualKey(v);
  return table.services.find((s) => ipvsServiceKey(s) === key);
}

export function findDestination(
  service: IpvsService | undefined,
  address: string,
  port: number,
): IpvsDestination | undefined {
  return service?.destinations.find((d) => d.address === address && d.port === port);
}

/**
 * The kernel's entry for a configured real, at the port the kernel gives it. The monitor uses
 * this at start-up: a real present with weight > 0 is initially up.
 */
export function findReal(
  table: IpvsTable,
  v: VirtualService,
  r: { address: string; port: number; forward: Forward },
): IpvsDestination | undefined {
  return findDestination(findService(table, v), r.address, kernelPort(v, r));
}

/** Same destination settings; a Local entry (old kernels) matches any forwarding method. */
export function sameDestination(a: IpvsDestination, b: IpvsDestination): boolean {
  return (
    a.weight === b.weight &&
    a.upperThreshold === b.upperThreshold &&
    a.lowerThreshold === b.lowerThreshold &&
    (a.forward === b.forward || a.forward === 'local' || b.forward === 'local')
  );
}

/** Same service settings (scheduler, persistence, netmask, one-packet, scheduler flags). */
export function sameServiceSettings(a: IpvsService, b: IpvsService): boolean {
  return (
    a.scheduler === b.scheduler &&
    a.persistent === b.persistent &&
    (a.persistent === undefined || (a.netmask ?? '') === (b.netmask ?? '')) &&
    a.ops === b.ops &&
    (a.schedflags ?? '') === (b.schedflags ?? '')
  );
}

export interface TableDifference {
  /** Keys of services missing, extra, or with other settings. */
  services: Set<string>;
  /** `serviceKey destinationKey` of destinations missing, extra, or with other settings. */
  destinations: Set<string>;
}

export function entryKey(serviceKey: string, destinationKey: string): string {
  return `${serviceKey} ${destinationKey}`;
}

/** Where `actual` differs from `expected`. */
export function diffTables(expected: IpvsTable, actual: IpvsTable): TableDifference {
  const diff: TableDifference = { services: new Set(), destinations: new Set() };
  const byKey = (t: IpvsTable) => new Map(t.services.map((s) => [ipvsServiceKey(s), s]));
  const want = byKey(expected);
  const have = byKey(actual);
  for (const key of new Set([...want.keys(), ...have.keys()])) {
    const w = want.get(key);
    const h = have.get(key);
    if (!w || !h || !sameServiceSettings(w, h)) diff.services.add(key);
    const dests = (s: IpvsService | undefined) =>
      new Map((s?.destinations ?? []).map((d) => [ipvsDestinationKey(d), d]));
    const wd = dests(w);
    const hd = dests(h);
    for (const dk of new Set([...wd.keys(), ...hd.keys()])) {
      const a = wd.get(dk);
      const b = hd.get(dk);
      if (!a || !b || !sameDestination(a, b)) diff.destinations.add(entryKey(key, dk));
    }
  }
  return diff;
}

export function tablesEqual(a: IpvsTable, b: IpvsTable): boolean {
  const d = diffTables(a, b);
  return d.services.size === 0 && d.destinations.size === 0;
}

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

/** The table as ipvsadm shows it, from the kernel emulation's table. */
export function fromKernel(kernel: KernelTable): IpvsTable {
  return {
    services: kernel.services.map((s) => {
      const persistent = s.flags & SVC_F_PERSISTENT ? s.timeout : undefined;
      const defaultMask = s.family === 4 ? 0xffffffff : 128;
      const netmask =
        persistent === undefined || s.netmask === defaultMask
          ? undefined
          : s.family === 4
            ? ipv4ToString(s.netmask)
            : String(s.netmask);
      const service: IpvsService = {
        protocol: s.protocol,
        family: s.family,
        address: s.address,
        port: s.port,
        fwmark: s.fwmark,
        scheduler: s.scheduler,
        ops: (s.flags & SVC_F_ONEPACKET) !== 0,
        destinations: s.destinations.map((d) => ({
          address: d.address,
          port: d.port,
          forward: d.forward,
          weight: d.weight,
          upperThreshold: d.upperThreshold,
          lowerThreshold: d.lowerThreshold,
        })),
      };
      if (persistent !== undefined) service.persistent = persistent;
      if (netmask !== undefined) service.netmask = netmask;
      const flags = schedFlagsText(s.scheduler, s.flags);
      if (flags !== undefined) service.schedflags = flags;
      return service;
    }),
  };
}

/** The kernel emulation's table holding this table (destinations in the listed order). */
export function toKernel(table: IpvsTable): KernelTable {
  return {
    services: table.services.map((s): KernelService => ({
      family: s.family,
      protocol: s.protocol,
      address: s.address,
      port: s.port,
      fwmark: s.fwmark,
      scheduler: s.scheduler,
      flags: serviceFlags(s),
      timeout: s.persistent ?? 0,
      netmask:
        s.family === 4
          ? s.netmask === undefined
            ? 0xffffffff
            : (parseIpv4Strict(s.netmask) ?? inetAton(s.netmask) ?? 0xffffffff)
          : s.netmask === undefined
            ? 128
            : Number(s.netmask),
      pe: '',
      destinations: s.destinations.map((d): KernelDestination => ({
        family: familyOf(d.address),
        address: d.address,
        port: d.port,
        forward: d.forward,
        weight: d.weight,
        upperThreshold: d.upperThreshold,
        lowerThreshold: d.lowerThreshold,
        tunnelType: 'ipip',
        tunnelPort: 0,
        tunnelChecksum: 'nocsum',
      })),
    })),
  };
}

export function emptyTable(): IpvsTable {
  return { services: [] };
}

export function cloneTable(t: IpvsTable): IpvsTable {
  return {
    services: t.services.map((s) => ({
      ...s,
      destinations: s.destinations.map((d) => ({ ...d })),
    })),
  };
}
