// Diagnostics: every problem found in a config file, with its position. The parser and the
// resolver collect all of them instead of stopping at the first; `check`, `start` and the log
// show them. What a diagnostic is, how one is made, sorted and shown: this file.
import { cut, printable } from '../lib/printable.ts';

export type Severity = 'error' | 'warning';

/**
 * Migration warnings, for people moving a config from the Perl original:
 * - 'differs-from-perl': this file behaves differently under ldirectord-ts (a fix or a
 *   leniency; docs/compatibility.md has the row);
 * - 'deprecated': the directive is deprecated;
 * - 'no-effect': the directive is accepted but changes nothing.
 */
export type DiagnosticCategory = 'differs-from-perl' | 'deprecated' | 'no-effect';

export interface Diagnostic {
  severity: Severity;
  file: string;
  /** 1-based; 0 when the problem is not tied to a line (e.g. the file cannot be read). */
  line: number;
  /** 1-based; 0 when unknown. */
  column: number;
  /** The original's wording where it has one (so scripts that grep it keep working). */
  message: string;
  /** What would be accepted, in a sentence; shown after the message. */
  hint?: string;
  /** Stable identifier for tests and --json, e.g. 'unknown-directive'. */
  code: string;
  /** Set on migration warnings (see DiagnosticCategory). */
  category?: DiagnosticCategory;
}

/**
 * The longest message or hint: what quotes the input quotes an excerpt (lib/printable.ts),
 * and this bounds whatever a message may still carry, when it is made and when it is shown.
 */
const MAX_TEXT = 1000;

/** The diagnostics of one file, in the order they are found. */
export class FileDiagnostics {
  readonly file: string;
  readonly list: Diagnostic[] = [];

  constructor(file: string) {
    this.file = file;
  }

  error(line: number, column: number, code: string, message: string, hint?: string): void {
    this.#add('error', line, column, code, message, hint);
  }

  warn(
    line: number,
    column: number,
    code: string,
    message: string,
    hint?: string,
    category?: DiagnosticCategory,
  ): void {
    this.#add('warning', line, column, code, message, hint, category);
  }

  /** A migration warning: this file behaves differently under ldirectord-ts. */
  differsFromPerl(
    line: number,
    column: number,
    code: string,
    message: string,
    hint?: string,
  ): void {
    this.warn(line, column, code, message, hint, 'differs-from-perl');
  }

  #add(
    severity: Severity,
    line: number,
    column: number,
    code: string,
    message: string,
    hint?: string,
    category?: DiagnosticCategory,
  ): void {
    this.list.push({
      severity,
      file: this.file,
      line,
      column,
      code,
      message: cut(message, MAX_TEXT),
      ...(hint ? { hint: cut(hint, MAX_TEXT) } : {}),
      ...(category ? { category } : {}),
    });
  }
}

/** Diagnostics sorted by position (stable for equal positions). */
export function sortDiagnostics(list: readonly Diagnostic[]): Diagnostic[] {
  return list
    .map((d, i) => ({ d, i }))
    .sort((a, b) => a.d.line - b.d.line || a.d.column - b.d.column || a.i - b.i)
    .map(({ d }) => d);
}

export function hasErrors(diagnostics: readonly Diagnostic[]): boolean {
  return diagnostics.some((d) => d.severity === 'error');
}

/** `d` as it is shown (printed, logged, in --json): message and hint printable and bounded. */
export function shownDiagnostic(d: Diagnostic): Diagnostic {
  const message = printable(d.message, MAX_TEXT);
  const hint = d.hint === undefined ? undefined : printable(d.hint, MAX_TEXT);
  if (message === d.message && hint === d.hint) return d;
  return { ...d, message, ...(hint === undefined ? {} : { hint }) };
}

/** The original's start-up error line: `Error [<pid>] reading file <file> at line <n>: <msg>`. */
export function formatOriginalStyle(d: Diagnostic, pid: number = process.pid): string {
  const kind = d.severity === 'error' ? 'Error' : 'Warning';
  const where = d.line > 0 ? ` reading file ${d.file} at line ${d.line}` : '';
  return `${kind} [${pid}]${where}: ${shownDiagnostic(d).message}`;
}

/** Compiler-style line: `<file>:<line>:<col>: error: <msg> (<hint>)`. */
export function formatDiagnostic(d: Diagnostic): string {
  const pos = d.line > 0 ? `${d.file}:${d.line}:${Math.max(d.column, 1)}` : d.file;
  const shown = shownDiagnostic(d);
  const hint = shown.hint ? `\n  ${shown.hint}` : '';
  return `${pos}: ${d.severity}: ${shown.message}${hint}`;
}
