// How a secret (a passwd= or secret= value) is kept out of everything the daemon writes: the
// one rule, used by the log and status scrubber, the checkers' reasons, the deadline's reasons,
// the parser's and `check`'s displays.
//
// The rule: a secret is masked wherever it appears as a word of its own, that is where neither
// side of it continues a word. A side continues a word when the character there is a letter, a
// digit or `_`, or is `.` or `-` with a letter or digit just beyond it (so 127.20.1.30, 1.20-3
// and x20 hold no "20", while `passwd=20`, `'20'`, `"20"`, `password 20.` and `20,` do). A
// server that quotes the password back (`using password '...'`, `got "..."`) quotes it as a
// word, so it is masked; a short password no longer masks every address and number containing
// its digits. One-character values are not masked: they would hide ordinary text and protect
// nothing.
export const MASK = '********';

const WORD = /[\p{L}\p{N}_]/u;
const ALNUM = /[\p{L}\p{N}]/u;

/** Whether the character at `at` (looking away from the secret by `step`) continues a word. */
function continuesWord(text: string, at: number, step: 1 | -1): boolean {
  const c = text[at];
  if (c === undefined) return false;
  if (WORD.test(c)) return true;
  if (c !== '.' && c !== '-') return false;
  const beyond = text[at + step];
  return beyond !== undefined && ALNUM.test(beyond);
}

/** Only the secrets worth masking, longest first so a secret holding another is masked whole. */
function prepare(secrets: Iterable<string>): string[] {
  return [...new Set(secrets)].filter((s) => s.length >= 2).sort((a, b) => b.length - a.length);
}

function maskPrepared(text: string, secrets: readonly string[]): string {
  let result = text;
  for (const secret of secrets) {
    let from = result.indexOf(secret);
    if (from === -1) continue;
    let out = '';
    let copied = 0;
    while (from !== -1) {
      const end = from + secret.length;
      if (!continuesWord(result, from - 1, -1) && !continuesWord(result, end, 1)) {
        out += result.slice(copied, from) + MASK;
        copied = end;
        from = result.indexOf(secret, end);
      } else {
        from = result.indexOf(secret, from + 1);
      }
    }
    result = out + result.slice(copied);
  }
  return result;
}

/** `text` with every secret of `secrets` masked where it appears as a word. */
export function maskSecrets(text: string, secrets: Iterable<string>): string {
  return maskPrepared(text, prepare(secrets));
}

/**
 * Last line of defence: every log line, status text and error message passes through one of
 * these, holding the passwd= and secret= values of the loaded config, so a value that reaches a
 * message by any path (a raw config line, a library's error text) is masked. It masks plain
 * text: JSON output is scrubbed string by string before it is escaped.
 */
export class SecretScrubber {
  private secrets: string[] = [];

  /** Replace the set of secrets (called on every config load and reload). */
  setSecrets(values: Iterable<string>): void {
    this.secrets = prepare(values);
  }

  scrub(text: string): string {
    return this.secrets.length === 0 ? text : maskPrepared(text, this.secrets);
  }
}
