// Text from outside shown in our messages (issue 17 items 6 and 8): on one line, printable,
// and bounded, wherever it ends up: a diagnostic, a log line.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { after, test } from 'node:test';
import { runCheck } from '../../src/cli/check.ts';
import { printable } from '../../src/lib/printable.ts';
import { DaemonLogger } from '../../src/log/daemon-logger.ts';
import { MAX_LINE_LENGTH } from '../../src/parser/lexer.ts';

const dir = mkdtempSync(join(tmpdir(), 'printable-'));
after(() => rmSync(dir, { recursive: true, force: true }));

test('control characters are escaped and a long text is cut to an excerpt', () => {
  assert.equal(
    printable('a\tb\r\nc\u0000\u007f\u0085\u2028'),
    'a\\tb\\r\\nc\\x00\\x7f\\x85\\u2028',
  );
  assert.equal(printable('x'.repeat(300)), `${'x'.repeat(200)}... (100 more characters)`);
  assert.equal(printable('abcdef', 3), 'abc... (3 more characters)');
  // A surrogate pair is never split.
  assert.equal(printable('ab\u{1f600}c', 3), 'ab... (3 more characters)');
  assert.equal(printable('short'), 'short');
});

test('check does not echo a huge line back whole', async () => {
  const cf = join(dir, 'long.cf');
  // Just under the longest line read (a longer one is refused without being echoed at all).
  const huge = 'x'.repeat(MAX_LINE_LENGTH - 20);
  writeFileSync(
    cf,
    `checkinterval=1\n${huge}=1\nvirtual=10.0.0.1:80\n\treal=127.0.0.2:80 gate\n\tscheduler=${huge}\n`,
  );
  let out = '';
  const io = {
    stdout: { write: (t: string) => (out += t) },
    stderr: { write: (t: string) => (out += t) },
  };
  assert.equal(await runCheck([cf], io), 2);
  assert.match(out, /long\.cf:2:1: error: Unknown command x{200}\.\.\. \(\d+ more characters\)/);
  assert.ok(out.length < 2000, `${out.length} characters of output`);
});

test('a log message is one printable line, bounded', () => {
  const stream = new PassThrough();
  let text = '';
  stream.on('data', (b: Buffer) => (text += b.toString()));
  const log = new DaemonLogger({ target: { kind: 'supervised' }, cfgname: 'c', stdout: stream });
  log.error(`forged\n[Mon Nov  2 02:18:36 2026] Added real server \u0007${'y'.repeat(100_000)}\n`);
  const lines = text.split('\n').filter(Boolean);
  assert.equal(lines.length, 1, text.slice(0, 300));
  assert.match(
    lines[0]!,
    /forged\\n\[Mon Nov {2}2 02:18:36 2026\] Added real server \\x07y+\.\.\. \(\d+ more characters\)$/,
  );
  assert.ok(lines[0]!.length < 17_000, `${lines[0]!.length} characters`);
});
