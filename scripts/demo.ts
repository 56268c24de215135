// `npm run demo [-- --pause SECONDS]`: ldirectord-ts at work on one machine, as a non-root user,
// with nothing installed but Node. It starts the real servers of examples/demo.cf on 127.0.6.x,
// runs the daemon on that file in the foreground with --dry-run (the IPVS table in memory, each
// ipvsadm command logged), then takes one healthy server down and brings it back, so that the
// whole cycle shows: first checks, a real removed in one virtual and quiesced in another, the
// fallback server when a virtual has no real left, and the real coming back. Then it stops the
// daemon with SIGTERM, as init systems do, and exits 0.
//
// Each step waits for the daemon's own log lines (bounded in time), so the demo follows the
// daemon rather than a stopwatch; --pause only adds reading time between steps.
import { type ChildProcess, spawn } from 'node:child_process';
import { type MariaDb, mariadbUnavailable, startMariaDb } from '../test/support/mariadb.ts';
import { HttpRealServer, HungRealServer } from './demo-servers.ts';

const root = new URL('..', import.meta.url).pathname;
const CONFIG = 'examples/demo.cf';
const BIN = 'bin/ldirectord-ts';
/** Any one step (a check cycle plus the hung server's 3 s deadline) takes far less. */
const STEP_TIMEOUT_MS = 30_000;

// The real servers of examples/demo.cf.
const healthyA = new HttpRealServer('127.0.6.10', 8080, 'OK');
const healthyB = new HttpRealServer('127.0.6.11', 8080, 'OK');
const wrongAnswer = new HttpRealServer('127.0.6.12', 8080, 'starting up');
const hung = new HungRealServer('127.0.6.13', 8080);
const MYSQL = { host: '127.0.6.20', port: 3306 };
const WEB = '127.0.6.1:80';
const SORRY_WEB = '127.0.6.2:80';
const B = '127.0.6.11:8080';

const pauseMs = readPause(process.argv.slice(2));
const bold = process.stdout.isTTY ? (s: string) => `\x1b[1m${s}\x1b[0m` : (s: string) => s;

function say(text: string): void {
  process.stdout.write(`\n${bold(text)}\n`);
}

function readPause(argv: string[]): number {
  const i = argv.indexOf('--pause');
  if (i === -1) return 3000;
  const seconds = Number(argv[i + 1]);
  if (!Number.isFinite(seconds) || seconds < 0) {
    process.stderr.write('usage: npm run demo [-- --pause SECONDS]\n');
    process.exit(2);
  }
  return seconds * 1000;
}

/** The daemon's log lines as they arrive, printed and kept for the steps to wait on. */
class DaemonLog {
  readonly lines: string[] = [];
  private waiters: Array<() => void> = [];
  private partial = '';

  feed(chunk: Buffer): void {
    process.stdout.write(chunk);
    const text = this.partial + chunk.toString('utf8');
    const parts = text.split('\n');
    this.partial = parts.pop() ?? '';
    this.lines.push(...parts);
    for (const wake of this.waiters) wake();
  }

  mark(): number {
    return this.lines.length;
  }

  /** Waits until every text appears in a line logged after `since`. */
  async waitFor(texts: string[], since: number, what: string): Promise<void> {
    const seen = (): boolean =>
      texts.every((t) => this.lines.slice(since).some((line) => line.includes(t)));
    const deadline = Date.now() + STEP_TIMEOUT_MS;
    while (!seen()) {
      if (failure) throw failure;
      if (Date.now() > deadline) throw new Error(`the daemon did not log ${what} in time`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, 200);
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
      this.waiters = [];
    }
  }
}

let failure: Error | undefined;
let daemon: ChildProcess | undefined;
let daemonExit: Promise<number | null> | undefined;
let mariadb: MariaDb | undefined;
const log = new DaemonLog();

