// parse(text, file): the syntax tree of an ldirectord.cf and every diagnostic, positioned at
// file:line:column. Lexical rules are in lexer.ts; what each directive accepts is in the
// directive table (directives.ts). Nothing is resolved here (see src/config/resolve/).
import { cutTrailingComment, trimTrailingSpace, WS } from '../lib/perl.ts';
import { excerpt } from '../lib/printable.ts';
import { MASK } from '../lib/secrets.ts';
import { type Diagnostic, FileDiagnostics, sortDiagnostics } from '../model/diagnostics.ts';
import type { Family } from '../model/domain.ts';
import {
  DIRECTIVE,
  type DirectiveName,
  type ValueForm,
  isDirectiveName,
  rule,
  suggestName,
} from './directives.ts';
import {
  indentedText,
  type LexItem,
  lex,
  MAX_LINE_LENGTH,
  processBodyLine,
  rawColumn,
  type ShallowRun,
} from './lexer.ts';
import type { Note } from './outcome.ts';
import type { ConfigTree, DirectiveNode, DirectiveNodeOf, VirtualNode } from './tree.ts';
import { outOfRange, type Scope, type ValueContext } from './values.ts';
import { parseVirtualAddress } from './virtual-address.ts';

export interface ParseResult {
  tree: ConfigTree;
  /** Every problem found, sorted by position. */
  diagnostics: Diagnostic[];
}

const NAME_RE = new RegExp(`^([A-Za-z0-9_]+)${WS}*=${WS}*(.*)$`, 's');
/** Names that may be a misspelt passwd= or secret= (their values are never echoed). */
const SECRET_NAME_RE = /pa?s+w|pwd|secr|s?e?cret/i;

/** Where a directive's text sits, to turn offsets into columns. */
interface Placement {
  raw: string;
  /** Offset of the directive text in the processed line. */
  textOffset: number;
  /** Top-level lines are not TAB-expanded. */
  expanded: boolean;
}

function column(p: Placement, offsetInText: number): number {
  const offset = p.textOffset + offsetInText;
  return p.expanded ? rawColumn(p.raw, offset) : offset + 1;
}

type Interpretation =
  | { kind: 'node'; node: DirectiveNode; notes: Array<Note & { column: number }> }
  | { kind: 'unknown'; name?: string; hint?: string; column?: number }
  | { kind: 'error'; code: string; message: string; hint?: string; column: number; name: string };

