// What `ldirectord-ts doctor` works on and what it says. The checks (director.ts,
// real-server.ts) are pure functions from facts to findings; gather.ts is the only place that
// reads /proc, /sys or runs a program; report.ts prints. Nothing here sends traffic anywhere.
import type { Config } from '../config/model.ts';
import type { PidState } from '../daemon/pidfile.ts';
import type { IpvsTable } from '../ipvs/model.ts';
import type { Diagnostic } from '../model/diagnostics.ts';

/** error: traffic fails or will; warning: probably wrong, or cannot tell; info: said, not wrong. */
export type Severity = 'error' | 'warning' | 'info';

/** A file (or part of one) that keeps a fix across reboots; report.ts merges those of a file. */
export interface PersistentForm {
  kind: 'sysctl.d' | 'modules-load.d' | 'systemd' | 'ifupdown';
  file: string;
  /**
   * sysctl.d and modules-load.d: the lines of the file; systemd: the commands of its ExecStart=
   * lines; ifupdown: the `up`/`down` lines of the stanza of `device`.
   */
  lines: string[];
  /** ifupdown: the interface the stanza is for. */
  device?: string;
}

export interface Finding {
  /** Stable identifier, e.g. `arp-ignore`; with `subject` it names one finding. */
  id: string;
  severity: Severity;
  /** What it is about: a sysctl, an address, a device, a virtual service. */
  subject?: string;
  /** What is wrong, with the values seen. */
  what: string;
  /** Why it matters. */
  why: string;
  /** Commands that fix it now, each an argv run without a shell, in order. */
  fix: string[][];
  /** Where there is no command: what to do instead. */
  advice?: string;
  persistent: PersistentForm[];
}

export interface Address {
  family: 4 | 6;
  /** IPv6 canonical. */
  address: string;
  prefixlen: number;
}

/** A network device as `ip -d -j addr show` reports it. */
export interface Link {
  name: string;
  up: boolean;
  /** IFF_NOARP: never answers ARP (loopback, tunnels, `arp off`). */
  noarp: boolean;
  loopback: boolean;
  /** linkinfo kind: dummy, ipip, ip6tnl, veth...; undefined for plain devices. */
  kind?: string;
  addresses: Address[];
}

export interface Route {
  family: 4 | 6;
  /** `default`, or a prefix `a.b.c.d/n` (a bare address is a host route). */
  dst: string;
  gateway?: string;
  dev?: string;
}

/** The network state of one network namespace. */
export interface NetFacts {
  links: Link[];
  /** The main routing table, both families. */
  routes: Route[];
  /** /proc/sys values by sysctl name (`net.ipv4.conf.all.arp_ignore`); absent when missing. */
  sysctl: Record<string, number>;
}

export interface RealServerOptions {
  vips: string[];
  method: 'dr' | 'tun' | 'nat';
  /** --interface: the device facing the director, when the routes do not tell. */
  interface?: string;
  /** --director: the director's address (NAT: the default gateway). */
  director?: string;
}

export interface RealServerFacts {
  net: NetFacts;
}

export interface ModuleFacts {
  /** /proc/modules; undefined when the kernel has no module support (or /proc/modules is hidden). */
  loaded?: string[];
  /** /lib/modules/<release>/modules.builtin, as module names. */
  builtin: string[];
  /** Module names installed under /lib/modules/<release> (modules.dep). */
  installed: string[];
  /** /sys/module entries (loaded and built-in modules with parameters). */
  sysModule: string[];
}

export interface IpvsadmFacts {
  path?: string;
  /** `ipvsadm --version`'s line. */
  version?: string;
  /** Why it could not run. */
  error?: string;
}

export interface PackagingFacts {
  /** `dpkg-divert --list` lines about ldirectord; undefined when dpkg-divert is missing. */
  diversions?: string[];
  /** `update-alternatives --query ldirectord`; undefined when there is no such group. */
  alternative?: {
    link: string;
    status: string;
    value?: string;
    /** Whether `value` exists (a dangling alternative does not). */
    valueExists: boolean;
    alternatives: string[];
  };
}

export interface DirectorFacts {
  net: NetFacts;
  /** The first line of /proc/net/ip_vs; undefined when IPVS is not in the kernel. */
  ipVs?: string;
  modules: ModuleFacts;
  ipvsadm: IpvsadmFacts;
  /** The kernel's table; undefined when it could not be read (see tableError). */
  table?: IpvsTable;
  tableError?: string;
  /** `ipvsadm -L --timeout` as [tcp, tcpfin, udp]. */
  ipvsTimeouts?: [number, number, number];
  config: {
    /** The config argument as given (undefined: the default ldirectord.cf). */
    argument?: string;
    file: string;
    cfgname: string;
    config?: Config;
    diagnostics: Diagnostic[];
  };
  /** <ha-dir>/haresources, when present. */
  haresources?: string;
  /** Pacemaker's CIB (/var/lib/pacemaker/cib/cib.xml), when present. */
  cib?: string;
  daemon: { pidFile: string; state: PidState; pidDir?: string };
  /** The config's logfile when it is a path: whether root can write it. */
  logfile?: { path: string; writable: boolean; missingDir?: string; reason?: string };
  packaging: PackagingFacts;
  /** --ha-dir, passed on in the commands doctor proposes. */
  haDir?: string;
}

/** `doctor` cannot check at all: not root, no /proc. Exit status 2. */
export class CannotCheckError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CannotCheckError';
  }
}
