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

/**
 * `text` with control characters escaped (`\t`, `\r`, `\n`, `\xNN`), at most `max` characters
 * of it (then `...` and how much was left out).
 */
export function printable(text: string, max: number = EXCERPT_LENGTH): string {
  let shown = text;
  let cut = 0;
  if (shown.length > max) {
    let end = max;
    // Never split a surrogate pair.
    if (/[\ud800-\udbff]/.test(shown.charAt(end - 1))) end--;
    cut = shown.length - end;
    shown = shown.slice(0, end);
  }
  const escaped = shown.replace(CONTROL, escapeControl);
  return cut > 0 ? `${escaped}... (${cut} more characters)` : escaped;
}
