import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Config, RealServer, VirtualService } from '../../src/config/model.ts';
import { restoreInput } from '../../src/ipvs/commands.ts';
import { runIpvsadm } from '../../src/ipvs/emulator/ipvsadm.ts';
import { saveText } from '../../src/ipvs/emulator/ipvsadm-format.ts';
import { fromKernel, IpvsKernel, toKernel } from '../../src/ipvs/emulator/kernel.ts';
import type { IpvsTable } from '../../src/ipvs/model.ts';
import { type Plan, type PlanScope, planIpvs } from '../../src/ipvs/plan.ts';
import { diffTables, entryKey, findReal, tablesEqual } from '../../src/ipvs/table.ts';
import { config, fallback, real, virtual } from '../support/ipvs-fixtures.ts';

/** A table built by ipvsadm -R lines (through the emulation). */
function tableFrom(rules: string): IpvsTable {
  const kernel = new IpvsKernel();
  const r = runIpvsadm(['-R'], { kernel, stdin: rules });
  assert.equal(r.exitCode, 0, r.stderr);
  return fromKernel(kernel.snapshot());
}

/** The plan's commands run by the emulated ipvsadm; the table must be the plan's expected. */
function settle(actual: IpvsTable, plan: Plan): IpvsTable {
  const kernel = new IpvsKernel(toKernel(actual));
  const r = runIpvsadm(['-R'], { kernel, stdin: restoreInput(plan.commands) });
  assert.equal(r.stderr, '', `the emulated kernel refused: ${r.stderr}`);
  const table = fromKernel(kernel.snapshot());
  assert.ok(
    tablesEqual(table, plan.expected),
    `expected table differs:\n${saveText(table)}---\n${saveText(plan.expected)}`,
  );
  changesWhatItNames(actual, plan);
  return table;
}

/**
 * Each command, run alone in order, changes exactly the entry its keys name: the service, or
 * the one destination at the port the kernel gives it (the applier and the retries go by them).
 */
function changesWhatItNames(actual: IpvsTable, plan: Plan): void {
  const kernel = new IpvsKernel(toKernel(actual));
  for (const c of plan.commands) {
    const before = fromKernel(kernel.snapshot());
    assert.equal(runIpvsadm(c.args, { kernel }).exitCode, 0, c.line);
    const diff = diffTables(before, fromKernel(kernel.snapshot()));
    if (c.destination === undefined) assert.deepEqual([...diff.services], [c.service], c.line);
    else {
      assert.deepEqual([...diff.services], [], c.line);
      assert.deepEqual([...diff.destinations], [entryKey(c.service, c.destination)], c.line);
      const served = c.serves.map(({ real }) => `${real.address}:${real.port}`);
      if (c.target?.kind === 'real' && c.event !== 'purged')
        assert.ok(served.includes(`${c.target.address}:${c.target.port}`), c.line);
    }
  }
}

type UpRule = (v: VirtualService, r: RealServer) => boolean;
const allDown: UpRule = () => false;
const allUp: UpRule = () => true;
const upIf =
  (...addresses: string[]): UpRule =>
  (_v, r) =>
    addresses.includes(`${r.address}:${r.port}`);

function plan(cfg: Config, actual: IpvsTable, isUp: UpRule, scope: PlanScope = { kind: 'start' }) {
  return planIpvs({ config: cfg, actual, isUp, scope });
}

const lines = (p: Plan): string[] => p.commands.map((c) => c.line);
const messages = (p: Plan): string[] => p.commands.map((c) => c.message);

