// FreeRADIUS for tests: a minimal private configuration (no copy of /etc/freeradius) with one
// client for 127.0.0.0/8 and ::1 sharing a known secret, a users file with one user (PAP),
// no reject delay, listening for authentication on the given addresses, logging to stdout.
import { writeFileSync } from 'node:fs';
import { isIPv6 } from 'node:net';
import { join } from 'node:path';
import { Daemon, freePort, missingProgram, scratchDir } from './daemon.ts';

export const FREERADIUS = '/usr/sbin/freeradius';
export const RADIUS_SECRET = 'testing-secret-123';
export const RADIUS_USER = 'checker';
export const RADIUS_PASSWORD = 's3cret-radius';

export function freeradiusUnavailable(): string | undefined {
  return missingProgram(FREERADIUS, 'freeradius');
}

export interface FreeradiusServer {
  /** The authentication port on each address. */
  ports: Map<string, number>;
  stop(): Promise<void>;
}

export async function startFreeradius(hosts: string[]): Promise<FreeradiusServer> {
  const dir = scratchDir('freeradius');
  const ports = new Map<string, number>();
  for (const host of hosts) ports.set(host, await freePort(host));
  const listens = [...ports].flatMap(([host, port]) => [
    '  listen {',
    '    type = auth',
    `    ${isIPv6(host) ? 'ipv6addr' : 'ipaddr'} = ${host}`,
    `    port = ${port}`,
    '  }',
  ]);
  writeFileSync(
    join(dir, 'radiusd.conf'),
    [
      'prefix = /usr',
      'exec_prefix = /usr',
      'sysconfdir = /etc',
      'localstatedir = /var',
      'sbindir = /usr/sbin',
      `logdir = ${dir}`,
      `raddbdir = ${dir}`,
      `confdir = ${dir}`,
      `run_dir = ${dir}`,
      `radacctdir = ${dir}`,
      'libdir = /usr/lib/freeradius',
      'name = freeradius',
      `pidfile = ${join(dir, 'radiusd.pid')}`,
      'max_request_time = 5',
      'cleanup_delay = 2',
      'max_requests = 1024',
      'hostname_lookups = no',
      'log {',
      '  destination = stdout',
      '  auth = yes',
      '}',
      'security {',
      '  allow_core_dumps = no',
      '  max_attributes = 200',
      '  reject_delay = 0',
      '  status_server = no',
      '}',
      'client loopback4 {',
      '  ipaddr = 127.0.0.0/8',
      `  secret = ${RADIUS_SECRET}`,
      '}',
      'client loopback6 {',
      '  ipv6addr = ::1',
      `  secret = ${RADIUS_SECRET}`,
      '}',
      'modules {',
      '  pap {',
      '  }',
      '  files {',
      `    filename = ${join(dir, 'users')}`,
      '  }',
      '}',
      'server default {',
      ...listens,
      '  authorize {',
      '    files',
      '    pap',
      '  }',
      '  authenticate {',
      '    Auth-Type PAP {',
      '      pap',
      '    }',
      '  }',
      '}',
      '',
    ].join('\n'),
  );
  writeFileSync(join(dir, 'users'), `${RADIUS_USER} Cleartext-Password := "${RADIUS_PASSWORD}"\n`);
  // FreeRADIUS reads an optional local dictionary from its configuration folder.
  writeFileSync(join(dir, 'dictionary'), '');
  const daemon = new Daemon('freeradius', dir, FREERADIUS, ['-f', '-d', dir, '-l', 'stdout']);
  await daemon.waitUntil(() => daemon.log.includes('Ready to process requests'));
  return { ports, stop: () => daemon.stop() };
}
