// Notices that the config file changed on disk (docs/ldirectord-behavior.md §5.5). chokidar is the
// fast trigger (it copes with editors' atomic saves and delete-then-recreate); the original's own
// test runs as the safety net on every check cycle: stat the file and, when mtime, inode or size
// moved, hash it. A change is reported only when the content hash differs from the last one seen,
// so a `touch` never triggers (as the original), and a file that is missing is reported once.
import { createHash } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import { type FSWatcher, watch } from 'chokidar';

export interface ConfigChange {
  /** The file cannot be read (deleted, permissions): the caller keeps the old config. */
  missing: boolean;
}

export interface ConfigWatcherOptions {
  onChange: (change: ConfigChange) => void;
  /** Use chokidar as a trigger in addition to poll(). Default true. */
  watchFiles?: boolean;
  /** Quiet time after a file event before checking, so a multi-step save is seen whole. */
  settleMs?: number;
}

interface Fingerprint {
  mtimeMs: number;
  ino: number;
  size: number;
}

export class ConfigWatcher {
  readonly path: string;
  private readonly options: ConfigWatcherOptions;
  private fingerprint: Fingerprint | undefined;
  private hash: string | undefined;
  private watcher: FSWatcher | undefined;
  private settleTimer: NodeJS.Timeout | undefined;

  constructor(path: string, options: ConfigWatcherOptions) {
    this.path = path;
    this.options = options;
  }

  /** Remembers the current content; later changes are measured against it. */
  start(): void {
    this.remember();
    if (this.options.watchFiles !== false) {
      this.watcher = watch(this.path, { ignoreInitial: true, atomic: 100 });
      this.watcher.on('all', () => this.scheduleCheck());
      this.watcher.on('error', () => {
        // The poll on every cycle still catches changes.
      });
    }
  }

  /** After a reload by signal: the original resets its memory, so this content is the new base. */
  reset(): void {
    this.remember();
  }

  /** The original's per-cycle test. Returns true when a change was reported. */
  poll(): boolean {
    const fingerprint = this.stat();
    if (fingerprint && this.fingerprint && sameFingerprint(fingerprint, this.fingerprint)) {
      return false;
    }
    this.fingerprint = fingerprint;
    const hash = fingerprint ? this.read() : undefined;
    if (hash === this.hash) return false;
    this.hash = hash;
    this.options.onChange({ missing: hash === undefined });
    return true;
  }

  async close(): Promise<void> {
    if (this.settleTimer) clearTimeout(this.settleTimer);
    await this.watcher?.close();
  }

  private scheduleCheck(): void {
    if (this.settleTimer) clearTimeout(this.settleTimer);
    this.settleTimer = setTimeout(() => this.poll(), this.options.settleMs ?? 200);
  }

  private remember(): void {
    this.fingerprint = this.stat();
    this.hash = this.fingerprint ? this.read() : undefined;
  }

  private stat(): Fingerprint | undefined {
    try {
      const s = statSync(this.path);
      return { mtimeMs: s.mtimeMs, ino: s.ino, size: s.size };
    } catch {
      return undefined;
    }
  }

  private read(): string | undefined {
    try {
      return createHash('md5').update(readFileSync(this.path)).digest('hex');
    } catch {
      return undefined;
    }
  }
}

function sameFingerprint(a: Fingerprint, b: Fingerprint): boolean {
  return a.mtimeMs === b.mtimeMs && a.ino === b.ino && a.size === b.size;
}
