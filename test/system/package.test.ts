// The packages installed for real: the .debs (scripts/package.ts) into clean Debian 12 roots made
// by mmdebstrap (test/support/debian-root.ts: minbase, no nodejs, the Perl ldirectord in it),
// driven there as heartbeat, systemd and operators drive them; the .rpms listed, their scripts
// read, and installed into a scratch --root whose files must be the .debs'; and an upgrade to the
// next version (with the drop-in) while a daemon runs. Real servers: TCP listeners on
// 127.0.12.21-22 on the host (the roots share its network); IPVS: dry run, or the fake ipvsadm
// run from a read-only bind of this repository (its node never reaches the program under test,
// which needs none).
//
// Needs root (chroot, mounts) and mmdebstrap, dpkg-dev, rpm and lintian: as root a missing tool
// fails, otherwise the file skips. The packages are built once (gzip -1: the release build's files
// with quicker compression) and reused from dist/ while their inputs are unchanged.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  copyFileSync,
  existsSync,
  lstatSync,
  mkdtempSync,
  readFileSync,
  readlinkSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { setPriority } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { buildPackages, lintian, type Packages } from '../../scripts/package.ts';
import {
  alive,
  eventually,
  invocations,
  Switchable,
  tableCommands,
} from '../support/daemon-harness.ts';
import { DebianRoot, missingTools } from '../support/debian-root.ts';
import { FAKE_IPVSADM, gone } from '../support/ldts.ts';

const REPO = new URL('../../', import.meta.url).pathname.replace(/\/$/, '');
const SEEDS = join(REPO, 'test/fixtures/configs/seeds');

// lintian, dpkg and tar over a 110 MB executable are heavy and nothing here is timed to the
// millisecond: run them (this process and its children) behind the other test files.
setPriority(10);

const isRoot = process.getuid?.() === 0;
const problem = isRoot ? missingTools() : 'needs root (chroot and mounts)';
if (problem && isRoot) throw new Error(`package tests cannot run: ${problem}`);
const skip = problem ?? false;
if (skip) process.stdout.write(`# skipping: ${skip}\n`);

const reals = [21, 22].map((n) => new Switchable(`127.0.12.${n}`, 8080));
const roots: DebianRoot[] = [];
const scratchDirs: string[] = [];
let pkg: Packages;
let next: Packages;

before(async () => {
  if (skip) return;
  for (const r of reals) await r.up();
  pkg = await buildPackages({ fast: true, outDir: join(REPO, 'dist/packages-test') });
  next = await buildPackages({
    fast: true,
    version: `${pkg.version}+next`,
    outDir: join(REPO, 'dist/packages-test-next'),
  });
});
after(async () => {
  for (const root of roots) root.close();
  for (const dir of scratchDirs) rmSync(dir, { recursive: true, force: true });
  for (const r of reals) await r.down();
});

function scratchDir(name: string): string {
  const dir = mkdtempSync(join('/var/tmp', `ldts-${name}-`));
  scratchDirs.push(dir);
  return dir;
}

function freshRoot(name: string): DebianRoot {
  const root = DebianRoot.create(name);
  roots.push(root);
  return root;
}

/** Copies host files into the root's /tmp; returns their paths inside. */
function carry(root: DebianRoot, ...files: string[]): string[] {
  return files.map((file) => {
    const inside = `/tmp/${file.split('/').pop()}`;
    copyFileSync(file, root.path(inside));
    return inside;
  });
}

/** What a path under `dir` is: a file's sha256, a link's target, or absent. */
function identity(dir: string, path: string): string {
  const host = join(dir, path);
  if (!existsSync(host) && !isLink(host)) return 'absent';
  if (isLink(host)) return `-> ${readlinkSync(host)}`;
  return createHash('sha256').update(readFileSync(host)).digest('hex');
}

function isLink(path: string): boolean {
  try {
    return lstatSync(path).isSymbolicLink();
  } catch {
    return false;
  }
}

/** The paths (files and links, not directories) a .deb installs. */
function debFiles(deb: string): string[] {
  const r = spawnSync('dpkg-deb', ['-c', deb], { encoding: 'utf8' });
  return r.stdout
    .split('\n')
    .filter((l) => /^[-l]/.test(l))
    .map((l) => l.split(/\s+/)[5]!.replace(/^\./, ''));
}

