// `ldirectord-ts check`: exit codes, the report, --json, masking, and the README's quick start.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { promisify } from 'node:util';
import { runCheck } from '../../src/cli/check.ts';

const root = new URL('../../', import.meta.url).pathname;
const scratch = mkdtempSync(join(tmpdir(), 'ldts-check-'));
const noHa = join(scratch, 'no-ha.d');
after(() => rmSync(scratch, { recursive: true, force: true }));

function file(name: string, text: string): string {
  const path = join(scratch, name);
  writeFileSync(path, text);
  return path;
}

async function check(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await runCheck(['--ha-dir', noHa, ...argv], {
    stdout: { write: (t: string) => (out += t) },
    stderr: { write: (t: string) => (err += t) },
  });
  return { code, out, err };
}

const valid = file(
  'valid.cf',
  'checkinterval=5\nvirtual=127.0.0.1:80\n\treal=127.0.0.2->127.0.0.4:80 masq 2\n\treal=127.0.0.5 masq\n\tpasswd="hunter2"\n\tsecret="s3cr3t"\n\tchecktype=on\n\tcheckinterval=3\n',
);
const broken = file(
  'broken.cf',
  'quiescent=maybe\nvirtual=127.0.0.1:80\n\treal=127.0.0.2:80 bridge\n',
);

test('a valid file: exit 0, settings with origins, reals after range expansion, migration notes', async () => {
  const { code, out } = await check(valid);
  assert.equal(code, 0);
  assert.match(out, /valid: 1 virtual service, 4 real servers/);
  assert.match(out, /checkinterval\s+5\s+global, line 1/);
  assert.match(out, /scheduler\s+wrr\s+default/);
  assert.match(out, /service\s+http\s+derived from port/);
  assert.match(
    out,
    /127\.0\.0\.3:80\s+masq\s+weight 2\s+check port 80\s+line 3 \(range 127\.0\.0\.2->127\.0\.0\.4\)/,
  );
  assert.match(out, /127\.0\.0\.5:0\s+masq\s+weight 1\s+check port 80/);
  assert.match(
    out,
    /Migration notes[\s\S]*behaves differently from the Perl original:[\s\S]*checkinterval in virtual service/,
  );
  assert.doesNotMatch(out, /hunter2|s3cr3t/);
  assert.match(out, /passwd\s+\*{8}/);
});

test('a broken file: exit 2 and every error with file:line:column', async () => {
  const { code, out } = await check(broken);
  assert.equal(code, 2);
  assert.match(out, /broken\.cf:1:11: error: quiescent must be 'yes' or 'no'/);
  assert.match(out, /broken\.cf:3:20: error: forward method must be gate, masq or ipip/);
  assert.match(out, /INVALID: 2 errors/);
});

test('a missing file: exit 1; errors win over missing files', async () => {
  assert.equal((await check(join(scratch, 'nope.cf'))).code, 1);
  assert.equal((await check(join(scratch, 'nope.cf'), broken)).code, 2);
  assert.equal((await check(valid, valid)).code, 0);
});

test('--json: machine output with diagnostics, summary and config, secrets masked', async () => {
  const { code, out } = await check('--json', valid, broken);
  assert.equal(code, 2);
  const json = JSON.parse(out);
  assert.equal(json.exitCode, 2);
  assert.equal(json.files.length, 2);
  const [ok, bad] = json.files;
  assert.equal(ok.status, 'valid');
  assert.equal(ok.config.virtuals[0].passwd, '********');
  assert.equal(ok.config.virtuals[0].secret, '********');
  assert.equal(ok.summary.virtuals[0].reals.length, 4);
  assert.equal(ok.cfgname, 'valid.cf');
  assert.equal(bad.status, 'invalid');
  assert.equal(bad.diagnostics[0].line, 1);
  assert.doesNotMatch(out, /hunter2|s3cr3t/);
});

test('check creates no file (monitorfile and logfile are tested with access checks)', async () => {
  const dir = mkdtempSync(join(scratch, 'side-effects-'));
  const cfg = file(
    'side.cf',
    `logfile="${dir}/ld.log"\nvirtual=127.0.0.1:80\n\treal=127.0.0.2:80 gate\n\tmonitorfile=${dir}/monitor.log\n`,
  );
  assert.equal((await check(cfg)).code, 0);
  assert.deepEqual(readdirSync(dir), []);
});

test('npx ldirectord-ts check examples/ldirectord.cf works from the sources', async () => {
  const { stdout } = await promisify(execFile)(
    process.execPath,
    [join(root, 'bin/ldirectord-ts'), 'check', 'examples/ldirectord.cf'],
    { cwd: root, env: { ...process.env, LDIRECTORD_TS_FROM_SOURCE: '1' } },
  );
  assert.match(
    stdout,
    /examples\/ldirectord\.cf: valid: 3 virtual services, 7 real servers; 0 warnings/,
  );
});

test('an invalid file: every diagnostic in line order, migration notes among them', async () => {
  const cf = file(
    'order.cf',
    'checkinterval=5\nvirtual=127.0.0.1:80\n\treal=127.0.0.2:80 gate\n\treceive=OK\n\tchecktype=bogus\n',
  );
  const { code, out } = await check(cf);
  assert.equal(code, 2);
  const lines = [...out.matchAll(/^\S+:(\d+):\d+: (error|warning):/gm)].map((m) => Number(m[1]));
  assert.deepEqual(lines, [4, 5], out);
});