describe('start-up reconciliation', () => {
  const v = virtual({ address: '10.1.1.1', port: 80 }, [
    real('127.0.0.2', 8080, 'masq', 1),
    real('127.0.0.3', 8080, 'masq', 5),
  ]);

  test('empty table: the virtual and the reals that are up, in the original form', () => {
    const p = plan(config([{ ...v, scheduler: 'rr' }]), tableFrom(''), upIf('127.0.0.2:8080'));
    assert.deepEqual(lines(p), [
      '-A -t 10.1.1.1:80 -s rr',
      '-a -t 10.1.1.1:80 -x 0 -y 0 -r 127.0.0.2:8080 -m -w 1',
    ]);
    assert.deepEqual(messages(p), [
      'Added virtual server: 10.1.1.1:80',
      'Added real server: 127.0.0.2:8080 (10.1.1.1:80) (Weight set to 1)',
    ]);
    assert.deepEqual(
      p.commands.map((c) => [c.event, c.virtualId, c.target]),
      [
        ['virtual-added', 'tcp:10.1.1.1:80', undefined],
        ['added', 'tcp:10.1.1.1:80', { kind: 'real', address: '127.0.0.2', port: 8080 }],
      ],
    );
    settle(tableFrom(''), p);
  });

  test('a restart finding healthy reals in the table removes and re-adds nothing', () => {
    const actual = tableFrom(
      '-A -t 10.1.1.1:80 -s wrr\n-a -t 10.1.1.1:80 -r 127.0.0.2:8080 -m -w 1\n-a -t 10.1.1.1:80 -r 127.0.0.3:8080 -m -w 5\n',
    );
    const cfg = config([v]);
    const initiallyUp: UpRule = (vs, r) => (findReal(actual, vs, r)?.weight ?? 0) > 0;
    assert.deepEqual(lines(plan(cfg, actual, initiallyUp)), []);
  });

  test('the virtual is edited only when its settings differ', () => {
    const actual = tableFrom('-A -t 10.1.1.1:80 -s rr\n');
    const p = plan(config([v]), actual, allDown);
    assert.deepEqual(lines(p), ['-E -t 10.1.1.1:80 -s wrr']);
    assert.deepEqual(messages(p), ['Changed virtual server: 10.1.1.1:80']);
    assert.equal(p.commands[0]!.event, 'virtual-changed');
  });

  test('an up real with other weight, thresholds or forwarding is restored with -e', () => {
    const actual = tableFrom(
      '-A -t 10.1.1.1:80 -s wrr\n-a -t 10.1.1.1:80 -r 127.0.0.2:8080 -m -w 7\n-a -t 10.1.1.1:80 -r 127.0.0.3:8080 -m -w 5 -x 3\n',
    );
    const p = plan(config([v]), actual, allUp);
    assert.deepEqual(lines(p), [
      '-e -t 10.1.1.1:80 -x 0 -y 0 -r 127.0.0.2:8080 -m -w 1',
      '-e -t 10.1.1.1:80 -x 0 -y 0 -r 127.0.0.3:8080 -m -w 5',
    ]);
    assert.equal(
      p.commands[0]!.message,
      'Restored real server: 127.0.0.2:8080 (10.1.1.1:80) (Weight set to 1)',
    );
    settle(actual, p);
  });

  test('untracked reals of a configured virtual are purged; unknown virtuals are left alone', () => {
    const actual = tableFrom(
      '-A -t 10.1.1.1:80 -s wrr\n-a -t 10.1.1.1:80 -r 10.9.9.9:80 -m -w 1\n-A -t 10.7.7.7:80 -s rr\n-a -t 10.7.7.7:80 -r 10.9.9.9:80 -m -w 1\n',
    );
    const p = plan(config([v]), actual, allDown);
    assert.deepEqual(lines(p), ['-d -t 10.1.1.1:80 -r 10.9.9.9:80']);
    assert.deepEqual(messages(p), ['Purged real server (start): 10.9.9.9:80 (10.1.1.1:80)']);
    assert.equal(p.commands[0]!.event, 'purged');
    const after = settle(actual, p);
    assert.equal(after.services.find((s) => s.address === '10.7.7.7')?.destinations.length, 1);
  });

  describe('down reals end where the original settles (no transient full-weight add)', () => {
    const quiet = { ...v, quiescent: true };
    for (const readdquiescent of [false, true]) {
      test(`quiescent=yes readdquiescent=${readdquiescent ? 'yes' : 'no'}: absent -> present at weight 0`, () => {
        const actual = tableFrom('-A -t 10.1.1.1:80 -s wrr\n');
        const p = plan(config([quiet], { readdquiescent }), actual, upIf('127.0.0.3:8080'));
        assert.deepEqual(lines(p), [
          '-a -t 10.1.1.1:80 -x 0 -y 0 -r 127.0.0.3:8080 -m -w 5',
          '-a -t 10.1.1.1:80 -r 127.0.0.2:8080 -m -w 0',
        ]);
        assert.equal(
          p.commands[1]!.message,
          'Readd Quiescent real server: 127.0.0.2:8080 (10.1.1.1:80) (Weight set to 0)',
        );
        assert.equal(p.commands[1]!.event, 'readd-quiescent');
        settle(actual, p);
      });
    }

    test('quiescent=yes: present with weight > 0 is quiesced (no -x/-y)', () => {
      const actual = tableFrom(
        '-A -t 10.1.1.1:80 -s wrr\n-a -t 10.1.1.1:80 -r 127.0.0.2:8080 -m -w 1\n',
      );
      const p = plan(config([quiet]), actual, allDown);
      assert.deepEqual(lines(p).slice(0, 1), ['-e -t 10.1.1.1:80 -r 127.0.0.2:8080 -m -w 0']);
      assert.equal(
        p.commands[0]!.message,
        'Quiescent real server: 127.0.0.2:8080 (10.1.1.1:80) (Weight set to 0)',
      );
      settle(actual, p);
    });

    test('quiescent=yes: already at weight 0 with the same forwarding is left alone', () => {
      const actual = tableFrom(
        '-A -t 10.1.1.1:80 -s wrr\n-a -t 10.1.1.1:80 -r 127.0.0.2:8080 -m -w 0\n-a -t 10.1.1.1:80 -r 127.0.0.3:8080 -m -w 0\n',
      );
      assert.deepEqual(lines(plan(config([quiet]), actual, allDown)), []);
    });

    test('quiescent=yes readdquiescent=no: the dance clears thresholds of a quiesced real', () => {
      const actual = tableFrom(
        '-A -t 10.1.1.1:80 -s wrr\n-a -t 10.1.1.1:80 -r 127.0.0.2:8080 -m -w 0 -x 9\n-a -t 10.1.1.1:80 -r 127.0.0.3:8080 -m -w 0\n',
      );
      assert.deepEqual(lines(plan(config([quiet]), actual, allDown)), [
        '-e -t 10.1.1.1:80 -r 127.0.0.2:8080 -m -w 0',
      ]);
      assert.deepEqual(lines(plan(config([quiet], { readdquiescent: true }), actual, allDown)), []);
    });

    test('quiescent=no: a quiesced real left by an earlier run is deleted', () => {
      const actual = tableFrom(
        '-A -t 10.1.1.1:80 -s wrr\n-a -t 10.1.1.1:80 -r 127.0.0.2:8080 -m -w 0\n',
      );
      const p = plan(config([v]), actual, allDown);
      assert.deepEqual(lines(p), ['-d -t 10.1.1.1:80 -r 127.0.0.2:8080']);
      assert.deepEqual(messages(p), ['Deleted real server: 127.0.0.2:8080 (10.1.1.1:80)']);
      assert.equal(p.commands[0]!.event, 'deleted');
    });
  });

  test('a real shared by two virtuals is brought down in both (FIX 17)', () => {
    const r = real('10.2.2.2', 80, 'masq');
    const a = virtual({ address: '10.1.1.1', port: 80 }, [r], { quiescent: true });
    const b = virtual({ address: '10.1.1.2', port: 80 }, [r], { quiescent: true });
    const p = plan(config([a, b]), tableFrom(''), allDown);
    assert.deepEqual(lines(p), [
      '-A -t 10.1.1.1:80 -s wrr',
      '-A -t 10.1.1.2:80 -s wrr',
      '-a -t 10.1.1.1:80 -r 10.2.2.2:80 -m -w 0',
      '-a -t 10.1.1.2:80 -r 10.2.2.2:80 -m -w 0',
    ]);
  });

  describe('the port the kernel forces on gatewaying and tunnelling reals (FIX 19)', () => {
    const gate = virtual({ address: '10.1.1.1', port: 80 }, [real('10.2.2.2', 8080, 'gate')]);

    test('absent: added in the original form; the table has it on the virtual port', () => {
      const p = plan(config([gate]), tableFrom(''), allUp);
      assert.deepEqual(lines(p)[1], '-a -t 10.1.1.1:80 -x 0 -y 0 -r 10.2.2.2:8080 -g -w 1');
      const after = settle(tableFrom(''), p);
      assert.equal(after.services[0]!.destinations[0]!.port, 80);
    });

    test('present on the virtual port: not purged, not re-added, at every start', () => {
      const actual = tableFrom(
        '-A -t 10.1.1.1:80 -s wrr\n-a -t 10.1.1.1:80 -r 10.2.2.2:80 -g -w 1\n',
      );
      assert.deepEqual(lines(plan(config([gate]), actual, allUp)), []);
    });

    test('going down it is deleted at the port the kernel has', () => {
      const actual = tableFrom(
        '-A -t 10.1.1.1:80 -s wrr\n-a -t 10.1.1.1:80 -r 10.2.2.2:80 -g -w 1\n',
      );
      const p = plan(config([gate]), actual, allDown, {
        kind: 'entries',
        reals: [{ virtual: gate, real: gate.reals[0]! }],
      });
      assert.deepEqual(lines(p), ['-d -t 10.1.1.1:80 -r 10.2.2.2:80']);
      assert.deepEqual(messages(p), ['Deleted real server: 10.2.2.2:8080 (10.1.1.1:80)']);
      settle(actual, p);
    });

    test('firewall-mark virtuals keep the real port', () => {
      const fwm = virtual({ fwmark: 5 }, [real('10.2.2.2', 8080, 'gate')]);
      const p = plan(config([fwm]), tableFrom(''), allUp);
      assert.deepEqual(lines(p), ['-A -f 5 -s wrr', '-a -f 5 -x 0 -y 0 -r 10.2.2.2:8080 -g -w 1']);
      assert.equal(settle(tableFrom(''), p).services[0]!.destinations[0]!.port, 8080);
    });
  });

  test('a Local entry (older kernels) counts as the configured method (FIX 18)', () => {
    const kernel = new IpvsKernel(undefined, { localAddresses: ['127.0.0.0/8'] });
    runIpvsadm(['-R'], {
      kernel,
      stdin: '-A -t 10.1.1.1:80 -s wrr\n-a -t 10.1.1.1:80 -r 127.0.0.2:8080 -m -w 1\n',
    });
    const actual = fromKernel(kernel.snapshot());
    assert.equal(actual.services[0]!.destinations[0]!.forward, 'local');
    const local = virtual({ address: '10.1.1.1', port: 80 }, [real('127.0.0.2', 8080, 'masq')]);
    assert.deepEqual(lines(plan(config([local]), actual, allUp)), []);
    assert.deepEqual(
      lines(
        plan(config([local]), actual, allUp, {
          kind: 'entries',
          reals: [{ virtual: local, real: local.reals[0]! }],
        }),
      ),
      [],
    );
  });

  describe('fallback', () => {
    const withFallback = virtual(
      { address: '10.1.1.1', port: 80 },
      [real('10.2.2.2', 80, 'masq'), real('10.2.2.3', 80, 'masq')],
      { fallback: fallback('127.0.0.1', 80, 'gate') },
    );

    test('in when no real is up, with weight 1 and -x 0 -y 0', () => {
      const p = plan(config([withFallback]), tableFrom(''), allDown);
      assert.deepEqual(lines(p), [
        '-A -t 10.1.1.1:80 -s wrr',
        '-a -t 10.1.1.1:80 -x 0 -y 0 -r 127.0.0.1:80 -g -w 1',
      ]);
      assert.deepEqual(
        messages(p)[1],
        'Added fallback server: 127.0.0.1:80 (10.1.1.1:80) (Weight set to 1)',
      );
      assert.deepEqual(p.commands[1]!.target, { kind: 'fallback', address: '127.0.0.1', port: 80 });
      settle(tableFrom(''), p);
    });

    test('out when a real is up; never purged as untracked while needed', () => {
      const actual = tableFrom(
        '-A -t 10.1.1.1:80 -s wrr\n-a -t 10.1.1.1:80 -r 127.0.0.1:80 -g -w 1\n',
      );
      assert.deepEqual(lines(plan(config([withFallback]), actual, allDown)), []);
      const p = plan(config([withFallback]), actual, upIf('10.2.2.3:80'));
      assert.deepEqual(lines(p), [
        '-a -t 10.1.1.1:80 -x 0 -y 0 -r 10.2.2.3:80 -m -w 1',
        '-d -t 10.1.1.1:80 -r 127.0.0.1:80',
      ]);
      assert.deepEqual(messages(p)[1], 'Deleted fallback server: 127.0.0.1:80 (10.1.1.1:80)');
      settle(actual, p);
    });

    test('a gate fallback on another port is found at the virtual port', () => {
      const other = { ...withFallback, fallback: fallback('127.0.0.1', 8080, 'gate') };
      const actual = tableFrom(
        '-A -t 10.1.1.1:80 -s wrr\n-a -t 10.1.1.1:80 -r 127.0.0.1:80 -g -w 1\n',
      );
      assert.deepEqual(lines(plan(config([other]), actual, allDown)), []);
      const p = plan(config([other]), actual, allUp);
      assert.equal(lines(p).at(-1), '-d -t 10.1.1.1:80 -r 127.0.0.1:80');
      assert.equal(messages(p).at(-1), 'Deleted fallback server: 127.0.0.1:8080 (10.1.1.1:80)');
    });

    test('a firewall-mark virtual without a usable fallback gets none (FIX 20)', () => {
      const fwm = virtual({ fwmark: 5 }, [real('10.2.2.2', 0, 'gate')], {
        fallback: { address: '', port: 0, forward: 'gate', line: 0 },
      });
      assert.deepEqual(lines(plan(config([fwm]), tableFrom(''), allDown)), ['-A -f 5 -s wrr']);
    });
  });

  describe('virtual flags in the original order', () => {
    test('udp with ops, persistence, netmask and scheduler flags', () => {
      const u = virtual({ address: '10.0.0.1', port: 53, protocol: 'udp' }, [], {
        ops: true,
        scheduler: 'sh',
        persistent: 60,
        netmask: '255.255.255.0',
        schedflags: 'sh-port,sh-fallback',
      });
      const p = plan(config([u]), tableFrom(''), allDown);
      assert.deepEqual(lines(p), [
        '-A -u 10.0.0.1:53 -o -s sh -p 60 -M 255.255.255.0 -b sh-port,sh-fallback',
      ]);
      const after = settle(tableFrom(''), p);
      assert.deepEqual(lines(plan(config([u]), after, allDown)), [], 'settled');
    });

    test('tcp ignores ops; a netmask without persistence is not sent', () => {
      const t = virtual({ address: '10.0.0.1', port: 80 }, [], { ops: true, netmask: '255.0.0.0' });
      assert.deepEqual(lines(plan(config([t]), tableFrom(''), allDown)), [
        '-A -t 10.0.0.1:80 -s wrr',
      ]);
    });

    test('IPv6 virtual and reals are bracketed; IPv6 persistence takes a prefix length', () => {
      const six = virtual({ address: '2001:db8::1', port: 80 }, [real('2001:db8::2', 80, 'masq')], {
        persistent: 100,
        netmask: '64',
      });
      const p = plan(config([six]), tableFrom(''), allUp);
      assert.deepEqual(lines(p), [
        '-A -t [2001:db8::1]:80 -s wrr -p 100 -M 64',
        '-a -t [2001:db8::1]:80 -x 0 -y 0 -r [2001:db8::2]:80 -m -w 1',
      ]);
      assert.equal(
        messages(p)[1],
        'Added real server: [2001:db8::2]:80 ([2001:db8::1]:80) (Weight set to 1)',
      );
      assert.equal(p.commands[0]!.virtualId, 'tcp:[2001:db8::1]:80');
      const after = settle(tableFrom(''), p);
      assert.deepEqual(lines(plan(config([six]), after, allUp)), []);
    });

    test('IPv6 firewall mark', () => {
      const fwm6 = virtual({ fwmark: 8, family: 6 }, [real('2001:db8::2', 0, 'gate')]);
      const p = plan(config([fwm6]), tableFrom(''), allUp);
      assert.deepEqual(lines(p), [
        '-A -f 8 -6 -s wrr',
        '-a -f 8 -6 -x 0 -y 0 -r [2001:db8::2]:0 -g -w 1',
      ]);
      assert.equal(p.commands[0]!.virtualId, 'fwm6:8');
      assert.equal(messages(p)[1], 'Added real server: [2001:db8::2]:0 (8) (Weight set to 1)');
      settle(tableFrom(''), p);
    });
  });

  test('thresholds: -x upper -y lower; a lower one without an upper one is sent as 0', () => {
    const t = virtual({ address: '10.0.0.1', port: 80 }, [
      real('10.0.0.2', 80, 'masq', 3, { upperThreshold: 100, lowerThreshold: 50 }),
      real('10.0.0.3', 80, 'masq', 3, { lowerThreshold: 5 }),
    ]);
    const p = plan(config([t]), tableFrom(''), allUp);
    assert.deepEqual(lines(p).slice(1), [
      '-a -t 10.0.0.1:80 -x 100 -y 50 -r 10.0.0.2:80 -m -w 3',
      '-a -t 10.0.0.1:80 -x 0 -y 0 -r 10.0.0.3:80 -m -w 3',
    ]);
    const after = settle(tableFrom(''), p);
    assert.deepEqual(lines(plan(config([t]), after, allUp)), []);
  });

  test('start is idempotent: planning again from the settled table gives nothing', () => {
    const cfg = config([
      virtual(
        { address: '10.1.1.1', port: 80 },
        [real('10.2.2.2', 80), real('10.2.2.3', 8080, 'gate')],
        {
          quiescent: true,
          fallback: fallback('127.0.0.1', 80),
        },
      ),
      virtual({ fwmark: 3 }, [real('10.3.3.3', 0, 'gate')], { fallback: fallback('127.0.0.1', 0) }),
    ]);
    const isUp = upIf('10.2.2.3:8080');
    const first = plan(cfg, tableFrom(''), isUp);
    const settled = settle(tableFrom(''), first);
    assert.deepEqual(lines(plan(cfg, settled, isUp)), []);
  });
});

