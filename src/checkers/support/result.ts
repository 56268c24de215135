// Results and failure texts shared by the checkers. A checker never throws: every failure is
// `{ up: false, reason }`, with the reason in the words the original uses where it has them.
import { maskSecrets } from '../../lib/secrets.ts';
import type { CheckResult, CheckTarget } from '../types.ts';

export const TIMEOUT: CheckResult = Object.freeze({ up: false, reason: 'timeout' });

export function up(reason: string): CheckResult {
  return { up: true, reason };
}

export function down(reason: string): CheckResult {
  return { up: false, reason };
}

/** strerror-style texts (the original's messages come from Perl's $!). */
const ERRNO_TEXT: Record<string, string> = {
  ECONNREFUSED: 'Connection refused',
  ECONNRESET: 'Connection reset by peer',
  ECONNABORTED: 'Software caused connection abort',
  EHOSTUNREACH: 'No route to host',
  ENETUNREACH: 'Network is unreachable',
  EADDRNOTAVAIL: 'Cannot assign requested address',
  ETIMEDOUT: 'Connection timed out',
  EPIPE: 'Broken pipe',
  ENOTFOUND: 'Name or service not known',
  EAI_AGAIN: 'Temporary failure in name resolution',
  ENOENT: 'No such file or directory',
  EACCES: 'Permission denied',
};

/** Error codes that mean the connection was never established. */
export const CONNECT_FAILURES = new Set([
  'ECONNREFUSED',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EADDRNOTAVAIL',
  'ENOTFOUND',
  'EAI_AGAIN',
]);

/** Library-level timeouts that mean the same as the scheduler's deadline. */
export const TIMEOUT_CODES = new Set([
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
  'ETIMEDOUT',
  'PROTOCOL_SEQUENCE_TIMEOUT',
  'ERR_CHECK_TIMEOUT',
]);

export function errorCode(err: unknown): string | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

/** One line describing an error: the strerror text for errno codes, else the message. */
export function errorText(err: unknown): string {
  const code = errorCode(err);
  if (code && ERRNO_TEXT[code]) return ERRNO_TEXT[code];
  const message = err instanceof Error ? err.message : String(err);
  return message.split('\n')[0]!.trim() || code || 'error';
}

/** Removes the configured password and secret from a reason: they must never reach logs. */
export function redact(
  result: CheckResult,
  target: Pick<CheckTarget, 'passwd' | 'secret'>,
): CheckResult {
  const reason = maskSecrets(result.reason, [target.passwd, target.secret]);
  return reason === result.reason ? result : { up: result.up, reason };
}
