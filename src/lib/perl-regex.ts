// Translates the Perl regular expressions of `receive=` into JavaScript RegExps that decide
// match / no match exactly as ldirectord's `$content =~ /$receive/` does.
//
// What "as ldirectord does" means here, checked against perl itself (test/unit/perl-regex.test.ts):
// - Byte semantics. The receive string and the response are byte strings in Perl, so \w, \s,
//   \d, POSIX classes and /i are ASCII-only, and `.` excludes only \n. Match a Buffer decoded
//   with perlSubject() (latin1: one char per byte); the pattern is converted the same way.
// - The pattern is interpolated from a variable, so the string escapes \Q \E \U \L \u \l \F
//   never reach the regex compiler as escapes: Perl warns and matches the letter itself (Q, E...).
//   We do the same and return a warning, so `check` can point it out.
// - Constructs JavaScript lacks are emulated: \A \z \Z \G, Perl's `$` and `^` (with and without
//   /m), \h \H \v \V \R \N, \K (irrelevant to a yes/no match), POSIX classes, \x{...} \o{...} \e
//   \c, \g and \k back-references, (?<name>) (?'name') (?P<name>), inline flags i m s x xx n
//   anywhere in a group, (?^...), (?#...), possessive quantifiers and atomic groups (a lookahead
//   and a back-reference), (*F), the alphabetic assertions (*pla: ...), {,n} and spaced braces.
// - What cannot be emulated is rejected with the construct's name: recursion, conditionals,
//   code blocks, branch reset, backtracking verbs, \p, \X, \b{...}, Unicode or locale rules,
//   code points above 0xFF (they switch Perl to Unicode semantics) and duplicate group names.
// Known residual differences (rare in health checks): a back-reference to a group that has not
// participated matches the empty string in JavaScript but fails in Perl, and JavaScript resets
// captures on each iteration of a quantified group while Perl keeps the last value.
import {
  ANY,
  type CharSet,
  complement,
  DIGIT,
  emitSet,
  escapeCodePoint,
  foldAscii,
  HORIZONTAL,
  NEWLINE,
  POSIX,
  SPACE,
  union,
  VERTICAL,
  WORD,
} from './perl-regex-charset.ts';

export type PerlRegexResult =
  { ok: true; regex: RegExp; warnings: string[] } | { ok: false; error: string };

/** A response or line as Perl sees it: one char per byte. */
export function perlSubject(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('latin1');
}

/** Config text (decoded as UTF-8) back to the bytes Perl would read, one char per byte. */
export function perlBytes(text: string): string {
  return Buffer.from(text, 'utf8').toString('latin1');
}

export function translatePerlRegex(pattern: string): PerlRegexResult {
  try {
    const parser = new Parser(perlBytes(pattern));
    const source = parser.translate();
    const regex = new RegExp(source);
    // V8 compiles a pattern at its first use and may then find it too large: find out now,
    // when the config is read, rather than in the first check.
    regex.test('');
    return { ok: true, regex, warnings: parser.warnings };
  } catch (e) {
    if (e instanceof PerlRegexError) return { ok: false, error: e.message };
    // V8's messages quote the whole pattern (`Invalid regular expression: /.../: <reason>`).
    const message = (e as Error).message;
    return {
      ok: false,
      error: `cannot translate: ${message.slice(message.lastIndexOf(': ') + 2)}`,
    };
  }
}

class PerlRegexError extends Error {}

interface Flags {
  i: boolean;
  m: boolean;
  s: boolean;
  /** 0: off, 1: /x, 2: /xx (also blanks inside brackets). */
  x: 0 | 1 | 2;
  n: boolean;
}

type GroupKind = 'capture' | 'group' | 'ahead' | 'notAhead' | 'behind' | 'notBehind' | 'atomic';

