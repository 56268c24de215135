// `ldirectord-ts doctor [configfile]` on a director, `ldirectord-ts doctor --real-server
// VIP[,VIP...] [--method dr|tun|nat]` on a real server: what this host needs for LVS that no
// health check sees (sysctls, the VIP, modules, timeouts, the table against the plan, the
// daemon). It reads /proc, /sys, `ip` and `ipvsadm` output and sends no traffic. With --fix it
// runs the commands it proposes (no shell) and checks again; --fix --dry-run prints them and
// the files that keep them across reboots. Exit status: 0 nothing wrong, 1 something is,
// 2 it cannot check (not root, no /proc, no config file, bad arguments).
import { Command, Option } from 'commander';
import { parseArgv, type SubcommandIO, writingTo } from './subcommand.ts';
import { checkDirector, describeDirector } from '../doctor/director.ts';
import { assertCanCheck, gatherDirector, gatherNet } from '../doctor/gather.ts';
import { canonicalAddress } from '../lib/inet.ts';
import { SELF } from '../doctor/process-checks.ts';
import { checkRealServer, describeRealServer } from '../doctor/real-server.ts';
import {
  type CommandRun,
  type DoctorReport,
  exitStatus,
  fixCommands,
  formatText,
  persistentFiles,
} from '../doctor/report.ts';
import { CannotCheckError, type Finding, type RealServerOptions } from '../doctor/types.ts';
import { runCommand } from '../lib/run-command.ts';
import { selfCommand } from '../lib/self-command.ts';

/** Where doctor writes: the process's streams, or a test's buffers (as for check). */
export type DoctorIO = SubcommandIO;

interface Options {
  realServer?: string;
  method: RealServerOptions['method'];
  interface?: string;
  director?: string;
  json?: boolean;
  fix?: boolean;
  dryRun?: boolean;
  haDir?: string;
  pidDir?: string;
  ipvsadm?: string;
}

class UsageError extends Error {}

/**
 * Each fix command is killed after this. Most take milliseconds; starting the daemon waits for
 * it to read the config, which took over a minute in an emulated guest on a loaded machine.
 */
const FIX_TIMEOUT_MS = 300_000;

function parseAddress(text: string, what: string): string {
  const address = canonicalAddress(text.trim());
  if (address === undefined) throw new UsageError(`${what}: "${text}" is not an IP address`);
  return address;
}

/** The program behind a proposed command; `ldirectord-ts` is this very program. */
function resolveProgram(argv: readonly string[]): [string, string[]] {
  if (argv[0] === SELF) {
    const self = selfCommand();
    return [self.file, [...self.prefix, ...argv.slice(1)]];
  }
  return [argv[0]!, argv.slice(1)];
}

async function applyFixes(commands: readonly string[][]): Promise<CommandRun[]> {
  const runs: CommandRun[] = [];
  for (const command of commands) {
    const [file, args] = resolveProgram(command);
    const r = await runCommand(file, args, { timeoutMs: FIX_TIMEOUT_MS });
    runs.push({
      command: [...command],
      code: r.code,
      message: r.spawnError
        ? r.spawnError.message
        : r.timedOut
          ? `killed after ${FIX_TIMEOUT_MS} ms`
          : r.stderr.trim(),
    });
  }
  return runs;
}

/** The command line of doctor (the man page coverage test reads its options). */
export function doctorCommand(io: DoctorIO): Command {
  const program = new Command('ldirectord-ts doctor')
    .description(
      'Check what this host needs for LVS: on a director for the config, with --real-server on a real server.\n' +
        'Reads /proc, /sys, ip and ipvsadm output; sends no traffic.\n' +
        'Exit status: 0 nothing wrong, 1 something is, 2 cannot check (not root, no /proc).',
    )
    .argument('[configfile]', 'director: the config, looked up like ldirectord does')
    .option('--real-server <vips>', 'check this host as a real server for VIP[,VIP...]')
    .addOption(
      new Option('--method <method>', 'real server: how the director forwards to it')
        .choices(['dr', 'tun', 'nat'])
        .default('dr'),
    )
    .option('--interface <dev>', 'real server: the device facing the director')
    .option('--director <addr>', "real server: the director's address (NAT: the gateway)")
    .option('--json', 'machine-readable output')
    .option('--fix', 'run the commands that fix what was found, then check again')
    .option('--dry-run', 'with --fix: print the commands and the files that keep them, run nothing')
    .option('--ha-dir <dir>', 'director: directory searched first instead of /etc/ha.d')
    .option('--pid-dir <dir>', "director: the daemon's pid file folder (default /var/run)")
    .option('--ipvsadm <path>', 'director: the ipvsadm program (also LDIRECTORD_IPVSADM)');
  return writingTo(program, io);
}

