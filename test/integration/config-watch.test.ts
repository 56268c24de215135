// The config watcher against real file operations: in-place writes, editors' atomic saves,
// vim-style saves, delete and recreate, touch.
import assert from 'node:assert/strict';
import { mkdtempSync, renameSync, rmSync, unlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { type ConfigChange, ConfigWatcher } from '../../src/daemon/config-watch.ts';

const dir = mkdtempSync(join(tmpdir(), 'config-watch-'));
after(() => rmSync(dir, { recursive: true, force: true }));

async function eventually(predicate: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 100; i++) {
    if (predicate()) return;
    await new Promise((r) => setTimeout(r, 30));
  }
  assert.fail(`timed out waiting for ${what}`);
}

test('chokidar reports every kind of save once, and touch reports nothing', async () => {
  const file = join(dir, 'watched.cf');
  writeFileSync(file, 'checkinterval=1\n');
  const changes: ConfigChange[] = [];
  const watcher = new ConfigWatcher(file, { onChange: (c) => changes.push(c), settleMs: 50 });
  watcher.start();
  await new Promise((r) => setTimeout(r, 200)); // let the watch settle
  try {
    writeFileSync(file, 'checkinterval=2\n');
    await eventually(() => changes.length === 1, 'in-place write');

    writeFileSync(`${file}.tmp`, 'checkinterval=3\n');
    renameSync(`${file}.tmp`, file);
    await eventually(() => changes.length === 2, 'atomic save');

    renameSync(file, `${file}~`);
    writeFileSync(file, 'checkinterval=4\n');
    await eventually(() => changes.length === 3, 'vim-style save');

    unlinkSync(file);
    await eventually(() => changes.length === 4, 'delete');
    assert.deepEqual(changes[3], { missing: true });
    writeFileSync(file, 'checkinterval=5\n');
    await eventually(() => changes.length === 5, 'recreate');
    assert.deepEqual(changes[4], { missing: false });

    const later = new Date(Date.now() + 5000);
    utimesSync(file, later, later);
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(watcher.poll(), false, 'same content: no change');
    assert.equal(changes.length, 5);
  } finally {
    await watcher.close();
  }
});

test('the per-cycle poll alone catches a change the watcher never saw', () => {
  const file = join(dir, 'polled.cf');
  writeFileSync(file, 'a\n');
  const changes: ConfigChange[] = [];
  const watcher = new ConfigWatcher(file, { onChange: (c) => changes.push(c), watchFiles: false });
  watcher.start();
  assert.equal(watcher.poll(), false);
  writeFileSync(file, 'bb\n');
  assert.equal(watcher.poll(), true);
  assert.equal(watcher.poll(), false, 'reported once');
  writeFileSync(file, 'cc\n');
  watcher.reset(); // a reload by signal takes this content as the new base
  assert.equal(watcher.poll(), false);
  assert.equal(changes.length, 1);
});
