// The single executable (scripts/build-sea.ts) as a director runs it: copied alone into a folder
// (nothing beside it to read), run with an empty environment, under its own name and as
// `ldirectord` (the drop-in name), daemonizing and starting execute= instances of itself, and
// built without a module a config needs. Real servers: TCP listeners on 127.0.12.1-3; IPVS: the
// fake ipvsadm.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, mkdirSync, readFileSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { alive, DaemonScratch, eventually, Switchable } from '../support/daemon-harness.ts';
import { executable, withoutModule } from '../support/executable.ts';
import { gone } from '../support/ldts.ts';

const root = new URL('../../', import.meta.url).pathname;
const SEED = join(root, 'test/fixtures/configs/seeds/annotated-http-quiescent.cf');
const { version } = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as {
  version: string;
};

const s = new DaemonScratch('executable', 'web.cf');
const reals = [1, 2, 3].map((n) => new Switchable(`127.0.12.${n}`, 8080));
const program = s.path('sbin/ldirectord-ts');
const dropInName = s.path('sbin/ldirectord');

before(async () => {
  for (const r of reals) await r.up();
  mkdirSync(s.path('sbin'));
  copyFileSync(executable(), program);
  chmodSync(program, 0o755);
  symlinkSync('ldirectord-ts', dropInName);
});
after(async () => {
  for (const cfg of ['web.cf', 'second.cf', 'oracle.cf']) {
    const pid = s.pid(cfg);
    if (alive(pid)) process.kill(pid!, 'SIGKILL');
  }
  for (const r of reals) await r.down();
  s.cleanup();
});

