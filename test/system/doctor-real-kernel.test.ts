// `ldirectord-ts doctor` against a real IPVS kernel in the qemu guest (one boot): the checks
// this machine's kernel cannot show. IPVS and the scheduler modules unloaded, then loaded by
// doctor's own --fix (which also starts the daemon); the table against the plan; IPVS's TCP
// timeout against conntrack's; a scheduler the kernel lacks; ipvsadm missing with the modules
// present; the package's diversion and alternatives state; and a TUN real server in a network
// namespace inside the guest (tunl0, its rp_filter). Each finding appears and goes away again.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { DoctorReport } from '../../src/doctor/report.ts';
import { showCommand } from '../../src/doctor/report.ts';
import type { Finding } from '../../src/doctor/types.ts';
import { guestPrerequisites, missingAsRoot } from '../support/guest-prerequisites.ts';
import { BIN } from '../support/ldts.ts';
import { bootGuest, type Guest } from '../support/qemu-guest.ts';

const NODE = process.execPath;
const CONFIG = `logfile="/var/log/ldirectord-doctor.log"
virtual=192.0.2.1:80
	real=192.0.2.20:80 masq 2
	real=192.0.2.21:80 masq 1
	checktype=on
	scheduler=sh
virtual=192.0.2.1:443
	real=192.0.2.20:443 gate
	checktype=on
	persistent=600
`;
/** The table the daemon keeps for CONFIG (checktype=on: every real is in). */
const TABLE_LINES = 3;

const BOOT_SCRIPT = `mkdir -p /etc/ha.d
cat > /etc/ha.d/doctor.cf <<'EOF'
${CONFIG}EOF
`;

const prerequisites = guestPrerequisites();
const problems = prerequisites.ok ? [] : prerequisites.problems;
const root = process.getuid?.() === 0;
const skip = problems.length === 0 || root ? false : `needs root: ${problems.join('; ')}`;

let guest: Guest | undefined;

/** Jobs get long deadlines: a loaded machine slows the emulated guest down many times over. */
async function sh(script: string, timeoutMs = 400_000) {
  const r = await guest!.run(script, { timeoutMs });
  return r;
}

async function must(script: string): Promise<string> {
  const r = await sh(script);
  assert.equal(r.code, 0, `${script}\n${r.stdout}${r.stderr}`);
  return r.stdout;
}

interface Run {
  code: number;
  report: DoctorReport;
  stderr: string;
}

/** `doctor --json <args>` in the guest (in namespace `ns` when given). */
async function doctor(args: string, options: { ns?: string; env?: string } = {}): Promise<Run> {
  const prefix = options.ns ? `ip netns exec ${options.ns} ` : '';
  const r = await sh(`${options.env ?? ''} ${prefix}'${NODE}' '${BIN}' doctor --json ${args}`);
  let report: DoctorReport;
  try {
    report = JSON.parse(r.stdout) as DoctorReport;
  } catch {
    throw new Error(`doctor printed no JSON (exit ${r.code}): ${r.stdout}${r.stderr}`);
  }
  assert.equal(r.code, report.exitCode);
  return { code: r.code, report, stderr: r.stderr };
}

const ids = (run: Run) => run.report.findings.map((f) => [f.id, f.subject ?? '']);
const problemsOf = (run: Run) => run.report.findings.filter((f) => f.severity !== 'info');
const list = (run: Run) =>
  run.report.findings.map((f) => `${f.severity} ${f.id} ${f.subject ?? ''}: ${f.what}`).join('\n');
const find = (run: Run, id: string): Finding[] => run.report.findings.filter((f) => f.id === id);

/** Runs the findings' own fix commands in the guest (in `ns` when given); all must succeed. */
async function runFixes(findings: readonly Finding[], ns?: string): Promise<void> {
  const prefix = ns ? `ip netns exec ${ns} ` : '';
  for (const f of findings) for (const c of f.fix) await must(prefix + showCommand(c));
}

