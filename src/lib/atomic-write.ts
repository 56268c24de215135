// Writing a file whole or not at all: the text goes to a temporary file beside it, which is then
// renamed over it, so a reader never sees half a file. The temporary is created new
// (O_CREAT|O_EXCL|O_NOFOLLOW) under a random name: in a folder someone else can write to, a
// guessable name such as `<name>.<pid>.tmp` lets them plant a symlink there and have our write land
// in any file they choose. rename() replaces a symlink at the destination itself, never the file it
// points to.
import { randomBytes } from 'node:crypto';
import { closeSync, constants, fchmodSync, openSync, renameSync, unlinkSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { writeAll } from './append-file.ts';

const CREATE_NEW = constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW;

/** Replaces `path` with `text` atomically; the file gets exactly `mode`, whatever the umask. */
export function writeFileAtomic(path: string, text: string, mode: number): void {
  const data = Buffer.from(text);
  // A random name that exists already (planted, or left by a crash) is skipped, a few times.
  for (let attempt = 1; ; attempt++) {
    const tmp = join(dirname(path), `.${basename(path)}.${randomBytes(8).toString('hex')}.tmp`);
    let fd: number;
    try {
      fd = openSync(tmp, CREATE_NEW, mode);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'EEXIST' && attempt < 5) continue;
      throw error;
    }
    let open = true;
    try {
      fchmodSync(fd, mode);
      writeAll(fd, data);
      open = false;
      closeSync(fd);
      renameSync(tmp, path);
    } catch (error) {
      if (open) closeSync(fd);
      try {
        unlinkSync(tmp);
      } catch {
        // renamed or gone
      }
      throw error;
    }
    return;
  }
}