describe('reload', () => {
  const kept = virtual({ address: '10.1.1.1', port: 80 }, [real('10.2.2.2', 80)]);
  const gone = virtual({ address: '10.1.1.2', port: 80 }, [real('10.2.2.2', 80)], {
    cleanstop: false,
  });
  const actual = tableFrom(
    '-A -t 10.1.1.1:80 -s wrr\n-a -t 10.1.1.1:80 -r 10.2.2.2:80 -m -w 1\n-a -t 10.1.1.1:80 -r 10.2.2.9:80 -m -w 1\n-A -t 10.1.1.2:80 -s wrr\n-A -t 10.1.1.3:80 -s wrr\n',
  );

  test('virtuals that left the config are removed even with cleanstop=no (item 32)', () => {
    const p = plan(config([kept]), actual, allUp, {
      kind: 'reload',
      previous: config([kept, gone]),
    });
    assert.deepEqual(lines(p), ['-d -t 10.1.1.1:80 -r 10.2.2.9:80', '-D -t 10.1.1.2:80']);
    assert.deepEqual(messages(p), [
      'Purged real server (start): 10.2.2.9:80 (10.1.1.1:80)',
      'Purged virtual server (start): 10.1.1.2:80',
    ]);
    assert.equal(p.commands[1]!.event, 'virtual-purged');
    const after = settle(actual, p);
    assert.ok(
      after.services.some((s) => s.address === '10.1.1.3'),
      'never ours: untouched',
    );
  });

  test('changed settings of a kept virtual and its reals are applied', () => {
    const changed = {
      ...kept,
      scheduler: 'rr',
      reals: [real('10.2.2.2', 80, 'masq', 4), real('10.2.2.9', 80, 'masq', 1)],
    };
    const p = plan(config([changed]), actual, allUp, { kind: 'reload', previous: config([kept]) });
    assert.deepEqual(lines(p), [
      '-E -t 10.1.1.1:80 -s rr',
      '-e -t 10.1.1.1:80 -x 0 -y 0 -r 10.2.2.2:80 -m -w 4',
    ]);
    settle(actual, p);
  });
});

