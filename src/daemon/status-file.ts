// The daemon's state as JSON beside its pid file, for `ldirectord-ts status --json` (which must
// answer without talking to the daemon, as the OCF agent calls status every 20 s). Written
// atomically, at most a few times a second, and removed when the daemon stops.
import { rmSync } from 'node:fs';
import { writeFileAtomic } from '../lib/atomic-write.ts';

export function statusFilePath(pidFile: string): string {
  return pidFile.replace(/\.pid$/, '') + '.status.json';
}

export class StatusFile {
  readonly path: string;
  private readonly snapshot: () => unknown;
  private timer: NodeJS.Timeout | undefined;
  private readonly delayMs: number;
  /** The last line of defence for passwords, as for log lines. */
  private readonly scrub: (text: string) => string;

  constructor(
    path: string,
    snapshot: () => unknown,
    scrub: (text: string) => string = (text) => text,
    delayMs = 250,
  ) {
    this.path = path;
    this.snapshot = snapshot;
    this.scrub = scrub;
    this.delayMs = delayMs;
  }

  /** Something changed: write soon (changes within the delay are written once). */
  changed(): void {
    if (this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.write();
    }, this.delayMs);
    this.timer.unref();
  }

  write(): void {
    try {
      // Each string is scrubbed before JSON escapes it, so a secret with a quote is masked too.
      const text = JSON.stringify(
        this.snapshot(),
        (_key, value: unknown) => (typeof value === 'string' ? this.scrub(value) : value),
        2,
      );
      writeFileAtomic(this.path, `${text}\n`, 0o644);
    } catch {
      // The status file is a convenience; the daemon's work never depends on it.
    }
  }

  remove(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    rmSync(this.path, { force: true });
  }
}
