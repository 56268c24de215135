// `doctor --real-server`: what a real server behind an LVS director needs, by forwarding
// method. DR and TUN: the VIP on a device that never answers ARP (lo, a dummy or a tunnel)
// with a host mask, arp_ignore=1 and arp_announce=2 on `all` and on the device facing the
// director, and for TUN the tunnel device up with a reverse-path filter that lets decapsulated
// packets in. NAT: the default route through the director. Pure: facts in, findings out.
import {
  addressesOf,
  bootForms as unitForms,
  confName,
  defaultRoute,
  effectiveConf,
  hostPrefix,
  linkNamed,
  routeTo,
  strictRpFilterFindings,
  sysctlFinding,
  withPrefix,
} from './net.ts';
import { familyOf } from '../lib/inet.ts';
import type { Finding, Link, NetFacts, PersistentForm, RealServerOptions } from './types.ts';

export const REAL_SERVER_SYSCTL_FILE = '/etc/sysctl.d/90-lvs-real-server.conf';
export const REAL_SERVER_UNIT = '/etc/systemd/system/lvs-real-server.service';
const MODULES_FILE = '/etc/modules-load.d/lvs-real-server.conf';

/** The tunnel device IPVS's TUN method delivers to, and its module, by address family. */
const TUNNEL = {
  4: { device: 'tunl0', module: 'ipip' },
  6: { device: 'ip6tnl0', module: 'ip6_tunnel' },
} as const;

/** Where a VIP goes when doctor adds it: a tunnel for IPv4 TUN, lo otherwise. */
function vipDevice(vip: string, method: RealServerOptions['method']): string {
  return method === 'tun' && familyOf(vip) === 4 ? TUNNEL[4].device : 'lo';
}

/** A device that never answers ARP or neighbour solicitations for its addresses elsewhere. */
function holdsVipSafely(link: Link): boolean {
  return link.loopback || link.noarp || link.kind === 'dummy';
}

function bootForms(command: string[], device?: string): PersistentForm[] {
  return unitForms(REAL_SERVER_UNIT, command, device);
}

function addVipCommand(vip: string, device: string): string[] {
  return ['ip', 'addr', 'add', withPrefix(vip, hostPrefix(vip)), 'dev', device];
}

function vipFindings(net: NetFacts, vip: string, method: 'dr' | 'tun'): Finding[] {
  const findings: Finding[] = [];
  const target = vipDevice(vip, method);
  const add = addVipCommand(vip, target);
  const persistent = bootForms(['ip', 'addr', 'replace', ...add.slice(3)], target);
  const where = addressesOf(net, vip);
  const safe = where.filter((w) => holdsVipSafely(w.link));
  if (where.length === 0) {
    const targetLink = linkNamed(net, target);
    const wake = targetLink && !targetLink.up ? [['ip', 'link', 'set', target, 'up']] : [];
    findings.push({
      id: 'vip-missing',
      severity: 'error',
      subject: vip,
      what: `${vip} is not configured on this host`,
      why:
        method === 'dr'
          ? 'In DR mode the director forwards packets for the VIP unchanged; the kernel drops them unless the VIP is a local address.'
          : 'In TUN mode the decapsulated packets are addressed to the VIP; the kernel drops them unless it is a local address.',
      fix: [add, ...wake],
      persistent: [...persistent, ...wake.flatMap((c) => bootForms(c, target))],
    });
    return findings;
  }
  for (const { link, at } of where) {
    const text = withPrefix(vip, at.prefixlen);
    const remove = ['ip', 'addr', 'del', text, 'dev', link.name];
    if (!holdsVipSafely(link)) {
      findings.push({
        id: 'vip-on-arp-interface',
        severity: 'error',
        subject: `${vip} on ${link.name}`,
        what: `${text} is on ${link.name}, a device that answers ARP for it`,
        why: 'This host answers ARP requests for the VIP and takes the traffic meant for the director: clients reach this real server directly, or nothing at all.',
        fix: safe.length > 0 ? [remove] : [remove, add],
        persistent: safe.length > 0 ? [] : persistent,
      });
      continue;
    }
    if (at.prefixlen !== hostPrefix(vip)) {
      findings.push({
        id: 'vip-mask',
        severity: 'error',
        subject: `${vip} on ${link.name}`,
        what: `${text} on ${link.name} has a /${at.prefixlen} mask, not a host mask /${hostPrefix(vip)}`,
        why: `With a wider mask the whole prefix becomes local to ${link.name}: this host stops reaching the other addresses in it (the director and clients among them).`,
        fix: [remove, addVipCommand(vip, link.name)],
        persistent: bootForms(
          ['ip', 'addr', 'replace', withPrefix(vip, hostPrefix(vip)), 'dev', link.name],
          link.name,
        ),
      });
    }
    if (!link.up) {
      findings.push({
        id: 'link-down',
        severity: 'error',
        subject: link.name,
        what: `${link.name}, which holds the VIP ${vip}, is down`,
        why: 'Addresses on a device that is down are not local: packets for the VIP are dropped.',
        fix: [['ip', 'link', 'set', link.name, 'up']],
        persistent: bootForms(['ip', 'link', 'set', link.name, 'up'], link.name),
      });
    }
  }
  return findings;
}