/** Until the kernel holds the daemon's table (the daemon applies it after its pid file). */
async function awaitDaemonTable(): Promise<void> {
  await must(`i=0
until [ "$(ipvsadm -S -n | grep -c '^-a')" = ${TABLE_LINES} ]; do
  i=$((i + 1)); [ $i -gt 240 ] && { ipvsadm -S -n; exit 1; }
  sleep 0.25
done`);
}

before(
  async (t) => {
    if (skip) return;
    if (!prerequisites.ok) throw new Error(missingAsRoot(problems));
    guest = await bootGuest({ host: prerequisites.host, bootScript: BOOT_SCRIPT });
    t.diagnostic(`guest booted in ${(guest.bootMs / 1000).toFixed(1)} s`);
  },
  { timeout: 300_000 },
);

after(async () => {
  await guest?.close();
});

test(
  'IPVS unloaded: ip-vs-missing and the scheduler modules, and doctor loads nothing itself',
  { skip },
  async () => {
    await must(`modprobe -r -a $(grep -o '^ip_vs_[a-z_]*' /proc/modules) && modprobe -r ip_vs
test ! -e /proc/net/ip_vs`);
    const r = await doctor('doctor.cf');
    assert.equal(r.code, 1);
    assert.deepEqual(
      ids(r),
      [
        ['ip-vs-missing', ''],
        ['scheduler-module-not-loaded', 'ip_vs_sh'],
        ['scheduler-module-not-loaded', 'ip_vs_wrr'],
        ['ip-forward', 'net.ipv4.ip_forward'],
        ['daemon-not-running', '/var/run/ldirectord.doctor.cf.pid'],
        ['not-packaged', ''],
      ],
      list(r),
    );
    assert.deepEqual(find(r, 'ip-vs-missing')[0]!.fix, [['modprobe', 'ip_vs']]);
    assert.deepEqual(find(r, 'ip-vs-missing')[0]!.persistent, [
      { kind: 'modules-load.d', file: '/etc/modules-load.d/ldirectord-ts.conf', lines: ['ip_vs'] },
    ]);
    // ipvsadm loads ip_vs when it finds none: doctor must not have run it.
    await must('test ! -e /proc/net/ip_vs');
  },
);

test(
  '--fix loads the modules, turns forwarding on and starts the daemon; then clean',
  { skip },
  async () => {
    const fixed = await doctor('--fix doctor.cf');
    assert.deepEqual(
      fixed.report.applied!.map((a) => [a.command.join(' '), a.code]),
      [
        ['modprobe ip_vs', 0],
        ['modprobe ip_vs_sh', 0],
        ['modprobe ip_vs_wrr', 0],
        ['sysctl -w net.ipv4.ip_forward=1', 0],
        ['ldirectord-ts doctor.cf start', 0],
      ],
      JSON.stringify(fixed.report.applied),
    );
    await awaitDaemonTable();
    const clean = await doctor('doctor.cf');
    assert.equal(clean.code, 0, list(clean));
    assert.deepEqual(ids(clean), [['not-packaged', '']]);
    assert.match(clean.report.context.join('\n'), /IPVS: IP Virtual Server version 1\.2\.1/);
    assert.match(clean.report.context.join('\n'), /daemon: running, pid \d+/);
  },
);

