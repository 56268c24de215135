// The director's IPVS checks: the kernel's IPVS and the scheduler modules the config names,
// ipvsadm, the connection timeouts against conntrack's, and the table as it is against the
// table the planner makes of it (what the daemon would change). Pure: facts in, findings out.
import type { RealServer, VirtualService } from '../config/model.ts';
import type { IpvsTable } from '../ipvs/model.ts';
import { planIpvs } from '../ipvs/plan.ts';
import { findReal, ipvsServiceKey, virtualKey } from '../ipvs/table.ts';
import { bootForms } from './net.ts';
import type { DirectorFacts, Finding, ModuleFacts } from './types.ts';

export const DIRECTOR_MODULES_FILE = '/etc/modules-load.d/ldirectord-ts.conf';
export const TIMEOUTS_UNIT = '/etc/systemd/system/ipvs-timeouts.service';
export const CONNTRACK_ESTABLISHED = 'net.netfilter.nf_conntrack_tcp_timeout_established';

/** `Timeout (tcp tcpfin udp): 900 120 300` -> [900, 120, 300]. */
export function parseTimeouts(text: string): [number, number, number] | undefined {
  const m = /^Timeout \(tcp tcpfin udp\): (\d+) (\d+) (\d+)\s*$/m.exec(text);
  return m ? [Number(m[1]), Number(m[2]), Number(m[3])] : undefined;
}

type ModuleState = 'present' | 'installed' | 'absent' | 'unknown';

function moduleState(modules: ModuleFacts, name: string): ModuleState {
  if (modules.loaded?.includes(name) || modules.sysModule.includes(name)) return 'present';
  if (modules.builtin.includes(name)) return 'present';
  if (modules.installed.includes(name)) return 'installed';
  // Without /proc/modules and a module tree the kernel may have it built in: cannot tell.
  return modules.loaded === undefined && modules.builtin.length === 0 ? 'unknown' : 'absent';
}

function moduleForm(module: string): Finding['persistent'] {
  return [{ kind: 'modules-load.d', file: DIRECTOR_MODULES_FILE, lines: [module] }];
}

/** Scheduler modules depend on ip_vs (loading one loads it), so they are checked either way. */
function schedulerFindings(facts: DirectorFacts): Finding[] {
  const findings: Finding[] = [];
  const schedulers = new Set((facts.config.config?.virtuals ?? []).map((v) => v.scheduler));
  for (const scheduler of schedulers) {
    const module = `ip_vs_${scheduler}`;
    const state = moduleState(facts.modules, module);
    if (state === 'present' || state === 'unknown') continue;
    const users = (facts.config.config?.virtuals ?? [])
      .filter((v) => v.scheduler === scheduler)
      .map((v) => v.written);
    if (state === 'installed') {
      findings.push({
        id: 'scheduler-module-not-loaded',
        severity: 'warning',
        subject: module,
        what: `scheduler ${scheduler} (${users.join(', ')}) needs module ${module}, which is not loaded`,
        why: 'The kernel loads it when ipvsadm first asks for the scheduler, if it can run modprobe; in a container or chroot it cannot, and adding the virtual service fails.',
        fix: [['modprobe', module]],
        persistent: moduleForm(module),
      });
    } else {
      findings.push({
        id: 'scheduler-unavailable',
        severity: 'error',
        subject: module,
        what: `scheduler ${scheduler} (${users.join(', ')}) needs module ${module}, which this kernel does not have`,
        why: 'ipvsadm cannot add a virtual service with a scheduler the kernel lacks.',
        fix: [],
        advice: 'Choose a scheduler this kernel has (scheduler=), or use a kernel with this one.',
        persistent: [],
      });
    }
  }
  return findings;
}

export function ipvsFindings(facts: DirectorFacts, explicitIpvsadm: boolean): Finding[] {
  const findings: Finding[] = [];
  if (facts.ipVs === undefined) {
    const installed = moduleState(facts.modules, 'ip_vs') === 'installed';
    findings.push({
      id: 'ip-vs-missing',
      severity: 'error',
      what: 'the kernel has no IPVS: /proc/net/ip_vs is missing',
      why: 'Without IPVS every ipvsadm command fails and no virtual service exists: the director forwards nothing.',
      fix: installed ? [['modprobe', 'ip_vs']] : [],
      ...(installed
        ? {}
        : {
            advice:
              'The ip_vs module is not installed for this kernel: boot a kernel with IPVS (CONFIG_IP_VS), or load it on the host when this is a container.',
          }),
      persistent: installed ? moduleForm('ip_vs') : [],
    });
  }
  findings.push(...schedulerFindings(facts));
  if (facts.ipvsadm.path === undefined || facts.ipvsadm.error !== undefined) {
    findings.push({
      id: 'ipvsadm-missing',
      severity: 'error',
      subject: facts.ipvsadm.path,
      what:
        facts.ipvsadm.path === undefined
          ? 'ipvsadm is not installed (not in /sbin or /usr/sbin)'
          : `cannot run ${facts.ipvsadm.path}: ${facts.ipvsadm.error}`,
      why: 'ldirectord-ts changes the IPVS table only through ipvsadm.',
      // Installing a package downloads it: said, never run by --fix.
      fix: [],
      advice: explicitIpvsadm
        ? 'Give the right path with --ipvsadm or LDIRECTORD_IPVSADM.'
        : 'Install it: apt-get install ipvsadm.',
      persistent: [],
    });
  }
  findings.push(...timeoutFindings(facts));
  findings.push(...tableFindings(facts));
  return findings;
}

