import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  buildCheckTarget,
  checkKey,
  checkMode,
  checkPort,
  deadlineMs,
} from '../../src/monitor/target.ts';
import { makeReal, makeVirtual } from '../support/monitor-fixtures.ts';

test('check port: checkport, else the real port, else the service port (ld_checkport)', () => {
  const r0 = makeReal('10.0.0.2', 0);
  const r8080 = makeReal('10.0.0.2', 8080);
  assert.equal(checkPort(makeVirtual({ checkport: 9000 }), r8080), 9000);
  assert.equal(checkPort(makeVirtual(), r8080), 8080);
  assert.equal(checkPort(makeVirtual({ service: 'https' }), r0), 443);
  assert.equal(checkPort(makeVirtual({ service: 'http_proxy' }), r0), 3128);
  assert.equal(checkPort(makeVirtual({ service: 'simpletcp' }), r0), 0);
});

test('a UDP connect check is a ping; other checktypes map to themselves', () => {
  assert.equal(checkMode(makeVirtual({ checktype: 'connect', protocol: 'udp' })), 'ping');
  assert.equal(checkMode(makeVirtual({ checktype: 'connect', protocol: 'tcp' })), 'connect');
  assert.equal(checkMode(makeVirtual({ checktype: 'connect', protocol: 'fwm' })), 'connect');
  assert.equal(checkMode(makeVirtual({ checktype: 'combined' })), 'combined');
});

test('deadlines: negotiatetimeout for negotiate, checktimeout for the rest, ping per attempt', () => {
  const v = makeVirtual({ checktimeout: 3, negotiatetimeout: 7, checkcount: 2 });
  assert.equal(deadlineMs(v, 'negotiate'), 7000);
  assert.equal(deadlineMs(v, 'connect'), 3000);
  assert.equal(deadlineMs(v, 'external'), 3000);
  assert.equal(deadlineMs(v, 'external-perl'), 3000);
  assert.equal(deadlineMs(v, 'ping'), 6000);
  assert.equal(deadlineMs(makeVirtual({ checktimeout: 0.25 }), 'connect'), 250);
});

test('target: the real request and receive win over the virtual ones', () => {
  const v = makeVirtual({ request: '/v.html', receive: 'virtual', virtualhost: 'www.example.com' });
  const own = buildCheckTarget(
    v,
    makeReal('10.0.0.2', 80, { request: '/r.html', receive: 'real' }),
    'negotiate',
  );
  assert.equal(own.request, '/r.html');
  assert.equal(own.receive, 'real');
  assert.equal(own.virtualhost, 'www.example.com');
  assert.equal(own.timeoutMs, 30000);
  const inherited = buildCheckTarget(v, makeReal('10.0.0.3', 80), 'negotiate');
  assert.equal(inherited.request, '/v.html');
  assert.equal(inherited.receive, 'virtual');
});

test('target: IPv6 stays bare; fwmark virtuals pass the mark and no address', () => {
  const v6 = makeVirtual({ family: 6, address: '2001:db8::1', written: '[2001:db8::1]:80' });
  const t6 = buildCheckTarget(v6, makeReal('2001:db8::2', 8080), 'connect');
  assert.equal(t6.host, '2001:db8::2');
  assert.equal(t6.family, 6);
  assert.equal(t6.port, 8080);
  assert.equal(t6.timeoutMs, 5000);
  const fwm = makeVirtual({
    protocol: 'fwm',
    address: '',
    port: 0,
    fwmark: 7,
    checktype: 'external',
    checkcommand: '/bin/check',
  });
  const tf = buildCheckTarget(fwm, makeReal('10.0.0.2', 0), 'external');
  assert.deepEqual(
    [tf.virtualAddress, tf.virtualPort, tf.fwmark, tf.realPort, tf.checkcommand],
    ['', 0, 7, 0, '/bin/check'],
  );
  assert.equal(tf.port, 80, 'service http gives the check port when the real has none');
});

test('dedup key: the same check behind two virtual addresses is one check', () => {
  const a = makeVirtual({ address: '10.1.1.1' });
  const b = makeVirtual({ address: '10.1.1.2', written: '10.1.1.2:80', quiescent: true });
  const r = makeReal('10.0.0.2', 80);
  assert.equal(
    checkKey(a, r),
    checkKey(b, makeReal('10.0.0.2', 80, { weight: 9, forward: 'gate' })),
  );
});

test('dedup key: every setting that changes the outcome separates checks', () => {
  const r = makeReal('10.0.0.2', 80);
  const base = makeVirtual();
  const variants = [
    makeVirtual({ service: 'https' }),
    makeVirtual({ protocol: 'udp' }),
    makeVirtual({ checkport: 81 }),
    makeVirtual({ request: '/other' }),
    makeVirtual({ receive: 'x' }),
    makeVirtual({ login: 'u' }),
    makeVirtual({ passwd: 'p' }),
    makeVirtual({ database: 'd' }),
    makeVirtual({ secret: 's' }),
    makeVirtual({ virtualhost: 'h' }),
    makeVirtual({ httpmethod: 'HEAD' }),
    makeVirtual({ negotiatetimeout: 31 }),
    makeVirtual({ checkinterval: 11 }),
    makeVirtual({ checktype: 'connect' }),
    makeVirtual({ checktype: 'combined', combinedCount: 3 }),
  ];
  const keys = new Set([checkKey(base, r), ...variants.map((v) => checkKey(v, r))]);
  assert.equal(keys.size, variants.length + 1);
  assert.notEqual(checkKey(base, r), checkKey(base, makeReal('10.0.0.3', 80)));
  assert.notEqual(checkKey(base, r), checkKey(base, makeReal('10.0.0.2', 81)));
  assert.notEqual(
    checkKey(base, r),
    checkKey(base, makeReal('10.0.0.2', 80, { receive: 'own', request: '/' })),
  );
});

test('dedup key: external checks are separated by the virtual they are told about', () => {
  const ext = (extra: object) =>
    makeVirtual({ checktype: 'external', checkcommand: '/bin/c', ...extra });
  const r = makeReal('10.0.0.2', 80);
  assert.notEqual(checkKey(ext({}), r), checkKey(ext({ address: '10.1.1.2' }), r));
  assert.notEqual(checkKey(ext({}), r), checkKey(ext({ checkcommand: '/bin/d' }), r));
  assert.notEqual(checkKey(ext({}), r), checkKey(ext({ checktimeout: 6 }), r));
  assert.equal(checkKey(ext({}), r), checkKey(ext({ receive: 'ignored by external' }), r));
});

test('dedup key: what no check of the mode reads does not separate checks', () => {
  const r = makeReal('10.0.0.2', 80);
  const same = (a: object, b: object) =>
    assert.equal(checkKey(makeVirtual(a), r), checkKey(makeVirtual(b), r));
  // A negotiate check runs under negotiatetimeout; checktimeout is the connect deadline.
  same({ checktimeout: 5 }, { checktimeout: 9 });
  same({ checktype: 'connect', service: 'http' }, { checktype: 'connect', service: 'https' });
  same({ checktype: 'ping', checkport: 81 }, { checktype: 'ping', checkport: 82 });
  assert.notEqual(
    checkKey(makeVirtual({ checktype: 'combined', combinedCount: 2, checktimeout: 5 }), r),
    checkKey(makeVirtual({ checktype: 'combined', combinedCount: 2, checktimeout: 9 }), r),
    'checktype=N also connects, under checktimeout',
  );
});
