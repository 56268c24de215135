// A lock shared by every process on this machine (test files run in parallel, a benchmark may
// run beside them): a directory in the temp folder, created atomically, holding the owner's
// pid. A lock whose owner has died is taken over; waiting is bounded.
//
//   const release = await acquireMachineLock('ldirectord-ts-cluster', { timeoutMs: 1_200_000 });
//   try { ... } finally { await release(); }
import { mkdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface LockOptions {
  timeoutMs: number;
  /** Called once when the lock is busy, with the owner's pid. */
  onWait?: (ownerPid: number | undefined) => void;
}

/** A lock directory without a pid file this long after its creation is left over. */
const UNOWNED_GRACE_MS = 60_000;

export async function acquireMachineLock(
  name: string,
  options: LockOptions,
): Promise<() => Promise<void>> {
  const dir = join(tmpdir(), `${name}.lock`);
  const deadline = performance.now() + options.timeoutMs;
  let told = false;
  for (;;) {
    try {
      await mkdir(dir);
      await writeFile(join(dir, 'pid'), String(process.pid));
      let released = false;
      return async () => {
        if (released) return;
        released = true;
        await rm(dir, { recursive: true, force: true });
      };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    const owner = await ownerOf(dir);
    if (owner === 'gone') {
      await rm(dir, { recursive: true, force: true });
      continue;
    }
    if (!told) options.onWait?.(owner);
    told = true;
    if (performance.now() > deadline) {
      throw new Error(`${dir} still held by pid ${owner ?? '?'} after ${options.timeoutMs} ms`);
    }
    await new Promise((resolve) => setTimeout(resolve, 1000));
  }
}

/** The owner's pid, undefined while it is being written, 'gone' when the lock is left over. */
async function ownerOf(dir: string): Promise<number | undefined | 'gone'> {
  const pid = Number(await readFile(join(dir, 'pid'), 'utf8').catch(() => ''));
  if (!pid) {
    const created = await stat(dir).catch(() => undefined);
    if (!created) return 'gone';
    return Date.now() - created.mtimeMs > UNOWNED_GRACE_MS ? 'gone' : undefined;
  }
  try {
    process.kill(pid, 0);
    return pid;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'ESRCH' ? 'gone' : pid;
  }
}
