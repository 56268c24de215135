// ftp against a real vsftpd (anonymous, passive mode) on 127.0.2.50 and ::1, plain listeners
// for the failure cases (one stalls a transfer), and the Perl original on the same server.
// § numbers in test names are of docs/ldirectord-behavior.md.
import assert from 'node:assert/strict';
import { accessSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { checkFtp } from '../../src/checkers/ftp.ts';
import type { CheckTarget } from '../../src/checkers/types.ts';
import { MARGIN_MS, runCheck, target } from '../support/checkers.ts';
import {
  answeringListener,
  closedPort,
  type Listener,
  released,
  silentListener,
} from '../support/listeners.ts';
import { perlUnavailableReason } from '../support/perl-ldirectord.ts';
import { perlNegotiate } from '../support/perl-negotiate.ts';
import { BANNED_PASSWORD, startVsftpd, VSFTPD, type VsftpdServer } from '../support/vsftpd.ts';

const HOST = '127.0.2.50';
const FILES = { 'check.txt': 'hello from vsftpd\n' };

function vsftpdMissing(): string | undefined {
  try {
    accessSync(VSFTPD);
    return undefined;
  } catch {
    return `${VSFTPD} is not installed (apt-get install vsftpd): the vsftpd cases cannot run`;
  }
}
const skip = vsftpdMissing();
if (skip) console.log(`# ${skip}`);

let dir = '';
let vsftpd: VsftpdServer;
let vsftpd6: VsftpdServer;
let silent: Listener;
/** Data connections land here and get nothing. */
let silentData: Listener;
/** An FTP server whose transfers never send a byte. */
let stalling: Listener;
let closed = 0;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'ldts-vsftpd-'));
  silent = await silentListener(HOST);
  silentData = await silentListener(HOST);
  stalling = await answeringListener(HOST, '220 stalling\r\n', (line) => {
    const command = line.split(' ')[0]!.toUpperCase();
    if (command === 'USER') return '230 ok\r\n';
    if (command === 'EPSV')
      return `229 Entering Extended Passive Mode (|||${silentData.port}|)\r\n`;
    if (command === 'RETR') return '150 here it comes\r\n';
    return '200 ok\r\n';
  });
  closed = await closedPort(HOST);
  if (skip) return;
  [vsftpd, vsftpd6] = await Promise.all([
    startVsftpd(join(dir, 'v4'), HOST, FILES),
    startVsftpd(join(dir, 'v6'), '::1', FILES),
  ]);
});

after(async () => {
  await Promise.all([vsftpd?.daemon.stop(), vsftpd6?.daemon.stop()]);
  for (const listener of [silent, silentData, stalling]) await listener?.close();
  rmSync(dir, { recursive: true, force: true });
});

const anonymous = { login: 'anonymous', passwd: 'ldirectord@localhost' };

function check(fields: Partial<CheckTarget>, signal = AbortSignal.timeout(5000)) {
  return checkFtp(
    target({
      service: 'ftp',
      host: HOST,
      port: vsftpd?.port ?? closed,
      ...anonymous,
      ...fields,
    }),
    signal,
  );
}

describe('ftp on vsftpd', { skip }, () => {
  test('up when the login succeeds and no request is given', async () => {
    assert.deepEqual(await check({}), { up: true, reason: '220 (vsFTPd 3.0.3)' });
  });

  test('up when the request is retrieved in passive mode and matches receive', async () => {
    const result = await check({ request: '/check.txt', receive: 'hello from' });
    assert.equal(result.up, true, result.reason);
  });

  test('down when the file does not match receive: the content is the reason', async () => {
    assert.deepEqual(await check({ request: '/check.txt', receive: '^goodbye' }), {
      up: false,
      reason: 'hello from vsftpd',
    });
  });

  test('down when the request cannot be retrieved, even with an empty receive', async () => {
    assert.deepEqual(await check({ request: '/missing.txt' }), {
      up: false,
      reason: '550 Failed to open file.',
    });
  });

  test('down when the login is refused', async () => {
    assert.deepEqual(await check({ passwd: BANNED_PASSWORD }), {
      up: false,
      reason: '530 Login incorrect.',
    });
  });

  test('an empty login logs in as anonymous', async () => {
    assert.equal((await check({ login: '', passwd: '', request: '/check.txt' })).up, true);
  });

  test('up over IPv6', async () => {
    const result = await check({
      host: '::1',
      port: vsftpd6.port,
      request: '/check.txt',
      receive: 'hello',
    });
    assert.equal(result.up, true, result.reason);
  });
});

