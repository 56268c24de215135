// The HTTP, TLS and agent directives (issue 12) once resolved: defaults that change nothing,
// inheritance, the header lists, the notes of `check` (an extension the Perl original rejects,
// settings a check never reads), tlsca probed with file and line, what `check` shows of them
// (header values masked), and the check keys they split.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { runCheck } from '../../src/cli/check.ts';
import { summarize } from '../../src/config/report.ts';
import { checkKey } from '../../src/monitor/target.ts';
import { codes, errors, inVirtual, load } from '../support/config-helpers.ts';
import { makeCertificates } from '../support/tls-certificates.ts';

const scratch = mkdtempSync(join(tmpdir(), 'ldts-checks-plus-'));
after(() => rmSync(scratch, { recursive: true, force: true }));

const EXTENSIONS = [
  'httpstatus',
  'httpheader',
  'tlsverify',
  'tlsca',
  'tlsservername',
  'agentport',
  'agentinterval',
];

test('without the new directives nothing is set and nothing is noted', async () => {
  const { config, diagnostics } = await load(inVirtual('service=https', 'checkinterval=7'));
  assert.ok(config);
  const v = config.virtuals[0]!;
  assert.equal(v.httpstatus, undefined);
  assert.deepEqual(v.httpheader, []);
  assert.equal(v.tlsverify, undefined);
  assert.equal(v.tlsca, undefined);
  assert.equal(v.tlsservername, undefined);
  assert.equal(v.agentport, undefined);
  assert.equal(v.agentinterval, 7, 'agentinterval follows checkinterval');
  assert.deepEqual(v.origins.agentinterval, { source: 'derived', from: 'checkinterval' });
  assert.ok(!codes(diagnostics).includes('extension-directive'));
  const shown = new Map(summarize(config).virtuals[0]!.settings.map((s) => [s.name, s]));
  for (const name of ['httpstatus', 'tlsverify', 'tlsca', 'tlsservername', 'agentport'])
    assert.deepEqual(
      [shown.get(name)?.value, shown.get(name)?.origin],
      ['-', { source: 'default' }],
    );
});

test('globals are inherited; a virtual overrides them, and its httpheader lines replace the set', async () => {
  const text = [
    'httpstatus=200-299,401',
    'httpheader="X-A: 1"',
    'httpheader="X-B: 2"',
    'tlsverify=yes',
    'tlsca=/etc/ca.pem',
    'tlsservername=www.example',
    'agentport=5555',
    'agentinterval=3',
    'virtual=127.0.0.1:443',
    '\treal=127.0.0.2:443 masq',
    '\tservice=https',
    'virtual=127.0.0.1:444',
    '\treal=127.0.0.2:444 masq',
    '\tservice=https',
    '\thttpstatus=204',
    '\thttpheader="X-C: 3"',
    '\ttlsverify=no',
    '\tagentport=6666',
    '',
  ].join('\n');
  const { config, diagnostics } = await load(text);
  assert.deepEqual(errors(diagnostics), []);
  const [inherits, overrides] = config!.virtuals;
  assert.deepEqual(inherits!.httpstatus, [
    [200, 299],
    [401, 401],
  ]);
  assert.deepEqual(inherits!.httpheader, [
    { name: 'X-A', value: '1' },
    { name: 'X-B', value: '2' },
  ]);
  assert.deepEqual(
    [inherits!.tlsverify, inherits!.tlsca, inherits!.tlsservername],
    [true, '/etc/ca.pem', 'www.example'],
  );
  assert.deepEqual([inherits!.agentport, inherits!.agentinterval], [5555, 3]);
  assert.deepEqual(inherits!.origins.httpheader, { source: 'global', line: 2 });
  assert.deepEqual(overrides!.httpstatus, [[204, 204]]);
  assert.deepEqual(overrides!.httpheader, [{ name: 'X-C', value: '3' }]);
  assert.deepEqual(overrides!.origins.httpheader, { source: 'virtual', line: 16 });
  assert.deepEqual([overrides!.tlsverify, overrides!.tlsca], [false, '/etc/ca.pem']);
  assert.deepEqual([overrides!.agentport, overrides!.agentinterval], [6666, 3]);
  // Each line of an extension is noted as one the Perl original rejects.
  const noted = diagnostics.filter((d) => d.code === 'extension-directive');
  assert.deepEqual(
    noted.map((d) => d.line),
    [1, 2, 3, 4, 5, 6, 7, 8, 15, 16, 17, 18],
  );
  assert.ok(noted.every((d) => d.category === 'differs-from-perl'));
  assert.match(noted[0]!.message, /httpstatus is an ldirectord-ts extension/);
  assert.match(noted[0]!.hint!, /Perl original rejects this line/);
});

