// The patterns the original matches a real= line with (§2.6), matched by hand. Run by a
// backtracking engine, the unanchored ones retry every start position and rescan the rest of
// the line from each: quadratic in line length (a 64 KB line took 20 s). These scanners give
// exactly the match the engine gives (leftmost start, then greedy choices in the engine's
// order; test/unit/parser-real-scan.test.ts compares them with the patterns) in linear time.
// Positions are 0-based offsets in the scanned text; `end` is exclusive.
import { isPerlSpace, spaceRunEnd, WS } from '../lib/perl.ts';

const QUOTE = 34;
const COMMA = 44;
const SPACE = 32;
const DASH = 45;
const DOT = 46;
const COLON = 58;
const GT = 62;
const OPEN_BRACKET = 91;
const CLOSE_BRACKET = 93;

function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}

function isLetterOrDigit(c: number): boolean {
  return isDigit(c) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122);
}

/** Perl's \w. */
function isWordChar(c: number): boolean {
  return isLetterOrDigit(c) || c === 95;
}

/** [A-Za-z0-9.-]: a host name. */
function isHostChar(c: number): boolean {
  return isLetterOrDigit(c) || c === DOT || c === DASH;
}

/** [0-9A-fa-f:], the original's class: A-f spans A-Z, [ \ ] ^ _ ` and a-f. */
function isBracketChar(c: number): boolean {
  return isDigit(c) || c === COLON || (c >= 65 && c <= 102);
}

/** [A-Za-z0-9_-]: a service name. */
function isPortChar(c: number): boolean {
  return isWordChar(c) || c === DASH;
}

/** end[i]: where the run of `accepts` characters starting at i ends (i when there is none). */
function runEnds(text: string, accepts: (c: number) => boolean): Int32Array {
  const end = new Int32Array(text.length + 1);
  end[text.length] = text.length;
  for (let i = text.length - 1; i >= 0; i--) {
    end[i] = accepts(text.charCodeAt(i)) ? end[i + 1]! : i;
  }
  return end;
}

export interface Span {
  start: number;
  end: number;
}

const HOST = '\\d+\\.\\d+\\.\\d+\\.\\d+|[A-Za-z0-9.-]+|\\[[0-9A-fa-f:]+\\]';
const REAL_ADDRESS_AT_START = new RegExp(
  `^(${HOST})(->(${HOST}))?(:(\\d+|[A-Za-z0-9_-]+))?${WS}+(.*)`,
  's',
);

export interface RealAddressMatch {
  /** Where the match starts (the original skips anything before it). */
  index: number;
  host: Span;
  /** `->host` of a range: the span of the second host. */
  hostEnd?: Span;
  port?: Span;
  /** Where the text after the address and its spaces starts. */
  flagsStart: number;
}

interface Tail {
  port?: Span;
  flagsStart: number;
}

interface Continuation extends Tail {
  hostEnd?: Span;
}

/**
 * `(HOST)(->(HOST))?(:(\d+|[A-Za-z0-9_-]+))?\s+(.*)` with
 * HOST = `\d+\.\d+\.\d+\.\d+|[A-Za-z0-9.-]+|\[[0-9A-fa-f:]+\]`, unanchored.
 */
