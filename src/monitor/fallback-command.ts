// fallbackcommand (§3.7, §5.4): `<command> start|stop <virtual> <protocol>` when the last real
// of a virtual goes down or the first comes back. The original hands the string to Perl's
// system(), which runs it through /bin/sh only when it holds shell metacharacters and otherwise
// splits it on whitespace. We never use a shell: a command that would need one is refused.

import { virtualString } from '../config/identity.ts';
import type { VirtualService } from '../config/model.ts';

/** The characters that make Perl's system() use /bin/sh (perl's PL_sh_metachars). */
const SHELL_METACHARACTERS = /[$&*(){}[\]'";\\|?<>~`\n]/;

export type SplitCommand = { ok: true; argv: string[] } | { ok: false; reason: string };

/**
 * Split a command line as Perl's system() does when it needs no shell. Refuses what would
 * need one (metacharacters, a leading `exec ` or `. `, a leading `NAME=value`), and the empty
 * command.
 */
export function splitCommand(command: string): SplitCommand {
  const text = command.replace(/\n$/, '');
  const argv = text.split(/[ \t\n\r\f\v]+/).filter((word) => word !== '');
  if (argv.length === 0) return { ok: false, reason: 'the command is empty' };
  const metacharacter = SHELL_METACHARACTERS.exec(text);
  if (metacharacter)
    return {
      ok: false,
      reason: `shell metacharacter ${JSON.stringify(metacharacter[0])}: commands run without a shell`,
    };
  if (argv[0] === 'exec' || argv[0] === '.' || /^\w+=/.test(argv[0]!))
    return { ok: false, reason: `"${argv[0]}" needs a shell: commands run without a shell` };
  return { ok: true, argv };
}

/**
 * The arguments appended to the command: status, the virtual, its protocol. For a
 * firewall-mark virtual the mark is passed (the original passes `:0`, §6 item 20).
 */
export function fallbackCommandArgs(v: VirtualService, status: 'start' | 'stop'): string[] {
  return [status, virtualString(v), v.protocol];
}
