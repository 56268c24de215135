// ldirectord's own command line (§1.1 of the behaviour reference):
//   ldirectord [-d|--debug] [--] [configfile] start|stop|restart|try-restart|reload|force-reload|status
//   ldirectord [-h|-?|--help|-v|--version]
// Getopt::Long with bundling and require_order: options stop at the first non-option word.
// ldirectord-ts adds the global options --pid-dir DIR, --ipvsadm PATH, --log-format and
// --dry-run.
import { ACTIONS, type Action, type ActionOptions, runAction } from '../daemon/actions.ts';
import { ORIGINAL_VERSION, VERSION } from '../version.ts';

/** The command line read: the action's options, -h and -v, and the action if one was given. */
export interface LegacyArgs extends Omit<ActionOptions, 'action'> {
  help: boolean;
  version: boolean;
  action?: Action;
}

export class UsageError extends Error {}

const LONG_WITH_VALUE = new Set(['--pid-dir', '--ipvsadm', '--log-format']);

export function parseLegacyArgs(argv: readonly string[]): LegacyArgs {
  const args: LegacyArgs = {
    debug: false,
    help: false,
    version: false,
    json: false,
    dryRun: false,
  };
  let i = 0;
  for (; i < argv.length; i++) {
    const word = argv[i]!;
    if (word === '--') {
      i++;
      break;
    }
    if (!word.startsWith('-') || word === '-') break;
    if (word.startsWith('--')) {
      const [name, inline] = word.includes('=') ? word.split(/=(.*)/s, 2) : [word, undefined];
      if (LONG_WITH_VALUE.has(name!)) {
        const value = inline ?? argv[++i];
        if (value === undefined)
          throw new UsageError(`Option ${name!.slice(2)} requires an argument`);
        if (name === '--pid-dir') args.pidDir = value;
        else if (name === '--ipvsadm') args.ipvsadm = value;
        else if (value === 'json' || value === 'text') args.logFormat = value;
        else throw new UsageError(`Value "${value}" invalid for option log-format (text or json)`);
      } else if (name === '--debug') args.debug = true;
      else if (name === '--dry-run') args.dryRun = true;
      else if (name === '--help') args.help = true;
      else if (name === '--version') args.version = true;
      else throw new UsageError(`Unknown option: ${name!.slice(2)}`);
      continue;
    }
    // Bundled short options: -dv
    for (const letter of word.slice(1)) {
      if (letter === 'd') args.debug = true;
      else if (letter === 'h' || letter === '?') args.help = true;
      else if (letter === 'v') args.version = true;
      else throw new UsageError(`Unknown option: ${letter}`);
    }
  }
  const positional = argv.slice(i);
  if (positional.length === 1) {
    args.action = positional[0] as Action;
  } else if (positional.length >= 2) {
    args.config = positional[0];
    args.action = positional[1] as Action;
    // Extension: `status --json` (the original ignores words after the action).
    if (positional.slice(2).includes('--json')) args.json = true;
  }
  return args;
}

export const VERSION_TEXT = `${ORIGINAL_VERSION}
1999-2006 Jacob Rief, Horms and others
<http://www.vergenet.net/linux/ldirectord/>

ldirectord comes with ABSOLUTELY NO WARRANTY.
This is free software, and you are welcome to redistribute it
under certain conditions. See the GNU General Public Licence for details.
`;

export const USAGE_TEXT = `Usage:
    ldirectord [-d|--debug] [--] [configfile] start | stop | restart |
    try-restart | reload | force-reload | status

    ldirectord [-h|-?|--help|-v|--version]

    ldirectord-ts [--dry-run] [-d] [--] [configfile] start

    ldirectord-ts check [--json] [configfile...]
    ldirectord-ts plan [--down] configfile
    ldirectord-ts doctor [--json] [--fix [--dry-run]] [--ha-dir DIR] [configfile]
    ldirectord-ts doctor --real-server VIP[,VIP...] [--method dr|tun|nat] [--json] [--fix [--dry-run]]

Options:
    configuration: This is the name for the configuration as specified in
    the file /etc/ha.d/conf/configuration

    -d|--debug: Don't run as daemon and log verbosely.

    -h|--help: Print user manual and exit.

    -v|--version: Print version and exit.

    --pid-dir DIR: (ldirectord-ts) keep the pid file in DIR instead of /var/run (also
    LDIRECTORD_TS_PID_DIR).

    --ipvsadm PATH: (ldirectord-ts) the ipvsadm program to run (also LDIRECTORD_IPVSADM).

    --log-format text|json: (ldirectord-ts) json writes one JSON record per log line, with
    structured fields beside the original's message.

    --dry-run: (ldirectord-ts) check the real servers as usual, but keep the IPVS table in
    memory: each ipvsadm command is logged ("Dry run: ipvsadm ...") instead of run. Needs
    neither ipvsadm nor root.

    doctor options (ldirectord-ts): doctor checks what this host needs for LVS (sysctls,
    VIPs, modules, timeouts, the IPVS table against the plan, the daemon); exit 0 nothing
    wrong, 1 something is, 2 cannot check.

    --real-server VIP[,VIP...]: check this host as a real server for these VIPs.

    --method dr|tun|nat: how the director forwards to this real server (default dr).

    --interface DEV: the real server's device facing the director.

    --director ADDR: the director's address (NAT: the real server's gateway).

    --fix: run the commands that fix what was found, then check again.

    --dry-run (with --fix): print those commands and the files that keep them, run nothing.

    Commands:

    start: Start the daemon for the specified configuration.

    stop: Stop the daemon for the specified configuration. This is the same
    as sending a TERM signal to the running daemon.

    restart: Restart the daemon for the specified configuration. The same
    as stopping and starting the daemon.

    try-restart: Restart the daemon for the specified configuration if it
    is running.

    reload: Reload the configuration file. This is only useful for
    modifications in a virtual server entry.

    force-reload: Same as reload.

    status: Show status of the running daemon for the specified
    configuration.

    Environment (ldirectord-ts):

    LDIRECTORD_IPVSADM: the ipvsadm program (as --ipvsadm).

    LDIRECTORD_TS_PID_DIR: the pid file folder (as --pid-dir), for callers that must
    keep the command line "<program> <configfile> start" as it is.

    LDIRECTORD_TS_SYSLOG_SOCKET: the syslog socket for logfile=<facility> (default
    /dev/log).

    LDIRECTORD_TS_SMTP_PORT: the port of the smtp= server for alerts (default 25).

    LDIRECTORD_TS_STOP_TIMEOUT_MS: how long stop and restart wait for the daemon to
    exit (default 60000).
`;

export async function run(argv: string[]): Promise<number> {
  let args: LegacyArgs;
  try {
    args = parseLegacyArgs(argv);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    process.stderr.write(`${error.message}\n`);
    process.stdout.write(USAGE_TEXT);
    return 255;
  }
  if (args.help) {
    process.stdout.write(USAGE_TEXT);
    return 0;
  }
  if (args.version) {
    process.stdout.write(`${VERSION_TEXT}\nldirectord-ts ${VERSION}\n`);
    return 0;
  }
  const { help: _help, version: _version, action, ...options } = args;
  if (action === undefined || !(ACTIONS as readonly string[]).includes(action)) {
    process.stdout.write(USAGE_TEXT);
    return 255;
  }
  return runAction({ ...options, action });
}
