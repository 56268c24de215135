// The monitor's side effects under fake time: fallbackcommand, maintenancedir, monitorfile.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { makeConfig, makeReal, makeVirtual, tableWith } from '../support/monitor-fixtures.ts';
import { harness } from '../support/monitor-harness.ts';

const VID = 'tcp:10.1.1.1:80';

test('fallbackcommand: once at start-up, then only when the last real goes or the first returns', async () => {
  const v = makeVirtual({
    fallbackcommand: '/usr/local/bin/fallback --quiet',
    reals: [makeReal('127.0.4.2', 80), makeReal('127.0.4.3', 80)],
  });
  const h = harness(makeConfig([v]));
  h.checkers.set('127.0.4.2', false);
  h.checkers.set('127.0.4.3', false);
  await h.start();
  assert.deepEqual(h.commands, [
    ['/usr/local/bin/fallback', '--quiet', 'start', '10.1.1.1:80', 'tcp'],
  ]);
  h.checkers.set('127.0.4.2', true);
  await h.until(() => h.real(VID, '127.0.4.2').up);
  h.checkers.set('127.0.4.3', true);
  await h.until(() => h.real(VID, '127.0.4.3').up);
  assert.deepEqual(
    h.commands.map((c) => c[2]),
    ['start', 'stop'],
    'the second real coming back runs nothing',
  );
  h.checkers.set('127.0.4.2', false);
  await h.until(() => !h.real(VID, '127.0.4.2').up);
  assert.equal(h.commands.length, 2, 'one real still up');
  h.checkers.set('127.0.4.3', false);
  await h.until(() => !h.real(VID, '127.0.4.3').up);
  assert.deepEqual(
    h.commands.map((c) => c[2]),
    ['start', 'stop', 'start'],
  );
  const events = h.events.filter((e) => e.type === 'fallback-command');
  assert.equal(events.length, 3);
  await h.monitor.stop();
});

test('fallbackcommand at start-up with a real up: one stop, no start/stop/start', async () => {
  const v = makeVirtual({ reals: [makeReal('127.0.4.2', 80), makeReal('127.0.4.3', 80)] });
  const h = harness(makeConfig([v], { fallbackcommand: '/usr/local/bin/fallback' }), {
    table: tableWith([{ virtual: v, reals: [{ address: '127.0.4.3', port: 80, weight: 1 }] }]),
  });
  h.checkers.set('127.0.4.2', true);
  h.checkers.set('127.0.4.3', false);
  await h.start();
  assert.deepEqual(h.commands, [['/usr/local/bin/fallback', 'stop', '10.1.1.1:80', 'tcp']]);
  await h.monitor.stop();
});

test('fallbackcommand gets the mark of a firewall-mark virtual', async () => {
  const v = makeVirtual({
    protocol: 'fwm',
    address: '',
    port: 0,
    fwmark: 7,
    fallbackcommand: '/usr/local/bin/fallback',
    reals: [makeReal('127.0.4.2', 80)],
  });
  const h = harness(makeConfig([v]));
  h.checkers.set('127.0.4.2', false);
  await h.start();
  assert.deepEqual(h.commands, [['/usr/local/bin/fallback', 'start', '7', 'fwm']]);
  await h.monitor.stop();
});

test('a fallbackcommand that needs a shell is refused and never run', async () => {
  const v = makeVirtual({
    fallbackcommand: '/bin/fb > /tmp/log',
    reals: [makeReal('127.0.4.2', 80)],
  });
  const h = harness(makeConfig([v]));
  h.checkers.set('127.0.4.2', false);
  await h.start();
  assert.deepEqual(h.commands, []);
  assert.ok(
    h.logger
      .messages('error')
      .some((m) =>
        m.startsWith('fallbackcommand of tcp:10.1.1.1:80 will not run: shell metacharacter ">"'),
      ),
  );
  await h.monitor.stop();
});

