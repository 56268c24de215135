// `npm run demo` (scripts/demo.ts) runs to completion and shows the whole cycle, in order: the
// first checks, a real removed in one virtual and quiesced in the other, that virtual's
// fallback, the real coming back, the clean stop. Run as users run it, with no reading pauses.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { test } from 'node:test';
import { mariadbUnavailable } from '../support/mariadb.ts';

const root = new URL('../../', import.meta.url).pathname;

/** Index of the first line containing `text` at or after `from`; fails when there is none. */
function lineAfter(lines: string[], from: number, text: string): number {
  const i = lines.findIndex((line, n) => n >= from && line.includes(text));
  assert.notEqual(i, -1, `no line containing "${text}" after line ${from}`);
  return i;
}

test('the demo shows the down/up cycle in order and exits 0', async () => {
  const r = spawnSync(process.execPath, ['scripts/demo.ts', '--pause', '0'], {
    cwd: root,
    encoding: 'utf8',
    timeout: 120_000,
  });
  assert.equal(r.status, 0, `exit ${r.status ?? r.signal}\n${r.stdout}\n${r.stderr}`);
  const lines = r.stdout.split('\n');
  const expectInOrder = [
    'Starting Linux Director v1.186-ha with pid:',
    'Dry run: ipvsadm -A -t 127.0.6.1:80 -s wlc',
    'Added real server: 127.0.6.10:8080 (127.0.6.1:80) (Weight set to 1)',
    'Dry run: ipvsadm -a -t 127.0.6.1:80 -x 0 -y 0 -r 127.0.6.10:8080 -m -w 1',
    '1. First checks done',
    'Status:   real 127.0.6.12:8080 down weight 1 failures 0/1, last check down: starting up',
    'Status:   real 127.0.6.13:8080 down weight 1 failures 0/1, last check down: timeout',
    '2. Stopping the HTTP server on 127.0.6.11:8080',
    'Deleted real server: 127.0.6.11:8080 (127.0.6.1:80)',
    'Dry run: ipvsadm -d -t 127.0.6.1:80 -r 127.0.6.11:8080',
    'Quiescent real server: 127.0.6.11:8080 (127.0.6.2:80) (Weight set to 0)',
    'Dry run: ipvsadm -e -t 127.0.6.2:80 -r 127.0.6.11:8080 -m -w 0',
    'Added fallback server: 127.0.6.19:8080 (127.0.6.2:80) (Weight set to 1)',
    '3. Starting the HTTP server on 127.0.6.11:8080 again',
    'Added real server: 127.0.6.11:8080 (127.0.6.1:80) (Weight set to 1)',
    'Restored real server: 127.0.6.11:8080 (127.0.6.2:80) (Weight set to 1)',
    'Deleted fallback server: 127.0.6.19:8080 (127.0.6.2:80)',
    '4. Stopping the daemon',
    'Purged virtual server (stop): 127.0.6.1:80',
    'Linux Director Daemon terminated on signal: TERM',
    'Demo finished: the daemon exited with status 0.',
  ];
  let at = 0;
  for (const text of expectInOrder) at = lineAfter(lines, at, text) + 1;

  // The real servers that fail their checks never enter the table.
  assert.doesNotMatch(r.stdout, /Added real server: 127\.0\.6\.1[23]:/);
  // The config's MySQL password is not shown anywhere.
  assert.doesNotMatch(r.stdout + r.stderr, /demo-only-password/);
  if (mariadbUnavailable()) {
    assert.match(r.stdout, /MariaDB is not installed .*127\.0\.6\.20:3306 stays down/);
  } else {
    lineAfter(lines, 0, 'Added real server: 127.0.6.20:3306 (127.0.6.3:3306) (Weight set to 1)');
  }
});
