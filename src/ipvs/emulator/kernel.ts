// An emulation of the kernel's IPVS table (net/netfilter/ipvs/ip_vs_ctl.c of Linux 6.1): the
// services and destinations it holds and the errors it returns for each request. The fake
// ipvsadm and the dry-run backend both run on it, so proving the fake against the real kernel
// proves the dry run too; fromKernel and toKernel convert between its table and the model's.
// Pure: no I/O.
import type { Family, Protocol } from '../../config/model.ts';
import {
  familyOf,
  inCidr,
  inetAton,
  ipv4ToString,
  parseIpv4Strict,
  parseIpv6,
} from '../../lib/inet.ts';
import {
  destinationKey,
  type IpvsDestination,
  type IpvsService,
  type IpvsTable,
  SVC_F_ONEPACKET,
  SVC_F_PERSISTENT,
  schedFlagsText,
  serviceFlags,
  serviceKey,
} from '../model.ts';

export type TunnelType = 'ipip' | 'gue' | 'gre';
export type TunnelChecksum = 'nocsum' | 'csum' | 'remcsum';

/** A destination as the kernel holds it: the model's, with its family and tunnel settings. */
export interface KernelDestination extends IpvsDestination {
  family: Family;
  tunnelType: TunnelType;
  tunnelPort: number;
  tunnelChecksum: TunnelChecksum;
}

export interface KernelService {
  family: Family;
  /** 'fwm' for a firewall-mark service (the kernel stores TCP there; nobody looks). */
  protocol: Protocol;
  address: string;
  port: number;
  fwmark: number;
  scheduler: string;
  flags: number;
  /** Persistence timeout in seconds. */
  timeout: number;
  /** IPv4: the mask as a host-order 32-bit number; IPv6: a prefix length. */
  netmask: number;
  /** Persistence engine name, '' when none. */
  pe: string;
  /** In the order they were added; the kernel lists the newest first. */
  destinations: KernelDestination[];
}

/** The serialisable table: services in the order they were added. */
export interface KernelTable {
  services: KernelService[];
}

/** What ipvsadm sends for a service (also the lookup key for every other command). */
export type ServiceRequest = Omit<KernelService, 'destinations'>;
export type DestinationRequest = KernelDestination;

export type Errno =
  | 'EEXIST'
  | 'ENOENT'
  | 'ESRCH'
  | 'EINVAL'
  | 'ERANGE'
  | 'ENOMEM'
  | 'EPERM'
  | 'ENOPROTOOPT'
  | 'EAFNOSUPPORT';

export interface KernelOptions {
  /** Scheduler modules the kernel can load. Default: those of a Debian 6.1 kernel. */
  schedulers?: readonly string[];
  /** Persistence engines. Default: sip. */
  persistenceEngines?: readonly string[];
  /**
   * Addresses (CIDR) for which the kernel turns any forwarding method into Local. Linux 6.1
   * does not do this any more (removed in 2.6.37-era kernels), so the default is none; set it to
   * emulate an old kernel, e.g. ['127.0.0.0/8', '::1'].
   */
  localAddresses?: readonly string[];
}

export const DEFAULT_SCHEDULERS = [
  'rr',
  'wrr',
  'lc',
  'wlc',
  'lblc',
  'lblcr',
  'dh',
  'sh',
  'sed',
  'nq',
  'fo',
  'ovf',
  'mh',
] as const;

interface IndexedService {
  service: KernelService;
  /** Destination key -> destination; Map order is the order they were added. */
  destinations: Map<string, KernelDestination>;
}

/** The kernel's table with the operations ipvsadm asks for; each returns 0 or an errno. */
export class IpvsKernel {
  readonly #services = new Map<string, IndexedService>();
  readonly #schedulers: ReadonlySet<string>;
  readonly #engines: ReadonlySet<string>;
  readonly #local: readonly string[];

  constructor(table: KernelTable = { services: [] }, options: KernelOptions = {}) {
    this.#schedulers = new Set(options.schedulers ?? DEFAULT_SCHEDULERS);
    this.#engines = new Set(options.persistenceEngines ?? ['sip']);
    this.#local = options.localAddresses ?? [];
    for (const s of table.services) {
      const destinations = new Map<string, KernelDestination>();
      for (const d of s.destinations) destinations.set(destinationKey(d), { ...d });
      this.#services.set(serviceKey(s), { service: { ...s, destinations: [] }, destinations });
    }
  }

