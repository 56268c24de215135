// service=radius against FreeRADIUS (IPv4 and IPv6), against a fake server signing its replies
// with the right or a wrong secret (the Response Authenticator check), the failure paths, and
// the Perl original's verdicts.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { createSocket } from 'node:dgram';
import { after, before, describe, test } from 'node:test';
import { checkRadius } from '../../src/checkers/radius.ts';
import type { CheckTarget } from '../../src/checkers/types.ts';
import { perlModuleMissing, perlVerdicts } from '../support/checker-differential.ts';
import { target as baseTarget, MARGIN_MS, runCheck } from '../support/checkers.ts';
import { freePort } from '../support/daemon.ts';
import {
  type FreeradiusServer,
  freeradiusUnavailable,
  RADIUS_PASSWORD,
  RADIUS_SECRET,
  RADIUS_USER,
  startFreeradius,
} from '../support/freeradius.ts';
import {
  GARBAGE,
  openSockets,
  socketsSettle,
  type UdpTestServer,
  udpListener,
} from '../support/misbehaving-servers.ts';
import { perlUnavailableReason } from '../support/perl-ldirectord.ts';

const HOST = '127.0.3.4';
const DEADLINE_MS = 1500;
/** For "at once": a long deadline, and the check must end well before it. */
const SLOW_DEADLINE_MS = 6000;

const unavailable = freeradiusUnavailable();
if (unavailable) console.log(`# radius checker: ${unavailable}; only the failure paths run`);

let server: FreeradiusServer | undefined;
let silent: UdpTestServer;
let garbage: UdpTestServer;
let closedPort: number;

before(async () => {
  const starting = unavailable ? undefined : startFreeradius([HOST, '::1']);
  [silent, garbage, closedPort] = await Promise.all([
    udpListener(HOST),
    udpListener(HOST, GARBAGE),
    freePort(HOST),
  ]);
  server = await starting;
});

after(async () => {
  await Promise.all([server?.stop(), silent.close(), garbage.close()]);
});

function target(overrides: Partial<CheckTarget>): CheckTarget {
  return baseTarget({
    service: 'radius',
    protocol: 'udp',
    host: HOST,
    port: server?.ports.get(overrides.host ?? HOST) ?? closedPort,
    login: RADIUS_USER,
    passwd: RADIUS_PASSWORD,
    secret: RADIUS_SECRET,
    timeoutMs: DEADLINE_MS,
    ...overrides,
  });
}

describe('against FreeRADIUS', { skip: unavailable }, () => {
  test('up on Access-Accept', async () => {
    const { ms: _ms, ...result } = await runCheck(checkRadius, target({}));
    assert.deepEqual(result, { up: true, reason: 'Access-Accept' });
  });

  test('IPv6: up on ::1 (NAS-IPv6-Address)', async () => {
    const { ms: _ms, ...result } = await runCheck(checkRadius, target({ host: '::1', family: 6 }));
    assert.deepEqual(result, { up: true, reason: 'Access-Accept' });
  });

  test('down on a wrong password or an unknown user: Access-Reject', async () => {
    for (const overrides of [{ passwd: 'wrong' }, { login: 'nobody-here' }]) {
      const { ms: _ms, ...result } = await runCheck(checkRadius, target(overrides));
      assert.deepEqual(result, { up: false, reason: 'Access-Reject' });
    }
  });

  test('down on a wrong secret (the server drops the request): the deadline', async () => {
    const { ms: elapsedMs, ...result } = await runCheck(
      checkRadius,
      target({ secret: 'not-the-secret' }),
    );
    assert.equal(result.up, false);
    assert.match(result.reason, /^timeout/);
    assert.ok(elapsedMs < DEADLINE_MS + MARGIN_MS, `${elapsedMs}`);
  });
});

/** A RADIUS server answering every request with `code`, signed with `secret`. */
async function fakeRadius(code: number, secret: string): Promise<{ port: number; close(): void }> {
  const socket = createSocket('udp4');
  socket.on('message', (request, from) => {
    const reply = Buffer.alloc(20);
    reply.writeUInt8(code, 0);
    reply.writeUInt8(request.readUInt8(1), 1);
    reply.writeUInt16BE(20, 2);
    createHash('md5')
      .update(reply.subarray(0, 4))
      .update(request.subarray(4, 20))
      .update(secret)
      .digest()
      .copy(reply, 4);
    socket.send(reply, from.port, from.address);
  });
  await new Promise<void>((resolve) => socket.bind(0, HOST, resolve));
  return { port: socket.address().port, close: () => socket.close() };
}

