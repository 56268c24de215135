// sip against SIPp user agent servers on 127.0.2.4x answering OPTIONS with 200 (UDP and TCP)
// or 404, a silent UDP socket and plain listeners for the failure cases, and the Perl original
// on the same servers.
import assert from 'node:assert/strict';
import { createSocket, type Socket } from 'node:dgram';
import { accessSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { checkSip, optionsRequest } from '../../src/checkers/sip.ts';
import type { Protocol } from '../../src/model/domain.ts';
import { MARGIN_MS, runCheck, target } from '../support/checkers.ts';
import { closedPort, type Listener, released, silentListener } from '../support/listeners.ts';
import { perlUnavailableReason } from '../support/perl-ldirectord.ts';
import { perlNegotiate } from '../support/perl-negotiate.ts';
import { SIPP, type SippServer, startSipp } from '../support/sipp.ts';

const HOST = '127.0.2.40';
const LOGIN = 'ldirectord@localhost';

function sippMissing(): string | undefined {
  try {
    accessSync(SIPP);
    return undefined;
  } catch {
    return `${SIPP} is not installed (apt-get install sip-tester): the SIPp cases cannot run`;
  }
}
const skip = sippMissing();
if (skip) console.log(`# ${skip}`);

let dir = '';
let ok: SippServer;
let notFound: SippServer;
let okTcp: SippServer;
let okIpv6: SippServer;
let silentTcp: Listener;
let silentUdp: Socket;
const silentUdpSenders = new Set<number>();
let silentUdpDatagrams = 0;
let closed = 0;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'ldts-sipp-'));
  silentTcp = await silentListener(HOST);
  closed = await closedPort(HOST);
  silentUdp = createSocket('udp4');
  silentUdp.on('message', (_message, from) => {
    silentUdpDatagrams++;
    silentUdpSenders.add(from.port);
  });
  await new Promise<void>((resolve) => silentUdp.bind(0, HOST, resolve));
  if (skip) return;
  [ok, notFound, okTcp, okIpv6] = await Promise.all([
    startSipp(dir, '127.0.2.41', '200 OK', 'udp'),
    startSipp(dir, '127.0.2.42', '404 Not Found', 'udp'),
    startSipp(dir, '127.0.2.43', '200 OK', 'tcp'),
    startSipp(dir, '::1', '200 OK', 'udp'),
  ]);
});

after(async () => {
  await Promise.all([ok, notFound, okTcp, okIpv6].map((server) => server?.daemon.stop()));
  await silentTcp?.close();
  silentUdp?.close();
  rmSync(dir, { recursive: true, force: true });
});

const sipTarget = { service: 'sip', protocol: 'udp', login: LOGIN } as const;

const check = (
  host: string,
  port: number,
  protocol: Protocol,
  signal = AbortSignal.timeout(5000),
) => checkSip(target({ service: 'sip', host, port, protocol, login: LOGIN }), signal);

test("the request is the original's, byte for byte but for the Call-ID", () => {
  const request = optionsRequest(LOGIN, '127.0.0.1', 5061);
  assert.equal(
    request.replace(/Call-ID: [0-9a-f]{16}\r\n/, 'Call-ID: X\r\n'),
    [
      `OPTIONS sip:${LOGIN} SIP/2.0`,
      'Via: SIP/2.0/UDP 127.0.0.1:5061;branch=z9hG4bKhjhs8ass877',
      'Max-Forwards: 70',
      `To: <sip:${LOGIN}>`,
      `From: <sip:${LOGIN}>;tag=1928301774`,
      'Call-ID: X',
      'CSeq: 63104 OPTIONS',
      `Contact: <sip:${LOGIN}>`,
      'Accept: application/sdp',
      'Content-Length: 0',
      '',
      '',
    ].join('\r\n'),
  );
  assert.match(optionsRequest(LOGIN, '::1', 5061), /^Via: SIP\/2\.0\/UDP \[::1\]:5061;/m);
});

describe('sip on SIPp', { skip }, () => {
  test('up on 200 over UDP', async () => {
    assert.deepEqual(await check(ok.host, ok.port, 'udp'), { up: true, reason: 'SIP/2.0 200 OK' });
  });

  test('up on 200 over TCP when the virtual is tcp', async () => {
    assert.deepEqual(await check(okTcp.host, okTcp.port, 'tcp'), {
      up: true,
      reason: 'SIP/2.0 200 OK',
    });
  });

  test('up on 200 over UDP and IPv6', async () => {
    assert.deepEqual(await check(okIpv6.host, okIpv6.port, 'udp'), {
      up: true,
      reason: 'SIP/2.0 200 OK',
    });
  });

  test('down on 404, with the status line as the reason', async () => {
    assert.deepEqual(await check(notFound.host, notFound.port, 'udp'), {
      up: false,
      reason: 'SIP/2.0 404 Not Found',
    });
  });
});

describe('sip without a server', () => {
  test('down on a closed UDP port (ICMP port unreachable) and a closed TCP port', async () => {
    assert.deepEqual(await check(HOST, closed, 'udp'), { up: false, reason: 'Connection refused' });
    assert.deepEqual(await check(HOST, closed, 'tcp'), { up: false, reason: 'Connection refused' });
  });

  test('a silent UDP server: retransmitted at 0, 500 and 1500 ms, timeout at the deadline', async () => {
    const { up, reason, ms } = await runCheck(
      checkSip,
      target({ ...sipTarget, host: HOST, port: silentUdp.address().port, timeoutMs: 1800 }),
    );
    assert.deepEqual({ up, reason }, { up: false, reason: 'timeout' });
    assert.ok(ms >= 1750 && ms < 1800 + MARGIN_MS, `took ${ms} ms`);
    assert.equal(silentUdpDatagrams, 3);
    assert.equal(silentUdpSenders.size, 1, 'one socket sent them all');
  });

  test('a silent TCP server: timeout at the deadline and the socket is released', async () => {
    const { up, reason, ms } = await runCheck(
      checkSip,
      target({
        ...sipTarget,
        protocol: 'tcp',
        host: silentTcp.host,
        port: silentTcp.port,
        timeoutMs: 500,
      }),
    );
    assert.deepEqual({ up, reason }, { up: false, reason: 'timeout' });
    assert.ok(ms >= 450 && ms < 500 + MARGIN_MS, `took ${ms} ms`);
    await released(silentTcp);
  });
});

const perlSkip = skip ?? perlUnavailableReason();
describe('differential: the Perl original agrees', { skip: perlSkip, concurrency: true }, () => {
  test('udp: up on 200, down on 404 and on a closed port', async () => {
    const reals = [
      { host: ok.host, port: ok.port },
      { host: notFound.host, port: notFound.port },
      { host: HOST, port: closed },
    ];
    const perl = await perlNegotiate({ service: 'sip', protocol: 'udp', reals });
    for (const real of reals) {
      const ours = await check(real.host, real.port, 'udp');
      assert.equal(
        ours.up ? 'up' : 'down',
        perl.get(`${real.host} ${real.port}`),
        `${real.host}: ${ours.reason}`,
      );
    }
  });

  test('tcp: up on 200, down on a closed port', async () => {
    const reals = [
      { host: okTcp.host, port: okTcp.port },
      { host: HOST, port: closed },
    ];
    const perl = await perlNegotiate({ service: 'sip', protocol: 'tcp', reals });
    for (const real of reals) {
      const ours = await check(real.host, real.port, 'tcp');
      assert.equal(
        ours.up ? 'up' : 'down',
        perl.get(`${real.host} ${real.port}`),
        `${real.host}: ${ours.reason}`,
      );
    }
  });
});