export async function runDoctor(argv: string[], io: DoctorIO): Promise<number> {
  const program = doctorCommand(io);
  let options: Options;
  let realServer: RealServerOptions | undefined;
  const answered = await parseArgv(program, argv, 2);
  if (answered !== undefined) return answered;
  try {
    options = program.opts<Options>();
    if (options.dryRun && !options.fix) throw new UsageError('--dry-run goes with --fix');
    const given = (option: string) => argv.some((a) => a === option || a.startsWith(`${option}=`));
    if (options.realServer !== undefined) {
      const directorOnly = ['--ha-dir', '--pid-dir', '--ipvsadm'].filter(given);
      if (directorOnly.length > 0) {
        throw new UsageError(
          `${directorOnly.join(', ')}: only on a director (without --real-server)`,
        );
      }
      if (program.args.length > 0) {
        throw new UsageError('--real-server checks a real server: it takes no config file');
      }
      realServer = {
        vips: options.realServer.split(',').map((v) => parseAddress(v, '--real-server')),
        method: options.method,
      };
      if (options.interface !== undefined) realServer.interface = options.interface;
      if (options.director !== undefined) {
        realServer.director = parseAddress(options.director, '--director');
      }
    } else {
      const realOnly = ['--method', '--interface', '--director'].filter(given);
      if (realOnly.length > 0)
        throw new UsageError(`${realOnly.join(', ')}: only with --real-server`);
    }
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    io.stderr.write(`ldirectord-ts doctor: ${e.message}\n`);
    return 2;
  }

  const check = async (): Promise<{ findings: Finding[]; context: string[] }> => {
    assertCanCheck();
    if (realServer) {
      const net = await gatherNet();
      return {
        findings: checkRealServer(net, realServer),
        context: describeRealServer(net, realServer),
      };
    }
    const facts = await gatherDirector({
      ...(program.args[0] !== undefined ? { config: program.args[0] } : {}),
      ...(options.haDir !== undefined ? { haDir: options.haDir } : {}),
      ...(options.pidDir !== undefined ? { pidDir: options.pidDir } : {}),
      ...(options.ipvsadm !== undefined ? { ipvsadm: options.ipvsadm } : {}),
    });
    const explicitIpvsadm =
      options.ipvsadm !== undefined || (process.env.LDIRECTORD_IPVSADM ?? '') !== '';
    return {
      findings: checkDirector(facts, { explicitIpvsadm }),
      context: describeDirector(facts),
    };
  };

  const mode = realServer ? 'real-server' : 'director';
  let report: DoctorReport;
  try {
    const first = await check();
    if (options.fix && !options.dryRun) {
      const applied = await applyFixes(fixCommands(first.findings));
      const after = await check();
      report = {
        mode,
        exitCode: exitStatus(after.findings),
        context: after.context,
        findings: after.findings,
        before: first.findings,
        applied,
      };
    } else {
      report = {
        mode,
        exitCode: exitStatus(first.findings),
        context: first.context,
        findings: first.findings,
      };
      if (options.fix) {
        report.fixes = {
          commands: fixCommands(first.findings),
          persistent: persistentFiles(first.findings),
        };
      }
    }
  } catch (e) {
    if (!(e instanceof CannotCheckError)) throw e;
    if (options.json) {
      io.stdout.write(`${JSON.stringify({ mode, exitCode: 2, error: e.message }, null, 2)}\n`);
    }
    io.stderr.write(`ldirectord-ts doctor: cannot check: ${e.message}\n`);
    return 2;
  }
  io.stdout.write(options.json ? `${JSON.stringify(report, null, 2)}\n` : formatText(report));
  return report.exitCode;
}

export function run(argv: string[]): Promise<number> {
  return runDoctor(argv, process);
}
