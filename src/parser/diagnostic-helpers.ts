// Small constructors so that every diagnostic carries file, line, column and a stable code.
import type { Diagnostic, DiagnosticCategory } from '../config/diagnostics.ts';
import { cut } from './perl.ts';

export type { Diagnostic } from '../config/diagnostics.ts';

/**
 * Longest message or hint: what quotes the input quotes an excerpt (perl.ts), and this bounds
 * whatever a message may still carry.
 */
const MAX_TEXT = 1000;

export function error(
  file: string,
  line: number,
  column: number,
  code: string,
  message: string,
  hint?: string,
): Diagnostic {
  return diagnostic('error', file, line, column, code, message, hint);
}

export function warning(
  file: string,
  line: number,
  column: number,
  code: string,
  message: string,
  hint?: string,
  category?: DiagnosticCategory,
): Diagnostic {
  return diagnostic('warning', file, line, column, code, message, hint, category);
}

function diagnostic(
  severity: Diagnostic['severity'],
  file: string,
  line: number,
  column: number,
  code: string,
  message: string,
  hint?: string,
  category?: DiagnosticCategory,
): Diagnostic {
  return {
    severity,
    file,
    line,
    column,
    code,
    message: cut(message, MAX_TEXT),
    ...(hint ? { hint: cut(hint, MAX_TEXT) } : {}),
    ...(category ? { category } : {}),
  };
}

/** A migration warning: this file behaves differently under ldirectord-ts. */
export function differsFromPerl(
  file: string,
  line: number,
  column: number,
  code: string,
  message: string,
  hint?: string,
): Diagnostic {
  return warning(file, line, column, code, message, hint, 'differs-from-perl');
}

/** Diagnostics sorted by position (stable for equal positions). */
export function sortDiagnostics(list: Diagnostic[]): Diagnostic[] {
  return list
    .map((d, i) => ({ d, i }))
    .sort((a, b) => a.d.line - b.d.line || a.d.column - b.d.column || a.i - b.i)
    .map(({ d }) => d);
}
