// The resolver: defaults, inheritance, derived values and their origins, host and service
// resolution through injected lookups, ranges, fallbacks, and the warnings about what a file
// does differently or not at all.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { realId, virtualId } from '../../src/config/identity.ts';
import { perlRangeCount } from '../../src/config/resolve/reals.ts';
import { formatOriginalStyle } from '../../src/model/diagnostics.ts';
import { codes, errors, inVirtual, load } from '../support/config-helpers.ts';

test('defaults of the original, with quiescent=no (§6 item 1)', async () => {
  const { config } = await load('virtual=127.0.0.1:8080\n\treal=127.0.0.2:8080 gate\n');
  assert.ok(config);
  const g = config.global;
  assert.equal(g.quiescent, false);
  assert.equal(g.cleanstop, true);
  assert.equal(g.readdquiescent, false);
  assert.equal(g.checkinterval, 10);
  assert.equal(g.logfile, '/var/log/ldirectord.log');
  assert.equal(g.emailalertstatus, 15);
  const v = config.virtuals[0]!;
  assert.deepEqual(
    {
      scheduler: v.scheduler,
      checktype: v.checktype,
      service: v.service,
      protocol: v.protocol,
      checktimeout: v.checktimeout,
      negotiatetimeout: v.negotiatetimeout,
      request: v.request,
      receive: v.receive,
      checkcommand: v.checkcommand,
      httpmethod: v.httpmethod,
      ops: v.ops,
      failurecount: v.failurecount,
      checkcount: v.checkcount,
      quiescent: v.quiescent,
    },
    {
      scheduler: 'wrr',
      checktype: 'negotiate',
      service: 'none',
      protocol: 'tcp',
      checktimeout: 5,
      negotiatetimeout: 30,
      request: '/',
      receive: '',
      checkcommand: '/bin/true',
      httpmethod: 'GET',
      ops: false,
      failurecount: 1,
      checkcount: 1,
      quiescent: false,
    },
  );
  assert.deepEqual(v.origins.scheduler, { source: 'default' });
  assert.deepEqual(v.origins.quiescent, { source: 'default' });
});

test('origins: virtual, inherited global, default, derived', async () => {
  const { config } = await load(
    'quiescent=yes\nvirtual=127.0.0.1:80\n\treal=127.0.0.2:80 gate\n\tscheduler=rr\n',
  );
  const v = config!.virtuals[0]!;
  assert.deepEqual(v.origins.scheduler, { source: 'virtual', line: 4 });
  assert.deepEqual(v.origins.quiescent, { source: 'global', line: 1 });
  assert.equal(v.quiescent, true);
  assert.deepEqual(v.origins.service, { source: 'derived', from: 'port' });
  assert.equal(v.service, 'http');
  assert.deepEqual(config!.global.origins.quiescent, { source: 'global', line: 1 });
});

test('global directives after the sections apply to every virtual (last one wins)', async () => {
  const { config } = await load(`${inVirtual()}quiescent=no\nquiescent=yes\n`);
  assert.equal(config!.virtuals[0]!.quiescent, true);
  assert.equal(config!.virtuals[0]!.origins.quiescent!.line, 4);
});

test('protocol from the port (53, domain) or protocol=, service from the port', async () => {
  const { config } = await load(
    'virtual=127.0.0.1:53\n\treal=127.0.0.2:53 gate\nvirtual=127.0.0.5:domain\n\treal=127.0.0.2:53 gate\nvirtual=127.0.0.1:https\n\treal=127.0.0.2:443 gate\n\tprotocol=udp\n',
  );
  const [a, b, c] = config!.virtuals;
  assert.deepEqual([a!.protocol, a!.service, a!.port], ['udp', 'dns', 53]);
  assert.deepEqual([b!.protocol, b!.service, b!.port], ['udp', 'dns', 53]);
  assert.deepEqual([c!.protocol, c!.service, c!.port], ['udp', 'https', 443]);
});

test('firewall-mark and IPv6 virtual services', async () => {
  const { config } = await load(
    'virtual=7\n\treal=127.0.0.2 gate\nvirtual6=[2001:DB8:0::1]:80\n\treal6=[2001:db8::2]:80 masq\nvirtual6=9\n\treal6=[::1] gate\n',
  );
  const [f, v6, f6] = config!.virtuals;
  assert.deepEqual(
    [f!.protocol, f!.fwmark, f!.address, f!.port, f!.service],
    ['fwm', 7, '', 0, 'none'],
  );
  assert.equal(f!.reals[0]!.port, 0);
  assert.deepEqual(
    [v6!.family, v6!.address, v6!.reals[0]!.address],
    [6, '2001:db8::1', '2001:db8::2'],
  );
  assert.equal(virtualId(v6!), 'tcp:[2001:db8::1]:80');
  assert.equal(virtualId(f6!), 'fwm6:9');
});