/** Nothing of ours is left: none of the packages' paths, no diversion, no dpkg record. */
function assertNothingOfOurs(root: DebianRoot): void {
  for (const path of [...debFiles(pkg.deb), ...debFiles(pkg.dropinDeb)]) {
    // The drop-in's paths are the Perl package's own names: those may exist, but not as ours.
    const identityNow = identity(root.dir, path);
    assert.ok(
      identityNow === 'absent' || !identityNow.includes('ldirectord-ts'),
      `${path} is still there (${identityNow})`,
    );
  }
  const leftovers = root.ok(
    "find / -xdev \\( -name '*ldirectord-ts*' -o -name '*.perl' \\) -not -path '/tmp/*' -not -path '/proc/*'",
  );
  assert.equal(leftovers, '', 'no file named after ldirectord-ts, no diverted .perl file');
  assert.equal(root.ok('dpkg-divert --list | grep ldirectord || true'), '');
  assert.equal(root.run('dpkg -s ldirectord-ts').code, 1, 'dpkg forgot the package (purged)');
}

const CONFIG = (logfile: string): string => `checkinterval=1
logfile="${logfile}"
virtual=10.12.1.1:80
\treal=127.0.12.21:8080 masq
\treal=127.0.12.22:8080 masq 2
\tchecktype=connect
`;

/** The unit file's Exec lines as argv (systemd's own quoting is not used by ours). */
function execLines(root: DebianRoot): Record<string, string[]> {
  const unit = readFileSync(root.path('/usr/lib/systemd/system/ldirectord-ts.service'), 'utf8');
  const lines: Record<string, string[]> = {};
  for (const m of unit.matchAll(/^(Exec\w+|PIDFile)=(.*)$/gm)) lines[m[1]!] = m[2]!.split(' ');
  return lines;
}

function shellWords(words: string[]): string {
  return words.map((w) => `'${w.replaceAll("'", "'\\''")}'`).join(' ');
}

interface RealStatus {
  up: boolean;
  lastCheck?: { at: string };
}

/**
 * The reals of the daemon whose pid file is /run/ldirectord.<cfgname>.pid, from the status file
 * beside it (what `status --json` prints; that needs a config argument, which the unit's
 * `ldirectord-ts start` does not give). [] while there is none.
 */
function realsOf(root: DebianRoot, cfgname: string): RealStatus[] {
  const file = root.path(`/run/ldirectord.${cfgname}.status.json`);
  if (!existsSync(file)) return [];
  const status = JSON.parse(readFileSync(file, 'utf8')) as {
    monitor?: { virtuals: { reals: RealStatus[] }[] };
  };
  return status.monitor?.virtuals.flatMap((v) => v.reals) ?? [];
}

const bothUp = (root: DebianRoot, config: string): boolean =>
  realsOf(root, config).filter((r) => r.up).length === 2;

/**
 * lintian's tags for a .deb. lintian takes one to two minutes over the executable, so its
 * answer is kept beside the .deb under the hash of the .deb and lintian's version.
 */
function lintianTags(deb: string): string[] {
  const version = spawnSync('lintian', ['--version'], { encoding: 'utf8' }).stdout.trim();
  const key = createHash('sha256').update(version).update(readFileSync(deb)).digest('hex');
  const kept = `${deb}.lintian.json`;
  if (existsSync(kept)) {
    const previous = JSON.parse(readFileSync(kept, 'utf8')) as { key: string; tags: string[] };
    if (previous.key === key) return previous.tags;
  }
  const tags = lintian(deb);
  writeFileSync(kept, JSON.stringify({ key, tags }));
  return tags;
}

test('lintian reports no errors on either .deb', { skip, timeout: 300_000 }, () => {
  for (const deb of [pkg.deb, pkg.dropinDeb]) {
    const tags = lintianTags(deb);
    assert.deepEqual(
      tags.filter((t) => t.startsWith('E: ')),
      [],
      tags.join('\n'),
    );
  }
});

