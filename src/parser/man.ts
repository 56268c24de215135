// The CONFIGURATION DIRECTIVES section of man/ldirectord-ts.8, generated from the directive
// table (scripts/gen-man.ts writes it; a unit test fails when the committed page is stale).
import { DIRECTIVES, type DirectiveSpec } from './directives.ts';
import { MAX_LINE_LENGTH } from './lexer.ts';

export const MAN_BEGIN = '.\\" BEGIN GENERATED: CONFIGURATION DIRECTIVES (scripts/gen-man.ts)';
export const MAN_END = '.\\" END GENERATED: CONFIGURATION DIRECTIVES';

/** Escape text for roff: backslashes, hyphens, and a leading dot or quote. */
export function roff(text: string): string {
  return text
    .replace(/\\/g, '\\e')
    .replace(/-/g, '\\-')
    .replace(/^([.'])/, '\\&$1');
}

function scopes(d: DirectiveSpec): string {
  if (d.name === 'virtual' || d.name === 'virtual6') return 'section';
  if (d.global && d.virtual)
    return d.inheritsGlobal
      ? 'global or virtual; a virtual service without it uses the global value'
      : 'global or virtual';
  return d.global ? 'global' : 'virtual';
}

function entry(d: DirectiveSpec): string {
  // A text line, not .B arguments, so that double quotes in the syntax stay literal; \: lets
  // long alternatives break after each '|'.
  const syntax = d.syntax ? ` = \\fI${roff(d.syntax).replace(/\|/g, '|\\:')}\\fR` : '';
  const lines = ['.TP', `\\fB${roff(d.name)}\\fR${syntax}`];
  const text = [d.help];
  if (d.defaultText) text.push(`Default: ${d.defaultText}.`);
  if (d.range) {
    const unit = d.range.unit ? ` ${d.range.unit}` : '';
    text.push(`At most ${d.range.max}${unit} (${d.range.reason}).`);
  }
  text.push(`Scope: ${scopes(d)}.`);
  if (d.notice) text.push(d.notice.message.replace(/\s+$/, '') + '.');
  lines.push(roff(text.join(' ')));
  return lines.join('\n');
}

export function directivesSection(): string {
  const body = [
    MAN_BEGIN,
    '.SH CONFIGURATION DIRECTIVES',
    roff(
      `Global directives start in column 0. A virtual= or virtual6= line starts a virtual service; the lines after it that are indented by a TAB or at least 4 spaces configure it, and a blank line ends it. Lines whose first non-blank character is # are comments; inside a virtual section # starts a comment anywhere on a line. Names are case-sensitive. A line that is not a comment may be at most ${MAX_LINE_LENGTH} characters long (the Perl original reads any length). ldirectord-ts check prints every problem of a file and what each setting resolves to.`,
    ),
    ...DIRECTIVES.map(entry),
    MAN_END,
  ];
  return `${body.join('\n')}\n`;
}

/** The page with its generated section replaced (or a skeleton around it when absent). */
export function renderManPage(existing: string | undefined): string {
  const section = directivesSection();
  if (existing?.includes(MAN_BEGIN) && existing.includes(MAN_END)) {
    const start = existing.indexOf(MAN_BEGIN);
    const end = existing.indexOf(MAN_END) + MAN_END.length + 1;
    return existing.slice(0, start) + section + existing.slice(end);
  }
  return [
    '.TH LDIRECTORD-TS 8 "" "ldirectord-ts" "System Administration"',
    '.SH NAME',
    'ldirectord\\-ts \\- Linux Director Daemon: health checks for LVS real servers',
    '.SH SYNOPSIS',
    '.B ldirectord\\-ts',
    '[\\fB\\-d\\fR] [\\fIconfigfile\\fR] \\fBstart\\fR|\\fBstop\\fR|\\fBrestart\\fR|\\fBtry\\-restart\\fR|\\fBreload\\fR|\\fBforce\\-reload\\fR|\\fBstatus\\fR',
    '.br',
    '.B ldirectord\\-ts check',
    '[\\fB\\-\\-json\\fR] [\\fIconfigfile\\fR...]',
    '.SH DESCRIPTION',
    'A drop\\-in replacement for the Perl ldirectord: it reads an unmodified ldirectord.cf, checks every real server and keeps the IPVS table right through ipvsadm.',
    section.trimEnd(),
    '.SH SEE ALSO',
    '.BR ipvsadm (8)',
    '',
  ].join('\n');
}