type Node =
  | { t: 'seq'; items: Node[] }
  | { t: 'alt'; alts: Node[] }
  | { t: 'char'; code: number; fold: boolean }
  | { t: 'set'; set: CharSet }
  | { t: 'raw'; js: string }
  | { t: 'group'; kind: GroupKind; body: Node; js?: number }
  | {
      t: 'quant';
      body: Node;
      min: number;
      max: number;
      lazy: boolean;
      possessive: boolean;
      js?: number;
    }
  | { t: 'backref'; group?: number; name?: string; fold: boolean; at: number };

const GROUP_OPEN: Record<Exclude<GroupKind, 'atomic'>, string> = {
  capture: '(',
  group: '(?:',
  ahead: '(?=',
  notAhead: '(?!',
  behind: '(?<=',
  notBehind: '(?<!',
};

const ALPHA_ASSERTIONS: Record<string, GroupKind> = {
  pla: 'ahead',
  positive_lookahead: 'ahead',
  nla: 'notAhead',
  negative_lookahead: 'notAhead',
  plb: 'behind',
  positive_lookbehind: 'behind',
  nlb: 'notBehind',
  negative_lookbehind: 'notBehind',
  atomic: 'atomic',
};

const SIMPLE_ESCAPES: Record<string, number> = { a: 7, e: 0x1b, f: 0x0c, n: 0x0a, r: 0x0d, t: 9 };
/** Interpolation escapes that Perl passes through as the bare letter in a runtime pattern. */
const PASSED_THROUGH = 'QEULulF';
const FAIL: Node = { t: 'raw', js: '(?!)' };
/** `.` without /s and \N: one shared set, so that a long pattern does not build one per atom. */
const NOT_NEWLINE = complement(NEWLINE);

class Parser {
  readonly warnings: string[] = [];
  private pos = 0;
  /** Capture groups opened so far (Perl numbering). */
  private groups = 0;
  private readonly names = new Map<string, number>();
  private readonly backrefs: Extract<Node, { t: 'backref' }>[] = [];
  private jsGroups = 0;

  private readonly src: string;

  constructor(src: string) {
    this.src = src;
  }

  translate(): string {
    const flags: Flags = { i: false, m: false, s: false, x: 0, n: false };
    const root = this.alternation(flags);
    if (this.pos < this.src.length) this.fail('Unmatched )');
    for (const ref of this.backrefs) {
      if (ref.name !== undefined) {
        const n = this.names.get(ref.name);
        if (n === undefined) this.fail(`Reference to nonexistent named group '${ref.name}'`);
        ref.group = n;
      } else if ((ref.group ?? 0) > this.groups) {
        this.fail('Reference to nonexistent group', ref.at);
      }
    }
    const jsIndex = new Map<number, number>();
    this.number(root, jsIndex);
    return this.emit(root, jsIndex);
  }

  // ---- parsing ----------------------------------------------------------------------------

  private fail(message: string, at = this.pos): never {
    throw new PerlRegexError(`${message} at offset ${at} of the pattern`);
  }

  private peek(offset = 0): string {
    return this.src[this.pos + offset] ?? '';
  }

  private eat(text: string): boolean {
    if (!this.src.startsWith(text, this.pos)) return false;
    this.pos += text.length;
    return true;
  }

  /** Skips /x whitespace and comments, and (?#...) comments, wherever Perl ignores them. */
  private skipIgnored(flags: Flags): void {
    for (;;) {
      if (flags.x && /[\t\n\v\f\r ]/.test(this.peek())) this.pos++;
      else if (flags.x && this.peek() === '#') {
        const end = this.src.indexOf('\n', this.pos);
        this.pos = end < 0 ? this.src.length : end + 1;
      } else if (this.src.startsWith('(?#', this.pos)) {
        const end = this.src.indexOf(')', this.pos);
        if (end < 0) this.fail('Sequence (?#... not terminated');
        this.pos = end + 1;
      } else return;
    }
  }

  /** Alternatives up to an unmatched ')' or the end. Inline flags carry across '|'. */
  private alternation(flags: Flags): Node {
    const alts: Node[] = [this.sequence(flags)];
    while (this.eat('|')) alts.push(this.sequence(flags));
    return alts.length === 1 ? alts[0]! : { t: 'alt', alts };
  }

