// Perl idioms the original relies on, reproduced exactly: how its config parser cuts and
// trims text, and what its checks take for true. The file is read byte-wise by Perl, where \s
// is [ \t\n\v\f\r] and \w is [A-Za-z0-9_]; JavaScript's \s also matches Unicode spaces, so
// the patterns here spell the ASCII classes out.

/** Perl's \s on a byte string. */
export const WS = '[\\t\\n\\v\\f\\r ]';

/** Perl's \s as a test of one character (by code: TAB, LF, VT, FF, CR, space). */
export function isPerlSpace(code: number): boolean {
  return code === 32 || (code >= 9 && code <= 13);
}

/** End of the run of Perl \s that starts at `from` (`from` itself when there is none). */
export function spaceRunEnd(text: string, from: number): number {
  let i = from;
  while (i < text.length && isPerlSpace(text.charCodeAt(i))) i++;
  return i;
}

/** `$v =~ s/\s+$//`, by a scan from the end (the pattern backtracks over every run of spaces). */
export function trimTrailingSpace(text: string): string {
  let end = text.length;
  while (end > 0 && isPerlSpace(text.charCodeAt(end - 1))) end--;
  return end === text.length ? text : text.slice(0, end);
}

/**
 * `$v =~ s/\s+#.*$//s` (a trailing comment and the spaces before it), by one scan: the match
 * starts at the first run of spaces that ends at a '#'.
 */
export function cutTrailingComment(text: string): string {
  let runStart = -1;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (isPerlSpace(code)) {
      if (runStart < 0) runStart = i;
    } else if (code === 35 /* # */ && runStart >= 0) {
      return text.slice(0, runStart);
    } else runStart = -1;
  }
  return text;
}

/** Perl's `split` on a comma and the spaces around it, by one scan (trailing '' kept). */
export function splitOnComma(text: string): string[] {
  const pieces = text.split(',');
  if (pieces.length === 1) return pieces;
  return pieces.map((piece, i) => {
    const start = i > 0 ? spaceRunEnd(piece, 0) : 0;
    const kept = i < pieces.length - 1 ? trimTrailingSpace(piece) : piece;
    return kept.slice(Math.min(start, kept.length));
  });
}

/** Perl's \S on a byte string, as a test for "any non-blank character". */
export const NON_WS = /[^\t\n\v\f\r ]/;

/** `$v =~ /(\d+)/`: the first run of digits anywhere in the value. */
export function firstDigitRun(value: string): string | undefined {
  return /\d+/.exec(value)?.[0];
}

/**
 * Perl truthiness of a string (`$$v{login} && ...`): everything but '' and '0' is true ('00'
 * is true).
 */
export function perlTrue(text: string | undefined): boolean {
  return text !== undefined && text !== '' && text !== '0';
}

/** A whole-value decimal integer with no sign, no junk, no surrounding space. */
export function isPlainInteger(text: string): boolean {
  return /^\d+$/.test(text);
}