test(
  'a Debian 12 root without node: apt-get install, version, check and plan on the seeds, a dry-run daemon through the systemd unit and the resource script, status codes, purge',
  { skip, timeout: 600_000 },
  async () => {
    const root = freshRoot('deb-plain');
    // Without the Perl original, and without any node.
    root.ok('dpkg --purge ldirectord >/dev/null');
    const node = root.run('command -v node || command -v nodejs');
    assert.notEqual(node.code, 0, `no node in the root: ${node.stdout}`);
    assert.equal(root.run('dpkg -s nodejs').code, 1, 'no nodejs package');

    const [deb, dropin] = carry(root, pkg.deb, pkg.dropinDeb);
    root.ok(`apt-get install -y -q ${deb} </dev/null`);
    const version = root.ok('ldirectord-ts --version');
    assert.match(version, new RegExp(`\\nldirectord-ts ${pkg.version.replaceAll('.', '\\.')}\\n$`));

    // What the issue lists, where Debian puts it: the program, its man page (the version in its
    // footer), heartbeat's resource, the unit, logrotate, the changelog and the copyright (the
    // project under the original's GPL-2.0-or-later).
    const listed = root.ok('dpkg -L ldirectord-ts').split('\n');
    const expected = [
      '/usr/sbin/ldirectord-ts',
      '/usr/share/man/man8/ldirectord-ts.8.gz',
      '/etc/ha.d/resource.d/ldirectord-ts',
      '/usr/lib/systemd/system/ldirectord-ts.service',
      '/etc/logrotate.d/00-ldirectord-ts',
      '/usr/share/doc/ldirectord-ts/changelog.gz',
      '/usr/share/doc/ldirectord-ts/copyright',
    ];
    for (const path of expected) assert.ok(listed.includes(path), `dpkg -L lists ${path}`);
    // Present inside the root (links followed there, not on the host).
    const missing = root.ok(`for p in ${expected.join(' ')}; do test -e "$p" || echo "$p"; done`);
    assert.equal(missing, '', 'every listed file is there');
    const v = pkg.version.replaceAll('.', '\\.');
    assert.match(
      root.ok('zcat /usr/share/man/man8/ldirectord-ts.8.gz'),
      new RegExp(`^\\.TH LDIRECTORD-TS 8 "[^"]*" "ldirectord-ts ${v}"`, 'm'),
    );
    assert.match(
      root.ok('zcat /usr/share/doc/ldirectord-ts/changelog.gz'),
      new RegExp(`^ldirectord-ts \\(${v}\\) `),
    );
    const copyright = readFileSync(root.path('/usr/share/doc/ldirectord-ts/copyright'), 'utf8');
    assert.match(copyright, /^Files: \*\nCopyright: .*\nLicense: GPL-2\+\n/m);
    assert.match(copyright, /either version 2 of the License, or \(at your option\) any later/);

    // check and plan on every seed config: exit 0 and the same output as the node-run bundle.
    root.ok('mkdir -p /etc/ha.d/seeds');
    const seeds = spawnSync('ls', [SEEDS], { encoding: 'utf8' })
      .stdout.split('\n')
      .filter((f) => f.endsWith('.cf'));
    assert.ok(seeds.length >= 3);
    for (const seed of seeds) {
      copyFileSync(join(SEEDS, seed), root.path(`/etc/ha.d/seeds/${seed}`));
      for (const command of [['check', '--json'], ['plan']]) {
        const inside = root.run(`ldirectord-ts ${command.join(' ')} /etc/ha.d/seeds/${seed}`);
        const host = spawnSync(
          process.execPath,
          [join(REPO, 'dist/ldirectord-ts.cjs'), ...command, root.path(`/etc/ha.d/seeds/${seed}`)],
          { encoding: 'utf8' },
        );
        assert.equal(inside.code, 0, `${command[0]} ${seed}: ${inside.stderr}`);
        assert.equal(inside.stdout, host.stdout.replaceAll(root.dir, ''), `${command[0]} ${seed}`);
      }
    }

    // The systemd unit's Exec lines, as systemd would run them, with --dry-run after the program.
    const unit = execLines(root);
    const dry = (words: string[]): string =>
      shellWords([words[0]!, '--dry-run', ...words.slice(1)]);
    const config = CONFIG('/var/log/ldirectord.log');
    root.ok(`cat > /etc/ha.d/ldirectord.cf <<'EOF'\n${config}EOF`);
    assert.equal(root.run('ldirectord-ts status').code, 3, 'status: 3 while stopped');
    // heartbeat's ldirectord-ts::ldirectord.cf resource, without the drop-in.
    const resource = root.run('/etc/ha.d/resource.d/ldirectord-ts ldirectord.cf status');
    assert.equal(resource.code, 3, `heartbeat's ldirectord-ts resource: ${resource.stdout}`);
    root.ok(dry(unit.ExecStart!));
    const pidFile = unit.PIDFile![0]!;
    const pid = Number(readFileSync(root.path(pidFile), 'utf8').trim());
    assert.ok(alive(pid), `the unit's PIDFile ${pidFile} names the daemon`);
    // The unit runs the program without a config argument: the config named "ldirectord".
    await eventually(() => bothUp(root, 'ldirectord'), 'both reals up in the dry-run daemon');
    const running = root.run('ldirectord-ts status');
    assert.equal(running.code, 0);
    assert.match(running.stderr, new RegExp(`is running with pid: ${pid}`));
    root.ok(dry(unit.ExecReload!));
    root.ok(shellWords(unit.ExecStop!));
    await gone(pid, 'ExecStop returns once the daemon is gone');
    assert.equal(root.run('ldirectord-ts status').code, 3);
    root.ok(`echo 999999 > ${pidFile}`);
    assert.equal(root.run('ldirectord-ts status').code, 1, 'status: 1 with a stale pid file');
    root.ok(`rm ${pidFile}`);

    // The drop-in with no Perl original to divert. It provides ldirectord: a package that
    // depends on ldirectord installs once it is there, and not before.
    root.ok(
      'mkdir -p /tmp/needs/DEBIAN && printf "%s\\n" "Package: needs-ldirectord" "Version: 1" ' +
        '"Architecture: all" "Maintainer: test <test@example.org>" "Depends: ldirectord" ' +
        '"Description: depends on ldirectord" > /tmp/needs/DEBIAN/control && ' +
        'dpkg-deb --build /tmp/needs /tmp/needs.deb >/dev/null',
    );
    const unmet = root.run('dpkg -i /tmp/needs.deb');
    assert.notEqual(unmet.code, 0, 'ldirectord is not there yet');
    assert.match(unmet.stderr, /depends on ldirectord/);
    root.ok(`dpkg -i ${dropin}`);
    root.ok('dpkg --configure needs-ldirectord');
    root.ok('dpkg --purge needs-ldirectord');
    // The resource script as heartbeat runs it.
    const rs = '/etc/ha.d/resource.d/ldirectord';
    const stopped = root.run(`${rs} ldirectord.cf status`);
    assert.equal(stopped.code, 3);
    assert.match(stopped.stdout, /ldirectord is stopped/);
    root.ok(`${rs} --dry-run ldirectord.cf start`);
    const rsStatus = root.run(`${rs} ldirectord.cf status`);
    assert.equal(rsStatus.code, 0, rsStatus.stdout);
    assert.match(rsStatus.stdout, /is running with pid/, 'heartbeat reads status on stdout');
    root.ok(`${rs} ldirectord.cf stop`);
    assert.equal(root.run(`${rs} ldirectord.cf status`).code, 3);

    root.ok('dpkg --purge ldirectord-ts-dropin ldirectord-ts');
    assertNothingOfOurs(root);
  },
);