test('maintenance: every file name form forces the real down with "Server in maintenance"', async () => {
  const forms: Array<[string, string]> = [
    ['127.0.4.2:8080', '127.0.4.2'],
    ['127.0.4.2', '127.0.4.2'],
    ['web1.example.com:8080', '127.0.4.2'],
    ['web1.example.com', '127.0.4.2'],
    ['web1:8080', '127.0.4.2'],
    ['web1', '127.0.4.2'],
    ['WEB2:8080', '127.0.4.3'],
    ['[2001:db8::2]:8080', '2001:db8::2'],
    ['[2001:db8::2]', '2001:db8::2'],
  ];
  for (const [file, address] of forms) {
    const v = makeVirtual({
      monitorfile: '/var/log/ldirectord.check',
      reals: [makeReal(address, 8080)],
    });
    const h = harness(makeConfig([v], { maintenancedir: '/etc/ldirectord/maintenance' }), {
      table: tableWith([{ virtual: v, reals: [{ address, port: 8080, weight: 1 }] }]),
    });
    h.names.set('127.0.4.2', 'web1.example.com');
    h.names.set('127.0.4.3', 'WEB2.Example.COM');
    h.checkers.set(address, true);
    h.maintenanceFiles.add(file);
    h.maintenanceFiles.add('unrelated');
    await h.start();
    const real = h.real(VID, address);
    assert.equal(real.up, false, file);
    assert.equal(real.maintenance, file);
    assert.equal(real.lastCheck?.reason, 'Server in maintenance');
    assert.deepEqual(h.checkers.calls, [], `${file}: the check itself is skipped`);
    assert.match(h.monitorLines[0]!.line, /\[down\] Server in maintenance\n$/);
    assert.deepEqual(h.destinations(), []);
    h.maintenanceFiles.delete(file);
    await h.until(() => h.real(VID, address).up);
    assert.equal(h.real(VID, address).maintenance, undefined);
    await h.monitor.stop();
  }
});

test('maintenance: reverse names are resolved once per config load, not per check', async () => {
  const reals = [makeReal('127.0.4.2', 80), makeReal('127.0.4.3', 80)];
  const a = makeVirtual({ checkinterval: 1, reals });
  const b = makeVirtual({
    address: '10.1.1.2',
    checkinterval: 1,
    reals: [makeReal('127.0.4.2', 81)],
  });
  const h = harness(makeConfig([a, b], { maintenancedir: '/etc/ldirectord/maintenance' }));
  h.checkers.set('127.0.4.2', true);
  h.checkers.set('127.0.4.3', true);
  await h.start();
  await h.clock.advance(30_000);
  assert.ok(h.checkers.calls.length > 60);
  assert.deepEqual(h.reverseLookups.sort(), ['127.0.4.2', '127.0.4.3']);
  await h.monitor.reload(makeConfig([a], { maintenancedir: '/etc/ldirectord/maintenance' }));
  await h.clock.advance(10_000);
  assert.equal(h.reverseLookups.length, 4, 'resolved again after the reload');
  await h.monitor.stop();
});

test('maintenance: the first checks wait (boundedly) for the reverse names', async () => {
  const v = makeVirtual({ reals: [makeReal('127.0.4.2', 80)] });
  const config = makeConfig([v], { maintenancedir: '/etc/ldirectord/maintenance' });
  const slow = harness(config);
  slow.names.set('127.0.4.2', 'web1.example.com');
  slow.maintenanceFiles.add('web1');
  slow.checkers.set('127.0.4.2', true);
  slow.delayReverseLookups(1000);
  await slow.start(1000);
  assert.equal(slow.real(VID, '127.0.4.2').up, false, 'never added while in maintenance');
  assert.deepEqual(slow.destinations(), []);
  await slow.monitor.stop();

  const dead = harness(config);
  dead.checkers.set('127.0.4.2', true);
  dead.delayReverseLookups('never');
  const t0 = dead.clock.now();
  await dead.start(3000);
  assert.equal(dead.checkers.calls[0]!.at - t0, 3000, 'checks start after the bound');
  assert.equal(dead.real(VID, '127.0.4.2').up, true);
  await dead.monitor.stop();
});

