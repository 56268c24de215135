// smtp and submission against a real exim4 on 127.0.2.10, plain listeners for the failure
// cases, and the Perl original on the same servers.
import assert from 'node:assert/strict';
import { accessSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { checkSmtp, createSmtpChecker } from '../../src/checkers/smtp.ts';
import type { Checker, CheckResult, CheckTarget } from '../../src/checkers/types.ts';
import { MARGIN_MS, runCheck, target } from '../support/checkers.ts';
import { EXIM, type EximServer, startExim } from '../support/exim.ts';
import { closedPort, type Listener, released, silentListener } from '../support/listeners.ts';
import { perlUnavailableReason } from '../support/perl-ldirectord.ts';
import { perlNegotiate } from '../support/perl-negotiate.ts';
import { makeCertificates, type TestCertificates } from '../support/tls-certificates.ts';

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
let certificates: TestCertificates;
let exim: EximServer;
let silent: Listener;
let closed = 0;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'ldts-exim-'));
  silent = await silentListener(HOST);
  closed = await closedPort(HOST);
  if (skip) return;
  certificates = makeCertificates({ addresses: [HOST] });
  exim = await startExim(dir, HOST, certificates.signedFiles);
});

after(async () => {
  await exim?.daemon.stop();
  await silent?.close();
  certificates?.remove();
  rmSync(dir, { recursive: true, force: true });
});

function check(fields: Partial<CheckTarget>, checker: Checker = checkSmtp): Promise<CheckResult> {
  return checker(target({ service: 'smtp', host: HOST, ...fields }), AbortSignal.timeout(5000));
}

describe('smtp', { skip }, () => {
  test('up when the greeting and EHLO succeed', async () => {
    const result = await check({ port: exim.smtpPort });
    assert.equal(result.up, true, result.reason);
    assert.match(result.reason, /^220 test\.invalid ESMTP Exim/);
  });

  test("down on a refusing greeting, in the server's words", async () => {
    assert.deepEqual(await check({ port: exim.refusingPort }), {
      up: false,
      reason: '550 no service for tests',
    });
  });

  test('down when both EHLO and HELO are refused', async () => {
    const result = await check({ port: exim.refusingHeloPort });
    assert.equal(result.up, false);
    assert.match(result.reason, /^HELO: 550 hello refused for tests/);
  });

  test('submission completes STARTTLS when the certificate chain is trusted', async () => {
    const trusting = createSmtpChecker({ caFile: certificates.caFile });
    const result = await check({ service: 'submission', port: exim.submissionPort }, trusting);
    assert.equal(result.up, true, result.reason);
    assert.match(result.reason, /^220 test\.invalid ESMTP Exim .* \(STARTTLS\)$/);
  });

  test('submission is down when the STARTTLS certificate does not verify', async () => {
    const result = await check({ service: 'submission', port: exim.submissionPort });
    assert.equal(result.up, false);
    assert.match(result.reason, /^STARTTLS: certificate verify failed/);
  });

  test('submission STARTTLS follows tlsverify, tlsca and tlsservername', async () => {
    const port = exim.submissionPort;
    const tls = { verify: true, ca: certificates.caFile };
    const byAddress = await check({ service: 'submission', port, tls });
    assert.equal(byAddress.up, true, byAddress.reason);
    const misnamed = await check({
      service: 'submission',
      port,
      tls: { ...tls, servername: 'elsewhere.example' },
    });
    assert.equal(misnamed.up, false);
    assert.match(misnamed.reason, /^STARTTLS: certificate verify failed .*elsewhere\.example/);
    const lax = await check({ service: 'submission', port, tls: { verify: false } });
    assert.equal(lax.up, true, lax.reason);
  });

  test('up over IPv6', async () => {
    const result = await check({ host: '::1', port: exim.ipv6Port });
    assert.equal(result.up, true, result.reason);
  });

  test('smtp does not start TLS even where the server offers it', async () => {
    const result = await check({ port: exim.submissionPort });
    assert.equal(result.up, true, result.reason);
    assert.doesNotMatch(result.reason, /STARTTLS/);
  });
});

describe('smtp without a server', () => {
  test('down on a closed port', async () => {
    assert.deepEqual(await check({ port: closed }), { up: false, reason: 'Connection refused' });
  });

  test('a silent server: timeout at the deadline, and the socket is released', async () => {
    const { up, reason, ms } = await runCheck(
      checkSmtp,
      target({ service: 'smtp', host: silent.host, port: silent.port, timeoutMs: 500 }),
    );
    assert.deepEqual({ up, reason }, { up: false, reason: 'timeout' });
    assert.ok(ms >= 450 && ms < 500 + MARGIN_MS, `took ${ms} ms`);
    await released(silent);
  });
});

const perlSkip = skip ?? perlUnavailableReason();
describe('differential: the Perl original agrees', { skip: perlSkip, concurrency: true }, () => {
  test('up on exim, down on a refusing greeting, a refused HELO and a closed port', async () => {
    const reals = [
      { host: HOST, port: exim.smtpPort },
      { host: HOST, port: exim.refusingPort },
      { host: HOST, port: exim.refusingHeloPort },
      { host: HOST, port: closed },
    ];
    const perl = await perlNegotiate({ service: 'smtp', reals });
    for (const real of reals) {
      const ours = await check(real);
      assert.equal(
        ours.up ? 'up' : 'down',
        perl.get(`${real.host} ${real.port}`),
        `${real.host}:${real.port}: ${ours.reason}`,
      );
    }
  });

  test('submission: the original never starts TLS; we do, and agree once the CA is trusted', async () => {
    const reals = [
      { host: HOST, port: exim.smtpPort },
      { host: HOST, port: exim.submissionPort },
      { host: HOST, port: closed },
    ];
    const perl = await perlNegotiate({ service: 'submission', reals });
    const trusting = createSmtpChecker({ caFile: certificates.caFile });
    for (const real of reals) {
      const ours = await check({ service: 'submission', ...real }, trusting);
      assert.equal(ours.up ? 'up' : 'down', perl.get(`${real.host} ${real.port}`), ours.reason);
    }
    // Without the CA the STARTTLS port is down for us only: the DECIDE row of the TLS checks.
    assert.equal(perl.get(`${HOST} ${exim.submissionPort}`), 'up');
    assert.equal((await check({ service: 'submission', port: exim.submissionPort })).up, false);
  });
});