function timeoutFindings(facts: DirectorFacts): Finding[] {
  const established = facts.net.sysctl[CONNTRACK_ESTABLISHED];
  const timeouts = facts.ipvsTimeouts;
  if (timeouts === undefined || established === undefined || facts.ipvsadm.path === undefined) {
    return [];
  }
  const [tcp, tcpfin, udp] = timeouts;
  if (tcp <= established) return [];
  const command = ['ipvsadm', '--set', String(established), String(tcpfin), String(udp)];
  return [
    {
      id: 'ipvs-tcp-timeout',
      severity: 'warning',
      subject: 'tcp timeout',
      what: `IPVS keeps idle TCP connections ${tcp} s, conntrack only ${established} s (${CONNTRACK_ESTABLISHED})`,
      why: 'Once conntrack forgets an idle connection that IPVS still forwards, firewall rules and NAT see its next packet as invalid and drop it: long-lived idle connections hang.',
      fix: [[facts.ipvsadm.path, ...command.slice(1)]],
      advice: `Or raise ${CONNTRACK_ESTABLISHED} to ${tcp}. ipvsadm --set does not survive a reboot: the unit below sets it at boot.`,
      persistent: bootForms(TIMEOUTS_UNIT, ['modprobe', 'ip_vs']).concat(
        bootForms(TIMEOUTS_UNIT, command),
      ),
    },
  ];
}

/**
 * Whether the daemon counts a real as up when it starts over this table (as the monitor does:
 * present with a weight is up); checktype=on reals are always up, checktype=off ones never.
 */
function upInTable(table: IpvsTable): (v: VirtualService, r: RealServer) => boolean {
  return (v, r) => {
    if (v.checktype === 'on') return true;
    if (v.checktype === 'off') return false;
    return (findReal(table, v, r)?.weight ?? 0) > 0;
  };
}

function tableFindings(facts: DirectorFacts): Finding[] {
  const config = facts.config.config;
  const table = facts.table;
  if (!config || !table || facts.ipvsadm.path === undefined) return [];
  const findings: Finding[] = [];
  const plan = planIpvs({
    config,
    actual: table,
    isUp: upInTable(table),
    scope: { kind: 'start' },
  });
  if (plan.commands.length > 0) {
    const running = facts.daemon.state.kind === 'running';
    const ipvsadm = facts.ipvsadm.path;
    findings.push({
      id: 'table-differs',
      severity: running ? 'error' : 'info',
      subject: 'IPVS table',
      what: `the IPVS table differs from what ldirectord-ts keeps for ${facts.config.file}, with the real servers up or down as the table has them:\n${plan.commands.map((c) => `  ${c.message}`).join('\n')}`,
      why: running
        ? 'Someone or something else changed the table under the running daemon; it acts only on health changes and reloads, so the difference stays.'
        : 'The daemon is not running; starting it makes these changes.',
      fix: running ? plan.commands.map((c) => [ipvsadm, ...c.args]) : [],
      ...(running ? { advice: 'Or: ldirectord-ts <config> reload.' } : {}),
      persistent: [],
    });
  }
  const managed = new Set(config.virtuals.map(virtualKey));
  const foreign = table.services.filter((s) => !managed.has(ipvsServiceKey(s)));
  if (foreign.length > 0) {
    findings.push({
      id: 'table-foreign-services',
      severity: 'info',
      subject: 'IPVS table',
      what: `the kernel has ${foreign.length} virtual service${foreign.length === 1 ? '' : 's'} this config does not name (${foreign.map((s) => (s.protocol === 'fwm' ? `fwm ${s.fwmark}` : `${s.protocol} ${s.address}:${s.port}`)).join(', ')})`,
      why: 'ldirectord-ts leaves them alone; another config or program manages them.',
      fix: [],
      persistent: [],
    });
  }
  return findings;
}
