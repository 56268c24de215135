// `ldirectord-ts plan`: the -R lines for the state where every check passes, or with --down
// where every check fails; config errors exit 2 with the original's first line.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { run } from '../../src/cli/plan.ts';

const dir = mkdtempSync(join(tmpdir(), 'cli-plan-'));
after(() => rmSync(dir, { recursive: true, force: true }));

async function plan(argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await run(argv, {
    stdout: { write: (t: string) => (out += t) },
    stderr: { write: (t: string) => (err += t) },
  });
  return { code, out, err };
}

const cf = join(dir, 'web.cf');
writeFileSync(
  cf,
  [
    'quiescent=yes',
    'virtual=10.1.1.1:80',
    '\treal=10.2.2.2:80 masq 3',
    '\treal=10.2.2.3:80 masq',
    '\tfallback=127.0.0.1:80 gate',
    '\tchecktype=negotiate',
    'virtual=10.1.1.2:80',
    '\treal=10.2.2.4:80 gate',
    '\tchecktype=off',
    'virtual=10.1.1.3:80',
    '\treal=10.2.2.5:80 gate',
    '\tchecktype=on',
    '',
  ].join('\n'),
);

test('every check passing: checked reals in, checktype=off reals quiesced, no fallback', async () => {
  const r = await plan([cf]);
  assert.equal(r.code, 0, r.err);
  assert.equal(
    r.out,
    [
      '-A -t 10.1.1.1:80 -s wrr',
      '-A -t 10.1.1.2:80 -s wrr',
      '-A -t 10.1.1.3:80 -s wrr',
      '-a -t 10.1.1.1:80 -x 0 -y 0 -r 10.2.2.2:80 -m -w 3',
      '-a -t 10.1.1.1:80 -x 0 -y 0 -r 10.2.2.3:80 -m -w 1',
      '-a -t 10.1.1.2:80 -r 10.2.2.4:80 -g -w 0',
      '-a -t 10.1.1.3:80 -x 0 -y 0 -r 10.2.2.5:80 -g -w 1',
      '',
    ].join('\n'),
  );
});

test('--down: checked reals quiesced and the fallback in; checktype=on reals stay up', async () => {
  const r = await plan(['--down', cf]);
  assert.equal(r.code, 0, r.err);
  assert.match(r.out, /^-a -t 10\.1\.1\.1:80 -r 10\.2\.2\.2:80 -m -w 0$/m);
  assert.match(r.out, /^-a -t 10\.1\.1\.1:80 -x 0 -y 0 -r 127\.0\.0\.1:80 -g -w 1$/m);
  assert.match(r.out, /^-a -t 10\.1\.1\.3:80 -x 0 -y 0 -r 10\.2\.2\.5:80 -g -w 1$/m);
});

test("a broken config exits 2 and starts with the original's error line", async () => {
  const bad = join(dir, 'bad.cf');
  writeFileSync(bad, 'quiescent=maybe\n');
  const r = await plan([bad]);
  assert.equal(r.code, 2);
  assert.equal(r.out, '');
  assert.match(
    r.err,
    /^Error \[\d+\] reading file .*bad\.cf at line 1: quiescent must be 'yes' or 'no'\n/,
  );
});

test('a missing config exits 1 with the original message', async () => {
  const r = await plan([join(dir, 'missing.cf')]);
  assert.equal(r.code, 1);
  assert.match(r.err, /^Config file .*missing\.cf not found/);
});
