// Entry point. Two command-line styles share the binary:
//  - ldirectord's own: `[-d] [--] [configfile] start|stop|...|status` (src/cli/legacy.ts), so
//    heartbeat, Pacemaker and systemd drive it unchanged;
//  - ldirectord-ts subcommands (`check`, `plan`, `doctor`, ...), parsed with commander.
import { applyHeapLimits } from '../lib/heap-limits.ts';

// Before anything allocates: the young generation must not have grown yet.
applyHeapLimits();

const SUBCOMMANDS: Record<string, () => Promise<{ run(argv: string[]): Promise<number> }>> = {
  check: () => import('./check.ts'),
  plan: () => import('./plan.ts'),
  doctor: () => import('./doctor.ts'),
};

async function main(argv: string[]): Promise<number> {
  const loader = argv[0] !== undefined ? SUBCOMMANDS[argv[0]] : undefined;
  if (loader) return (await loader()).run(argv.slice(1));
  const legacy = await import('./legacy.ts');
  return legacy.run(argv);
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(
      `ldirectord-ts: ${error instanceof Error ? error.stack : String(error)}\n`,
    );
    process.exitCode = 1;
  },
);
