import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { restoreInput } from '../../src/ipvs/commands.ts';
import { runIpvsadm } from '../../src/ipvs/emulator/ipvsadm.ts';
import { listText, saveText } from '../../src/ipvs/emulator/ipvsadm-format.ts';
import { fromKernel, IpvsKernel } from '../../src/ipvs/emulator/kernel.ts';
import {
  ListingParseError,
  parseListing,
  parseReadOutput,
  parseTable,
  splitListings,
} from '../../src/ipvs/listing.ts';
import type { IpvsTable } from '../../src/ipvs/model.ts';
import { tablesEqual } from '../../src/ipvs/table.ts';

const LIST = `IP Virtual Server version 1.2.1 (size=4096)
Prot LocalAddress:Port Scheduler Flags
  -> RemoteAddress:Port           Forward Weight ActiveConn InActConn
TCP  192.168.1.1:80 sh (sh-fallback,sh-port) persistent 300 mask 255.255.255.0
  -> 200.1.1.1:80                 Tunnel  0      0          0         
  -> 127.0.0.2:80                 Local   3      12         40        
TCP  10.0.0.1:80 wrr
  -> 10.0.0.2:8080                Masq    5      0          0         
UDP  10.0.0.1:53 rr ops
TCP  [2001:db8::1]:443 rr persistent 60 mask 64
  -> [2001:db8::10]:443           Masq    2      0          0         
FWM  5 wlc persistent 360
  -> 10.1.1.1:0                   Route   1      0          0         
FWM  8 IPv6 wrr
  -> [2001:db8::2]:0              Route   1      0          0         
`;

const THRESHOLDS = `IP Virtual Server version 1.2.1 (size=4096)
Prot LocalAddress:Port            Uthreshold Lthreshold ActiveConn InActConn 
  -> RemoteAddress:Port
TCP  192.168.1.1:80 sh (sh-fallback,sh-port) persistent 300 mask 255.255.255.0
  -> 200.1.1.1:80                 0          0          0          0         
  -> 127.0.0.2:80                 100        50         12         40        
TCP  10.0.0.1:80 wrr
  -> 10.0.0.2:8080                10         2          0          0         
UDP  10.0.0.1:53 rr ops
TCP  [2001:db8::1]:443 rr persistent 60 mask 64
  -> [2001:db8::10]:443           0          0          0          0         
FWM  5 wlc persistent 360
  -> 10.1.1.1:0                   0          0          0          0         
FWM  8 IPv6 wrr
  -> [2001:db8::2]:0              0          0          0          0         
`;

const RULES = `-A -t 192.168.1.1:80 -s sh -p 300 -M 255.255.255.0 -b sh-fallback,sh-port
-a -t 192.168.1.1:80 -r 200.1.1.1:80 -i -w 0 --tun-type ipip
-a -t 192.168.1.1:80 -r 127.0.0.2:80 -g -w 3
-A -t 10.0.0.1:80 -s wrr
-a -t 10.0.0.1:80 -r 10.0.0.2:8080 -m -w 5
-A -u 10.0.0.1:53 -s rr -o
-A -t [2001:db8::1]:443 -s rr -p 60 -M 64
-a -t [2001:db8::1]:443 -r [2001:db8::10]:443 -m -w 2
-A -f 5 -s wlc -p 360
-a -f 5 -r 10.1.1.1:0 -g -w 1
-A -f 8 -6 -s wrr
-a -f 8 -6 -r [2001:db8::2]:0 -g -w 1
`;

