// INN's innd (Debian inn2) as a private NNTP server: a copy of /etc/news and of the empty
// news database under dir, its own spool, run and log folders, listening on host (and ::1)
// at a free port, run in the foreground (-d) as the news user. throttle() makes it refuse
// readers with a 400 greeting (ctlinnd throttle), go() undoes that.
import { cpSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runCommand } from '../../src/lib/run-command.ts';
import { Daemon } from './daemon.ts';
import { freePort } from './listeners.ts';

export const INND = '/usr/lib/news/bin/innd';
const CTLINND = '/usr/lib/news/bin/ctlinnd';
const AS_NEWS = ['--reuid=news', '--regid=news', '--init-groups'];

export interface InnServer {
  host: string;
  port: number;
  daemon: Daemon;
  throttle(reason: string): Promise<void>;
  go(reason: string): Promise<void>;
}

/** inn.conf settings replaced by ours. */
const OURS =
  /^(path(etc|db|run|spool|log|tmp|http|overview|incoming|outgoing|archive|articles)|port|bindaddress6?|domain):/;

export async function startInn(
  dir: string,
  host: string,
  options: { ipv6?: boolean } = {},
): Promise<InnServer> {
  const port = await freePort(host);
  const etc = join(dir, 'etc');
  cpSync('/etc/news', etc, { recursive: true });
  cpSync('/var/lib/news', join(dir, 'db'), { recursive: true });
  for (const sub of [
    'run',
    'log',
    'tmp',
    'http',
    'spool/articles',
    'spool/overview',
    'spool/incoming',
    'spool/outgoing',
    'spool/archive',
    'spool/innfeed',
  ]) {
    mkdirSync(join(dir, sub), { recursive: true });
  }
  const kept = readFileSync('/etc/news/inn.conf', 'utf8')
    .split('\n')
    .filter((line) => !OURS.test(line));
  const spool = join(dir, 'spool');
  writeFileSync(
    join(etc, 'inn.conf'),
    [
      ...kept,
      `pathetc: ${etc}`,
      `pathdb: ${dir}/db`,
      `pathrun: ${dir}/run`,
      `pathspool: ${spool}`,
      `pathlog: ${dir}/log`,
      `pathtmp: ${dir}/tmp`,
      `pathhttp: ${dir}/http`,
      `pathoverview: ${spool}/overview`,
      `pathincoming: ${spool}/incoming`,
      `pathoutgoing: ${spool}/outgoing`,
      `patharchive: ${spool}/archive`,
      `patharticles: ${spool}/articles`,
      `port: ${port}`,
      `bindaddress: ${host}`,
      `bindaddress6: ${options.ipv6 ? '"::1"' : 'none'}`,
      'domain: localdomain',
      '',
    ].join('\n'),
  );
  const chown = await runCommand('chown', ['-R', 'news:news', dir], { timeoutMs: 10_000 });
  if (chown.code !== 0) throw new Error(`chown news: ${chown.stderr}`);
  const env = { ...process.env, INNCONF: join(etc, 'inn.conf') };
  const daemon = await Daemon.start('setpriv', [...AS_NEWS, INND, '-d'], {
    env,
    cwd: dir,
    ready: [{ host, port }, ...(options.ipv6 ? [{ host: '::1', port }] : [])],
  });
  const ctlinnd = async (...args: string[]): Promise<void> => {
    const result = await runCommand('setpriv', [...AS_NEWS, CTLINND, '-t', '5', ...args], {
      env,
      timeoutMs: 10_000,
    });
    if (result.code !== 0)
      throw new Error(`ctlinnd ${args.join(' ')}: ${result.stdout}${result.stderr}`);
  };
  return {
    host,
    port,
    daemon,
    throttle: (reason) => ctlinnd('throttle', reason),
    go: (reason) => ctlinnd('go', reason),
  };
}
