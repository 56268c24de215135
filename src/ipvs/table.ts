// Helpers over the IPVS table model: the keys of configured virtuals and of table entries, the
// port the kernel ends up with for a real, lookups, comparison and differences.
import type { Forward, Protocol, VirtualService } from '../config/model.ts';
import { familyOf } from '../lib/inet.ts';
import {
  destinationKey,
  type IpvsDestination,
  type IpvsService,
  type IpvsTable,
  serviceKey,
} from './model.ts';

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
