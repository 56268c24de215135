// imap and imaps (the original's check_imap and check_imaps, Net::IMAP::Simple): the greeting
// must be `* OK` (or `* PREAUTH`), and when a login is set LOGIN must succeed; then LOGOUT.
// imaps speaks implicit TLS, verified as the other TLS checks are.
import { CheckFailure, Dialogue, oneLine, verdict } from './support/dialogue.ts';
import { verifyingTlsOptions } from './support/verify-tls.ts';
import type { Checker, CheckTarget } from './types.ts';

/** An IMAP quoted string (RFC 3501 §4.3); a line break cannot be quoted. */
function quoted(text: string): string {
  if (/[\r\n\0]/.test(text)) throw new CheckFailure('login or passwd contains a line break');
  return `"${text.replace(/["\\]/g, '\\$&')}"`;
}

async function checkImap(target: CheckTarget, signal: AbortSignal): Promise<string> {
  const dialogue = await Dialogue.open({
    host: target.host,
    port: target.port,
    signal,
    tls: target.service === 'imaps' ? verifyingTlsOptions() : undefined,
  });
  try {
    const greeting = await dialogue.readLine();
    if (!/^\* (OK|PREAUTH)\b/i.test(greeting)) {
      throw new CheckFailure(`greeting: ${oneLine(greeting)}`);
    }
    if (target.login !== '') {
      dialogue.send(`a1 LOGIN ${quoted(target.login)} ${quoted(target.passwd)}\r\n`);
      const reply = await dialogue.readReply((line) => line.startsWith('a1 '));
      const status = reply.at(-1)!;
      if (!/^a1 OK\b/i.test(status)) throw new CheckFailure(`LOGIN: ${oneLine(status.slice(3))}`);
    }
    await dialogue.quit('a2 LOGOUT\r\n');
    return oneLine(greeting);
  } finally {
    dialogue.close();
  }
}

export const imap: Checker = (target, signal) => verdict(signal, () => checkImap(target, signal));
