// The pure parts of doctor that the namespace and guest tests reach only partly: reading
// haresources and a Pacemaker CIB, ipvsadm's timeout line, the kernel's rule for per-device
// sysctls and route lookup, and how persistent forms from several findings merge into one file.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { clusterView, haresourcesResources } from '../../src/doctor/cluster.ts';
import { parseTimeouts } from '../../src/doctor/ipvs-checks.ts';
import { effectiveConf, routeTo } from '../../src/doctor/net.ts';
import { canonicalAddress } from '../../src/lib/inet.ts';
import { exitStatus, fixCommands, persistentFiles, showCommand } from '../../src/doctor/report.ts';
import type { Finding, NetFacts } from '../../src/doctor/types.ts';

test('haresources: continued lines, comments, IP resources in their three spellings', () => {
  const text = `# node1 10.0.0.9
node1 10.0.0.1 IPaddr::10.0.0.2/24/eth0 \\
  IPv6addr::2001:DB8::5/64 ldirectord::web.cf
node2 IPaddr2::10.0.0.3
`;
  assert.deepEqual(haresourcesResources(text), [
    '10.0.0.1',
    'IPaddr::10.0.0.2/24/eth0',
    'IPv6addr::2001:DB8::5/64',
    'ldirectord::web.cf',
    'IPaddr2::10.0.0.3',
  ]);
  const view = clusterView(text);
  for (const a of ['10.0.0.1', '10.0.0.2', '10.0.0.3', '2001:db8::5'])
    assert.equal(view.managerOf(a), 'heartbeat', a);
  assert.equal(view.managerOf('10.0.0.9'), undefined, 'a comment names nothing');
  assert.equal(view.ldirectordManager, 'heartbeat');
  assert.equal(view.present, true);
});

test('a Pacemaker CIB: an IPaddr2 address and an ldirectord primitive', () => {
  const cib = `<cib><configuration><resources>
<primitive id="vip" class="ocf" provider="heartbeat" type="IPaddr2">
  <instance_attributes id="vip-ia"><nvpair id="vip-ip" name="ip" value="192.0.2.80"/></instance_attributes>
</primitive>
<primitive id="ld" class="ocf" provider="heartbeat" type="ldirectord"/>
</resources></configuration></cib>`;
  const view = clusterView(undefined, cib);
  assert.equal(view.managerOf('192.0.2.80'), 'pacemaker');
  assert.equal(view.ldirectordManager, 'pacemaker');
  const none = clusterView();
  assert.equal(none.present, false);
  assert.equal(none.managerOf('192.0.2.80'), undefined);
});

test('ipvsadm -L --timeout', () => {
  assert.deepEqual(parseTimeouts('Timeout (tcp tcpfin udp): 900 120 300\n'), [900, 120, 300]);
  assert.equal(parseTimeouts('IP Virtual Server version 1.2.1\n'), undefined);
});

const net: NetFacts = {
  links: [],
  routes: [
    { family: 4, dst: 'default', gateway: '10.0.0.1', dev: 'eth0' },
    { family: 4, dst: '10.0.0.0/8', dev: 'eth0' },
    { family: 4, dst: '10.1.0.0/16', dev: 'eth1' },
    { family: 4, dst: '10.1.2.3', dev: 'eth2' },
    { family: 6, dst: '2001:db8::/32', dev: 'eth1' },
  ],
  sysctl: {
    'net.ipv4.conf.all.arp_ignore': 0,
    'net.ipv4.conf.eth0.arp_ignore': 1,
    'net.ipv4.conf.all.rp_filter': 1,
    'net.ipv4.conf.eth0/100.rp_filter': 2,
  },
};

test('the kernel uses the larger of conf/all and conf/<device>; dots in names become /', () => {
  assert.equal(effectiveConf(net, 'eth0', 'arp_ignore'), 1);
  assert.equal(effectiveConf(net, 'eth9', 'arp_ignore'), 0);
  assert.equal(effectiveConf(net, 'eth0.100', 'rp_filter'), 2);
});