  private sequence(flags: Flags): Node {
    const items: Node[] = [];
    for (;;) {
      this.skipIgnored(flags);
      const c = this.peek();
      if (c === '' || c === '|' || c === ')') break;
      if (c === '*' || c === '+' || c === '?') this.fail('Quantifier follows nothing');
      const atom = this.atom(flags);
      if (atom === undefined) continue; // an inline flag change
      items.push(this.quantified(atom, flags));
    }
    return items.length === 1 ? items[0]! : { t: 'seq', items };
  }

  private quantified(atom: Node, flags: Flags): Node {
    this.skipIgnored(flags);
    const q = this.quantifier();
    if (!q) return atom;
    this.skipIgnored(flags);
    const lazy = this.eat('?');
    const possessive = !lazy && this.eat('+');
    this.skipIgnored(flags);
    const save = this.pos;
    if (this.quantifier()) this.fail('Nested quantifiers', save);
    if (q.min > q.max) {
      this.warnings.push(`quantifier {${q.min},${q.max}} can never match`);
      return FAIL;
    }
    return { t: 'quant', body: atom, ...q, lazy, possessive };
  }

  /** `*`, `+`, `?`, `{n}`, `{n,}`, `{n,m}`, `{,m}` (blanks allowed inside the braces). */
  private quantifier(): { min: number; max: number } | undefined {
    const c = this.peek();
    if (c === '*' || c === '+' || c === '?') {
      this.pos++;
      return { min: c === '+' ? 1 : 0, max: c === '?' ? 1 : Number.POSITIVE_INFINITY };
    }
    if (c !== '{') return undefined;
    const m = /^\{[ \t]*(\d*)[ \t]*(?:(,)[ \t]*(\d*)[ \t]*)?\}/.exec(this.src.slice(this.pos));
    if (!m || (m[1] === '' && (m[2] === undefined || m[3] === ''))) return undefined;
    this.pos += m[0].length;
    const min = m[1] === '' ? 0 : Number(m[1]);
    const max = m[2] === undefined ? min : m[3] === '' ? Number.POSITIVE_INFINITY : Number(m[3]);
    return { min, max };
  }

  private isQuantifierAhead(): boolean {
    const save = this.pos;
    const q = this.quantifier();
    this.pos = save;
    return q !== undefined;
  }

  /** One atom, or undefined for `(?flags)` which changes `flags` for the rest of the group. */
  private atom(flags: Flags): Node | undefined {
    const c = this.src[this.pos++]!;
    switch (c) {
      case '.':
        return { t: 'set', set: flags.s ? ANY : NOT_NEWLINE };
      case '^':
        return { t: 'raw', js: flags.m ? '(?:^|(?<=\\n)(?=[^]))' : '^' };
      case '$':
        return { t: 'raw', js: flags.m ? '(?=\\n|$)' : '(?=\\n?$)' };
      case '[':
        return { t: 'set', set: this.bracket(flags) };
      case '(':
        return this.group(flags);
      case '\\':
        return this.escape(flags);
      default:
        return this.literal(c.charCodeAt(0), flags);
    }
  }

  private literal(code: number, flags: Flags): Node {
    const letter = (code >= 0x41 && code <= 0x5a) || (code >= 0x61 && code <= 0x7a);
    return { t: 'char', code, fold: flags.i && letter };
  }

