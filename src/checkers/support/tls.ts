// TLS as the original's LWP and IO::Socket::SSL do it: the certificate chain IS verified, the
// host name is NOT (ssl_opts verify_hostname => 0), and no SNI is sent for an IP address.
// Trust comes from the system store (OpenSSL's default paths, which honour SSL_CERT_FILE and
// SSL_CERT_DIR, as for the original) plus an optional extra CA file, so that users and tests
// can trust their own CA. The secure context is built once per CA file: parsing hundreds of
// certificates for every check would dominate its cost.
import { readFileSync } from 'node:fs';
import {
  type ConnectionOptions,
  createSecureContext,
  getCACertificates,
  type SecureContext,
} from 'node:tls';

const contexts = new Map<string, SecureContext>();

/** The system CAs plus the PEM certificates in `caFile`, cached per file name. */
export function trustedContext(caFile?: string): SecureContext {
  const key = caFile ?? '';
  let context = contexts.get(key);
  if (!context) {
    const ca = [...getCACertificates('system')];
    if (caFile) ca.push(readFileSync(caFile, 'utf8'));
    context = createSecureContext({ ca });
    contexts.set(key, context);
  }
  return context;
}

/** Options for tls.connect (or undici's connector): verify the chain, not the host name. */
export function verifyChainOnly(caFile?: string): ConnectionOptions {
  return {
    secureContext: trustedContext(caFile),
    rejectUnauthorized: true,
    checkServerIdentity: () => undefined,
  };
}

/** Certificate verification failures, reported as the original does ("certificate verify failed"). */
export function isCertificateError(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return (
    typeof code === 'string' &&
    (code.includes('CERT') || code.startsWith('UNABLE_TO_') || code.includes('SELF_SIGNED'))
  );
}
