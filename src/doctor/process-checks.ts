// The director's process side: the config reads without errors, a daemon runs for it (or a
// cluster manager starts it), its log file can be written, and the package's diversion and
// alternatives state when it is installed as a package. Pure: facts in, findings out.
import { formatDiagnostic } from '../model/diagnostics.ts';
import type { ClusterView } from './cluster.ts';
import type { DirectorFacts, Finding } from './types.ts';

/** Shown for the program in proposed commands; cli/doctor.ts runs itself for it. */
export const SELF = 'ldirectord-ts';

export function configFindings(facts: DirectorFacts): Finding[] {
  const errors = facts.config.diagnostics.filter((d) => d.severity === 'error');
  if (errors.length === 0) return [];
  return [
    {
      id: 'config-invalid',
      severity: 'error',
      subject: facts.config.file,
      what: `${facts.config.file} has ${errors.length} error${errors.length === 1 ? '' : 's'}:\n${errors.map((d) => `  ${formatDiagnostic(d).replace(/\n/g, '\n  ')}`).join('\n')}`,
      why: 'The daemon refuses to start (or to reload) with this file; the checks that need the config were skipped.',
      fix: [],
      advice: `ldirectord-ts check ${facts.config.file} explains each error.`,
      persistent: [],
    },
  ];
}

/**
 * `ldirectord-ts <config> <action>` with the config as the user gave it: the pid file is named
 * after that argument (§1.2), so the path found is used only where the daemon could not find it.
 */
function selfCommand(facts: DirectorFacts, action: string): string[] {
  const { argument, file } = facts.config;
  const config = facts.haDir !== undefined ? [file] : argument !== undefined ? [argument] : [];
  return [
    SELF,
    ...(facts.daemon.pidDir !== undefined ? ['--pid-dir', facts.daemon.pidDir] : []),
    ...config,
    action,
  ];
}

export function daemonFindings(facts: DirectorFacts, cluster: ClusterView): Finding[] {
  const { state, pidFile } = facts.daemon;
  if (state.kind === 'running') return [];
  const manager = cluster.ldirectordManager;
  if (manager !== undefined && state.kind === 'none') {
    return [
      {
        id: 'daemon-managed',
        severity: 'info',
        subject: pidFile,
        what: `no daemon runs for this config; ${manager} starts ldirectord on the node that holds the resources`,
        why: 'On a standby node that is as it should be.',
        fix: [],
        persistent: [],
      },
    ];
  }
  const start = selfCommand(facts, 'start');
  if (state.kind === 'stale') {
    return [
      {
        id: 'stale-pid-file',
        severity: 'warning',
        subject: pidFile,
        what: `${pidFile} names process ${state.pid}, which is not ldirectord: the daemon died without removing it`,
        why: 'status reports the daemon as dead (exit 1) and monitoring raises alarms; and nothing keeps the IPVS table.',
        fix: manager === undefined ? [['rm', '-f', pidFile], start] : [['rm', '-f', pidFile]],
        persistent: [],
      },
    ];
  }
  return [
    {
      id: 'daemon-not-running',
      severity: 'warning',
      subject: pidFile,
      what: `no daemon runs for ${facts.config.file} (no ${pidFile})`,
      why: 'Nobody health-checks the real servers: a real that fails keeps getting traffic.',
      fix: [start],
      advice: 'Under systemd: systemctl enable --now ldirectord-ts.',
      persistent: [],
    },
  ];
}

export function logfileFindings(facts: DirectorFacts): Finding[] {
  const log = facts.logfile;
  if (!log || log.writable) return [];
  return [
    {
      id: 'logfile-not-writable',
      severity: 'error',
      subject: log.path,
      what: `the log file ${log.path} cannot be written: ${log.reason ?? 'permission denied'}`,
      why: 'The daemon logs its changes to the IPVS table there; without it nobody can tell later why a real server went out.',
      fix: log.missingDir !== undefined ? [['mkdir', '-p', log.missingDir]] : [],
      ...(log.missingDir === undefined
        ? {
            advice:
              'Make it writable for root, or set logfile= to another path or a syslog facility.',
          }
        : {}),
      persistent: [],
    },
  ];
}

export function packagingFindings(facts: DirectorFacts): Finding[] {
  const { diversions, alternative } = facts.packaging;
  if (alternative === undefined && (diversions ?? []).length === 0) {
    return [
      {
        id: 'not-packaged',
        severity: 'info',
        what: 'not installed as a package (no dpkg diversion of ldirectord, no ldirectord alternative)',
        why: 'Nothing to check there.',
        fix: [],
        persistent: [],
      },
    ];
  }
  const findings: Finding[] = [];
  const lines = [
    ...(diversions ?? []),
    ...(alternative
      ? [
          `alternative ldirectord: ${alternative.link} -> ${alternative.value ?? '(none)'} (${alternative.status}; ${alternative.alternatives.join(', ')})`,
        ]
      : []),
  ];
  findings.push({
    id: 'package-state',
    severity: 'info',
    what: lines.join('\n'),
    why: 'Which program runs as ldirectord.',
    fix: [],
    persistent: [],
  });
  if (alternative?.value !== undefined && !alternative.valueExists) {
    findings.push({
      id: 'alternative-broken',
      severity: 'error',
      subject: alternative.link,
      what: `${alternative.link} points at ${alternative.value}, which does not exist`,
      why: 'heartbeat, Pacemaker and systemd start ldirectord through that link: starting it fails.',
      fix: [['update-alternatives', '--auto', 'ldirectord']],
      persistent: [],
    });
  }
  return findings;
}