test('route lookup: longest prefix, host routes, family', () => {
  assert.equal(routeTo(net, '10.1.2.3')?.dev, 'eth2');
  assert.equal(routeTo(net, '10.1.2.4')?.dev, 'eth1');
  assert.equal(routeTo(net, '10.200.0.1')?.dev, 'eth0');
  assert.equal(routeTo(net, '192.0.2.1')?.dst, 'default');
  assert.equal(routeTo(net, '2001:db8::1')?.dev, 'eth1');
  assert.equal(routeTo(net, '2001:db9::1'), undefined);
});

test('addresses: IPv6 canonical, IPv4 strict', () => {
  assert.equal(canonicalAddress('[2001:DB8:0::1]'), '2001:db8::1');
  assert.equal(canonicalAddress('10.0.0.256'), undefined);
  assert.equal(canonicalAddress('host.example'), undefined);
});

function finding(partial: Partial<Finding> & Pick<Finding, 'id'>): Finding {
  return { severity: 'error', what: '', why: '', fix: [], persistent: [], ...partial };
}

test('fix commands in finding order, each once; notes neither count nor fix', () => {
  const findings = [
    finding({ id: 'a', fix: [['ip', 'link', 'set', 'lo', 'up']] }),
    finding({ id: 'b', severity: 'warning', fix: [['ip', 'link', 'set', 'lo', 'up'], ['x']] }),
    finding({ id: 'c', severity: 'info', fix: [['never']] }),
  ];
  assert.deepEqual(fixCommands(findings), [['ip', 'link', 'set', 'lo', 'up'], ['x']]);
  assert.equal(exitStatus(findings), 1);
  assert.equal(exitStatus(findings.slice(2)), 0);
});

test('persistent forms merge per file (and per device for ifupdown)', () => {
  const files = persistentFiles([
    finding({
      id: 'a',
      persistent: [
        { kind: 'sysctl.d', file: '/etc/sysctl.d/x.conf', lines: ['a = 1'] },
        {
          kind: 'systemd',
          file: '/etc/systemd/system/x.service',
          lines: ['ip addr replace 1 dev lo'],
        },
        { kind: 'ifupdown', file: '/etc/network/interfaces', device: 'lo', lines: ['up ip one'] },
      ],
    }),
    finding({
      id: 'b',
      persistent: [
        { kind: 'sysctl.d', file: '/etc/sysctl.d/x.conf', lines: ['b = 2', 'a = 1'] },
        { kind: 'systemd', file: '/etc/systemd/system/x.service', lines: ['ip link set tunl0 up'] },
        {
          kind: 'ifupdown',
          file: '/etc/network/interfaces',
          device: 'tunl0',
          lines: ['up ip two'],
        },
      ],
    }),
  ]);
  assert.deepEqual(
    files.map((f) => [f.file, f.device]),
    [
      ['/etc/sysctl.d/x.conf', undefined],
      ['/etc/systemd/system/x.service', undefined],
      ['/etc/network/interfaces', 'lo'],
      ['/etc/network/interfaces', 'tunl0'],
    ],
  );
  assert.match(files[0]!.text, /\na = 1\nb = 2\n$/);
  assert.equal(files[0]!.then, 'sysctl -p /etc/sysctl.d/x.conf');
  assert.match(
    files[1]!.text,
    /^ExecStart=ip addr replace 1 dev lo\nExecStart=ip link set tunl0 up$/m,
  );
  assert.equal(files[1]!.then, 'systemctl daemon-reload && systemctl enable x.service');
  assert.match(files[2]!.text, /^auto lo\niface lo inet loopback\n {4}up ip one\n$/m);
  assert.match(files[3]!.text, /^iface tunl0 inet manual\n {4}up ip two\n$/m);
});

test('commands are shown as a shell would need them, and only then quoted', () => {
  assert.equal(
    showCommand(['sysctl', '-w', 'net.ipv4.conf.eth0/100.rp_filter=2']),
    'sysctl -w net.ipv4.conf.eth0/100.rp_filter=2',
  );
  assert.equal(
    showCommand(['mkdir', '-p', "/var/log/it's here"]),
    "mkdir -p '/var/log/it'\\''s here'",
  );
});
