// Dovecot (Debian dovecot-pop3d and dovecot-imapd) as a private POP3 and IMAP server: its own
// config, base_dir, state and mail folders under dir, a passwd-file with one test user, and
// pop3, pop3s, imap, imaps listeners on host (and on ::1 when ipv6 is set), TLS with the given
// certificate. Run in the foreground (-F) as root.
import { chmodSync, chownSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Daemon } from './daemon.ts';
import { freePort } from './listeners.ts';
import type { TestCertificates } from './tls-certificates.ts';

export const DOVECOT = '/usr/sbin/dovecot';
export const DOVECOT_USER = 'tester';
export const DOVECOT_PASSWORD = 'secret "quoted" \\ pass';

export interface DovecotServer {
  host: string;
  pop3Port: number;
  pop3sPort: number;
  imapPort: number;
  imapsPort: number;
  daemon: Daemon;
}

/** nobody: owns the test user's mail folder. */
const MAIL_UID = 65534;

export async function startDovecot(
  dir: string,
  host: string,
  certificate: TestCertificates['signedFiles'],
  options: { ipv6?: boolean; imapPort?: number; imapsPort?: number } = {},
): Promise<DovecotServer> {
  const [pop3Port, pop3sPort, imapPort, imapsPort] = [
    await freePort(host),
    await freePort(host),
    options.imapPort ?? (await freePort(host)),
    options.imapsPort ?? (await freePort(host)),
  ];
  // Dovecot's unprivileged processes must reach base_dir and the mail folder.
  chmodSync(dir, 0o755);
  const home = join(dir, 'home');
  mkdirSync(join(home, DOVECOT_USER), { recursive: true });
  chownSync(join(home, DOVECOT_USER), MAIL_UID, MAIL_UID);
  writeFileSync(join(dir, 'passwd'), `${DOVECOT_USER}:{PLAIN}${DOVECOT_PASSWORD}::::::\n`);
  const config = join(dir, 'dovecot.conf');
  const listener = (name: string, port: number, ssl: boolean): string =>
    `  inet_listener ${name} {\n    port = ${port}\n    ssl = ${ssl ? 'yes' : 'no'}\n  }`;
  writeFileSync(
    config,
    [
      'protocols = imap pop3',
      `listen = ${host}${options.ipv6 ? ', ::1' : ''}`,
      `base_dir = ${dir}/run`,
      `state_dir = ${dir}/state`,
      `instance_name = ldts-${host}`,
      `log_path = ${dir}/dovecot.log`,
      'ssl = yes',
      `ssl_cert = <${certificate.cert}`,
      `ssl_key = <${certificate.key}`,
      'disable_plaintext_auth = no',
      'auth_mechanisms = plain',
      'auth_failure_delay = 0',
      'first_valid_uid = 1',
      `passdb {\n  driver = passwd-file\n  args = scheme=PLAIN ${dir}/passwd\n}`,
      `userdb {\n  driver = static\n  args = uid=${MAIL_UID} gid=${MAIL_UID} home=${home}/%u\n}`,
      'mail_location = maildir:~/Maildir',
      `service imap-login {\n${listener('imap', imapPort, false)}\n${listener('imaps', imapsPort, true)}\n}`,
      `service pop3-login {\n${listener('pop3', pop3Port, false)}\n${listener('pop3s', pop3sPort, true)}\n}`,
      // No penalty delays for the failed logins the tests make on purpose.
      'service anvil {\n  unix_listener anvil-auth-penalty {\n    mode = 0\n  }\n}',
      '',
    ].join('\n'),
  );
  const ports = [pop3Port, pop3sPort, imapPort, imapsPort];
  const daemon = await Daemon.start(DOVECOT, ['-F', '-c', config], {
    cwd: dir,
    ready: ports.map((port) => ({ host, port })),
  });
  return { host, pop3Port, pop3sPort, imapPort, imapsPort, daemon };
}
