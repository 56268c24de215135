// Applying plans. Everything the daemon does to the kernel goes through here: a plan becomes
// one `ipvsadm -R` batch that ends with the two listings, so the table is read back by the same
// process. Where the table read back differs from the plan's expected table, the commands for
// those entries run again one at a time, so one bad entry cannot hide or block the others, and
// each failure comes back with ipvsadm's own message (the caller logs it; the next tick plans
// again from the table returned and converges once the fault clears).
//
// Seen with ipvsadm 1.31: -R runs every line it can; a kernel refusal prints only the bare
// message ("Destination already exists") and carries on; the exit status is the last line's;
// an error of ipvsadm's own (bad option or value) ends the batch at once with exit 2; `#` is
// not a comment. -R also runs -L and -S lines, which is how a batch reads the table back.
import { accessSync, constants } from 'node:fs';
import { resolve } from 'node:path';
import { printable } from '../lib/printable.ts';
import { runCommand } from '../lib/run-command.ts';
import { restoreInput } from './commands.ts';
import { ListingParseError, parseReadOutput } from './listing.ts';
import type { IpvsTable } from './model.ts';
import { diffTables, entryKey, ipvsServiceKey } from './table.ts';
import type { ApplyResult, IpvsBackend, Plan, PlannedCommand } from './types.ts';

export type { ApplyResult, IpvsBackend } from './types.ts';

/** What one ipvsadm run gave back. */
export interface IpvsadmRun {
  /** Exit status; null when killed or not started. */
  code: number | null;
  stdout: string;
  stderr: string;
  /**
   * Why it has no exit status, worded to follow the command: "did not finish within 10000 ms
   * and was killed", "was killed by SIGKILL", "could not be started: ...".
   */
  problem?: string;
}

/** Runs ipvsadm once: a real process, or the emulation in memory. */
export type IpvsadmRunner = (args: readonly string[], input?: string) => Promise<IpvsadmRun>;

/**
 * Told of every fault the applier met and worked round (or could not): one line saying what
 * happened, with which command, and what ipvsadm said. The caller logs it.
 */
export type IpvsFaultReporter = (message: string, fields: { ipvsadm: string }) => void;

/** The read: both listings from one process. */
export const READ_INPUT = '-L -n\n-L -n --thresholds\n';

export class IpvsReadError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'IpvsReadError';
  }
}

/** What ipvsadm printed on stderr, as one printable, bounded piece of text ('' for nothing). */
function saidText(stderr: string): string {
  const lines = stderr
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '');
  return printable(lines.join('; '));
}

/** Why a run failed as a whole (killed, not started, an exit status), or undefined. */
function runFault(r: IpvsadmRun): string | undefined {
  if (r.problem !== undefined) return r.problem;
  if (r.code === 0) return undefined;
  const said = saidText(r.stderr);
  return `exited with status ${r.code}${said === '' ? '' : `: "${said}"`}`;
}

/** The table a read printed, or why it cannot be had from this output. */
function readOutput(stdout: string): { table: IpvsTable } | { problem: string } {
  try {
    return { table: parseReadOutput(stdout) };
  } catch (e) {
    if (!(e instanceof ListingParseError)) throw e;
    return {
      problem: e.cutShort
        ? `gave a listing cut short (${e.message})`
        : `gave a listing that cannot be read (${e.message})`,
    };
  }
}

/** The applier over any runner; IpvsadmBackend and the emulator's DryRunBackend are both this. */
export class IpvsadmApplier implements IpvsBackend {
  readonly #run: IpvsadmRunner;
  readonly #onFault: IpvsFaultReporter;

  constructor(runner: IpvsadmRunner, onFault: IpvsFaultReporter = () => {}) {
    this.#run = runner;
    this.#onFault = onFault;
  }

  async read(): Promise<IpvsTable> {
    const r = await this.#run(['-R'], READ_INPUT);
    const fault = runFault(r);
    if (fault !== undefined) {
      throw new IpvsReadError(`could not read the IPVS table: ipvsadm -R (listings) ${fault}`);
    }
    const read = readOutput(r.stdout);
    if ('problem' in read) {
      throw new IpvsReadError(
        `could not read the IPVS table: ipvsadm -R (listings) ${read.problem}`,
      );
    }
    return read.table;
  }

