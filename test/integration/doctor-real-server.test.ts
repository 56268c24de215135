// `ldirectord-ts doctor --real-server` against real network namespaces: a DR real server set up
// right reports nothing; set up wrong in each way in turn, doctor names the fault, and after its
// own fix commands (or --fix itself) it reports clean again. The persistent forms printed by
// --fix --dry-run (the sysctl.d file, the systemd unit's commands) are applied too, and must make
// the host right. A NAT real server's default route is checked against --director.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { doctorJson, doctorText, listFindings, runFixes } from '../support/doctor-run.ts';
import { Netns } from '../support/netns.ts';

const root = process.getuid?.() === 0;
const VIP = '10.77.0.100';
const VIP6 = '2001:db8:77::100';

describe(
  'doctor --real-server (DR) in a network namespace',
  { skip: !root && 'needs root (ip netns)' },
  () => {
    let rs: Netns;
    let director: Netns;
    const args = ['--real-server', `${VIP},${VIP6}`];

    /** The right DR setup: VIPs on lo with host masks, arp_ignore=1, arp_announce=2. */
    async function setRight(): Promise<void> {
      await rs.exec(['ip', 'addr', 'flush', 'dev', 'lo']);
      await rs.exec(['ip', 'addr', 'flush', 'dev', 'rs0']);
      await rs.ip('link', 'set', 'lo', 'up');
      await rs.ip('addr', 'add', '10.77.0.2/24', 'dev', 'rs0');
      await rs.ip('addr', 'add', `${VIP}/32`, 'dev', 'lo');
      await rs.ip('-6', 'addr', 'add', `${VIP6}/128`, 'dev', 'lo');
      for (const dev of ['all', 'rs0']) {
        await rs.sysctl(`net.ipv4.conf.${dev}.arp_ignore`, 1);
        await rs.sysctl(`net.ipv4.conf.${dev}.arp_announce`, 2);
      }
    }

    before(async () => {
      rs = await Netns.create('rs');
      director = await Netns.create('dir');
      await rs.veth('rs0', director, 'dr0');
      await rs.ip('link', 'set', 'rs0', 'up');
      await director.ip('addr', 'add', '10.77.0.1/24', 'dev', 'dr0');
      await director.ip('link', 'set', 'dr0', 'up');
    });
    after(async () => {
      await rs?.remove();
      await director?.remove();
    });

    test('set up right: exit 0, nothing found', async () => {
      await setRight();
      const r = await doctorJson(rs, args);
      assert.equal(r.code, 0, listFindings(r.report));
      assert.deepEqual(r.report.findings, []);
      assert.match(r.report.context.join('\n'), /device facing the director: rs0/);
    });

    // Each fault: how to make it, what doctor must find (id and subject).
    const faults: Array<{
      name: string;
      make: () => Promise<void>;
      expect: Array<[string, string]>;
    }> = [
      {
        name: 'the VIP missing',
        make: () => rs.ip('addr', 'del', `${VIP}/32`, 'dev', 'lo'),
        expect: [['vip-missing', VIP]],
      },
      {
        name: 'the VIP on lo with a /24 mask',
        make: async () => {
          await rs.ip('addr', 'del', `${VIP}/32`, 'dev', 'lo');
          await rs.ip('addr', 'add', `${VIP}/24`, 'dev', 'lo');
        },
        expect: [['vip-mask', `${VIP} on lo`]],
      },
      {
        name: 'the IPv6 VIP on lo with a /64 mask',
        make: async () => {
          await rs.ip('-6', 'addr', 'del', `${VIP6}/128`, 'dev', 'lo');
          await rs.ip('-6', 'addr', 'add', `${VIP6}/64`, 'dev', 'lo');
        },
        expect: [['vip-mask', `${VIP6} on lo`]],
      },
      {
        name: 'the VIP on the device facing the director, which answers ARP',
        make: async () => {
          await rs.ip('addr', 'del', `${VIP}/32`, 'dev', 'lo');
          await rs.ip('addr', 'add', `${VIP}/24`, 'dev', 'rs0');
        },
        expect: [['vip-on-arp-interface', `${VIP} on rs0`]],
      },
      {
        name: 'lo down',
        make: () => rs.ip('link', 'set', 'lo', 'down'),
        expect: [
          ['link-down', 'lo'],
          // Taking lo down drops its IPv6 addresses (keep_addr_on_down=0).
          ['vip-missing', VIP6],
        ],
      },
      {
        name: 'arp_ignore 0 on all and rs0',
        make: async () => {
          await rs.sysctl('net.ipv4.conf.all.arp_ignore', 0);
          await rs.sysctl('net.ipv4.conf.rs0.arp_ignore', 0);
        },
        expect: [
          ['arp-ignore', 'net.ipv4.conf.all.arp_ignore'],
          ['arp-ignore', 'net.ipv4.conf.rs0.arp_ignore'],
        ],
      },
      {
        name: 'arp_ignore 0 on rs0 only (all still 1: a warning)',
        make: () => rs.sysctl('net.ipv4.conf.rs0.arp_ignore', 0),
        expect: [['arp-ignore', 'net.ipv4.conf.rs0.arp_ignore']],
      },
      {
        name: 'arp_announce 0 on all and 1 on rs0',
        make: async () => {
          await rs.sysctl('net.ipv4.conf.all.arp_announce', 0);
          await rs.sysctl('net.ipv4.conf.rs0.arp_announce', 1);
        },
        expect: [
          ['arp-announce', 'net.ipv4.conf.all.arp_announce'],
          ['arp-announce', 'net.ipv4.conf.rs0.arp_announce'],
        ],
      },
    ];

    for (const [i, fault] of faults.entries()) {
      // Half the faults are fixed with the commands doctor prints, half with --fix itself.
      const how = i % 2 === 0 ? 'its printed commands' : '--fix';
      test(`${fault.name}: found, and gone after ${how}`, async () => {
        await setRight();
        await fault.make();
        const found = await doctorJson(rs, args);
        assert.equal(found.code, 1);
        assert.deepEqual(
          found.report.findings.map((f) => [f.id, f.subject]).sort(),
          [...fault.expect].sort(),
          listFindings(found.report),
        );
        for (const f of found.report.findings) {
          assert.ok(f.fix.length > 0, `${f.id} has a fix command`);
          assert.ok(f.why.length > 0);
        }
        if (how === '--fix') {
          const fixed = await doctorJson(rs, [...args, '--fix']);
          assert.ok(
            (fixed.report.applied ?? []).every((a) => a.code === 0),
            JSON.stringify(fixed.report.applied),
          );
          assert.equal(fixed.code, 0, listFindings(fixed.report));
        } else {
          const dry = await doctorJson(rs, [...args, '--fix', '--dry-run']);
          assert.equal(dry.report.applied, undefined, 'a dry run runs nothing');
          const again = await doctorJson(rs, args);
          assert.equal(again.code, 1, 'still wrong after the dry run');
          for (const command of dry.report.fixes!.commands) {
            const r = await rs.exec(command);
            assert.equal(r.code, 0, `${command.join(' ')}: ${r.stderr}`);
          }
        }
        const clean = await doctorJson(rs, args);
        assert.equal(clean.code, 0, listFindings(clean.report));
      });
    }

    test('--interface naming no device: found; the right one: gone', async () => {
      await setRight();
      const found = await doctorJson(rs, [...args, '--interface', 'nosuch0']);
      assert.equal(found.code, 1);
      assert.deepEqual(
        found.report.findings.map((f) => [f.id, f.subject]),
        [['facing-device-missing', 'nosuch0']],
      );
      const clean = await doctorJson(rs, [...args, '--interface', 'rs0']);
      assert.equal(clean.code, 0, listFindings(clean.report));
    });

    test('no route tells the device facing the director: a note; --director tells it', async () => {
      await setRight();
      // A VIP outside every connected prefix, and no default route.
      const far = '10.99.0.100';
      await rs.ip('addr', 'add', `${far}/32`, 'dev', 'lo');
      try {
        const unknown = await doctorJson(rs, ['--real-server', far]);
        assert.deepEqual(
          unknown.report.findings.map((f) => [f.id, f.severity]),
          [['facing-device-unknown', 'info']],
        );
        assert.equal(unknown.code, 0);
        const known = await doctorJson(rs, ['--real-server', far, '--director', '10.77.0.1']);
        assert.deepEqual(known.report.findings, []);
        assert.match(known.report.context.join('\n'), /device facing the director: rs0/);
      } finally {
        await rs.ip('addr', 'del', `${far}/32`, 'dev', 'lo');
      }
    });

    test('everything wrong at once: the persistent forms alone make it right', async () => {
      await setRight();
      await rs.exec(['ip', 'addr', 'flush', 'dev', 'lo']);
      await rs.ip('link', 'set', 'lo', 'down');
      for (const dev of ['all', 'rs0']) {
        await rs.sysctl(`net.ipv4.conf.${dev}.arp_ignore`, 0);
        await rs.sysctl(`net.ipv4.conf.${dev}.arp_announce`, 0);
      }
      const dry = await doctorJson(rs, [...args, '--fix', '--dry-run']);
      assert.equal(dry.code, 1);
      const files = dry.report.fixes!.persistent;
      const sysctlFile = files.find((f) => f.kind === 'sysctl.d');
      const unit = files.find((f) => f.kind === 'systemd');
      const stanza = files.find((f) => f.kind === 'ifupdown' && f.device === 'lo');
      assert.ok(sysctlFile && unit && stanza, JSON.stringify(files));
      assert.equal(sysctlFile.file, '/etc/sysctl.d/90-lvs-real-server.conf');
      assert.match(stanza.text, /^iface lo inet loopback$/m);
      assert.match(unit.text, /^Type=oneshot$/m);

      const dir = mkdtempSync(join(tmpdir(), 'doctor-persist-'));
      try {
        const path = join(dir, 'lvs.conf');
        writeFileSync(path, sysctlFile.text);
        const loaded = await rs.exec(['sysctl', '-q', '-p', path]);
        assert.equal(loaded.code, 0, loaded.stderr);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
      // What systemd would run at boot: the unit's ExecStart= lines, in order.
      const execStarts = [...unit.text.matchAll(/^ExecStart=(.*)$/gm)].map((m) => m[1]!.split(' '));
      assert.ok(execStarts.some((c) => c.join(' ') === `ip addr replace ${VIP}/32 dev lo`));
      for (const command of execStarts) {
        const r = await rs.exec(command);
        assert.equal(r.code, 0, `${command.join(' ')}: ${r.stderr}`);
      }
      const clean = await doctorJson(rs, args);
      assert.equal(clean.code, 0, listFindings(clean.report));
    });

    test('text output names each fault, its fix and the files that keep it', async () => {
      await setRight();
      await rs.sysctl('net.ipv4.conf.all.arp_announce', 0);
      const r = await doctorText(rs, [...args, '--fix', '--dry-run']);
      assert.equal(r.code, 1);
      assert.match(r.stdout, /^WARNING \[arp-announce\] net\.ipv4\.conf\.all\.arp_announce$/m);
      assert.match(r.stdout, /^ {2}fix: sysctl -w net\.ipv4\.conf\.all\.arp_announce=2$/m);
      assert.match(r.stdout, /^ {2}\/etc\/sysctl\.d\/90-lvs-real-server\.conf:$/m);
      assert.match(r.stdout, /^ {4}net\.ipv4\.conf\.all\.arp_announce = 2$/m);
      assert.match(r.stdout, /^1 problem \(0 errors, 1 warning\)$/m);
    });
  },
);

describe(
  'doctor --real-server --method nat in a network namespace',
  { skip: !root && 'needs root (ip netns)' },
  () => {
    let rs: Netns;
    let director: Netns;
    const args = ['--real-server', VIP, '--method', 'nat', '--director', '10.77.1.1'];

    before(async () => {
      rs = await Netns.create('nat');
      director = await Netns.create('natdir');
      await rs.veth('rs0', director, 'dr0');
      await rs.ip('addr', 'add', '10.77.1.2/24', 'dev', 'rs0');
      await rs.ip('link', 'set', 'rs0', 'up');
      await director.ip('addr', 'add', '10.77.1.1/24', 'dev', 'dr0');
      await director.ip('link', 'set', 'dr0', 'up');
    });
    after(async () => {
      await rs?.remove();
      await director?.remove();
    });

    test('no default route: found; --fix routes through the director', async () => {
      const found = await doctorJson(rs, args);
      assert.deepEqual(
        found.report.findings.map((f) => f.id),
        ['nat-no-default-route'],
      );
      assert.deepEqual(found.report.findings[0]!.fix, [
        ['ip', 'route', 'replace', 'default', 'via', '10.77.1.1'],
      ]);
      const fixed = await doctorJson(rs, [...args, '--fix']);
      assert.equal(fixed.code, 0, listFindings(fixed.report));
    });

    test('default route through another gateway: found, and gone after its command', async () => {
      await rs.ip('route', 'replace', 'default', 'via', '10.77.1.254');
      const found = await doctorJson(rs, args);
      assert.deepEqual(
        found.report.findings.map((f) => f.id),
        ['nat-default-route'],
      );
      assert.match(
        found.report.findings[0]!.what,
        /via 10\.77\.1\.254, not the director 10\.77\.1\.1/,
      );
      await runFixes(rs, found.report.findings);
      const clean = await doctorJson(rs, args);
      assert.equal(clean.code, 0, listFindings(clean.report));
    });

    test('without --director it says it cannot tell, and that is not a fault', async () => {
      const r = await doctorJson(rs, ['--real-server', VIP, '--method', 'nat']);
      assert.equal(r.code, 0);
      assert.deepEqual(
        r.report.findings.map((f) => [f.id, f.severity]),
        [['nat-director-unknown', 'info']],
      );
    });
  },
);
