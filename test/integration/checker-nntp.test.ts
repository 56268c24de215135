// nntp against a real innd (INN 2.7, private config and spool) on 127.0.2.30 and ::1, a
// throttled innd for a refusing greeting, plain listeners for the failure cases, and the Perl
// original on the same server.
import assert from 'node:assert/strict';
import { accessSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { checkNntp } from '../../src/checkers/nntp.ts';
import { MARGIN_MS, runCheck, target } from '../support/checkers.ts';
import { INND, type InnServer, startInn } from '../support/inn.ts';
import {
  closedPort,
  type Listener,
  released,
  scriptedListener,
  silentListener,
} from '../support/listeners.ts';
import { perlUnavailableReason } from '../support/perl-ldirectord.ts';
import { perlNegotiate } from '../support/perl-negotiate.ts';

const HOST = '127.0.2.30';

function innMissing(): string | undefined {
  try {
    accessSync(INND);
    return undefined;
  } catch {
    return `${INND} is not installed (apt-get install inn2): the innd cases cannot run`;
  }
}
const skip = innMissing();
if (skip) console.log(`# ${skip}`);

let dir = '';
let inn: InnServer;
let silent: Listener;
let refusing: Listener;
let closed = 0;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'ldts-inn-'));
  silent = await silentListener(HOST);
  refusing = await scriptedListener(HOST, '502 no permission\r\n');
  closed = await closedPort(HOST);
  if (skip) return;
  inn = await startInn(dir, HOST, { ipv6: true });
});

after(async () => {
  await inn?.daemon.stop();
  await silent?.close();
  await refusing?.close();
  rmSync(dir, { recursive: true, force: true });
});

const check = (host: string, port: number, signal = AbortSignal.timeout(5000)) =>
  checkNntp(target({ service: 'nntp', host, port }), signal);

describe('nntp on innd', { skip }, () => {
  test('up on a 200 greeting', async () => {
    const result = await check(HOST, inn.port);
    assert.equal(result.up, true, result.reason);
    assert.match(result.reason, /^200 .*InterNetNews/);
  });

  test('up over IPv6', async () => {
    const result = await check('::1', inn.port);
    assert.equal(result.up, true, result.reason);
  });

  test('down while innd is throttled (a 400 greeting)', async () => {
    await inn.throttle('paused for tests');
    try {
      assert.deepEqual(await check(HOST, inn.port), { up: false, reason: '400 paused for tests' });
    } finally {
      await inn.go('paused for tests');
    }
  });
});

describe('nntp without a server', () => {
  test('down on a greeting not starting with 2', async () => {
    assert.deepEqual(await check(HOST, refusing.port), { up: false, reason: '502 no permission' });
  });

  test('down on a closed port', async () => {
    assert.deepEqual(await check(HOST, closed), { up: false, reason: 'Connection refused' });
  });

  test('a silent server times out at the deadline and the socket is released', async () => {
    const { up, reason, ms } = await runCheck(
      checkNntp,
      target({ service: 'nntp', host: silent.host, port: silent.port, timeoutMs: 500 }),
    );
    assert.deepEqual({ up, reason }, { up: false, reason: 'timeout' });
    assert.ok(ms >= 450 && ms < 500 + MARGIN_MS, `took ${ms} ms`);
    await released(silent);
  });
});

const perlSkip = skip ?? perlUnavailableReason();
describe('differential: the Perl original agrees', { skip: perlSkip }, () => {
  test('up on innd, down on a refusing greeting and a closed port', async () => {
    const reals = [
      { host: HOST, port: inn.port },
      { host: HOST, port: refusing.port },
      { host: HOST, port: closed },
    ];
    const perl = await perlNegotiate({ service: 'nntp', reals });
    for (const real of reals) {
      const ours = await check(real.host, real.port);
      assert.equal(
        ours.up ? 'up' : 'down',
        perl.get(`${real.host} ${real.port}`),
        `${real.port}: ${ours.reason}`,
      );
    }
  });

  test('down on a throttled innd', async () => {
    await inn.throttle('paused for tests');
    try {
      const perl = await perlNegotiate({
        service: 'nntp',
        reals: [{ host: HOST, port: inn.port }],
      });
      assert.equal(perl.get(`${HOST} ${inn.port}`), 'down');
      assert.equal((await check(HOST, inn.port)).up, false);
    } finally {
      await inn.go('paused for tests');
    }
  });
});
