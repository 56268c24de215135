// Character sets for the Perl-regex translator (src/lib/perl-regex.ts), as sorted lists of
// inclusive code-point ranges. Everything here follows Perl's rules for byte strings (the
// receive string and the response body are bytes in ldirectord): \w, \s, \d and the POSIX
// classes are ASCII only, /i folds ASCII letters only, and \h, \v are Perl's fixed lists.
// A set is emitted as an explicit JavaScript class, so JavaScript's own (Unicode) notion of
// \s or of case never applies.

export type CharSet = ReadonlyArray<readonly [number, number]>;

/** The universe of code points a set can hold; subjects are latin1 text (<= 0xFF). */
const MAX = 0xffff;

export function normalize(ranges: Iterable<readonly [number, number]>): CharSet {
  const sorted = [...ranges].filter(([lo, hi]) => lo <= hi).sort((a, b) => a[0] - b[0]);
  const out: [number, number][] = [];
  for (const [lo, hi] of sorted) {
    const last = out.at(-1);
    if (last && lo <= last[1] + 1) last[1] = Math.max(last[1], hi);
    else out.push([lo, hi]);
  }
  return out;
}

export function union(...sets: CharSet[]): CharSet {
  return normalize(sets.flat());
}

export function complement(set: CharSet): CharSet {
  const out: [number, number][] = [];
  let next = 0;
  for (const [lo, hi] of normalize(set)) {
    if (lo > next) out.push([next, lo - 1]);
    next = hi + 1;
  }
  if (next <= MAX) out.push([next, MAX]);
  return out;
}

/** Adds the other case of every ASCII letter in the set (Perl's /i on byte strings). */
export function foldAscii(set: CharSet): CharSet {
  const extra: [number, number][] = [];
  for (const [lo, hi] of set) {
    const upLo = Math.max(lo, 0x41);
    const upHi = Math.min(hi, 0x5a);
    if (upLo <= upHi) extra.push([upLo + 32, upHi + 32]);
    const lowLo = Math.max(lo, 0x61);
    const lowHi = Math.min(hi, 0x7a);
    if (lowLo <= lowHi) extra.push([lowLo - 32, lowHi - 32]);
  }
  return normalize([...set, ...extra]);
}

const chars = (...codes: number[]): CharSet => normalize(codes.map((c) => [c, c] as const));

export const DIGIT: CharSet = [[0x30, 0x39]];
export const WORD: CharSet = normalize([
  [0x30, 0x39],
  [0x41, 0x5a],
  [0x5f, 0x5f],
  [0x61, 0x7a],
]);
/** \s for byte strings: tab, newline, vertical tab, form feed, carriage return, space. */
export const SPACE: CharSet = normalize([
  [0x09, 0x0d],
  [0x20, 0x20],
]);
/** \h: the same list whatever the string's encoding (perlrecharclass). */
export const HORIZONTAL: CharSet = normalize([
  ...chars(0x09, 0x20, 0xa0, 0x1680, 0x202f, 0x205f, 0x3000),
  [0x2000, 0x200a],
]);
/** \v: likewise fixed; includes NEL (0x85). */
export const VERTICAL: CharSet = normalize([[0x0a, 0x0d], ...chars(0x85, 0x2028, 0x2029)]);
export const NEWLINE: CharSet = chars(0x0a);
export const ANY: CharSet = [[0, MAX]];

/** POSIX classes inside brackets, ASCII only as Perl has them for byte strings. */
export const POSIX: Readonly<Record<string, CharSet>> = {
  alpha: normalize([
    [0x41, 0x5a],
    [0x61, 0x7a],
  ]),
  digit: DIGIT,
  alnum: normalize([
    [0x30, 0x39],
    [0x41, 0x5a],
    [0x61, 0x7a],
  ]),
  upper: [[0x41, 0x5a]],
  lower: [[0x61, 0x7a]],
  space: SPACE,
  blank: chars(0x09, 0x20),
  punct: normalize([
    [0x21, 0x2f],
    [0x3a, 0x40],
    [0x5b, 0x60],
    [0x7b, 0x7e],
  ]),
  print: [[0x20, 0x7e]],
  graph: [[0x21, 0x7e]],
  cntrl: normalize([
    [0x00, 0x1f],
    [0x7f, 0x7f],
  ]),
  xdigit: normalize([
    [0x30, 0x39],
    [0x41, 0x46],
    [0x61, 0x66],
  ]),
  word: WORD,
  ascii: [[0x00, 0x7f]],
};

/** One code point as a JavaScript regex escape that means the same inside and outside []. */
export function escapeCodePoint(code: number): string {
  if (
    (code >= 0x30 && code <= 0x39) ||
    (code >= 0x41 && code <= 0x5a) ||
    (code >= 0x61 && code <= 0x7a) ||
    code === 0x5f
  ) {
    return String.fromCharCode(code);
  }
  if (code <= 0xff) return `\\x${code.toString(16).padStart(2, '0')}`;
  return `\\u${code.toString(16).padStart(4, '0')}`;
}

/** Classes already emitted, by set: a pattern repeats the same few sets many times. */
const emitted = new WeakMap<CharSet, string>();

/** The set as a JavaScript class (no flags needed): `[]` never matches, `[^]` always does. */
export function emitSet(set: CharSet): string {
  let text = emitted.get(set);
  if (text === undefined) {
    text = emitClass(set);
    emitted.set(set, text);
  }
  return text;
}

function emitClass(set: CharSet): string {
  if (set.length === 0) return '[]';
  if (set.length === 1 && set[0]![0] === 0 && set[0]![1] === MAX) return '[^]';
  if (set.length === 1 && set[0]![0] === set[0]![1]) return escapeCodePoint(set[0]![0]);
  let body = '';
  for (const [lo, hi] of set) {
    body += escapeCodePoint(lo);
    if (hi > lo) body += (hi > lo + 1 ? '-' : '') + escapeCodePoint(hi);
  }
  return `[${body}]`;
}
