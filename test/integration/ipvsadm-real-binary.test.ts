// The emulation of ipvsadm against the real ipvsadm 1.31 binary, run on this kernel (which has
// no IPVS) through an LD_PRELOAD shim: its own argument checks, messages and exit codes, and
// its listings of random IPv4 tables (formats and sort order), byte for byte. The kernel's own
// behaviour is the qemu tier's job (test/fixtures/ipvs-kernel).
import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import { runIpvsadm } from '../../src/ipvs/emulator/ipvsadm.ts';
import { IpvsKernel, type KernelTable } from '../../src/ipvs/emulator/kernel.ts';
import { buildShim, runReal, shimUnavailable } from '../support/ipvsadm-shim/shim.ts';

const unavailable = shimUnavailable();
if (unavailable) process.stdout.write(`# skipping: ${unavailable}\n`);

const PROGRAM = '/usr/sbin/ipvsadm';

function mine(
  args: string[],
  options: { table?: KernelTable; stdin?: string; local?: boolean } = {},
) {
  const kernel = new IpvsKernel(
    options.table,
    options.local ? { localAddresses: ['127.0.0.0/8'] } : {},
  );
  const r = runIpvsadm(args, { kernel, program: PROGRAM, stdin: options.stdin ?? '' });
  return { stdout: r.stdout, stderr: r.stderr, exitCode: r.exitCode };
}

/** Argument-level cases: ipvsadm answers these before (or without) asking the kernel. */
const ARGUMENT_CASES = `
-A -t 10.0.0.1
-A -t 10.0.0.1:80 -s rr -p 0
-A -t 10.0.0.1:80 -s rr -p abc
-A -t 10.0.0.1:80 -o
-A -f 0 -s wrr
-A -f 4294967296 -s wrr
-A -f -3
-A -6 -f 5 -s wrr
-A -t 10.0.0.1:80 -s rr -b sh-port
-A -t 10.0.0.1:80 -s rr -b bogus
-A -t 10.0.0.1:80 -s mh -b flag-1,sh-port
-A -t 10.0.0.1:99999
-A -t 10.0.0.1:80 -r 1.2.3.4
-A -t 10.0.0.1:80 -w 1
-A -x
-A -t
-A -q
-q
-A -t 10.0.0.1:80 -q
-A -t 10.0.0.1:80 -E
-A -t 10.0.0.1:80 extra
-E
-a -t 10.0.0.1:80 -r 10.0.0.2:8080 -m -w -1
-a -t 10.0.0.1:80 -r 10.0.0.2:8080 -m -w x
-a -t 10.0.0.1:80 -r 10.0.0.2:8080 -m -w 2147483648
-a -t 10.0.0.1:80 -r 10.0.0.2:8080 -m -x -1
-a -t 10.0.0.1:80 -r 10.0.0.2:8080 -m -y abc
-a -t 10.0.0.1:80 -r :0 -w 1
-a -t 10.0.0.1:80 -r 10.0.0.2:8080 -m -g
-a -t 10.0.0.1:80 -r [::1]:80 -m
-a -t 10.0.0.1:80 -m
-a -r 1.2.3.4:5
-d -t 10.0.0.1:80 -r 10.0.0.2:8080 -w 1
-a -t 10.0.0.1:80 -w 1 -w 2 -r 10.0.0.2
-a -t 10.0.0.1:80 -u 10.0.0.1:81 -r 10.0.0.2
-a -t 10.0.0.1:80 -r 10.0.0.2:8080 -m -w 1 --tun-type ipip
-a -t 10.0.0.1:80 -r 10.0.0.2 -i --tun-type gue
-a -t 10.0.0.1:80 -r 10.0.0.2 -i --tun-type gue --tun-port 5555 --tun-csum --tun-remcsum
-a -t 10.0.0.1:80 -r 10.0.0.2 -i --tun-port 5555
-a -t 10.0.0.1:80 -r 10.0.0.2 --tun-type x
-a -t 10.0.0.1:80 -r 10.0.0.2 -6
-a -f 1 -r 10.0.0.2 -6
-D -t 10.0.0.1:80 -s rr
-C -t 10.0.0.1:80
-L -n --timeout --daemon
-L -c --stats
-L --daemon --persistent-conn
--set 1 2
-S -n -n
-S -n -t 10.0.0.1:80
-t 10.0.0.1:80 -A
-Aq
-A -tq
-A -t 10.0.0.1:80 -sq -x
--add-service=1 -t 10.0.0.1:80
-A -t 10.0.0.1:80 -s rr --ops=1
-A -t 10.0.0.1:80 -- -s rr
-A -h
-h -A
-v
-A -t 10.0.0.1:80 -p 60 -p 70
-A -t [2001:db8::1] -s rr
-A -t [2001:db8::1]:80 -s rr -p 10 -M 129
-A -t [2001:db8::1]:80 -s rr -M 255.255.255.0 -p 10
-A -u 10.0.0.1:53 -p 10 -M 300.1.1.1
-L -t 10.0.0.1:80 -n -6
-R -n
-nA
foo
--start-daemon foo
--stop-daemon foo
-L -n --timeout
`
  .trim()
  .split('\n')
  .map((l) => l.split(' '));

