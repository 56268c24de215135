// The pid file (docs/ldirectord-behavior.md §1.2): `<dir>/ldirectord.<CFGNAME>.pid` holding
// `<pid>\n`, where CFGNAME is the basename of the config argument as given (`ldirectord` when none
// was given). systemd's PIDFile= and the OCF agent depend on this name. A daemon counts as running
// when the pid's /proc/<pid>/cmdline mentions "ldirectord", as the original tests it.
import { readFileSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomic } from '../lib/atomic-write.ts';
import { folderWriters } from './safe-folder.ts';

export const DEFAULT_PID_DIR = '/var/run';

export function pidFilePath(cfgname: string, pidDir: string = DEFAULT_PID_DIR): string {
  return join(pidDir, `ldirectord.${cfgname}.pid`);
}

export type PidState =
  { kind: 'none' } | { kind: 'running'; pid: number } | { kind: 'stale'; pid: number };

/** none: no file, or an empty one (the original treats both alike); stale: pid not ours. */
export function readPidState(path: string, procRoot = '/proc'): PidState {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    return { kind: 'none' };
  }
  const first = text.split('\n', 1)[0]!.trim();
  if (first === '') return { kind: 'none' };
  const pid = Number(first);
  if (!Number.isInteger(pid) || pid <= 0) return { kind: 'stale', pid: 0 };
  return isLdirectordProcess(pid, procRoot) ? { kind: 'running', pid } : { kind: 'stale', pid };
}

export function isLdirectordProcess(pid: number, procRoot = '/proc'): boolean {
  try {
    return readFileSync(join(procRoot, String(pid), 'cmdline'), 'latin1').includes('ldirectord');
  } catch {
    return false;
  }
}

/** Written whole or not at all: a reader never sees the empty file the original briefly leaves. */
export function writePidFile(path: string, pid: number = process.pid): void {
  writeFileAtomic(path, `${pid}\n`, 0o644);
}

/**
 * Why the daemon must not keep its pid file (and status file) in `dir`, if it must not: a
 * folder another user can write to, unless it is sticky like /tmp (there nobody can replace or
 * remove a file they do not own). Such a user could swap our files, or point root's writes
 * elsewhere. A folder that does not exist (yet) is not judged here: writing in it fails plainly.
 */
export function pidDirProblem(
  dir: string,
  uid: number = process.getuid?.() ?? 0,
): string | undefined {
  const who = folderWriters(dir, uid);
  if (who === undefined) return undefined;
  const fix = `make it writable by its owner only (chmod go-w ${dir}) or sticky (chmod +t ${dir})`;
  return `pid folder ${dir} is writable by ${who} and not sticky: refusing to keep the pid file there; ${fix}`;
}

/** Removes the file only when it still names `pid`, so a stray call never orphans a daemon. */
export function removePidFile(path: string, pid: number = process.pid): void {
  try {
    if (readFileSync(path, 'utf8').split('\n', 1)[0]!.trim() === String(pid)) unlinkSync(path);
  } catch {
    // already gone
  }
}