test('maintenance is off without maintenancedir', async () => {
  const h = harness(makeConfig([makeVirtual({ reals: [makeReal('127.0.4.2', 80)] })]));
  h.maintenanceFiles.add('127.0.4.2');
  h.checkers.set('127.0.4.2', true);
  await h.start();
  assert.equal(h.real(VID, '127.0.4.2').up, true);
  assert.deepEqual(h.reverseLookups, []);
  await h.monitor.stop();
});

test('monitorfile: a line per check result for every virtual sharing the real', async () => {
  const shared = () => makeReal('127.0.4.2', 8080);
  const a = makeVirtual({ monitorfile: '/var/log/a.check', reals: [shared()] });
  const b = makeVirtual({
    address: '10.1.1.2',
    monitorfile: '/var/log/b.check',
    reals: [shared()],
  });
  const c = makeVirtual({ address: '10.1.1.3', reals: [shared()] });
  const h = harness(makeConfig([a, b, c]));
  h.checkers.set('127.0.4.2', { up: false, reason: 'line1\nTest|Page' });
  await h.start();
  assert.equal(h.checkers.calls.length, 1);
  const ctime = /^\[\w{3} \w{3} [ \d]\d \d\d:\d\d:\d\d \d{4}\] /;
  assert.deepEqual(
    h.monitorLines.map((l) => [l.file, l.line.replace(ctime, '')]),
    [
      [
        '/var/log/a.check',
        '[4242] negotiate http tcp 127.0.4.2 8080 1 masq /  [down] line1%0aTest%7cPage\n',
      ],
      [
        '/var/log/b.check',
        '[4242] negotiate http tcp 127.0.4.2 8080 1 masq /  [down] line1%0aTest%7cPage\n',
      ],
    ],
  );
  assert.match(h.monitorLines[0]!.line, ctime);
  h.checkers.set('127.0.4.2', true);
  await h.clock.advance(30_000);
  assert.ok(h.monitorLines.length >= 6, 'written for every check, not only transitions');
  assert.match(h.monitorLines.at(-1)!.line, / \[up\] Success\n$/);
  await h.monitor.stop();
});

test('monitorfile: ping-down and external-perl results are written; checktype=on is not', async () => {
  const ping = makeVirtual({
    checktype: 'ping',
    monitorfile: '/m',
    reals: [makeReal('127.0.4.2', 80)],
  });
  const perl = makeVirtual({
    address: '10.1.1.2',
    checktype: 'external-perl',
    checkcommand: '/etc/ha.d/check.pl',
    monitorfile: '/m',
    reals: [makeReal('127.0.4.3', 80)],
  });
  const on = makeVirtual({
    address: '10.1.1.3',
    checktype: 'on',
    monitorfile: '/m',
    reals: [makeReal('127.0.4.4', 80)],
  });
  const h = harness(makeConfig([ping, perl, on]));
  h.checkers.set('127.0.4.2', { up: false, reason: '' });
  h.checkers.set('127.0.4.3', { up: true, reason: '' });
  await h.start();
  const lines = h.monitorLines.map((l) => l.line.replace(/^\[[^\]]*\] \[4242\] /, '')).sort();
  assert.deepEqual(lines, [
    'external-perl /etc/ha.d/check.pl tcp 127.0.4.3 80 1 masq /  [up] -\n',
    'ping tcp 127.0.4.2 80 1 masq /  [down] -\n',
  ]);
  await h.monitor.stop();
});

test('a monitorfile that cannot be written is logged once and kills nothing', async () => {
  const v = makeVirtual({
    checkinterval: 1,
    monitorfile: '/nonexistent/x.check',
    reals: [makeReal('127.0.4.2', 80)],
  });
  const h = harness(makeConfig([v]));
  h.checkers.set('127.0.4.2', true);
  h.failAppends(true);
  await h.start();
  await h.clock.advance(5000);
  assert.deepEqual(h.logger.messages('error'), [
    "Error writing to monitorfile '/nonexistent/x.check': EACCES: permission denied, open '/nonexistent/x.check'",
  ]);
  assert.ok(h.checkers.calls.length >= 5, 'checks went on');
  assert.equal(h.real(VID, '127.0.4.2').up, true);
  await h.monitor.stop();
});
