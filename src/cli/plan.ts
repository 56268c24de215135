// `ldirectord-ts plan [--down] [--ha-dir DIR] <configfile>`: the ipvsadm commands that take an
// empty IPVS table to the table the daemon keeps once every real server has passed its checks
// (checktype=off reals stay down, fallbacks appear where no real is up), or with --down once
// every check has failed (checktype=on reals have no check and stay up). One command per line
// in `ipvsadm -R` syntax, so `ldirectord-ts plan x.cf | ipvsadm -R` builds that table.
// Exit status: 0 planned; 2 configuration errors; 1 other failures (file not found).
import { Command, CommanderError } from 'commander';
import { ConfigNotFoundError, loadConfig, locateConfig } from '../config/load.ts';
import type { RealServer, VirtualService } from '../config/model.ts';
import { restoreInput } from '../ipvs/commands.ts';
import { planIpvs } from '../ipvs/plan.ts';
import { formatDiagnostic, formatOriginalStyle } from '../model/diagnostics.ts';

export interface PlanIO {
  stdout: { write(text: string): unknown };
  stderr: { write(text: string): unknown };
}

/** Which reals the plan assumes up: all checked reals pass (or, with --down, all fail). */
export function assumedUp(down: boolean): (v: VirtualService, r: RealServer) => boolean {
  return (v) => v.checktype === 'on' || (!down && v.checktype !== 'off');
}

export async function run(
  argv: string[],
  io: PlanIO = { stdout: process.stdout, stderr: process.stderr },
): Promise<number> {
  let options: { down?: boolean; haDir?: string } = {};
  let argument: string | undefined;
  const program = new Command('ldirectord-ts plan')
    .description('print the ipvsadm -R commands that build the table the daemon keeps')
    .argument('<configfile>', 'config file, looked up like ldirectord does (/etc/ha.d, ...)')
    .option('--down', 'plan for every check failing instead of passing')
    .option('--ha-dir <dir>', 'the directory searched before the path as given', undefined)
    .action((file: string, opts: typeof options) => {
      argument = file;
      options = opts;
    })
    .exitOverride()
    .configureOutput({
      writeOut: (t) => io.stdout.write(t),
      writeErr: (t) => io.stderr.write(t),
    });
  try {
    await program.parseAsync(argv, { from: 'user' });
  } catch (e) {
    if (e instanceof CommanderError) return e.exitCode === 0 ? 0 : 1;
    throw e;
  }

  let file: string;
  try {
    file = locateConfig(argument, options.haDir !== undefined ? { haDir: options.haDir } : {}).file;
  } catch (e) {
    if (!(e instanceof ConfigNotFoundError)) throw e;
    io.stderr.write(`${e.message}\n`);
    return 1;
  }
  const { config, diagnostics } = await loadConfig(file, { fileChecks: 'none' });
  const errors = diagnostics.filter((d) => d.severity === 'error');
  if (!config || errors.length > 0) {
    io.stderr.write(`${formatOriginalStyle(errors[0]!)}\n`);
    for (const d of errors) io.stderr.write(`${formatDiagnostic(d)}\n`);
    return 2;
  }
  const plan = planIpvs({
    config,
    actual: { services: [] },
    isUp: assumedUp(options.down === true),
    scope: { kind: 'start' },
  });
  io.stdout.write(restoreInput(plan.commands));
  return 0;
}
