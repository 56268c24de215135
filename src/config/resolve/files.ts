// The files the original opens while reading its config, probed through the environment:
// logfile (opened for append unless -d or supervised), maintenancedir (a directory),
// monitorfile (opened for append).
import { LOG_FILE_MODE } from '../../lib/append-file.ts';
import { excerpt } from '../../lib/printable.ts';
import { SYSLOG_FACILITIES } from '../../lib/syslog.ts';
import { allOf, type ConfigTree, lastOf } from '../../parser/tree.ts';
import type { GlobalConfig } from '../model.ts';
import type { ResolveContext } from './context.ts';

export interface FileChecker {
  /**
   * undefined when the file can be opened for append, else the reason (strerror text, or what
   * kind of file it is when it is one that is never written to: a FIFO, a socket...).
   * `createMode`: the mode a file created by the check gets (see openForAppend).
   */
  appendable(path: string, createMode?: number): Promise<string | undefined>;
  isDirectory(path: string): Promise<boolean>;
}

/** `debug`: like the original's -d, the logfile is not probed. */
export async function probeFiles(
  ctx: ResolveContext,
  tree: ConfigTree,
  global: GlobalConfig,
  files: FileChecker,
  debug: boolean,
): Promise<void> {
  const logfileNode = lastOf(tree.globals, 'logfile');
  if (logfileNode) {
    const path = global.logfile;
    if (path.startsWith('/')) {
      if (!debug && !global.supervised) {
        const problem = await files.appendable(path.trim(), LOG_FILE_MODE);
        if (problem !== undefined) {
          ctx.error(
            logfileNode.line,
            logfileNode.valueColumn,
            'logfile-unwritable',
            // The original's words, then why (it gives none; monitorfile's message has it).
            `unable to open logfile: ${excerpt(path)}: ${problem}`,
            'A path starting with / is a log file (a regular file, or a character device such as /dev/null); anything else is a syslog facility.',
          );
        }
      }
    } else if (!SYSLOG_FACILITIES.includes(path)) {
      ctx.warn(
        logfileNode.line,
        logfileNode.valueColumn,
        'logfile-facility',
        `logfile "${excerpt(path)}" is neither a path (starting with /) nor a syslog facility name`,
        `Syslog facilities: ${SYSLOG_FACILITIES.join(', ')}.`,
      );
    }
  }
  const maint = lastOf(tree.globals, 'maintenancedir');
  if (maint && !(await files.isDirectory(maint.value))) {
    ctx.warn(
      maint.line,
      maint.valueColumn,
      'maintenancedir-missing',
      'maintenance directory does not exist',
      /^["']/.test(maint.value)
        ? 'The value is taken as written, quotes included: write the path without quotes.'
        : 'No real server is in maintenance until it is created.',
    );
  }
  for (const node of tree.virtuals) {
    for (const d of allOf(node.directives, 'monitorfile')) {
      const problem = await files.appendable(d.value.trim());
      if (problem !== undefined) {
        ctx.error(
          d.line,
          d.valueColumn,
          'monitorfile-unwritable',
          `unable to open monitorfile ${excerpt(d.value)}: ${problem}`,
          'The file must be writable, or its directory must exist and be writable.',
        );
      }
    }
  }
}
