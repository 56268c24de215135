// A self-signed certificate made at test time with openssl, for TLS servers under test. It
// names the server's addresses (subjectAltName IP) so that clients verifying the host name,
// as the original's IO::Socket::SSL does, accept it once they trust it.
import { join } from 'node:path';
import { runCommand } from '../../src/lib/run-command.ts';

export interface TestCertificate {
  certFile: string;
  keyFile: string;
}

export async function makeSelfSignedCertificate(
  dir: string,
  addresses: string[],
): Promise<TestCertificate> {
  const certFile = join(dir, 'cert.pem');
  const keyFile = join(dir, 'key.pem');
  const result = await runCommand(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-days',
      '2',
      '-subj',
      '/CN=ldirectord-ts test',
      '-keyout',
      keyFile,
      '-out',
      certFile,
      '-addext',
      `subjectAltName=${addresses.map((address) => `IP:${address}`).join(',')}`,
    ],
    { timeoutMs: 30_000 },
  );
  if (result.code !== 0) throw new Error(`openssl req failed: ${result.stderr}`);
  return { certFile, keyFile };
}
