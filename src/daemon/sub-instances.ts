// execute= (docs/ldirectord-behavior.md §1.8): other ldirectord-ts instances for other configs,
// started, reloaded, stopped and queried with this one. The original ran `ldirectord <key>
// <action>` through the shell, which stripped the quotes of `execute = "other.cf"`; we run our own
// program without a shell, always in daemon mode (even when this instance runs with -d), passing on
// --pid-dir and --ipvsadm so side-by-side instances stay side by side.
import { runCommand } from '../lib/run-command.ts';
import type { SelfCommand } from '../lib/self-command.ts';
import type { Logger } from '../log/logger.ts';

export interface SelfInvocation {
  /** How to run ldirectord-ts: node and the script, or the single executable. */
  command: SelfCommand;
  /** Global options to pass on (e.g. ['--pid-dir', '/tmp/p']). */
  options: string[];
}

/** The words of an execute= value: surrounding quotes removed as the shell would. */
export function instanceWords(key: string): string[] {
  return (key.match(/"[^"]*"|'[^']*'|\S+/g) ?? []).map((w) => w.replace(/^(["'])(.*)\1$/, '$2'));
}

export class SubInstances {
  private readonly self: SelfInvocation;
  private readonly log: Logger;

  constructor(self: SelfInvocation, log: Logger) {
    this.self = self;
    this.log = log;
  }

  /** Runs `ldirectord-ts <key> <action>` and returns its exit status (1 when it could not run). */
  async run(
    key: string,
    action: string,
  ): Promise<{ code: number; stdout: string; stderr: string }> {
    const words = instanceWords(key);
    if (words.length === 0) return { code: 0, stdout: '', stderr: '' };
    const r = await runCommand(
      this.self.command.file,
      [...this.self.command.prefix, ...this.self.options, ...words, action],
      { timeoutMs: 120_000 },
    );
    const code = r.code ?? 1;
    if (code !== 0) {
      this.log.info(`system(ldirectord ${words.join(' ')} ${action}) failed: exit ${code}`, {
        stderr: r.stderr.trim(),
      });
    }
    return { code, stdout: r.stdout, stderr: r.stderr };
  }

  async startAll(keys: readonly string[]): Promise<void> {
    for (const key of keys) await this.run(key, 'start');
  }

  async stopAll(keys: readonly string[]): Promise<void> {
    for (const key of keys) await this.run(key, 'stop');
  }

  /** On reload: stop the keys that left, reload-or-start the kept ones, start the new ones. */
  async reload(previous: readonly string[], next: readonly string[]): Promise<void> {
    for (const key of previous) if (!next.includes(key)) await this.run(key, 'stop');
    for (const key of next) {
      if (previous.includes(key)) {
        if ((await this.run(key, 'reload')).code !== 0) await this.run(key, 'start');
      } else {
        await this.run(key, 'start');
      }
    }
  }
}
