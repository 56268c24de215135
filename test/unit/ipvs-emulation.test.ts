// The kernel emulation and the ipvsadm emulation on top of it: what the kernel refuses and how
// ipvsadm words it, -R's behaviour, ipvsadm's port forcing, and byte-exact listings. Expected
// texts come from ipvsadm 1.31's source and runs of the real binary (see the integration test
// ipvsadm-real-binary.test.ts for the live comparison).
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import { canonicalIpv6, inCidr, inetAton, parseIpv6 } from '../../src/lib/inet.ts';
import { restoreLines, runIpvsadm, usage } from '../../src/ipvs/emulator/ipvsadm.ts';
import { mergeSort } from '../../src/ipvs/emulator/ipvsadm-format.ts';
import { IpvsKernel, type KernelOptions } from '../../src/ipvs/emulator/kernel.ts';

function ipvsadm(kernel: IpvsKernel, line: string, stdin = '') {
  return runIpvsadm(line === '' ? [] : line.split(' '), { kernel, stdin });
}

function kernelWith(rules: string, options: KernelOptions = {}): IpvsKernel {
  const kernel = new IpvsKernel(undefined, options);
  const r = runIpvsadm(['-R'], { kernel, stdin: rules });
  assert.equal(r.stderr, '');
  return kernel;
}

describe('kernel refusals, as libipvs words them (exit 255)', () => {
  const base = '-A -t 10.0.0.1:80 -s rr\n-a -t 10.0.0.1:80 -r 10.0.0.2:80 -m\n';
  const cases: Array<[string, string]> = [
    ['-A -t 10.0.0.1:80 -s rr', 'Service already exists'],
    ['-A -t 10.0.0.9:80 -s bogus', 'Scheduler or persistence engine not found'],
    ['-A -t 10.0.0.9:80 -s rr -p 10 --pe nope', 'Scheduler or persistence engine not found'],
    ['-E -t 10.0.0.9:80 -s rr', 'No such service'],
    ['-E -t 10.0.0.1:80 -s bogus', 'Scheduler or persistence engine not found'],
    ['-D -t 10.0.0.9:80', 'No such service'],
    ['-a -t 10.0.0.9:80 -r 10.0.0.2:80 -m', 'Service not defined'],
    ['-a -t 10.0.0.1:80 -r 10.0.0.2:80 -m', 'Destination already exists'],
    ['-e -t 10.0.0.1:80 -r 10.0.0.3:80 -m', 'No such destination'],
    ['-e -t 10.0.0.9:80 -r 10.0.0.3:80 -m', 'Service not defined'],
    ['-d -t 10.0.0.1:80 -r 10.0.0.3:80', 'No such destination'],
    ['-d -t 10.0.0.9:80 -r 10.0.0.3:80', 'Service not defined'],
    ['-a -t 10.0.0.1:80 -r 10.0.0.3:80 -m -x 0 -y 5', 'Numerical result out of range'],
    ['-a -t 10.0.0.1:80 -r 10.0.0.3:80 -m -x 5 -y 6', 'Numerical result out of range'],
    [
      '-a -t 10.0.0.1:80 -r 224.0.0.1:80 -m',
      'Invalid operation.  Possibly wrong module version, address not unicast, ...',
    ],
    [
      '-a -t 10.0.0.1:80 -r 0.0.0.0:80 -m',
      'Invalid operation.  Possibly wrong module version, address not unicast, ...',
    ],
    ['-Z -t 10.0.0.9:80', 'No such service'],
  ];
  for (const [line, message] of cases) {
    test(line, () => {
      const kernel = kernelWith(base);
      const r = ipvsadm(kernel, line);
      assert.deepEqual([r.exitCode, r.stdout, r.stderr], [255, '', `${message}\n`]);
    });
  }

  test('an IPv6 destination in an IPv4 service needs tunnelling (the kernel says so too)', () => {
    const kernel = kernelWith(base);
    const r = ipvsadm(kernel, '-a -t 10.0.0.1:80 -r [2001:db8::2]:80 -i');
    assert.equal(r.exitCode, 0, r.stderr);
  });
});

