// service=dns against dnsmasq (UDP and TCP, IPv4 and IPv6), the failure paths against closed
// ports and misbehaving listeners, and the Perl original's verdicts against the same server.
// § numbers in test names are of docs/ldirectord-behavior.md.
import assert from 'node:assert/strict';
import { createSocket } from 'node:dgram';
import { type AddressInfo, createServer } from 'node:net';
import { after, before, describe, test } from 'node:test';
import dnsPacket from 'dns-packet';
import { checkDns, questionFor } from '../../src/checkers/dns.ts';
import type { CheckTarget } from '../../src/checkers/types.ts';
import { perlModuleMissing, perlVerdicts } from '../support/checker-differential.ts';
import { target as baseTarget, MARGIN_MS, runCheck } from '../support/checkers.ts';
import { freePort } from '../support/daemon.ts';
import { type DnsmasqServer, dnsmasqUnavailable, startDnsmasq } from '../support/dnsmasq.ts';
import {
  eventually,
  GARBAGE,
  openSockets,
  socketsSettle,
  type TcpTestServer,
  tcpListener,
  type UdpTestServer,
  udpListener,
} from '../support/misbehaving-servers.ts';
import { perlUnavailableReason } from '../support/perl-ldirectord.ts';

const HOST = '127.0.3.1';
const RECORDS = { 'www.example.test': '192.0.2.11', 'mail.example.test': '192.0.2.25' };
const DEADLINE_MS = 1500;
/** For "at once": a long deadline, and the check must end well before it. */
const SLOW_DEADLINE_MS = 6000;

const unavailable = dnsmasqUnavailable();
if (unavailable) console.log(`# dns checker: ${unavailable}; only the failure paths run`);

let server: DnsmasqServer | undefined;
let server6: DnsmasqServer | undefined;
let silentUdp: UdpTestServer;
let garbageUdp: UdpTestServer;
let silentTcp: TcpTestServer;
let garbageTcp: TcpTestServer;
let closedPort: number;

before(async () => {
  if (!unavailable) {
    [server, server6] = await Promise.all([
      startDnsmasq(HOST, RECORDS),
      startDnsmasq('::1', RECORDS),
    ]);
  }
  [silentUdp, garbageUdp, silentTcp, garbageTcp, closedPort] = await Promise.all([
    udpListener(HOST),
    udpListener(HOST, GARBAGE),
    tcpListener(HOST),
    tcpListener(HOST, GARBAGE),
    freePort(HOST),
  ]);
});

after(async () => {
  await Promise.all([
    server?.stop(),
    server6?.stop(),
    silentUdp.close(),
    garbageUdp.close(),
    silentTcp.close(),
    garbageTcp.close(),
  ]);
});

function target(overrides: Partial<CheckTarget>): CheckTarget {
  return baseTarget({
    service: 'dns',
    protocol: 'udp',
    host: HOST,
    port: server?.port ?? closedPort,
    request: '/www.example.test',
    receive: '192\\.0\\.2\\.11',
    timeoutMs: DEADLINE_MS,
    ...overrides,
  });
}

test('an address asks for its PTR, a name for its A record', () => {
  assert.deepEqual(questionFor('192.0.2.11'), { type: 'PTR', name: '11.2.0.192.in-addr.arpa' });
  assert.deepEqual(questionFor('2001:db8::1'), {
    type: 'PTR',
    name: `1.${'0.'.repeat(23)}8.b.d.0.1.0.0.2.ip6.arpa`,
  });
  assert.deepEqual(questionFor('www.example.test.'), { type: 'A', name: 'www.example.test' });
});

