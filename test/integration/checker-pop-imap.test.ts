// pop, pops, imap, imaps against a real Dovecot on 127.0.2.20 and ::1, plain listeners for
// the failure cases, and the Perl original on the same server. IMAP listens on the standard
// ports 143 and 993 of this test's own address: the original (Net::IMAP::Simple 1.2211)
// ignores the check port of an IPv4 real and always connects there. § numbers in test names are
// of docs/ldirectord-behavior.md.
import assert from 'node:assert/strict';
import { accessSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { checkImap, createImapChecker } from '../../src/checkers/imap.ts';
import { checkPop, createPopChecker } from '../../src/checkers/pop.ts';
import type { Checker, CheckTarget } from '../../src/checkers/types.ts';
import { MARGIN_MS, runCheck, target } from '../support/checkers.ts';
import {
  DOVECOT,
  DOVECOT_PASSWORD,
  DOVECOT_USER,
  type DovecotServer,
  startDovecot,
} from '../support/dovecot.ts';
import {
  closedPort,
  type Listener,
  portsFree,
  released,
  silentListener,
} from '../support/listeners.ts';
import { perlUnavailableReason } from '../support/perl-ldirectord.ts';
import { perlNegotiate } from '../support/perl-negotiate.ts';
import { makeCertificates, type TestCertificates } from '../support/tls-certificates.ts';

const HOST = '127.0.2.20';
/** Where nothing listens on 143: the original's imap check goes there whatever the port. */
const EMPTY_HOST = '127.0.2.21';

function dovecotMissing(): string | undefined {
  try {
    accessSync(DOVECOT);
    return undefined;
  } catch {
    return `${DOVECOT} is not installed (apt-get install dovecot-pop3d dovecot-imapd): the Dovecot cases cannot run`;
  }
}
const skip = dovecotMissing();
if (skip) console.log(`# ${skip}`);
/** The comparisons that need IMAP on 143 and 993 (where the original goes) cannot run then. */
const standardPortsSkip =
  skip ??
  ((await portsFree(HOST, [143, 993])) && (await portsFree(EMPTY_HOST, [143]))
    ? undefined
    : `port 143 or 993 is taken on ${HOST} or ${EMPTY_HOST} (a system IMAP server?): the IMAP comparisons on the standard ports cannot run`);
if (standardPortsSkip && !skip) console.log(`# ${standardPortsSkip}`);

let dir = '';
let certificates: TestCertificates;
let dovecot: DovecotServer;
let silent: Listener;
let closed = 0;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'ldts-dovecot-'));
  silent = await silentListener(HOST);
  closed = await closedPort(HOST);
  if (skip) return;
  certificates = makeCertificates({ addresses: [HOST, '::1'] });
  dovecot = await startDovecot(dir, HOST, certificates.signedFiles, {
    ipv6: true,
    ...(standardPortsSkip ? {} : { imapPort: 143, imapsPort: 993 }),
  });
});

after(async () => {
  await dovecot?.daemon.stop();
  await silent?.close();
  certificates?.remove();
  rmSync(dir, { recursive: true, force: true });
});

const login = { login: DOVECOT_USER, passwd: DOVECOT_PASSWORD };
const wrongLogin = { login: DOVECOT_USER, passwd: 'wrong' };

function run(
  checker: Checker,
  fields: Partial<CheckTarget> & Pick<CheckTarget, 'service' | 'port'>,
) {
  return checker(target({ host: HOST, ...fields }), AbortSignal.timeout(5000));
}

/** The checkers trusting the test CA (as SSL_CERT_FILE does for the original). */
const trusting = {
  pop: (): Checker => createPopChecker({ caFile: certificates.caFile }),
  imap: (): Checker => createImapChecker({ caFile: certificates.caFile }),
};

