// The committed man page's CONFIGURATION DIRECTIVES section must match the directive table.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { DIRECTIVES } from '../../src/parser/directives.ts';
import { renderManPage } from '../../src/parser/man.ts';

const page = readFileSync(new URL('../../man/ldirectord-ts.8', import.meta.url), 'utf8');

test('man/ldirectord-ts.8 is up to date with the directive table (run node scripts/gen-man.ts)', () => {
  assert.equal(page, renderManPage(page));
});

test('every directive is in the man page', () => {
  for (const d of DIRECTIVES)
    assert.ok(page.includes(`\\fB${d.name.replace(/-/g, '\\-')}\\fR`), d.name);
});