test('timeout chains of ld_setup', async () => {
  const text = [
    'checktimeout=8',
    'virtual=127.0.0.1:80',
    '\treal=127.0.0.2:80 gate',
    '\tnegotiatetimeout=20',
    'virtual=127.0.0.1:81',
    '\treal=127.0.0.2:81 gate',
    '\tchecktimeout=3',
    'virtual=127.0.0.1:82',
    '\treal=127.0.0.2:82 gate',
    '',
  ].join('\n');
  const [a, b, c] = (await load(text)).config!.virtuals;
  assert.deepEqual([a!.checktimeout, a!.negotiatetimeout], [20, 20]);
  assert.deepEqual(a!.origins.checktimeout, {
    source: 'virtual',
    line: 4,
    from: 'negotiatetimeout',
  });
  assert.deepEqual([b!.checktimeout, b!.negotiatetimeout], [3, 3]);
  assert.deepEqual([c!.checktimeout, c!.negotiatetimeout], [8, 8]);
  assert.deepEqual(c!.origins.negotiatetimeout, {
    source: 'global',
    line: 1,
    from: 'checktimeout',
  });
  const none = (await load(inVirtual())).config!.virtuals[0]!;
  assert.deepEqual([none.checktimeout, none.negotiatetimeout], [5, 30]);
});

test('ftp and sip login defaults depend on the order of service= and login=', async () => {
  const text = [
    'virtual=127.0.0.1:21',
    '\treal=127.0.0.2:21 gate',
    '\tservice=ftp',
    'virtual=127.0.0.1:22',
    '\treal=127.0.0.2:22 gate',
    '\tlogin="bob"',
    '\tservice=ftp',
    'virtual=127.0.0.1:5060',
    '\treal=127.0.0.2:5060 gate',
    '\tservice=sip',
    'virtual=127.0.0.1:2121',
    '\treal=127.0.0.2:21 gate',
    '',
  ].join('\n');
  const [ftp, bob, sip, derived] = (await load(text)).config!.virtuals;
  assert.deepEqual([ftp!.login, ftp!.passwd], ['anonymous', 'ldirectord@testhost']);
  assert.deepEqual(ftp!.origins.login, { source: 'derived', line: 3, from: 'service' });
  assert.deepEqual([bob!.login, bob!.passwd], ['bob', 'ldirectord@testhost']);
  assert.deepEqual([sip!.login, sip!.passwd], ['ldirectord@testhost', '']);
  assert.deepEqual([derived!.service, derived!.login], ['none', '']);
});

test('host names and service names through the injected lookups', async () => {
  const { config, diagnostics } = await load(
    'virtual=vip.example:http\n\treal=web1:www gate\n\treal=web2 gate\n\treal=range-start->range-end:80 masq\n',
  );
  assert.deepEqual(diagnostics, []);
  const v = config!.virtuals[0]!;
  assert.deepEqual([v.address, v.port, v.service], ['127.0.0.1', 80, 'http']);
  assert.deepEqual(
    v.reals.map((r) => `${r.address}:${r.port}`),
    ['127.0.0.2:80', '127.0.0.3:0', '127.0.0.10:80', '127.0.0.11:80', '127.0.0.12:80'],
  );
  assert.equal(v.reals[2]!.written, 'range-start->range-end');
});

test('unresolvable names and unknown ports are errors at their own line', async () => {
  const r = await load(
    'virtual=nowhere.example:80\n\treal=127.0.0.2:80 gate\nvirtual=127.0.0.1:80\n\treal=nohost:80 gate\n\treal=127.0.0.3:nosuch gate\n\treal=127.0.0.4:70000 gate\n\tfallback=nohost:80\nvirtual=127.0.0.1:onlyudp\n\treal=127.0.0.2:80 gate\n',
  );
  assert.equal(r.config, undefined);
  assert.deepEqual(
    errors(r.diagnostics).map((d) => `${d.line}: ${d.message}`),
    [
      '1: invalid address for virtual service',
      '4: invalid address (nohost) for real server (could not resolve host)',
      '5: invalid port (nosuch) for real server (could not resolve port)',
      '6: invalid port (70000) for real server (could not resolve port)',
      '7: invalid IPv4 address or could not resolve for fallback server: nohost',
      '8: invalid address for virtual service',
    ],
  );
  assert.match(errors(r.diagnostics)[0]!.hint!, /does not resolve/);
  assert.match(errors(r.diagnostics)[5]!.hint!, /tcp service name/);
});