test(
  'the table changed under the daemon: table-differs lists the changes; --fix puts it back',
  { skip },
  async () => {
    await must(`modprobe ip_vs_rr
ipvsadm -e -t 192.0.2.1:80 -r 192.0.2.20:80 -m -w 7
ipvsadm -a -t 192.0.2.1:80 -r 192.0.2.99:80 -m -w 1
ipvsadm -E -t 192.0.2.1:443 -s rr -p 600
ipvsadm -A -t 192.0.2.50:25 -s rr`);
    const found = await doctor('doctor.cf');
    assert.equal(found.code, 1);
    assert.deepEqual(ids(found), [
      ['table-differs', 'IPVS table'],
      ['table-foreign-services', 'IPVS table'],
      ['not-packaged', ''],
    ]);
    const differs = find(found, 'table-differs')[0]!;
    assert.equal(differs.severity, 'error');
    assert.match(differs.what, /Changed virtual server: 192\.0\.2\.1:443/);
    assert.match(
      differs.what,
      /Restored real server: 192\.0\.2\.20:80 \(192\.0\.2\.1:80\) \(Weight set to 2\)/,
    );
    assert.match(differs.what, /Purged real server \(start\): 192\.0\.2\.99:80/);
    assert.deepEqual(
      differs.fix.map((c) => c.slice(1).join(' ')),
      [
        '-E -t 192.0.2.1:443 -s wrr -p 600',
        '-e -t 192.0.2.1:80 -x 0 -y 0 -r 192.0.2.20:80 -m -w 2',
        '-d -t 192.0.2.1:80 -r 192.0.2.99:80',
      ],
    );
    assert.match(find(found, 'table-foreign-services')[0]!.what, /tcp 192\.0\.2\.50:25/);

    const fixed = await doctor('--fix doctor.cf');
    assert.ok(
      fixed.report.applied!.every((a) => a.code === 0),
      JSON.stringify(fixed.report.applied),
    );
    assert.deepEqual(ids(fixed), [
      ['table-foreign-services', 'IPVS table'],
      ['not-packaged', ''],
    ]);
    assert.equal(fixed.code, 0);
    await must('ipvsadm -D -t 192.0.2.50:25');
    assert.deepEqual(ids(await doctor('doctor.cf')), [['not-packaged', '']]);
  },
);

test(
  "IPVS's TCP timeout above conntrack's: found; gone after its ipvsadm --set",
  { skip },
  async () => {
    await must('sysctl -q -w net.netfilter.nf_conntrack_tcp_timeout_established=600');
    const found = await doctor('--fix --dry-run doctor.cf');
    assert.deepEqual(
      problemsOf(found).map((f) => f.id),
      ['ipvs-tcp-timeout'],
    );
    const timeout = find(found, 'ipvs-tcp-timeout')[0]!;
    assert.match(timeout.what, /IPVS keeps idle TCP connections 900 s, conntrack only 600 s/);
    assert.equal(timeout.fix.length, 1);
    assert.match(timeout.fix[0]![0]!, /\/s?bin\/ipvsadm$/);
    assert.deepEqual(timeout.fix[0]!.slice(1), ['--set', '600', '120', '300']);
    const unit = found.report.fixes!.persistent.find((p) => p.kind === 'systemd')!;
    assert.equal(unit.file, '/etc/systemd/system/ipvs-timeouts.service');
    assert.match(unit.text, /^ExecStart=modprobe ip_vs\nExecStart=ipvsadm --set 600 120 300$/m);
    await runFixes([timeout]);
    assert.match(await must('ipvsadm -L --timeout'), /: 600 120 300/);
    assert.deepEqual(problemsOf(await doctor('doctor.cf')), []);
  },
);

test(
  'a scheduler this kernel lacks: scheduler-unavailable, no command; gone with another',
  { skip },
  async () => {
    // ip_vs_twos came with Linux 6.2; the guest runs Debian's 6.1.
    await must(`sed 's/scheduler=sh/scheduler=twos/' /etc/ha.d/doctor.cf > /etc/ha.d/twos.cf`);
    const found = await doctor('twos.cf');
    const unavailable = find(found, 'scheduler-unavailable');
    assert.deepEqual(
      unavailable.map((f) => f.subject),
      ['ip_vs_twos'],
      list(found),
    );
    assert.deepEqual(unavailable[0]!.fix, []);
    assert.deepEqual(find(await doctor('doctor.cf'), 'scheduler-unavailable'), []);
  },
);

