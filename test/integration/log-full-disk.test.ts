// A full disk under the log file (docs/compatibility.md, "log lines while the disk is full"): lines
// that cannot be written are counted, never cut in the middle, and once there is room again one
// line says how many were lost.
// The file system is a 64 KiB tmpfs mounted in a mount namespace of the test's own (root:
// `unshare --mount`; otherwise a user namespace as well), so nothing is left mounted.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';

const dir = mkdtempSync(join(tmpdir(), 'log-full-disk-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const script = new URL('../support/full-disk-logger.ts', import.meta.url).pathname;

function runOnSmallDisk(): { filled: number; lines: number; log: string } {
  const inner = 'mount -t tmpfs -o size=64k tmpfs "$1" && exec "$2" "$3" "$1"';
  const namespaces =
    process.getuid?.() === 0 ? ['--mount'] : ['--user', '--map-root-user', '--mount'];
  const r = spawnSync(
    'unshare',
    [...namespaces, 'sh', '-c', inner, 'sh', dir, process.execPath, script],
    { encoding: 'utf8', timeout: 60_000 },
  );
  assert.equal(r.status, 0, `the small-disk run failed: ${r.stderr}`);
  return JSON.parse(r.stdout) as { filled: number; lines: number; log: string };
}

test('lines lost to a full disk are counted, never cut, and reported once there is room', () => {
  const result = runOnSmallDisk();
  assert.ok(result.filled > 0, 'the file system was filled');
  const lines = result.log.split('\n');
  assert.equal(lines.pop(), '', 'the file ends with a whole line');
  const message = (line: string): string => {
    const m =
      /^\[[A-Z][a-z]{2} [A-Z][a-z]{2} [ \d]\d \d\d:\d\d:\d\d \d{4}\|full\.cf\|\d+\] (.*)$/.exec(
        line,
      );
    assert.ok(m, `a whole log line: ${JSON.stringify(line)}`);
    return m[1]!;
  };
  const messages = lines.map(message);
  assert.equal(messages[0], 'before the disk is full');
  assert.equal(messages.at(-1), 'after the disk has room again');
  const written = messages.filter((m) => /^line \d{3} x{80} end$/.test(m)).length;
  const lost = result.lines - written;
  assert.ok(lost > 0, `some lines were lost (${written} of ${result.lines} written)`);
  const notices = messages.filter((m) => m.includes('lost'));
  assert.deepEqual(notices, [
    `${lost} log lines lost: the log could not be written (ENOSPC: no space left on device)`,
  ]);
  assert.equal(messages.at(-2), notices[0], 'the notice comes first once there is room');
});
