// OpenLDAP's slapd for tests: a private slapd.conf with an mdb database holding
// dc=example,dc=test and one user, a CA-signed certificate made at start, listening for
// ldap:// and ldaps:// on one address.
import { writeFileSync } from 'node:fs';
import { isIPv6 } from 'node:net';
import { join } from 'node:path';
import { runCommand } from '../../src/lib/run-command.ts';
import { Daemon, freePort, missingProgram, scratchDir, tcpAccepts } from './daemon.ts';
import { makeCertificates } from './tls-certificates.ts';

export const SLAPD = '/usr/sbin/slapd';
export const SUFFIX = 'dc=example,dc=test';
export const USER_DN = `cn=checker,${SUFFIX}`;
export const USER_PASSWORD = 's3cret-ldap';

export function slapdUnavailable(): string | undefined {
  return (
    missingProgram(SLAPD, 'slapd') ??
    missingProgram('/usr/sbin/slapadd', 'slapd') ??
    missingProgram('/usr/bin/openssl', 'openssl')
  );
}

export interface SlapdServer {
  /** ldap:// and ldaps:// ports on each address it listens on. */
  ports: Map<string, { ldap: number; ldaps: number }>;
  /** The CA that signed the ldaps certificate, to trust (a CA file, or SSL_CERT_FILE). */
  caFile: string;
  stop(): Promise<void>;
}

async function run(file: string, args: string[], cwd: string): Promise<void> {
  const result = await runCommand(file, args, { cwd, timeoutMs: 30_000 });
  if (result.code !== 0) {
    throw new Error(`${file} ${args.join(' ')} failed (${result.code}):\n${result.stderr}`);
  }
}

/** Starts slapd listening on every address given, each with its own two free ports. */
export async function startSlapd(hosts: string[]): Promise<SlapdServer> {
  const dir = scratchDir('slapd');
  const ports = new Map<string, { ldap: number; ldaps: number }>();
  for (const host of hosts)
    ports.set(host, { ldap: await freePort(host), ldaps: await freePort(host) });
  // A server certificate signed by a private CA; ldaps clients trust it through the CA file.
  const certificates = makeCertificates();
  const certFile = join(dir, 'server.crt');
  const keyFile = join(dir, 'server.key');
  writeFileSync(certFile, certificates.signed.cert);
  writeFileSync(keyFile, certificates.signed.key, { mode: 0o600 });
  const config = join(dir, 'slapd.conf');
  writeFileSync(
    config,
    [
      'include /etc/ldap/schema/core.schema',
      'include /etc/ldap/schema/cosine.schema',
      'include /etc/ldap/schema/inetorgperson.schema',
      `pidfile ${join(dir, 'slapd.pid')}`,
      `argsfile ${join(dir, 'slapd.args')}`,
      'modulepath /usr/lib/ldap',
      'moduleload back_mdb',
      `TLSCertificateFile ${certFile}`,
      `TLSCertificateKeyFile ${keyFile}`,
      'database mdb',
      'maxsize 10485760',
      `suffix "${SUFFIX}"`,
      `rootdn "cn=admin,${SUFFIX}"`,
      'rootpw admin-not-used',
      `directory ${dir}`,
      'access to attrs=userPassword by anonymous auth by * none',
      'access to * by * read',
      '',
    ].join('\n'),
  );
  writeFileSync(
    join(dir, 'data.ldif'),
    [
      `dn: ${SUFFIX}`,
      'objectClass: dcObject',
      'objectClass: organization',
      'dc: example',
      'o: Example',
      '',
      `dn: ${USER_DN}`,
      'objectClass: inetOrgPerson',
      'cn: checker',
      'sn: Checker',
      `userPassword: ${USER_PASSWORD}`,
      '',
    ].join('\n'),
  );
  await run('/usr/sbin/slapadd', ['-f', config, '-l', join(dir, 'data.ldif')], dir);
  const urls = [...ports].flatMap(([host, { ldap, ldaps }]) => {
    const bracketed = isIPv6(host) ? `[${host}]` : host;
    return [`ldap://${bracketed}:${ldap}/`, `ldaps://${bracketed}:${ldaps}/`];
  });
  const daemon = new Daemon('slapd', dir, SLAPD, ['-f', config, '-h', urls.join(' '), '-d', '0']);
  await daemon.waitUntil(async () => {
    for (const [host, { ldap, ldaps }] of ports) {
      if (!(await tcpAccepts(host, ldap)) || !(await tcpAccepts(host, ldaps))) return false;
    }
    return true;
  });
  return {
    ports,
    caFile: certificates.caFile,
    stop: async () => {
      await daemon.stop();
      certificates.remove();
    },
  };
}