test('ipvsadm missing while IPVS is there: found; the installed one: gone', { skip }, async () => {
  const found = await doctor('doctor.cf', { env: 'LDIRECTORD_IPVSADM=/nonexistent/ipvsadm' });
  assert.deepEqual(
    find(found, 'ipvsadm-missing').map((f) => f.what),
    ['cannot run /nonexistent/ipvsadm: not found or not executable'],
  );
  assert.deepEqual(find(await doctor('doctor.cf'), 'ipvsadm-missing'), []);
});

test(
  'the daemon stopped: daemon-not-running, the table as a note; --fix starts it again',
  { skip },
  async () => {
    await must(`'${NODE}' '${BIN}' doctor.cf stop`);
    const stopped = await doctor('doctor.cf');
    assert.equal(stopped.code, 1);
    assert.deepEqual(ids(stopped), [
      ['table-differs', 'IPVS table'],
      ['daemon-not-running', '/var/run/ldirectord.doctor.cf.pid'],
      ['not-packaged', ''],
    ]);
    const differs = find(stopped, 'table-differs')[0]!;
    assert.equal(differs.severity, 'info');
    assert.deepEqual(differs.fix, [], 'starting the daemon makes the changes');
    const fixed = await doctor('--fix doctor.cf');
    assert.deepEqual(
      fixed.report.applied!.map((a) => [a.command.join(' '), a.code]),
      [['ldirectord-ts doctor.cf start', 0]],
    );
    await awaitDaemonTable();
    assert.deepEqual(problemsOf(await doctor('doctor.cf')), []);
  },
);

test(
  'Pacemaker brings up the VIP and runs ldirectord: notes; without its CIB: faults',
  { skip },
  async () => {
    await must(`sed 's/192[.]0[.]2[.]1:/192.0.2.77:/' /etc/ha.d/doctor.cf > /etc/ha.d/pcmk.cf
grep -q 192.0.2.77:80 /etc/ha.d/pcmk.cf
mkdir -p /var/lib/pacemaker/cib
cat > /var/lib/pacemaker/cib/cib.xml <<'EOF'
<cib><configuration><resources><group id="lvs">
  <primitive id="vip" class="ocf" provider="heartbeat" type="IPaddr2">
    <instance_attributes id="vip-ia"><nvpair id="vip-ip" name="ip" value="192.0.2.77"/></instance_attributes>
  </primitive>
  <primitive id="ld" class="ocf" provider="heartbeat" type="ldirectord"/>
</group></resources></configuration></cib>
EOF`);
    const managed = await doctor('pcmk.cf');
    assert.deepEqual(problemsOf(managed), [], list(managed));
    assert.match(
      find(managed, 'vip-managed')[0]!.what,
      /192\.0\.2\.77 is not on this host; pacemaker brings it up/,
    );
    assert.match(find(managed, 'daemon-managed')[0]!.what, /pacemaker starts ldirectord/);

    await must('rm /var/lib/pacemaker/cib/cib.xml');
    const alone = await doctor('pcmk.cf');
    assert.deepEqual(
      problemsOf(alone).map((f) => [f.id, f.severity, f.subject]),
      [
        ['vip-missing', 'error', '192.0.2.77'],
        ['daemon-not-running', 'warning', '/var/run/ldirectord.pcmk.cf.pid'],
      ],
    );
    assert.deepEqual(find(alone, 'vip-missing')[0]!.fix, [
      ['ip', 'addr', 'add', '192.0.2.77/32', 'dev', 'dummy0'],
    ]);
  },
);