describe('pop and pops', { skip }, () => {
  test('up on the greeting when no login is set', async () => {
    const result = await run(checkPop, { service: 'pop', port: dovecot.pop3Port });
    assert.deepEqual(result, { up: true, reason: '+OK Dovecot (Debian) ready.' });
  });

  test('up when USER and PASS are accepted', async () => {
    const result = await run(checkPop, { service: 'pop', port: dovecot.pop3Port, ...login });
    assert.equal(result.up, true, result.reason);
  });

  test('down on a wrong password, without the password in the reason', async () => {
    const result = await run(checkPop, { service: 'pop', port: dovecot.pop3Port, ...wrongLogin });
    assert.equal(result.up, false);
    assert.match(result.reason, /^PASS: -ERR \[AUTH\] Authentication failed/);
    assert.doesNotMatch(result.reason, /wrong/);
  });

  test('pops is up over TLS when the certificate is trusted (a CA file)', async () => {
    const result = await run(trusting.pop(), {
      service: 'pops',
      port: dovecot.pop3sPort,
      ...login,
    });
    assert.equal(result.up, true, result.reason);
  });

  test('pops is down when the certificate does not verify', async () => {
    const result = await run(checkPop, { service: 'pops', port: dovecot.pop3sPort });
    assert.equal(result.up, false);
    assert.match(result.reason, /^certificate verify failed/);
  });

  test('pops with tlsverify=yes: the address is in the certificate; a wrong tlsservername is down', async () => {
    const tls = { verify: true, ca: certificates.caFile };
    const byAddress = await run(checkPop, { service: 'pops', port: dovecot.pop3sPort, tls });
    assert.equal(byAddress.up, true, byAddress.reason);
    const misnamed = await run(checkPop, {
      service: 'pops',
      port: dovecot.pop3sPort,
      tls: { ...tls, servername: 'elsewhere.example' },
    });
    assert.equal(misnamed.up, false);
    assert.match(misnamed.reason, /^certificate verify failed .*elsewhere\.example/);
    const named = await run(checkPop, {
      service: 'pops',
      port: dovecot.pop3sPort,
      tls: { ...tls, servername: 'not-this-address.example' },
    });
    assert.equal(named.up, true, named.reason);
  });

  test('pop over IPv6', async () => {
    const result = await run(checkPop, {
      service: 'pop',
      host: '::1',
      port: dovecot.pop3Port,
      ...login,
    });
    assert.equal(result.up, true, result.reason);
  });
});

describe('imap and imaps', { skip }, () => {
  test('up on the greeting when no login is set', async () => {
    const result = await run(checkImap, { service: 'imap', port: dovecot.imapPort });
    assert.equal(result.up, true, result.reason);
    assert.match(result.reason, /^\* OK .*Dovecot \(Debian\) ready\.$/);
  });

  test('up when LOGIN succeeds (a password with quotes and a backslash)', async () => {
    const result = await run(checkImap, { service: 'imap', port: dovecot.imapPort, ...login });
    assert.equal(result.up, true, result.reason);
  });

  test('down on a wrong password', async () => {
    const result = await run(checkImap, { service: 'imap', port: dovecot.imapPort, ...wrongLogin });
    assert.equal(result.up, false);
    assert.match(result.reason, /^LOGIN: NO .*Authentication failed/);
  });

  test('imaps is up over TLS when the certificate is trusted (a CA file)', async () => {
    const result = await run(trusting.imap(), {
      service: 'imaps',
      port: dovecot.imapsPort,
      ...login,
    });
    assert.equal(result.up, true, result.reason);
  });

  test('imaps is down when the certificate does not verify', async () => {
    const result = await run(checkImap, { service: 'imaps', port: dovecot.imapsPort });
    assert.equal(result.up, false);
    assert.match(result.reason, /^certificate verify failed/);
  });

  test('imaps with tlsverify=no needs no CA; with tlsca the test CA alone is trusted', async () => {
    const lax = await run(checkImap, {
      service: 'imaps',
      port: dovecot.imapsPort,
      tls: { verify: false },
    });
    assert.equal(lax.up, true, lax.reason);
    const pinned = await run(checkImap, {
      service: 'imaps',
      port: dovecot.imapsPort,
      tls: { ca: certificates.caFile },
    });
    assert.equal(pinned.up, true, pinned.reason);
    const wrongCa = await run(checkImap, {
      service: 'imaps',
      port: dovecot.imapsPort,
      tls: { ca: certificates.selfSignedFile },
    });
    assert.equal(wrongCa.up, false);
    assert.match(wrongCa.reason, /^certificate verify failed/);
  });

  test('imap over IPv6', async () => {
    const result = await run(checkImap, {
      service: 'imap',
      host: '::1',
      port: dovecot.imapPort,
      ...login,
    });
    assert.equal(result.up, true, result.reason);
  });
});

describe('pop and imap without a server', () => {
  for (const [checker, service] of [
    [checkPop, 'pop'],
    [checkPop, 'pops'],
    [checkImap, 'imap'],
    [checkImap, 'imaps'],
  ] as const) {
    test(`${service}: down on a closed port, with or without a login`, async () => {
      assert.deepEqual(await run(checker, { service, port: closed }), {
        up: false,
        reason: 'Connection refused',
      });
      assert.deepEqual(await run(checker, { service, port: closed, ...login }), {
        up: false,
        reason: 'Connection refused',
      });
    });

    test(`${service}: a silent server times out at the deadline and the socket is released`, async () => {
      const { up, reason, ms } = await runCheck(
        checker,
        target({ service, host: silent.host, port: silent.port, ...login, timeoutMs: 500 }),
      );
      assert.deepEqual({ up, reason }, { up: false, reason: 'timeout' });
      assert.ok(ms >= 450 && ms < 500 + MARGIN_MS, `took ${ms} ms`);
      await released(silent);
    });
  }
});

