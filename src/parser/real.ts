// `real=` / `real6=` lines (§2.6). The original's patterns are unanchored and order-dependent;
// we run them exactly (so a line the original accepts means the same here) and also a strict,
// anchored reading of the documented syntax:
//
//   real = host[->host][:port] gate|masq|ipip [weight] ["request"[, ]"receive"] [l:N] [u:N]
//
// Where the two disagree: the original's reading wins when it accepts the line (a warning
// explains what it ignores), except for two fixed bugs (§6 items 9 and 11) and lines the
// original rejects but the strict reading accepts (accepted with a migration warning).
import { NON_WS, WS } from '../lib/perl.ts';
import { excerpt } from '../lib/printable.ts';
import type { Forward } from '../model/domain.ts';
import { fail, type Note, type Outcome, ok } from './outcome.ts';
import {
  firstWord,
  matchRealAddress,
  requestReceivePair,
  spacedNumber,
  strictRealFlags,
} from './real-scan.ts';
import { outOfRange, RANGES, type ValueContext } from './values.ts';

const RANGE_HINT =
  'ipvsadm takes a weight and thresholds from 0 to 2147483647; the Perl original passes a larger one on and the real is never added.';

export const REAL_SYNTAX_HINT =
  'real=<host>[-><host>][:<port>] gate|masq|ipip [<weight>] ["<request>", "<receive>"] [l:<lower>] [u:<upper>]';

/** What a real= line says after its address. */
export interface RealFlags {
  forward: Forward;
  weight: number;
  request?: string;
  receive?: string;
  lowerThreshold?: number;
  upperThreshold?: number;
}

/** `real=` after the original's parsing of the line, before any resolution. */
export interface RealSpec extends RealFlags {
  /** First host: dotted quad, host name, or `[v6]` (brackets kept, as written). */
  host: string;
  /** End of an `a->b` range. */
  hostEnd?: string;
  /** Port or service name as written; undefined when the line gave none (port 0). */
  port?: string;
  /** Columns (1-based) of the host and port text, for diagnostics. */
  hostColumn: number;
  portColumn: number;
}

/** A real= value as parseReal reads it: positions as offsets into the value. */
export type ParsedReal = Omit<RealSpec, 'hostColumn' | 'portColumn'> & {
  hostOffset: number;
  portOffset: number;
};

type FlagsOutcome =
  | { ok: true; flags: RealFlags; requestBug: boolean; ignoredText?: string }
  | { ok: false; message: string; offset: number };

const FORWARDS: readonly string[] = ['gate', 'masq', 'ipip'];

function withSlash(request: string): string {
  return request.startsWith('/') ? request : `/${request}`;
}

/**
 * add_real_server's reading of the text after the address. With fixRequestBug the receive
 * string and thresholds after a request starting with '/' are kept (the original loses
 * them) and trailing text the original would then ignore is reported, not rejected.
 */
function perlFlags(text: string, fixRequestBug: boolean): FlagsOutcome {
  const word = firstWord(text);
  const forward = word ? text.slice(word.start, word.end) : undefined;
  if (!word || !FORWARDS.includes(forward!)) {
    return {
      ok: false,
      message: 'forward method must be gate, masq or ipip',
      offset: word?.start ?? 0,
    };
  }
  const flags: RealFlags = { forward: forward as Forward, weight: 1 };
  // Each step matches the rest of the line left by the step before; restOffset is where that
  // rest starts in text.
  let restOffset = word.end;
  let rest: string | undefined = text.slice(restOffset);
  const advance = (to: number): void => {
    restOffset += to;
    rest = rest!.slice(to);
  };

  const weight = spacedNumber(rest, '');
  if (weight) {
    flags.weight = Number(rest.slice(weight.digits.start, weight.digits.end));
    advance(weight.digits.end);
  }
  let requestBug = false;
  const rr = requestReceivePair(rest);
  if (rr) {
    const request = rest.slice(rr.request.start, rr.request.end);
    flags.request = withSlash(request);
    if (request.startsWith('/') && !fixRequestBug) {
      // The original's `$request =~ /^\//` resets $2 and $3: receive and everything after
      // it are lost (see docs/compatibility.md).
      requestBug = true;
      rest = undefined;
    } else {
      requestBug = request.startsWith('/');
      flags.receive = rest.slice(rr.receive.start, rr.receive.end);
      advance(rr.rest);
    }
  }
  if (rest !== undefined) {
    const lower = spacedNumber(rest, 'l:');
    if (lower) {
      flags.lowerThreshold = Number(rest.slice(lower.digits.start, lower.digits.end));
      advance(lower.digits.end);
    }
    const upper = spacedNumber(rest, 'u:');
    if (upper) {
      flags.upperThreshold = Number(rest.slice(upper.digits.start, upper.digits.end));
      advance(upper.digits.end);
    }
    if (NON_WS.test(rest)) {
      if (fixRequestBug && requestBug) return { ok: true, flags, requestBug, ignoredText: rest };
      return {
        ok: false,
        message: `Invalid real server line, around "${excerpt(rest)}"`,
        offset: restOffset,
      };
    }
  }
  return { ok: true, flags, requestBug };
}

