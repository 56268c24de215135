// What a value parser returns: the value (with optional notes), or an error.
import type { DiagnosticCategory } from '../model/diagnostics.ts';

/** A warning about a value; offset is 0-based in the value text. */
export interface Note {
  code: string;
  message: string;
  hint?: string;
  category?: DiagnosticCategory;
  offset?: number;
}

export type Outcome<T> =
  | { ok: true; value: T; notes?: Note[] }
  | { ok: false; code: string; message: string; hint?: string; offset?: number };

export function ok<T>(value: T, notes?: Note[]): Outcome<T> {
  return notes && notes.length > 0 ? { ok: true, value, notes } : { ok: true, value };
}

export function fail<T = never>(
  code: string,
  message: string,
  hint?: string,
  offset?: number,
): Outcome<T> {
  return {
    ok: false,
    code,
    message,
    ...(hint ? { hint } : {}),
    ...(offset !== undefined ? { offset } : {}),
  };
}