const EXPECTED: IpvsTable = {
  services: [
    {
      protocol: 'tcp',
      family: 4,
      address: '192.168.1.1',
      port: 80,
      fwmark: 0,
      scheduler: 'sh',
      schedflags: 'sh-fallback,sh-port',
      persistent: 300,
      netmask: '255.255.255.0',
      ops: false,
      destinations: [
        {
          address: '200.1.1.1',
          port: 80,
          forward: 'ipip',
          weight: 0,
          upperThreshold: 0,
          lowerThreshold: 0,
        },
        {
          address: '127.0.0.2',
          port: 80,
          forward: 'local',
          weight: 3,
          upperThreshold: 100,
          lowerThreshold: 50,
        },
      ],
    },
    {
      protocol: 'tcp',
      family: 4,
      address: '10.0.0.1',
      port: 80,
      fwmark: 0,
      scheduler: 'wrr',
      ops: false,
      destinations: [
        {
          address: '10.0.0.2',
          port: 8080,
          forward: 'masq',
          weight: 5,
          upperThreshold: 10,
          lowerThreshold: 2,
        },
      ],
    },
    {
      protocol: 'udp',
      family: 4,
      address: '10.0.0.1',
      port: 53,
      fwmark: 0,
      scheduler: 'rr',
      ops: true,
      destinations: [],
    },
    {
      protocol: 'tcp',
      family: 6,
      address: '2001:db8::1',
      port: 443,
      fwmark: 0,
      scheduler: 'rr',
      persistent: 60,
      netmask: '64',
      ops: false,
      destinations: [
        {
          address: '2001:db8::10',
          port: 443,
          forward: 'masq',
          weight: 2,
          upperThreshold: 0,
          lowerThreshold: 0,
        },
      ],
    },
    {
      protocol: 'fwm',
      family: 4,
      address: '',
      port: 0,
      fwmark: 5,
      scheduler: 'wlc',
      persistent: 360,
      ops: false,
      destinations: [
        {
          address: '10.1.1.1',
          port: 0,
          forward: 'gate',
          weight: 1,
          upperThreshold: 0,
          lowerThreshold: 0,
        },
      ],
    },
    {
      protocol: 'fwm',
      family: 6,
      address: '',
      port: 0,
      fwmark: 8,
      scheduler: 'wrr',
      ops: false,
      destinations: [
        {
          address: '2001:db8::2',
          port: 0,
          forward: 'gate',
          weight: 1,
          upperThreshold: 0,
          lowerThreshold: 0,
        },
      ],
    },
  ],
};

