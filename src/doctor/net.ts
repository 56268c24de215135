// Pure helpers over the network facts of a namespace: sysctl names and effective values,
// addresses, route lookups, and the fixes both the director and the real-server checks give.
import { familyOf, inCidr } from '../lib/inet.ts';
import type { Address, Finding, Link, NetFacts, PersistentForm, Route } from './types.ts';

export const IFUPDOWN_FILE = '/etc/network/interfaces';

/** The sysctl name of a per-device IPv4 setting; dots in a device name become '/' (VLANs). */
export function confName(device: string, key: string): string {
  return `net.ipv4.conf.${device.replaceAll('.', '/')}.${key}`;
}

/**
 * The value the kernel uses for arp_ignore, arp_announce and rp_filter on a device: the larger
 * of conf/all and conf/<device> (Documentation/networking/ip-sysctl.rst).
 */
export function effectiveConf(net: NetFacts, device: string, key: string): number | undefined {
  const all = net.sysctl[confName('all', key)];
  const own = net.sysctl[confName(device, key)];
  if (all === undefined) return own;
  return own === undefined ? all : Math.max(all, own);
}

export function hostPrefix(address: string): number {
  return familyOf(address) === 4 ? 32 : 128;
}

/** Where an address is configured on this host. */
export function addressesOf(net: NetFacts, address: string): Array<{ link: Link; at: Address }> {
  const found: Array<{ link: Link; at: Address }> = [];
  for (const link of net.links) {
    for (const at of link.addresses) if (at.address === address) found.push({ link, at });
  }
  return found;
}

export function linkNamed(net: NetFacts, name: string): Link | undefined {
  return net.links.find((l) => l.name === name);
}

function prefixLength(route: Route): number {
  if (route.dst === 'default') return 0;
  const slash = route.dst.indexOf('/');
  return slash === -1 ? (route.family === 4 ? 32 : 128) : Number(route.dst.slice(slash + 1));
}

/** The main-table route the kernel would pick for an address (longest prefix), if any. */
export function routeTo(net: NetFacts, address: string): Route | undefined {
  const family = familyOf(address);
  let best: Route | undefined;
  for (const r of net.routes) {
    if (r.family !== family) continue;
    if (r.dst !== 'default' && !inCidr(address, r.dst)) continue;
    if (!best || prefixLength(r) > prefixLength(best)) best = r;
  }
  return best;
}

export function defaultRoute(net: NetFacts, family: 4 | 6): Route | undefined {
  return net.routes.find((r) => r.family === family && r.dst === 'default');
}

/** `sysctl -w name=value`. */
export function sysctlCommand(name: string, value: number): string[] {
  return ['sysctl', '-w', `${name}=${value}`];
}

/** A sysctl.d line; the file is given by the caller. */
export function sysctlForm(file: string, name: string, value: number): PersistentForm {
  return { kind: 'sysctl.d', file, lines: [`${name} = ${value}`] };
}

/**
 * A finding about one sysctl that should hold `want`: the command and the sysctl.d line.
 * `subject` is the sysctl name.
 */
export function sysctlFinding(
  file: string,
  name: string,
  have: number | undefined,
  want: number,
  finding: Pick<Finding, 'id' | 'severity' | 'why'> & { what?: string },
): Finding {
  return {
    id: finding.id,
    severity: finding.severity,
    subject: name,
    what: finding.what ?? `${name} is ${have ?? 'missing'}, should be ${want}`,
    why: finding.why,
    fix: [sysctlCommand(name, want)],
    persistent: [sysctlForm(file, name, want)],
  };
}

/**
 * rp_filter in strict mode (1) on a device: the findings that make it loose (2) on each of
 * conf/all and conf/<device> still at 1, since the kernel uses the larger of the two.
 */
export function strictRpFilterFindings(
  net: NetFacts,
  device: string,
  file: string,
  why: string,
  severity: Finding['severity'],
): Finding[] {
  if (effectiveConf(net, device, 'rp_filter') !== 1) return [];
  const findings: Finding[] = [];
  for (const scope of ['all', device]) {
    const name = confName(scope, 'rp_filter');
    if (net.sysctl[name] !== 1) continue;
    findings.push(
      sysctlFinding(file, name, 1, 2, {
        id: 'rp-filter',
        severity,
        what: `${name} is 1 (strict reverse-path filter on ${device})`,
        why,
      }),
    );
  }
  return findings;
}

/** `a.b.c.d/n` as ip prints it. */
export function withPrefix(address: string, prefixlen: number): string {
  return `${address}/${prefixlen}`;
}

/**
 * The boot-time forms of a command that changes the running system: one ExecStart= line of a
 * oneshot systemd unit, and an `up` line in the ifupdown stanza of `device`.
 */
export function bootForms(
  unitFile: string,
  command: readonly string[],
  device?: string,
): PersistentForm[] {
  const forms: PersistentForm[] = [{ kind: 'systemd', file: unitFile, lines: [command.join(' ')] }];
  if (device !== undefined) {
    forms.push({
      kind: 'ifupdown',
      file: IFUPDOWN_FILE,
      device,
      lines: [`up ${command.join(' ')}`],
    });
  }
  return forms;
}
