// Text from outside (a config line, what ipvsadm or a server printed) shown inside one of our
// messages: control characters escaped, so it stays on one line and cannot forge another, and
// cut to a bounded excerpt, so a 50 MB line is not echoed back whole.

/** The longest excerpt of a value shown inside a message, by default. */
export const EXCERPT_LENGTH = 200;

// C0 controls, DEL, C1 controls, and the Unicode line and paragraph separators.
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g;

function escapeControl(c: string): string {
  if (c === '\t') return '\\t';
  if (c === '\r') return '\\r';
  if (c === '\n') return '\\n';
  const code = c.charCodeAt(0);
  return code > 0xff ? `\\u${code.toString(16)}` : `\\x${code.toString(16).padStart(2, '0')}`;
}

/** `text` cut to at most `max` characters (then `...` and how much was left out). */
export function cut(text: string, max: number = EXCERPT_LENGTH): string {
  if (text.length <= max) return text;
  // Never split a surrogate pair.
  const end = /[\ud800-\udbff]/.test(text.charAt(max - 1)) ? max - 1 : max;
  return `${text.slice(0, end)}... (${text.length - end} more characters)`;
}

/**
 * `text` with control characters escaped (`\t`, `\r`, `\n`, `\xNN`), at most `max` characters
 * of it (then `...` and how much was left out).
 */
export function printable(text: string, max: number = EXCERPT_LENGTH): string {
  if (text.length <= max) return text.replace(CONTROL, escapeControl);
  const end = /[\ud800-\udbff]/.test(text.charAt(max - 1)) ? max - 1 : max;
  return `${text.slice(0, end).replace(CONTROL, escapeControl)}... (${text.length - end} more characters)`;
}

/** A value from the input quoted inside a message: printable() at the default length. */
export { printable as excerpt };
