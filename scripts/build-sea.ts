// The single executable: the pinned Node 24 with the esbuild bundle injected as a single
// executable application (SEA), so a director needs no Node of its own.
//
//   node scripts/build-sea.ts      writes dist/ldirectord-ts (after `node scripts/build.ts`)
//
// Steps: `node --experimental-sea-config` turns the bundle into a blob, with V8's code cache
// for it (status starts in about half the time: BENCHMARKS.md); the node binary is copied and
// stripped of its symbols (12 MB; V8, ICU and the rest stay); postject puts the blob into it.
// postject is the tool Node's SEA documentation names for that step (a devDependency, pinned:
// it is still an alpha). The result is reused while its inputs (the bundle, this node, postject,
// this script) are unchanged: the key beside it is their hash.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  chmodSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { BUNDLE, root } from './build.ts';

export const EXECUTABLE = `${root}dist/ldirectord-ts`;
/** The sentinel Node's SEA support looks for; fixed by Node (doc/api/single-executable-applications.md). */
const FUSE = 'NODE_SEA_FUSE_fce680ab2cc467b6e072b8b5df1996b2';

const SEA_SETTINGS = {
  disableExperimentalSEAWarning: true,
  useCodeCache: true,
  // A startup snapshot would need the bundle rewritten around v8.startupSnapshot; the code
  // cache already brings status under 100 ms (BENCHMARKS.md).
  useSnapshot: false,
};

function run(command: string, args: string[], cwd?: string): void {
  const r = spawnSync(command, args, { encoding: 'utf8', cwd });
  if (r.status !== 0) {
    throw new Error(`${command} ${args.join(' ')} failed (${r.status ?? r.signal}):\n${r.stderr}`);
  }
}

function fileHash(path: string): string {
  return createHash('sha256').update(readFileSync(path)).digest('hex');
}

/** Builds `outfile` from `bundlePath` with this process's node, unless an identical one is there. */
export function buildExecutable(bundlePath = BUNDLE, outfile = EXECUTABLE): string {
  const node = process.execPath;
  if (Number(process.versions.node.split('.')[0]) < 24) {
    throw new Error(`the executable is built from Node 24, this is ${process.version}`);
  }
  const postject = join(root, 'node_modules/postject/dist/cli.js');
  const key = createHash('sha256')
    .update(fileHash(bundlePath))
    .update(fileHash(node))
    .update(readFileSync(join(root, 'node_modules/postject/package.json')))
    .update(JSON.stringify(SEA_SETTINGS))
    .update(basename(bundlePath))
    .update(readFileSync(new URL(import.meta.url)))
    .digest('hex');
  const keyFile = `${outfile}.key`;
  if (existsSync(outfile) && existsSync(keyFile) && readFileSync(keyFile, 'utf8') === key) {
    return outfile;
  }
  rmSync(keyFile, { force: true });
  mkdirSync(dirname(outfile), { recursive: true });
  const blob = `${outfile}.blob`;
  const config = `${outfile}.sea.json`;
  // main is given relative to the bundle's folder: the blob keeps the name as given, and import()
  // in the executable resolves from it, so a build path must not be in it (nothing is imported
  // at run time from a complete bundle; a bundle with a module left out looks in the cwd).
  writeFileSync(
    config,
    JSON.stringify({ main: basename(bundlePath), output: blob, ...SEA_SETTINGS }),
  );
  run(node, ['--experimental-sea-config', config], dirname(bundlePath));
  const partial = `${outfile}.partial`;
  copyFileSync(node, partial);
  chmodSync(partial, 0o755);
  run('strip', ['--strip-all', partial]);
  run(node, [postject, partial, 'NODE_SEA_BLOB', blob, '--sentinel-fuse', FUSE]);
  renameSync(partial, outfile);
  rmSync(blob);
  rmSync(config);
  writeFileSync(keyFile, key);
  return outfile;
}

if (import.meta.main) {
  if (!existsSync(BUNDLE)) throw new Error(`${BUNDLE} is missing: run npm run build first`);
  console.log(buildExecutable());
}
