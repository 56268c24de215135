// `real=` / `real6=` lines (§2.6). The original's patterns are unanchored and order-dependent;
// we run them exactly (so a line the original accepts means the same here) and also a strict,
// anchored reading of the documented syntax:
//
//   real = host[->host][:port] gate|masq|ipip [weight] ["request"[, ]"receive"] [l:N] [u:N]
//
// Where the two disagree: the original's reading wins when it accepts the line (a warning
// explains what it ignores), except for two fixed bugs (§6 items 9 and 11) and lines the
// original rejects but the strict reading accepts (accepted with a migration warning).
import type { Forward } from '../config/model.ts';
import { fail, type Note, type Outcome, ok } from './outcome.ts';
import { NON_WS, printable, WS } from './perl.ts';
import type { RealSpec } from './tree.ts';

// `[0-9A-fa-f:]` is the original's class: A-f spans A-Z, [ \ ] ^ _ ` and a-f. Kept as is.
const HOST = '\\d+\\.\\d+\\.\\d+\\.\\d+|[A-Za-z0-9.-]+|\\[[0-9A-fa-f:]+\\]';
const REAL_RE = new RegExp(`(${HOST})(->(${HOST}))?(:(\\d+|[A-Za-z0-9_-]+))?${WS}+(.*)`, 's');

export const REAL_SYNTAX_HINT =
  'real=<host>[-><host>][:<port>] gate|masq|ipip [<weight>] ["<request>", "<receive>"] [l:<lower>] [u:<upper>]';

interface Flags {
  forward: Forward;
  weight: number;
  request?: string;
  receive?: string;
  lowerThreshold?: number;
  upperThreshold?: number;
}

type FlagsOutcome =
  | { ok: true; flags: Flags; requestBug: boolean; ignoredText?: string }
  | { ok: false; message: string; offset: number };

const FORWARDS: readonly string[] = ['gate', 'masq', 'ipip'];
const FORWARD_RE = /(\w+)(.*)/s;
const WEIGHT_RE = new RegExp(`${WS}+(\\d+)(.*)`, 's');
const REQUEST_RECEIVE_RE = new RegExp(`${WS}+"(.*)"[, ]${WS}*"(.*)"(.*)`, 's');
const LOWER_RE = new RegExp(`${WS}+l:(\\d+)(.*)`, 's');
const UPPER_RE = new RegExp(`${WS}+u:(\\d+)(.*)`, 's');

function withSlash(request: string): string {
  return request.startsWith('/') ? request : `/${request}`;
}

/**
 * add_real_server's reading of the text after the address. With fixRequestBug the receive
 * string and thresholds after a request starting with '/' are kept (the original loses
 * them) and trailing text the original would then ignore is reported, not rejected.
 */
function perlFlags(text: string, fixRequestBug: boolean): FlagsOutcome {
  const fwd = FORWARD_RE.exec(text);
  if (!fwd || !FORWARDS.includes(fwd[1]!)) {
    return {
      ok: false,
      message: 'forward method must be gate, masq or ipip',
      offset: fwd?.index ?? 0,
    };
  }
  const flags: Flags = { forward: fwd[1] as Forward, weight: 1 };
  let rest: string | undefined = fwd[2]!;
  let restOffset = fwd.index + fwd[1]!.length;
  const advance = (m: RegExpExecArray, group: number): void => {
    const next = m[group]!;
    restOffset += m.index + m[0].length - next.length;
    rest = next;
  };

  const weight = WEIGHT_RE.exec(rest);
  if (weight) {
    flags.weight = Number(weight[1]);
    advance(weight, 2);
  }
  let requestBug = false;
  const rr = REQUEST_RECEIVE_RE.exec(rest);
  if (rr) {
    flags.request = withSlash(rr[1]!);
    if (rr[1]!.startsWith('/') && !fixRequestBug) {
      // The original's `$request =~ /^\//` resets $2 and $3: receive and everything after
      // it are lost (see docs/compatibility.md).
      requestBug = true;
      rest = undefined;
    } else {
      requestBug = rr[1]!.startsWith('/');
      flags.receive = rr[2]!;
      advance(rr, 3);
    }
  }
  if (rest !== undefined) {
    const lower = LOWER_RE.exec(rest);
    if (lower) {
      flags.lowerThreshold = Number(lower[1]);
      advance(lower, 2);
    }
    const upper = UPPER_RE.exec(rest);
    if (upper) {
      flags.upperThreshold = Number(upper[1]);
      advance(upper, 2);
    }
    if (NON_WS.test(rest)) {
      if (fixRequestBug && requestBug) return { ok: true, flags, requestBug, ignoredText: rest };
      return {
        ok: false,
        message: `Invalid real server line, around "${printable(rest)}"`,
        offset: restOffset,
      };
    }
  }
  return { ok: true, flags, requestBug };
}

