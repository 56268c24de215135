// parse(text, file): the syntax tree of an ldirectord.cf and every diagnostic, positioned at
// file:line:column. Lexical rules are in lexer.ts; what each directive accepts is in the
// directive table (directives.ts). Nothing is resolved here (see src/config/resolve.ts).
import { cutTrailingComment, trimTrailingSpace, WS } from '../lib/perl.ts';
import { excerpt } from '../lib/printable.ts';
import { MASK } from '../lib/secrets.ts';
import {
  type Diagnostic,
  differsFromPerl,
  error,
  sortDiagnostics,
  warning,
} from '../model/diagnostics.ts';
import type { Family } from '../model/domain.ts';
import { DIRECTIVE, type DirectiveName, isDirectiveName, rule, suggestName } from './directives.ts';
import {
  indentedText,
  type LexItem,
  lex,
  MAX_LINE_LENGTH,
  processBodyLine,
  rawColumn,
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
  let { valueText, valueOffset } = at;
  const notes: Array<Note & { column: number }> = [];

  if (found.form === 'quoted' || found.form === 'quoted-or-raw') {
    const q = /^"(.*)"/s.exec(valueText);
    if (q) {
      valueText = q[1]!;
      valueOffset += 1;
    } else if (found.form === 'quoted') {
      if (valueText.startsWith('"')) {
        return {
          kind: 'unknown',
          name,
          column: column(placement, 0),
          hint: `The value must be in double quotes: ${name}="..."${scope === 'virtual' ? "; inside a virtual section a '#' starts a comment even between quotes" : ''}.`,
        };
      }
      const unquoted = scope === 'global' ? cutTrailingComment(valueText) : valueText;
      valueText = trimTrailingSpace(unquoted);
      notes.push({
        code: 'unquoted-value',
        category: 'differs-from-perl',
        message: `${name} value without quotes accepted`,
        hint: `The Perl original requires ${name}="..." and rejects this line as "Unknown command".`,
        column: column(placement, valueOffset),
      });
    }
  } else if (found.form === 'leading-digits') {
    valueText = /^\d*/.exec(valueText)![0];
  }

  const offset = valueOffset;
  const outcome = found.parse(valueText, {
    ...at.ctx,
    column: (inValue) => column(placement, offset + inValue),
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

export function parse(text: string, file: string): ParseResult {
  const lexed = lex(text, file);
  const diagnostics: Diagnostic[] = [...lexed.diagnostics];
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
        diagnostics.push(warning(file, item.line, n.column, n.code, n.message, n.hint, n.category));
      }
      return;
    }
    if (result.kind === 'error') {
      diagnostics.push(
        error(file, item.line, result.column, result.code, result.message, result.hint),
      );
      return;
    }
    diagnostics.push(
      error(
        file,
        item.line,
        result.column ?? 1,
        'unknown-directive',
        unknownMessage(raw, scope, result.name),
        result.hint ?? unknownHint(raw, directiveText, scope, result.name),
      ),
    );
  };

  for (const item of lexed.items) {
    if (item.raw.length > MAX_LINE_LENGTH) {
      diagnostics.push(
        error(
          file,
          item.line,
          1,
          'line-too-long',
          `line of ${item.raw.length} characters: ldirectord-ts reads lines of at most ${MAX_LINE_LENGTH} characters`,
          'The Perl original reads a line of any length, but no ldirectord.cf needs one this long: is this the right file?',
        ),
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
      current = openVirtual(item, file, diagnostics, lexed.lineCount);
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
  return { tree, diagnostics: sortDiagnostics(diagnostics) };
}

function openVirtual(
  item: Extract<LexItem, { kind: 'virtual' }>,
  file: string,
  diagnostics: Diagnostic[],
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
      diagnostics.push(
        warning(
          file,
          item.line,
          valueColumn + (n.offset ?? 0),
          n.code,
          n.message,
          n.hint,
          n.category,
        ),
      );
    }
  } else {
    diagnostics.push(
      error(
        file,
        item.line,
        valueColumn + (outcome.offset ?? 0),
        outcome.code,
        outcome.message,
        outcome.hint,
      ),
    );
  }
  if (item.line === lineCount) {
    diagnostics.push(
      differsFromPerl(
        file,
        item.line,
        1,
        'virtual-last-line',
        'virtual service on the last line of the file, with no directives',
        'The Perl original reads this line twice and rejects the file with "duplicate virtual server".',
      ),
    );
  }
  return node;
}
