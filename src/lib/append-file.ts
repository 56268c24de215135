// Opening the files the daemon appends to (logfile=, monitorfile=). The one rule: a regular
// file (or none yet: it is created), or a character device such as /dev/null. Opening a FIFO
// for writing blocks until something reads it, which hung `start` and every later reload, so
// the open is non-blocking (a FIFO without a reader fails at once, ENXIO) and what was opened
// is looked at before anything is written. Symlinks are followed, as the original follows them.
import {
  closeSync,
  constants,
  fchmodSync,
  fstatSync,
  openSync,
  type Stats,
  statSync,
  writeSync,
} from 'node:fs';

/** The log file's mode when ldirectord-ts creates it: not world-readable, whatever the umask. */
export const LOG_FILE_MODE = 0o640;

const APPEND = constants.O_WRONLY | constants.O_APPEND | constants.O_NONBLOCK;

/** Why a file of this kind cannot be appended to; undefined when it can. */
export function appendTargetProblem(stats: Stats): string | undefined {
  if (stats.isFile() || stats.isCharacterDevice()) return undefined;
  const kind = stats.isFIFO()
    ? 'is a FIFO'
    : stats.isSocket()
      ? 'is a socket'
      : stats.isDirectory()
        ? 'is a directory'
        : stats.isBlockDevice()
          ? 'is a block device'
          : 'is not a regular file';
  return `${kind}: only a regular file or a character device such as /dev/null can be appended to`;
}

/** An existing file of a kind that is never written to (a FIFO, a socket, a directory...). */
export class AppendTargetError extends Error {
  readonly code = 'ENOTREG';
}

/**
 * Opens `path` for appending without ever blocking, creating it when missing. `createMode`:
 * the exact mode a created file gets, whatever the umask; without it, 0666 less the umask (the
 * original's way). An existing file's mode is never changed.
 */
export function openForAppend(path: string, createMode?: number): number {
  for (let attempt = 1; ; attempt++) {
    let fd: number;
    let created = false;
    try {
      fd = openSync(path, APPEND | constants.O_CREAT | constants.O_EXCL, createMode ?? 0o666);
      created = true;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      try {
        fd = openSync(path, APPEND);
      } catch (again) {
        const code = (again as NodeJS.ErrnoException).code;
        // Removed between the two opens: try again; a FIFO without a reader: say what it is.
        if (code === 'ENOENT' && attempt < 3) continue;
        if (code === 'ENXIO') throw kindError(path) ?? again;
        throw again;
      }
    }
    try {
      const problem = appendTargetProblem(fstatSync(fd));
      if (problem !== undefined) throw new AppendTargetError(problem);
      if (created && createMode !== undefined) fchmodSync(fd, createMode);
    } catch (error) {
      closeSync(fd);
      throw error;
    }
    return fd;
  }
}

/** Appends one piece of text to `path`, opened and closed for it (the monitorfile's way). */
export function appendOnce(path: string, text: string): void {
  const fd = openForAppend(path);
  try {
    writeAll(fd, Buffer.from(text));
  } finally {
    closeSync(fd);
  }
}

/** Writes all of `data` (a write to a file may take only part of it). */
export function writeAll(fd: number, data: Buffer): void {
  for (let written = 0; written < data.length;) written += writeSync(fd, data, written);
}

function kindError(path: string): AppendTargetError | undefined {
  try {
    const problem = appendTargetProblem(statSync(path));
    return problem === undefined ? undefined : new AppendTargetError(problem);
  } catch {
    return undefined;
  }
}
