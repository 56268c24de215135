// A clean Debian 12 root for the package tests, as on a director: mmdebstrap --variant=minbase
// from the machine's Debian apt sources, plus ipvsadm, logrotate, netbase and the Perl ldirectord
// (the original that the drop-in package diverts and must give back); no nodejs.
//
// Built once into a tarball under /var/cache/ldirectord-ts-test (LDTS_ROOT_CACHE), named by a
// hash of what goes into it, so a clean clone reuses it and a change of the package list builds
// a new one. The first build downloads about 60 MB and takes 1.5 to 3 minutes (README.md);
// each test then unpacks a fresh copy of its own (about 3 s, 380 MB).
//
// Commands run in the root through chroot, each in a private mount namespace that mounts /proc
// (and, when asked, read-only binds of host folders) and unmounts them when the last process in
// it ends, so nothing stays mounted on the host. Daemons started in the root outlive the command
// that started them, as on a real machine.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';

const CACHE = process.env.LDTS_ROOT_CACHE ?? '/var/cache/ldirectord-ts-test';
const SUITE = 'bookworm';
const PACKAGES = ['ipvsadm', 'logrotate', 'netbase', 'ldirectord'];
const DEFAULT_SOURCES = [
  'deb http://deb.debian.org/debian bookworm main',
  'deb http://deb.debian.org/debian bookworm-updates main',
  'deb http://deb.debian.org/debian-security bookworm-security main',
];
const PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

/** The Debian programs these tests need; what is missing, as a sentence (undefined if none). */
export function missingTools(): string | undefined {
  const tools = ['mmdebstrap', 'dpkg-deb', 'dpkg-shlibdeps', 'rpmbuild', 'lintian', 'unshare'];
  const missing = tools.filter((t) => spawnSync('sh', ['-c', `command -v ${t}`]).status !== 0);
  if (missing.length === 0) return undefined;
  return `missing ${missing.join(', ')} (test/setup/setup.sh installs mmdebstrap, dpkg-dev, rpm, lintian)`;
}

/** One-line apt sources for the suite, from the machine's own (deb822 or one-line files). */
export function debianSources(): string[] {
  const found: string[] = [];
  const dir = '/etc/apt/sources.list.d';
  const files = existsSync(dir) ? readdirSync(dir).map((f) => join(dir, f)) : [];
  for (const file of ['/etc/apt/sources.list', ...files]) {
    if (!existsSync(file)) continue;
    const text = readFileSync(file, 'utf8');
    if (file.endsWith('.sources')) {
      for (const paragraph of text.split(/\n\s*\n/)) {
        const field = (name: string): string[] =>
          new RegExp(`^${name}:\\s*(.*)$`, 'mi').exec(paragraph)?.[1]?.trim().split(/\s+/) ?? [];
        if (!field('Types').includes('deb') || /^Enabled:\s*no/im.test(paragraph)) continue;
        for (const uri of field('URIs')) {
          for (const suite of field('Suites')) {
            found.push(`deb ${uri} ${suite} ${field('Components').join(' ')}`);
          }
        }
      }
    } else if (file.endsWith('.list')) {
      for (const line of text.split('\n')) {
        const m = /^deb\s+(?:\[[^\]]*\]\s+)?(\S+)\s+(\S+)\s+(.+)$/.exec(line.trim());
        if (m) found.push(`deb ${m[1]} ${m[2]} ${m[3]}`);
      }
    }
  }
  const suites = new RegExp(`^deb \\S+ ${SUITE}(-updates|-security)? `);
  const ours = found.filter((s) => suites.test(s));
  return ours.length > 0 ? ours : DEFAULT_SOURCES;
}

