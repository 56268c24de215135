// The operator's overrides (ctl drain, weight, enable) in the monitor, under fake time with the
// real planner: how a request names a virtual and a real, what the table holds, what survives a
// reload and a restart, and that maintenancedir and fallbackcommand keep working beside them.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Config } from '../../src/config/model.ts';
import { planIpvs } from '../../src/ipvs/plan.ts';
import { selectReal, selectVirtual } from '../../src/monitor/overrides.ts';
import { load, TEST_SERVICES } from '../support/config-helpers.ts';
import { makeConfig, makeReal, makeVirtual, tableWith } from '../support/monitor-fixtures.ts';
import { harness } from '../support/monitor-harness.ts';

async function loaded(text: string): Promise<Config> {
  const { config, diagnostics } = await load(text);
  assert.ok(config, diagnostics.map((d) => d.message).join('\n'));
  return config;
}

describe('naming a virtual and a real as the config spells them', async () => {
  const config = await loaded(
    [
      'virtual=vip.example:http',
      '\treal=web1:http masq',
      '\treal=127.0.0.3:8080 masq',
      '\treal=127.0.0.3:8081 masq',
      'virtual=127.0.0.1:80',
      '\tprotocol=udp',
      '\treal=127.0.0.4:53 masq',
      'virtual6=[::1]:80',
      '\treal6=[0:0::2]:80 masq',
      'virtual=5',
      '\treal=127.0.0.5:80 masq',
      '',
    ].join('\n'),
  );
  const virtualOf = (text: string) => {
    const s = selectVirtual(config, text);
    return s.ok ? s.id : s.error;
  };
  const realOf = (v: string, r: string) => {
    const s = selectReal(config, v, r, TEST_SERVICES);
    return s.ok ? `${s.virtual} ${s.real} (${s.pairs.length})` : s.error;
  };

  test('a virtual: as written, by address:port, or by the id status shows', () => {
    assert.equal(virtualOf('vip.example:http'), 'tcp:127.0.0.1:80');
    assert.equal(virtualOf('tcp:127.0.0.1:80'), 'tcp:127.0.0.1:80');
    assert.equal(virtualOf('UDP:127.0.0.1:80'), 'udp:127.0.0.1:80');
    assert.equal(virtualOf('[::1]:80'), 'tcp:[::1]:80');
    assert.equal(virtualOf('[0::1]:80'), 'tcp:[::1]:80', 'an IPv6 address in any spelling');
    assert.equal(virtualOf('5'), 'fwm:5');
    assert.equal(virtualOf('fwm:5'), 'fwm:5');
  });

  test('one spelling for a tcp and a udp virtual: the protocol is asked for', () => {
    assert.equal(
      virtualOf('127.0.0.1:80'),
      '"127.0.0.1:80" names 2 virtuals (tcp:127.0.0.1:80, udp:127.0.0.1:80): write the one meant with its protocol, as tcp:127.0.0.1:80',
    );
  });

  test('an unknown virtual: the error lists those there are', () => {
    assert.equal(
      virtualOf('10.9.9.9:80'),
      'no virtual "10.9.9.9:80" in the configuration the daemon runs (its virtuals: tcp:127.0.0.1:80, udp:127.0.0.1:80, tcp:[::1]:80, fwm:5)',
    );
  });

  test('a real: numeric or by its written host, the port a number or a service name', () => {
    for (const r of ['127.0.0.2:80', 'web1:80', 'web1:http', '127.0.0.2'])
      assert.equal(realOf('vip.example:http', r), 'tcp:127.0.0.1:80 127.0.0.2:80 (1)', r);
    assert.equal(realOf('[::1]:80', '[::2]:80'), 'tcp:[::1]:80 [::2]:80 (1)');
    assert.equal(realOf('[::1]:80', '::2'), 'tcp:[::1]:80 [::2]:80 (1)', 'bare IPv6');
    assert.equal(realOf('5', '127.0.0.5:80'), 'fwm:5 127.0.0.5:80 (1)');
  });

  test('an address with two ports, an unknown real, a port that is no port: clear errors', () => {
    assert.equal(
      realOf('tcp:127.0.0.1:80', '127.0.0.3'),
      '"127.0.0.3" names 2 reals of virtual tcp:127.0.0.1:80 (127.0.0.3:8080, 127.0.0.3:8081): write the one meant with its port',
    );
    assert.equal(
      realOf('tcp:127.0.0.1:80', '127.0.0.9:80'),
      'no real "127.0.0.9:80" in virtual tcp:127.0.0.1:80 (its reals: 127.0.0.2:80, 127.0.0.3:8080, 127.0.0.3:8081)',
    );
    assert.equal(
      realOf('tcp:127.0.0.1:80', 'web1:nosuch'),
      '"nosuch" in "web1:nosuch" is not a port number',
    );
    assert.match(realOf('tcp:127.0.0.1:80', '[::2'), /is not a real server: write address:port/);
  });
});

