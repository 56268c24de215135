// Parse time under hostile input: the lines that once took seconds and those found while
// reviewing the parser, side by side with the Perl original's parser; then a long seeded fuzz of
// long runs planted in the corpus, reporting the worst time per config and the distribution. The
// unit test test/unit/parser-linear-time.test.ts runs a short version.
//
//   node bench/parse-fuzz.ts [seconds of fuzz, default 60] [--compare <checkout>]
//
// --compare runs the pathological inputs through the parser of another checkout too (e.g. a
// worktree of an older commit), to show before and after.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { loadConfigText as LoadConfigText } from '../src/config/load.ts';
import { load, TEST_SERVICES, testResolveHost } from '../test/support/config-helpers.ts';
import {
  FOUND_SLOW,
  fuzzCorpus,
  mutateLong,
  PATHOLOGICAL,
  pathological,
  prng,
} from '../test/support/parse-fuzz.ts';
import { perlAvailable, perlParse } from '../test/support/perl-parse-dump.ts';

const args = process.argv.slice(2);
const compareAt = args.indexOf('--compare');
const compareDir = compareAt >= 0 ? args[compareAt + 1] : undefined;
const fuzzSeconds = Number(args.find((a, i) => /^\d+$/.test(a) && i !== compareAt + 1) ?? 60);

const scratch = mkdtempSync(join(tmpdir(), 'ldts-parse-fuzz-'));
const ms = (n: number) => `${n < 10 ? n.toFixed(2) : n.toFixed(0)} ms`;

async function timeOurs(text: string, runs = 5): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const started = performance.now();
    await load(text);
    times.push(performance.now() - started);
  }
  return times.sort((a, b) => a - b)[Math.floor(runs / 2)]!;
}

async function timeOther(loadText: typeof LoadConfigText, text: string): Promise<number> {
  const started = performance.now();
  await loadText(text, 'bench.cf', {
    resolveHost: testResolveHost,
    lookupService: TEST_SERVICES,
    fileChecks: 'none',
  });
  return performance.now() - started;
}

/** The original's parser as a process (perlParse kills it after 30 s). */
async function timePerl(text: string, name: string): Promise<{ ms: string; outcome: string }> {
  const file = join(scratch, `${name.replace(/\W+/g, '-')}.cf`);
  writeFileSync(file, text);
  const started = performance.now();
  try {
    const result = await perlParse(file);
    const outcome = result.exitCode === 0 ? 'accepted' : `rejected: ${result.error?.message ?? ''}`;
    return { ms: ms(performance.now() - started), outcome: outcome.slice(0, 50) };
  } catch {
    return { ms: `> ${ms(performance.now() - started)} (killed)`, outcome: '-' };
  }
}

const other = compareDir
  ? (
      (await import(join(compareDir, 'src/config/load.ts'))) as {
        loadConfigText: typeof LoadConfigText;
      }
    ).loadConfigText
  : undefined;

await load('virtual=10.0.0.1:80\n\treal=10.0.0.2:80 gate\n'); // compile the patterns first
const perl = perlAvailable();
if (perl) {
  // Warm the dumper (it is built from /usr/sbin/ldirectord on first use).
  await timePerl('checkinterval=5\n', 'warm');
}
const perlEmpty = perl ? (await timePerl('checkinterval=5\n', 'empty')).ms : '-';
process.stdout.write(
  `Pathological inputs (ours: median of 5, parse + resolve in-process; Perl: the original's read_config + ld_setup as a process, ${perlEmpty} for a one-line config)\n`,
);
process.stdout.write(
  `| input | size | ldirectord-ts | ${other ? 'compared checkout | ' : ''}Perl original (process) | Perl outcome |\n`,
);
for (const { name, text } of [...PATHOLOGICAL, ...FOUND_SLOW]) {
  const ours = await timeOurs(text);
  const theirs = other ? await timeOther(other, text) : undefined;
  const p = perl ? await timePerl(text, name) : undefined;
  process.stdout.write(
    `| ${name} | ${(text.length / 1024).toFixed(0)} KiB | ${ms(ours)} | ${theirs !== undefined ? `${ms(theirs)} | ` : ''}${p?.ms ?? '-'} | ${p?.outcome ?? '-'} |\n`,
  );
}

// How the time grows with the length of the line, for the first pathological input.
process.stdout.write(
  '\nreal= + digits, by length\n| length | ldirectord-ts | Perl original (process) |\n',
);
for (const n of [4000, 8000, 16000, 32000, 60000]) {
  const { name, text } = pathological(n)[0]!;
  const p = perl ? await timePerl(text, name) : undefined;
  process.stdout.write(`| ${n} | ${ms(await timeOurs(text))} | ${p?.ms ?? '-'} |\n`);
}

// The fuzz: long runs planted in the corpus, as many configs as fit in the time given.
const corpus = fuzzCorpus();
const random = prng(0x17_0b3c);
const deadline = Date.now() + fuzzSeconds * 1000;
const times: number[] = [];
const perKiB: number[] = [];
let worst = { ms: 0, bytes: 0, line: '', text: '' };
while (Date.now() < deadline) {
  const text = mutateLong(corpus[Math.floor(random() * corpus.length)]!, random);
  const started = performance.now();
  await load(text);
  const elapsed = performance.now() - started;
  times.push(elapsed);
  perKiB.push(elapsed / (text.length / 1024));
  if (elapsed > worst.ms) {
    const longest = text.split('\n').reduce((a, b) => (b.length > a.length ? b : a), '');
    worst = { ms: elapsed, bytes: text.length, line: JSON.stringify(longest.slice(0, 60)), text };
  }
}
times.sort((a, b) => a - b);
perKiB.sort((a, b) => a - b);
const at = (list: number[], q: number) =>
  list[Math.min(list.length - 1, Math.floor(q * list.length))]!;
process.stdout.write(
  `\nFuzz: ${times.length} configs in ${fuzzSeconds} s (1-3 runs of up to 64 KiB planted per config)\n` +
    `time per config: median ${ms(at(times, 0.5))}, p90 ${ms(at(times, 0.9))}, p99 ${ms(at(times, 0.99))}, worst ${ms(times.at(-1)!)}\n` +
    `time per KiB of config: median ${at(perKiB, 0.5).toFixed(3)} ms, p99 ${at(perKiB, 0.99).toFixed(3)} ms, worst ${perKiB.at(-1)!.toFixed(3)} ms\n` +
    `worst config: ${(worst.bytes / 1024).toFixed(0)} KiB, longest line starting ${worst.line}; parsed again: median of 5 ${ms(await timeOurs(worst.text))}\n`,
);
rmSync(scratch, { recursive: true, force: true });
