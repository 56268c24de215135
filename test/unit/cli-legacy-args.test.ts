import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseLegacyArgs, UsageError } from '../../src/cli/legacy.ts';

test('one positional word is the action and the config stays the default', () => {
  const a = parseLegacyArgs(['start']);
  assert.equal(a.action, 'start');
  assert.equal(a.config, undefined);
});

test('two positional words are config then action; further words are ignored', () => {
  const a = parseLegacyArgs(['/etc/ha.d/x.cf', 'status', 'extra']);
  assert.equal(a.config, '/etc/ha.d/x.cf');
  assert.equal(a.action, 'status');
});

test('options stop at the first non-option word (require_order)', () => {
  const a = parseLegacyArgs(['cfg', 'status', '-d']);
  assert.equal(a.debug, false);
  assert.equal(a.action, 'status');
});

test('bundled short options and -- end of options', () => {
  const a = parseLegacyArgs(['-dv', '--', '-weird.cf', 'stop']);
  assert.equal(a.debug, true);
  assert.equal(a.version, true);
  assert.equal(a.config, '-weird.cf');
  assert.equal(a.action, 'stop');
});

test('--pid-dir and --ipvsadm take a value, inline or separate', () => {
  const a = parseLegacyArgs(['--pid-dir', '/tmp/p', '--ipvsadm=/x/ipvsadm', 'start']);
  assert.equal(a.pidDir, '/tmp/p');
  assert.equal(a.ipvsadm, '/x/ipvsadm');
});

test('an unknown option is a usage error naming it', () => {
  assert.throws(
    () => parseLegacyArgs(['-x', 'start']),
    (e: unknown) => {
      return e instanceof UsageError && e.message === 'Unknown option: x';
    },
  );
});

test('--dry-run is a flag, off unless given', () => {
  assert.equal(parseLegacyArgs(['cfg', 'start']).dryRun, false);
  const a = parseLegacyArgs(['--dry-run', '-d', 'cfg', 'start']);
  assert.equal(a.dryRun, true);
  assert.equal(a.debug, true);
  assert.equal(a.action, 'start');
});

test('--foreground; status --json and --history [N], with or without a config', () => {
  assert.equal(parseLegacyArgs(['--foreground', 'start']).foreground, true);
  assert.equal(parseLegacyArgs(['start']).foreground, false);
  const a = parseLegacyArgs(['status', '--history', '5']);
  assert.deepEqual([a.config, a.action, a.history, a.json], [undefined, 'status', 5, false]);
  const b = parseLegacyArgs(['/etc/ha.d/x.cf', 'status', '--history', '--json']);
  assert.deepEqual([b.config, b.action, b.history, b.json], ['/etc/ha.d/x.cf', 'status', 20, true]);
  const c = parseLegacyArgs(['status', '--json']);
  assert.deepEqual([c.config, c.action, c.json, c.history], [undefined, 'status', true, undefined]);
  assert.throws(() => parseLegacyArgs(['status', '--history', 'many']), UsageError);
});

test('ctl in the place of the action: the words after it go to ctl', () => {
  const a = parseLegacyArgs(['--pid-dir', '/tmp/p', '/etc/ha.d/x.cf', 'ctl', 'drain', 'v', 'r']);
  assert.equal(a.config, '/etc/ha.d/x.cf');
  assert.equal(a.action, undefined);
  assert.deepEqual(a.control, ['drain', 'v', 'r']);
  assert.equal(a.pidDir, '/tmp/p');
  const b = parseLegacyArgs(['ctl', 'show']);
  assert.equal(b.config, undefined);
  assert.deepEqual(b.control, ['show']);
});

test('a config named ctl still works with the original actions', () => {
  const a = parseLegacyArgs(['ctl', 'status']);
  assert.equal(a.config, 'ctl');
  assert.equal(a.action, 'status');
  assert.equal(a.control, undefined);
});

test('--state-dir takes a value', () => {
  assert.equal(parseLegacyArgs(['--state-dir=/srv/s', 'start']).stateDir, '/srv/s');
  assert.equal(parseLegacyArgs(['--state-dir', '/srv/t', 'start']).stateDir, '/srv/t');
});
