// What the subcommands (check, plan, doctor) share: where they write, and commander set up to
// write there and to hand back an exit status instead of exiting the process.
import { type Command, CommanderError } from 'commander';

export interface SubcommandIO {
  stdout: { write(text: string): unknown };
  stderr: { write(text: string): unknown };
}

/** `program`, writing its help and usage errors to `io` and throwing instead of exiting. */
export function writingTo<C extends Command>(program: C, io: SubcommandIO): C {
  return program.exitOverride().configureOutput({
    writeOut: (t) => io.stdout.write(t),
    writeErr: (t) => io.stderr.write(t),
  });
}

/**
 * Parses argv. When commander has answered by itself (help, version, a usage error), the exit
 * status to return: 0 after help, else `usageStatus`; undefined when the command should run.
 */
export async function parseArgv(
  program: Command,
  argv: readonly string[],
  usageStatus: number,
): Promise<number | undefined> {
  try {
    await program.parseAsync(argv, { from: 'user' });
    return undefined;
  } catch (e) {
    if (e instanceof CommanderError) return e.exitCode === 0 ? 0 : usageStatus;
    throw e;
  }
}