describe('ftp without a server', () => {
  test('down on a closed port', async () => {
    assert.deepEqual(await check({ port: closed }), { up: false, reason: 'Connection refused' });
  });

  test('a silent server times out at the deadline and the socket is released', async () => {
    const { up, reason, ms } = await runCheck(
      checkFtp,
      target({
        service: 'ftp',
        ...anonymous,
        host: silent.host,
        port: silent.port,
        timeoutMs: 500,
      }),
    );
    assert.deepEqual({ up, reason }, { up: false, reason: 'timeout' });
    assert.ok(ms >= 450 && ms < 500 + MARGIN_MS, `took ${ms} ms`);
    await released(silent);
  });

  test('a stalled transfer times out at the deadline and both connections are released', async () => {
    const { up, reason, ms } = await runCheck(
      checkFtp,
      target({
        service: 'ftp',
        ...anonymous,
        host: stalling.host,
        port: stalling.port,
        request: '/check.txt',
        timeoutMs: 500,
      }),
    );
    assert.deepEqual({ up, reason }, { up: false, reason: 'timeout' });
    assert.ok(ms >= 450 && ms < 500 + MARGIN_MS, `took ${ms} ms`);
    await released(stalling);
    await released(silentData);
  });
});

const perlSkip = skip ?? perlUnavailableReason();
describe(
  'differential: the Perl original agrees but where §6 says it is wrong',
  {
    skip: perlSkip,
    concurrency: true,
  },
  () => {
    test('up when the file matches; down on a mismatch and on a closed port', async () => {
      const reals = [
        { host: HOST, port: vsftpd.port },
        { host: HOST, port: closed },
      ];
      const [matching, mismatching] = await Promise.all([
        perlNegotiate({
          service: 'ftp',
          reals,
          lines: ['request="check.txt"', 'receive="hello from"'],
        }),
        perlNegotiate({
          service: 'ftp',
          reals: [reals[0]!],
          lines: ['request="check.txt"', 'receive="^goodbye"'],
        }),
      ]);
      assert.equal(matching.get(`${HOST} ${vsftpd.port}`), 'up');
      assert.equal(matching.get(`${HOST} ${closed}`), 'down');
      assert.equal(mismatching.get(`${HOST} ${vsftpd.port}`), 'down');
      assert.equal((await check({ request: '/check.txt', receive: 'hello from' })).up, true);
      assert.equal(
        (await check({ port: closed, request: '/check.txt', receive: 'hello from' })).up,
        false,
      );
      assert.equal((await check({ request: '/check.txt', receive: '^goodbye' })).up, false);
    });

    test('with an empty receive the original ignores a missing file and a refused login (§6 item 24, fixed)', async () => {
      const reals = [{ host: HOST, port: vsftpd.port }];
      const [missing, refused] = await Promise.all([
        perlNegotiate({ service: 'ftp', reals, lines: ['request="missing.txt"'] }),
        perlNegotiate({
          service: 'ftp',
          reals,
          lines: ['login="anonymous"', `passwd="${BANNED_PASSWORD}"`, 'request="check.txt"'],
        }),
      ]);
      assert.equal(
        missing.get(`${HOST} ${vsftpd.port}`),
        'up',
        "the original's bug, as documented",
      );
      assert.equal(
        refused.get(`${HOST} ${vsftpd.port}`),
        'up',
        "the original's bug, as documented",
      );
      assert.equal((await check({ request: '/missing.txt' })).up, false);
      assert.equal((await check({ passwd: BANNED_PASSWORD, request: '/check.txt' })).up, false);
    });
  },
);
