// How this program runs itself again: the daemon's detached copy and the execute= instances.
//
// Run by node (bin/ldirectord-ts, `node dist/ldirectord-ts.cjs`), the program is node plus a
// script: process.argv = [node, script, ...arguments]. As the single executable
// (packaging/README.md), the executable is the whole program: Node sets process.argv to
// [executable, <name it was invoked by>, ...arguments], so argv[1] is no script and must not be
// passed again (the copy would take it for its config file).
import { isSea } from 'node:sea';

export interface SelfCommand {
  /** The file to execute: node, or the single executable. */
  file: string;
  /** What goes before this program's own arguments: node's options and the script, or nothing. */
  prefix: string[];
  /**
   * argv[0] of the copy. The single executable keeps the name it was invoked by, so a copy
   * started through /usr/sbin/ldirectord (drop-in) still shows `/usr/sbin/ldirectord <cfg>
   * start`, which the OCF agent's `pgrep -f` looks for.
   */
  argv0: string;
}

export function selfCommand(): SelfCommand {
  if (isSea()) return { file: process.execPath, prefix: [], argv0: process.argv[1]! };
  return {
    file: process.execPath,
    prefix: [...process.execArgv, process.argv[1]!],
    argv0: process.execPath,
  };
}
