// The Perl original's verdict on negotiate checks, for differential tests: one virtual with
// the given service and reals, checked once a second; each real's first monitorfile line
// (up or down) is its verdict. The original can block on a misbehaving server
// (docs/ldirectord-behavior.md §4.4), so the run is bounded and always stopped.
import { PerlLdirectord } from './perl-ldirectord.ts';

export interface PerlReal {
  host: string;
  port: number;
}

export interface PerlNegotiateOptions {
  service: string;
  reals: PerlReal[];
  /** Virtual-section lines before `service=` (login, passwd, request, receive...). */
  lines?: string[];
  /** The virtual's protocol (sip over TCP). Default tcp. */
  protocol?: 'tcp' | 'udp';
  negotiatetimeout?: number;
  env?: NodeJS.ProcessEnv;
  timeoutMs?: number;
}

const key = (real: PerlReal): string => `${real.host} ${real.port}`;

/** Maps `host port` of each real to the original's first verdict. */
export async function perlNegotiate(
  options: PerlNegotiateOptions,
): Promise<Map<string, 'up' | 'down'>> {
  const config = [
    'checkinterval=1',
    `negotiatetimeout=${options.negotiatetimeout ?? 3}`,
    `checktimeout=${options.negotiatetimeout ?? 3}`,
    'virtual=127.0.2.250:1',
    ...options.reals.map((real) => `\treal=${real.host}:${real.port} masq`),
    ...(options.protocol ? [`\tprotocol=${options.protocol}`] : []),
    ...(options.lines ?? []).map((line) => `\t${line}`),
    `\tservice=${options.service}`,
    '\tchecktype=negotiate',
    '\tmonitorfile="{{DIR}}/monitor.log"',
    '',
  ].join('\n');
  const perl = PerlLdirectord.start({ config, env: options.env });
  const verdicts = new Map<string, 'up' | 'down'>();
  try {
    await perl.waitForMonitor(
      '{{DIR}}/monitor.log',
      (entries) => {
        for (const entry of entries) {
          // `negotiate <service> <protocol> <host> <port> ...`
          const [, , , host, port] = entry.realIdText.split(' ');
          const id = `${host} ${port}`;
          if (!verdicts.has(id)) verdicts.set(id, entry.status);
        }
        return options.reals.every((real) => verdicts.has(key(real)));
      },
      options.timeoutMs ?? 30_000,
    );
    return verdicts;
  } finally {
    await perl.stop({ timeoutMs: 3000 });
  }
}

export { key as perlRealKey };