const SIMPLE_FLAGS_RE = new RegExp(`^(gate|masq|ipip)(?:${WS}+(\\d+))?${WS}*$`);

/** The documented syntax, anchored, thresholds in either order. */
function strictFlags(text: string): RealFlags | undefined {
  const m = strictRealFlags(text);
  if (!m) return undefined;
  const flags: RealFlags = {
    forward: m.forward as Forward,
    weight: m.weight !== undefined ? Number(m.weight) : 1,
  };
  if (m.request !== undefined) {
    flags.request = withSlash(m.request);
    flags.receive = m.receive!;
  }
  for (const { kind, digits } of m.thresholds) {
    const key = kind === 'l' ? 'lowerThreshold' : 'upperThreshold';
    if (flags[key] !== undefined) return undefined;
    flags[key] = Number(digits);
  }
  return flags;
}

function sameFlags(a: RealFlags, b: RealFlags): boolean {
  return (
    a.forward === b.forward &&
    a.weight === b.weight &&
    a.request === b.request &&
    a.receive === b.receive &&
    a.lowerThreshold === b.lowerThreshold &&
    a.upperThreshold === b.upperThreshold
  );
}

export function describeFlags(f: RealFlags): string {
  const parts: string[] = [f.forward, `weight ${f.weight}`];
  if (f.request !== undefined) parts.push(`request "${excerpt(f.request)}"`);
  if (f.receive !== undefined) parts.push(`receive "${excerpt(f.receive)}"`);
  if (f.lowerThreshold !== undefined) parts.push(`l:${f.lowerThreshold}`);
  if (f.upperThreshold !== undefined) parts.push(`u:${f.upperThreshold}`);
  return parts.join(', ');
}

/** Why the weight or a threshold is beyond what ipvsadm accepts, or undefined. */
function flagsOutOfRange(f: RealFlags): string | undefined {
  return (
    outOfRange(f.weight, RANGES.weight, 'the weight') ??
    (f.lowerThreshold !== undefined
      ? outOfRange(f.lowerThreshold, RANGES.threshold, 'the lower threshold (l:)')
      : undefined) ??
    (f.upperThreshold !== undefined
      ? outOfRange(f.upperThreshold, RANGES.threshold, 'the upper threshold (u:)')
      : undefined)
  );
}