test('real ports resolve with any protocol (getservbyname with an empty protocol)', async () => {
  const { config } = await load('virtual=127.0.0.1:80\n\treal=127.0.0.2:onlyudp gate\n');
  assert.equal(config!.virtuals[0]!.reals[0]!.port, 7777);
});

test('FIX (§6 item 10): ranges across a power of ten are expanded, with a migration warning', async () => {
  const r = await load(inVirtual('real=59.154.201.254->59.154.202.1:80 gate'));
  assert.equal(r.config!.virtuals[0]!.reals.length, 5);
  const w = r.diagnostics.find((d) => d.code === 'real-range-fixed')!;
  assert.match(w.hint!, /none of them/);
  assert.equal(perlRangeCount(1000, 1005, 100), 6);
  assert.equal(perlRangeCount(99, 100, 100), 0);
  assert.equal(perlRangeCount(10, 100, 1000), 1);
});

test('range errors: reversed, IPv6, too large', async () => {
  const r = await load(
    `${inVirtual('real=127.0.0.9->127.0.0.2:80 gate', 'real=10.0.0.0->10.1.0.0:80 gate')}virtual6=[::1]:80\n\treal6=[::1]->[::3]:80 gate\n`,
  );
  assert.deepEqual(
    errors(r.diagnostics).map((d) => d.message),
    [
      'Invalid Range: 127.0.0.9-127.0.0.2: First value must be greater than or equal to the second value',
      'range 10.0.0.0->10.1.0.0 has 65537 addresses; at most 65536 are accepted',
      'Address range for IPv6 is not supported yet',
    ],
  );
});

test('fallbacks: global without port takes the virtual port, per protocol; per virtual overrides', async () => {
  const text = [
    'fallback=127.0.0.250 masq',
    'virtual=127.0.0.1:80',
    '\treal=127.0.0.2:80 gate',
    'virtual=127.0.0.1:53',
    '\treal=127.0.0.2:53 gate',
    'virtual=127.0.0.1:81',
    '\treal=127.0.0.2:81 gate',
    '\tfallback=127.0.0.251',
    'virtual=127.0.0.1:82',
    '\treal=127.0.0.2:82 gate',
    '\tfallback=127.0.0.252:9000 ipip',
    '',
  ].join('\n');
  const { config } = await load(text);
  const f = config!.virtuals.map((v) => v.fallback);
  assert.deepEqual(f[0], { address: '127.0.0.250', port: 80, forward: 'masq', line: 1 });
  assert.deepEqual(f[1], { address: '127.0.0.250', port: 53, forward: 'masq', line: 1 });
  assert.deepEqual(f[2], { address: '127.0.0.251', port: 81, forward: 'gate', line: 8 });
  assert.deepEqual(f[3], { address: '127.0.0.252', port: 9000, forward: 'ipip', line: 11 });
  assert.equal(config!.global.fallback!.tcp.portUnset, true);
  assert.deepEqual(config!.virtuals[0]!.origins.fallback, { source: 'global', line: 1 });
});

test('FIX (§6 item 20): a firewall-mark service gets the global fallback address', async () => {
  const r = await load('fallback=127.0.0.250:80\nvirtual=5\n\treal=127.0.0.2 gate\n');
  assert.deepEqual(r.config!.virtuals[0]!.fallback, {
    address: '127.0.0.250',
    port: 80,
    forward: 'gate',
    line: 1,
  });
  assert.ok(codes(r.diagnostics).includes('fwmark-global-fallback'));
});

test('per-real request/receive are kept; the real-id uses them', async () => {
  const { config } = await load(
    inVirtual('real=127.0.0.3:80 masq 2 "status", "up"', 'receive="x"'),
  );
  const v = config!.virtuals[0]!;
  const r = v.reals[1]!;
  assert.deepEqual([r.request, r.receive], ['/status', 'up']);
  assert.equal(realId(v, r), 'negotiate:http:tcp:127.0.0.3:80:::2:masq:\\/status:up');
});

