// imap and imaps (the original's check_imap and check_imaps, Net::IMAP::Simple): the greeting
// must be `* OK` (or `* PREAUTH`), and when a login is set LOGIN must succeed; then LOGOUT.
// imaps speaks implicit TLS, the chain verified as for https. The check port is used (the
// original's library drops it for IPv4 reals and goes to 143 or 993).
import {
  CheckFailure,
  type Dialogue,
  dialogueChecker,
  oneLine,
  type TlsCheckOptions,
} from './support/dialogue.ts';
import { up } from './support/result.ts';
import type { Checker, CheckResult, NegotiateTarget, ServiceDescriptors } from './types.ts';

/** An IMAP quoted string (RFC 3501 §4.3); a line break cannot be quoted. */
function quoted(text: string): string {
  if (/[\r\n\0]/.test(text)) throw new CheckFailure('login or passwd contains a line break');
  return `"${text.replace(/["\\]/g, '\\$&')}"`;
}

async function negotiate(dialogue: Dialogue, target: NegotiateTarget): Promise<CheckResult> {
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
  return up(oneLine(greeting));
}

export function createImapChecker(options: TlsCheckOptions = {}): Checker<NegotiateTarget> {
  return dialogueChecker(negotiate, { ...options, implicitTls: 'imaps' });
}

export const checkImap: Checker<NegotiateTarget> = createImapChecker();

/** service=imap and imaps. */
export const imapServices = {
  imap: { check: checkImap, port: 143, receive: 'unused' },
  imaps: { check: checkImap, port: 993, receive: 'unused' },
} satisfies ServiceDescriptors;
