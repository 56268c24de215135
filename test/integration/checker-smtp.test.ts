// smtp and submission against a real exim4 on 127.0.2.10 (and ::1), plain listeners for the
// failure cases, and the Perl original on the same servers.
import assert from 'node:assert/strict';
import { accessSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { smtp } from '../../src/checkers/smtp.ts';
import { checkTarget, timedCheck } from '../support/check-target.ts';
import { EXIM, type EximServer, startExim } from '../support/exim.ts';
import { closedPort, type Listener, released, silentListener } from '../support/listeners.ts';
import { perlUnavailableReason } from '../support/perl-ldirectord.ts';
import { perlNegotiate } from '../support/perl-negotiate.ts';
import { makeSelfSignedCertificate, type TestCertificate } from '../support/tls-cert.ts';

const HOST = '127.0.2.10';

function eximMissing(): string | undefined {
  try {
    accessSync(EXIM);
    return undefined;
  } catch {
    return `${EXIM} is not installed (apt-get install exim4-daemon-light): the exim cases cannot run`;
  }
}
const skip = eximMissing();
if (skip) console.log(`# ${skip}`);

let dir = '';
let certificate: TestCertificate;
let exim: EximServer;
let silent: Listener;
let closed = 0;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'ldts-exim-'));
  silent = await silentListener(HOST);
  closed = await closedPort(HOST);
  if (skip) return;
  certificate = await makeSelfSignedCertificate(dir, [HOST]);
  exim = await startExim(dir, HOST, certificate);
});

after(async () => {
  await exim?.daemon.stop();
  await silent?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('smtp', { skip }, () => {
  test('up when the greeting and EHLO succeed', async () => {
    const result = await smtp(
      checkTarget({ service: 'smtp', host: HOST, port: exim.smtpPort }),
      AbortSignal.timeout(5000),
    );
    assert.equal(result.up, true, result.reason);
    assert.match(result.reason, /^220 test\.invalid ESMTP Exim/);
  });

  test("down on a refusing greeting, in the server's words", async () => {
    const result = await smtp(
      checkTarget({ service: 'smtp', host: HOST, port: exim.refusingPort }),
      AbortSignal.timeout(5000),
    );
    assert.deepEqual(result, { up: false, reason: '550 no service for tests' });
  });

  test('down when both EHLO and HELO are refused', async () => {
    const result = await smtp(
      checkTarget({ service: 'smtp', host: HOST, port: exim.refusingHeloPort }),
      AbortSignal.timeout(5000),
    );
    assert.equal(result.up, false);
    assert.match(result.reason, /^HELO: 550 hello refused for tests/);
  });

  test('submission completes STARTTLS when the certificate is trusted (SSL_CERT_FILE)', async () => {
    process.env.SSL_CERT_FILE = certificate.certFile;
    try {
      const result = await smtp(
        checkTarget({ service: 'submission', host: HOST, port: exim.submissionPort }),
        AbortSignal.timeout(5000),
      );
      assert.equal(result.up, true, result.reason);
      assert.match(result.reason, /\(STARTTLS\)$/);
    } finally {
      delete process.env.SSL_CERT_FILE;
    }
  });

  test('submission is down when the STARTTLS certificate does not verify', async () => {
    const result = await smtp(
      checkTarget({ service: 'submission', host: HOST, port: exim.submissionPort }),
      AbortSignal.timeout(5000),
    );
    assert.equal(result.up, false);
    assert.match(result.reason, /^STARTTLS: self[- ]signed certificate/);
  });

  test('smtp does not start TLS even where the server offers it', async () => {
    const result = await smtp(
      checkTarget({ service: 'smtp', host: HOST, port: exim.submissionPort }),
      AbortSignal.timeout(5000),
    );
    assert.equal(result.up, true, result.reason);
    assert.doesNotMatch(result.reason, /STARTTLS/);
  });
});

describe('smtp without a server', () => {
  test('down on a closed port', async () => {
    const result = await smtp(
      checkTarget({ service: 'smtp', host: HOST, port: closed }),
      AbortSignal.timeout(5000),
    );
    assert.deepEqual(result, { up: false, reason: 'Connection refused' });
  });

  test('a silent server: timeout at the deadline, and the socket is released', async () => {
    const { result, ms } = await timedCheck(
      (signal) =>
        smtp(checkTarget({ service: 'smtp', host: silent.host, port: silent.port }), signal),
      500,
    );
    assert.deepEqual(result, { up: false, reason: 'timeout' });
    assert.ok(ms >= 450 && ms < 800, `took ${ms} ms`);
    await released(silent);
  });
});

const perlSkip = skip ?? perlUnavailableReason();
describe('differential: the Perl original agrees', { skip: perlSkip }, () => {
  test('up on exim, down on a refusing greeting, a refused HELO and a closed port', async () => {
    const reals = [
      { host: HOST, port: exim.smtpPort },
      { host: HOST, port: exim.refusingPort },
      { host: HOST, port: exim.refusingHeloPort },
      { host: HOST, port: closed },
    ];
    const perl = await perlNegotiate({ service: 'smtp', reals });
    for (const real of reals) {
      const ours = await smtp(checkTarget({ service: 'smtp', ...real }), AbortSignal.timeout(5000));
      assert.equal(
        ours.up ? 'up' : 'down',
        perl.get(`${real.host} ${real.port}`),
        `${real.host}:${real.port}: ${ours.reason}`,
      );
    }
  });
});
