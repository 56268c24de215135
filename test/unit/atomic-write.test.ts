import assert from 'node:assert/strict';
import {
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { writeFileAtomic } from '../../src/lib/atomic-write.ts';

const dir = mkdtempSync(join(tmpdir(), 'atomic-write-'));
after(() => rmSync(dir, { recursive: true, force: true }));

test('a symlink at the destination is replaced, the file it points to untouched', () => {
  const victim = join(dir, 'victim');
  writeFileSync(victim, 'precious\n');
  const path = join(dir, 'a.pid');
  symlinkSync(victim, path);
  writeFileAtomic(path, '42\n', 0o644);
  assert.equal(readFileSync(victim, 'utf8'), 'precious\n');
  assert.ok(lstatSync(path).isFile());
  assert.equal(readFileSync(path, 'utf8'), '42\n');
});

test('the file gets exactly the mode asked for, whatever the umask', () => {
  const path = join(dir, 'b.json');
  for (const umask of [0o000, 0o077]) {
    const old = process.umask(umask);
    try {
      writeFileAtomic(path, '{}\n', 0o644);
    } finally {
      process.umask(old);
    }
    assert.equal(statSync(path).mode & 0o7777, 0o644, `umask ${umask.toString(8)}`);
  }
});

test('a failed write leaves neither the file nor a temporary behind', () => {
  const missing = join(dir, 'no-such-folder', 'c.pid');
  assert.throws(() => writeFileAtomic(missing, '1\n', 0o644), /ENOENT/);
  const sub = mkdtempSync(join(dir, 'sub-'));
  // A folder in place of the destination: the rename fails after the temporary was written.
  const blocked = join(sub, 'd.pid');
  mkdirSync(blocked);
  assert.throws(() => writeFileAtomic(blocked, '1\n', 0o644));
  assert.deepEqual(
    readdirSync(sub).filter((n) => n.endsWith('.tmp')),
    [],
  );
  assert.ok(!existsSync(missing));
});
