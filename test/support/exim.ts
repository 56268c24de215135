// exim4 (Debian exim4-daemon-light) as a private SMTP server: its own config, spool and log
// folders under dir, listening on host at four ports: smtp (plain), submission (offers
// STARTTLS with the given certificate), one whose greeting is a 554 refusal and one that
// refuses EHLO and HELO; and a plain one on ::1. Run in the foreground (-bdf) as root with -C, so nothing of the
// system's exim configuration or spool is used.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Daemon } from './daemon.ts';
import { freePort } from './listeners.ts';
import type { TestCertificates } from './tls-certificates.ts';

export const EXIM = '/usr/sbin/exim4';

export interface EximServer {
  host: string;
  smtpPort: number;
  submissionPort: number;
  refusingPort: number;
  refusingHeloPort: number;
  /** The plain smtp listener on ::1. */
  ipv6Port: number;
  daemon: Daemon;
}

export async function startExim(
  dir: string,
  host: string,
  certificate: TestCertificates['signedFiles'],
): Promise<EximServer> {
  const [smtpPort, submissionPort, refusingPort, refusingHeloPort] = [
    await freePort(host),
    await freePort(host),
    await freePort(host),
    await freePort(host),
  ];
  mkdirSync(join(dir, 'spool'), { recursive: true });
  mkdirSync(join(dir, 'log'), { recursive: true });
  const config = join(dir, 'exim.conf');
  const ports = [smtpPort, submissionPort, refusingPort, refusingHeloPort];
  // The plain smtp port also on ::1. Exim writes an address and port as addr.port; the list
  // separator is changed to ';' because of the IPv6 colons.
  const ipv6Port = await freePort('::1');
  const interfaces = [...ports.map((p) => `${host}.${p}`), `::1.${ipv6Port}`].join(' ; ');
  writeFileSync(
    config,
    [
      `spool_directory = ${dir}/spool`,
      `log_file_path = ${dir}/log/%slog`,
      `pid_file_path = ${dir}/exim.pid`,
      'primary_hostname = test.invalid',
      `local_interfaces = <; ${interfaces}`,
      'keep_environment =',
      'exim_user = root',
      'exim_group = root',
      'never_users =',
      'host_lookup =',
      'rfc1413_hosts =',
      `tls_advertise_hosts = \${if eq{$received_port}{${submissionPort}}{*}{}}`,
      `tls_certificate = ${certificate.cert}`,
      `tls_privatekey = ${certificate.key}`,
      'acl_smtp_connect = acl_connect',
      'acl_smtp_helo = acl_helo',
      'acl_smtp_rcpt = acl_rcpt',
      'begin acl',
      'acl_connect:',
      `  deny condition = \${if eq{$received_port}{${refusingPort}}}`,
      '       message = no service for tests',
      '  accept',
      'acl_helo:',
      `  deny condition = \${if eq{$received_port}{${refusingHeloPort}}}`,
      '       message = hello refused for tests',
      '  accept',
      'acl_rcpt:',
      '  deny',
      '',
    ].join('\n'),
  );
  const daemon = await Daemon.start(
    EXIM,
    ['-C', config, '-bdf', '-oX', `<; ${interfaces}`, '-oP', `${dir}/exim.pid`],
    {
      cwd: dir,
      ready: [...ports.map((port) => ({ host, port })), { host: '::1', port: ipv6Port }],
    },
  );
  return { host, smtpPort, submissionPort, refusingPort, refusingHeloPort, ipv6Port, daemon };
}
