// `doctor [configfile]` on a director: for the config it reads, what this host needs. The
// network side is here (forwarding for NAT reals, the VIPs, rp_filter); ipvs-checks.ts and
// process-checks.ts hold the rest. Pure: facts in, findings out, in the order a fix runs.
import type { VirtualService } from '../config/model.ts';
import { clusterView } from './cluster.ts';
import { CONNTRACK_ESTABLISHED, ipvsFindings } from './ipvs-checks.ts';
import {
  addressesOf,
  bootForms,
  defaultRoute,
  hostPrefix,
  linkNamed,
  routeTo,
  strictRpFilterFindings,
  sysctlFinding,
  withPrefix,
} from './net.ts';
import {
  configFindings,
  daemonFindings,
  logfileFindings,
  packagingFindings,
} from './process-checks.ts';
import type { DirectorFacts, Finding } from './types.ts';

export const DIRECTOR_SYSCTL_FILE = '/etc/sysctl.d/90-ldirectord-ts.conf';
export const DIRECTOR_VIP_UNIT = '/etc/systemd/system/ldirectord-ts-vips.service';

/** Does any real (or the fallback) of the virtual use NAT (masq)? */
function usesNat(v: VirtualService): boolean {
  return v.reals.some((r) => r.forward === 'masq') || v.fallback?.forward === 'masq';
}

function forwardingFindings(facts: DirectorFacts): Finding[] {
  const virtuals = facts.config.config?.virtuals ?? [];
  const findings: Finding[] = [];
  const settings = [
    { family: 4, name: 'net.ipv4.ip_forward', id: 'ip-forward' },
    { family: 6, name: 'net.ipv6.conf.all.forwarding', id: 'ipv6-forwarding' },
  ] as const;
  for (const { family, name, id } of settings) {
    const nat = virtuals.filter((v) => v.family === family && usesNat(v));
    const have = facts.net.sysctl[name];
    if (nat.length === 0 || have === 1) continue;
    findings.push(
      sysctlFinding(DIRECTOR_SYSCTL_FILE, name, have, 1, {
        id,
        severity: 'error',
        what: `${name} is ${have ?? 'missing'}, but ${nat.map((v) => v.written).join(', ')} forward${nat.length === 1 ? 's' : ''} to real servers by NAT (masq)`,
        why:
          'The replies of NAT real servers come back through the director, which must route them to the clients; with forwarding off it drops them.' +
          (family === 6
            ? ' (Forwarding also turns off router advertisements unless accept_ra=2.)'
            : ''),
      }),
    );
  }
  return findings;
}

/** The device a VIP belongs on: the one whose connected route covers it, else the default's. */
function vipDeviceFor(facts: DirectorFacts, vip: string): string | undefined {
  const route = routeTo(facts.net, vip);
  const usable = (dev: string | undefined) => {
    const link = dev === undefined ? undefined : linkNamed(facts.net, dev);
    return link !== undefined && !link.loopback ? dev : undefined;
  };
  return usable(route?.dev) ?? usable(defaultRoute(facts.net, vip.includes(':') ? 6 : 4)?.dev);
}

function vipFindings(facts: DirectorFacts): Finding[] {
  const cluster = clusterView(facts.haresources, facts.cib);
  const findings: Finding[] = [];
  const vips = [
    ...new Set(
      (facts.config.config?.virtuals ?? [])
        .filter((v) => v.protocol !== 'fwm')
        .map((v) => v.address),
    ),
  ];
  for (const vip of vips) {
    const where = addressesOf(facts.net, vip);
    if (where.length > 0) {
      for (const { link } of where) {
        if (link.loopback || vip.includes(':')) continue;
        const back = defaultRoute(facts.net, 4);
        if (back?.dev === undefined || back.dev === link.name) continue;
        findings.push(
          ...strictRpFilterFindings(
            facts.net,
            link.name,
            DIRECTOR_SYSCTL_FILE,
            `Clients reach ${vip} on ${link.name} but the route back to them leaves through ${back.dev}; strict reverse-path filtering drops their packets.`,
            'error',
          ),
        );
      }
      continue;
    }
    const manager = cluster.managerOf(vip);
    if (manager !== undefined) {
      findings.push({
        id: 'vip-managed',
        severity: 'info',
        subject: vip,
        what: `${vip} is not on this host; ${manager} brings it up on the active node`,
        why: 'On a standby node that is as it should be.',
        fix: [],
        persistent: [],
      });
      continue;
    }
    const device = vipDeviceFor(facts, vip);
    const add =
      device === undefined
        ? undefined
        : ['ip', 'addr', 'add', withPrefix(vip, hostPrefix(vip)), 'dev', device];
    findings.push({
      id: 'vip-missing',
      severity: cluster.present ? 'warning' : 'error',
      subject: vip,
      what: cluster.present
        ? `${vip} is not on this host, and the cluster configuration here does not name it: cannot tell who brings it up`
        : `${vip} is not on this host, and no cluster manager (haresources, Pacemaker) is configured to bring it up`,
      why: 'Clients send to the VIP; unless the director holds it, no packet for the virtual service reaches IPVS.',
      fix: add ? [add] : [],
      ...(add ? {} : { advice: 'No route says which device the VIP belongs on.' }),
      persistent: add
        ? bootForms(DIRECTOR_VIP_UNIT, ['ip', 'addr', 'replace', ...add.slice(3)], device)
        : [],
    });
  }
  return findings;
}

export interface DirectorOptions {
  /** --ipvsadm or LDIRECTORD_IPVSADM was given: do not propose installing the package. */
  explicitIpvsadm: boolean;
}

export function checkDirector(facts: DirectorFacts, options: DirectorOptions): Finding[] {
  const cluster = clusterView(facts.haresources, facts.cib);
  return [
    ...configFindings(facts),
    ...ipvsFindings(facts, options.explicitIpvsadm),
    ...forwardingFindings(facts),
    ...vipFindings(facts),
    ...logfileFindings(facts),
    ...daemonFindings(facts, cluster),
    ...packagingFindings(facts),
  ];
}

/** What was looked at, for the head of the report. */
export function describeDirector(facts: DirectorFacts): string[] {
  const config = facts.config.config;
  const reals = config?.virtuals.reduce((n, v) => n + v.reals.length, 0) ?? 0;
  const { state, pidFile } = facts.daemon;
  const timeouts = facts.ipvsTimeouts;
  const established = facts.net.sysctl[CONNTRACK_ESTABLISHED];
  return [
    `config: ${facts.config.file}${config ? ` (${config.virtuals.length} virtual services, ${reals} real servers)` : ' (has errors)'}`,
    `IPVS: ${facts.ipVs ?? 'not in this kernel'}`,
    `ipvsadm: ${facts.ipvsadm.path === undefined ? 'not found' : `${facts.ipvsadm.path} (${facts.ipvsadm.version ?? facts.ipvsadm.error ?? 'not run: no IPVS'})`}`,
    `table: ${facts.table ? `${facts.table.services.length} virtual services` : (facts.tableError ?? 'not read')}`,
    `timeouts: ${timeouts ? `IPVS tcp ${timeouts[0]} tcpfin ${timeouts[1]} udp ${timeouts[2]}` : 'IPVS not read'}; ${established === undefined ? 'conntrack not loaded' : `conntrack established ${established}`}`,
    `daemon: ${state.kind === 'running' ? `running, pid ${state.pid}` : state.kind === 'stale' ? `not running (stale pid ${state.pid})` : 'not running'} (${pidFile})`,
  ];
}