describe('the Response Authenticator', () => {
  test('a reply signed with our secret counts', async () => {
    const fake = await fakeRadius(2, RADIUS_SECRET);
    try {
      const { ms: _ms, ...result } = await runCheck(checkRadius, target({ port: fake.port }));
      assert.deepEqual(result, { up: true, reason: 'Access-Accept' });
    } finally {
      fake.close();
    }
  });

  test('an Access-Accept signed with another secret is ignored', async () => {
    const fake = await fakeRadius(2, 'a-forger');
    try {
      const { ms: elapsedMs, ...result } = await runCheck(checkRadius, target({ port: fake.port }));
      assert.equal(result.up, false);
      assert.match(result.reason, /^timeout \(ignored a reply that failed authentication/);
      assert.ok(elapsedMs < DEADLINE_MS + MARGIN_MS, `${elapsedMs}`);
    } finally {
      fake.close();
    }
  });

  test('an Access-Challenge is down', async () => {
    const fake = await fakeRadius(11, RADIUS_SECRET);
    try {
      const { ms: _ms, ...result } = await runCheck(checkRadius, target({ port: fake.port }));
      assert.deepEqual(result, { up: false, reason: 'Access-Challenge' });
    } finally {
      fake.close();
    }
  });
});

describe('failure paths', () => {
  test('port closed: Connection refused, at once', async () => {
    const { ms: elapsedMs, ...result } = await runCheck(
      checkRadius,
      target({ port: closedPort, timeoutMs: SLOW_DEADLINE_MS }),
    );
    assert.deepEqual(result, { up: false, reason: 'Connection refused' });
    assert.ok(elapsedMs < SLOW_DEADLINE_MS / 2, `${elapsedMs} ms`);
  });

  test('a server that never answers: the deadline, with resends, no socket left', async () => {
    const baseline = openSockets();
    const { ms: elapsedMs, ...result } = await runCheck(checkRadius, target({ port: silent.port }));
    assert.deepEqual(result, { up: false, reason: 'timeout' });
    assert.ok(elapsedMs >= DEADLINE_MS - 50 && elapsedMs < DEADLINE_MS + MARGIN_MS, `${elapsedMs}`);
    assert.ok(silent.received >= 2, `resent: ${silent.received} datagrams`);
    assert.ok((await socketsSettle(baseline)) <= baseline, 'no socket left open');
  });

  test('a server answering garbage: ignored until the deadline', async () => {
    const { ms: elapsedMs, ...result } = await runCheck(
      checkRadius,
      target({ port: garbage.port }),
    );
    assert.deepEqual(result, { up: false, reason: 'timeout' });
    assert.ok(elapsedMs < DEADLINE_MS + MARGIN_MS, `${elapsedMs}`);
  });
});

const perlSkip =
  unavailable ??
  perlUnavailableReason() ??
  perlModuleMissing('Authen::Radius', 'libauthen-radius-perl');
if (perlSkip && !unavailable) console.log(`# radius differential: ${perlSkip}`);

test('differential: the Perl original and ours agree', { skip: perlSkip }, async () => {
  const port = server!.ports.get(HOST)!;
  const cases = [
    { weight: 41, login: RADIUS_USER, passwd: RADIUS_PASSWORD, port },
    { weight: 42, login: RADIUS_USER, passwd: 'wrong', port },
    { weight: 43, login: 'nobody-here', passwd: RADIUS_PASSWORD, port },
    { weight: 44, login: RADIUS_USER, passwd: RADIUS_PASSWORD, port: closedPort },
  ];
  const verdicts = await perlVerdicts(
    cases.map((c) => ({
      weight: c.weight,
      host: HOST,
      port: c.port,
      service: 'radius',
      protocol: 'udp',
      login: c.login,
      passwd: c.passwd,
      secret: RADIUS_SECRET,
    })),
    { check: 3, negotiate: 2 },
  );
  for (const c of cases) {
    const perl = verdicts.get(c.weight)!;
    const { ms: _ms, ...result } = await runCheck(
      checkRadius,
      target({ login: c.login, passwd: c.passwd, port: c.port }),
    );
    assert.equal(result.up, perl.status === 'up', `case ${c.weight}: ours "${result.reason}"`);
  }
});
