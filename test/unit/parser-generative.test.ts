// Generative test: thousands of random mutations (seeded, bounded in time) of the corpus never
// crash the parser or the resolver; every problem is a diagnostic with a line in the file; a
// result without errors is a complete Config.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import type { Config } from '../../src/config/model.ts';
import { load } from '../support/config-helpers.ts';
import { prng } from '../support/parse-fuzz.ts';

const root = new URL('../fixtures/configs/', import.meta.url).pathname;
const corpus = ['valid', 'seeds', 'broken', 'lenient'].flatMap((dir) =>
  readdirSync(join(root, dir))
    .filter((f) => f.endsWith('.cf'))
    .map((f) => readFileSync(join(root, dir, f), 'utf8')),
);

const ALPHABET = [
  ...'#"=:->[]., \t\n\r0123456789abcdefgqlu/\\_+%',
  'é',
  '用',
  '\u00a0',
  '\uFEFF',
  'gate',
  'masq',
  'real=',
  'virtual=',
  'virtual6=',
  '    ',
  '->',
  ':80',
  ' l:5',
  ' u:9',
  '"/x"',
  '65536',
  '0',
  '[::1]',
];

function mutate(text: string, random: () => number): string {
  const pick = <T>(list: readonly T[]): T => list[Math.floor(random() * list.length)]!;
  let out = text;
  const rounds = 1 + Math.floor(random() * 4);
  for (let i = 0; i < rounds; i++) {
    const at = Math.floor(random() * (out.length + 1));
    const lines = out.split('\n');
    const line = Math.floor(random() * lines.length);
    switch (Math.floor(random() * 8)) {
      case 0:
        out = out.slice(0, at) + out.slice(at + 1 + Math.floor(random() * 5));
        break;
      case 1:
        out = out.slice(0, at) + pick(ALPHABET) + out.slice(at);
        break;
      case 2:
        lines.splice(line, 0, lines[line] ?? '');
        out = lines.join('\n');
        break;
      case 3:
        lines.splice(line, 1);
        out = lines.join('\n');
        break;
      case 4: {
        const other = Math.floor(random() * lines.length);
        [lines[line], lines[other]] = [lines[other]!, lines[line]!];
        out = lines.join('\n');
        break;
      }
      case 5:
        out = out.slice(0, at);
        break;
      case 6:
        lines[line] = (lines[line] ?? '').replace(/\d+/, String(Math.floor(random() * 100000)));
        out = lines.join('\n');
        break;
      default:
        lines[line] = `\t${(lines[line] ?? '').trimStart()}`;
        out = lines.join('\n');
    }
  }
  return out;
}

function assertComplete(config: Config): void {
  for (const v of config.virtuals) {
    for (const key of [
      'scheduler',
      'service',
      'checktype',
      'request',
      'receive',
      'protocol',
      'checktimeout',
      'negotiatetimeout',
      'checkinterval',
      'failurecount',
      'quiescent',
      'cleanstop',
      'emailalertstatus',
    ] as const) {
      assert.notEqual(v[key], undefined, `virtual ${v.line} ${key}`);
    }
    assert.ok(v.origins.scheduler && v.origins.service && v.origins.checktimeout);
    for (const r of v.reals) {
      assert.ok(Number.isInteger(r.port) && r.port >= 0 && r.port < 65536);
      assert.ok(Number.isInteger(r.weight) && r.weight >= 0);
      assert.ok(r.address.length > 0);
    }
  }
}

test('random mutations never crash; every diagnostic is positioned in the file', async () => {
  const random = prng(0x1d1ec70d);
  const deadline = Date.now() + 15_000;
  let runs = 0;
  while (runs < 10_000 && Date.now() < deadline) {
    const text = mutate(corpus[Math.floor(random() * corpus.length)]!, random);
    const lineCount = text.split('\n').length;
    let result: Awaited<ReturnType<typeof load>>;
    try {
      result = await load(text, { maxRangeSize: 4096 });
    } catch (e) {
      assert.fail(`crash on mutation #${runs}:\n${JSON.stringify(text)}\n${(e as Error).stack}`);
    }
    for (const d of result.diagnostics) {
      assert.ok(
        d.line >= 1 && d.line <= lineCount,
        `line ${d.line} of ${lineCount}: ${d.message}\n${JSON.stringify(text)}`,
      );
      assert.ok(d.column >= 1, `column of ${d.message}`);
      assert.doesNotMatch(d.message, /[\n\r\t]/);
    }
    const failed = result.diagnostics.some((d) => d.severity === 'error');
    assert.equal(result.config === undefined, failed);
    if (result.config) assertComplete(result.config);
    runs++;
  }
  assert.ok(runs >= 500, `only ${runs} mutations ran`);
});