  async apply(plan: Plan): Promise<ApplyResult> {
    const count = plan.commands.length;
    if (count === 0) return { table: plan.expected, failed: [], processes: 0 };
    const batchName = `ipvsadm -R (${count} command${count === 1 ? '' : 's'})`;
    let processes = 1;
    const batch = await this.#run(['-R'], restoreInput(plan.commands) + READ_INPUT);
    // A fault of the batch as a whole: one line, before anything else is tried.
    let batchFault = runFault(batch);
    let table: IpvsTable | undefined;
    if (batchFault === undefined) {
      const read = readOutput(batch.stdout.slice(Math.max(0, batch.stdout.indexOf(LISTING))));
      if ('table' in read) table = read.table;
      else batchFault = read.problem;
    }
    if (batchFault !== undefined) {
      this.#onFault(`${batchName} ${batchFault}; the table is read again`, { ipvsadm: '-R' });
    }
    if (!table) {
      processes++;
      table = await this.read();
    }
    const batchSaid = batchFault === undefined ? saidText(batch.stderr) : '';
    let diff = diffTables(plan.expected, table);
    if (diff.services.size === 0 && diff.destinations.size === 0) {
      if (batchSaid !== '') {
        this.#onFault(`${batchName} said "${batchSaid}", yet the table is as planned`, {
          ipvsadm: '-R',
        });
      }
      return { table, failed: [], processes };
    }

    // One at a time for the entries that differ.
    const present = new Set(table.services.map(ipvsServiceKey));
    const again = plan.commands.filter(
      // A real of a virtual service that is missing altogether goes in again with it.
      (c) => differs(c, diff) || (diff.services.has(c.service) && !present.has(c.service)),
    );
    let failed: ApplyResult['failed'] = [];
    const ran: PlannedCommand[] = [];
    /** How each failed command failed, as a fault line would say it. */
    const how = new Map<PlannedCommand, string>();
    for (const command of again) {
      processes++;
      const r = await this.#run(command.args);
      if (r.problem !== undefined || r.code !== 0) {
        const said = saidText(r.stderr);
        const fault = r.problem ?? (said === '' ? `exited with status ${r.code}` : undefined);
        // The original's `system(...) failed: <message>` line carries ipvsadm's own words.
        failed.push({ command, message: fault ?? said });
        how.set(command, fault ?? `said "${said}"`);
      } else ran.push(command);
    }
    processes++;
    table = await this.read();

    diff = diffTables(plan.expected, table);
    const wrong = (command: PlannedCommand): boolean => differs(command, diff);
    // A command that reported an error and still took effect did not fail: the table says so.
    failed = failed.filter(({ command }) => {
      if (wrong(command)) return true;
      this.#onFault(`ipvsadm ${command.line} ${how.get(command)}, yet it took effect`, {
        ipvsadm: command.line,
      });
      return false;
    });
    // A command that ran without complaint and still left its entry wrong failed too.
    for (const command of ran) {
      if (wrong(command)) {
        failed.push({ command, message: 'the entry still differs after the command' });
      }
    }
    // What the batch said, unless a command's own failure says it again.
    if (batchSaid !== '' && failed.length === 0) {
      this.#onFault(
        `${batchName} said "${batchSaid}"; the table is as planned after retrying one command at a time`,
        { ipvsadm: '-R' },
      );
    }
    const order = new Map(plan.commands.map((c, i) => [c, i]));
    failed.sort((a, b) => order.get(a.command)! - order.get(b.command)!);
    return { table, failed, processes };
  }
}

/**
 * Whether `command` of a plan whose result is `expected` has taken effect in `table`: its entry
 * is as the plan wanted it (whatever else differs).
 */
export function tookEffect(
  command: PlannedCommand,
  expected: IpvsTable,
  table: IpvsTable,
): boolean {
  return !differs(command, diffTables(expected, table));
}

/** Whether the entry `command` changes is among the differences `diff`. */
function differs(command: PlannedCommand, diff: ReturnType<typeof diffTables>): boolean {
  return command.destination === undefined
    ? diff.services.has(command.service)
    : diff.destinations.has(entryKey(command.service, command.destination));
}

/** The first line of a listing; a batch prints its commands' complaints on stderr, not here. */
const LISTING = 'IP Virtual Server version';

export interface IpvsadmBackendOptions {
  /** The ipvsadm program (see locateIpvsadm). */
  path: string;
  /** A hung ipvsadm is killed after this long. Default 10 s. */
  timeoutMs?: number;
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** Told of each fault met (see IpvsFaultReporter). */
  onFault?: IpvsFaultReporter;
}

/** The real thing: runs the ipvsadm program (or the fake one) under a deadline. */
export class IpvsadmBackend extends IpvsadmApplier {
  readonly path: string;

  constructor(options: IpvsadmBackendOptions) {
    const timeoutMs = options.timeoutMs ?? 10_000;
    super(async (args, input) => {
      const r = await runCommand(options.path, args, {
        timeoutMs,
        killGraceMs: 500,
        maxOutputBytes: 256 * 1024 * 1024,
        ...(input === undefined ? {} : { input }),
        ...(options.env ? { env: options.env } : {}),
        ...(options.cwd ? { cwd: options.cwd } : {}),
      });
      let problem: string | undefined;
      if (r.spawnError) {
        problem = `could not be started: ${printable(`${options.path}: ${r.spawnError.message}`)}`;
      } else if (r.timedOut) problem = `did not finish within ${timeoutMs} ms and was killed`;
      else if (r.code === null) problem = `was killed by ${r.signal}`;
      return { code: r.code, stdout: r.stdout, stderr: r.stderr, ...(problem ? { problem } : {}) };
    }, options.onFault);
    this.path = options.path;
  }
}

export interface LocateOptions {
  /** --ipvsadm PATH from the command line. */
  explicit?: string;
  /** -d: the original prefers ./ipvsadm in the current directory (§3.1). */
  debug?: boolean;
  env?: NodeJS.ProcessEnv;
  cwd?: string;
}

/**
 * Which ipvsadm to run, like the original: --ipvsadm PATH, then $LDIRECTORD_IPVSADM, then (with
 * -d) ./ipvsadm when it exists, then /sbin/ipvsadm, then /usr/sbin/ipvsadm. Undefined when none
 * is found (the original dies with "Can not find ipvsadm").
 */
export function locateIpvsadm(options: LocateOptions = {}): string | undefined {
  if (options.explicit) return options.explicit;
  const fromEnv = (options.env ?? process.env).LDIRECTORD_IPVSADM;
  if (fromEnv) return fromEnv;
  const cwd = options.cwd ?? process.cwd();
  if (options.debug && exists(resolve(cwd, 'ipvsadm'), constants.F_OK)) return './ipvsadm';
  for (const path of ['/sbin/ipvsadm', '/usr/sbin/ipvsadm']) {
    if (exists(path, constants.X_OK)) return path;
  }
  return undefined;
}

function exists(path: string, mode: number): boolean {
  try {
    accessSync(path, mode);
    return true;
  } catch {
    return false;
  }
}
