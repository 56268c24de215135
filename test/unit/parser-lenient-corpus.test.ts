// Configs the Perl original rejects and ldirectord-ts accepts with a migration warning (the
// DECIDE items of docs/compatibility.md). Each file states the original's error and the
// warning code we give; both are checked here, the first by running the original.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { loadConfig } from '../../src/config/load.ts';
import { perlAvailable, perlParse } from '../support/perl-parse-dump.ts';

const dir = new URL('../fixtures/configs/lenient/', import.meta.url).pathname;
const skip = perlAvailable() ? false : 'the Perl ldirectord is not installed';

for (const name of readdirSync(dir)
  .filter((f) => f.endsWith('.cf'))
  .sort()) {
  const file = join(dir, name);
  const text = readFileSync(file, 'utf8').replace(/^\uFEFF/, '');
  const perlLine = /^# perl: (\d+): (.*?)\r?$/m.exec(text)!;
  const warns = /^# warns: ([\w-]+)/m.exec(text)![1]!;

  test(`accepted with a migration warning (${warns}): ${name}`, async () => {
    const result = await loadConfig(file, { debug: true });
    assert.ok(result.config, JSON.stringify(result.diagnostics, null, 1));
    const warning = result.diagnostics.find((d) => d.code === warns);
    assert.ok(warning, `warning ${warns} expected: ${JSON.stringify(result.diagnostics)}`);
    assert.equal(warning.category, 'differs-from-perl');
  });

  test(`rejected by the Perl original: ${name}`, { skip }, async () => {
    const perl = await perlParse(file);
    assert.equal(perl.exitCode, 2, perl.stderr);
    assert.equal(perl.error?.line, Number(perlLine[1]), perl.stderr);
    assert.ok(perl.error?.message.startsWith(perlLine[2]!), perl.stderr);
  });
}