/**
 * The device the director's packets arrive on: --interface, else the route to --director,
 * else the route to the VIP or the default route, skipping devices that hold VIPs.
 */
export function facingDevice(net: NetFacts, options: RealServerOptions): string | undefined {
  if (options.interface !== undefined) return options.interface;
  const usable = (dev: string | undefined): dev is string => {
    const link = dev === undefined ? undefined : linkNamed(net, dev);
    return link !== undefined && !holdsVipSafely(link);
  };
  const candidates = [
    ...(options.director !== undefined ? [routeTo(net, options.director)?.dev] : []),
    ...options.vips.filter((v) => familyOf(v) === 4).map((v) => routeTo(net, v)?.dev),
    defaultRoute(net, 4)?.dev,
  ];
  return candidates.find(usable);
}

const ARP_SETTINGS = [
  {
    key: 'arp_ignore',
    id: 'arp-ignore',
    want: 1,
    good: (v: number | undefined) => v === 1 || v === 2,
    why: 'With arp_ignore below 1 this host answers ARP requests for the VIP on any device and takes the traffic meant for the director.',
  },
  {
    key: 'arp_announce',
    id: 'arp-announce',
    want: 2,
    good: (v: number | undefined) => v === 2,
    why: "With arp_announce below 2 this host may send ARP requests with the VIP as source address, and the LAN's ARP caches then point the VIP at this host.",
  },
] as const;

function arpFindings(net: NetFacts, facing: string | undefined): Finding[] {
  const findings: Finding[] = [];
  for (const setting of ARP_SETTINGS) {
    const scopes = facing === undefined ? ['all'] : ['all', facing];
    const effective =
      facing === undefined
        ? net.sysctl[confName('all', setting.key)]
        : effectiveConf(net, facing, setting.key);
    for (const scope of scopes) {
      const name = confName(scope, setting.key);
      const have = net.sysctl[name];
      if (setting.good(have)) continue;
      const works = setting.good(effective);
      findings.push(
        sysctlFinding(REAL_SERVER_SYSCTL_FILE, name, have, setting.want, {
          id: setting.id,
          severity: works ? 'warning' : 'error',
          what: works
            ? `${name} is ${have ?? 'missing'}, should be ${setting.want} (the kernel uses the larger of all and ${facing}, which is right for now)`
            : undefined,
          why: works
            ? `Set it on both, so that changing either one alone cannot expose the VIP. ${setting.why}`
            : setting.why,
        }),
      );
    }
  }
  return findings;
}

function tunnelFindings(net: NetFacts, vips: readonly string[]): Finding[] {
  const findings: Finding[] = [];
  for (const family of [4, 6] as const) {
    if (!vips.some((v) => familyOf(v) === family)) continue;
    const { device, module } = TUNNEL[family];
    const link = linkNamed(net, device);
    const up = ['ip', 'link', 'set', device, 'up'];
    if (!link) {
      findings.push({
        id: 'tunnel-device-missing',
        severity: 'error',
        subject: device,
        what: `there is no ${device} device (module ${module} not loaded)`,
        why: `In TUN mode the director sends the packets IP-in-IP${family === 6 ? 'v6' : ''}; without ${device} this host cannot unwrap them.`,
        fix: [['modprobe', module], up],
        persistent: [
          { kind: 'modules-load.d', file: MODULES_FILE, lines: [module] },
          ...bootForms(up, device),
        ],
      });
      continue;
    }
    if (!link.up) {
      findings.push({
        id: 'link-down',
        severity: 'error',
        subject: device,
        what: `${device} is down`,
        why: 'The kernel only unwraps tunnelled packets on a tunnel device that is up.',
        fix: [up],
        persistent: bootForms(up, device),
      });
    }
    if (family === 4) {
      findings.push(
        ...strictRpFilterFindings(
          net,
          device,
          REAL_SERVER_SYSCTL_FILE,
          `Unwrapped packets arrive on ${device} from client addresses that route back through another device; strict reverse-path filtering drops them.`,
          'error',
        ),
      );
    }
  }
  return findings;
}

