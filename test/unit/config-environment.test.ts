// The machine-facing defaults: host resolution like getaddrinfo in one family, /etc/services,
// numeric address forms, the file checks, and the original's config lookup.
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { after, test } from 'node:test';
import {
  defaultLookupService,
  defaultResolveHost,
  fileChecker,
} from '../../src/config/environment.ts';
import { ConfigNotFoundError, loadConfig, locateConfig } from '../../src/config/load.ts';
import { numericAddress } from '../../src/config/numeric-address.ts';
import { canonicalIpv6 } from '../../src/lib/inet.ts';
import { servicesLookup } from '../../src/config/services.ts';

const scratch = mkdtempSync(join(tmpdir(), 'ldts-env-'));
after(() => rmSync(scratch, { recursive: true, force: true }));

test('default resolver: literals only in their own family, canonical IPv6, /etc/hosts names', async () => {
  assert.equal(await defaultResolveHost('127.0.0.1', 4), '127.0.0.1');
  assert.equal(await defaultResolveHost('127.0.0.1', 6), undefined);
  assert.equal(await defaultResolveHost('::1', 4), undefined);
  assert.equal(await defaultResolveHost('2001:DB8:0:0::1', 6), '2001:db8::1');
  assert.equal(await defaultResolveHost('localhost', 4), '127.0.0.1');
  assert.equal(await defaultResolveHost('', 4), undefined);
  // getaddrinfo's numeric forms (inet_aton): 127.1 is 127.0.0.1.
  assert.equal(await defaultResolveHost('127.1', 4), '127.0.0.1');
});

test('numeric addresses skip the resolver only when canonical', () => {
  assert.equal(numericAddress('10.0.0.1', 4), '10.0.0.1');
  assert.equal(numericAddress('010.0.0.1', 4), undefined);
  assert.equal(numericAddress('10.1', 4), undefined);
  assert.equal(numericAddress('::1', 6), '::1');
  assert.equal(numericAddress('fe80::1%eth0', 6), undefined);
});

test('canonicalIpv6 matches glibc inet_ntop', () => {
  const cases: Array<[string, string]> = [
    ['2001:DB8::1', '2001:db8::1'],
    ['2001:db8:0:0:1:0:0:1', '2001:db8::1:0:0:1'],
    ['1:0:2:0:0:3:0:0', '1:0:2::3:0:0'],
    ['0:0:0:0:0:0:0:0', '::'],
    ['::ffff:102:304', '::ffff:1.2.3.4'],
    ['::102:304', '::1.2.3.4'],
    ['64:ff9b::1.2.3.4', '64:ff9b::102:304'],
    ['1:2:3:4:5:6:7:8', '1:2:3:4:5:6:7:8'],
  ];
  for (const [input, want] of cases) assert.equal(canonicalIpv6(input), want, input);
});

test('/etc/services: names, aliases, protocols; the default reads the machine file', () => {
  const lookup = servicesLookup('http 80/tcp www # web\ndomain 53/udp\nx 1/tcp\nx 2/udp\n');
  assert.equal(lookup('www', 'tcp'), 80);
  assert.equal(lookup('domain', 'tcp'), undefined);
  assert.equal(lookup('domain', ''), 53);
  assert.equal(lookup('x', 'udp'), 2);
  assert.equal(lookup('x', ''), 1);
  assert.equal(defaultLookupService('http', 'tcp'), 80);
  assert.equal(defaultLookupService('domain', 'udp'), 53);
});

test("fileChecker('access') gives the open test's verdicts without creating anything", async () => {
  const access = fileChecker('access');
  const missing = join(scratch, 'new.log');
  assert.equal(await access.appendable(missing), undefined);
  assert.equal(existsSync(missing), false);
  assert.equal(
    await access.appendable(join(scratch, 'no-dir', 'x.log')),
    'No such file or directory',
  );
  assert.equal(await access.appendable(scratch), 'Is a directory');
  assert.equal(await access.isDirectory(scratch), true);
  assert.equal(await access.isDirectory(missing), false);
  const open = fileChecker('open');
  assert.equal(await open.appendable(missing), undefined);
  assert.equal(existsSync(missing), true, "'open' creates the file, as the original does");
});

test('locateConfig: <haDir>/<arg>, <haDir>/conf/<arg>, then <arg>; absolute path; CFGNAME', () => {
  const ha = join(scratch, 'ha.d');
  mkdirSync(join(ha, 'conf'), { recursive: true });
  mkdirSync(join(scratch, 'cwd', 'sub'), { recursive: true });
  writeFileSync(join(ha, 'ldirectord.cf'), '');
  writeFileSync(join(ha, 'conf', 'web.cf'), '');
  writeFileSync(join(scratch, 'cwd', 'sub', 'local.cf'), '');
  mkdirSync(join(ha, 'dir.cf'));
  const options = { haDir: ha, cwd: join(scratch, 'cwd') };
  assert.deepEqual(locateConfig(undefined, options), {
    file: join(ha, 'ldirectord.cf'),
    cfgname: 'ldirectord',
  });
  assert.deepEqual(locateConfig('ldirectord.cf', options), {
    file: join(ha, 'ldirectord.cf'),
    cfgname: 'ldirectord.cf',
  });
  assert.deepEqual(locateConfig('web.cf', options), {
    file: join(ha, 'conf', 'web.cf'),
    cfgname: 'web.cf',
  });
  assert.deepEqual(locateConfig('sub/local.cf', options), {
    file: join(scratch, 'cwd', 'sub', 'local.cf'),
    cfgname: 'local.cf',
  });
  const abs = join(scratch, 'cwd', 'sub', 'local.cf');
  assert.equal(locateConfig(abs, options).file, abs);
  assert.throws(() => locateConfig('dir.cf', options), ConfigNotFoundError);
  assert.throws(() => locateConfig('nope.cf', options), {
    message: 'Config file nope.cf not found',
  });
  assert.ok(relative('/', locateConfig('sub/local.cf', options).file).length > 0);
});

test('loadConfig: an unreadable file is one error with the original wording', async () => {
  const r = await loadConfig(join(scratch, 'missing.cf'));
  assert.equal(r.config, undefined);
  assert.equal(r.diagnostics.length, 1);
  assert.equal(r.diagnostics[0]!.message, `can not open file ${join(scratch, 'missing.cf')}`);
  assert.equal(r.diagnostics[0]!.line, 0);
});

test('loadConfig: Config.file is absolute', async () => {
  const file = join(scratch, 'ok.cf');
  writeFileSync(file, 'virtual=127.0.0.1:80\n\treal=127.0.0.2:80 gate\n');
  const r = await loadConfig(relative(process.cwd(), file));
  assert.equal(r.config?.file, file);
});