test(
  'beside the Perl ldirectord: the drop-in takes its place, runs a dry-run daemon as heartbeat would, and removing it gives the original back exactly',
  { skip, timeout: 600_000 },
  async () => {
    const root = freshRoot('deb-dropin');
    const perlPaths = [
      '/usr/sbin/ldirectord',
      '/etc/ha.d/resource.d/ldirectord',
      '/usr/share/man/man8/ldirectord.8.gz',
    ];
    const before = perlPaths.map((p) => identity(root.dir, p));
    assert.ok(!before.includes('absent'), 'the Perl original is installed in the root');
    const perlVersion = root.ok('ldirectord --version');

    const [deb, dropin] = carry(root, pkg.deb, pkg.dropinDeb);
    root.ok(`dpkg -i ${deb} ${dropin}`);
    assert.equal(identity(root.dir, '/usr/sbin/ldirectord'), '-> ldirectord-ts');
    assert.equal(identity(root.dir, '/usr/sbin/ldirectord.perl'), before[0]);
    assert.equal(identity(root.dir, '/etc/ha.d/resource.d/ldirectord.perl'), before[1]);
    assert.equal(identity(root.dir, '/usr/share/man/man8/ldirectord.perl.8.gz'), before[2]);
    assert.match(root.ok('ldirectord --version'), /\nldirectord-ts /);
    // Both logrotate snippets name /var/log/ldirectord.log; ours steps aside without an error.
    const logrotate = root.run('logrotate -d /etc/logrotate.conf 2>&1');
    assert.equal(logrotate.code, 0, logrotate.stdout);
    assert.doesNotMatch(logrotate.stdout, /error/i);

    // Installing both again runs every maintainer script again: nothing changes.
    const diversions = root.ok('dpkg-divert --list | sort');
    root.ok(`dpkg -i ${deb} ${dropin}`);
    assert.equal(root.ok('dpkg-divert --list | sort'), diversions);
    assert.equal(identity(root.dir, '/usr/sbin/ldirectord.perl'), before[0]);

    // A haresources line `ldirectord::web.cf`, unchanged, now runs ldirectord-ts. (A config of
    // its own: the Perl package's /etc/ha.d/ldirectord.cf stays as installed, for dpkg -V.)
    root.ok(`cat > /etc/ha.d/web.cf <<'EOF'\n${CONFIG('/var/log/ldirectord.log')}EOF`);
    const rs = '/etc/ha.d/resource.d/ldirectord';
    root.ok(`${rs} --dry-run web.cf start`);
    const pid = Number(readFileSync(root.path('/run/ldirectord.web.cf.pid'), 'utf8'));
    assert.ok(alive(pid));
    assert.match(readlinkSync(`/proc/${pid}/exe`), /\/usr\/sbin\/ldirectord-ts$/);
    await eventually(() => bothUp(root, 'web.cf'), 'both reals up');
    const status = root.run(`${rs} web.cf status`);
    assert.equal(status.code, 0);
    assert.match(status.stdout, /is running with pid/);
    root.ok(`${rs} web.cf stop`);
    await gone(pid, 'stopped');

    // Removing the drop-in while a daemon runs: the Perl files are back, byte for byte; the
    // daemon goes on, and the original's stop stops it.
    root.ok(`${rs} --dry-run web.cf start`);
    const running = Number(readFileSync(root.path('/run/ldirectord.web.cf.pid'), 'utf8'));
    root.ok('cp /var/lib/dpkg/info/ldirectord-ts-dropin.postrm /tmp/dropin.postrm');
    root.ok('dpkg -r ldirectord-ts-dropin');
    assert.ok(alive(running), 'removing the drop-in stopped nothing');
    assert.deepEqual(
      perlPaths.map((p) => identity(root.dir, p)),
      before,
    );
    assert.equal(root.ok('ldirectord --version'), perlVersion);
    root.ok('sh /tmp/dropin.postrm remove'); // again: a no-op
    assert.deepEqual(
      perlPaths.map((p) => identity(root.dir, p)),
      before,
    );
    root.ok('perl -c /usr/sbin/ldirectord 2>&1');
    const perlRunning = root.run('ldirectord web.cf status');
    assert.equal(perlRunning.code, 0, perlRunning.stderr);
    assert.match(perlRunning.stderr, new RegExp(`running with pid: ${running}`));
    root.ok('ldirectord web.cf stop');
    await gone(running, 'the Perl ldirectord stopped ldirectord-ts');
    const perlStatus = root.run('ldirectord web.cf status');
    assert.equal(perlStatus.code, 3, perlStatus.stderr);
    assert.match(`${perlStatus.stdout}${perlStatus.stderr}`, /stopped/);

    // Removing ldirectord-ts itself while its daemon runs does not stop it either.
    root.ok('ldirectord-ts --dry-run web.cf start');
    const orphan = Number(readFileSync(root.path('/run/ldirectord.web.cf.pid'), 'utf8'));
    root.ok('dpkg -r ldirectord-ts');
    assert.ok(alive(orphan), 'removing the package stopped nothing');
    process.kill(orphan, 'SIGTERM');
    await eventually(() => !alive(orphan), 'the daemon stopped on SIGTERM');

    root.ok('dpkg --purge ldirectord-ts-dropin ldirectord-ts');
    assertNothingOfOurs(root);
    assert.deepEqual(
      perlPaths.map((p) => identity(root.dir, p)),
      before,
    );
    assert.equal(root.ok('dpkg -V ldirectord'), '', 'the Perl package verifies clean');
  },
);

