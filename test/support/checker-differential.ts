// Differential runs of one checker: the Perl original (in -d mode,
// docs/ldirectord-behavior.md §5.2) checks a list of cases against real test servers, and the first
// monitorfile line of each case is its verdict.
// Each case is its own virtual; the real's weight tells the cases apart in the monitorfile.
import { spawnSync } from 'node:child_process';
import { isIPv6 } from 'node:net';
import { type MonitorEntry, PerlLdirectord } from './perl-ldirectord.ts';

export interface PerlCase {
  /** Unique per case, 2..999. */
  weight: number;
  host: string;
  port: number;
  service: string;
  protocol: 'tcp' | 'udp';
  request?: string;
  receive?: string;
  login?: string;
  passwd?: string;
  database?: string;
  secret?: string;
}

/** Why a Perl module the original needs is missing, or undefined when it loads. */
export function perlModuleMissing(module: string, debianPackage: string): string | undefined {
  const run = spawnSync('perl', [`-M${module}`, '-e', '1'], { encoding: 'utf8', timeout: 10_000 });
  if (run.status === 0) return undefined;
  return `the Perl module ${module} is missing (Debian package ${debianPackage}), so the original cannot run this check`;
}

export function perlConfig(
  cases: PerlCase[],
  timeouts: { check: number; negotiate: number },
): string {
  const lines = [
    `checktimeout=${timeouts.check}`,
    `negotiatetimeout=${timeouts.negotiate}`,
    'checkinterval=1',
  ];
  cases.forEach((c, i) => {
    const v6 = isIPv6(c.host);
    lines.push(
      v6 ? `virtual6=[fd00::${i + 1}]:${1000 + i}` : `virtual=10.253.0.${i + 1}:${1000 + i}`,
      `\t${v6 ? 'real6' : 'real'}=${v6 ? `[${c.host}]` : c.host}:${c.port} masq ${c.weight}`,
      `\tservice=${c.service}`,
      `\tprotocol=${c.protocol}`,
      '\tchecktype=negotiate',
      '\tmonitorfile="{{DIR}}/monitor.log"',
    );
    for (const key of ['request', 'receive', 'login', 'passwd', 'database', 'secret'] as const) {
      if (c[key] !== undefined) lines.push(`\t${key}="${c[key]}"`);
    }
    lines.push('');
  });
  return lines.join('\n');
}

function weightOf(entry: MonitorEntry): number | undefined {
  const m = / (\d+) masq /.exec(entry.realIdText);
  return m ? Number(m[1]) : undefined;
}

/** Runs the original over the cases; the first monitorfile entry of each, by weight. */
export async function perlVerdicts(
  cases: PerlCase[],
  timeouts: { check: number; negotiate: number },
  env?: NodeJS.ProcessEnv,
): Promise<Map<number, MonitorEntry>> {
  const perl = PerlLdirectord.start({ config: perlConfig(cases, timeouts), env });
  try {
    const entries = await perl.waitForMonitor(
      '{{DIR}}/monitor.log',
      (all) => cases.every((c) => all.some((e) => weightOf(e) === c.weight)),
      60_000,
    );
    const verdicts = new Map<number, MonitorEntry>();
    for (const entry of entries) {
      const weight = weightOf(entry);
      if (weight !== undefined && !verdicts.has(weight)) verdicts.set(weight, entry);
    }
    return verdicts;
  } finally {
    await perl.stop();
  }
}