const RESTORE_CASES = [
  '-A -t 10.0.0.1:80 -s rr\n-a -t 10.0.0.1:80 -r 10.0.0.2 -m -w x\n-A -t 10.0.0.2:80\n',
  '-A -t 10.0.0.1:80 -q\n-A -t 10.0.0.2:80\n',
  '-A -t 10.0.0.1:80 -q\n',
  '-q\n-A -t 10.0.0.2:80\n',
  '# comment\n-A -t 10.0.0.2:80\n',
  '-A -t 10.0.0.2:80 # comment\n',
  '\n\n  -A   -t\t10.0.0.3:80  \n\n',
  'ipvsadm -A -t 10.0.0.4:80\n',
  '-A -t 10.0.0.5:80',
  '-R\n',
];

/** A random table built through the emulation (so it is one the kernel accepts). */
function randomTable(seed: number, tunnels: boolean): { rules: string; table: KernelTable } {
  let x = seed;
  const rand = (n: number): number => {
    x = (x * 1103515245 + 12345) % 2147483648;
    return x % n;
  };
  const firstOctets = [10, 100, 127, 172, 192, 200, 223];
  const addr = (): string =>
    `${firstOctets[rand(firstOctets.length)]}.${rand(3)}.${rand(3)}.${1 + rand(4)}`;
  const rules: string[] = [];
  const scheds = ['rr', 'wrr', 'sh', 'mh', 'lc'];
  for (let i = 0; i < 2 + rand(7); i++) {
    const kind = rand(3);
    const svc =
      kind === 2
        ? `-f ${1 + rand(1000)}`
        : `${kind === 0 ? '-t' : '-u'} ${addr()}:${rand(3) * 40 + 53}`;
    const sched = scheds[rand(scheds.length)]!;
    let line = `-A ${svc} -s ${sched}`;
    if (rand(2)) line += ` -p ${1 + rand(600)}${rand(2) ? ` -M 255.255.${rand(256)}.0` : ''}`;
    if (kind === 1 && rand(2)) line += ' -o';
    if (sched === 'sh' && rand(2)) line += ' -b sh-port';
    if (sched !== 'sh' && sched !== 'mh' && rand(3) === 0) line += ' -b flag-2,flag-3';
    rules.push(line);
    for (let j = 0; j < rand(9); j++) {
      const fwd = ['-m', '-g', '-i'][rand(tunnels ? 3 : 2)];
      const u = rand(3) ? 0 : 10 + rand(100);
      const l = u && rand(2) ? rand(u) : 0;
      rules.push(`-a ${svc} -r ${addr()}:${rand(4) * 1000} ${fwd} -w ${rand(5)} -x ${u} -y ${l}`);
    }
  }
  const kernel = new IpvsKernel(undefined, { localAddresses: ['127.0.0.0/8'] });
  runIpvsadm(['-R'], { kernel, stdin: `${rules.join('\n')}\n` });
  return { rules: rules.join('\n'), table: kernel.snapshot() };
}

describe('the emulation matches the real ipvsadm 1.31 binary', { skip: unavailable }, () => {
  let so = '';
  before(() => {
    so = buildShim();
  });

  test('argument checks, messages and exit codes', () => {
    for (const args of ARGUMENT_CASES) {
      assert.deepEqual(mine(args), runReal(so, args), args.join(' '));
    }
  });

  test('-R: what it runs, where it stops, and its exit status', () => {
    for (const stdin of RESTORE_CASES) {
      assert.deepEqual(mine(['-R'], { stdin }), runReal(so, ['-R'], { stdin }), stdin);
    }
  });

  test('listings of random tables in every format, sorted as ipvsadm sorts', () => {
    const formats = [
      ['-L', '-n'],
      ['-L', '-n', '--thresholds'],
      ['-S', '-n'],
      ['-L', '-n', '--stats'],
      ['-L', '-n', '--rate', '--exact'],
      ['-L', '-n', '--persistent-conn'],
      ['-L', '-n', '--tun-info'],
      ['-Ln', '--nosort'],
    ];
    for (let seed = 1; seed <= 40; seed++) {
      // Over the old interface libipvs leaves a tunnel's type uninitialised, so -S and
      // --tun-info of tunnels are compared on tables without them.
      const { rules, table } = randomTable(seed, seed % 2 === 0);
      for (const args of seed % 2 === 0
        ? formats.slice(0, 2).concat(formats.slice(3, 6))
        : formats) {
        assert.deepEqual(
          mine(args, { table, local: true }),
          runReal(so, args, { table }),
          `seed ${seed} ${args.join(' ')}\n${rules}`,
        );
      }
      const read = '-L -n\n-L -n --thresholds\n';
      assert.deepEqual(
        mine(['-R'], { table, stdin: read, local: true }),
        runReal(so, ['-R'], { table, stdin: read }),
      );
      const first = table.services[0]!;
      const one =
        first.protocol === 'fwm'
          ? ['-L', '-n', '-f', String(first.fwmark)]
          : ['-L', '-n', first.protocol === 'udp' ? '-u' : '-t', `${first.address}:${first.port}`];
      assert.deepEqual(
        mine(one, { table, local: true }),
        runReal(so, one, { table }),
        one.join(' '),
      );
    }
  });
});