describe('entries (transitions and retries)', () => {
  const a = real('10.2.2.2', 80);
  const b = real('10.2.2.3', 80);
  const v = virtual({ address: '10.1.1.1', port: 80 }, [a, b], {
    fallback: fallback('127.0.0.1', 80),
  });
  const entries = (...reals: RealServer[]): PlanScope => ({
    kind: 'entries',
    reals: reals.map((real) => ({ virtual: v, real })),
  });
  const base = '-A -t 10.1.1.1:80 -s wrr\n';

  test('up and absent: added, then the fallback goes', () => {
    const actual = tableFrom(`${base}-a -t 10.1.1.1:80 -r 127.0.0.1:80 -g -w 1\n`);
    const p = plan(config([v]), actual, upIf('10.2.2.2:80'), entries(a));
    assert.deepEqual(lines(p), [
      '-a -t 10.1.1.1:80 -x 0 -y 0 -r 10.2.2.2:80 -m -w 1',
      '-d -t 10.1.1.1:80 -r 127.0.0.1:80',
    ]);
    settle(actual, p);
  });

  test('up and present with the same settings: nothing (an idle tick)', () => {
    const actual = tableFrom(`${base}-a -t 10.1.1.1:80 -r 10.2.2.2:80 -m -w 1\n`);
    assert.deepEqual(lines(plan(config([v]), actual, upIf('10.2.2.2:80'), entries(a))), []);
    assert.deepEqual(lines(plan(config([v]), actual, upIf('10.2.2.2:80'), entries())), []);
  });

  test('up and quiesced: restored with -e', () => {
    const actual = tableFrom(`${base}-a -t 10.1.1.1:80 -r 10.2.2.2:80 -m -w 0\n`);
    const p = plan(config([v]), actual, upIf('10.2.2.2:80'), entries(a));
    assert.deepEqual(lines(p), ['-e -t 10.1.1.1:80 -x 0 -y 0 -r 10.2.2.2:80 -m -w 1']);
  });

  test('the last real down: deleted, then the fallback comes in', () => {
    const actual = tableFrom(`${base}-a -t 10.1.1.1:80 -r 10.2.2.2:80 -m -w 1\n`);
    const p = plan(config([v]), actual, allDown, entries(a));
    assert.deepEqual(lines(p), [
      '-d -t 10.1.1.1:80 -r 10.2.2.2:80',
      '-a -t 10.1.1.1:80 -x 0 -y 0 -r 127.0.0.1:80 -g -w 1',
    ]);
    settle(actual, p);
  });

  test('down and absent, quiescent=no: nothing', () => {
    const actual = tableFrom(`${base}-a -t 10.1.1.1:80 -r 10.2.2.3:80 -m -w 1\n`);
    assert.deepEqual(lines(plan(config([v]), actual, upIf('10.2.2.3:80'), entries(a))), []);
  });

  describe('quiescent matrix', () => {
    const q = { ...v, quiescent: true, fallback: undefined };
    const qe = (r: RealServer): PlanScope => ({
      kind: 'entries',
      reals: [{ virtual: q, real: r }],
    });
    const cases: Array<[string, string, boolean, string[]]> = [
      [
        'present at weight 1',
        '-a -t 10.1.1.1:80 -r 10.2.2.2:80 -m -w 1\n',
        false,
        ['-e -t 10.1.1.1:80 -r 10.2.2.2:80 -m -w 0'],
      ],
      [
        'present at weight 1 (readdquiescent)',
        '-a -t 10.1.1.1:80 -r 10.2.2.2:80 -m -w 1\n',
        true,
        ['-e -t 10.1.1.1:80 -r 10.2.2.2:80 -m -w 0'],
      ],
      ['present at weight 0', '-a -t 10.1.1.1:80 -r 10.2.2.2:80 -m -w 0\n', false, []],
      [
        'present at weight 0 but routed',
        '-a -t 10.1.1.1:80 -r 10.2.2.2:80 -g -w 0\n',
        false,
        ['-e -t 10.1.1.1:80 -r 10.2.2.2:80 -m -w 0'],
      ],
      ['absent, readdquiescent=no', '', false, []],
      ['absent, readdquiescent=yes', '', true, ['-a -t 10.1.1.1:80 -r 10.2.2.2:80 -m -w 0']],
    ];
    for (const [name, dests, readdquiescent, want] of cases) {
      test(name, () => {
        const actual = tableFrom(base + dests);
        const p = plan(config([q], { readdquiescent }), actual, allDown, qe(a));
        assert.deepEqual(lines(p), want);
        settle(actual, p);
      });
    }
  });

  test('touches nothing but the given reals and their fallback', () => {
    const actual = tableFrom(
      `${base}-a -t 10.1.1.1:80 -r 10.2.2.3:80 -m -w 9\n-a -t 10.1.1.1:80 -r 10.9.9.9:80 -m -w 1\n-A -t 10.1.1.5:80 -s rr\n`,
    );
    const p = plan(config([v]), actual, upIf('10.2.2.2:80', '10.2.2.3:80'), entries(a));
    assert.deepEqual(lines(p), ['-a -t 10.1.1.1:80 -x 0 -y 0 -r 10.2.2.2:80 -m -w 1']);
  });

  test('a real given as a copy (not the config object) is still found', () => {
    const actual = tableFrom(base);
    const p = plan(config([v]), actual, upIf('10.2.2.2:80'), {
      kind: 'entries',
      reals: [{ virtual: v, real: { ...a } }],
    });
    assert.deepEqual(lines(p), ['-a -t 10.1.1.1:80 -x 0 -y 0 -r 10.2.2.2:80 -m -w 1']);
  });

  test('a retry after a failed add plans the add again', () => {
    const actual = tableFrom(base);
    const p = plan(config([v]), actual, upIf('10.2.2.2:80'), entries(a));
    assert.deepEqual(lines(p), ['-a -t 10.1.1.1:80 -x 0 -y 0 -r 10.2.2.2:80 -m -w 1']);
    assert.deepEqual(lines(plan(config([v]), actual, upIf('10.2.2.2:80'), entries(a))), lines(p));
  });

  test('a virtual missing from the kernel: the add is planned and expected (it will fail)', () => {
    const p = plan(config([v]), tableFrom(''), upIf('10.2.2.2:80'), entries(a));
    assert.deepEqual(lines(p), ['-a -t 10.1.1.1:80 -x 0 -y 0 -r 10.2.2.2:80 -m -w 1']);
    assert.equal(p.expected.services[0]?.destinations[0]?.address, '10.2.2.2');
  });
});