const VID = 'tcp:10.1.1.1:80';

function twoReals(extra: Parameters<typeof makeVirtual>[0] = {}) {
  return makeVirtual({
    reals: [makeReal('127.0.4.2', 80), makeReal('127.0.4.3', 80, { weight: 5 })],
    ...extra,
  });
}

/** A monitor with the real planner, both reals up and checked. */
async function running(config: Config) {
  const h = harness(config, { monitor: { planner: planIpvs } });
  h.checkers.set('127.0.4.2', true);
  h.checkers.set('127.0.4.3', true);
  await h.start();
  return h;
}

describe('drain, weight and enable in a running monitor', () => {
  test('drain: weight 0 while its checks still run and say up; enable: its weight again', async () => {
    const h = await running(makeConfig([twoReals()]));
    assert.deepEqual(h.destinations().sort(), [`${VID} 127.0.4.2:80 w1`, `${VID} 127.0.4.3:80 w5`]);

    const drained = await h.monitor.setOverride('10.1.1.1:80', '127.0.4.2:80', { kind: 'drain' });
    assert.ok(drained.ok);
    assert.equal(
      drained.message,
      `Drained real server: 127.0.4.2:80 (${VID}) by ctl: weight 0 until enable`,
    );
    assert.deepEqual(h.destinations().sort(), [`${VID} 127.0.4.2:80 w0`, `${VID} 127.0.4.3:80 w5`]);
    assert.ok(h.logger.messages('info').includes(drained.message));
    assert.ok(
      h.logger
        .messages('info')
        .includes('Quiescent real server: 127.0.4.2:80 (10.1.1.1:80) (Weight set to 0)'),
    );
    const status = h.real(VID, '127.0.4.2');
    assert.equal(status.override?.kind, 'drain');
    assert.equal(status.override?.since, new Date(h.clock.now()).toISOString());
    assert.equal(status.up, true, 'its checks still say up');
    assert.equal(status.serving, false);
    assert.deepEqual(
      h.events.filter((e) => e.type === 'override'),
      [
        {
          type: 'override',
          virtual: VID,
          real: '127.0.4.2:80',
          override: { kind: 'drain' },
          cause: 'ctl',
        },
      ],
    );
    assert.deepEqual(h.monitor.overrides(), [
      {
        virtual: VID,
        real: '127.0.4.2:80',
        override: { kind: 'drain' },
        sinceMs: h.clock.now(),
      },
    ]);

    const checksBefore = h.checkers.calls.length;
    await h.clock.advance(30_000);
    assert.ok(h.checkers.calls.length > checksBefore, 'a drained real is still checked');
    assert.deepEqual(h.destinations().sort(), [`${VID} 127.0.4.2:80 w0`, `${VID} 127.0.4.3:80 w5`]);

    const again = await h.monitor.setOverride('10.1.1.1:80', '127.0.4.2:80', { kind: 'drain' });
    assert.ok(again.ok);
    assert.match(again.message, /is drained already: nothing changed/);
    assert.equal(h.events.filter((e) => e.type === 'override').length, 1);

    const enabled = await h.monitor.setOverride('10.1.1.1:80', '127.0.4.2:80', undefined);
    assert.ok(enabled.ok);
    assert.equal(
      enabled.message,
      `Enabled real server: 127.0.4.2:80 (${VID}) by ctl: its checks decide again (was drained)`,
    );
    assert.deepEqual(h.destinations().sort(), [`${VID} 127.0.4.2:80 w1`, `${VID} 127.0.4.3:80 w5`]);
    assert.equal(h.real(VID, '127.0.4.2').override, undefined);
    assert.deepEqual(h.monitor.overrides(), []);
    const twice = await h.monitor.setOverride('10.1.1.1:80', '127.0.4.2:80', undefined);
    assert.ok(twice.ok);
    assert.equal(
      twice.message,
      `Real server 127.0.4.2:80 (${VID}) has no override: nothing changed`,
    );
    await h.monitor.stop();
  });

  test('weight N: in place of the configured weight, through a fall and a return', async () => {
    const h = await running(makeConfig([twoReals()]));
    const set = await h.monitor.setOverride(VID, '127.0.4.3:80', { kind: 'weight', weight: 9 });
    assert.ok(set.ok);
    assert.equal(
      set.message,
      `Set weight of real server: 127.0.4.3:80 (${VID}) by ctl: 9 until enable (configured 5)`,
    );
    assert.ok(h.destinations().includes(`${VID} 127.0.4.3:80 w9`));
    h.checkers.set('127.0.4.3', false);
    await h.until(() => !h.real(VID, '127.0.4.3').up);
    await h.clock.advance(200);
    assert.ok(!h.destinations().some((d) => d.includes('127.0.4.3')), 'down: out (quiescent=no)');
    h.checkers.set('127.0.4.3', true);
    await h.until(() => h.real(VID, '127.0.4.3').up);
    await h.clock.advance(200);
    assert.ok(h.destinations().includes(`${VID} 127.0.4.3:80 w9`), 'back at the override');
    await h.monitor.setOverride(VID, '127.0.4.3:80', undefined);
    assert.ok(h.destinations().includes(`${VID} 127.0.4.3:80 w5`));
    await h.monitor.stop();
  });

  test('an unknown virtual or real: an error, and nothing changes', async () => {
    const h = await running(makeConfig([twoReals()]));
    const applied = h.backend.applied.length;
    const unknownVirtual = await h.monitor.setOverride('10.1.1.9:80', '127.0.4.2:80', {
      kind: 'drain',
    });
    assert.deepEqual(unknownVirtual, {
      ok: false,
      error: `no virtual "10.1.1.9:80" in the configuration the daemon runs (its virtuals: ${VID})`,
    });
    const unknownReal = await h.monitor.setOverride('10.1.1.1:80', '127.0.4.9:80', {
      kind: 'drain',
    });
    assert.deepEqual(unknownReal, {
      ok: false,
      error: `no real "127.0.4.9:80" in virtual ${VID} (its reals: 127.0.4.2:80, 127.0.4.3:80)`,
    });
    assert.equal(h.backend.applied.length, applied);
    assert.deepEqual(h.monitor.overrides(), []);
    assert.deepEqual(
      h.events.filter((e) => e.type === 'override'),
      [],
    );
    await h.monitor.stop();
  });

  test('show: one real, a virtual, or every override', async () => {
    const h = await running(makeConfig([twoReals()]));
    await h.monitor.setOverride(VID, '127.0.4.3:80', { kind: 'weight', weight: 2 });
    const all = h.monitor.show();
    assert.ok(all.ok);
    assert.deepEqual(
      all.reals.map((v) => [v.virtual, v.real.address, v.real.override?.kind]),
      [[VID, '127.0.4.3', 'weight']],
    );
    const virtual = h.monitor.show('10.1.1.1:80');
    assert.ok(virtual.ok);
    assert.equal(virtual.reals.length, 2);
    const one = h.monitor.show('10.1.1.1:80', '127.0.4.2:80');
    assert.ok(one.ok);
    assert.deepEqual(
      one.reals.map((v) => [v.real.address, v.real.up, v.real.serving]),
      [['127.0.4.2', true, true]],
    );
    assert.equal(h.monitor.show('10.1.1.1:80', '127.0.4.7:80').ok, false);
    await h.monitor.stop();
  });

  test('every real drained: the fallback server and fallbackcommand take over', async () => {
    const v = makeVirtual({
      reals: [makeReal('127.0.4.2', 80)],
      fallback: { address: '127.0.4.250', port: 80, forward: 'masq', line: 3 },
      fallbackcommand: '/usr/local/bin/fallback',
    });
    const h = harness(makeConfig([v]), { monitor: { planner: planIpvs } });
    h.checkers.set('127.0.4.2', true);
    await h.start();
    assert.deepEqual(
      h.commands.map((c) => c[1]),
      ['stop'],
    );
    await h.monitor.setOverride(VID, '127.0.4.2:80', { kind: 'drain' });
    assert.deepEqual(h.destinations().sort(), [
      `${VID} 127.0.4.250:80 w1`,
      `${VID} 127.0.4.2:80 w0`,
    ]);
    await h.clock.advance(10);
    assert.deepEqual(
      h.commands.map((c) => c[1]),
      ['stop', 'start'],
    );
    assert.equal(h.monitor.status().virtuals[0]!.fallbackActive, true);
    await h.monitor.setOverride(VID, '127.0.4.2:80', undefined);
    await h.clock.advance(10);
    assert.deepEqual(h.destinations(), [`${VID} 127.0.4.2:80 w1`]);
    assert.deepEqual(
      h.commands.map((c) => c[1]),
      ['stop', 'start', 'stop'],
    );
    await h.monitor.stop();
  });

  test('maintenancedir keeps working: its reason stays, a drain holds the entry at 0', async () => {
    const h = await running(makeConfig([twoReals()], { maintenancedir: '/etc/ldirectord/maint' }));
    await h.monitor.setOverride(VID, '127.0.4.2:80', { kind: 'drain' });
    h.maintenanceFiles.add('127.0.4.2');
    await h.until(() => h.real(VID, '127.0.4.2').maintenance === '127.0.4.2');
    await h.clock.advance(200);
    const r = h.real(VID, '127.0.4.2');
    assert.equal(r.lastCheck?.reason, 'Server in maintenance');
    assert.equal(r.override?.kind, 'drain');
    assert.ok(h.destinations().includes(`${VID} 127.0.4.2:80 w0`), 'drained: kept at 0');
    await h.monitor.setOverride(VID, '127.0.4.2:80', undefined);
    assert.ok(
      !h.destinations().some((d) => d.includes('127.0.4.2')),
      'enabled while in maintenance: out, as quiescent=no says',
    );
    h.maintenanceFiles.delete('127.0.4.2');
    await h.until(() => h.real(VID, '127.0.4.2').up);
    await h.clock.advance(200);
    assert.ok(h.destinations().includes(`${VID} 127.0.4.2:80 w1`));
    await h.monitor.stop();
  });
});

