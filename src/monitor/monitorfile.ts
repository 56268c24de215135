// The monitorfile (docs/ldirectord-behavior.md §5.2): one line per check result, in the original's
// exact format
//   [<ctime>] [<pid>] <real-id as text> [<up|down>] <escaped message>
import { appendOnce } from '../lib/append-file.ts';
import { ctime } from '../log/ctime.ts';

/** service_set's escaping: % | CR LF become %xx (lower-case hex); an empty message is '-'. */
export function escapeMonitorMessage(message: string): string {
  if (message === '') return '-';
  return message.replace(/[%|\r\n]/g, (c) => `%${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
}

export function monitorLine(
  ms: number,
  pid: number,
  realText: string,
  up: boolean,
  message: string,
): string {
  const state = up ? 'up' : 'down';
  return `[${ctime(new Date(ms))}] [${pid}] ${realText} [${state}] ${escapeMonitorMessage(message)}\n`;
}

/** Appends one line to a file; rejects when the write fails. */
export type FileAppender = (file: string, line: string) => Promise<void>;

/**
 * Appends with the file opened and closed per line, as the original does (so log rotation
 * needs no signal), one write at a time per file so lines keep their order.
 */
export function createFileAppender(): FileAppender {
  const tails = new Map<string, Promise<void>>();
  return (file, line) => {
    const previous = tails.get(file) ?? Promise.resolve();
    // Never blocks: a FIFO or a socket put in the file's place is refused, not waited on.
    const write = previous.then(() => appendOnce(file, line));
    const tail = write.then(
      () => {},
      () => {},
    );
    tails.set(file, tail);
    void tail.then(() => {
      if (tails.get(file) === tail) tails.delete(file);
    });
    return write;
  };
}
