// `check` says of every extension directive that the Perl original rejects it: the original's
// own parser (the installed /usr/sbin/ldirectord), given each one in each scope it has, must
// refuse the file with "Unknown command" at that line.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { DIRECTIVES } from '../../src/parser/directives.ts';
import { perlAvailable, perlParse } from '../support/perl-parse-dump.ts';

const skip = perlAvailable()
  ? false
  : 'the Perl ldirectord (/usr/sbin/ldirectord) is not installed';
const dir = mkdtempSync(join(tmpdir(), 'ldts-extensions-perl-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const extensions = DIRECTIVES.filter((d) => d.extension);

test('the table has extension directives', () => {
  assert.ok(extensions.length >= 7, extensions.map((d) => d.name).join(' '));
});

for (const d of extensions) {
  for (const scope of ['global', 'virtual'] as const) {
    if (!(scope === 'global' ? d.global : d.virtual)) continue;
    test(`the Perl original rejects ${scope} ${d.name}`, { skip }, async () => {
      const lines =
        scope === 'global'
          ? [`${d.name}=1`, 'virtual=127.0.0.1:80', '\treal=127.0.0.2:80 gate']
          : ['virtual=127.0.0.1:80', '\treal=127.0.0.2:80 gate', `\t${d.name}=1`];
      const file = join(dir, `${scope}-${d.name}.cf`);
      writeFileSync(file, `${lines.join('\n')}\n`);
      const perl = await perlParse(file);
      assert.notEqual(perl.exitCode, 0, perl.stderr);
      assert.equal(perl.error?.line, scope === 'global' ? 1 : 3, perl.stderr);
      assert.match(perl.error?.message ?? '', /^Unknown command/);
    });
  }
}
