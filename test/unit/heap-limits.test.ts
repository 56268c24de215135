import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { test } from 'node:test';
import { heapLimits, YOUNG_BYTES } from '../../src/lib/heap-limits.ts';

test('both limits by default; none the operator already set', () => {
  assert.deepEqual(heapLimits(''), { young: true, old: true });
  assert.deepEqual(heapLimits('--max-semi-space-size=16'), { young: false, old: true });
  assert.deepEqual(heapLimits('--heap_growing_percent=100'), { young: true, old: false });
});

// The daemon relies on V8 reading --semi-space-growth-factor when it resizes the young
// generation, not only at start-up. If a Node upgrade changes that, this fails instead of the
// daemon silently growing again.
test('set at run time, the young generation stops growing at its limit', () => {
  const script = `
    import { applyHeapLimits } from ${JSON.stringify(new URL('../../src/lib/heap-limits.ts', import.meta.url).href)};
    import { getHeapSpaceStatistics } from 'node:v8';
    if (process.argv[1] === 'limits') applyHeapLimits();
    const young = () => getHeapSpaceStatistics().find((s) => s.space_name === 'new_space').space_size;
    // Objects that survive a few scavenges, as a check's do, then die; in turns, so that the
    // limit's timer runs in between.
    const window = [];
    let peak = 0;
    for (let turn = 0; turn < 80; turn++) {
      for (let i = 0; i < 100; i++) {
        window.push(Array.from({ length: 200 }, (_, j) => ({ i, j })));
        if (window.length > 2000) window.shift();
        peak = Math.max(peak, young());
      }
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    console.log(JSON.stringify({ peak }));
  `;
  const run = (mode: string): number => {
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', script, mode], {
      encoding: 'utf8',
      timeout: 60_000,
    });
    assert.equal(r.status, 0, r.stderr);
    return (JSON.parse(r.stdout) as { peak: number }).peak;
  };
  const defaults = run('defaults');
  const limited = run('limits');
  // One doubling may happen between two looks at it.
  assert.ok(limited <= 2 * YOUNG_BYTES, `young generation ${limited} bytes (${defaults} without)`);
  assert.ok(defaults > 2 * YOUNG_BYTES, `without the limit ${defaults} bytes`);
});