test(
  'an upgrade while the daemon runs: not stopped, not restarted, the IPVS table untouched',
  { skip, timeout: 600_000 },
  async () => {
    const root = freshRoot('deb-upgrade');
    // With the drop-in and the Perl original it diverts: both of ours are upgraded together.
    const [deb, dropin, nextDeb, nextDropin] = carry(
      root,
      pkg.deb,
      pkg.dropinDeb,
      next.deb,
      next.dropinDeb,
    );
    const perlProgram = identity(root.dir, '/usr/sbin/ldirectord');
    root.ok(`dpkg -i ${deb} ${dropin}`);
    const diversions = root.ok('dpkg-divert --list | sort');
    assert.match(diversions, /ldirectord-ts-dropin/);
    root.ok('mkdir -p /var/lib/fake-ipvsadm');
    root.ok(`cat > /etc/ha.d/ldirectord.cf <<'EOF'\n${CONFIG('/var/log/ldirectord.log')}EOF`);
    // As systemd would start it (the unit's ExecStart), with the fake ipvsadm for the kernel.
    const env = {
      LDIRECTORD_IPVSADM: FAKE_IPVSADM,
      FAKE_IPVSADM_STATE: '/var/lib/fake-ipvsadm/state.json',
      FAKE_IPVSADM_LOG: '/var/lib/fake-ipvsadm/log',
    };
    const binds = [REPO];
    const unit = execLines(root);
    root.ok(shellWords(unit.ExecStart!), { env, binds });
    const pid = Number(readFileSync(root.path('/run/ldirectord.ldirectord.pid'), 'utf8'));
    const state = root.path(env.FAKE_IPVSADM_STATE);
    const inTable = (): number =>
      existsSync(state)
        ? (
            JSON.parse(readFileSync(state, 'utf8')) as { services: { destinations: [] }[] }
          ).services.flatMap((v) => v.destinations).length
        : 0;
    await eventually(() => inTable() === 2, 'both reals in the fake table', 30_000);
    const tableBefore = readFileSync(state, 'utf8');
    const runsBefore = invocations(root.path(env.FAKE_IPVSADM_LOG)).length;

    const upgrade = root.run(`dpkg -i ${nextDeb} ${nextDropin}`, { env, binds });
    assert.equal(upgrade.code, 0, upgrade.stderr);
    assert.equal(root.ok('dpkg-divert --list | sort'), diversions, 'the diversions stay');
    assert.equal(identity(root.dir, '/usr/sbin/ldirectord.perl'), perlProgram);
    assert.match(root.ok('ldirectord --version'), /\+next\n$/);
    assert.match(
      root.ok('dpkg-query -W ldirectord-ts'),
      new RegExp(`\\t${next.version.replace('+', '\\+')}\\n`),
    );
    assert.match(root.ok('ldirectord-ts --version'), /\+next\n$/);

    // The same daemon, still running the executable it started from (replaced on disk).
    assert.ok(alive(pid), 'the daemon was not stopped');
    assert.equal(
      readlinkSync(`/proc/${pid}/exe`),
      '/usr/sbin/ldirectord-ts (deleted)'.replace(/^/, root.dir),
    );
    const upgradedAt = Date.now();
    await eventually(() => {
      const checked = realsOf(root, 'ldirectord').map((r) => Date.parse(r.lastCheck?.at ?? ''));
      return checked.length === 2 && checked.every((at) => at > upgradedAt);
    }, 'both reals checked again after the upgrade');
    assert.equal(readFileSync(state, 'utf8'), tableBefore, 'the IPVS table is as it was');
    assert.deepEqual(
      tableCommands(invocations(root.path(env.FAKE_IPVSADM_LOG)).slice(runsBefore)),
      [],
      'no ipvsadm command changed the table',
    );
    const status = root.run('ldirectord-ts status', { env });
    assert.equal(status.code, 0);
    assert.match(status.stderr, new RegExp(`running with pid: ${pid}`));
    const logBefore = readFileSync(root.path('/var/log/ldirectord.log'), 'utf8').length;
    root.ok(shellWords(unit.ExecReload!), { env, binds });
    await eventually(
      () =>
        readFileSync(root.path('/var/log/ldirectord.log'), 'utf8')
          .slice(logBefore)
          .includes('Reloading Linux Director Daemon config'),
      'the daemon reloaded',
    );
    assert.ok(alive(pid), 'reloaded in place');
    assert.equal(readFileSync(state, 'utf8'), tableBefore, 'the reload changed nothing');

    // Stopped when the operator says so (the new executable stopping the old daemon).
    root.ok(shellWords(unit.ExecStop!), { env, binds });
    await gone(pid, 'stopped');
    assert.equal(inTable(), 0, 'the clean stop emptied the table');
  },
);

