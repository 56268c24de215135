// PostgreSQL for tests: initdb into a scratch folder, postgres on a private port and socket
// folder, a login role and a database with one table holding a row and one empty table.
// postgres refuses to run as root, so as root it runs as the `postgres` system user (setpriv,
// which execs: the pid we stop is the postmaster's) with the folder owned by that user.
import { chownSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runCommand } from '../../src/lib/run-command.ts';
import { Daemon, freePort, missingProgram, scratchDir, tcpAccepts } from './daemon.ts';

export const PG_USER = 'checker';
export const PG_PASSWORD = 's3cret-pg';
export const PG_DATABASE = 'checkdb';

function binDir(): string | undefined {
  try {
    const versions = readdirSync('/usr/lib/postgresql').sort((a, b) => Number(b) - Number(a));
    return versions.length > 0 ? `/usr/lib/postgresql/${versions[0]}/bin` : undefined;
  } catch {
    return undefined;
  }
}

/** uid and gid of a system user, from /etc/passwd. */
function systemUser(name: string): { uid: number; gid: number } | undefined {
  for (const line of readFileSync('/etc/passwd', 'utf8').split('\n')) {
    const [user, , uid, gid] = line.split(':');
    if (user === name) return { uid: Number(uid), gid: Number(gid) };
  }
  return undefined;
}

export function postgresUnavailable(): string | undefined {
  const bin = binDir();
  if (!bin) return 'PostgreSQL is not installed (Debian package postgresql)';
  const missing = missingProgram(join(bin, 'initdb'), 'postgresql');
  if (missing) return missing;
  if (process.getuid?.() === 0) {
    if (!systemUser('postgres')) return 'running as root and there is no postgres system user';
    return missingProgram('/usr/bin/setpriv', 'util-linux');
  }
  return undefined;
}

export interface PostgresServer {
  /** One port, on every address given. */
  port: number;
  stop(): Promise<void>;
}

export async function startPostgres(hosts: string[]): Promise<PostgresServer> {
  const bin = binDir()!;
  const dir = scratchDir('postgres');
  const port = await freePort(hosts[0]!);
  const asRoot = process.getuid?.() === 0;
  const owner = asRoot ? systemUser('postgres')! : undefined;
  const superPassword = join(dir, 'superuser.pw');
  writeFileSync(superPassword, 'not-used\n');
  if (owner) {
    chownSync(dir, owner.uid, owner.gid);
    chownSync(superPassword, owner.uid, owner.gid);
  }
  // As root: become postgres without a login shell; setpriv execs, keeping the pid.
  const asOwner = (program: string, args: string[]): [string, string[]] =>
    owner
      ? [
          '/usr/bin/setpriv',
          [`--reuid=${owner.uid}`, `--regid=${owner.gid}`, '--clear-groups', program, ...args],
        ]
      : [program, args];

  const data = join(dir, 'data');
  const [initdb, initdbArgs] = asOwner(join(bin, 'initdb'), [
    ...['-D', data, '-U', 'postgres', `--pwfile=${superPassword}`],
    ...['--auth-local=trust', '--auth-host=scram-sha-256', '-E', 'UTF8', '--no-sync'],
  ]);
  const init = await runCommand(initdb, initdbArgs, { cwd: dir, timeoutMs: 60_000 });
  if (init.code !== 0) throw new Error(`initdb failed:\n${init.stdout}${init.stderr}`);

  const [postgres, postgresArgs] = asOwner(join(bin, 'postgres'), [
    ...['-D', data, '-h', hosts.join(','), '-p', String(port), '-k', dir],
    ...['-c', 'fsync=off', '-c', 'logging_collector=off'],
  ]);
  const daemon = new Daemon('postgres', dir, postgres, postgresArgs);
  // Accepting TCP is not enough: until recovery ends, logins fail with "starting up".
  await daemon.waitUntil(async () => {
    for (const host of hosts) if (!(await tcpAccepts(host, port))) return false;
    const ready = await runCommand(
      join(bin, 'pg_isready'),
      ['-h', dir, '-p', String(port), '-U', 'postgres', '-d', 'postgres'],
      { cwd: dir, timeoutMs: 5000 },
    );
    return ready.code === 0;
  });

  const psql = async (database: string, sql: string): Promise<void> => {
    const result = await runCommand(
      join(bin, 'psql'),
      [
        '-h',
        dir,
        '-p',
        String(port),
        '-U',
        'postgres',
        '-d',
        database,
        '-v',
        'ON_ERROR_STOP=1',
        '-c',
        sql,
      ],
      { cwd: dir, timeoutMs: 30_000 },
    );
    if (result.code !== 0) throw new Error(`psql failed: ${result.stderr}`);
  };
  try {
    await psql('postgres', `CREATE ROLE ${PG_USER} LOGIN PASSWORD '${PG_PASSWORD}'`);
    await psql('postgres', `CREATE DATABASE ${PG_DATABASE} OWNER ${PG_USER}`);
    await psql(
      PG_DATABASE,
      `CREATE TABLE health (ok int); INSERT INTO health VALUES (1);
       CREATE TABLE empty (ok int); ALTER TABLE health OWNER TO ${PG_USER};
       ALTER TABLE empty OWNER TO ${PG_USER};`,
    );
  } catch (error) {
    await daemon.stop('SIGINT');
    throw error;
  }
  // SIGINT: fast shutdown (SIGTERM would wait for clients to leave).
  return { port, stop: () => daemon.stop('SIGINT') };
}