/** The cached tarball of the root, built first when missing. */
export function rootTarball(): string {
  const sources = debianSources();
  const version = spawnSync('mmdebstrap', ['--version'], { encoding: 'utf8' }).stdout.trim();
  const key = createHash('sha256')
    .update(JSON.stringify({ SUITE, PACKAGES, sources, version, variant: 'minbase' }))
    .digest('hex')
    .slice(0, 16);
  const tarball = join(CACHE, `debian-${SUITE}-minbase-${key}.tar`);
  if (existsSync(tarball)) return tarball;
  mkdirSync(CACHE, { recursive: true });
  const partial = `${tarball}.${process.pid}.partial`;
  const r = spawnSync(
    'mmdebstrap',
    [
      '--variant=minbase',
      '--format=tar',
      `--include=${PACKAGES.join(',')}`,
      '--quiet',
      SUITE,
      partial,
      ...sources,
    ],
    { encoding: 'utf8', timeout: 900_000, env: { ...process.env, LC_ALL: 'C' } },
  );
  if (r.status !== 0) {
    rmSync(partial, { force: true });
    throw new Error(`mmdebstrap failed (${r.status ?? r.signal}):\n${r.stderr.slice(-3000)}`);
  }
  renameSync(partial, tarball);
  return tarball;
}

export interface RootResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export class DebianRoot {
  readonly dir: string;

  private constructor(dir: string) {
    this.dir = dir;
  }

  /** A fresh copy of the cached root (building the cache first when missing). */
  static create(name: string): DebianRoot {
    const tarball = rootTarball();
    const dir = mkdtempSync(join('/var/tmp', `ldts-${name}-`));
    const r = spawnSync('tar', ['-xf', tarball, '-C', dir], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`tar -xf ${tarball}: ${r.stderr}`);
    // A root thrown away after the test gains nothing from dpkg's fsync of every file, which
    // costs most of an install of the 110 MB executable on a busy disk.
    writeFileSync(join(dir, 'etc/dpkg/dpkg.cfg.d/unsafe-io'), 'force-unsafe-io\n');
    return new DebianRoot(dir);
  }

  /** A path inside the root, as seen from the host. */
  path(path: string): string {
    return join(this.dir, path);
  }

  /**
   * Runs `script` with /bin/sh inside the root, as root, with a clean environment plus `env`.
   * `binds` are host folders mounted read-only at the same path inside.
   */
  run(
    script: string,
    options: { env?: Record<string, string>; binds?: string[]; timeoutMs?: number } = {},
  ): RootResult {
    const setup = [
      'set -e',
      'root=$1; script=$2; shift 2',
      'mount -t proc proc "$root/proc"',
      'for b in "$@"; do',
      '  mkdir -p "$root$b"',
      '  mount --bind "$b" "$root$b"',
      '  mount -o remount,bind,ro "$root$b"',
      'done',
      'exec chroot "$root" /bin/sh -c "$script"',
    ].join('\n');
    const r = spawnSync(
      'unshare',
      [
        '--mount',
        '--propagation',
        'private',
        '--',
        'sh',
        '-c',
        setup,
        'sh',
        this.dir,
        script,
        ...(options.binds ?? []),
      ],
      {
        encoding: 'utf8',
        timeout: options.timeoutMs ?? 180_000,
        env: {
          PATH,
          LC_ALL: 'C',
          HOME: '/root',
          DEBIAN_FRONTEND: 'noninteractive',
          ...options.env,
        },
      },
    );
    return { code: r.status, stdout: r.stdout ?? '', stderr: r.stderr ?? '' };
  }

  /** run(), failing with its output unless it exits 0; returns stdout. */
  ok(script: string, options: Parameters<DebianRoot['run']>[1] = {}): string {
    const r = this.run(script, options);
    if (r.code !== 0) {
      throw new Error(`in the root: ${script}\nexit ${r.code}\n${r.stdout}${r.stderr}`);
    }
    return r.stdout;
  }

  /** The processes whose root is this root (daemons a test left running). */
  processes(): number[] {
    const pids: number[] = [];
    for (const name of readdirSync('/proc')) {
      if (!/^\d+$/.test(name)) continue;
      try {
        if (readlinkSync(`/proc/${name}/root`) === this.dir) pids.push(Number(name));
      } catch {
        // gone, or not ours to look at
      }
    }
    return pids;
  }

  /** Kills what still runs in the root, then removes it. */
  close(): void {
    for (const pid of this.processes()) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
    spawnSync('rm', ['-rf', '--one-file-system', this.dir]);
  }
}
