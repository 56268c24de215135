// `ldirectord-ts doctor` exits 2 when it cannot check: run as an ordinary user (nobody, through
// setpriv), in a mount namespace without /proc, with a config file that does not exist, or with
// arguments it cannot use. It says why on stderr and, with --json, in the report.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { runCommand } from '../../src/lib/run-command.ts';
import { BIN } from '../support/ldts.ts';

const root = process.getuid?.() === 0;
const NODE = process.execPath;

async function run(file: string, args: string[]) {
  const r = await runCommand(file, args, { timeoutMs: 60_000 });
  assert.equal(r.spawnError, undefined);
  return r;
}

for (const mode of [['/etc/ha.d/none.cf'], ['--real-server', '192.0.2.10']]) {
  test(
    `not root (${mode[0]}): exit 2, says it needs root`,
    { skip: !root && 'needs root to become nobody' },
    async () => {
      const r = await run('setpriv', [
        '--reuid=nobody',
        '--regid=nogroup',
        '--clear-groups',
        '--',
        NODE,
        BIN,
        'doctor',
        '--json',
        ...mode,
      ]);
      assert.equal(r.code, 2, r.stderr);
      assert.match(r.stderr, /cannot check: doctor needs root/);
      assert.deepEqual(JSON.parse(r.stdout).exitCode, 2);
    },
  );

  test(
    `no /proc (${mode[0]}): exit 2, says /proc is not mounted`,
    { skip: !root && 'needs root for a mount namespace' },
    async () => {
      // A private mount namespace of this command only, with /proc unmounted in it.
      const r = await run('unshare', [
        '--mount',
        '--propagation',
        'private',
        '--',
        'sh',
        '-c',
        'umount -l /proc && exec "$@"',
        'sh',
        NODE,
        BIN,
        'doctor',
        ...mode,
      ]);
      assert.equal(r.code, 2, r.stderr);
      assert.match(r.stderr, /cannot check: \/proc is not mounted/);
    },
  );
}

test('a config file that does not exist: exit 2', { skip: !root && 'needs root' }, async () => {
  const r = await run(NODE, [BIN, 'doctor', '--ha-dir', '/nonexistent', 'no-such.cf']);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /cannot check: Config file no-such\.cf not found/);
});

test('arguments doctor cannot use: exit 2 with the reason, nothing checked', async () => {
  for (const [args, reason] of [
    [['--real-server', '10.0.0.300'], /--real-server: "10\.0\.0\.300" is not an IP address/],
    [['--real-server', '10.0.0.1', 'x.cf'], /takes no config file/],
    [['--method', 'nat', 'x.cf'], /--method: only with --real-server/],
    [['--real-server', '10.0.0.1', '--method', 'gre'], /Allowed choices are dr, tun, nat/],
    [['--real-server', '10.0.0.1', '--dry-run'], /--dry-run goes with --fix/],
    [['--real-server', '10.0.0.1', '--pid-dir', '/run'], /--pid-dir: only on a director/],
  ] as const) {
    const r = await run(NODE, [BIN, 'doctor', ...args]);
    assert.equal(r.code, 2, args.join(' '));
    assert.match(r.stderr, reason);
    assert.equal(r.stdout, '');
  }
});
