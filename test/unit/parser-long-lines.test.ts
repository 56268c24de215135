// Long lines (issue 17, items 2 and 8): a directive line longer than the limit is one clear
// error, and no diagnostic or `check` output quotes more than a bounded excerpt of a line,
// however long the line is.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { runCheck } from '../../src/cli/check.ts';
import { formatDiagnostic, formatOriginalStyle } from '../../src/model/diagnostics.ts';
import { MAX_LINE_LENGTH } from '../../src/parser/lexer.ts';
import { errors, load } from '../support/config-helpers.ts';

/** What a message may quote of the input, plus its own words; far below any long line. */
const MAX_SHOWN = 1200;

const scratch = mkdtempSync(join(tmpdir(), 'ldts-long-lines-'));
after(() => rmSync(scratch, { recursive: true, force: true }));

test('the limit is generous: 64 KiB or more', () => {
  assert.ok(MAX_LINE_LENGTH >= 65536);
});

test('a directive line longer than the limit: one error with the line, the limit and the length', async () => {
  const long = `\tservicename=${'x'.repeat(MAX_LINE_LENGTH)}`;
  const text = [
    'virtual=127.0.0.1:80',
    '\treal=127.0.0.2:80 gate',
    long,
    '\tchecktype=on',
    '',
  ].join('\n');
  const result = await load(text);
  assert.equal(result.config, undefined);
  const errs = errors(result.diagnostics);
  assert.equal(errs.length, 1, JSON.stringify(errs));
  const e = errs[0]!;
  assert.equal(e.code, 'line-too-long');
  assert.equal(e.line, 3);
  assert.equal(e.file, 'test.cf');
  assert.match(e.message, new RegExp(`${long.length}`));
  assert.match(e.message, new RegExp(`${MAX_LINE_LENGTH}`));
  assert.match(formatDiagnostic(e), /^test\.cf:3:1: error: /);
});

test('a line of exactly the limit is read; a long comment line is not a directive', async () => {
  const head = '\tservicename=';
  const exact = head + 'y'.repeat(MAX_LINE_LENGTH - head.length);
  const text = [
    `# ${'c'.repeat(MAX_LINE_LENGTH * 2)}`,
    'virtual=127.0.0.1:80',
    '\treal=127.0.0.2:80 gate',
    exact,
    '\tchecktype=on',
    '',
  ].join('\n');
  const result = await load(text);
  assert.deepEqual(errors(result.diagnostics), []);
  assert.equal(result.config?.virtuals[0]?.servicename?.length, MAX_LINE_LENGTH - head.length);
});

function assertBounded(
  diagnostics: ReadonlyArray<{ message: string; hint?: string }>,
  what: string,
): void {
  assert.ok(diagnostics.length > 0, `${what}: no diagnostic`);
  for (const d of diagnostics) {
    assert.ok(d.message.length <= MAX_SHOWN, `${what}: message of ${d.message.length}`);
    assert.ok((d.hint ?? '').length <= MAX_SHOWN, `${what}: hint of ${d.hint?.length}`);
    assert.ok(formatOriginalStyle(d as never).length <= MAX_SHOWN + 200, what);
  }
}