function bare(args: string[], cwd = '/'): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(program, args, { cwd, env: {}, encoding: 'utf8', timeout: 30_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

test('alone in a folder, with an empty environment: version, help and check', () => {
  const v = bare(['--version']);
  assert.equal(v.code, 0, v.stderr);
  assert.match(v.stdout, /^Linux Director v1\.186-ha\n/);
  assert.match(v.stdout, new RegExp(`\\nldirectord-ts ${version.replaceAll('.', '\\.')}\\n$`));

  const help = bare(['--help']);
  assert.equal(help.code, 0);
  assert.match(help.stdout, /ldirectord-ts check \[--json\]/);

  // check prints what the bundle run by node prints, byte for byte.
  const check = bare(['check', '--json', SEED]);
  const byNode = spawnSync(
    process.execPath,
    [join(root, 'dist/ldirectord-ts.cjs'), 'check', '--json', SEED],
    {
      encoding: 'utf8',
    },
  );
  assert.equal(check.code, 0, check.stderr);
  assert.equal(check.stdout, byNode.stdout);
  assert.match(check.stdout, /192\.168\.0\.221/);
});

/** The newest version of `prefix` (GLIBC_, GLIBCXX_) among the executable's dynamic symbols. */
function newestSymbolVersion(file: string, prefix: string): string {
  const r = spawnSync('objdump', ['-T', file], { encoding: 'utf8', maxBuffer: 64 * 2 ** 20 });
  assert.equal(r.status, 0, r.stderr);
  const versions = [...r.stdout.matchAll(new RegExp(`\\b${prefix}_([\\d.]+)\\b`, 'g'))].map(
    (m) => m[1]!,
  );
  assert.ok(versions.length > 0, `no ${prefix} symbols in ${file}`);
  // Numeric runs compared as numbers: 2.28 after 2.3.
  return versions.sort((a, b) => a.localeCompare(b, 'en', { numeric: true })).at(-1)!;
}

test('the glibc and libstdc++ the README promises are the newest the executable asks for', () => {
  const glibc = newestSymbolVersion(program, 'GLIBC');
  const glibcxx = newestSymbolVersion(program, 'GLIBCXX');
  const readme = readFileSync(join(root, 'README.md'), 'utf8').replace(/\s+/g, ' ');
  assert.match(readme, new RegExp(`only glibc ${glibc.replaceAll('.', '\\.')} or later`));
  const packaging = readFileSync(join(root, 'packaging/README.md'), 'utf8').replace(/\s+/g, ' ');
  assert.match(packaging, new RegExp(`glibc ${glibc.replaceAll('.', '\\.')} \\(`));
  assert.match(packaging, new RegExp(`GLIBCXX ${glibcxx.replaceAll('.', '\\.')}\\b`));
});

const WEB = `checkinterval=1
logfile="{{DIR}}/ldirectord.log"
execute="{{DIR}}/second.cf"
virtual=10.12.0.1:80
\treal=127.0.12.1:8080 masq
\treal=127.0.12.2:8080 masq 2
\tchecktype=connect
`;
const SECOND = `checkinterval=1
logfile="{{DIR}}/second.log"
virtual=10.12.0.2:80
\treal=127.0.12.3:8080 masq
\tchecktype=connect
`;

test('as ldirectord: start daemonizes, execute= starts a second instance, status, stop', async () => {
  s.program = [dropInName];
  s.config(WEB);
  const second = s.write('second.cf', SECOND);
  assert.equal(s.action('status').code, 3, 'stopped before start');

  const pid = s.start();
  // The daemon runs under the name it was started by, as the OCF agent's pgrep expects.
  const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'latin1').split('\0').join(' ').trim();
  assert.equal(cmdline, `${dropInName} --pid-dir ${s.pidDir} ${s.cf} start`);
  // Only the daemon, once the execute= instance it forks has exec'd (until then the child
  // shows the daemon's command line).
  const matching = (): number[] =>
    spawnSync('pgrep', ['-f', `${dropInName} .*${s.cf} start`], { encoding: 'utf8' })
      .stdout.trim()
      .split('\n')
      .map(Number);
  await eventually(
    () => matching().join() === String(pid),
    () => `pgrep finds only the daemon ${pid}: ${matching().join(', ')}`,
  );

  await eventually(() => alive(s.pid('second.cf')), 'the execute= instance started');
  const secondPid = s.pid('second.cf')!;
  await eventually(() => {
    const t = s.table();
    return t.includes('-r 127.0.12.2:8080 -m -w 2') && t.includes('-r 127.0.12.3:8080');
  }, 'both instances programmed the table');
  assert.match(s.read('second.log'), /Starting Linux Director v1\.186-ha as daemon/);

  const status = s.action('status');
  assert.equal(status.code, 0, status.stderr);
  assert.equal(
    status.stderr,
    `ldirectord for ${s.cf} is running with pid: ${pid}\n` +
      `ldirectord for ${second} is running with pid: ${secondPid}\n`,
  );

  assert.equal(s.action('stop').code, 0);
  await gone(pid, 'stop returns once the daemon is gone');
  await eventually(() => !alive(secondPid), 'the execute= instance stopped with it');
  assert.equal(s.table(), '', 'both clean stops emptied the table');
  assert.equal(s.action('status').code, 3);
});

test('a stale pid file: status exits 1', () => {
  s.program = [program];
  s.write('ldirectord.web.cf.pid', '999999\n');
  const r = s.action('status');
  assert.equal(r.code, 1);
  assert.match(r.stderr, /ldirectord stale pid file/);
});

const ORACLE = `checkinterval=1
logfile="{{DIR}}/oracle.log"
virtual=10.12.0.5:1521
\treal=127.0.12.5:1521 masq
\tservice=oracle
\tchecktype=negotiate
\tlogin=scott
\tpasswd=tiger
\tdatabase=ORCL
\trequest="SELECT 1 FROM dual"
`;

test('built without oracledb: the program starts, and the oracle check names the module', async () => {
  const without = await withoutModule('oracledb');
  // Both copied to a folder with no node_modules above it: the bundle, run by node, and the
  // executable (whose import() would otherwise find the repository's node_modules).
  const alone = s.path('alone');
  mkdirSync(alone);
  const bundle = join(alone, 'ldirectord-ts.cjs');
  const sea = join(alone, 'ldirectord-ts');
  copyFileSync(without.bundle, bundle);
  copyFileSync(without.executable, sea);
  chmodSync(sea, 0o755);
  s.write('oracle.cf', ORACLE);
  for (const program of [[process.execPath, bundle], [sea]]) {
    s.program = program;
    const start = s.run(['--dry-run', s.path('oracle.cf'), 'start']);
    assert.equal(start.code, 0, `${program.join(' ')}: ${start.stderr}`);
    let reason = '';
    await eventually(
      () => {
        const r = s.run([s.path('oracle.cf'), 'status', '--json']);
        const daemon = (JSON.parse(r.stdout) as { daemon: unknown }).daemon;
        reason = JSON.stringify(daemon).match(/"reason":"([^"]*oracledb[^"]*)"/)?.[1] ?? '';
        return reason !== '';
      },
      `${program.join(' ')}: a check result naming oracledb`,
    );
    assert.equal(
      reason,
      'service=oracle needs the Node module oracledb, which this ldirectord-ts does not have',
    );
    assert.equal(s.run([s.path('oracle.cf'), 'stop']).code, 0);
  }
});