describe('against dnsmasq', { skip: unavailable }, () => {
  test('up when an A answer matches receive (UDP)', async () => {
    const { ms: _ms, ...result } = await runCheck(checkDns, target({}));
    assert.deepEqual(result, { up: true, reason: 'Success' });
  });

  test('up when a PTR answer matches receive', async () => {
    const { ms: _ms, ...result } = await runCheck(
      checkDns,
      target({ request: '/192.0.2.25', receive: '^mail\\.example' }),
    );
    assert.deepEqual(result, { up: true, reason: 'Success' });
  });

  test('TCP when the virtual is tcp', async () => {
    const { ms: _ms, ...result } = await runCheck(checkDns, target({ protocol: 'tcp' }));
    assert.deepEqual(result, { up: true, reason: 'Success' });
  });

  test('IPv6: UDP and TCP to a server on ::1', async () => {
    for (const protocol of ['udp', 'tcp'] as const) {
      const { ms: _ms, ...result } = await runCheck(
        checkDns,
        target({ host: '::1', family: 6, port: server6!.port, protocol }),
      );
      assert.deepEqual(result, { up: true, reason: 'Success' }, protocol);
    }
  });

  test('down on a wrong answer: Response mismatch', async () => {
    const { ms: _ms, ...result } = await runCheck(checkDns, target({ receive: '^10\\.' }));
    assert.deepEqual(result, { up: false, reason: 'Response mismatch' });
  });

  test('down with an empty receive, even on a good answer (§6 item 27)', async () => {
    const { ms: _ms, ...result } = await runCheck(checkDns, target({ receive: '' }));
    assert.deepEqual(result, { up: false, reason: 'Response mismatch' });
  });

  test('down when the server has no answer for the name', async () => {
    const { ms: _ms, ...result } = await runCheck(
      checkDns,
      target({ request: '/nothing.example.test' }),
    );
    assert.deepEqual(result, { up: false, reason: 'Connection timed out' });
  });
});

/** A server whose UDP answers are truncated and whose TCP answers carry the A record. */
async function truncatingServer(): Promise<{ port: number; close(): Promise<void> }> {
  const answer = (query: Buffer, truncated: boolean): Buffer => {
    const asked = dnsPacket.decode(query);
    return dnsPacket.encode({
      type: 'response',
      id: asked.id,
      flags: truncated ? dnsPacket.TRUNCATED_RESPONSE : 0,
      questions: asked.questions,
      answers: truncated
        ? []
        : [{ type: 'A', name: asked.questions![0]!.name, ttl: 60, data: '192.0.2.99' }],
    });
  };
  const tcp = createServer((socket) => {
    socket.on('error', () => {});
    socket.once('data', (data: Buffer) => {
      const reply = answer(data.subarray(2), false);
      const length = Buffer.alloc(2);
      length.writeUInt16BE(reply.length);
      socket.end(Buffer.concat([length, reply]));
    });
  });
  await new Promise<void>((resolve) => tcp.listen(0, HOST, resolve));
  const port = (tcp.address() as AddressInfo).port;
  const udp = createSocket('udp4');
  udp.on('message', (query, from) => udp.send(answer(query, true), from.port, from.address));
  await new Promise<void>((resolve) => udp.bind(port, HOST, resolve));
  return {
    port,
    close: async () => {
      udp.close();
      await new Promise((resolve) => tcp.close(resolve));
    },
  };
}

test('a truncated UDP answer is asked again over TCP, as Net::DNS does', async () => {
  const server = await truncatingServer();
  try {
    const { ms: _ms, ...result } = await runCheck(
      checkDns,
      target({ port: server.port, receive: '^192\\.0\\.2\\.99$' }),
    );
    assert.deepEqual(result, { up: true, reason: 'Success' });
  } finally {
    await server.close();
  }
});

