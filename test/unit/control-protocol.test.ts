// The pure parts of ctl: the command line's words, a request as the daemon reads it, and the
// state file that keeps overrides across restarts (its text, and when it is trusted).
import assert from 'node:assert/strict';
import { chmodSync, chownSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { parseControlRequest, parseCtlWords } from '../../src/daemon/control-protocol.ts';
import {
  formatOverrideState,
  loadOverrides,
  overrideStatePath,
  parseOverrideState,
  saveOverrides,
} from '../../src/daemon/override-store.ts';
import type { OverrideRecord } from '../../src/monitor/overrides.ts';

describe('the words after ctl', () => {
  const read = (words: string[]) => {
    const r = parseCtlWords(words);
    return r.ok ? r.request : r.error.split('\n')[0];
  };

  test('drain, enable, weight and show', () => {
    assert.deepEqual(read(['drain', '10.0.0.1:80', '10.0.0.2:80']), {
      command: 'drain',
      virtual: '10.0.0.1:80',
      real: '10.0.0.2:80',
    });
    assert.deepEqual(read(['enable', 'v', 'r']), { command: 'enable', virtual: 'v', real: 'r' });
    assert.deepEqual(read(['weight', '7', 'v', 'r']), {
      command: 'weight',
      weight: 7,
      virtual: 'v',
      real: 'r',
    });
    assert.deepEqual(read(['show']), { command: 'show' });
    assert.deepEqual(read(['show', 'v', 'r']), { command: 'show', virtual: 'v', real: 'r' });
  });

  test('what is not a request says why, with the usage', () => {
    assert.equal(read([]), 'ctl needs a command');
    assert.equal(read(['pause', 'v', 'r']), 'unknown ctl command "pause"');
    assert.equal(read(['drain', 'v']), 'ctl drain takes a virtual and a real');
    assert.equal(read(['weight', 'v', 'r']), 'ctl weight takes a weight, a virtual and a real');
    for (const bad of ['-1', '1.5', 'x', '2147483648'])
      assert.equal(
        read(['weight', bad, 'v', 'r']),
        `weight "${bad}" is not a whole number from 0 to 2147483647`,
      );
    assert.match(parseCtlWords(['show', 'a', 'b', 'c']).ok ? '' : 'usage', /usage/);
    const r = parseCtlWords(['drain']);
    assert.ok(!r.ok && r.error.includes('Usage: ldirectord-ts [configfile] ctl'));
  });
});

describe('a request line as the daemon reads it', () => {
  test('well-formed requests', () => {
    assert.deepEqual(
      parseControlRequest('{"command":"weight","virtual":"v","real":"r","weight":0}'),
      {
        ok: true,
        request: { command: 'weight', virtual: 'v', real: 'r', weight: 0 },
      },
    );
    assert.deepEqual(parseControlRequest('{"command":"show","virtual":"v"}'), {
      ok: true,
      request: { command: 'show', virtual: 'v' },
    });
  });

  test('anything else is refused with a reason', () => {
    const error = (line: string) => {
      const r = parseControlRequest(line);
      return r.ok ? 'accepted' : r.error;
    };
    assert.equal(error('drain v r'), 'the request is not JSON');
    assert.equal(error('[]'), 'unknown command (none)');
    assert.equal(error('{"command":"reboot"}'), 'unknown command "reboot"');
    assert.equal(error('{"command":"drain","virtual":"v"}'), 'drain needs a virtual and a real');
    assert.equal(
      error(`{"command":"drain","virtual":"${'x'.repeat(513)}","real":"r"}`),
      'drain needs a virtual and a real',
    );
    assert.equal(
      error('{"command":"weight","virtual":"v","real":"r","weight":"5"}'),
      'weight "" is not a whole number from 0 to 2147483647',
    );
    assert.equal(
      error('{"command":"weight","virtual":"v","real":"r","weight":-2}'),
      'weight "-2" is not a whole number from 0 to 2147483647',
    );
    assert.equal(error('{"command":"show","real":"r"}'), 'bad real');
  });
});

describe('the state file', () => {
  const dir = mkdtempSync(join(tmpdir(), 'ldts-override-store-'));
  after(() => rmSync(dir, { recursive: true, force: true }));
  const records: OverrideRecord[] = [
    { virtual: 'tcp:10.0.0.1:80', real: '10.0.0.2:80', override: { kind: 'drain' }, sinceMs: 0 },
    {
      virtual: 'fwm:5',
      real: '[2001:db8::2]:80',
      override: { kind: 'weight', weight: 12 },
      sinceMs: Date.UTC(2025, 0, 2, 3, 4, 5),
    },
  ];

  test('named after the config, in /var/lib/ldirectord-ts unless told', () => {
    assert.equal(
      overrideStatePath('ldirectord'),
      '/var/lib/ldirectord-ts/ldirectord.ldirectord.overrides.json',
    );
    assert.equal(overrideStatePath('x.cf', '/srv/s'), '/srv/s/ldirectord.x.cf.overrides.json');
  });

  test('its text reads back as written', () => {
    const text = formatOverrideState(records);
    assert.match(text, /"since": "2025-01-02T03:04:05.000Z"/);
    assert.deepEqual(parseOverrideState(text, 'f'), { records, errors: [] });
  });

  test('a broken file or entry is refused with the file and the entry named', () => {
    assert.match(parseOverrideState('{"version":1,', 'f').errors[0]!, /^f: not JSON: /);
    assert.deepEqual(parseOverrideState('{"version":2,"overrides":[]}', 'f').errors, [
      'f: format version 2, this program reads 1',
    ]);
    const mixed = parseOverrideState(
      JSON.stringify({
        version: 1,
        overrides: [
          { virtual: 'v', real: 'r', override: 'weight', weight: 1.5, since: '2025-01-01' },
          { virtual: 'v', real: 'r2', override: 'drain', since: 'yesterday' },
          { virtual: 'v', real: 'r3', override: 'pause', since: '2025-01-01' },
          { virtual: 'v', real: 'r4', override: 'drain', since: '2025-01-01T00:00:00Z' },
        ],
      }),
      'f',
    );
    assert.deepEqual(mixed.errors, [
      'f: override 1: weight "1.5" is not a whole number from 0 to 2147483647',
      'f: override 2: "since" is not a date',
      'f: override 3: "override" must be "drain" or "weight"',
    ]);
    assert.deepEqual(
      mixed.records.map((r) => r.real),
      ['r4'],
      'the good entry is kept',
    );
  });

  test('saved root-only; read only when it and its folder are the daemon own', () => {
    const folder = join(dir, 'state');
    const file = join(folder, 'ldirectord.t.overrides.json');
    assert.deepEqual(loadOverrides(file), { records: [], errors: [] }, 'no file: no overrides');
    saveOverrides(file, records);
    assert.equal(statSync(folder).mode & 0o777, 0o700);
    assert.equal(statSync(file).mode & 0o777, 0o600);
    assert.deepEqual(loadOverrides(file), { records, errors: [] });

    chmodSync(file, 0o660);
    assert.deepEqual(loadOverrides(file).errors, [
      `${file}: writable by its group or others: not read, the daemon starts without overrides`,
    ]);
    chmodSync(file, 0o600);
    chownSync(file, 65534, 65534);
    assert.deepEqual(loadOverrides(file, 0).errors, [
      `${file}: owned by uid 65534, not 0: not read, the daemon starts without overrides`,
    ]);
    chownSync(file, 0, 0);
    chmodSync(folder, 0o777);
    assert.deepEqual(loadOverrides(file, 0).records, [], 'a folder anyone can write to');
    assert.throws(() => saveOverrides(file, records), /writable by others and not sticky/);
    chmodSync(folder, 0o700);
    writeFileSync(file, 'not json', { mode: 0o600 });
    assert.match(loadOverrides(file, 0).errors[0]!, /not JSON/);
  });
});