describe('ipvsadm itself', () => {
  test('gives gatewaying and tunnelling reals of address:port services the service port', () => {
    const kernel = kernelWith('-A -t 10.0.0.1:80 -s rr\n-A -f 7 -s rr\n');
    for (const line of [
      '-a -t 10.0.0.1:80 -r 10.0.0.2:8080 -g',
      '-a -t 10.0.0.1:80 -r 10.0.0.3:8080 -i',
      '-a -t 10.0.0.1:80 -r 10.0.0.4:8080 -m',
      '-a -t 10.0.0.1:80 -r 10.0.0.5',
      '-a -f 7 -r 10.0.0.6:8080 -g',
      '-a -f 7 -r 10.0.0.7',
    ]) {
      assert.equal(ipvsadm(kernel, line).exitCode, 0, line);
    }
    assert.equal(
      ipvsadm(kernel, '-S -n').stdout,
      [
        '-A -t 10.0.0.1:80 -s rr',
        '-a -t 10.0.0.1:80 -r 10.0.0.2:80 -g -w 1',
        '-a -t 10.0.0.1:80 -r 10.0.0.3:80 -i -w 1 --tun-type ipip',
        '-a -t 10.0.0.1:80 -r 10.0.0.4:8080 -m -w 1',
        '-a -t 10.0.0.1:80 -r 10.0.0.5:80 -g -w 1',
        '-A -f 7 -s rr',
        '-a -f 7 -r 10.0.0.6:8080 -g -w 1',
        '-a -f 7 -r 10.0.0.7:0 -g -w 1',
        '',
      ].join('\n'),
    );
    // -d does not force the port: the original's `-d ... -r ip:8080` fails.
    assert.equal(
      ipvsadm(kernel, '-d -t 10.0.0.1:80 -r 10.0.0.2:8080').stderr,
      'No such destination\n',
    );
  });

  test('defaults: scheduler wlc, weight 1, persistence 360 s, edit resets what it omits', () => {
    const kernel = kernelWith('-A -t 10.0.0.1:80 -p\n-a -t 10.0.0.1:80 -r 10.0.0.2 -m\n');
    assert.equal(
      ipvsadm(kernel, '-S -n').stdout,
      '-A -t 10.0.0.1:80 -s wlc -p 360\n-a -t 10.0.0.1:80 -r 10.0.0.2:80 -m -w 1\n',
    );
    ipvsadm(kernel, '-E -t 10.0.0.1:80');
    assert.equal(ipvsadm(kernel, '-S -n').stdout.split('\n')[0], '-A -t 10.0.0.1:80 -s wlc');
  });

  test('a quiesce (-e without -x/-y) clears the thresholds', () => {
    const kernel = kernelWith(
      '-A -t 10.0.0.1:80 -s rr\n-a -t 10.0.0.1:80 -x 10 -y 5 -r 10.0.0.2:80 -m -w 3\n',
    );
    ipvsadm(kernel, '-e -t 10.0.0.1:80 -r 10.0.0.2:80 -m -w 0');
    assert.match(ipvsadm(kernel, '-L -n --thresholds').stdout, /10\.0\.0\.2:80 +0 +0 /);
  });

  test('Local forwarding only for the configured addresses (6.1 has none)', () => {
    const rules = '-A -t 10.0.0.1:80 -s rr\n-a -t 10.0.0.1:80 -r 127.0.0.2:80 -m\n';
    assert.match(ipvsadm(kernelWith(rules), '-L -n').stdout, /127\.0\.0\.2:80 +Masq/);
    const old = kernelWith(rules, { localAddresses: ['127.0.0.0/8'] });
    assert.match(ipvsadm(old, '-L -n').stdout, /127\.0\.0\.2:80 +Local/);
    assert.match(ipvsadm(old, '-S -n').stdout, /-r 127\.0\.0\.2:80 -g -w 1/);
  });

  test('usage and version texts are the real ones', () => {
    const help = readFileSync(
      new URL('../fixtures/ipvsadm-1.31/help.txt', import.meta.url),
      'utf8',
    );
    assert.equal(usage('ipvsadm'), help);
    const r = ipvsadm(new IpvsKernel(), '-v');
    assert.deepEqual(
      [r.exitCode, r.stdout],
      [0, 'ipvsadm v1.31 2019/12/24 (compiled with popt and IPVS v1.2.1)\n'],
    );
  });

  test('no arguments lists the table (names, not numbers)', () => {
    const r = runIpvsadm([], {
      kernel: kernelWith('-A -t 10.0.0.1:80 -s rr\n'),
      hostName: (a) => (a === '10.0.0.1' ? 'www' : undefined),
      serviceName: (p) => (p === 80 ? 'http' : undefined),
    });
    assert.match(r.stdout, /^TCP {2}www:http rr$/m);
  });
});