test('migration and no-effect warnings', async () => {
  const text = [
    'fork=yes',
    'virtual=127.0.0.1:80',
    '\treal=127.0.0.2:80 gate',
    '\treal=127.0.0.2:80 gate',
    '\tops=yes',
    '\tnetmask=255.255.255.0',
    '\thttpmethod=HEAD',
    '\treceive="OK"',
    'virtual=127.0.0.1:3306',
    '\treal=127.0.0.2:3306 gate',
    '\treceive="x"',
    '\tchecktype=on',
    '\tcheckinterval=3',
    'virtual=127.0.0.1:83',
    '\tvirtualhost=x',
    '',
  ].join('\n');
  const r = await load(text);
  const c = codes(r.diagnostics);
  for (const code of [
    'fork-no-effect',
    'real-duplicate',
    'ops-not-udp',
    'netmask-without-persistent',
    'receive-with-head',
    'receive-sql',
    'receive-unused',
    'virtual-no-reals',
    'virtualhost-unused',
  ]) {
    assert.ok(c.includes(code), `${code} in ${c.join(',')}`);
  }
  // fork=yes: the per-virtual checkinterval is honoured by both, so no migration warning.
  assert.ok(!c.includes('checkinterval-virtual-honoured'));
  const withoutFork = await load(inVirtual('checkinterval=3'));
  assert.ok(codes(withoutFork.diagnostics).includes('checkinterval-virtual-honoured'));
});

test('fileChecks: monitorfile, logfile and maintenancedir through the checker', async () => {
  const files = {
    appendable: async (p: string) => (p.startsWith('/bad') ? 'Permission denied' : undefined),
    isDirectory: async (p: string) => p === '/maint',
  };
  const r = await load(
    `logfile="/bad/ld.log"\nmaintenancedir=/nomaint\n${inVirtual('monitorfile=/bad/m.log')}`,
    { files },
  );
  assert.deepEqual(
    r.diagnostics.map((d) => `${d.severity} ${d.line}: ${d.message}`),
    [
      'error 1: unable to open logfile: /bad/ld.log: Permission denied',
      'warning 2: maintenance directory does not exist',
      'error 5: unable to open monitorfile /bad/m.log: Permission denied',
    ],
  );
  const debug = await load('logfile="/bad/ld.log"\n', { files, debug: true });
  assert.deepEqual(errors(debug.diagnostics), []);
  const supervised = await load('logfile="/bad/ld.log"\nsupervised=yes\n', { files });
  assert.deepEqual(errors(supervised.diagnostics), []);
});

test('a config with errors gives no Config; warnings alone do', async () => {
  assert.equal((await load('quiescent=x\n')).config, undefined);
  const ok = await load(inVirtual('scheduler=Wrr'));
  assert.ok(ok.config);
  assert.ok(ok.diagnostics.length > 0);
});

test('a global fallback port is resolved for tcp and udp: a tcp-only name is an error', async () => {
  const r = await load(`fallback=127.0.0.1:http\n${inVirtual()}`);
  const e = errors(r.diagnostics);
  assert.equal(e.length, 1);
  assert.equal(e[0]!.message, 'invalid port for fallback server');
  assert.match(e[0]!.hint!, /both tcp and udp/);
  const numeric = await load(`fallback=127.0.0.1:80\n${inVirtual()}`);
  assert.deepEqual(numeric.config!.global.fallback!.udp.port, 80);
});

test('formatOriginalStyle gives the original first line of a fatal start-up error', async () => {
  const r = await load('quiescent=maybe\n');
  assert.equal(
    formatOriginalStyle(r.diagnostics[0]!, 4242),
    "Error [4242] reading file test.cf at line 1: quiescent must be 'yes' or 'no'",
  );
});

test('a real listed twice with other settings: the warning says which the Perl original keeps', async () => {
  const text = [
    'virtual=127.0.0.1:80',
    '\treal=127.0.0.2:80 masq 1',
    '\treal=127.0.0.2:80 masq 5',
    '\treal=127.0.0.3:80 gate',
    '\treal=127.0.0.3:80 gate',
    '',
  ].join('\n');
  const { config, diagnostics } = await load(text);
  assert.ok(config, 'a warning, not an error');
  const [differs, same, ...rest] = diagnostics.filter((d) => d.code === 'real-duplicate');
  assert.deepEqual(rest, []);
  assert.equal(differs!.line, 3);
  assert.equal(differs!.category, 'differs-from-perl');
  assert.match(
    differs!.message,
    /already listed at line 2 \(masq, weight 1\); this line says masq, weight 5/,
  );
  assert.match(differs!.hint!, /Perl original ends with the last line's \(masq, weight 5\)/);
  assert.match(differs!.hint!, /ldirectord-ts .* first line whose check passes \(masq, weight 1/);
  assert.equal(same!.line, 5);
  assert.equal(same!.category, undefined, 'the same settings: both programs agree');
  assert.doesNotMatch(same!.hint!, /rejects/, 'ipvsadm does not reject it: both are one entry');
});