  /** A copy of the table, services and destinations in the order they were added. */
  snapshot(): KernelTable {
    return {
      services: [...this.#services.values()].map(({ service, destinations }) => ({
        ...service,
        destinations: [...destinations.values()].map((d) => ({ ...d })),
      })),
    };
  }

  /** Services in the order the kernel dumps them (we use the order they were added). */
  listServices(): KernelService[] {
    return [...this.#services.values()].map(({ service, destinations }) => ({
      ...service,
      destinations: [...destinations.values()],
    }));
  }

  findService(request: ServiceRequest): KernelService | undefined {
    const found = this.#services.get(serviceKey(request));
    return found && { ...found.service, destinations: [...found.destinations.values()] };
  }

  addService(u: ServiceRequest): Errno | 0 {
    if (this.#services.has(serviceKey(u))) return 'EEXIST';
    const invalid = this.#checkService(u);
    if (invalid) return invalid;
    this.#services.set(serviceKey(u), {
      service: { ...u, destinations: [] },
      destinations: new Map(),
    });
    return 0;
  }

  editService(u: ServiceRequest): Errno | 0 {
    const found = this.#services.get(serviceKey(u));
    if (!found) return 'ESRCH';
    const invalid = this.#checkService(u);
    if (invalid) return invalid;
    const s = found.service;
    s.scheduler = u.scheduler;
    s.flags = u.flags;
    s.timeout = u.timeout;
    s.netmask = u.netmask;
    s.pe = u.pe;
    return 0;
  }

  deleteService(u: ServiceRequest): Errno | 0 {
    return this.#services.delete(serviceKey(u)) ? 0 : 'ESRCH';
  }

  flush(): 0 {
    this.#services.clear();
    return 0;
  }

  zero(u: ServiceRequest | undefined): Errno | 0 {
    if (u && !this.#services.has(serviceKey(u))) return 'ESRCH';
    return 0;
  }

  addDestination(u: ServiceRequest, d: DestinationRequest): Errno | 0 {
    const found = this.#services.get(serviceKey(u));
    if (!found) return 'ESRCH';
    const invalid = this.#checkDestination(found.service, d);
    if (invalid) return invalid;
    const key = destinationKey(d);
    if (found.destinations.has(key)) return 'EEXIST';
    if (!validDestinationAddress(d)) return 'EINVAL';
    found.destinations.set(key, this.#stored(d));
    return 0;
  }

  editDestination(u: ServiceRequest, d: DestinationRequest): Errno | 0 {
    const found = this.#services.get(serviceKey(u));
    if (!found) return 'ESRCH';
    const invalid = this.#checkDestination(found.service, d);
    if (invalid) return invalid;
    const key = destinationKey(d);
    if (!found.destinations.has(key)) return 'ENOENT';
    found.destinations.set(key, this.#stored(d));
    return 0;
  }

  deleteDestination(u: ServiceRequest, d: { family: Family; address: string; port: number }) {
    const found = this.#services.get(serviceKey(u));
    if (!found) return 'ESRCH';
    return found.destinations.delete(destinationKey(d)) ? 0 : 'ENOENT';
  }

  #checkService(u: ServiceRequest): Errno | undefined {
    if (u.scheduler !== 'none' && !this.#schedulers.has(u.scheduler)) return 'ENOENT';
    if (u.pe !== '' && !this.#engines.has(u.pe)) return 'ENOENT';
    if (u.family === 6 && (u.netmask < 1 || u.netmask > 128)) return 'EINVAL';
    return undefined;
  }

  // The checks of ip_vs_genl_set_cmd and ip_vs_add_dest/ip_vs_edit_dest, in their order.
  #checkDestination(s: KernelService, d: DestinationRequest): Errno | undefined {
    if (d.family !== s.family && d.forward !== 'ipip') return 'EINVAL';
    if (d.weight < 0) return 'ERANGE';
    if (d.lowerThreshold > d.upperThreshold) return 'ERANGE';
    if (d.forward === 'ipip' && d.tunnelType === 'gue' && d.tunnelPort === 0) return 'EINVAL';
    return undefined;
  }

  #stored(d: DestinationRequest): KernelDestination {
    const local = this.#local.some((cidr) => inCidr(d.address, cidr));
    return { ...d, forward: local ? 'local' : d.forward };
  }
}

/** inet_addr_type/ipv6_addr_type: only unicast (or local) addresses can be destinations. */
function validDestinationAddress(d: { family: Family; address: string }): boolean {
  if (d.family === 4) {
    const v = parseIpv4Strict(d.address);
    if (v === undefined) return false;
    const first = v >>> 24;
    if (first === 0 || v === 0xffffffff) return false; // zeronet and limited broadcast
    if (first >= 224 && first <= 239) return false; // multicast
    return true;
  }
  const w = parseIpv6(d.address);
  if (!w) return false;
  if (w.every((x) => x === 0)) return false; // unspecified
  if (w[0]! >> 8 === 0xff) return false; // multicast
  if ((w[0]! & 0xffc0) === 0xfe80) return false; // link-local
  if (w.slice(0, 5).every((x) => x === 0) && w[5] === 0xffff) return false; // v4-mapped
  return true;
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
