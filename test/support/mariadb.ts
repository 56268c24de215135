// A throwaway MariaDB server for tests and the demo: a fresh datadir, bound to one loopback address
// on a free port (or the one given), started once per test file and stopped by its pid.
//
//   const db = await startMariaDb({ host: '127.0.1.40', setupSql: 'CREATE USER ...' });
//   ... db.port, db.sql('SELECT 1'), db.suspend() / db.resume() (SIGSTOP / SIGCONT) ...
//   await db.stop();
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';

export interface MariaDb {
  host: string;
  port: number;
  dir: string;
  pid: number;
  /** Runs SQL as root over the unix socket; throws with the client's error text on failure. */
  sql(text: string): string;
  /** The server's error log so far. */
  errorLog(): string;
  /** SIGSTOP: the kernel still completes TCP handshakes, but nothing answers. */
  suspend(): void;
  resume(): void;
  stop(): Promise<void>;
}

/** Why MariaDB cannot run here, or undefined. */
export function mariadbUnavailable(): string | undefined {
  for (const program of ['mariadbd', 'mariadb-install-db', 'mariadb', 'mariadb-admin']) {
    if (spawnSync('sh', ['-c', `command -v ${program}`]).status !== 0) {
      return `${program} is not installed (apt-get install mariadb-server mariadb-client)`;
    }
  }
  return undefined;
}

function freePort(host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, host, () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

export async function startMariaDb(options: {
  host: string;
  port?: number;
  setupSql?: string;
}): Promise<MariaDb> {
  const dir = mkdtempSync(join(tmpdir(), 'ldts-mariadb-'));
  const user = userInfo().username;
  const socket = join(dir, 'mysqld.sock');
  const install = spawnSync(
    'mariadb-install-db',
    [
      '--no-defaults',
      `--datadir=${join(dir, 'data')}`,
      `--user=${user}`,
      '--auth-root-authentication-method=normal',
      '--skip-test-db',
      '--skip-name-resolve',
    ],
    { encoding: 'utf8' },
  );
  if (install.status !== 0) throw new Error(`mariadb-install-db failed: ${install.stderr}`);
  const port = options.port ?? (await freePort(options.host));
  const child: ChildProcess = spawn(
    'mariadbd',
    [
      '--no-defaults',
      `--datadir=${join(dir, 'data')}`,
      `--socket=${socket}`,
      `--port=${port}`,
      `--bind-address=${options.host}`,
      `--user=${user}`,
      `--pid-file=${join(dir, 'mysqld.pid')}`,
      `--log-error=${join(dir, 'error.log')}`,
      '--skip-name-resolve',
      '--skip-log-bin',
      '--innodb-buffer-pool-size=32M',
      '--innodb-log-file-size=16M',
    ],
    { stdio: 'ignore' },
  );
  const pid = child.pid!;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const sql = (text: string): string => {
    const r = spawnSync(
      'mariadb',
      ['--no-defaults', `--socket=${socket}`, '-uroot', '-N', '-e', text],
      {
        encoding: 'utf8',
      },
    );
    if (r.status !== 0) throw new Error(`mariadb: ${r.stderr}`);
    return r.stdout;
  };
  const db: MariaDb = {
    host: options.host,
    port,
    dir,
    pid,
    sql,
    errorLog: () => readFileSync(join(dir, 'error.log'), 'utf8'),
    suspend: () => process.kill(pid, 'SIGSTOP'),
    resume: () => process.kill(pid, 'SIGCONT'),
    stop: async () => {
      try {
        process.kill(pid, 'SIGCONT');
        process.kill(pid, 'SIGTERM');
      } catch {
        // already gone
      }
      const timeout = new Promise<'timeout'>((r) => setTimeout(r, 10_000, 'timeout').unref());
      if ((await Promise.race([exited, timeout])) === 'timeout') {
        process.kill(pid, 'SIGKILL');
        await exited;
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
  for (let i = 0; ; i++) {
    const ping = spawnSync(
      'mariadb-admin',
      ['--no-defaults', `--socket=${socket}`, '-uroot', 'ping'],
      {
        stdio: 'ignore',
      },
    );
    if (ping.status === 0) break;
    if (i >= 300 || child.exitCode !== null) {
      const log = join(dir, 'error.log');
      await db.stop();
      throw new Error(`mariadbd did not start (its error log was ${log})`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  try {
    if (options.setupSql) sql(options.setupSql);
  } catch (error) {
    await db.stop();
    throw error;
  }
  return db;
}