const NEAR = MAX_LINE_LENGTH - 100;
const cases: Array<[string, string]> = [
  ['unknown global directive', `nonsense=${'a'.repeat(NEAR)}`],
  ['unknown virtual directive', `virtual=127.0.0.1:80\n\tnonsense ${'a'.repeat(NEAR)}`],
  ['top-level line, 50 MB', `nonsense ${'b'.repeat(50 * 1024 * 1024)}`],
  [
    'real with text around',
    `virtual=127.0.0.1:80\n\treal=127.0.0.2:80 gate 1 "a", "b" ${'c'.repeat(NEAR)}`,
  ],
  ['real host that does not resolve', `virtual=127.0.0.1:80\n\treal=${'h'.repeat(NEAR)}:80 gate`],
  [
    'real port that does not resolve',
    `virtual=127.0.0.1:80\n\treal=127.0.0.2:${'p'.repeat(NEAR)} gate`,
  ],
  ['virtual with trailing text', `virtual=127.0.0.1:80 ${'t'.repeat(NEAR)}\n\treal=127.0.0.2 gate`],
  ['virtual host', `virtual=${'v'.repeat(NEAR)}:80\n\treal=127.0.0.2 gate`],
  ['fallback host', `fallback=${'f'.repeat(NEAR)} gate`],
  ['fallback words', `fallback=a ${'f'.repeat(NEAR)} gate`],
  ['yes/no', `quiescent=${'n'.repeat(NEAR)}`],
  ['number with junk', `checkinterval=5${'x'.repeat(NEAR)}`],
  ['scheduler', `virtual=127.0.0.1:80\n\treal=127.0.0.2 gate\n\tscheduler=${'z'.repeat(NEAR)}`],
  ['emailalertstatus', `emailalertstatus=${'s'.repeat(NEAR)}`],
  ['smtp', `smtp=a ${'m'.repeat(NEAR)}`],
  [
    'checktype junk',
    `virtual=127.0.0.1:80\n\treal=127.0.0.2 gate\n\tchecktype=on ${'k'.repeat(NEAR)}`,
  ],
  ['logfile facility', `logfile="${'l'.repeat(NEAR)}"`],
  [
    'receive regex',
    `virtual=127.0.0.1:80\n\treal=127.0.0.2 gate\n\tservice=http\n\treceive="${'('.repeat(NEAR)}"`,
  ],
];

for (const [what, text] of cases) {
  test(`diagnostics quote a bounded excerpt: ${what}`, async () => {
    const result = await load(`${text}\n`, { debug: true });
    assertBounded(result.diagnostics, what);
  });
}

test('a receive pattern too large for the regex engine is an error when the file is read', async () => {
  const text = `virtual=127.0.0.1:80\n\treal=127.0.0.2 gate\n\tservice=http\n\treceive="${'a'.repeat(NEAR)}"\n`;
  const result = await load(text);
  const e = errors(result.diagnostics).find((d) => d.code === 'receive-regex');
  assert.ok(e, JSON.stringify(result.diagnostics).slice(0, 500));
  assert.equal(e.line, 4);
  assert.match(e.message, /too large/);
  assert.ok(e.message.length < 200, e.message.slice(0, 300));
});

test('check prints a bounded excerpt of long values and lines', async () => {
  const long = 'w'.repeat(NEAR / 2 - 100);
  const file = join(scratch, 'long.cf');
  writeFileSync(
    file,
    [
      'virtual=127.0.0.1:80',
      `\treal=127.0.0.2:80 gate 1 "${long}", "${long}"`,
      `\tservicename=${long}`,
      `\trequest="${long}"`,
      '\tchecktype=on',
      '',
    ].join('\n'),
  );
  let out = '';
  const code = await runCheck([file], {
    stdout: { write: (t: string) => (out += t) },
    stderr: { write: () => true },
  });
  assert.equal(code, 0, out.slice(0, 2000));
  for (const line of out.split('\n')) {
    assert.ok(line.length <= MAX_SHOWN * 3, `a line of ${line.length}: ${line.slice(0, 100)}`);
  }
  let json = '';
  await runCheck(['--json', file], {
    stdout: { write: (t: string) => (json += t) },
    stderr: { write: () => true },
  });
  const report = JSON.parse(json) as {
    files: Array<{
      diagnostics: Array<{ message: string; hint?: string }>;
      summary: { virtuals: Array<{ settings: Array<{ value: string }>; reals: object[] }> };
    }>;
  };
  const f = report.files[0]!;
  for (const d of f.diagnostics) assert.ok(d.message.length <= MAX_SHOWN);
  for (const s of f.summary.virtuals[0]!.settings) assert.ok(s.value.length <= MAX_SHOWN);
  assert.ok(JSON.stringify(f.summary.virtuals[0]!.reals).length <= MAX_SHOWN * 3);
});
