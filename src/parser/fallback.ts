// `fallback=` / `fallback6=` values (parse_fallback, §2.7):
//   fallback = host[:port] [gate|masq|ipip]
// The original takes the last one or two whitespace-separated words (anything before them is
// skipped), the port as a trailing `:digits` or `:name`, and gate as the default method.
import { isPerlSpace, NON_WS } from '../lib/perl.ts';
import { excerpt } from '../lib/printable.ts';
import type { Forward } from '../model/domain.ts';
import { fail, type Note, type Outcome, ok } from './outcome.ts';

/** `fallback=host[:port] [gate|masq|ipip]` before resolution. */
export interface FallbackSpec {
  /** Host as written (may be `[v6]`); '' when the value was empty. */
  host: string;
  /** Port or service name; undefined when none was given. */
  port?: string;
  forward: Forward;
}

const PORT_RE = /(:(\d+|[A-Za-z0-9_-]+))?$/s;

/**
 * `(\S+)(\s+(\S+))?\s*$`, unanchored: the last one or two words and where they start. Found
 * by a scan from the end (the engine rescans from every start inside a long first word).
 */
export function lastWords(
  text: string,
): { index: number; first: string; second?: string } | undefined {
  const runStart = (end: number, space: boolean): number => {
    let i = end;
    while (i > 0 && isPerlSpace(text.charCodeAt(i - 1)) === space) i--;
    return i;
  };
  const lastEnd = runStart(text.length, true);
  if (lastEnd === 0) return undefined;
  const lastStart = runStart(lastEnd, false);
  const gapStart = runStart(lastStart, true);
  if (gapStart === lastStart || gapStart === 0) {
    return { index: lastStart, first: text.slice(lastStart, lastEnd) };
  }
  const firstStart = runStart(gapStart, false);
  return {
    index: firstStart,
    first: text.slice(firstStart, gapStart),
    second: text.slice(lastStart, lastEnd),
  };
}

export const FALLBACK_SYNTAX_HINT = 'fallback=<host>[:<port>] [gate|masq|ipip]';

export function parseFallback(value: string): Outcome<FallbackSpec> {
  const notes: Note[] = [];
  let hostPort = value;
  let fwd: string | undefined;
  const words = lastWords(value);
  if (words) {
    fwd = words.second;
    hostPort = words.first;
    if (words.index > 0 && NON_WS.test(value.slice(0, words.index))) {
      notes.push({
        code: 'fallback-leading-junk',
        message: `only the last two words are read: "${excerpt(value.slice(words.index).trim())}"`,
        hint: `Expected ${FALLBACK_SYNTAX_HINT}.`,
      });
    }
  }
  const port = PORT_RE.exec(hostPort)!;
  const host = hostPort.slice(0, port.index);
  // Perl truthiness: a method of '0' counts as none given.
  let forward: Forward = 'gate';
  if (fwd !== undefined && fwd !== '' && fwd !== '0') {
    if (fwd !== 'gate' && fwd !== 'masq' && fwd !== 'ipip') {
      return fail(
        'fallback-forward',
        'forward method must be gate, masq or ipip',
        `Expected ${FALLBACK_SYNTAX_HINT}.`,
        words ? value.length - value.slice(words.index).trimStart().length : 0,
      );
    }
    forward = fwd;
  }
  return ok({ host, ...(port[2] !== undefined ? { port: port[2] } : {}), forward }, notes);
}
