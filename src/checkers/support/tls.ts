// TLS options of every check that speaks TLS (https, ldaps, imaps, pops, submission's
// STARTTLS), from tlsverify, tlsca and tlsservername (TlsSettings). Without them, the
// original's rule as its LWP and IO::Socket::SSL apply it: the certificate chain IS verified,
// the host name is NOT (ssl_opts verify_hostname => 0), and no SNI is sent for an IP address.
// Trust comes from the system store (OpenSSL's default paths, which honour SSL_CERT_FILE and
// SSL_CERT_DIR, as for the original) plus an optional extra CA file (tests), or from the tlsca
// file alone. Secure contexts are cached: parsing hundreds of certificates for every check
// would dominate its cost. A tlsca file is read again when it changes (a new CA takes effect
// without a restart).
import { readFileSync, statSync } from 'node:fs';
import { isIP } from 'node:net';
import {
  type ConnectionOptions,
  createSecureContext,
  getCACertificates,
  type SecureContext,
} from 'node:tls';
import type { TlsSettings } from '../../model/domain.ts';

const contexts = new Map<string, SecureContext>();
/** tlsca contexts by path, with the file's identity when it was read. */
const caContexts = new Map<string, { stamp: string; context: SecureContext }>();

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

/** Thrown when the tlsca file cannot be used; the check is down with this message. */
export class TlsCaError extends Error {}

/** The certificates of a tlsca file alone, read again when its size or time changes. */
export function caFileContext(path: string): SecureContext {
  let stamp: string;
  try {
    const s = statSync(path);
    stamp = `${s.ino}:${s.size}:${s.mtimeMs}`;
  } catch (error) {
    throw new TlsCaError(`tlsca ${path}: ${(error as Error).message}`);
  }
  const cached = caContexts.get(path);
  if (cached?.stamp === stamp) return cached.context;
  let context: SecureContext;
  try {
    context = createSecureContext({ ca: readFileSync(path, 'utf8') });
  } catch (error) {
    throw new TlsCaError(`tlsca ${path}: ${(error as Error).message}`);
  }
  if (caContexts.size > 100) caContexts.clear();
  caContexts.set(path, { stamp, context });
  return context;
}

/**
 * The name a check sends as SNI and, under tlsverify=yes, verifies: tlsservername, else under
 * tlsverify=yes the HTTP virtualhost (without a port); none otherwise, nor for an address.
 */
export function tlsName(
  settings: TlsSettings | undefined,
  virtualhost?: string,
): string | undefined {
  const name =
    settings?.servername ??
    (settings?.verify === true ? virtualhost?.replace(/:\d+$/, '') : undefined);
  return name !== undefined && name !== '' && isIP(name) === 0 ? name : undefined;
}

/**
 * Options for tls.connect (or undici's connector). Under tlsverify=yes the certificate must
 * name `servername`, or without one the address connected to (Node's own identity check, which
 * compares an address with the certificate's IP entries): callers pass `host` to tls.connect.
 * `extraCa`: a CA file trusted besides the system store when tlsca is not set (tests).
 */
export function tlsOptions(
  settings: TlsSettings | undefined,
  servername?: string,
  extraCa?: string,
): ConnectionOptions {
  const sni = servername !== undefined ? { servername } : {};
  if (settings?.verify === false) {
    return { ...sni, rejectUnauthorized: false, checkServerIdentity: () => undefined };
  }
  const secureContext =
    settings?.ca !== undefined ? caFileContext(settings.ca) : trustedContext(extraCa);
  const options: ConnectionOptions = { ...sni, secureContext, rejectUnauthorized: true };
  if (settings?.verify !== true) options.checkServerIdentity = () => undefined;
  return options;
}

/** Certificate verification failures, reported as the original does ("certificate verify failed"). */
export function isCertificateError(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return (
    typeof code === 'string' &&
    (code.includes('CERT') || code.startsWith('UNABLE_TO_') || code.includes('SELF_SIGNED'))
  );
}