function natFindings(net: NetFacts, options: RealServerOptions): Finding[] {
  const findings: Finding[] = [];
  const families = [...new Set(options.vips.map(familyOf))];
  for (const family of families) {
    const route = defaultRoute(net, family);
    const director =
      options.director !== undefined && familyOf(options.director) === family
        ? options.director
        : undefined;
    const ipFamily = family === 6 ? ['-6'] : [];
    const command = director
      ? ['ip', ...ipFamily, 'route', 'replace', 'default', 'via', director]
      : undefined;
    const why =
      'In NAT mode the director rewrites replies on their way back; replies that leave through another gateway reach the client from the wrong address and are dropped.';
    const base = {
      severity: 'error' as const,
      subject: `IPv${family} default route`,
      why,
      fix: command ? [command] : [],
      persistent: command ? bootForms(command) : [],
      ...(command ? {} : { advice: 'Give the director with --director ADDR for the command.' }),
    };
    if (!route) {
      findings.push({
        ...base,
        id: 'nat-no-default-route',
        what: `there is no IPv${family} default route`,
      });
    } else if (director !== undefined && route.gateway !== director) {
      findings.push({
        ...base,
        id: 'nat-default-route',
        what: `the IPv${family} default route goes via ${route.gateway ?? `device ${route.dev}`}, not the director ${director}`,
      });
    } else if (director === undefined) {
      findings.push({
        id: 'nat-director-unknown',
        severity: 'info',
        subject: `IPv${family} default route`,
        what: `the IPv${family} default route goes via ${route.gateway ?? `device ${route.dev}`}; without --director doctor cannot tell whether that is the director`,
        why,
        fix: [],
        persistent: [],
      });
    }
  }
  return findings;
}

/** One finding per id and subject (two VIPs on a device that is down make one finding). */
function once(findings: Finding[]): Finding[] {
  const seen = new Set<string>();
  return findings.filter((f) => {
    const key = `${f.id}\0${f.subject ?? ''}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

export function checkRealServer(net: NetFacts, options: RealServerOptions): Finding[] {
  return once(realServerFindings(net, options));
}

function realServerFindings(net: NetFacts, options: RealServerOptions): Finding[] {
  if (options.method === 'nat') return natFindings(net, options);
  const findings: Finding[] = [];
  if (options.method === 'tun') findings.push(...tunnelFindings(net, options.vips));
  for (const vip of options.vips) findings.push(...vipFindings(net, vip, options.method));
  if (options.vips.some((v) => familyOf(v) === 4)) {
    const facing = facingDevice(net, options);
    if (facing === undefined) {
      findings.push({
        id: 'facing-device-unknown',
        severity: 'info',
        what: 'no route tells which device faces the director; only conf/all was checked',
        why: 'arp_ignore and arp_announce count on the device the ARP requests arrive on.',
        fix: [],
        persistent: [],
        advice:
          options.director === undefined
            ? 'Give it with --interface DEV, or --director ADDR.'
            : `No route reaches ${options.director}: give the device with --interface DEV.`,
      });
      findings.push(...arpFindings(net, undefined));
    } else if (!linkNamed(net, facing)) {
      findings.push({
        id: 'facing-device-missing',
        severity: 'error',
        subject: facing,
        what: `there is no device ${facing}`,
        why: 'arp_ignore and arp_announce are checked on the device facing the director.',
        fix: [],
        persistent: [],
        advice: 'Give an existing device with --interface.',
      });
      findings.push(...arpFindings(net, undefined));
    } else findings.push(...arpFindings(net, facing));
  }
  return findings;
}

/** What was looked at, for the head of the report. */
export function describeRealServer(net: NetFacts, options: RealServerOptions): string[] {
  const lines = [`method: ${options.method}; VIPs: ${options.vips.join(', ')}`];
  if (options.method === 'nat') {
    const gateways = [4, 6].map((f) => defaultRoute(net, f as 4 | 6)?.gateway).filter(Boolean);
    lines.push(
      `default gateway: ${gateways.join(', ') || 'none'}; director: ${options.director ?? 'not given'}`,
    );
  } else {
    lines.push(`device facing the director: ${facingDevice(net, options) ?? 'unknown'}`);
  }
  return lines;
}