test(
  'installed as a package: the diversion and alternative; a dangling alternative and its fix',
  { skip },
  async () => {
    await must(`dpkg-divert --local --rename --divert /usr/sbin/ldirectord.distrib --add /usr/sbin/ldirectord
mkdir -p /usr/lib/ldirectord-ts
printf '#!/bin/sh\\n' > /usr/lib/ldirectord-ts/ldirectord && chmod 755 /usr/lib/ldirectord-ts/ldirectord
update-alternatives --install /usr/sbin/ldirectord ldirectord /usr/lib/ldirectord-ts/ldirectord 50
update-alternatives --install /usr/sbin/ldirectord ldirectord /usr/sbin/ldirectord.distrib 10`);
    const packaged = await doctor('doctor.cf');
    assert.equal(packaged.code, 0, list(packaged));
    const state = find(packaged, 'package-state')[0]!;
    assert.match(
      state.what,
      /diversion of \/usr\/sbin\/ldirectord to \/usr\/sbin\/ldirectord\.distrib/,
    );
    assert.match(
      state.what,
      /alternative ldirectord: \/usr\/sbin\/ldirectord -> \/usr\/lib\/ldirectord-ts\/ldirectord \(auto/,
    );

    await must('rm /usr/lib/ldirectord-ts/ldirectord');
    const broken = await doctor('doctor.cf');
    assert.deepEqual(
      problemsOf(broken).map((f) => f.id),
      ['alternative-broken'],
    );
    await runFixes(find(broken, 'alternative-broken'));
    const fixed = await doctor('doctor.cf');
    assert.equal(fixed.code, 0, list(fixed));
    assert.match(find(fixed, 'package-state')[0]!.what, /-> \/usr\/sbin\/ldirectord\.distrib/);
  },
);

test(
  'a TUN real server in a namespace: tunnels missing, down, strict rp_filter; each fixed',
  { skip },
  async () => {
    const ns = 'ldts-tun';
    const args = '--real-server 10.80.0.100,2001:db8:80::100 --method tun';
    await must(`modprobe veth && (modprobe -r ipip ip6_tunnel 2>/dev/null; true)
test ! -e /sys/module/ipip && test ! -e /sys/module/ip6_tunnel
ip netns add ${ns}
ip link add rs0 netns ${ns} type veth peer name tun-dr0
ip -n ${ns} addr add 10.80.0.2/24 dev rs0
ip -n ${ns} link set rs0 up
ip -n ${ns} link set lo up
for dev in all rs0; do
  ip netns exec ${ns} sysctl -q -w net.ipv4.conf.$dev.arp_ignore=1 net.ipv4.conf.$dev.arp_announce=2
done`);
    const missing = await doctor(args, { ns });
    assert.deepEqual(ids(missing), [
      ['tunnel-device-missing', 'tunl0'],
      ['tunnel-device-missing', 'ip6tnl0'],
      ['vip-missing', '10.80.0.100'],
      ['vip-missing', '2001:db8:80::100'],
    ]);
    const fixed = await doctor(`${args} --fix`, { ns });
    assert.deepEqual(
      fixed.report.applied!.map((a) => [a.command.join(' '), a.code]),
      [
        ['modprobe ipip', 0],
        ['ip link set tunl0 up', 0],
        ['modprobe ip6_tunnel', 0],
        ['ip link set ip6tnl0 up', 0],
        ['ip addr add 10.80.0.100/32 dev tunl0', 0],
        ['ip addr add 2001:db8:80::100/128 dev lo', 0],
      ],
    );
    assert.equal(fixed.code, 0, list(fixed));

    await must(`ip -n ${ns} link set tunl0 down && ip -n ${ns} link set ip6tnl0 down`);
    const down = await doctor(args, { ns });
    assert.deepEqual(ids(down), [
      ['link-down', 'tunl0'],
      ['link-down', 'ip6tnl0'],
    ]);
    await runFixes(down.report.findings, ns);
    assert.equal((await doctor(args, { ns })).code, 0);

    await must(
      `ip netns exec ${ns} sysctl -q -w net.ipv4.conf.all.rp_filter=1 net.ipv4.conf.tunl0.rp_filter=1`,
    );
    const strict = await doctor(args, { ns });
    assert.deepEqual(ids(strict), [
      ['rp-filter', 'net.ipv4.conf.all.rp_filter'],
      ['rp-filter', 'net.ipv4.conf.tunl0.rp_filter'],
    ]);
    await runFixes(strict.report.findings, ns);
    assert.equal((await doctor(args, { ns })).code, 0);
    await must(`ip netns del ${ns}`);
  },
);