test('settings a check never reads are noted as having no effect', async () => {
  const { diagnostics } = await load(
    [
      'virtual=127.0.0.1:25',
      '\treal=127.0.0.2:25 masq',
      '\thttpstatus=200',
      '\thttpheader="X-A: 1"',
      '\ttlsverify=yes',
      '\tagentinterval=5',
      'virtual=127.0.0.1:443',
      '\treal=127.0.0.2:443 masq',
      '\tservice=https',
      '\tchecktype=connect',
      '\thttpstatus=200',
      '\ttlsverify=no',
      '\ttlsca=/etc/ca.pem',
      '',
    ].join('\n'),
  );
  const noEffect = diagnostics
    .filter((d) => d.category === 'no-effect')
    .map((d) => `${d.line} ${d.code}`);
  assert.deepEqual(noEffect, [
    '3 httpstatus-unused',
    '4 httpheader-unused',
    '5 tlsverify-unused',
    '6 agentinterval-unused',
    '11 httpstatus-unused',
    '13 tlsca-unused',
  ]);
});

test('tlsca: an unreadable file or one without certificates is an error at its line', async () => {
  const certificates = makeCertificates();
  try {
    const notPem = join(scratch, 'not.pem');
    writeFileSync(notPem, 'hello\n');
    const text = (path: string): string =>
      ['checktimeout=3', `tlsca=${path}`, inVirtual('service=https')].join('\n');
    const good = await load(text(certificates.caFile), { fileChecks: 'access' });
    assert.deepEqual(errors(good.diagnostics), []);
    const missing = await load(text(join(scratch, 'missing.pem')), { fileChecks: 'access' });
    assert.deepEqual(
      errors(missing.diagnostics).map((d) => [d.file, d.line, d.column, d.message]),
      [
        [
          'test.cf',
          2,
          7,
          `unable to read tlsca ${join(scratch, 'missing.pem')}: No such file or directory`,
        ],
      ],
    );
    assert.equal(missing.config, undefined, 'a broken file changes nothing');
    const garbage = await load(text(notPem), { fileChecks: 'access' });
    assert.match(errors(garbage.diagnostics)[0]!.message, /not\.pem: no PEM certificate in it/);
    const inSection = await load(inVirtual('service=https', `tlsca=${join(scratch, 'nope.pem')}`), {
      fileChecks: 'access',
    });
    assert.equal(errors(inSection.diagnostics)[0]!.line, 4);
  } finally {
    certificates.remove();
  }
});

test('check shows the status set and masks every header value, in text and JSON', async () => {
  const file = join(scratch, 'headers.cf');
  writeFileSync(
    file,
    [
      'httpheader="Authorization: Bearer t0p-s3cret-t0ken"',
      'virtual=127.0.0.1:80',
      '\treal=127.0.0.2:80 masq',
      '\thttpstatus=301,200-204',
      '',
    ].join('\n'),
  );
  const run = async (...argv: string[]): Promise<string> => {
    let out = '';
    await runCheck(['--ha-dir', join(scratch, 'no-ha'), ...argv], {
      stdout: { write: (t: string) => (out += t) },
      stderr: { write: () => true },
    });
    return out;
  };
  const text = await run(file);
  assert.match(text, /httpstatus\s+200-204,301\s+virtual, line 4/);
  assert.match(text, /httpheader\s+Authorization: \*{8}\s+global, line 1/);
  assert.match(text, /httpheader is an ldirectord-ts extension/);
  const json = await run('--json', file);
  assert.doesNotMatch(text + json, /t0p-s3cret-t0ken/);
  const parsed = JSON.parse(json) as {
    files: Array<{ config: { virtuals: Array<{ httpheader: unknown }> } }>;
  };
  assert.deepEqual(parsed.files[0]!.config.virtuals[0]!.httpheader, [
    { name: 'Authorization', value: '********' },
  ]);
});

test('reals whose HTTP or TLS settings differ are checked apart; unread settings split nothing', async () => {
  const text = (extra: string[], service = 'http'): string =>
    [
      'virtual=127.0.0.1:80',
      '\treal=127.0.0.2:80 masq',
      `\tservice=${service}`,
      'virtual=127.0.0.1:81',
      '\treal=127.0.0.2:80 masq',
      `\tservice=${service}`,
      ...extra,
      '',
    ].join('\n');
  const keys = async (extra: string[], service?: string): Promise<[string, string]> => {
    const { config } = await load(text(extra, service));
    const [a, b] = config!.virtuals;
    return [checkKey(a!, a!.reals[0]!), checkKey(b!, b!.reals[0]!)];
  };
  const [same1, same2] = await keys([]);
  assert.equal(same1, same2, 'one check for the same real behind two virtuals');
  for (const extra of ['\thttpheader="X-A: 1"', '\thttpstatus=200-299,401', '\ttlsverify=no']) {
    const service = extra.includes('tls') ? 'https' : 'http';
    const [a, b] = await keys([extra], service);
    assert.notEqual(a, b, extra);
  }
  const [smtpA, smtpB] = await keys(['\thttpheader="X-A: 1"', '\ttlsverify=no'], 'smtp');
  assert.equal(smtpA, smtpB, 'smtp reads neither');
});

test('every extension directive is in the list this file tests', async () => {
  const { DIRECTIVES } = await import('../../src/parser/directives.ts');
  const mine = DIRECTIVES.filter((d) => EXTENSIONS.includes(d.name));
  assert.equal(mine.length, EXTENSIONS.length);
  assert.ok(mine.every((d) => d.extension === true));
});
