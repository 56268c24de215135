// Perl idioms the original's config parser relies on, reproduced exactly. The file is read
// byte-wise by Perl, where \s is [ \t\n\v\f\r] and \w is [A-Za-z0-9_]; JavaScript's \s also
// matches Unicode spaces, so the patterns here spell the ASCII classes out.

/** Perl's \s on a byte string. */
export const WS = '[\\t\\n\\v\\f\\r ]';

/** Perl's \S on a byte string, as a test for "any non-blank character". */
export const NON_WS = /[^\t\n\v\f\r ]/;

/** `$v =~ /(\d+)/`: the first run of digits anywhere in the value. */
export function firstDigitRun(value: string): string | undefined {
  return /\d+/.exec(value)?.[0];
}

/** Perl truthiness of a string: everything but '' and '0' is true ('00' is true). */
export function perlTrue(text: string | undefined): boolean {
  return text !== undefined && text !== '' && text !== '0';
}

/** A whole-value decimal integer with no sign, no junk, no surrounding space. */
export function isPlainInteger(text: string): boolean {
  return /^\d+$/.test(text);
}

// A value inside a message: control characters escaped, a long value cut to a bounded excerpt.
export { printable } from '../lib/printable.ts';
