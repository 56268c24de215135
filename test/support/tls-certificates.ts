// Certificates made at test time with openssl: a private CA, a server certificate it signed
// (for a name that is not the server's address: hostname verification is off, as in the
// original), and a self-signed certificate nobody trusts. The signed certificate can also
// name IP addresses, for clients that do verify the name against the address they dialled
// (the original's IO::Socket::SSL defaults, in pops and imaps).
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface TestCertificates {
  dir: string;
  /** The CA certificate file, to trust. */
  caFile: string;
  /** Signed by the CA, CN and SAN `not-this-address.example` (plus the IPs asked for). */
  signed: { key: string; cert: string };
  /** The same as files, for servers configured with paths. */
  signedFiles: { key: string; cert: string };
  /** Self-signed, trusted by nobody unless its own file is given as a CA. */
  selfSigned: { key: string; cert: string };
  selfSignedFile: string;
  remove(): void;
}

export function makeCertificates(options: { addresses?: string[] } = {}): TestCertificates {
  const dir = mkdtempSync(join(tmpdir(), 'ldts-tls-'));
  const p = (name: string): string => join(dir, name);
  const openssl = (...args: string[]): void => {
    execFileSync('openssl', args, { stdio: 'ignore' });
  };
  openssl(
    'req',
    '-x509',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-days',
    '2',
    '-subj',
    '/CN=ldirectord-ts test CA',
    '-keyout',
    p('ca.key'),
    '-out',
    p('ca.crt'),
  );
  openssl(
    'req',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-subj',
    '/CN=not-this-address.example',
    '-keyout',
    p('signed.key'),
    '-out',
    p('signed.csr'),
  );
  const ips = (options.addresses ?? []).map((address) => `,IP:${address}`).join('');
  writeFileSync(p('ext.cnf'), `subjectAltName=DNS:not-this-address.example${ips}\n`);
  openssl(
    'x509',
    '-req',
    '-in',
    p('signed.csr'),
    '-CA',
    p('ca.crt'),
    '-CAkey',
    p('ca.key'),
    '-CAcreateserial',
    '-days',
    '2',
    '-extfile',
    p('ext.cnf'),
    '-out',
    p('signed.crt'),
  );
  openssl(
    'req',
    '-x509',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-days',
    '2',
    '-subj',
    '/CN=self-signed.example',
    '-keyout',
    p('self.key'),
    '-out',
    p('self.crt'),
  );
  const read = (name: string): string => readFileSync(p(name), 'utf8');
  return {
    dir,
    caFile: p('ca.crt'),
    signed: { key: read('signed.key'), cert: read('signed.crt') },
    signedFiles: { key: p('signed.key'), cert: p('signed.crt') },
    selfSigned: { key: read('self.key'), cert: read('self.crt') },
    selfSignedFile: p('self.crt'),
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}
