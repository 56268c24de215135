import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { realIdText } from '../../src/config/identity.ts';
import { fallbackCommandArgs, splitCommand } from '../../src/monitor/fallback-command.ts';
import {
  createFileAppender,
  escapeMonitorMessage,
  monitorLine,
} from '../../src/monitor/monitorfile.ts';
import { nextRun, nextSlot, phaseOffset } from '../../src/monitor/schedule.ts';
import { makeReal, makeVirtual } from '../support/monitor-fixtures.ts';

test('messages are escaped like service_set: % | CR LF as lower-case %xx', () => {
  assert.equal(escapeMonitorMessage('line1\nTest|Page\r\nline3'), 'line1%0aTest%7cPage%0d%0aline3');
  assert.equal(escapeMonitorMessage('100% ok'), '100%25 ok');
  assert.equal(escapeMonitorMessage(''), '-');
});

test('monitorfile lines match the original byte for byte', () => {
  const when = new Date(2026, 10, 22, 2, 25, 38).getTime();
  const http = makeVirtual({
    service: 'http',
    checkport: 8081,
    receive: '^Test|Page',
    request: '/multi',
  });
  const real = makeReal('127.0.0.2', 8082, { forward: 'masq', weight: 1 });
  assert.equal(
    monitorLine(when, 11228, realIdText(http, real), false, 'line1\nTest|Page\r\nline3'),
    '[Sun Nov 22 02:25:38 2026] [11228] negotiate http tcp 127.0.0.2 8082 8081 1 masq /multi ^Test|Page [down] line1%0aTest%7cPage%0d%0aline3\n',
  );
  const ext = makeVirtual({
    checktype: 'external',
    checkcommand: '/usr/local/bin/ext.sh',
    address: '10.2.2.1',
  });
  const r2 = makeReal('10.2.2.3', 80, { forward: 'gate', weight: 2 });
  assert.equal(
    monitorLine(new Date(2026, 10, 22, 2, 22, 40).getTime(), 9844, realIdText(ext, r2), true, ''),
    '[Sun Nov 22 02:22:40 2026] [9844] external /usr/local/bin/ext.sh tcp 10.2.2.3 80 2 gate /  [up] -\n',
  );
  const dns = makeVirtual({
    service: 'dns',
    protocol: 'udp',
    request: '/www.example.com',
    receive: '192.0.2.11',
  });
  assert.equal(
    monitorLine(
      new Date(2026, 10, 22, 2, 27, 52).getTime(),
      12532,
      realIdText(dns, makeReal('127.0.0.6', 53, { forward: 'gate' })),
      true,
      'Success',
    ),
    '[Sun Nov 22 02:27:52 2026] [12532] negotiate dns udp 127.0.0.6 53 1 gate /www.example.com 192.0.2.11 [up] Success\n',
  );
});

test('the file appender keeps the order of lines and reports failures', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'ldts-monitorfile-'));
  try {
    const append = createFileAppender();
    const file = join(dir, 'checks.log');
    await Promise.all(Array.from({ length: 50 }, (_, i) => append(file, `line ${i}\n`)));
    assert.equal(
      readFileSync(file, 'utf8'),
      Array.from({ length: 50 }, (_, i) => `line ${i}\n`).join(''),
    );
    await assert.rejects(append(join(dir, 'missing', 'x.log'), 'x\n'), /ENOENT/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('fallbackcommand is split like Perl system() without a shell', () => {
  assert.deepEqual(splitCommand('/usr/local/bin/fb  --quiet\t-x'), {
    ok: true,
    argv: ['/usr/local/bin/fb', '--quiet', '-x'],
  });
  assert.deepEqual(splitCommand('/bin/fb\n'), { ok: true, argv: ['/bin/fb'] });
  // Quotes group words and go, as sh removes them (the global form keeps them in the value).
  assert.deepEqual(splitCommand('"/usr/local/bin/fb" \'a b\' c"d e"'), {
    ok: true,
    argv: ['/usr/local/bin/fb', 'a b', 'cd e'],
  });
  for (const bad of [
    '/bin/fb; rm -rf /',
    '/bin/fb > /tmp/x',
    '/bin/fb $HOME',
    'A=1 /bin/fb',
    'exec /bin/fb',
    '/bin/fb `id`',
    '/bin/fb "$HOME"',
    '"/bin/fb',
    '   ',
  ])
    assert.equal(splitCommand(bad).ok, false, bad);
});

test('fallbackcommand arguments: status, virtual, protocol; the mark for fwm', () => {
  assert.deepEqual(fallbackCommandArgs(makeVirtual(), 'start'), ['start', '10.1.1.1:80', 'tcp']);
  assert.deepEqual(
    fallbackCommandArgs(
      makeVirtual({ family: 6, address: '2001:db8::1', protocol: 'udp', port: 53 }),
      'stop',
    ),
    ['stop', '[2001:db8::1]:53', 'udp'],
  );
  assert.deepEqual(
    fallbackCommandArgs(makeVirtual({ protocol: 'fwm', address: '', port: 0, fwmark: 5 }), 'start'),
    ['start', '5', 'fwm'],
  );
});

test('phases are stable and spread across the interval', () => {
  const interval = 10_000;
  assert.equal(phaseOffset('a', interval), phaseOffset('a', interval));
  const phases = Array.from({ length: 10_000 }, (_, i) =>
    phaseOffset(`["negotiate",10,4,"10.0.${i >> 8}.${i & 255}"]`, interval),
  );
  const buckets = new Array(10).fill(0);
  for (const p of phases) {
    assert.ok(p >= 0 && p < interval);
    buckets[Math.floor(p / 1000)]++;
  }
  for (const b of buckets) assert.ok(b > 800 && b < 1200, `bucket of ${b}`);
});

test('next slot and next run', () => {
  assert.equal(nextSlot(0, 300, 1000, 0), 300);
  assert.equal(nextSlot(0, 300, 1000, 300), 1300);
  assert.equal(nextSlot(0, 300, 1000, 2950), 3300);
  // The start-up check at 0 is followed by the slot half an interval later at the earliest.
  assert.equal(nextRun(0, 100, 1000, 0, 5), 1100);
  assert.equal(nextRun(0, 700, 1000, 0, 5), 700);
  // A check that overran its interval skips the slots it missed.
  assert.equal(nextRun(0, 100, 1000, 1100, 3500), 4100);
});