export function matchRealAddress(text: string): RealAddressMatch | undefined {
  // Anchored, the pattern is tried at one position only, which is linear; almost every line
  // matches there, and then that is the leftmost match. The scan below finds the others.
  const m = REAL_ADDRESS_AT_START.exec(text);
  if (m) {
    const hostStop = m[1]!.length;
    const portStart = hostStop + (m[2]?.length ?? 0) + 1;
    return {
      index: 0,
      host: { start: 0, end: hostStop },
      ...(m[3] !== undefined
        ? { hostEnd: { start: hostStop + 2, end: hostStop + 2 + m[3].length } }
        : {}),
      ...(m[5] !== undefined ? { port: { start: portStart, end: portStart + m[5].length } } : {}),
      flagsStart: m[0].length - m[6]!.length,
    };
  }
  const n = text.length;
  const at = (i: number): number => (i < n ? text.charCodeAt(i) : -1);
  const space = (i: number): boolean => i < n && isPerlSpace(text.charCodeAt(i));
  const digitEnd = runEnds(text, isDigit);
  const hostEnd = runEnds(text, isHostChar);
  const bracketEnd = runEnds(text, isBracketChar);
  const portEnd = runEnds(text, isPortChar);

  /** `\d+\.\d+\.\d+\.\d+` at i: its end, or -1. Shorter digit runs can never be followed by '.'. */
  const dottedQuadEnd = (i: number): number => {
    let p = i;
    for (let part = 0; part < 4; part++) {
      if (part > 0) {
        if (at(p) !== DOT) return -1;
        p++;
      }
      const e = digitEnd[p]!;
      if (e === p) return -1;
      p = e;
    }
    return p;
  };

  /** `(:(\d+|[A-Za-z0-9_-]+))?\s+` at p; a shorter run is followed by a run character. */
  const tail = (p: number): Tail | undefined => {
    let q = p;
    let port: Span | undefined;
    if (at(p) === COLON) {
      const digits = digitEnd[p + 1]!;
      const name = portEnd[p + 1]!;
      if (digits > p + 1 && space(digits)) q = digits;
      else if (name > p + 1 && space(name)) q = name;
      else return undefined;
      port = { start: p + 1, end: q };
    }
    if (!space(q)) return undefined;
    return { ...(port ? { port } : {}), flagsStart: spaceRunEnd(text, q) };
  };

  /**
   * `\[[0-9A-fa-f:]+\]` at i followed by `follow`: the class takes ']' too, so the engine backs
   * off to each ']' from the right. The first that `follow` accepts, or undefined.
   */
  const bracketed = <T>(i: number, follow: (p: number) => T | undefined) => {
    const end = bracketEnd[i + 1]!;
    for (let k = end - 1; k >= i + 2; k--) {
      if (at(k) !== CLOSE_BRACKET) continue;
      const result = follow(k + 1);
      if (result !== undefined) return { close: k, result };
    }
    return undefined;
  };

  /** HOST at j, then the tail: the second host of a range. */
  const secondHost = (j: number): Continuation | undefined => {
    const quad = dottedQuadEnd(j);
    if (quad >= 0) {
      const t = tail(quad);
      if (t) return { ...t, hostEnd: { start: j, end: quad } };
    }
    const name = hostEnd[j]!;
    if (name > j) {
      const t = tail(name);
      if (t) return { ...t, hostEnd: { start: j, end: name } };
    }
    if (at(j) === OPEN_BRACKET) {
      const b = bracketed(j, tail);
      if (b) return { ...b.result, hostEnd: { start: j, end: b.close + 1 } };
    }
    return undefined;
  };

  // After the first host: `(->(HOST))?` then the tail. Memoized by position, so that the many
  // start positions inside one run of host characters share the work.
  const continued: Array<Continuation | null | undefined> = new Array(n + 1);
  const continuation = (p: number): Continuation | undefined => {
    const known = continued[p];
    if (known !== undefined) return known ?? undefined;
    let result: Continuation | undefined;
    if (at(p) === DASH && at(p + 1) === GT) result = secondHost(p + 2);
    result ??= tail(p);
    continued[p] = result ?? null;
    return result;
  };

  // The largest ']' of a run of bracket characters that a continuation follows, by run end:
  // every '[' of the run backs off to the same ']' positions, so each run is scanned once.
  const lastClose = new Map<number, number>();
  const bracketedFirstHost = (i: number): number => {
    const end = bracketEnd[i + 1]!;
    let close = lastClose.get(end);
    if (close === undefined) {
      close = bracketed(i, continuation)?.close ?? -1;
      lastClose.set(end, close);
    }
    return close >= i + 2 ? close : -1;
  };

  const result = (index: number, hostStop: number, c: Continuation): RealAddressMatch => ({
    index,
    host: { start: index, end: hostStop },
    ...(c.hostEnd ? { hostEnd: c.hostEnd } : {}),
    ...(c.port ? { port: c.port } : {}),
    flagsStart: c.flagsStart,
  });

  for (let i = 0; i < n; i++) {
    const quad = dottedQuadEnd(i);
    if (quad >= 0) {
      const c = continuation(quad);
      if (c) return result(i, quad, c);
    }
    const name = hostEnd[i]!;
    if (name > i) {
      const c = continuation(name);
      if (c) return result(i, name, c);
      // Backing off one character can only help when it leaves `->` after the host.
      if (name - 1 > i && at(name - 1) === DASH && at(name) === GT) {
        const shorter = continuation(name - 1);
        if (shorter) return result(i, name - 1, shorter);
      }
    }
    if (at(i) === OPEN_BRACKET) {
      const close = bracketedFirstHost(i);
      if (close >= 0) return result(i, close + 1, continuation(close + 1)!);
    }
  }
  return undefined;
}

/** `(\w+)(.*)`: the first word. */
export function firstWord(text: string): Span | undefined {
  for (let i = 0; i < text.length; i++) {
    if (!isWordChar(text.charCodeAt(i))) continue;
    let end = i + 1;
    while (end < text.length && isWordChar(text.charCodeAt(end))) end++;
    return { start: i, end };
  }
  return undefined;
}

/**
 * `\s+<prefix>(\d+)(.*)`: the first run of spaces followed by `prefix` and a digit. `index` is
 * where the spaces start; `digits` the number.
 */
export function spacedNumber(
  text: string,
  prefix: string,
): { index: number; digits: Span } | undefined {
  let i = 0;
  while (i < text.length) {
    if (!isPerlSpace(text.charCodeAt(i))) {
      i++;
      continue;
    }
    const after = spaceRunEnd(text, i);
    const first = after + prefix.length;
    if (text.startsWith(prefix, after) && first < text.length && isDigit(text.charCodeAt(first))) {
      let end = first + 1;
      while (end < text.length && isDigit(text.charCodeAt(end))) end++;
      return { index: i, digits: { start: first, end } };
    }
    i = after;
  }
  return undefined;
}

