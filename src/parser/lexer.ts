// The original's lexical rules (read_config, §2.1 of the behaviour reference):
//  - lines end at \n only; there is no continuation;
//  - a top-level line is blank, a comment (first non-blank is '#'), or a directive that
//    starts in column 0;
//  - `virtual=`/`virtual6=` opens a section; each following line, unless it is a comment,
//    loses everything from the first '#' (even inside quotes), has every TAB turned into 4
//    spaces, and belongs to the section if it then starts with at least 4 spaces;
//  - any other line ends the section and is read again as a top-level line, so a blank line
//    ends a section.
// Where the original rejects a file that has an obvious meaning (CR LF line ends, a blank
// line inside a section, a UTF-8 byte order mark) the lexer accepts it and reports a
// migration warning instead; see docs/compatibility.md.
import { WS } from '../lib/perl.ts';
import type { FileDiagnostics } from '../model/diagnostics.ts';

/**
 * Lines indented too little to belong to the virtual section above them: the first ends it,
 * and it and the indented lines that follow it are read as top-level lines.
 */
export interface ShallowRun {
  /** Line of the virtual= whose section the run ended. */
  section: number;
  /** First and last line of the run. */
  first: number;
  last: number;
}

export type LexItem =
  | {
      kind: 'top';
      line: number;
      raw: string;
      /** Set on the lines of a run of under-indented lines after a section. */
      shallow?: ShallowRun;
    }
  | {
      kind: 'virtual';
      line: number;
      raw: string;
      family: 4 | 6;
      /** Text after `virtual\s*=\s*` and its 0-based offset in raw. */
      value: string;
      valueOffset: number;
    }
  | {
      kind: 'body';
      line: number;
      raw: string;
      /** The directive text: processed line without its indentation. */
      text: string;
      /** 0-based offset of text in the processed line (for column mapping). */
      textOffset: number;
    };

/** Longest directive line read (characters); see docs/compatibility.md. */
export const MAX_LINE_LENGTH = 65536;

const VIRTUAL_RE = new RegExp(`^virtual(6)?${WS}*=${WS}*(.*)`, 's');
const COMMENT_RE = new RegExp(`^${WS}*#`);
const BLANK_RE = new RegExp(`^${WS}*$`);
const INDENTED_RE = new RegExp(`^${WS}`);

/** The original's processing of a line inside a section: strip from '#', TAB -> 4 spaces. */
export function processBodyLine(raw: string, quoteAware = false): string {
  const stripped = quoteAware ? stripCommentOutsideQuotes(raw) : raw.replace(/#.*/s, '');
  return stripped.replace(/\t/g, '    ');
}

/** '#' starts a comment only outside double quotes (ldirectord-ts' lenient reading). */
export function stripCommentOutsideQuotes(raw: string): string {
  let quoted = false;
  for (let i = 0; i < raw.length; i++) {
    const c = raw[i];
    if (c === '"') quoted = !quoted;
    else if (c === '#' && !quoted) return raw.slice(0, i);
  }
  return raw;
}

/** `^ {4,}(.+)` on a processed line: the directive text and its offset, if indented. */
export function indentedText(processed: string): { text: string; offset: number } | undefined {
  const m = /^ {4,}(.+)/s.exec(processed);
  if (!m) return undefined;
  return { text: m[1]!, offset: processed.length - m[1]!.length };
}

/** 1-based column in the raw line of a 0-based offset into its TAB-expanded form. */
export function rawColumn(raw: string, processedOffset: number): number {
  let p = 0;
  for (let i = 0; i < raw.length; i++) {
    const width = raw[i] === '\t' ? 4 : 1;
    if (p + width > processedOffset) return i + 1;
    p += width;
  }
  return raw.length + 1;
}

export interface LexResult {
  items: LexItem[];
  /** Number of lines in the file (the original's count). */
  lineCount: number;
}

/** The lines of `text`; what the lexer finds to warn about goes to `diagnostics`. */
export function lex(text: string, diagnostics: FileDiagnostics): LexResult {
  const items: LexItem[] = [];
  const lines = text.split('\n');
  if (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();

  let inSection = false;
  let sectionLine = 0;
  /** Line of a blank line that ended the section for the original (0: none pending). */
  let pendingEndLine = 0;
  let crlfReported = false;
  /** The run of under-indented lines going on, if any. */
  let shallow: ShallowRun | undefined;

  for (let index = 0; index < lines.length; index++) {
    const line = index + 1;
    let raw = lines[index]!;
    if (raw.endsWith('\r')) {
      raw = raw.slice(0, -1);
      if (!crlfReported) {
        crlfReported = true;
        diagnostics.differsFromPerl(
          line,
          raw.length + 1,
          'crlf-line-ends',
          'line ends in CR LF (DOS format): ldirectord-ts ignores the CR',
          'The Perl original keeps the CR as part of every value, so yes/no directives fail there; convert the file with dos2unix.',
        );
      }
    }
    if (index === 0 && raw.startsWith('\uFEFF')) {
      raw = raw.slice(1);
      diagnostics.differsFromPerl(
        1,
        1,
        'byte-order-mark',
        'file starts with a UTF-8 byte order mark: ldirectord-ts ignores it',
        'The Perl original reads it as part of the first line and reports "Unknown command".',
      );
    }

    if (inSection) {
      if (COMMENT_RE.test(raw)) continue;
      const processed = processBodyLine(raw);
      const indented = indentedText(processed);
      if (indented && !BLANK_RE.test(indented.text)) {
        if (pendingEndLine > 0) {
          diagnostics.differsFromPerl(
            line,
            rawColumn(raw, indented.offset),
            'section-continues-after-blank',
            `indented line after a blank line: ldirectord-ts keeps it in the virtual service of line ${sectionLine}`,
            `The Perl original ends the section at the blank line ${pendingEndLine} and rejects this line as "Unknown command"; remove the blank line.`,
          );
          pendingEndLine = 0;
        }
        items.push({ kind: 'body', line, raw, text: indented.text, textOffset: indented.offset });
        continue;
      }
      if (BLANK_RE.test(processed)) {
        // Blank (or only a comment after its indentation): the original ends the section
        // here, or, with 5 or more spaces, reports "Unknown command". Keep the section open
        // in case indented lines follow.
        if (pendingEndLine === 0 && indented) {
          diagnostics.differsFromPerl(
            line,
            1,
            'whitespace-only-line',
            'line holds only spaces: ldirectord-ts ignores it',
            'The Perl original rejects a line of 5 or more spaces inside a virtual section as "Unknown command".',
          );
        }
        if (pendingEndLine === 0 && !indented) pendingEndLine = line;
        continue;
      }
      inSection = false;
      pendingEndLine = 0;
      if (INDENTED_RE.test(raw)) shallow = { section: sectionLine, first: line, last: line };
    }

    const v = VIRTUAL_RE.exec(raw);
    if (v) {
      shallow = undefined;
      const value = v[2]!;
      items.push({
        kind: 'virtual',
        line,
        raw,
        family: v[1] ? 6 : 4,
        value,
        valueOffset: raw.length - value.length,
      });
      inSection = true;
      sectionLine = line;
      pendingEndLine = 0;
      continue;
    }
    if (COMMENT_RE.test(raw)) continue;
    if (BLANK_RE.test(raw) || !INDENTED_RE.test(raw)) shallow = undefined;
    if (BLANK_RE.test(raw)) continue;
    if (shallow) {
      shallow.last = line;
      items.push({ kind: 'top', line, raw, shallow });
    } else items.push({ kind: 'top', line, raw });
  }
  return { items, lineCount: lines.length };
}
