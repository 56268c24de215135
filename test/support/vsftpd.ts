// vsftpd (Debian vsftpd) as a private anonymous FTP server: its own config, anonymous root
// (holding the files given) and log under dir, listening on host, or on ::1 with ipv6, at a
// free port, passive ports on the same address. An anonymous login whose password is
// BANNED_PASSWORD is refused (deny_email), so a wrong login is a real server's refusal.
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Daemon } from './daemon.ts';
import { freePort } from './listeners.ts';

export const VSFTPD = '/usr/sbin/vsftpd';
export const BANNED_PASSWORD = 'banned@example.com';

export interface VsftpdServer {
  host: string;
  port: number;
  daemon: Daemon;
}

export async function startVsftpd(
  dir: string,
  host: string,
  files: Record<string, string>,
): Promise<VsftpdServer> {
  const port = await freePort(host);
  const ipv6 = host.includes(':');
  const anonRoot = join(dir, 'anon');
  const empty = join(dir, 'empty');
  mkdirSync(anonRoot, { recursive: true });
  mkdirSync(empty, { recursive: true });
  for (const [name, text] of Object.entries(files)) writeFileSync(join(anonRoot, name), text);
  // The anonymous session runs as the ftp user: it must read, and must not write, its root.
  chmodSync(dir, 0o755);
  chmodSync(anonRoot, 0o555);
  writeFileSync(join(dir, 'banned'), `${BANNED_PASSWORD}\n`);
  const config = join(dir, ipv6 ? 'vsftpd6.conf' : 'vsftpd.conf');
  writeFileSync(
    config,
    [
      ipv6 ? 'listen=NO' : 'listen=YES',
      ipv6 ? 'listen_ipv6=YES' : 'listen_ipv6=NO',
      ipv6 ? `listen_address6=${host}` : `listen_address=${host}`,
      `listen_port=${port}`,
      'background=NO',
      'anonymous_enable=YES',
      `anon_root=${anonRoot}`,
      'ftp_username=ftp',
      'no_anon_password=NO',
      'deny_email_enable=YES',
      `banned_email_file=${dir}/banned`,
      'local_enable=NO',
      'write_enable=NO',
      'pasv_enable=YES',
      ...(ipv6 ? [] : [`pasv_address=${host}`]),
      'port_enable=YES',
      'connect_from_port_20=NO',
      `secure_chroot_dir=${empty}`,
      'xferlog_enable=YES',
      `vsftpd_log_file=${dir}/vsftpd.log`,
      'seccomp_sandbox=NO',
      '',
    ].join('\n'),
  );
  const daemon = await Daemon.start(VSFTPD, [config], { cwd: dir, ready: [{ host, port }] });
  return { host, port, daemon };
}
