// checktype=external-perl (the original's check_external_perl): a Perl script run with the
// same four arguments as checktype=external. The original compiles the file into a sub inside
// the daemon (`sub { @ARGV = @_; <file> }`, under its `use strict`); we compile it the same way,
// but in a perl child of its own, under the deadline, so a hanging or crashing script cannot
// stop the daemon. Falling off the end (or `return`) is up, as in the original; `die`, a
// compile error or an unreadable file is down; `exit(n)` is up for 0 and down otherwise.
// Difference (docs/compatibility.md): in the original, `exit` inside the script is not
// intercepted (the CORE::GLOBAL::exit override is installed after the sub is compiled), so it
// ends ldirectord itself; and the compiled script is cached for the life of the process.
import { type ExternalTarget, externalArguments, runExternal } from './external.ts';
import type { Checker } from './types.ts';

/** Perl that loads the script as the original does and runs it with @ARGV = the arguments. */
const LOADER = String.raw`
use strict;
use Socket;
my $file = shift @ARGV;
open(CMDFILE, "<", $file) || die "cannot open external-perl checkcommand file: $file\n";
my $code = join("", <CMDFILE>);
close(CMDFILE);
my $sub = eval("sub { \@ARGV=\@_; " . $code . " }");
die $@ unless $sub;
$sub->(@ARGV);
exit 0;
`;

export const checkExternalPerl: Checker<ExternalTarget> = (target, signal) =>
  runExternal(
    'perl',
    ['-e', LOADER, '--', target.checkcommand, ...externalArguments(target)],
    signal,
  );