describe('stop', () => {
  const up = real('10.2.2.2', 8080, 'gate');
  const down = real('10.2.2.3', 80);
  const clean = virtual({ address: '10.1.1.1', port: 80 }, [up, down], {
    quiescent: true,
    fallback: fallback('127.0.0.1', 80),
  });
  const dirty = virtual({ address: '10.1.1.2', port: 80 }, [real('10.2.2.4', 80)], {
    cleanstop: false,
  });
  const actual = tableFrom(
    '-A -t 10.1.1.1:80 -s wrr\n-a -t 10.1.1.1:80 -r 10.2.2.2:80 -g -w 1\n-a -t 10.1.1.1:80 -r 10.2.2.3:80 -m -w 0\n-A -t 10.1.1.2:80 -s wrr\n-a -t 10.1.1.2:80 -r 10.2.2.4:80 -m -w 1\n',
  );

  test('cleanstop=yes purges the reals that are up (at the kernel port), then the virtual', () => {
    const p = plan(config([clean, dirty]), actual, upIf('10.2.2.2:8080', '10.2.2.4:80'), {
      kind: 'stop',
    });
    assert.deepEqual(lines(p), ['-d -t 10.1.1.1:80 -r 10.2.2.2:80', '-D -t 10.1.1.1:80']);
    assert.deepEqual(messages(p), [
      'Purged real server (stop): 10.2.2.2:8080 (10.1.1.1:80)',
      'Purged virtual server (stop): 10.1.1.1:80',
    ]);
    assert.deepEqual(
      p.commands.map((c) => c.event),
      ['purged', 'virtual-purged'],
    );
    const after = settle(actual, p);
    assert.deepEqual(
      after.services.map((s) => s.address),
      ['10.1.1.2'],
    );
  });

  test('a virtual already gone is not purged again', () => {
    assert.deepEqual(lines(plan(config([clean]), tableFrom(''), allUp, { kind: 'stop' })), []);
  });
});