describe('listing parsers', () => {
  test('-L -n and -L -n --thresholds merge into the whole table', () => {
    assert.deepEqual(parseTable(LIST + THRESHOLDS), EXPECTED);
  });

  test('-L -n alone: weights and forwarding (Local included), thresholds unknown (0)', () => {
    const parsed = parseListing(LIST);
    assert.equal(parsed.format, 'list');
    assert.equal(parsed.table.services[0]!.destinations[1]!.forward, 'local');
    assert.equal(parsed.table.services[1]!.destinations[0]!.upperThreshold, 0);
  });

  test('--thresholds alone is recognised and cannot stand for the table', () => {
    assert.equal(parseListing(THRESHOLDS).format, 'thresholds');
    assert.throws(() => parseTable(THRESHOLDS), ListingParseError);
  });

  test('-S -n: the same table except thresholds and Local (printed as -g)', () => {
    const parsed = parseListing(RULES);
    assert.equal(parsed.format, 'rules');
    const want = structuredClone(EXPECTED);
    want.services[0]!.destinations[1] = {
      ...want.services[0]!.destinations[1]!,
      forward: 'gate',
      upperThreshold: 0,
      lowerThreshold: 0,
    };
    want.services[1]!.destinations[0]!.upperThreshold = 0;
    want.services[1]!.destinations[0]!.lowerThreshold = 0;
    assert.deepEqual(parsed.table, want);
  });

  test('an empty table', () => {
    const empty = runIpvsadm(['-R'], {
      kernel: new IpvsKernel(),
      stdin: '-L -n\n-L -n --thresholds\n',
    });
    assert.deepEqual(parseTable(empty.stdout), { services: [] });
    assert.deepEqual(splitListings(empty.stdout).length, 2);
  });

  test('garbage, names instead of numbers, or a real outside a virtual are errors', () => {
    const head = LIST.split('\n').slice(0, 3).join('\n');
    for (const bad of [
      `${head}\nTCP  www.example.com:http rr\n`,
      `${head}\n  -> 10.0.0.2:80                  Masq    1      0          0\n`,
      `${head}\nCan't initialize ipvs: Protocol not available\n`,
      `${head}\nTCP  10.0.0.1:80 rr\n  -> 10.0.0.2:80                  Warp    1      0          0\n`,
      '-x -t 10.0.0.1:80\n',
      '-a -t 10.0.0.1:80 -r 10.0.0.2:80 -m -w 1\n',
    ]) {
      assert.throws(() => parseTable(bad), ListingParseError, bad);
    }
  });

  test('a read taken whole: cut short and garbage are told apart, never taken for a table', () => {
    assert.deepEqual(parseReadOutput(LIST + THRESHOLDS), EXPECTED);
    const whole = LIST + THRESHOLDS;
    const lastLine = whole.lastIndexOf('\n', whole.length - 2) + 1;
    const cases: Array<[string, boolean, RegExp]> = [
      ['', true, /no listing at all/],
      [whole.slice(0, -10), true, /ends in the middle of a line/],
      [LIST, true, /only one of the two listings/],
      // Dropping the last line whole leaves two listings that parse, and disagree.
      [whole.slice(0, lastLine), true, /the two listings differ/],
      [`${whole}\u0007\u001b[2J\nrm -rf /\n`, false, /unknown line: "\\x07\\x1b\[2J"/],
      [LIST + LIST, false, /not a listing then a --thresholds listing/],
    ];
    for (const [text, cutShort, message] of cases) {
      assert.throws(
        () => parseReadOutput(text),
        (e: unknown) =>
          e instanceof ListingParseError && e.cutShort === cutShort && message.test(e.message),
        JSON.stringify(text.slice(-60)),
      );
    }
    assert.ok(parseTable(whole.slice(0, lastLine)), 'parseTable takes the part for the whole');
  });

  test('round trip: what the emulation prints parses back to the same table', () => {
    const kernel = new IpvsKernel();
    runIpvsadm(['-R'], { kernel, stdin: RULES.replace('-g -w 3', '-m -w 3 -x 100 -y 50') });
    const table = fromKernel(kernel.snapshot());
    assert.ok(tablesEqual(parseTable(listText(table) + listText(table, true)), table));
    assert.ok(
      tablesEqual(parseListing(saveText(table)).table, {
        ...table,
        services: table.services.map((s) => ({
          ...s,
          destinations: s.destinations.map((d) => ({ ...d, upperThreshold: 0, lowerThreshold: 0 })),
        })),
      }),
    );
  });
});

describe('command helpers', () => {
  test('saveText gives -R input that rebuilds the table', () => {
    const kernel = new IpvsKernel();
    runIpvsadm(['-R'], { kernel, stdin: RULES });
    const table = fromKernel(kernel.snapshot());
    const again = new IpvsKernel();
    const r = runIpvsadm(['-R'], { kernel: again, stdin: saveText(table) });
    assert.equal(r.exitCode, 0, r.stderr);
    assert.ok(tablesEqual(fromKernel(again.snapshot()), table));
  });

  test('restoreInput is one line per command', () => {
    assert.equal(
      restoreInput([{ args: ['-A', '-t', '1.1.1.1:80', '-s', 'rr'] }, { args: ['-D', '-f', '5'] }]),
      '-A -t 1.1.1.1:80 -s rr\n-D -f 5\n',
    );
  });
});

test('a firewall mark from 2^31 up is printed signed, as ipvsadm does, and read back unsigned', async () => {
  const { parseTable } = await import('../../src/ipvs/listing.ts');
  const { saveText, listText } = await import('../../src/ipvs/emulator/ipvsadm-format.ts');
  const table = {
    services: [
      {
        protocol: 'fwm' as const,
        family: 4 as const,
        address: '',
        port: 0,
        fwmark: 4294967295,
        scheduler: 'rr',
        ops: false,
        destinations: [],
      },
    ],
  };
  assert.equal(saveText(table), '-A -f -1 -s rr\n');
  assert.match(listText(table), /^FWM {2}-1 rr$/m);
  assert.equal(parseTable(saveText(table)).services[0]!.fwmark, 4294967295);
  assert.equal(parseTable(listText(table)).services[0]!.fwmark, 4294967295);
});
