// TLS options for the checkers that speak TLS to a real server (pops, imaps, submission's
// STARTTLS), matching the original's IO::Socket::SSL defaults as the http(s) checker does:
// the certificate chain is verified, the host name is not (reals are addressed by IP).
// SSL_CERT_FILE, which OpenSSL and so the original honour, adds a CA to trust.
import { readFileSync } from 'node:fs';
import { type ConnectionOptions, rootCertificates } from 'node:tls';

let cached: { file: string; ca: string[] } | undefined;

function trustedCas(): string[] {
  const file = process.env.SSL_CERT_FILE ?? '';
  if (cached?.file === file) return cached.ca;
  let extra: string[] = [];
  if (file !== '') {
    try {
      extra = [readFileSync(file, 'utf8')];
    } catch {
      // unreadable: trust the system store only, as OpenSSL does
    }
  }
  cached = { file, ca: [...rootCertificates, ...extra] };
  return cached.ca;
}

export function verifyingTlsOptions(): ConnectionOptions {
  return {
    rejectUnauthorized: true,
    checkServerIdentity: () => undefined,
    ca: trustedCas(),
  };
}
