// `fallback=` / `fallback6=` values (parse_fallback, §2.7):
//   fallback = host[:port] [gate|masq|ipip]
// The original takes the last one or two whitespace-separated words (anything before them is
// skipped), the port as a trailing `:digits` or `:name`, and gate as the default method.
import type { Forward } from '../config/model.ts';
import { fail, type Note, type Outcome, ok } from './outcome.ts';
import { NON_WS, printable, WS } from './perl.ts';
import type { FallbackSpec } from './tree.ts';

const WORDS_RE = new RegExp(`([^\\t\\n\\v\\f\\r ]+)(${WS}+([^\\t\\n\\v\\f\\r ]+))?${WS}*$`, 's');
const PORT_RE = /(:(\d+|[A-Za-z0-9_-]+))?$/s;

export const FALLBACK_SYNTAX_HINT = 'fallback=<host>[:<port>] [gate|masq|ipip]';

export function parseFallback(value: string): Outcome<FallbackSpec> {
  const notes: Note[] = [];
  let hostPort = value;
  let fwd: string | undefined;
  const words = WORDS_RE.exec(value);
  if (words) {
    fwd = words[3];
    hostPort = words[1]!;
    if (words.index > 0 && NON_WS.test(value.slice(0, words.index))) {
      notes.push({
        code: 'fallback-leading-junk',
        message: `only the last two words are read: "${printable(value.slice(words.index).trim())}"`,
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
        words ? words.index + words[0].length - words[0].trimStart().length : 0,
      );
    }
    forward = fwd;
  }
  return ok({ host, ...(port[2] !== undefined ? { port: port[2] } : {}), forward }, notes);
}
