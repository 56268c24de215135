// Differential test against the Perl original's own parser (the "parse dumper" of
// docs/ldirectord-behavior.md, Appendix A): every config of the valid corpus and the seeds must
// resolve to the same values, except where a file says `# differs: <what>` — an intentional
// difference listed in docs/compatibility.md, checked here to be reported as a migration warning.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { loadConfig } from '../../src/config/load.ts';
import { type Normal, normalizeOurs, normalizePerl } from '../support/perl-compare.ts';
import { perlAvailable, perlParse } from '../support/perl-parse-dump.ts';

const root = new URL('../fixtures/configs/', import.meta.url).pathname;
const files = ['valid', 'seeds'].flatMap((dir) =>
  readdirSync(join(root, dir))
    .filter((f) => f.endsWith('.cf'))
    .map((f) => join(root, dir, f)),
);
files.push(new URL('../../examples/ldirectord.cf', import.meta.url).pathname);

/** What an intentional difference removes from both sides before comparing. */
function withoutDifference(n: Normal, what: string): Normal {
  return {
    global: n.global,
    virtuals: n.virtuals.map((v) => ({
      ...v,
      fields:
        what === 'fallback' || what === 'persistent'
          ? { ...v.fields, [what]: undefined }
          : v.fields,
      reals:
        what === 'reals'
          ? []
          : what === 'thresholds'
            ? v.reals.map((r) => r.replace(/ u=\d+$/, ''))
            : what === 'real-request'
              ? v.reals.map((r) => r.replace(/ recv=.*$/, ''))
              : v.reals,
    })),
  };
}

const skip = perlAvailable()
  ? false
  : 'the Perl ldirectord (/usr/sbin/ldirectord) is not installed';

for (const file of files) {
  const name = file.startsWith(root) ? file.slice(root.length) : 'examples/ldirectord.cf';
  test(`same resolved values as the Perl original: ${name}`, { skip }, async () => {
    const differs = /^# differs: ([\w-]+)/m.exec(readFileSync(file, 'utf8'))?.[1];
    const [perl, ours] = await Promise.all([
      perlParse(file),
      loadConfig(file, { debug: true, hostname: 'ldts-host' }),
    ]);
    assert.ok(ours.config, `ours rejects ${name}: ${JSON.stringify(ours.diagnostics)}`);
    if (differs !== undefined) {
      assert.ok(
        ours.diagnostics.some((d) => d.category === 'differs-from-perl'),
        `${name} differs on purpose (${differs}) and must say so in a migration warning`,
      );
    }
    if (differs === 'accepted') {
      assert.equal(perl.exitCode, 2, 'the original rejects this file');
      return;
    }
    assert.equal(perl.exitCode, 0, `the original rejects ${name}: ${perl.stderr}`);
    let mine = normalizeOurs(ours.config);
    let theirs = normalizePerl(perl.dump!);
    if (differs !== undefined) {
      mine = withoutDifference(mine, differs);
      theirs = withoutDifference(theirs, differs);
    }
    assert.deepEqual(mine.global, theirs.global);
    assert.equal(mine.virtuals.length, theirs.virtuals.length);
    mine.virtuals.forEach((v, i) => {
      const p = theirs.virtuals[i]!;
      assert.equal(v.id, p.id);
      assert.deepEqual(v.fields, p.fields, `virtual ${v.id}`);
      assert.deepEqual(v.reals, p.reals, `reals of ${v.id}`);
    });
  });
}
