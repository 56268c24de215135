// The dry-run backend: the product's applier (src/ipvs/backend.ts) over the ipvsadm emulation
// in memory instead of a program. For `--dry-run`, the demo, benchmarks and tests.
import type { IpvsTable } from '../model.ts';
import { IpvsadmApplier } from '../backend.ts';
import { type CommandFault, runIpvsadm } from './ipvsadm.ts';
import { fromKernel, IpvsKernel, type KernelOptions, toKernel } from './kernel.ts';

export interface DryRunOptions {
  /** The table to start from. */
  table?: IpvsTable;
  kernel?: KernelOptions;
  /** Faults to inject, as the fake ipvsadm takes them. */
  fault?: (args: readonly string[]) => CommandFault | undefined;
  /**
   * Keep every run in `runs` (default true). The daemon's --dry-run logs each command instead:
   * kept, they would grow without bound over its life.
   */
  record?: boolean;
}

/**
 * An in-memory kernel with the kernel's semantics that records the commands instead of running
 * a program: for `plan`, the demo and tests. It runs the same ipvsadm emulation as the fake.
 */
export class DryRunBackend extends IpvsadmApplier {
  readonly kernel: IpvsKernel;
  /** Every emulated ipvsadm run: its arguments and what it read on stdin. */
  readonly runs: Array<{ args: string[]; input: string }> = [];

  constructor(options: DryRunOptions = {}) {
    const kernel = new IpvsKernel(toKernel(options.table ?? { services: [] }), options.kernel);
    const runs: Array<{ args: string[]; input: string }> = [];
    const record = options.record ?? true;
    super(async (args, input) => {
      if (record) runs.push({ args: [...args], input: input ?? '' });
      const r = runIpvsadm(args, {
        kernel,
        stdin: input ?? '',
        ...(options.fault ? { beforeCommand: options.fault } : {}),
      });
      return { code: r.exitCode, stdout: r.stdout, stderr: r.stderr };
    });
    this.kernel = kernel;
    this.runs = runs;
  }

  /** The table now. */
  get table(): IpvsTable {
    return fromKernel(this.kernel.snapshot());
  }

  /** The command lines sent so far, in order (the lines of -R batches and single runs). */
  get commandLines(): string[] {
    const lines: string[] = [];
    for (const run of this.runs) {
      if (run.args[0] === '-R') {
        for (const line of run.input.split('\n')) {
          if (line !== '' && !line.startsWith('-L ')) lines.push(line);
        }
      } else lines.push(run.args.join(' '));
    }
    return lines;
  }
}
