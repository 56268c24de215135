// The "parse dumper" of docs/ldirectord-behavior.md, Appendix A: the Perl original with its main
// code replaced by read_config() + ld_setup() and a JSON dump of @VIRTUAL and the globals. Built
// from the installed /usr/sbin/ldirectord at run time (nothing of it is committed).
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const PERL_LDIRECTORD = '/usr/sbin/ldirectord';

const MAIN_START = '# main code\n$DEBUG = $opt_d ? 3 : 0;';
const MAIN_END = '&ld_exit(0, "Reached end of \\"main\\"");';

const DUMPER_MAIN = `# main code (replaced by ldirectord-ts' parse dumper)
use JSON::PP;
$DEBUG = 0;
$opt_d = $ENV{LDTS_DUMP_DEBUG} ? 1 : 0;
$CONFIG = $ARGV[0];
$CFGNAME = "ldts-parse-dump-" . $$;
$HOSTNAME = "ldts-host";
$DAEMON_STATUS = $DAEMON_STATUS_STARTING;
# Log lines go to stderr, never to /var/log/ldirectord.log (ld_openlog still tests logfile=).
{ no warnings 'redefine'; *ld_log = sub { print STDERR "$_[0]\n"; return 0; }; }
read_config();
ld_setup();
my %global = (
  checktimeout => $CHECKTIMEOUT, negotiatetimeout => $NEGOTIATETIMEOUT,
  checkinterval => $CHECKINTERVAL, checkcount => $CHECKCOUNT, failurecount => $FAILURECOUNT,
  fallback => $FALLBACK, fallback6 => $FALLBACK6, fallbackcommand => $FALLBACKCOMMAND,
  autoreload => $AUTOCHECK, callback => $CALLBACK, logfile => $LDIRLOG,
  execute => [sort keys %LD_INSTANCE], fork => $FORKING, supervised => $SUPERVISED,
  quiescent => $QUIESCENT, readdquiescent => $READDQUIESCENT, emailalert => $EMAILALERT,
  emailalertfreq => $EMAILALERTFREQ, emailalertstatus => $EMAILALERTSTATUS,
  emailalertfrom => $EMAILALERTFROM, cleanstop => $CLEANSTOP, smtp => $SMTP,
  maintenancedir => $MAINTDIR,
);
print JSON::PP->new->canonical->allow_unknown->encode({ global => \\%global, virtual => \\@VIRTUAL });
CORE::exit(0);
`;

let dumperPath: string | undefined;

export function perlAvailable(): boolean {
  return existsSync(PERL_LDIRECTORD) && existsSync('/usr/bin/perl');
}

function dumper(): string {
  if (dumperPath) return dumperPath;
  const source = readFileSync(PERL_LDIRECTORD, 'utf8');
  const start = source.indexOf(MAIN_START);
  const end = source.indexOf(MAIN_END);
  if (start < 0 || end < 0) throw new Error(`${PERL_LDIRECTORD}: main code markers not found`);
  const patched = source.slice(0, start) + DUMPER_MAIN + source.slice(end + MAIN_END.length);
  const dir = mkdtempSync(join(tmpdir(), 'ldts-perl-dump-'));
  dumperPath = join(dir, 'ldirectord-parse-dump');
  writeFileSync(dumperPath, patched, { mode: 0o755 });
  return dumperPath;
}

export interface PerlParse {
  exitCode: number;
  stderr: string;
  /** The dump when the original accepted the file. */
  dump?: { global: Record<string, unknown>; virtual: Array<Record<string, unknown>> };
  /** `Error [pid] reading file <f> at line <n>: <msg>` of a rejected file. */
  error?: { line: number; message: string };
  warnings: Array<{ line: number; message: string }>;
}

function parseLines(
  stderr: string,
  kind: 'Error' | 'Warning',
): Array<{ line: number; message: string }> {
  const out: Array<{ line: number; message: string }> = [];
  const re = new RegExp(`^${kind} \\[\\d+\\](?: reading file .* at line (\\d+))?: (.*)$`, 'gm');
  for (const m of stderr.matchAll(re)) out.push({ line: Number(m[1] ?? 0), message: m[2]! });
  return out;
}

/**
 * Run the original's parser on a file. debug: as with -d (the logfile is not tested); without
 * it logfile= is tested as at a real start (log lines still go to stderr, not to a file).
 */
export function perlParse(file: string, debug = true): Promise<PerlParse> {
  return new Promise((resolve, reject) => {
    execFile(
      '/usr/bin/perl',
      [dumper(), file],
      {
        env: {
          PATH: '/usr/bin:/bin:/usr/sbin:/sbin',
          LDTS_DUMP_DEBUG: debug ? '1' : '',
          PERLIO: 'perlio',
        },
        timeout: 30_000,
        maxBuffer: 64 * 1024 * 1024,
      },
      (err, stdout, stderr) => {
        const exitCode = err ? (typeof err.code === 'number' ? err.code : -1) : 0;
        if (err && typeof err.code !== 'number') {
          reject(err);
          return;
        }
        const result: PerlParse = { exitCode, stderr, warnings: parseLines(stderr, 'Warning') };
        if (exitCode === 0) result.dump = JSON.parse(stdout);
        const errors = parseLines(stderr, 'Error');
        if (errors.length > 0) result.error = errors[0]!;
        resolve(result);
      },
    );
  });
}