/** Typographic double quotes, as pasted from blog posts and word processors. */
const TYPOGRAPHIC_QUOTE = /^[\u201c\u201d\u201e\u201f]$/;
const ANY_QUOTE = /^["\u201c\u201d\u201e\u201f]$/;

/**
 * A value that starts or ends with a typographic double quote: the text between the quotes
 * (a straight quote at the other end counts too) and the offset where it starts.
 */
function typographicQuotes(
  valueText: string,
  scope: Scope,
): { text: string; offset: number } | undefined {
  const trimmed = trimTrailingSpace(scope === 'global' ? cutTrailingComment(valueText) : valueText);
  const first = trimmed.slice(0, 1);
  const last = trimmed.length > 1 ? trimmed.slice(-1) : '';
  if (!TYPOGRAPHIC_QUOTE.test(first) && !TYPOGRAPHIC_QUOTE.test(last)) return undefined;
  const start = ANY_QUOTE.test(first) ? 1 : 0;
  const end = ANY_QUOTE.test(last) ? trimmed.length - 1 : trimmed.length;
  return { text: trimmed.slice(start, end), offset: start };
}

/** A note about how a value was cut from its line; `message` is given the value as shown. */
type CutNote = Omit<Note, 'message'> & { message: (shown: string) => string };

/**
 * The value text as the directive's form cuts it from the rest of the line, and its offset
 * there; a note where ldirectord-ts reads it otherwise than the original, or a hint when the
 * line is not this directive after all.
 */
function cutValue(
  name: string,
  form: ValueForm,
  text: string,
  scope: Scope,
): { text: string; offset: number; note?: CutNote } | { unknown: string } {
  const quoted = form === 'quoted' || form === 'quoted-or-raw';
  const typographic = typographicQuotes(text, scope);
  if (typographic && !quoted) {
    return {
      text,
      offset: 0,
      note: {
        code: 'typographic-quotes',
        message: (shown) => `${name} is used as "${shown}", typographic quotes included`,
        hint: 'Only straight double quotes (") are quotes in ldirectord.cf, and this directive keeps even those as part of its value (so does the Perl original). Remove the quotes.',
      },
    };
  }
  if (typographic) {
    return {
      ...typographic,
      note: {
        code: 'typographic-quotes',
        category: 'differs-from-perl',
        message: (shown) => `${name} in typographic quotes read as "${shown}"`,
        hint:
          form === 'quoted'
            ? `The Perl original takes only straight double quotes and rejects this line as "Unknown command"; write ${name}="...".`
            : `The Perl original takes only straight double quotes and keeps these as part of the value; write ${name}="...".`,
      },
    };
  }
  if (form === 'leading-digits') return { text: /^\d*/.exec(text)![0], offset: 0 };
  if (!quoted) return { text, offset: 0 };
  const q = /^"(.*)"/s.exec(text);
  if (q) return { text: q[1]!, offset: 1 };
  if (form === 'quoted-or-raw') return { text, offset: 0 };
  if (text.startsWith('"')) {
    return {
      unknown: `The value must be in double quotes: ${name}="..."${scope === 'virtual' ? "; inside a virtual section a '#' starts a comment even between quotes" : ''}.`,
    };
  }
  return {
    text: trimTrailingSpace(scope === 'global' ? cutTrailingComment(text) : text),
    offset: 0,
    note: {
      code: 'unquoted-value',
      category: 'differs-from-perl',
      message: (shown) => `${name} value without quotes accepted: read as "${shown}"`,
      hint: `The Perl original requires ${name}="..." and rejects this line as "Unknown command".`,
    },
  };
}

/** Where the checked value of a line applies (the column is added per line). */
type LineContext = Omit<ValueContext, 'column'>;

/** Read one directive line (top-level or the text of a section line) through the table. */
function interpret(
  text: string,
  scope: Scope,
  line: number,
  placement: Placement,
  ctx: LineContext,
): Interpretation {
  let name: string;
  let valueText: string;
  let valueOffset: number;
  if (scope === 'global' && text.startsWith('supervised')) {
    // The original matches the bare prefix `^supervised` (§2.3).
    name = 'supervised';
    valueText = text.slice(name.length);
    valueOffset = name.length;
  } else {
    const m = NAME_RE.exec(text);
    if (!m) return { kind: 'unknown', column: column(placement, 0) };
    name = m[1]!;
    valueText = m[2]!;
    valueOffset = text.length - valueText.length;
  }
  if (!isDirectiveName(name)) return { kind: 'unknown', name, column: column(placement, 0) };
  return interpretValue(name, { scope, line, placement, ctx, valueText, valueOffset });
}

interface ValueAt {
  scope: Scope;
  line: number;
  placement: Placement;
  ctx: LineContext;
  /** The value text (the rest of the line after `name=`) and its offset in the line. */
  valueText: string;
  valueOffset: number;
}

/** Cut, check and place the value of directive `name` as its entry in the table says. */
function interpretValue<N extends DirectiveName>(name: N, at: ValueAt): Interpretation {
  const { scope, line, placement } = at;
  const spec = DIRECTIVE[name];
  const found = scope === 'global' ? spec.global : spec.virtual;
  if (!found) return { kind: 'unknown', name, column: column(placement, 0) };
  const cut = cutValue(name, found.form, at.valueText, scope);
  if ('unknown' in cut) {
    return { kind: 'unknown', name, column: column(placement, 0), hint: cut.unknown };
  }
  const valueText = cut.text;
  const valueOffset = at.valueOffset + cut.offset;
  const notes: Array<Note & { column: number }> = [];

  const outcome = found.parse(valueText, {
    ...at.ctx,
    column: (inValue) => column(placement, valueOffset + inValue),
  });
  if (!outcome.ok) {
    return {
      kind: 'error',
      code: outcome.code,
      message: outcome.message,
      ...(outcome.hint ? { hint: outcome.hint } : {}),
      column: column(placement, valueOffset + (outcome.offset ?? 0)),
      name,
    };
  }
  if (spec.range && typeof outcome.value === 'number') {
    const tooLarge = outOfRange(outcome.value, spec.range, `${name}=${valueText.trim()}`);
    if (tooLarge) {
      return {
        kind: 'error',
        code: 'number-out-of-range',
        message: tooLarge,
        hint: `The Perl original passes any number on; ldirectord-ts takes at most ${spec.range.max}.`,
        column: column(placement, valueOffset),
        name,
      };
    }
  }
  if (cut.note) {
    // The value as it is used: what the parser made of the text, when that is text.
    const used = typeof outcome.value === 'string' ? outcome.value : valueText;
    const { message, ...note } = cut.note;
    const shown = spec.secret ? MASK : excerpt(used);
    notes.push({ ...note, message: message(shown), column: column(placement, valueOffset) });
  }
  for (const n of outcome.notes ?? []) {
    notes.push({ ...n, column: column(placement, valueOffset + (n.offset ?? 0)) });
  }
  if (spec.notice) notes.push({ ...spec.notice, column: column(placement, 0) });

  const node: DirectiveNodeOf<N> = {
    name,
    scope,
    line,
    column: column(placement, 0),
    valueColumn: column(placement, valueOffset),
    text: valueText,
    value: outcome.value,
  };
  // TypeScript cannot see that a node of one name N is a member of the union over all names.
  return { kind: 'node', node: node as DirectiveNode, notes };
}

function unknownMessage(raw: string, scope: Scope, name: string | undefined): string {
  let shown = raw;
  if (name !== undefined && SECRET_NAME_RE.test(name)) {
    // Never echo what may be a password (a misspelt passwd= or secret=).
    shown = raw.replace(/=.*$/s, `=${MASK}`);
  }
  return scope === 'global'
    ? `Unknown command ${excerpt(shown)}`
    : `Unknown command "${excerpt(shown)}"`;
}

function unknownHint(raw: string, text: string, scope: Scope, name: string | undefined): string {
  if (name !== undefined) {
    const other: Scope = scope === 'global' ? 'virtual' : 'global';
    if (rule(name, other) && !rule(name, scope)) {
      return scope === 'global'
        ? `${name} is only valid inside a virtual section (indented under a virtual= line; a blank line ends a section).`
        : `${name} is a global directive: write it in column 0, outside the virtual sections.`;
    }
    const suggestion = suggestName(name, scope);
    if (suggestion !== undefined) {
      return `Did you mean ${suggestion}? Directive names are case-sensitive.`;
    }
  }
  if (scope === 'global' && /^[\t\n\v\f\r ]/.test(raw)) {
    const inner = NAME_RE.exec(text.trimStart());
    if (inner && (rule(inner[1]!, 'global') || rule(inner[1]!, 'virtual'))) {
      return 'Outside a virtual section directives start in column 0; indented lines belong to the virtual= line above them, and a blank line ends that section.';
    }
  }
  return scope === 'global'
    ? 'Expected a global directive name=value in column 0, or virtual=<address>:<port>.'
    : 'Expected a virtual-service directive name=value, indented by at least 4 spaces or a TAB.';
}

/** What the original needs of the lines of a section, said to a run of lines indented less. */
function shallowHint(raw: string, run: ShallowRun): string {
  const indent = /^[\t\n\v\f\r ]*/.exec(raw)![0];
  const by = /^ +$/.test(indent)
    ? `by ${indent.length} space${indent.length === 1 ? '' : 's'}`
    : `with "${excerpt(indent)}"`;
  const lines = run.last > run.first ? `lines ${run.first}-${run.last}` : `line ${run.first}`;
  return `Indented ${by}, this line ends the virtual section of line ${run.section}: a line belongs to a section only when it is indented by at least 4 spaces or a TAB (ldirectord-ts reads the file as the Perl original does). Indent ${lines} that way.`;
}

export function parse(text: string, file: string): ParseResult {
  const diagnostics = new FileDiagnostics(file);
  const lexed = lex(text, diagnostics);
  const tree: ConfigTree = { file, globals: [], virtuals: [] };
  let current: VirtualNode | undefined;

  const handle = (
    item: LexItem,
    result: Interpretation,
    scope: Scope,
    raw: string,
    directiveText: string,
  ): void => {
    if (result.kind === 'node') {
      if (scope === 'global') tree.globals.push(result.node);
      else current!.directives.push(result.node);
      for (const n of result.notes) {
        diagnostics.warn(item.line, n.column, n.code, n.message, n.hint, n.category);
      }
      return;
    }
    if (result.kind === 'error') {
      diagnostics.error(item.line, result.column, result.code, result.message, result.hint);
      return;
    }
    diagnostics.error(
      item.line,
      result.column ?? 1,
      'unknown-directive',
      unknownMessage(raw, scope, result.name),
      result.hint ??
        (item.kind === 'top' && item.shallow
          ? shallowHint(raw, item.shallow)
          : unknownHint(raw, directiveText, scope, result.name)),
    );
  };

  for (const item of lexed.items) {
    if (item.raw.length > MAX_LINE_LENGTH) {
      diagnostics.error(
        item.line,
        1,
        'line-too-long',
        `line of ${item.raw.length} characters: ldirectord-ts reads lines of at most ${MAX_LINE_LENGTH} characters`,
        'The Perl original reads a line of any length, but no ldirectord.cf needs one this long: is this the right file?',
      );
      if (item.kind === 'virtual') {
        // Keep the section, so that its lines are not read as top-level lines.
        current = {
          line: item.line,
          column: 1,
          valueColumn: 1,
          family: item.family,
          text: '',
          directives: [],
          endLine: item.line,
        };
        tree.virtuals.push(current);
      } else if (item.kind === 'top') current = undefined;
      continue;
    }
    if (item.kind === 'top') {
      current = undefined;
      // A run of under-indented lines is one mistake: reported once, at its first line.
      if (item.shallow && item.shallow.first !== item.line) continue;
      const ctx: LineContext = { scope: 'global', family: 4, fwmark: false };
      const placement: Placement = { raw: item.raw, textOffset: 0, expanded: false };
      handle(
        item,
        interpret(item.raw, 'global', item.line, placement, ctx),
        'global',
        item.raw,
        item.raw,
      );
      continue;
    }
    if (item.kind === 'virtual') {
      current = openVirtual(item, diagnostics, lexed.lineCount);
      tree.virtuals.push(current);
      continue;
    }
    // A section line.
    const v = current!;
    v.endLine = item.line;
    const ctx: LineContext = {
      scope: 'virtual',
      family: v.family,
      fwmark: v.address?.kind === 'fwmark',
    };
    const placement: Placement = { raw: item.raw, textOffset: item.textOffset, expanded: true };
    const first = interpret(item.text, 'virtual', item.line, placement, ctx);
    if (first.kind !== 'node' && item.raw.includes('#')) {
      // The original cuts the line at the first '#', even inside quotes. If the line only
      // makes sense with the '#' kept, keep it (with a migration warning).
      const processed = processBodyLine(item.raw, true);
      const indented = indentedText(processed);
      if (indented) {
        const retry = interpret(
          indented.text,
          'virtual',
          item.line,
          { raw: item.raw, textOffset: indented.offset, expanded: true },
          ctx,
        );
        if (retry.kind === 'node') {
          retry.notes.push({
            code: 'hash-inside-quotes',
            category: 'differs-from-perl',
            message: "'#' inside quotes kept as part of the value",
            hint: "The Perl original cuts every line of a virtual section at the first '#', even between quotes, and rejects this line.",
            column: rawColumn(item.raw, item.raw.indexOf('#')),
          });
          handle(item, retry, 'virtual', item.raw, indented.text);
          continue;
        }
      }
    }
    handle(item, first, 'virtual', item.raw, item.text);
  }
  return { tree, diagnostics: sortDiagnostics(diagnostics.list) };
}

function openVirtual(
  item: Extract<LexItem, { kind: 'virtual' }>,
  diagnostics: FileDiagnostics,
  lineCount: number,
): VirtualNode {
  const family: Family = item.family;
  const valueColumn = item.valueOffset + 1;
  const node: VirtualNode = {
    line: item.line,
    column: 1,
    valueColumn,
    family,
    text: item.value,
    directives: [],
    endLine: item.line,
  };
  const outcome = parseVirtualAddress(item.value, family);
  if (outcome.ok) {
    node.address = outcome.value;
    for (const n of outcome.notes ?? []) {
      diagnostics.warn(
        item.line,
        valueColumn + (n.offset ?? 0),
        n.code,
        n.message,
        n.hint,
        n.category,
      );
    }
  } else {
    diagnostics.error(
      item.line,
      valueColumn + (outcome.offset ?? 0),
      outcome.code,
      outcome.message,
      outcome.hint,
    );
  }
  if (item.line === lineCount) {
    diagnostics.differsFromPerl(
      item.line,
      1,
      'virtual-last-line',
      'virtual service on the last line of the file, with no directives',
      'The Perl original reads this line twice and rejects the file with "duplicate virtual server".',
    );
  }
  return node;
}
