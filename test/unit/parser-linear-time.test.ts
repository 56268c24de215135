// Parsing is linear in line length: the lines that took seconds (the original's unanchored patterns
// run by a backtracking engine), and a seeded fuzz of long runs planted in the corpus, each parsed
// and resolved within a bound that a linear parser meets by two orders of magnitude even on a
// loaded machine and a quadratic one misses by one. This asserts linearity, not speed: timings are
// measured by bench/parse-fuzz.ts.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { FOUND_SLOW, fuzzCorpus, mutateLong, PATHOLOGICAL, prng } from '../support/parse-fuzz.ts';
import { load } from '../support/config-helpers.ts';

/** Per config of up to a few lines of 64 KiB; linear parsing takes a few milliseconds. */
const BOUND_MS = 250;

/**
 * The parse time of a config; over the bound, the best of three tries, since a pause of the
 * whole process (a GC, another test run on the same cores) does not repeat but a quadratic
 * parse does.
 */
async function timed(text: string): Promise<{ ms: number }> {
  let best = Infinity;
  for (let attempt = 0; attempt < 3 && best >= BOUND_MS; attempt++) {
    const started = performance.now();
    await load(text);
    best = Math.min(best, performance.now() - started);
  }
  return { ms: best };
}

for (const { name, text } of [...PATHOLOGICAL, ...FOUND_SLOW]) {
  test(`parsed in linear time: ${name}`, async () => {
    await load('virtual=10.0.0.1:80\n\treal=10.0.0.2:80 gate\n'); // compile the patterns first
    const { ms } = await timed(text);
    assert.ok(ms < BOUND_MS, `${name}: ${ms.toFixed(0)} ms (bound ${BOUND_MS} ms)`);
  });
}

test('fuzz: long runs planted in the corpus parse within the bound, seeded', async () => {
  const corpus = fuzzCorpus();
  const random = prng(0x17_0002);
  const deadline = Date.now() + 4000;
  let runs = 0;
  let worst = { ms: 0, text: '' };
  while (runs < 400 && Date.now() < deadline) {
    const text = mutateLong(corpus[Math.floor(random() * corpus.length)]!, random);
    const { ms } = await timed(text);
    if (ms > worst.ms) worst = { ms, text };
    runs++;
  }
  assert.ok(runs >= 40, `only ${runs} configs ran`);
  const longest = worst.text.split('\n').reduce((a, b) => (b.length > a.length ? b : a), '');
  assert.ok(
    worst.ms < BOUND_MS,
    `worst ${worst.ms.toFixed(0)} ms (bound ${BOUND_MS} ms) for a config whose longest line starts ${JSON.stringify(longest.slice(0, 200))}`,
  );
});
