// Value checkers shared by the directive table. Each reproduces one of the original's idioms
// (which text it takes, what it rejects, its error message) and adds a hint and, where the
// original silently reads something unexpected, a warning.
import {
  cutTrailingComment,
  firstDigitRun,
  isPlainInteger,
  perlTrue,
  trimTrailingSpace,
} from '../lib/perl.ts';
import { excerpt } from '../lib/printable.ts';
import { fail, type Note, type Outcome, ok } from './outcome.ts';

export type Scope = 'global' | 'virtual';

export interface ValueContext {
  scope: Scope;
  family: 4 | 6;
  /** Inside a firewall-mark virtual service. */
  fwmark: boolean;
  /** The 1-based column in the file of an offset into the value text. */
  column(offset: number): number;
}

export type ValueParser<T = unknown> = (text: string, ctx: ValueContext) => Outcome<T>;

/**
 * The largest value a number may take, and why. The original passes any number on (to Perl's
 * sleep and alarm, or to ipvsadm, which then refuses it); Node's timers and ipvsadm have
 * limits, and a number beyond them is an error rather than an overflow (issue 17, item 5).
 */
export interface NumberRange {
  max: number;
  /** What is counted, after the number: 'seconds', ''. */
  unit: string;
  /** Where the limit comes from, for the message and the man page. */
  reason: string;
}

/** Node's timers take at most 2^31-1 ms (a longer delay fires at once). */
const TIMER_MS = 2 ** 31 - 1;
/** ipvsadm's string_to_number(..., 0, INT_MAX) for -w, -x and -y; the kernel's int. */
const INT_MAX = 2 ** 31 - 1;

export const RANGES = {
  seconds: {
    max: Math.floor(TIMER_MS / 1000),
    unit: 'seconds',
    reason: 'the longest timer Node.js can set',
  },
  count: { max: INT_MAX, unit: '', reason: 'the largest 32-bit signed integer' },
  weight: { max: INT_MAX, unit: '', reason: 'the largest weight ipvsadm accepts' },
  threshold: { max: INT_MAX, unit: '', reason: 'the largest threshold ipvsadm accepts' },
  fwmark: { max: 2 ** 32 - 1, unit: '', reason: 'firewall marks are 32 bits' },
  octet: { max: 255, unit: 'in each part', reason: 'each part of a dotted quad is one byte' },
  persistent: {
    max: 86400 * 31,
    unit: 'seconds',
    reason: 'ipvsadm -p accepts 1 second to 31 days',
  },
} as const satisfies Record<string, NumberRange>;

/** Why `n` (written as `text`, e.g. `checkinterval=...`) is out of `range`, or undefined. */
export function outOfRange(n: number, range: NumberRange, text: string): string | undefined {
  if (Number.isSafeInteger(n) && n >= 0 && n <= range.max) return undefined;
  const unit = range.unit ? ` ${range.unit}` : '';
  return `${excerpt(text)} is out of range: at most ${range.max}${unit} (${range.reason})`;
}

/**
 * An exact-match value (yes/no, a netmask): the original rejects trailing spaces and, at top
 * level, a trailing comment. We accept them with a migration warning.
 */
function exactOrTrimmed<T>(
  text: string,
  ctx: ValueContext,
  accept: (t: string) => T | undefined,
): { value: T; notes?: Note[] } | undefined {
  const exact = accept(text);
  if (exact !== undefined) return { value: exact };
  let trimmed = text;
  if (ctx.scope === 'global') trimmed = cutTrailingComment(trimmed);
  trimmed = trimTrailingSpace(trimmed);
  if (trimmed === text) return undefined;
  const lenient = accept(trimmed);
  if (lenient === undefined) return undefined;
  return {
    value: lenient,
    notes: [
      {
        code: 'trailing-text-accepted',
        category: 'differs-from-perl',
        message: `trailing ${trimmed.length < text.trimEnd().length ? 'comment' : 'spaces'} after "${excerpt(trimmed)}" ignored`,
        hint: 'The Perl original compares the whole rest of the line and rejects this value.',
        offset: trimmed.length,
      },
    ],
  };
}

export function yesNo(message: string): ValueParser<boolean> {
  return (text, ctx) => {
    const r = exactOrTrimmed(text, ctx, (t) =>
      t === 'yes' ? true : t === 'no' ? false : undefined,
    );
    if (!r) return fail('invalid-yes-no', message, 'Write yes or no (lower case).');
    return ok(r.value, r.notes);
  };
}

function digitNotes(text: string, n: number): Note[] {
  const trimmed = text.trim();
  if (isPlainInteger(trimmed)) return [];
  return [
    {
      code: 'number-from-digits',
      message: `"${excerpt(trimmed)}" is read as ${n}: only the first run of digits counts`,
      hint: 'The Perl original reads it the same way; write the number alone.',
    },
  ];
}

/**
 * `$v =~ /(\d+)/ && $1 [&& $1 > 0]`: the first run of digits anywhere.
 * rule 'nonzero': Perl-true ('0' rejected, '00' accepted as 0); 'positive': > 0; 'any'.
 */
export function digits(
  message: string,
  rule: 'nonzero' | 'positive' | 'any',
  hint: string,
): ValueParser<number> {
  return (text) => {
    const run = firstDigitRun(text);
    if (run === undefined) return fail('invalid-number', message, hint);
    const n = Number(run);
    if (rule === 'nonzero' && !perlTrue(run)) return fail('invalid-number', message, hint);
    if (rule === 'positive' && !(perlTrue(run) && n > 0))
      return fail('invalid-number', message, hint);
    const notes = digitNotes(text, n);
    if (rule === 'nonzero' && n === 0) {
      notes.push({
        code: 'number-zero',
        message: `"${excerpt(text.trim())}" is accepted as 0 (the original rejects only "0" itself)`,
        hint: 'A zero here is almost certainly a mistake.',
      });
    }
    return ok(n, notes);
  };
}

/** Non-empty text (`$v =~ /(.+)/`). */
export function nonEmpty(message: string, hint: string): ValueParser<string> {
  return (text) => (text.length > 0 ? ok(text) : fail('empty-value', message, hint));
}

export const anyText: ValueParser<string> = (text) => ok(text);

/** Always an error: a directive that the original has retired. */
export function retired(message: string, hint: string): ValueParser<never> {
  return () => fail('retired-directive', message, hint);
}