const SIMPLE_FLAGS_RE = new RegExp(`^(gate|masq|ipip)(?:${WS}+(\\d+))?${WS}*$`);

const STRICT_RE = new RegExp(
  `^${WS}*(gate|masq|ipip)(?:${WS}+(\\d+))?(?:${WS}+"(.*)"[, ]${WS}*"(.*)")?` +
    `(?:${WS}+"?([lu]):(\\d+)"?)?(?:${WS}+"?([lu]):(\\d+)"?)?${WS}*$`,
  's',
);

/** The documented syntax, anchored, thresholds in either order. */
function strictFlags(text: string): Flags | undefined {
  const m = STRICT_RE.exec(text);
  if (!m) return undefined;
  const flags: Flags = { forward: m[1] as Forward, weight: m[2] ? Number(m[2]) : 1 };
  if (m[3] !== undefined) {
    flags.request = withSlash(m[3]);
    flags.receive = m[4]!;
  }
  for (const [kind, n] of [
    [m[5], m[6]],
    [m[7], m[8]],
  ]) {
    if (kind === undefined) continue;
    const key = kind === 'l' ? 'lowerThreshold' : 'upperThreshold';
    if (flags[key] !== undefined) return undefined;
    flags[key] = Number(n);
  }
  return flags;
}

function sameFlags(a: Flags, b: Flags): boolean {
  return (
    a.forward === b.forward &&
    a.weight === b.weight &&
    a.request === b.request &&
    a.receive === b.receive &&
    a.lowerThreshold === b.lowerThreshold &&
    a.upperThreshold === b.upperThreshold
  );
}

export function describeFlags(f: Flags): string {
  const parts: string[] = [f.forward, `weight ${f.weight}`];
  if (f.request !== undefined) parts.push(`request "${f.request}"`);
  if (f.receive !== undefined) parts.push(`receive "${f.receive}"`);
  if (f.lowerThreshold !== undefined) parts.push(`l:${f.lowerThreshold}`);
  if (f.upperThreshold !== undefined) parts.push(`u:${f.upperThreshold}`);
  return printable(parts.join(', '));
}

/** Parse the value of a real=/real6= line (the text after `real\s*=\s*`). */
export function parseReal(value: string): Outcome<
  Omit<RealSpec, 'hostColumn' | 'portColumn'> & {
    hostOffset: number;
    portOffset: number;
  }
> {
  const m = REAL_RE.exec(value);
  if (!m) {
    return fail(
      'real-format',
      'invalid address for real server (wrong format)',
      `Expected ${REAL_SYNTAX_HINT}.`,
    );
  }
  const notes: Note[] = [];
  const hostOffset = m.index;
  if (m.index > 0 && NON_WS.test(value.slice(0, m.index))) {
    notes.push({
      code: 'real-leading-junk',
      message: `text before the address is ignored: the address read is "${printable(m[1]!)}"`,
      hint: 'The original skips anything its address pattern does not match (for example an underscore in a host name); so does ldirectord-ts.',
      offset: 0,
    });
  }
  const flagsText = m[6]!;
  const flagsOffset = m.index + m[0].length - flagsText.length;
  const portOffset =
    m[5] !== undefined ? m.index + m[1]!.length + (m[2]?.length ?? 0) + 1 : hostOffset;

  // The common case `gate|masq|ipip [weight]` reads the same in every way: skip the rest.
  const simple = SIMPLE_FLAGS_RE.exec(flagsText);
  if (simple) {
    return ok(
      {
        host: m[1]!,
        ...(m[3] !== undefined ? { hostEnd: m[3] } : {}),
        ...(m[5] !== undefined ? { port: m[5] } : {}),
        forward: simple[1] as Forward,
        weight: simple[2] !== undefined ? Number(simple[2]) : 1,
        hostOffset,
        portOffset,
      },
      notes,
    );
  }
  const perl = perlFlags(flagsText, false);
  const strict = strictFlags(flagsText);
  let flags: Flags;
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
        message: `text after the receive string is ignored: "${printable(fixed.ignoredText)}"`,
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

  return ok(
    {
      host: m[1]!,
      ...(m[3] !== undefined ? { hostEnd: m[3] } : {}),
      ...(m[5] !== undefined ? { port: m[5] } : {}),
      ...flags,
      hostOffset,
      portOffset,
    },
    notes,
  );
}