test(
  "the .rpms: file list, scripts, and an install into a scratch root with the .debs' files",
  { skip, timeout: 300_000 },
  () => {
    const rpmList = (rpm: string): string[] =>
      spawnSync('rpm', ['-qpl', rpm], { encoding: 'utf8' }).stdout.split('\n').filter(Boolean);
    const debPaths = (deb: string): string[] =>
      debFiles(deb).filter((p) => !p.startsWith('/usr/share/lintian/'));
    // rpm lists directories too; every .deb file is in the .rpm's list.
    for (const [rpm, deb] of [
      [pkg.rpm, pkg.deb],
      [pkg.dropinRpm, pkg.dropinDeb],
    ] as const) {
      const listed = rpmList(rpm);
      for (const path of debPaths(deb)) assert.ok(listed.includes(path), `${rpm} lists ${path}`);
    }

    const scripts = spawnSync('rpm', ['-qp', '--scripts', pkg.rpm], { encoding: 'utf8' }).stdout;
    assert.match(scripts, /postinstall scriptlet/);
    assert.match(scripts, /systemctl daemon-reload/);
    assert.doesNotMatch(scripts, /\b(stop|restart|try-restart|start)\b/, 'never starts or stops');
    const provides = spawnSync('rpm', ['-qp', '--provides', pkg.dropinRpm], { encoding: 'utf8' });
    assert.match(
      provides.stdout,
      new RegExp(`^ldirectord = ${pkg.version.replaceAll('.', '\\.')}$`, 'm'),
    );

    // A scratch root: no shell to run scriptlets in, no ipvsadm to depend on.
    const scratch = scratchDir('rpm-root');
    const install = spawnSync(
      'rpm',
      ['--root', scratch, '--dbpath', '/var/lib/rpm', '-i', '--nodeps', '--noscripts'].concat([
        pkg.rpm,
        pkg.dropinRpm,
      ]),
      { encoding: 'utf8' },
    );
    assert.equal(install.status, 0, install.stderr);
    const installed = spawnSync('find', [scratch, '-not', '-type', 'd'], { encoding: 'utf8' })
      .stdout.split('\n')
      .filter(Boolean)
      .map((p) => p.slice(scratch.length))
      .filter((p) => !p.startsWith('/var/lib/rpm/'))
      .sort();
    const expected = [...debPaths(pkg.deb), ...debPaths(pkg.dropinDeb)].sort();
    assert.deepEqual(installed, expected);

    // The same contents and modes as the .debs' (unpacked with dpkg-deb -x), but for the
    // logrotate line RHEL's logrotate does not know.
    const debTree = scratchDir('deb-files');
    for (const deb of [pkg.deb, pkg.dropinDeb]) spawnSync('dpkg-deb', ['-x', deb, debTree]);
    for (const path of expected) {
      if (path === '/etc/logrotate.d/00-ldirectord-ts') {
        const rpmSide = readFileSync(join(scratch, path), 'utf8');
        const debSide = readFileSync(join(debTree, path), 'utf8');
        assert.equal(rpmSide, debSide.replace(/^\s*ignoreduplicates\n/m, ''));
      } else {
        assert.equal(identity(scratch, path), identity(debTree, path), path);
      }
      const mode = (dir: string): number => lstatSync(join(dir, path)).mode;
      assert.equal(mode(scratch), mode(debTree), `mode of ${path}`);
    }
  },
);