describe('across reloads and restarts', () => {
  test('a reload keeps the override, even of a real whose check changed', async () => {
    const h = await running(makeConfig([twoReals()]));
    await h.monitor.setOverride(VID, '127.0.4.2:80', { kind: 'drain' });
    await h.monitor.setOverride(VID, '127.0.4.3:80', { kind: 'weight', weight: 3 });
    // Another check (its request) for every real: fresh members, same reals.
    const second = twoReals({ request: '/other', checkinterval: 7 });
    const reloading = h.monitor.reload(makeConfig([second]));
    await h.clock.advance(100);
    await reloading;
    assert.deepEqual(h.destinations().sort(), [`${VID} 127.0.4.2:80 w0`, `${VID} 127.0.4.3:80 w3`]);
    assert.equal(h.real(VID, '127.0.4.2').override?.kind, 'drain');
    assert.equal(h.monitor.overrides().length, 2);
    await h.monitor.stop();
  });

  test('a reload without the real drops its override, says so and tells the daemon', async () => {
    const h = await running(makeConfig([twoReals()]));
    await h.monitor.setOverride(VID, '127.0.4.2:80', { kind: 'drain' });
    const reloading = h.monitor.reload(
      makeConfig([makeVirtual({ reals: [makeReal('127.0.4.3', 80, { weight: 5 })] })]),
    );
    await h.clock.advance(100);
    await reloading;
    assert.deepEqual(h.monitor.overrides(), []);
    assert.ok(
      h.logger
        .messages('warn')
        .includes(
          `Dropped override of real server: 127.0.4.2:80 (${VID}): drained, but the configuration has no such real any more`,
        ),
    );
    assert.deepEqual(h.events.filter((e) => e.type === 'override').at(-1), {
      type: 'override',
      virtual: VID,
      real: '127.0.4.2:80',
      override: undefined,
      cause: 'config',
    });
    await h.monitor.stop();
  });

  test('a restart with stored overrides: the first plan already honours them', async () => {
    const v = twoReals();
    // The table a killed daemon left: the drained real at 0, the weighted one at its override.
    const table = tableWith([
      {
        virtual: v,
        reals: [
          { address: '127.0.4.2', port: 80, weight: 0 },
          { address: '127.0.4.3', port: 80, weight: 4 },
        ],
      },
    ]);
    const h = harness(makeConfig([v]), {
      table,
      monitor: {
        planner: planIpvs,
        overrides: [
          { virtual: VID, real: '127.0.4.2:80', override: { kind: 'drain' }, sinceMs: 1000 },
          {
            virtual: VID,
            real: '127.0.4.3:80',
            override: { kind: 'weight', weight: 4 },
            sinceMs: 2000,
          },
        ],
      },
    });
    h.checkers.set('127.0.4.2', true);
    h.checkers.set('127.0.4.3', true);
    await h.start();
    await h.clock.advance(30_000);
    assert.deepEqual(
      h.backend.applied.flat().filter((line) => / -w [15]$/.test(line)),
      [],
      'never at a configured weight',
    );
    assert.deepEqual(h.destinations().sort(), [`${VID} 127.0.4.2:80 w0`, `${VID} 127.0.4.3:80 w4`]);
    assert.equal(h.real(VID, '127.0.4.2').override?.since, new Date(1000).toISOString());
    await h.monitor.stop();
  });
});