  private group(outer: Flags): Node | undefined {
    if (this.eat('*')) return this.verb(outer);
    if (!this.eat('?')) {
      const capture = !outer.n;
      if (capture) this.groups++;
      return this.closeGroup(capture ? 'capture' : 'group', { ...outer });
    }
    const c = this.peek();
    const named = /^(?:<|P<|')([A-Za-z_]\w*)[>']/.exec(this.src.slice(this.pos));
    if (named) {
      this.pos += named[0].length;
      if (this.names.has(named[1]!)) this.fail(`duplicate group name '${named[1]}' (unsupported)`);
      this.names.set(named[1]!, ++this.groups);
      return this.closeGroup('capture', { ...outer });
    }
    const lookaround: Record<string, GroupKind> = {
      ':': 'group',
      '=': 'ahead',
      '!': 'notAhead',
      '<=': 'behind',
      '<!': 'notBehind',
      '>': 'atomic',
    };
    for (const [open, kind] of Object.entries(lookaround)) {
      if (this.eat(open)) return this.closeGroup(kind, { ...outer });
    }
    const namedRef = /^P=([A-Za-z_]\w*)\)/.exec(this.src.slice(this.pos));
    if (namedRef) {
      this.pos += namedRef[0].length;
      return this.backref({ name: namedRef[1]! }, outer);
    }
    if (c === '|') this.fail('branch reset (?|...) is not supported');
    if (c === '(') this.fail('conditional (?(...)...) is not supported');
    if (c === '{' || (c === '?' && this.peek(1) === '{')) {
      this.fail('code block (?{...}) is not supported');
    }
    if (/^(?:R|[-+]?\d|&|P>)/.test(this.src.slice(this.pos))) {
      this.fail('recursion (?R), (?N), (?&name) is not supported');
    }
    return this.flagGroup(outer);
  }

  /** `(?flags)`, `(?flags:...)`, `(?^flags...)`, `(?on-off...)`. */
  private flagGroup(outer: Flags): Node | undefined {
    const m = /^(\^?)([a-z]*)(?:-([a-z]*))?([:)])/.exec(this.src.slice(this.pos));
    if (!m) this.fail('Sequence (?... not recognized');
    this.pos += m[0].length;
    const flags: Flags = m[1] ? { i: false, m: false, s: false, x: 0, n: false } : { ...outer };
    const apply = (letters: string, on: boolean): void => {
      for (const f of letters.replace(/xx/g, 'X')) {
        if (f === 'i' || f === 'm' || f === 's' || f === 'n') flags[f] = on;
        else if (f === 'x') flags.x = on ? 1 : 0;
        else if (f === 'X') flags.x = on ? 2 : 0;
        else if (f === 'u' || f === 'l') {
          this.fail(
            `the (?${f}) modifier (${f === 'u' ? 'Unicode' : 'locale'} rules) is not supported`,
          );
        } else if (f === 'g' || f === 'c' || f === 'o') this.warnings.push(`useless (?${f})`);
        else if (f !== 'a' && f !== 'd' && f !== 'p') this.fail(`unknown modifier '${f}'`);
      }
    };
    apply(m[2]!, true);
    if (m[3] !== undefined) apply(m[3], false);
    if (m[4] === ':') return this.closeGroup('group', flags);
    Object.assign(outer, flags);
    return undefined;
  }

  /** `(*F)`, `(*FAIL)`, and the alphabetic assertions `(*pla:...)` and friends. */
  private verb(outer: Flags): Node {
    const m = /^([a-z_]+):/.exec(this.src.slice(this.pos));
    if (m && ALPHA_ASSERTIONS[m[1]!]) {
      this.pos += m[0].length;
      return this.closeGroup(ALPHA_ASSERTIONS[m[1]!]!, { ...outer });
    }
    if (this.eat('F)') || this.eat('FAIL)')) return FAIL;
    return this.fail('backtracking control verbs (*...) are not supported');
  }

  private closeGroup(kind: GroupKind, flags: Flags): Node {
    const body = this.alternation(flags);
    if (!this.eat(')')) this.fail('Unmatched (');
    return { t: 'group', kind, body };
  }

  private escape(flags: Flags): Node | undefined {
    const c = this.src[this.pos++];
    if (c === undefined) this.fail('Trailing \\');
    const set = this.setEscape(c);
    if (set) return { t: 'set', set: flags.i ? foldAscii(set) : set };
    switch (c) {
      case 'A':
      case 'G':
        return { t: 'raw', js: '^' };
      case 'z':
        return { t: 'raw', js: '$' };
      case 'Z':
        return { t: 'raw', js: '(?=\\n?$)' };
      case 'b':
      case 'B':
        if (this.peek() === '{') this.fail(`\\${c}{...} boundaries are not supported`);
        return { t: 'raw', js: `\\${c}` };
      case 'K':
        return undefined; // keeps $& short; no effect on whether the pattern matches
      case 'R':
        return {
          t: 'group',
          kind: 'atomic',
          body: {
            t: 'alt',
            alts: [
              { t: 'seq', items: [this.literal(13, flags), this.literal(10, flags)] },
              { t: 'set', set: VERTICAL },
            ],
          },
        };
      case 'N':
        // \N{3} is \N quantified; \N{U+41} is a character.
        if (this.peek() !== '{' || this.isQuantifierAhead()) {
          return { t: 'set', set: NOT_NEWLINE };
        }
        return this.literal(this.namedChar(), flags);
      case 'p':
      case 'P':
        return this.fail(`\\${c}{...} Unicode properties are not supported`);
      case 'X':
        return this.fail('\\X (extended grapheme cluster) is not supported');
      case 'C':
        return this.fail('\\C is no longer supported by Perl');
      case 'k':
        return this.namedBackref(flags);
      case 'g':
        return this.gBackref(flags);
    }
    if (c >= '1' && c <= '9') {
      const digits = /^\d*/.exec(this.src.slice(this.pos))![0];
      const n = Number(c + digits);
      if (n <= 9 || n <= this.groups || !/[0-7]/.test(c)) {
        this.pos += digits.length;
        return this.backref({ group: n }, flags, this.pos - digits.length - 2);
      }
    }
    return this.literal(this.charEscape(c, false), flags);
  }

  /** \d \w \s \h \v and their negations, or undefined. */
  private setEscape(c: string): CharSet | undefined {
    const base: Record<string, CharSet> = {
      d: DIGIT,
      w: WORD,
      s: SPACE,
      h: HORIZONTAL,
      v: VERTICAL,
    };
    const lower = base[c];
    if (lower) return lower;
    const upper = base[c.toLowerCase()];
    return upper && c !== c.toLowerCase() ? complement(upper) : undefined;
  }

  /** A single-character escape (after the backslash); `inClass` changes what \b means. */
  private charEscape(c: string, inClass: boolean): number {
    if (c in SIMPLE_ESCAPES) return SIMPLE_ESCAPES[c]!;
    if (c === 'b' && inClass) return 8;
    if (c === 'c') {
      const x = this.src[this.pos++];
      if (x === undefined || x < ' ' || x > '~') {
        this.fail('Character following "\\c" must be printable ASCII');
      }
      return x.toUpperCase().charCodeAt(0) ^ 64;
    }
    if (c === 'x') {
      if (this.peek() === '{') return this.braced(16, 'x');
      const hex = /^[0-9A-Fa-f]{0,2}/.exec(this.src.slice(this.pos))![0];
      this.pos += hex.length;
      return hex === '' ? 0 : Number.parseInt(hex, 16);
    }
    if (c === 'o') {
      if (this.peek() !== '{') this.fail('Missing braces on \\o{}');
      return this.braced(8, 'o');
    }
    if (c >= '0' && c <= '7') {
      const oct = /^[0-7]{0,2}/.exec(this.src.slice(this.pos))![0];
      this.pos += oct.length;
      return this.checkByte(Number.parseInt(c + oct, 8), `\\${c}${oct}`);
    }
    if (/[A-Za-z]/.test(c)) {
      this.warnings.push(
        PASSED_THROUGH.includes(c)
          ? `\\${c} is a string escape, not processed in receive: Perl matches a literal ${c}`
          : `\\${c} is not a regex escape here: Perl matches a literal ${c}`,
      );
    }
    return c.charCodeAt(0);
  }

  private braced(radix: 8 | 16, letter: string): number {
    const end = this.src.indexOf('}', this.pos);
    if (end < 0) this.fail(`Missing right brace on \\${letter}{}`);
    const digits = this.src.slice(this.pos + 1, end).trim();
    this.pos = end + 1;
    if (digits === '') this.fail(`Empty \\${letter}{}`);
    const valid = radix === 16 ? /^[0-9A-Fa-f_]+$/ : /^[0-7_]+$/;
    if (!valid.test(digits))
      this.fail(`Non-${radix === 16 ? 'hex' : 'octal'} character in \\${letter}{}`);
    return this.checkByte(
      Number.parseInt(digits.replace(/_/g, ''), radix),
      `\\${letter}{${digits}}`,
    );
  }

  private namedChar(): number {
    const m = /^\{U\+([0-9A-Fa-f]+)\}/.exec(this.src.slice(this.pos));
    if (!m) this.fail('\\N{name} named characters are not supported (use \\N{U+hex})');
    this.pos += m[0].length;
    return this.checkByte(Number.parseInt(m[1]!, 16), m[0]);
  }

  private checkByte(code: number, text: string): number {
    if (code > 0xff) {
      this.fail(
        `${text}: code points above 0xFF switch Perl to Unicode rules and are not supported`,
      );
    }
    return code;
  }

  private backref(
    ref: { group?: number; name?: string },
    flags: Flags,
    at = this.pos,
  ): Extract<Node, { t: 'backref' }> {
    const node = { t: 'backref' as const, ...ref, fold: flags.i, at };
    this.backrefs.push(node);
    return node;
  }

  /** \k<name>, \k'name', \k{name}. */
  private namedBackref(flags: Flags): Node {
    const m = /^(?:<([A-Za-z_]\w*)>|'([A-Za-z_]\w*)'|\{\s*([A-Za-z_]\w*)\s*\})/.exec(
      this.src.slice(this.pos),
    );
    if (!m) this.fail('Sequence \\k... not terminated');
    this.pos += m[0].length;
    return this.backref({ name: m[1] ?? m[2] ?? m[3] }, flags);
  }

  /** \gN, \g-N, \g{N}, \g{-N}, \g{name}. */
  private gBackref(flags: Flags): Node {
    const at = this.pos - 2;
    const m = /^(?:(-?\d+)|\{\s*(-?\d+)\s*\}|\{\s*([A-Za-z_]\w*)\s*\})/.exec(
      this.src.slice(this.pos),
    );
    if (!m) this.fail('Unterminated \\g... pattern');
    this.pos += m[0].length;
    if (m[3] !== undefined) return this.backref({ name: m[3] }, flags, at);
    let n = Number(m[1] ?? m[2]);
    if (n < 0) n = this.groups + n + 1;
    if (n <= 0) this.fail('Reference to nonexistent or unclosed group', at);
    return this.backref({ group: n }, flags, at);
  }

  /** A bracketed class, after its `[`. */
  private bracket(flags: Flags): CharSet {
    const start = this.pos - 1;
    const negate = this.eat('^');
    const parts: CharSet[] = [];
    let first = true;
    for (;;) {
      if (flags.x === 2) while (this.peek() === ' ' || this.peek() === '\t') this.pos++;
      const c = this.src[this.pos];
      if (c === undefined) this.fail('Unmatched [', start);
      if (c === ']' && !first) {
        this.pos++;
        break;
      }
      first = false;
      const item = this.classItem();
      if (typeof item !== 'number') {
        parts.push(item);
        continue;
      }
      // A range needs a char on both sides of '-'; otherwise '-' is literal.
      if (this.peek() === '-' && this.peek(1) !== ']' && this.peek(1) !== '') {
        const save = this.pos;
        this.pos++;
        const high = this.classItem();
        if (typeof high === 'number') {
          if (high < item) this.fail('Invalid [] range', save);
          parts.push([[item, high]]);
          continue;
        }
        parts.push([[item, item]], [[0x2d, 0x2d]], high);
        continue;
      }
      parts.push([[item, item]]);
    }
    let set = union(...parts);
    if (flags.i) set = foldAscii(set);
    return negate ? complement(set) : set;
  }

  /** One member of a bracketed class: a code point, or a set (\d, [:alpha:]...). */
  private classItem(): number | CharSet {
    const posix = /^\[([:.=])(\^?)([a-z]*)\1\]/.exec(this.src.slice(this.pos));
    if (posix) {
      this.pos += posix[0].length;
      if (posix[1] !== ':') this.fail(`POSIX syntax [${posix[1]} ${posix[1]}] is reserved`);
      const set = POSIX[posix[3]!];
      if (!set) this.fail(`POSIX class [:${posix[3]}:] unknown`);
      return posix[2] ? complement(set) : set;
    }
    const c = this.src[this.pos++]!;
    if (c !== '\\') return c.charCodeAt(0);
    const e = this.src[this.pos++];
    if (e === undefined) this.fail('Unmatched [');
    const set = this.setEscape(e);
    if (set) return set;
    if (e === 'N') {
      if (this.peek() !== '{') this.fail('\\N in a character class must be a named character');
      return this.namedChar();
    }
    if (e === 'p' || e === 'P') this.fail(`\\${e}{...} Unicode properties are not supported`);
    if (e === 'R' || e === 'X' || e === 'k' || e === 'g') return e.charCodeAt(0);
    return this.charEscape(e, true);
  }

  // ---- emitting ---------------------------------------------------------------------------

  /** Assigns JavaScript group numbers in the order their '(' will appear in the output. */
  private number(node: Node, perlToJs: Map<number, number>, perlCount = { n: 0 }): void {
    switch (node.t) {
      case 'seq':
        for (const item of node.items) this.number(item, perlToJs, perlCount);
        return;
      case 'alt':
        for (const alt of node.alts) this.number(alt, perlToJs, perlCount);
        return;
      case 'group':
        if (node.kind === 'atomic') node.js = ++this.jsGroups;
        if (node.kind === 'capture') perlToJs.set(++perlCount.n, ++this.jsGroups);
        this.number(node.body, perlToJs, perlCount);
        return;
      case 'quant':
        if (node.possessive) node.js = ++this.jsGroups;
        this.number(node.body, perlToJs, perlCount);
        return;
      default:
        return;
    }
  }

  private emit(node: Node, perlToJs: Map<number, number>): string {
    switch (node.t) {
      case 'seq':
        return node.items.map((n) => this.emit(n, perlToJs)).join('');
      case 'alt':
        return node.alts.map((n) => this.emit(n, perlToJs)).join('|');
      case 'char':
        return node.fold
          ? emitSet(foldAscii([[node.code, node.code]]))
          : escapeCodePoint(node.code);
      case 'set':
        return emitSet(node.set);
      case 'raw':
        return node.js;
      case 'backref': {
        const ref = `\\${perlToJs.get(node.group!)}`;
        return node.fold ? `(?i:${ref})` : `(?:${ref})`;
      }
      case 'group': {
        const body = this.emit(node.body, perlToJs);
        if (node.kind === 'atomic') return `(?:(?=(${body}))\\${node.js})`;
        return `${GROUP_OPEN[node.kind]}${body})`;
      }
      case 'quant': {
        const body = this.emit(node.body, perlToJs);
        const single =
          node.body.t === 'char' ||
          node.body.t === 'set' ||
          node.body.t === 'backref' ||
          (node.body.t === 'group' && (node.body.kind === 'capture' || node.body.kind === 'group'));
        const atom = single ? body : `(?:${body})`;
        const { min, max } = node;
        let q: string;
        if (min === 0 && max === Number.POSITIVE_INFINITY) q = '*';
        else if (min === 1 && max === Number.POSITIVE_INFINITY) q = '+';
        else if (min === 0 && max === 1) q = '?';
        else if (max === Number.POSITIVE_INFINITY) q = `{${min},}`;
        else q = min === max ? `{${min}}` : `{${min},${max}}`;
        if (node.possessive) return `(?:(?=(${atom}${q}))\\${node.js})`;
        return `${atom}${q}${node.lazy ? '?' : ''}`;
      }
    }
  }
}