describe('-R', () => {
  test('a kernel refusal prints the bare message and the batch carries on', () => {
    const kernel = new IpvsKernel();
    const r = ipvsadm(
      kernel,
      '-R',
      '-A -t 10.0.0.1:80 -s rr\n-A -t 10.0.0.1:80 -s rr\n-a -t 10.0.0.1:80 -r 10.0.0.2:80 -m\n',
    );
    assert.deepEqual([r.exitCode, r.stderr], [0, 'Service already exists\n']);
    assert.equal(kernel.snapshot().services[0]!.destinations.length, 1);
  });

  test('the exit status is the last line’s', () => {
    const kernel = new IpvsKernel();
    const r = ipvsadm(kernel, '-R', '-A -t 10.0.0.1:80 -s rr\n-A -t 10.0.0.1:80 -s rr\n');
    assert.equal(r.exitCode, 255);
  });

  test('an error of ipvsadm’s own stops the batch at once with exit 2', () => {
    const kernel = new IpvsKernel();
    const r = ipvsadm(
      kernel,
      '-R',
      '-A -t 10.0.0.1:80 -s rr\n-a -t 10.0.0.1:80 -r 10.0.0.2 -w x\n-A -t 10.0.0.2:80 -s rr\n',
    );
    assert.deepEqual([r.exitCode, r.stderr], [2, 'illegal weight specified\n']);
    assert.equal(kernel.snapshot().services.length, 1);
  });

  test('# is not a comment: as a first word it ends the batch (exit 255)', () => {
    const kernel = new IpvsKernel();
    const r = ipvsadm(kernel, '-R', '# table\n-A -t 10.0.0.1:80 -s rr\n');
    assert.equal(r.exitCode, 255);
    assert.equal(r.stderr, "Try `ipvsadm -h' or 'ipvsadm --help' for more information.\n");
    assert.equal(kernel.snapshot().services.length, 0);
  });

  test('the line reader: blanks, tabs, `ipvsadm` words, a last line without newline', () => {
    assert.deepEqual(restoreLines('\n  -A\t-t 1:1 \r\nipvsadm -D -t x\n-C'), [
      ['-A', '-t', '1:1'],
      ['-D', '-t', 'x'],
      ['-C'],
    ]);
    assert.deepEqual(restoreLines('-C  '), [], 'two blanks then end of input: the line is lost');
  });

  test('runs listing lines, which is how one process applies and reads back', () => {
    const kernel = new IpvsKernel();
    const r = ipvsadm(kernel, '-R', '-A -t 10.0.0.1:80 -s rr\n-L -n\n-S -n\n');
    assert.equal(
      r.stdout,
      'IP Virtual Server version 1.2.1 (size=4096)\nProt LocalAddress:Port Scheduler Flags\n  -> RemoteAddress:Port           Forward Weight ActiveConn InActConn\nTCP  10.0.0.1:80 rr\n-A -t 10.0.0.1:80 -s rr\n',
    );
  });
});