const perlSkip = skip ?? perlUnavailableReason();
// Each Perl run waits for its checks; running them side by side keeps this file short.
describe(
  'differential: the Perl original agrees but where §6 says it is wrong',
  {
    skip: perlSkip,
    concurrency: true,
  },
  () => {
    const perlLogin = (credentials: { login: string; passwd: string }) => [
      `login="${credentials.login}"`,
      `passwd="${credentials.passwd}"`,
    ];

    test('pop: up with the right login, down with a wrong one or a closed port', async () => {
      const port = dovecot.pop3Port;
      const [right, wrong] = await Promise.all([
        perlNegotiate({
          service: 'pop',
          reals: [
            { host: HOST, port },
            { host: HOST, port: closed },
          ],
          lines: perlLogin(login),
        }),
        perlNegotiate({
          service: 'pop',
          reals: [{ host: HOST, port }],
          lines: perlLogin(wrongLogin),
        }),
      ]);
      assert.equal(right.get(`${HOST} ${port}`), 'up');
      assert.equal(right.get(`${HOST} ${closed}`), 'down');
      assert.equal(wrong.get(`${HOST} ${port}`), 'down');
      assert.equal((await run(checkPop, { service: 'pop', port, ...login })).up, true);
      assert.equal((await run(checkPop, { service: 'pop', port: closed, ...login })).up, false);
      assert.equal((await run(checkPop, { service: 'pop', port, ...wrongLogin })).up, false);
    });

    test('pop without a login: the original says up on a closed port (§6 item 24, fixed)', async () => {
      const perl = await perlNegotiate({ service: 'pop', reals: [{ host: HOST, port: closed }] });
      assert.equal(perl.get(`${HOST} ${closed}`), 'up', "the original's bug, as documented");
      assert.equal((await run(checkPop, { service: 'pop', port: closed })).up, false);
    });

    test(
      'imap: up with the right login, down with a wrong one or no server',
      {
        skip: standardPortsSkip,
      },
      async () => {
        const [right, wrong] = await Promise.all([
          perlNegotiate({
            service: 'imap',
            reals: [
              { host: HOST, port: 143 },
              { host: EMPTY_HOST, port: 143 },
            ],
            lines: perlLogin(login),
            timeoutMs: 40_000,
          }),
          perlNegotiate({
            service: 'imap',
            reals: [{ host: HOST, port: 143 }],
            lines: perlLogin(wrongLogin),
          }),
        ]);
        assert.equal(right.get(`${HOST} 143`), 'up');
        assert.equal(right.get(`${EMPTY_HOST} 143`), 'down');
        assert.equal(wrong.get(`${HOST} 143`), 'down');
        assert.equal((await run(checkImap, { service: 'imap', port: 143, ...login })).up, true);
        assert.equal(
          (await run(checkImap, { service: 'imap', host: EMPTY_HOST, port: 143, ...login })).up,
          false,
        );
        assert.equal(
          (await run(checkImap, { service: 'imap', port: 143, ...wrongLogin })).up,
          false,
        );
      },
    );

    test(
      'imap: the original checks port 143 whatever the check port (fixed)',
      {
        skip: standardPortsSkip,
      },
      async () => {
        const perl = await perlNegotiate({
          service: 'imap',
          reals: [{ host: HOST, port: closed }],
          lines: perlLogin(login),
        });
        assert.equal(perl.get(`${HOST} ${closed}`), 'up', "the original's bug: it checked 143");
        assert.equal((await run(checkImap, { service: 'imap', port: closed, ...login })).up, false);
      },
    );

    for (const service of ['pops', 'imaps'] as const) {
      const checker = service === 'pops' ? checkPop : checkImap;
      const trust = service === 'pops' ? trusting.pop : trusting.imap;
      test(
        `${service}: a certificate from an unknown CA is down for both, up for both once the CA is trusted`,
        {
          skip: service === 'imaps' ? standardPortsSkip : undefined,
        },
        async () => {
          const port = service === 'pops' ? dovecot.pop3sPort : dovecot.imapsPort;
          const reals = [{ host: HOST, port }];
          const [untrusted, trusted] = await Promise.all([
            perlNegotiate({ service, reals, lines: perlLogin(login) }),
            perlNegotiate({
              service,
              reals,
              lines: perlLogin(login),
              env: { SSL_CERT_FILE: certificates.caFile },
            }),
          ]);
          assert.equal(untrusted.get(`${HOST} ${port}`), 'down');
          assert.equal(trusted.get(`${HOST} ${port}`), 'up');
          assert.equal((await run(checker, { service, port, ...login })).up, false);
          assert.equal((await run(trust(), { service, port, ...login })).up, true);
        },
      );
    }
  },
);
