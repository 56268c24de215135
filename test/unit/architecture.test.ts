// The shape docs/architecture.md draws, held against the code: every import between folders of
// src/ is one the table allows (so nothing imports upward), every folder has a row, no files
// import each other in a cycle; and the README's layout names exactly the repository's folders.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, normalize } from 'node:path';
import { test } from 'node:test';

const ROOT = new URL('../../', import.meta.url).pathname;
const read = (path: string): string => readFileSync(join(ROOT, path), 'utf8');

/** The repository's files as git sees them: tracked or new, never ignored or generated. */
function trackedFiles(): string[] {
  const r = spawnSync(
    'git',
    ['-C', ROOT, 'ls-files', '-z', '--cached', '--others', '--exclude-standard'],
    {
      encoding: 'utf8',
    },
  );
  assert.equal(r.status, 0, `git ls-files: ${r.stderr}`);
  return r.stdout.split('\0').filter((f) => f !== '' && existsSync(join(ROOT, f)));
}

const sources = trackedFiles().filter((f) => f.startsWith('src/') && f.endsWith('.ts'));

/** The unit a source file belongs to: its folder (`src/x/`), or the file itself at src/'s top. */
const unitOf = (file: string): string => (dirname(file) === 'src' ? file : `${dirname(file)}/`);

/** What each file imports from src/, as repository paths (type-only imports included). */
function importsOf(file: string): string[] {
  const text = read(file);
  const found: string[] = [];
  for (const m of text.matchAll(/^\s*(?:import|export)\b[^;]*?\bfrom\s+'(\.[^']+)'/gms)) {
    found.push(normalize(join(dirname(file), m[1]!)));
  }
  for (const m of text.matchAll(/\bimport\(\s*'(\.[^']+)'\s*\)/g)) {
    found.push(normalize(join(dirname(file), m[1]!)));
  }
  return found;
}

/** The table of docs/architecture.md: unit -> the units it may import. */
function allowedImports(): Map<string, Set<string>> {
  const rows = new Map<string, Set<string>>();
  for (const line of read('docs/architecture.md').split('\n')) {
    const cells = line.split('|').map((c) => c.trim());
    const unit = /^`(src\/[^`]*)`$/.exec(cells[1] ?? '')?.[1];
    if (unit === undefined) continue;
    const allowed = [...(cells[3] ?? '').matchAll(/`(src\/[^`]*)`/g)].map((m) => m[1]!);
    rows.set(unit, new Set(allowed));
  }
  return rows;
}

test('docs/architecture.md has a row for every folder of src/, and only for those', () => {
  const rows = allowedImports();
  const units = new Set(sources.map(unitOf));
  assert.ok(rows.size > 10, 'the table was found');
  for (const unit of units)
    assert.ok(rows.has(unit), `${unit} has no row in docs/architecture.md: add one`);
  for (const unit of rows.keys())
    assert.ok(units.has(unit), `${unit} is in the table, not in src/`);
  for (const [unit, allowed] of rows)
    for (const target of allowed)
      assert.ok(rows.has(target), `${unit} may import ${target}, which has no row`);
});

test('every import between folders of src/ is one docs/architecture.md allows', () => {
  const rows = allowedImports();
  const refused: string[] = [];
  for (const file of sources) {
    const unit = unitOf(file);
    for (const target of importsOf(file)) {
      // src/version.ts reads the version from its one home.
      if (file === 'src/version.ts' && target === 'package.json') continue;
      assert.ok(sources.includes(target), `${file} imports ${target}, not a source file`);
      const targetUnit = unitOf(target);
      if (targetUnit !== unit && !rows.get(unit)?.has(targetUnit))
        refused.push(`${file} -> ${target}`);
    }
  }
  assert.deepEqual(refused, [], 'imports the table does not allow (upward, or a new arrow)');
});

test('the allowed imports form no cycle of folders but the ones the page explains', () => {
  // A folder and its sub-folder may use each other (the page says how); any other cycle in
  // the table would let a layer import upward.
  const rows = allowedImports();
  const related = (a: string, b: string): boolean => a.startsWith(b) || b.startsWith(a);
  const cycles: string[] = [];
  for (const [unit, allowed] of rows) {
    // Depth-first from each allowed target, looking for the way back to `unit`.
    const seen = new Set<string>();
    const stack = [...allowed].filter((t) => !related(t, unit));
    while (stack.length > 0) {
      const next = stack.pop()!;
      if (next === unit) {
        cycles.push(unit);
        break;
      }
      if (seen.has(next)) continue;
      seen.add(next);
      for (const t of rows.get(next) ?? []) if (!related(t, next)) stack.push(t);
    }
  }
  assert.deepEqual(cycles, []);
});

test('no source files import each other in a cycle', () => {
  const graph = new Map(sources.map((f) => [f, importsOf(f)]));
  const state = new Map<string, 'open' | 'done'>();
  const cycles: string[] = [];
  const visit = (file: string, path: string[]): void => {
    if (state.get(file) === 'done') return;
    if (state.get(file) === 'open') {
      cycles.push([...path.slice(path.indexOf(file)), file].join(' -> '));
      return;
    }
    state.set(file, 'open');
    for (const target of graph.get(file) ?? []) visit(target, [...path, file]);
    state.set(file, 'done');
  };
  for (const file of sources) visit(file, []);
  assert.deepEqual(cycles, []);
});

test("the README's layout names exactly the repository's folders", () => {
  const readme = read('README.md');
  const start = readme.indexOf('\n## Layout\n');
  assert.ok(start >= 0, 'README has a Layout section');
  const end = readme.indexOf('\n## ', start + 1);
  const listed = new Set<string>();
  for (const line of readme.slice(start, end < 0 ? undefined : end).split('\n')) {
    const path = /^ {4}(\S+)/.exec(line)?.[1];
    if (path !== undefined) listed.add(path);
  }
  // Every folder at the top, every folder of src/ and of test/ and bench/ one level down, and
  // the files at src/'s top; fixtures and support folders keep their own READMEs.
  const expected = new Set<string>();
  for (const file of trackedFiles()) {
    const parts = file.split('/');
    if (parts.length === 1) continue;
    expected.add(`${parts[0]}/`);
    if (parts[0] === 'src') {
      expected.add(parts.length === 2 ? file : `${dirname(file)}/`);
    } else if ((parts[0] === 'test' || parts[0] === 'bench') && parts.length > 2) {
      expected.add(`${parts[0]}/${parts[1]}/`);
    }
  }
  expected.delete('src/');
  expected.delete('test/');
  // bin/ is shown by its one file.
  expected.delete('bin/');
  expected.add('bin/ldirectord-ts');
  assert.deepEqual([...listed].sort(), [...expected].sort());
});
