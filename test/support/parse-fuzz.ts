// Inputs for fuzzing the config parser for time: a seeded PRNG, the seed configs, mutations that
// plant very long runs of one character or token in a line, and the pathological lines that once
// took seconds. Shared by the unit test (a few seconds, a time bound per config) and
// bench/parse-fuzz.ts (a longer run that reports the distribution).
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { MAX_LINE_LENGTH } from '../../src/parser/lexer.ts';

/** mulberry32: small, seeded, good enough for fuzzing. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const FIXTURES = new URL('../fixtures/configs/', import.meta.url).pathname;

function configsIn(dir: string): string[] {
  try {
    return readdirSync(dir)
      .filter((f) => f.endsWith('.cf'))
      .sort()
      .map((f) => readFileSync(join(dir, f), 'utf8'));
  } catch {
    return [];
  }
}

/** Every config of the fixture corpus. */
export function fuzzCorpus(): string[] {
  return ['valid', 'seeds', 'broken', 'lenient'].flatMap((d) => configsIn(join(FIXTURES, d)));
}

/** What a long run is made of: characters and tokens the original's patterns care about. */
const RUN_UNITS = [
  ' ',
  '\t',
  '1',
  '0',
  '"',
  '[',
  ']',
  ':',
  '.',
  '-',
  '#',
  ',',
  'a',
  'x',
  '=',
  '\\',
  '(',
  '1.',
  '->',
  '[:',
  ':a',
  ' 1',
  ' "a',
  '"a", "b" ',
  '"a" ',
  ' l',
  ' l:',
  ' u:1',
  'gate ',
  'a ',
  '\u00a0',
];

/** Directive heads a long run is appended to (value parsers with their own scanning). */
const HEADS = [
  '\treal=',
  '\treal=10.0.0.2:80 gate',
  '\treal=10.0.0.2:80 gate 1',
  '\treal=10.0.0.2:80 gate 1 "a", "b"',
  '\treal6=[::2]:80 gate',
  'fallback=',
  '\tfallback=127.0.0.1 ',
  '\tlogin=x',
  '\trequest="',
  '\treceive="',
  'quiescent=no',
  '\tquiescent=no',
  'supervised=yes',
  'emailalertstatus=a',
  'checkinterval=',
  '\tchecktype=',
  '\tscheduler=',
  '\tnetmask=1.',
  'virtual=',
  'virtual6=[',
  'callback=',
];

/** A run of about `length` characters made of `unit`. */
function run(unit: string, length: number): string {
  return unit.repeat(Math.max(1, Math.floor(length / unit.length)));
}

/**
 * 1 to 3 mutations, each planting a long run (up to about the line-length limit, sometimes
 * beyond it) in a line of the config, or replacing a line by a directive head and a run.
 */
export function mutateLong(text: string, random: () => number): string {
  const pick = <T>(list: readonly T[]): T => list[Math.floor(random() * list.length)]!;
  const lines = text.split('\n');
  const rounds = 1 + Math.floor(random() * 3);
  for (let i = 0; i < rounds; i++) {
    // Mostly within the limit (so the line is parsed), sometimes just beyond it.
    const length =
      random() < 0.9
        ? 1000 + Math.floor(random() * (MAX_LINE_LENGTH - 1100))
        : MAX_LINE_LENGTH + 1 + Math.floor(random() * 1000);
    const filler = run(pick(RUN_UNITS), length);
    const tail = pick(['', 'x', ' x', '"', ' gate', ' l:1', '#c', '\t', ':80']);
    const at = Math.floor(random() * lines.length);
    if (random() < 0.5) {
      const line = lines[at] ?? '';
      const cut = Math.floor(random() * (line.length + 1));
      lines[at] = (line.slice(0, cut) + filler + line.slice(cut) + tail).slice(0, length + 64);
    } else {
      const head = pick(HEADS);
      lines.splice(at, 0, (head + filler + tail).slice(0, length + 64));
    }
  }
  return lines.join('\n');
}

const V = 'virtual=10.0.0.1:80\n';

/**
 * The lines that took seconds before the parse was linear, with runs of about `n` characters
 * (60,000: within the limit).
 */
export function pathological(n: number): Array<{ name: string; text: string }> {
  const k = `${Math.round(n / 1000)} KB`;
  return [
    { name: `real= + ${k} of digits`, text: `${V}\treal=${'1'.repeat(n)}\n` },
    {
      name: `5 real= lines of ${k} of request/receive pairs`,
      text: V + `\treal=10.0.0.2:80 gate ${run('"a", "b" ', n)}x\n`.repeat(5),
    },
    { name: `login=x<${k} of spaces>x`, text: `${V}\tlogin=x${' '.repeat(n)}x\n` },
    { name: `quiescent=no<${k} of spaces>x`, text: `quiescent=no${' '.repeat(n)}x\n` },
  ];
}

/** More lines that took quadratic time, found by reading every pattern of the parser. */
export function foundSlow(n: number): Array<{ name: string; text: string }> {
  return [
    {
      name: 'real= address, spaces, no digits',
      text: `${V}\treal=10.0.0.2:80 gate${' '.repeat(n)}x\n`,
    },
    {
      name: 'real= thresholds after spaces',
      text: `${V}\treal=10.0.0.2:80 gate 1 "a" "b"${' '.repeat(n)}l\n`,
    },
    { name: 'real= unclosed requests', text: `${V}\treal=10.0.0.2:80 gate ${run(' "a', n)}\n` },
    { name: 'real= brackets', text: `${V}\treal=${'['.repeat(n)} gate\n` },
    { name: 'real= -> runs', text: `${V}\treal=${run('a->', n)} gate\n` },
    {
      name: 'fallback= three long words',
      text: `fallback=${'x'.repeat(n / 2)} ${'y'.repeat(n / 2)} z\n`,
    },
    { name: 'fallback= brackets', text: `fallback=${'['.repeat(n)}\n` },
    { name: 'emailalertstatus spaces', text: `emailalertstatus=a${' '.repeat(n)}b\n` },
    { name: 'supervised=yes<spaces>x', text: `supervised=yes${' '.repeat(n)}x\n` },
    { name: 'unquoted callback with spaces', text: `callback=x${' '.repeat(n)}x\n` },
    {
      name: 'receive= nested parentheses',
      text: `${V}\treal=10.0.0.2:80 gate\n\tservice=http\n\treceive="${'('.repeat(n)}"\n`,
    },
  ];
}

export const PATHOLOGICAL = pathological(60_000);
export const FOUND_SLOW = foundSlow(60_000);