async function until(predicate: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + STEP_TIMEOUT_MS;
  while (!predicate()) {
    if (failure) throw failure;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

const pause = (): Promise<void> => new Promise((r) => setTimeout(r, pauseMs));

async function startServers(): Promise<boolean> {
  for (const server of [healthyA, healthyB, wrongAnswer, hung]) await server.start();
  say('ldirectord-ts demo: real servers started on this machine');
  process.stdout.write(
    [
      `  ${healthyA.host}:8080  HTTP, answers "OK" to /health`,
      `  ${healthyB.host}:8080  HTTP, answers "OK" (a real server of both web sites)`,
      `  ${wrongAnswer.host}:8080  HTTP, answers "starting up": the receive string "OK" is missing`,
      `  ${hung.host}:8080  accepts connections and never answers: its check hits the deadline`,
    ].join('\n') + '\n',
  );
  const missing = mariadbUnavailable();
  if (missing) {
    process.stdout.write(
      `  (MariaDB is not installed here, ${missing}: the MySQL real server ${MYSQL.host}:${MYSQL.port} stays down)\n`,
    );
    return false;
  }
  try {
    // It stops itself when it fails to start or to take the setup.
    mariadb = await startMariaDb({
      host: MYSQL.host,
      port: MYSQL.port,
      setupSql: `CREATE DATABASE demo;
       CREATE USER 'ldirectord'@'127.0.0.0/255.0.0.0' IDENTIFIED BY 'demo-only-password';
       GRANT SELECT ON demo.* TO 'ldirectord'@'127.0.0.0/255.0.0.0';`,
    });
  } catch (error) {
    process.stdout.write(
      `  (MariaDB did not start: ${(error as Error).message.trim()}; ${MYSQL.host}:${MYSQL.port} stays down)\n`,
    );
    return false;
  }
  process.stdout.write(
    `  ${MYSQL.host}:${MYSQL.port}  MariaDB, a throwaway server in ${mariadb.dir}\n`,
  );
  return true;
}

function startDaemon(): void {
  say(`$ ldirectord-ts --dry-run ${CONFIG} start`);
  process.stdout.write(
    'The daemon runs in the foreground (supervised=yes in the file) and logs in the words of the\n' +
      'Perl ldirectord; each "Dry run: ipvsadm ..." line is the command it would run as root.\n\n',
  );
  const child = spawn(process.execPath, [BIN, '--dry-run', CONFIG, 'start'], {
    cwd: root,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  daemon = child;
  child.stdout.on('data', (chunk: Buffer) => log.feed(chunk));
  child.stderr.on('data', (chunk: Buffer) => process.stderr.write(chunk));
  daemonExit = new Promise((resolve) => {
    child.on('error', (error) => {
      failure = new Error(`cannot start the daemon: ${error.message}`);
      resolve(null);
    });
    child.on('exit', (code, signal) => {
      if (!stopping) failure = new Error(`the daemon exited early (${code ?? signal})`);
      resolve(code);
    });
  });
}

let stopping = false;

async function run(): Promise<void> {
  const withMysql = await startServers();
  startDaemon();

  // 1. First checks: the healthy reals come in; the others stay out. The hung server's check
  // ends only at its deadline, so wait until the daemon has given up on it once.
  await log.waitFor(
    [
      `Added real server: ${healthyA.host}:8080 (${WEB})`,
      `Added real server: ${B} (${WEB})`,
      `Restored real server: ${B} (${SORRY_WEB})`,
      `Deleted fallback server: 127.0.6.19:8080 (${SORRY_WEB})`,
      ...(withMysql ? [`Added real server: ${MYSQL.host}:${MYSQL.port}`] : []),
    ],
    0,
    'the first checks',
  );
  await until(() => hung.abandoned > 0 && wrongAnswer.requests > 0, 'the first checks');
  await pause();
  say(
    `1. First checks done: ${healthyA.host} and ${healthyB.host} are in, ${wrongAnswer.host} and ` +
      `${hung.host} never went in.\n   What the daemon knows about each real server ` +
      `(kill -USR1 ${daemon!.pid}):`,
  );
  let mark = log.mark();
  daemon!.kill('SIGUSR1');
  await log.waitFor([`Status:   real ${MYSQL.host}:${MYSQL.port}`], mark, 'its status');
  await pause();

  // 2. One healthy real fails: removed from the first site, quiesced in the second, which
  // then has no real left and gets its fallback server.
  say(
    `2. Stopping the HTTP server on ${B}. Its next check fails: the first site removes it\n` +
      '   (quiescent=no), the second keeps it at weight 0 (quiescent=yes) and, with no real\n' +
      '   server left, adds its fallback server.',
  );
  mark = log.mark();
  await healthyB.stop();
  await log.waitFor(
    [
      `Deleted real server: ${B} (${WEB})`,
      `Quiescent real server: ${B} (${SORRY_WEB}) (Weight set to 0)`,
      `Added fallback server: 127.0.6.19:8080 (${SORRY_WEB})`,
    ],
    mark,
    `${B} going down`,
  );
  await pause();

  // 3. It comes back.
  say(
    `3. Starting the HTTP server on ${B} again: both sites take it back and the fallback\n` +
      '   server goes out.',
  );
  mark = log.mark();
  await healthyB.start();
  await log.waitFor(
    [
      `Added real server: ${B} (${WEB})`,
      `Restored real server: ${B} (${SORRY_WEB}) (Weight set to 1)`,
      `Deleted fallback server: 127.0.6.19:8080 (${SORRY_WEB})`,
    ],
    mark,
    `${B} coming back`,
  );
  await pause();

  // 4. A clean stop, as `ldirectord stop` or systemd would ask for it.
  say(
    `4. Stopping the daemon (kill -TERM ${daemon!.pid}, as \`ldirectord stop\` does): it removes\n` +
      '   what it added to the IPVS table.',
  );
  stopping = true;
  daemon!.kill('SIGTERM');
  const code = await daemonExit;
  if (code !== 0) throw new Error(`the daemon exited with ${code}`);
  say('Demo finished: the daemon exited with status 0.');
}

async function cleanUp(): Promise<void> {
  if (daemon && daemon.exitCode === null && daemon.signalCode === null) {
    stopping = true;
    daemon.kill('SIGTERM');
    const timeout = new Promise((r) => setTimeout(r, 5000).unref());
    await Promise.race([daemonExit, timeout]);
    if (daemon.exitCode === null) daemon.kill('SIGKILL');
  }
  await Promise.all([healthyA, healthyB, wrongAnswer, hung].map((s) => s.stop()));
  await mariadb?.stop();
}

// Ctrl-C reaches the daemon too (same process group); it stops itself cleanly.
let interrupted = false;
process.on('SIGINT', () => {
  interrupted = true;
  failure = new Error('interrupted');
});

try {
  await run();
  await cleanUp();
} catch (error) {
  process.stderr.write(
    `\ndemo ${interrupted ? 'interrupted' : `failed: ${(error as Error).message}`}\n`,
  );
  await cleanUp();
  process.exitCode = interrupted ? 130 : 1;
}
