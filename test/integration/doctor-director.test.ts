// `ldirectord-ts doctor <config>` on a director in a network namespace of its own: forwarding
// for NAT reals (IPv4 and IPv6), the VIPs (on the host, named by haresources or neither),
// rp_filter against the route back to clients, the log file, the pid file, the config itself,
// ipvsadm, and the package state. Each finding appears when the test makes the fault and goes
// away after the finding's own commands. This kernel has no IPVS: ip-vs-missing shows here;
// the IPVS checks themselves run in test/system/doctor-real-kernel.test.ts.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, beforeEach, describe, test } from 'node:test';
import { doctorJson, findingsOf, listFindings, runFixes } from '../support/doctor-run.ts';
import { Netns } from '../support/netns.ts';

const root = process.getuid?.() === 0;
const VIP = '10.78.0.100';
const VIP6 = '2001:db8:78::100';

describe(
  'doctor on a director in a network namespace',
  { skip: !root && 'needs root (ip netns)' },
  () => {
    let director: Netns;
    let peers: Netns;
    let dir: string;
    let haDir: string;
    let cf: string;

    const configText = (extra = '') => `logfile="${dir}/log/ldirectord.log"
virtual=${VIP}:80
	real=10.78.1.2:80 masq
	checktype=on
${extra}
virtual6=[${VIP6}]:80
	real6=[2001:db8:78:1::2]:80 masq
	checktype=on
`;
    const args = () => [cf, '--ha-dir', haDir, '--pid-dir', dir];
    const check = () => doctorJson(director, args());

    before(async () => {
      dir = mkdtempSync(join(tmpdir(), 'doctor-director-'));
      haDir = join(dir, 'ha.d');
      mkdirSync(haDir);
      cf = join(dir, 'director.cf');
      director = await Netns.create('lvs');
      peers = await Netns.create('peers');
      await director.veth('dA', peers, 'clients');
      await director.veth('dB', peers, 'reals');
      await director.ip('link', 'set', 'lo', 'up');
      for (const [dev, v4, v6] of [
        ['dA', '10.78.0.1/24', '2001:db8:78::1/64'],
        ['dB', '10.78.1.1/24', '2001:db8:78:1::1/64'],
      ] as const) {
        await director.ip('addr', 'add', v4, 'dev', dev);
        await director.ip('-6', 'addr', 'add', v6, 'dev', dev, 'nodad');
        await director.ip('link', 'set', dev, 'up');
      }
    });
    after(async () => {
      await director?.remove();
      await peers?.remove();
      if (dir) rmSync(dir, { recursive: true, force: true });
    });

    /** Right except for what this kernel cannot have (IPVS) and the daemon, which is not run here. */
    beforeEach(async () => {
      writeFileSync(cf, configText());
      mkdirSync(join(dir, 'log'), { recursive: true });
      rmSync(join(haDir, 'haresources'), { force: true });
      rmSync(join(dir, 'ldirectord.director.cf.pid'), { force: true });
      await director.sysctl('net.ipv4.ip_forward', 1);
      await director.sysctl('net.ipv6.conf.all.forwarding', 1);
      await director.exec(['ip', 'addr', 'del', `${VIP}/32`, 'dev', 'dA']);
      await director.exec(['ip', 'addr', 'del', `${VIP6}/128`, 'dev', 'dA']);
      await director.ip('addr', 'add', `${VIP}/32`, 'dev', 'dA');
      await director.ip('-6', 'addr', 'add', `${VIP6}/128`, 'dev', 'dA', 'nodad');
      await director.exec(['ip', 'route', 'del', 'default']);
      for (const dev of ['all', 'dA', 'dB'])
        await director.sysctl(`net.ipv4.conf.${dev}.rp_filter`, 0);
    });

    test('what this host cannot fix: no IPVS in the kernel, no daemon; not installed as a package', async () => {
      const r = await check();
      assert.equal(r.code, 1);
      assert.deepEqual(
        r.report.findings.map((f) => [f.id, f.severity]),
        [
          ['ip-vs-missing', 'error'],
          ['daemon-not-running', 'warning'],
          ['not-packaged', 'info'],
        ],
        listFindings(r.report),
      );
      const ipvs = findingsOf(r.report, 'ip-vs-missing')[0]!;
      assert.deepEqual(ipvs.fix, [], 'no modprobe where the module is not installed');
      assert.match(ipvs.advice ?? '', /CONFIG_IP_VS/);
      const daemon = findingsOf(r.report, 'daemon-not-running')[0]!;
      assert.deepEqual(daemon.fix, [['ldirectord-ts', '--pid-dir', dir, cf, 'start']]);
    });

    /** Only these findings changed from the baseline above. */
    const baseline = ['ip-vs-missing', 'daemon-not-running', 'not-packaged'];
    const beyondBaseline = (r: Awaited<ReturnType<typeof check>>) =>
      r.report.findings.filter((f) => !baseline.includes(f.id)).map((f) => [f.id, f.subject]);

    test('forwarding off with NAT reals: found for each family; gone after its commands', async () => {
      await director.sysctl('net.ipv4.ip_forward', 0);
      await director.sysctl('net.ipv6.conf.all.forwarding', 0);
      const found = await check();
      assert.deepEqual(beyondBaseline(found), [
        ['ip-forward', 'net.ipv4.ip_forward'],
        ['ipv6-forwarding', 'net.ipv6.conf.all.forwarding'],
      ]);
      assert.deepEqual(findingsOf(found.report, 'ip-forward')[0]!.persistent, [
        {
          kind: 'sysctl.d',
          file: '/etc/sysctl.d/90-ldirectord-ts.conf',
          lines: ['net.ipv4.ip_forward = 1'],
        },
      ]);
      await runFixes(director, [
        ...findingsOf(found.report, 'ip-forward'),
        ...findingsOf(found.report, 'ipv6-forwarding'),
      ]);
      assert.deepEqual(beyondBaseline(await check()), []);
    });

    test('forwarding off without NAT reals: nothing to say', async () => {
      writeFileSync(cf, configText().replaceAll(' masq', ' gate'));
      await director.sysctl('net.ipv4.ip_forward', 0);
      await director.sysctl('net.ipv6.conf.all.forwarding', 0);
      assert.deepEqual(beyondBaseline(await check()), []);
    });

    test('the VIPs not on the host, no cluster manager: errors; gone after their commands', async () => {
      await director.ip('addr', 'del', `${VIP}/32`, 'dev', 'dA');
      await director.ip('-6', 'addr', 'del', `${VIP6}/128`, 'dev', 'dA');
      const found = await check();
      const missing = findingsOf(found.report, 'vip-missing');
      assert.deepEqual(
        missing.map((f) => [f.subject, f.severity]),
        [
          [VIP, 'error'],
          [VIP6, 'error'],
        ],
      );
      assert.deepEqual(missing[0]!.fix, [['ip', 'addr', 'add', `${VIP}/32`, 'dev', 'dA']]);
      await runFixes(director, missing);
      assert.deepEqual(beyondBaseline(await check()), []);
    });

    test('a VIP that haresources brings up is a note; haresources without it: cannot tell', async () => {
      await director.ip('addr', 'del', `${VIP}/32`, 'dev', 'dA');
      writeFileSync(
        join(haDir, 'haresources'),
        `# the cluster\nnode1 IPaddr::${VIP}/24/dA \\\n  ldirectord::other.cf\n`,
      );
      const managed = await check();
      assert.deepEqual(
        findingsOf(managed.report, 'vip-managed').map((f) => [f.subject, f.severity]),
        [[VIP, 'info']],
      );
      assert.deepEqual(findingsOf(managed.report, 'vip-missing'), []);
      // heartbeat starts ldirectord: no daemon here is as it should be on a standby node.
      assert.deepEqual(findingsOf(managed.report, 'daemon-not-running'), []);
      assert.equal(findingsOf(managed.report, 'daemon-managed')[0]?.severity, 'info');

      writeFileSync(join(haDir, 'haresources'), 'node1 IPaddr::10.78.0.200/24/dA\n');
      const unknown = await check();
      assert.deepEqual(
        findingsOf(unknown.report, 'vip-missing').map((f) => [f.subject, f.severity]),
        [[VIP, 'warning']],
      );
      assert.match(findingsOf(unknown.report, 'vip-missing')[0]!.what, /cannot tell/);
      await runFixes(director, findingsOf(unknown.report, 'vip-missing'));
      assert.deepEqual(findingsOf((await check()).report, 'vip-missing'), []);
    });

    test('strict rp_filter where clients arrive on one device and the route back leaves by another', async () => {
      await director.ip('route', 'add', 'default', 'via', '10.78.1.254');
      await director.sysctl('net.ipv4.conf.all.rp_filter', 1);
      await director.sysctl('net.ipv4.conf.dA.rp_filter', 1);
      const found = await check();
      assert.deepEqual(beyondBaseline(found), [
        ['rp-filter', 'net.ipv4.conf.all.rp_filter'],
        ['rp-filter', 'net.ipv4.conf.dA.rp_filter'],
      ]);
      await runFixes(director, findingsOf(found.report, 'rp-filter'));
      assert.deepEqual(beyondBaseline(await check()), []);
      // Loose mode (2) is what the fix sets, and it stays quiet.
      const r = await director.exec(['sysctl', '-n', 'net.ipv4.conf.all.rp_filter']);
      assert.equal(r.stdout.trim(), '2');
    });

    test('strict rp_filter with the route back on the same device: nothing to say', async () => {
      await director.ip('route', 'add', 'default', 'via', '10.78.0.254');
      await director.sysctl('net.ipv4.conf.all.rp_filter', 1);
      assert.deepEqual(beyondBaseline(await check()), []);
    });

    test("the log file's directory missing: found; gone after mkdir", async () => {
      rmSync(join(dir, 'log'), { recursive: true, force: true });
      const found = await check();
      assert.deepEqual(beyondBaseline(found), [
        ['logfile-not-writable', `${dir}/log/ldirectord.log`],
      ]);
      assert.deepEqual(findingsOf(found.report, 'logfile-not-writable')[0]!.fix, [
        ['mkdir', '-p', `${dir}/log`],
      ]);
      await runFixes(director, findingsOf(found.report, 'logfile-not-writable'));
      assert.deepEqual(beyondBaseline(await check()), []);
    });

    test('a pid file naming a dead process: found; gone after its rm', async () => {
      const child = spawn('true');
      const pid = child.pid!;
      await new Promise((resolve) => child.on('exit', resolve));
      writeFileSync(join(dir, 'ldirectord.director.cf.pid'), `${pid}\n`);
      const found = await check();
      const stale = findingsOf(found.report, 'stale-pid-file');
      assert.equal(stale.length, 1, listFindings(found.report));
      assert.deepEqual(findingsOf(found.report, 'daemon-not-running'), []);
      assert.deepEqual(stale[0]!.fix[0], ['rm', '-f', join(dir, 'ldirectord.director.cf.pid')]);
      const rm = await director.exec(stale[0]!.fix[0]!);
      assert.equal(rm.code, 0);
      const after = await check();
      assert.deepEqual(findingsOf(after.report, 'stale-pid-file'), []);
      assert.equal(findingsOf(after.report, 'daemon-not-running').length, 1);
    });

    test('a config with errors: found with file and line; the config checks are skipped', async () => {
      writeFileSync(cf, configText('\tpersistent=99999999'));
      const found = await check();
      const invalid = findingsOf(found.report, 'config-invalid');
      assert.equal(invalid.length, 1, listFindings(found.report));
      assert.match(
        invalid[0]!.what,
        new RegExp(`${cf}:5:\\d+: error: persistent=99999999 is out of range`),
      );
      assert.deepEqual(findingsOf(found.report, 'ip-forward'), []);
      writeFileSync(cf, configText('\tpersistent=600'));
      assert.deepEqual(beyondBaseline(await check()), []);
    });

    test('--ipvsadm naming a missing program: found, with advice instead of apt-get', async () => {
      const found = await doctorJson(director, [...args(), '--ipvsadm', join(dir, 'no-ipvsadm')]);
      const missing = findingsOf(found.report, 'ipvsadm-missing');
      assert.equal(missing.length, 1, listFindings(found.report));
      assert.deepEqual(missing[0]!.fix, []);
      assert.match(missing[0]!.advice ?? '', /--ipvsadm/);
      assert.deepEqual(
        findingsOf((await check()).report, 'ipvsadm-missing'),
        [],
        'the installed one is found',
      );
    });
  },
);
