// The pieces of the cluster tests that decide what they measure and assert, checked on their
// own: the client's log and its outages, /proc/net/ip_vs read as `ipvsadm -S -n` lines, the
// director watcher's log, and the Ethernet hub's forwarding (test/support/ha-cluster.ts).
import assert from 'node:assert/strict';
import { connect, type Socket } from 'node:net';
import { test } from 'node:test';
import { parseWatchLog, procIpvsToSave } from '../support/director-watch.ts';
import { startEthernetHub } from '../support/ethernet-hub.ts';
import { outages, parseClientLog } from '../support/vip-client.ts';

test('client log: requests in the order they started, whatever order they ended in', () => {
  const requests = parseClientLog('1000 50 ok r1\n900 3000 fail timeout\nnoise\n1200 40 ok r2\n');
  assert.deepEqual(
    requests.map((r) => [r.at, r.ok, r.detail]),
    [
      [900, false, 'timeout'],
      [1000, true, 'r1'],
      [1200, true, 'r2'],
    ],
  );
});

test('outages: from the last answer before failures to the first answer after', () => {
  const log = [
    '0 20 ok r1', // answer at 20
    '200 20 ok r2', // answer at 220
    '400 3000 fail timeout', // hangs across the failover
    '600 3000 fail timeout',
    '2000 5 fail ECONNREFUSED',
    '3000 30 ok r2', // first answer after: 3030
    '3200 20 ok r1', // 3220
    '3400 20 ok r1', // 3420, while the requests of the outage are still timing out
  ].join('\n');
  assert.deepEqual(outages(parseClientLog(log)), [{ from: 220, to: 3030, ms: 2810, failures: 3 }]);
  assert.deepEqual(outages(parseClientLog('0 10 ok r1\n100 10 ok r2\n')), [], 'no failure');
  assert.deepEqual(outages(parseClientLog('0 10 ok r1\n100 10 fail x\n')), [], 'not over yet');
});

const PROC_IP_VS = `IP Virtual Server version 1.2.1 (size=4096)
Prot LocalAddress:Port Scheduler Flags
  -> RemoteAddress:Port Forward Weight ActiveConn InActConn
TCP  0A000564:0050 wlc 
  -> 0A00050C:0050      Route   2      0          3         
  -> 0A00050B:0050      Route   1      1          0         
UDP  0A000565:0035 rr persistent 300
  -> 7F000002:1F90      Masq    0      0          0         
FWM  00000001 wlc 
`;

test('/proc/net/ip_vs as ipvsadm -S -n lines', () => {
  assert.deepEqual(procIpvsToSave(PROC_IP_VS), [
    '-A -t 10.0.5.100:80 -s wlc',
    '-a -t 10.0.5.100:80 -r 10.0.5.12:80 -g -w 2',
    '-a -t 10.0.5.100:80 -r 10.0.5.11:80 -g -w 1',
    '-A -u 10.0.5.101:53 -s rr persistent 300',
    '-a -u 10.0.5.101:53 -r 127.0.0.2:8080 -m -w 0',
    'FWM  00000001 wlc',
  ]);
  assert.deepEqual(procIpvsToSave(PROC_IP_VS.split('\n').slice(0, 3).join('\n')), []);
});

test('director watch log: each change with its VIP and table', () => {
  const states = parseWatchLog(
    '100 vip=0\n250 vip=1\n900 vip=1 -A -t 10.0.5.100:80 -s wlc | -a -t 10.0.5.100:80 -r 10.0.5.11:80 -g -w 1\n',
  );
  assert.deepEqual(states, [
    { at: 100, vip: false, table: [] },
    { at: 250, vip: true, table: [] },
    {
      at: 900,
      vip: true,
      table: ['-A -t 10.0.5.100:80 -s wlc', '-a -t 10.0.5.100:80 -r 10.0.5.11:80 -g -w 1'],
    },
  ]);
});

/** An Ethernet frame as qemu's stream netdev sends it: length prefix, then the frame. */
function frame(destination: string, source: string, payload: string): Buffer {
  const body = Buffer.concat([
    Buffer.from(destination.replaceAll(':', ''), 'hex'),
    Buffer.from(source.replaceAll(':', ''), 'hex'),
    Buffer.from([0x08, 0x00]),
    Buffer.from(payload),
  ]);
  const length = Buffer.alloc(4);
  length.writeUInt32BE(body.length);
  return Buffer.concat([length, body]);
}

class Port {
  received = Buffer.alloc(0);
  readonly socket: Socket;
  constructor(socket: Socket) {
    this.socket = socket;
    socket.on('data', (chunk: Buffer) => (this.received = Buffer.concat([this.received, chunk])));
  }
  /** Payloads (after the 14-byte header) of the frames received so far. */
  payloads(): string[] {
    const out: string[] = [];
    let rest = this.received;
    while (rest.length >= 4) {
      const n = rest.readUInt32BE(0);
      out.push(rest.subarray(4 + 14, 4 + n).toString());
      rest = rest.subarray(4 + n);
    }
    return out;
  }
}

async function until(predicate: () => boolean): Promise<void> {
  for (let i = 0; i < 200 && !predicate(); i++) await new Promise((r) => setTimeout(r, 10));
}

test('Ethernet hub: floods broadcast and unknown destinations, then sends to the learned port', async () => {
  await using hub = await startEthernetHub();
  const ports = await Promise.all(
    [0, 1, 2].map(
      () =>
        new Promise<Port>((resolve) => {
          const socket = connect(hub.socketPath, () => resolve(new Port(socket)));
        }),
    ),
  );
  const [a, b, c] = ports as [Port, Port, Port];
  await until(() => hub.ports === 3);
  const A = '52:54:00:00:00:0a';
  const B = '52:54:00:00:00:0b';
  // A broadcast (an ARP request): everyone else gets it, split across two writes.
  const arp = frame('ff:ff:ff:ff:ff:ff', A, 'who-has');
  a.socket.write(arp.subarray(0, 7));
  a.socket.write(arp.subarray(7));
  // B answers A: A's port is known from its broadcast, so only A gets it.
  b.socket.write(frame(A, B, 'is-at'));
  await until(() => a.payloads().length === 1 && c.payloads().length === 1);
  // A to B, now learned: C sees nothing more.
  a.socket.write(frame(B, A, 'data'));
  await until(() => b.payloads().length === 2);
  assert.deepEqual(a.payloads(), ['is-at']);
  assert.deepEqual(b.payloads(), ['who-has', 'data']);
  assert.deepEqual(c.payloads(), ['who-has']);
  assert.equal(hub.frames, 3);
  for (const p of ports) p.socket.destroy();
});