describe('listings, byte for byte', () => {
  const kernel = kernelWith(
    [
      '-A -t 192.168.1.1:80 -s sh -p 300 -M 255.255.255.0 -b sh-fallback,sh-port',
      '-a -t 192.168.1.1:80 -r 200.1.1.1:80 -i -w 0',
      '-a -t 192.168.1.1:80 -r 10.9.9.9:80 -g -w 3',
      '-A -t 10.0.0.1:80 -s wrr',
      '-a -t 10.0.0.1:80 -r 10.0.0.3 -g',
      '-a -t 10.0.0.1:80 -r 10.0.0.2:8080 -m -w 5 -x 10 -y 2',
      '-A -u 10.0.0.1:53 -s rr -o',
      '-A -f 5 -p -M 255.255.0.0',
      '-a -f 5 -r 10.1.1.1 -g',
      '-A -f 8 -6 -s wrr',
      '-a -f 8 -6 -r [2001:db8::2]:0 -g',
      '-A -t [2001:db8::1]:443 -s rr -p 60 -M 64',
      '-a -t [2001:db8::1]:443 -r [2001:db8:0:0:0:0:0:10]:443 -m -w 2',
    ].join('\n'),
  );

  test('-L -n (192.168/16 sorts before 10/8: ipvsadm’s comparator wraps)', () => {
    assert.equal(
      ipvsadm(kernel, '-L -n').stdout,
      `IP Virtual Server version 1.2.1 (size=4096)
Prot LocalAddress:Port Scheduler Flags
  -> RemoteAddress:Port           Forward Weight ActiveConn InActConn
TCP  192.168.1.1:80 sh (sh-fallback,sh-port) persistent 300 mask 255.255.255.0
  -> 200.1.1.1:80                 Tunnel  0      0          0         
  -> 10.9.9.9:80                  Route   3      0          0         
TCP  10.0.0.1:80 wrr
  -> 10.0.0.2:8080                Masq    5      0          0         
  -> 10.0.0.3:80                  Route   1      0          0         
UDP  10.0.0.1:53 rr ops
TCP  [2001:db8::1]:443 rr persistent 60 mask 64
  -> [2001:db8::10]:443           Masq    2      0          0         
FWM  5 wlc persistent 360 mask 255.255.0.0
  -> 10.1.1.1:0                   Route   1      0          0         
FWM  8 IPv6 wrr
  -> [2001:db8::2]:0              Route   1      0          0         
`,
    );
  });

  test('-L -n --thresholds', () => {
    assert.equal(
      ipvsadm(kernel, '-L -n --thresholds -t 10.0.0.1:80').stdout,
      `Prot LocalAddress:Port            Uthreshold Lthreshold ActiveConn InActConn 
  -> RemoteAddress:Port
TCP  10.0.0.1:80 wrr
  -> 10.0.0.2:8080                10         2          0          0         
  -> 10.0.0.3:80                  0          0          0          0         
`,
    );
  });

  test('-S -n', () => {
    assert.equal(
      ipvsadm(kernel, '-S -n').stdout,
      `-A -t 192.168.1.1:80 -s sh -p 300 -M 255.255.255.0 -b sh-fallback,sh-port
-a -t 192.168.1.1:80 -r 200.1.1.1:80 -i -w 0 --tun-type ipip
-a -t 192.168.1.1:80 -r 10.9.9.9:80 -g -w 3
-A -t 10.0.0.1:80 -s wrr
-a -t 10.0.0.1:80 -r 10.0.0.2:8080 -m -w 5
-a -t 10.0.0.1:80 -r 10.0.0.3:80 -g -w 1
-A -u 10.0.0.1:53 -s rr -o
-A -t [2001:db8::1]:443 -s rr -p 60 -M 64
-a -t [2001:db8::1]:443 -r [2001:db8::10]:443 -m -w 2
-A -f 5 -s wlc -p 360 -M 255.255.0.0
-a -f 5 -r 10.1.1.1:0 -g -w 1
-A -f 8 -6 -s wrr
-a -f 8 -6 -r [2001:db8::2]:0 -g -w 1
`,
    );
  });

  test('-L -t of a missing service: "No such service", exit 1', () => {
    const r = ipvsadm(kernel, '-L -n -t 10.9.9.9:80');
    assert.deepEqual([r.exitCode, r.stderr], [1, 'No such service\n']);
  });

  test('glibc’s merge sort is stable and reproduces the order of a cyclic comparator', () => {
    // 10/8 < 100/8 < 200/8 but 200/8 < 10/8 (the difference wraps): the order depends on the
    // input order, exactly as in glibc.
    const wrap = (a: number, b: number) => (a - b) | 0;
    const [a, b, c] = [0x0a000000, 0x64000000, 0xc8000000];
    assert.deepEqual(mergeSort([a, b, c], wrap), [a, b, c]);
    assert.deepEqual(mergeSort([c, b, a], wrap), [c, a, b]);
  });
});

describe('addresses', () => {
  test('inet_aton accepts the short and octal/hex forms ipvsadm accepts', () => {
    assert.equal(inetAton('10.1'), 0x0a000001);
    assert.equal(inetAton('64'), 64);
    assert.equal(inetAton('0x7f.1'), 0x7f000001);
    assert.equal(inetAton('010.0.0.1'), 0x08000001);
    assert.equal(inetAton('1.2.3.4 junk'), 0x01020304);
    assert.equal(inetAton('256.1.1.1'), undefined);
    assert.equal(inetAton('1.2.3.4.5'), undefined);
    assert.equal(inetAton('a.b.c.d'), undefined);
  });

  test('IPv6 text as glibc inet_ntop prints it', () => {
    const cases: Array<[string, string]> = [
      ['2001:DB8:0:0:0:0:0:1', '2001:db8::1'],
      ['2001:db8:0:0:1:0:0:1', '2001:db8::1:0:0:1'],
      ['0:0:0:0:0:0:0:1', '::1'],
      ['::', '::'],
      ['::ffff:10.0.0.1', '::ffff:10.0.0.1'],
      ['::10.0.0.1', '::10.0.0.1'],
      ['fe80::1:2:3:4', 'fe80::1:2:3:4'],
      ['1:0:2:0:3:0:4:0', '1:0:2:0:3:0:4:0'],
      ['1:2:3:4:5:6:7::', '1:2:3:4:5:6:7:0'],
    ];
    for (const [input, output] of cases) assert.equal(canonicalIpv6(input), output, input);
    assert.equal(parseIpv6('1::2::3'), undefined);
    assert.equal(parseIpv6('fe80::1%eth0'), undefined);
    assert.equal(parseIpv6('12345::'), undefined);
  });

  test('CIDR membership', () => {
    assert.ok(inCidr('127.9.9.9', '127.0.0.0/8'));
    assert.ok(!inCidr('128.0.0.1', '127.0.0.0/8'));
    assert.ok(inCidr('::1', '::1'));
    assert.ok(inCidr('2001:db8::7', '2001:db8::/32'));
    assert.ok(!inCidr('2001:db9::7', '2001:db8::/32'));
  });
});