/** The closing quote of `"(.*)"[, ]\s*"` at `a`: where the second opening quote is, or -1. */
function receiveOpening(text: string, a: number): number {
  const sep = text.charCodeAt(a + 1);
  if (text.charCodeAt(a) !== QUOTE || (sep !== COMMA && sep !== SPACE)) return -1;
  const b = spaceRunEnd(text, a + 2);
  return text.charCodeAt(b) === QUOTE ? b : -1;
}

/**
 * `"(.*)"[, ]\s*"(.*)"` with both groups greedy, the first quote at `open` and the second
 * group's closing quote at or before `lastClose`: the largest request end that leaves a
 * receive string, scanning the quotes from the right once.
 */
function requestReceive(
  text: string,
  open: number,
  lastClose: number,
): { request: Span; receive: Span } | undefined {
  for (let a = text.lastIndexOf('"', lastClose - 1); a > open; a = text.lastIndexOf('"', a - 1)) {
    const b = receiveOpening(text, a);
    if (b >= 0 && b + 1 <= lastClose) {
      return { request: { start: open + 1, end: a }, receive: { start: b + 1, end: lastClose } };
    }
  }
  return undefined;
}

/**
 * `\s+"(.*)"[, ]\s*"(.*)"(.*)`, unanchored: only the first run of spaces followed by a quote
 * can start it (a later start has fewer quotes to choose from). `rest` is where (.*) starts.
 */
export function requestReceivePair(
  text: string,
): { index: number; request: Span; receive: Span; rest: number } | undefined {
  let i = 0;
  while (i < text.length && !isPerlSpace(text.charCodeAt(i))) i++;
  while (i < text.length) {
    const after = spaceRunEnd(text, i);
    if (text.charCodeAt(after) === QUOTE) {
      const last = text.lastIndexOf('"');
      const pair = requestReceive(text, after, last);
      return pair ? { index: i, ...pair, rest: last + 1 } : undefined;
    }
    i = after;
    while (i < text.length && !isPerlSpace(text.charCodeAt(i))) i++;
  }
  return undefined;
}

export interface StrictFlags {
  forward: string;
  weight?: string;
  request?: string;
  receive?: string;
  thresholds: Array<{ kind: 'l' | 'u'; digits: string }>;
}

/**
 * `(?:\s+"?([lu]):(\d+)"?)?` twice, then `\s*$`, from p. Each group is deterministic (a
 * shorter run or a skipped quote leaves a character nothing after it accepts).
 */
function thresholdsToEnd(text: string, p: number): StrictFlags['thresholds'] | undefined {
  const out: StrictFlags['thresholds'] = [];
  let pos = p;
  for (let group = 0; group < 2; group++) {
    if (pos >= text.length || !isPerlSpace(text.charCodeAt(pos))) break;
    let y = spaceRunEnd(text, pos);
    if (text.charCodeAt(y) === QUOTE) y++;
    const kind = text[y];
    if ((kind !== 'l' && kind !== 'u') || text.charCodeAt(y + 1) !== COLON) break;
    let z = y + 2;
    while (z < text.length && isDigit(text.charCodeAt(z))) z++;
    if (z === y + 2) break;
    out.push({ kind, digits: text.slice(y + 2, z) });
    pos = text.charCodeAt(z) === QUOTE ? z + 1 : z;
  }
  return spaceRunEnd(text, pos) === text.length ? out : undefined;
}

/**
 * The documented syntax, anchored:
 * `^\s*(gate|masq|ipip)(?:\s+(\d+))?(?:\s+"(.*)"[, ]\s*"(.*)")?` then two optional
 * `\s+"?([lu]):(\d+)"?` and `\s*$`.
 */
export function strictRealFlags(text: string): StrictFlags | undefined {
  const start = spaceRunEnd(text, 0);
  const forward = text.slice(start, start + 4);
  if (forward !== 'gate' && forward !== 'masq' && forward !== 'ipip') return undefined;
  let p = start + 4;
  let weight: string | undefined;
  if (p < text.length && isPerlSpace(text.charCodeAt(p))) {
    const after = spaceRunEnd(text, p);
    let end = after;
    while (end < text.length && isDigit(text.charCodeAt(end))) end++;
    if (end > after) {
      weight = text.slice(after, end);
      p = end;
    }
  }
  const base = { forward, ...(weight !== undefined ? { weight } : {}) };
  if (p < text.length && isPerlSpace(text.charCodeAt(p))) {
    const open = spaceRunEnd(text, p);
    if (text.charCodeAt(open) === QUOTE) {
      // The receive string ends at the last quote after which only thresholds follow.
      for (let c = text.lastIndexOf('"'); c > open; c = text.lastIndexOf('"', c - 1)) {
        const thresholds = thresholdsToEnd(text, c + 1);
        if (thresholds === undefined) continue;
        const pair = requestReceive(text, open, c);
        if (pair) {
          return {
            ...base,
            request: text.slice(pair.request.start, pair.request.end),
            receive: text.slice(pair.receive.start, pair.receive.end),
            thresholds,
          };
        }
        break;
      }
    }
  }
  const thresholds = thresholdsToEnd(text, p);
  return thresholds ? { ...base, thresholds } : undefined;
}
