// fallbackcommand (docs/ldirectord-behavior.md §3.7, §5.4): `<command> start|stop <virtual>
// <protocol>` when the last real of a virtual goes down or the first comes back. The original hands
// the string to Perl's system(), which runs it through /bin/sh only when it holds shell
// metacharacters and otherwise splits it on whitespace. We never use a shell: a command that would
// need one is refused.

import { virtualString } from '../config/identity.ts';
import type { VirtualService } from '../config/model.ts';

export { type SplitCommand, splitCommand } from '../lib/split-command.ts';

/**
 * The arguments appended to the command: status, the virtual, its protocol. For a
 * firewall-mark virtual the mark is passed (the original passes `:0`,
 * docs/ldirectord-behavior.md §6 item 20).
 */
export function fallbackCommandArgs(v: VirtualService, status: 'start' | 'stop'): string[] {
  return [status, virtualString(v), v.protocol];
}