describe('failure paths', () => {
  test('port closed, UDP and TCP: down at once', async () => {
    for (const protocol of ['udp', 'tcp'] as const) {
      const { ms: elapsedMs, ...result } = await runCheck(
        checkDns,
        target({ port: closedPort, timeoutMs: SLOW_DEADLINE_MS, protocol }),
      );
      assert.deepEqual(result, { up: false, reason: 'Connection timed out' }, protocol);
      assert.ok(elapsedMs < SLOW_DEADLINE_MS / 2, `${protocol}: ${elapsedMs} ms`);
    }
  });

  test('a UDP server that never answers: the deadline, with resends, no socket left', async () => {
    const baseline = openSockets();
    const { ms: elapsedMs, ...result } = await runCheck(checkDns, target({ port: silentUdp.port }));
    assert.deepEqual(result, { up: false, reason: 'timeout' });
    assert.ok(elapsedMs >= DEADLINE_MS - 50 && elapsedMs < DEADLINE_MS + MARGIN_MS, `${elapsedMs}`);
    assert.ok(silentUdp.received >= 2, `resent: ${silentUdp.received} datagrams`);
    assert.ok((await socketsSettle(baseline)) <= baseline, 'no socket left open');
  });

  test('a UDP server answering garbage: ignored until the deadline', async () => {
    const { ms: elapsedMs, ...result } = await runCheck(
      checkDns,
      target({ port: garbageUdp.port }),
    );
    assert.deepEqual(result, { up: false, reason: 'timeout' });
    assert.ok(elapsedMs < DEADLINE_MS + MARGIN_MS, `${elapsedMs}`);
  });

  test('a TCP listener that stays silent: the deadline, connection closed', async () => {
    const baseline = openSockets();
    const accepted = silentTcp.accepted;
    const { ms: elapsedMs, ...result } = await runCheck(
      checkDns,
      target({ port: silentTcp.port, protocol: 'tcp' }),
    );
    assert.deepEqual(result, { up: false, reason: 'timeout' });
    assert.ok(elapsedMs < DEADLINE_MS + MARGIN_MS, `${elapsedMs}`);
    assert.equal(silentTcp.accepted, accepted + 1);
    assert.ok((await socketsSettle(baseline)) <= baseline, 'no socket left open');
    assert.ok(await eventually(() => silentTcp.open === 0), 'the server saw the connection close');
  });

  test('a TCP listener that speaks garbage: down', async () => {
    const { ms: _ms, ...result } = await runCheck(
      checkDns,
      target({ port: garbageTcp.port, protocol: 'tcp' }),
    );
    assert.equal(result.up, false);
  });

  test('an already aborted signal: timeout, nothing sent', async () => {
    const received = silentUdp.received;
    const result = await checkDns(target({ port: silentUdp.port }), AbortSignal.abort());
    assert.deepEqual(result, { up: false, reason: 'timeout' });
    await new Promise((r) => setTimeout(r, 50));
    assert.equal(silentUdp.received, received);
  });
});

const perlSkip =
  unavailable ?? perlUnavailableReason() ?? perlModuleMissing('Net::DNS', 'libnet-dns-perl');
if (perlSkip && !unavailable) console.log(`# dns differential: ${perlSkip}`);

test('differential: the Perl original and ours agree', { skip: perlSkip }, async () => {
  const port = server!.port;
  const cases = [
    { weight: 11, protocol: 'udp', request: 'www.example.test', receive: '192.0.2.11' },
    { weight: 12, protocol: 'udp', request: '192.0.2.25', receive: 'mail' },
    { weight: 13, protocol: 'tcp', request: 'www.example.test', receive: '192.0.2.11' },
    { weight: 14, protocol: 'udp', request: 'www.example.test', receive: '^10\\.' },
    { weight: 15, protocol: 'udp', request: 'nothing.example.test', receive: '.' },
    {
      weight: 16,
      protocol: 'tcp',
      request: 'www.example.test',
      receive: '192.0.2.11',
      closed: true,
    },
  ] as const;
  const verdicts = await perlVerdicts(
    cases.map((c) => ({
      weight: c.weight,
      host: HOST,
      port: 'closed' in c ? closedPort : port,
      service: 'dns',
      protocol: c.protocol,
      request: c.request,
      receive: c.receive,
    })),
    { check: 3, negotiate: 3 },
  );
  for (const c of cases) {
    const perl = verdicts.get(c.weight)!;
    const { ms: _ms, ...result } = await runCheck(
      checkDns,
      target({
        protocol: c.protocol,
        port: 'closed' in c ? closedPort : port,
        request: `/${c.request}`,
        receive: c.receive,
      }),
    );
    const ours = `${result.up ? 'up' : 'down'} ${result.reason}`;
    assert.equal(ours, `${perl.status} ${perl.message}`, `case ${c.weight}: ${c.request}`);
  }
});
