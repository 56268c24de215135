import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { test } from 'node:test';
import { heapFlags } from '../../src/lib/heap-limits.ts';

test('both flags by default; none the operator already gave', () => {
  assert.deepEqual(heapFlags(''), ['--semi-space-growth-factor=1', '--heap-growing-percent=50']);
  assert.deepEqual(heapFlags('--max-semi-space-size=16'), ['--heap-growing-percent=50']);
  assert.deepEqual(heapFlags('--heap_growing_percent=100'), ['--semi-space-growth-factor=1']);
});

// The daemon relies on V8 reading these flags when it resizes a space, not only at start-up.
// If a Node upgrade changes that, this fails instead of the daemon silently growing again.
test('set at run time, the young generation stays at its initial size', () => {
  const script = `
    import { applyHeapLimits } from ${JSON.stringify(new URL('../../src/lib/heap-limits.ts', import.meta.url).href)};
    import { getHeapSpaceStatistics } from 'node:v8';
    if (process.argv[1] === 'limits') applyHeapLimits();
    // Objects that survive a few scavenges, as a check's do, then die.
    const window = [];
    for (let i = 0; i < 4000; i++) {
      window.push(Array.from({ length: 200 }, (_, j) => ({ i, j })));
      if (window.length > 300) window.shift();
    }
    const young = getHeapSpaceStatistics().find((s) => s.space_name === 'new_space').space_size;
    console.log(JSON.stringify({ young }));
  `;
  const run = (mode: string): { young: number } => {
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', script, mode], {
      encoding: 'utf8',
      timeout: 60_000,
    });
    assert.equal(r.status, 0, r.stderr);
    return JSON.parse(r.stdout) as { young: number };
  };
  const defaults = run('defaults');
  const limited = run('limits');
  assert.ok(limited.young <= 4 * 2 ** 20, `young generation ${limited.young} bytes`);
  assert.ok(defaults.young > 2 * limited.young, `defaults ${defaults.young} vs ${limited.young}`);
});
