// The whole test command (`npm test`): set up the machine, lint, type-check, build, then run
// every test file with node:test, several files at a time.
//
//   npm test                       everything
//   npm test -- test/unit/x.test.ts  only the named files (setup, lint and build still run)
//   LDTS_SKIP_SETUP=1 npm test     skip the Debian package installation step
import { spawnSync } from 'node:child_process';
import { globSync } from 'node:fs';
import { availableParallelism } from 'node:os';

const root = new URL('..', import.meta.url).pathname;

function step(title: string, command: string, args: string[]): void {
  const started = Date.now();
  process.stdout.write(`\n== ${title}\n`);
  const result = spawnSync(command, args, { cwd: root, stdio: 'inherit' });
  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  if (result.status !== 0) {
    process.stdout.write(
      `== ${title} failed after ${seconds}s (exit ${result.status ?? result.signal})\n`,
    );
    process.exit(result.status ?? 1);
  }
  process.stdout.write(`== ${title} passed in ${seconds}s\n`);
}

const requested = process.argv.slice(2);

if (!process.env.LDTS_SKIP_SETUP) {
  step('setup', 'bash', ['test/setup/setup.sh']);
  step('setup: Debian root', process.execPath, ['scripts/prepare-debian-root.ts']);
}
step('format (prettier)', 'npx', ['prettier', '--check', '--log-level', 'warn', '.']);
step('lint (eslint)', 'npx', ['eslint', '.']);
step('type check (tsc)', 'npx', ['tsc', '--noEmit', '-p', '.']);
step('build (esbuild)', process.execPath, ['scripts/build.ts']);

// Slow tiers first so they overlap with the many quick files.
const tiers = ['test/system', 'test/integration', 'test/unit'];
const files =
  requested.length > 0
    ? requested
    : tiers.flatMap((tier) => globSync(`${tier}/**/*.test.ts`, { cwd: root }).sort());
const concurrency = Number(
  process.env.LDTS_TEST_CONCURRENCY ?? Math.max(2, availableParallelism() * 2),
);
step(`tests (${files.length} files, ${concurrency} at a time)`, process.execPath, [
  '--test',
  `--test-concurrency=${concurrency}`,
  '--test-timeout=600000',
  ...files,
]);
