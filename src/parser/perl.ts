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

/** Perl `quotemeta`-free display of a value inside a message: control characters escaped. */
export function printable(text: string): string {
  return text.replace(/[\u0000-\u001f\u007f]/g, (c) => {
    if (c === '\t') return '\\t';
    if (c === '\r') return '\\r';
    if (c === '\n') return '\\n';
    return `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`;
  });
}
