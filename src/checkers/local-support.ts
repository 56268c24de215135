// Temporary helpers for the dns, ldap, pgsql, radius and oracle checkers, until the shared ones
// of src/checkers/support/ and src/lib/perl-regex.ts land on main; then this file goes away.
import { readFileSync } from 'node:fs';
import { type ConnectionOptions, getCACertificates } from 'node:tls';
import type { Checker, CheckResult, CheckTarget } from './types.ts';

/** What a checker reports when the scheduler's deadline aborted it. */
export const ABORTED: CheckResult = { up: false, reason: 'timeout' };

/**
 * Settles with the work's result, or with ABORTED as soon as the signal aborts, after calling
 * `release` to free the sockets the work holds. Never rejects: a failure becomes a down result.
 */
export function settleOnAbort(
  signal: AbortSignal,
  work: Promise<CheckResult>,
  release: () => void,
): Promise<CheckResult> {
  return new Promise((resolve) => {
    const onAbort = (): void => {
      release();
      resolve(ABORTED);
    };
    if (signal.aborted) return onAbort();
    signal.addEventListener('abort', onAbort, { once: true });
    work
      .then(resolve, (error: unknown) => resolve({ up: false, reason: errorText(error) }))
      .finally(() => signal.removeEventListener('abort', onAbort));
  });
}

/**
 * A library's own timeout: a backstop a little past the scheduler's deadline, so the abort
 * (reason 'timeout') always comes first and the library cannot hold a socket much longer.
 */
export function backstopMs(target: CheckTarget): number {
  return target.timeoutMs + 250;
}

/** The checker, made unable to throw: a synchronous throw or a rejection becomes down. */
export function neverThrows(checker: Checker): Checker {
  return async (target, signal) => {
    try {
      return await checker(target, signal);
    } catch (error) {
      return { up: false, reason: errorText(error) };
    }
  };
}

/** One line from an error, for a reason. */
export function errorText(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  return text.split('\n')[0] || 'Error';
}

/** receive is a Perl regex; undefined when it cannot be compiled. */
export function receiveRegex(receive: string): RegExp | undefined {
  try {
    return new RegExp(receive);
  } catch {
    return undefined;
  }
}

/**
 * TLS as the https checker does it: the certificate chain is verified (the system store, which
 * honours SSL_CERT_FILE at start as OpenSSL does, plus `caFile`), the host name is not.
 */
export function tlsClientOptions(caFile?: string): ConnectionOptions {
  const ca = [...getCACertificates('system')];
  if (caFile) ca.push(readFileSync(caFile, 'utf8'));
  return { rejectUnauthorized: true, checkServerIdentity: () => undefined, ca };
}

/** Perl's truth for config strings: '' and '0' are false. */
export function perlTrue(text: string): boolean {
  return text !== '' && text !== '0';
}

/** check_sql's precondition, in its words: a login and a request are required. */
export function sqlPrerequisite(target: CheckTarget, query: string): CheckResult | undefined {
  if (perlTrue(target.login) && perlTrue(query)) return undefined;
  return {
    up: false,
    reason:
      'Error: Must specify a login and request string for MySQL, Oracle and PostgreSQL checks. ' +
      `Not adding ${target.host}.`,
  };
}

/** check_sql's verdict: up on at least one row (returned, or affected by a non-SELECT). */
export function rowsResult(rows: number): CheckResult {
  return rows > 0
    ? { up: true, reason: `${rows} row${rows === 1 ? '' : 's'}` }
    : { up: false, reason: 'Query returned no rows' };
}