/** Parse the value of a real=/real6= line (the text after `real\s*=\s*`). */
export function parseReal(value: string): Outcome<ParsedReal> {
  const m = matchRealAddress(value);
  if (!m) {
    return fail(
      'real-format',
      'invalid address for real server (wrong format)',
      `Expected ${REAL_SYNTAX_HINT}.`,
    );
  }
  const notes: Note[] = [];
  const host = value.slice(m.host.start, m.host.end);
  const address = {
    host,
    ...(m.hostEnd ? { hostEnd: value.slice(m.hostEnd.start, m.hostEnd.end) } : {}),
    ...(m.port ? { port: value.slice(m.port.start, m.port.end) } : {}),
  };
  const hostOffset = m.index;
  if (m.index > 0 && NON_WS.test(value.slice(0, m.index))) {
    notes.push({
      code: 'real-leading-junk',
      message: `text before the address is ignored: the address read is "${excerpt(host)}"`,
      hint: 'The original skips anything its address pattern does not match (for example an underscore in a host name); so does ldirectord-ts.',
      offset: 0,
    });
  }
  const flagsText = value.slice(m.flagsStart);
  const flagsOffset = m.flagsStart;
  const portOffset = m.port ? m.port.start : hostOffset;

  // The common case `gate|masq|ipip [weight]` reads the same in every way: skip the rest.
  const simple = SIMPLE_FLAGS_RE.exec(flagsText);
  if (simple) {
    const weight = simple[2] !== undefined ? Number(simple[2]) : 1;
    const tooLarge = flagsOutOfRange({ forward: simple[1] as Forward, weight });
    if (tooLarge) return fail('number-out-of-range', tooLarge, RANGE_HINT, flagsOffset);
    return ok(
      {
        ...address,
        forward: simple[1] as Forward,
        weight,
        hostOffset,
        portOffset,
      },
      notes,
    );
  }
  const perl = perlFlags(flagsText, false);
  const strict = strictFlags(flagsText);
  let flags: RealFlags;
  if (perl.ok && perl.requestBug) {
    const fixed = perlFlags(flagsText, true);
    if (!fixed.ok) throw new Error('unreachable: fixed reading failed after the original accepted');
    flags = fixed.flags;
    notes.push({
      code: 'real-request-receive-fixed',
      category: 'differs-from-perl',
      message: `this real's request starts with '/': ldirectord-ts uses its receive string and thresholds too (${describeFlags(flags)})`,
      hint: "The Perl original loses the receive string and everything after it in this case and checks with the virtual's request and receive (see docs/compatibility.md).",
      offset: flagsOffset,
    });
    if (fixed.ignoredText !== undefined) {
      notes.push({
        code: 'real-trailing-text-ignored',
        message: `text after the receive string is ignored: "${excerpt(fixed.ignoredText)}"`,
        hint: `Expected ${REAL_SYNTAX_HINT}.`,
        offset: flagsOffset,
      });
    }
  } else if (perl.ok) {
    flags = perl.flags;
    if (
      strict &&
      strict.upperThreshold !== undefined &&
      perl.flags.upperThreshold === undefined &&
      sameFlags({ ...strict, upperThreshold: undefined }, perl.flags)
    ) {
      flags = strict;
      notes.push({
        code: 'real-upper-threshold-fixed',
        category: 'differs-from-perl',
        message: `u: before l: — ldirectord-ts keeps both thresholds (${describeFlags(strict)})`,
        hint: 'The Perl original silently drops the upper threshold when u: comes before l: (see docs/compatibility.md); write l: first to get the same table from both.',
        offset: flagsOffset,
      });
    } else if (!strict || !sameFlags(strict, perl.flags)) {
      notes.push({
        code: 'real-ambiguous',
        message: `this real server line is read as: ${describeFlags(perl.flags)}`,
        hint: `The original's patterns are unanchored, so text around the weight, request or thresholds can be skipped; ldirectord-ts reads the line the same way. Write it as ${REAL_SYNTAX_HINT}.`,
        offset: flagsOffset,
      });
    }
  } else if (strict) {
    flags = strict;
    notes.push({
      code: 'real-perl-rejects',
      category: 'differs-from-perl',
      message: `ldirectord-ts reads this real server line as: ${describeFlags(strict)}`,
      hint: `The Perl original rejects it ("${perl.message}").`,
      offset: flagsOffset,
    });
  } else {
    return fail(
      'real-flags',
      perl.message,
      `Expected ${REAL_SYNTAX_HINT}.`,
      flagsOffset + perl.offset,
    );
  }

  const tooLarge = flagsOutOfRange(flags);
  if (tooLarge) return fail('number-out-of-range', tooLarge, RANGE_HINT, flagsOffset);
  return ok(
    {
      ...address,
      ...flags,
      hostOffset,
      portOffset,
    },
    notes,
  );
}

/** A real= value for the tree: parseReal, its positions as columns of the file. */
export function realSpec(value: string, ctx: ValueContext): Outcome<RealSpec> {
  const parsed = parseReal(value);
  if (!parsed.ok) return parsed;
  const { hostOffset, portOffset, ...rest } = parsed.value;
  const spec = { ...rest, hostColumn: ctx.column(hostOffset), portColumn: ctx.column(portOffset) };
  return ok(spec, parsed.notes);
}
