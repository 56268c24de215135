// The real perl as the oracle for receive patterns: it decides match or no match for a table of
// (pattern, subject) pairs exactly as ldirectord does (`$content =~ /$receive/`, byte strings),
// so tests of src/lib/perl-regex.ts compare against Perl itself rather than our reading of it.
import { spawnSync } from 'node:child_process';

export type PerlVerdict = { match: boolean } | { error: string };

// One perl process for the whole table: each input line is `<pattern hex> <subject hex>`.
// The pattern is interpolated into m// from a variable, as ldirectord does, so string escapes
// such as \Q or \U reach the regex compiler unprocessed, as they do in ldirectord.
const ORACLE = String.raw`
use strict;
no warnings;
binmode STDIN; binmode STDOUT;
while (my $line = <STDIN>) {
  chomp $line;
  my ($p, $s) = map { pack 'H*', $_ } split / /, $line, -1;
  $p = '' unless defined $p;
  $s = '' unless defined $s;
  my $m = eval { ($s =~ /$p/) ? 1 : 0 };
  if (!defined $m) { my $e = $@; $e =~ s/\s+/ /g; print "E $e\n"; next }
  print "$m\n";
}
`;

/** Whether perl is on PATH (it is a dependency of ldirectord, so always on a director). */
export function perlUnavailable(): string | undefined {
  const r = spawnSync('perl', ['-e', 'exit 0']);
  return r.status === 0 ? undefined : 'perl is not installed';
}

/** Asks perl about every pair at once. Strings are taken as bytes: each char must be <= 0xFF. */
export function perlVerdicts(
  cases: ReadonlyArray<{ pattern: string; subject: string }>,
): PerlVerdict[] {
  const hex = (text: string): string => Buffer.from(text, 'latin1').toString('hex');
  const input = cases.map((c) => `${hex(c.pattern)} ${hex(c.subject)}\n`).join('');
  const r = spawnSync('perl', ['-e', ORACLE], { input, maxBuffer: 16 * 1024 * 1024 });
  if (r.status !== 0) throw new Error(`perl oracle failed: ${r.stderr.toString()}`);
  const lines = r.stdout.toString('latin1').split('\n').slice(0, cases.length);
  if (lines.length !== cases.length) throw new Error('perl oracle: short output');
  return lines.map((l) => (l.startsWith('E ') ? { error: l.slice(2) } : { match: l === '1' }));
}
