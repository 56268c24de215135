// Certificates made at test time with openssl: a private CA, a server certificate it signed
// (for a name that is not the server's address: hostname verification is off, as in the
// original), and a self-signed certificate nobody trusts. The signed certificate can also
// name IP addresses, for clients that do verify the name against the address they dialled
// (the original's IO::Socket::SSL defaults, in pops and imaps). issue() signs more: for other
// names and addresses, or expired.
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
  /** A further certificate signed by the CA: its names, and valid now or expired in 2020. */
  issue(options: IssueOptions): { key: string; cert: string };
  remove(): void;
}

export interface IssueOptions {
  /** CN and the first DNS name. */
  name: string;
  dns?: string[];
  ips?: string[];
  /** Valid 1-2 January 2020 only. */
  expired?: boolean;
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
  /** A new key and a signing request for `name`, as <file>.key and <file>.csr. */
  const request = (name: string, file: string): void =>
    openssl(
      'req',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-subj',
      `/CN=${name}`,
      '-keyout',
      p(`${file}.key`),
      '-out',
      p(`${file}.csr`),
    );
  request('not-this-address.example', 'signed');
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
  let issued = 0;
  // `openssl ca` sets any validity period (x509 -req can only count days from now).
  writeFileSync(p('index.txt'), '');
  writeFileSync(p('serial'), '1000\n');
  writeFileSync(
    p('ca.cnf'),
    [
      '[ca]',
      'default_ca = test',
      '[test]',
      `database = ${p('index.txt')}`,
      `new_certs_dir = ${dir}`,
      `certificate = ${p('ca.crt')}`,
      `private_key = ${p('ca.key')}`,
      `serial = ${p('serial')}`,
      'default_md = sha256',
      'unique_subject = no',
      'policy = any',
      '[any]',
      'commonName = supplied',
      '',
    ].join('\n'),
  );
  const issue = (options: IssueOptions): { key: string; cert: string } => {
    const n = `issued-${++issued}`;
    request(options.name, n);
    const names = [options.name, ...(options.dns ?? [])].map((d) => `DNS:${d}`);
    const addresses = (options.ips ?? []).map((a) => `IP:${a}`);
    writeFileSync(p(`${n}.ext`), `subjectAltName=${[...names, ...addresses].join(',')}\n`);
    const validity = options.expired
      ? ['-startdate', '20200101000000Z', '-enddate', '20200102000000Z']
      : ['-days', '2'];
    openssl(
      'ca',
      '-batch',
      '-notext',
      '-config',
      p('ca.cnf'),
      '-in',
      p(`${n}.csr`),
      '-out',
      p(`${n}.crt`),
      '-extfile',
      p(`${n}.ext`),
      ...validity,
    );
    return { key: read(`${n}.key`), cert: read(`${n}.crt`) };
  };
  return {
    dir,
    caFile: p('ca.crt'),
    signed: { key: read('signed.key'), cert: read('signed.crt') },
    signedFiles: { key: p('signed.key'), cert: p('signed.crt') },
    selfSigned: { key: read('self.key'), cert: read('self.crt') },
    selfSignedFile: p('self.crt'),
    issue,
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}
