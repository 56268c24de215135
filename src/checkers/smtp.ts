// smtp and submission (the original's check_smtp, Net::SMTP): the greeting must be 2xx and
// EHLO (or, when refused, HELO) must succeed; then QUIT. request and receive are not used.
// On submission, a server offering STARTTLS must also complete it (the chain verified as for
// https) and accept EHLO again over TLS; the original never starts TLS.
import {
  CheckFailure,
  type Dialogue,
  dialogueChecker,
  oneLine,
  type TlsCheckOptions,
} from './support/dialogue.ts';
import { up } from './support/result.ts';
import { verifyChainOnly } from './support/tls.ts';
import type { Checker, CheckResult, NegotiateTarget, ServiceDescriptors } from './types.ts';

/** Net::SMTP's default Hello domain. */
const HELLO_DOMAIN = 'localhost.localdomain';

/** A reply's last line is `NNN text` (a continuation line is `NNN-text`). */
const isLastLine = (line: string): boolean => !/^\d{3}-/.test(line);
const lastLine = (reply: string[]): string => reply.at(-1) ?? '';
const isPositive = (reply: string[]): boolean => lastLine(reply).startsWith('2');

async function command(dialogue: Dialogue, text: string): Promise<string[]> {
  dialogue.send(`${text}\r\n`);
  return dialogue.readReply(isLastLine);
}

/** EHLO, else HELO as Net::SMTP falls back; returns the EHLO reply (keywords) or []. */
async function hello(dialogue: Dialogue): Promise<string[]> {
  const ehlo = await command(dialogue, `EHLO ${HELLO_DOMAIN}`);
  if (isPositive(ehlo)) return ehlo;
  const helo = await command(dialogue, `HELO ${HELLO_DOMAIN}`);
  if (isPositive(helo)) return [];
  throw new CheckFailure(`HELO: ${oneLine(lastLine(helo))}`);
}

const offersStartTls = (ehlo: string[]): boolean =>
  ehlo.slice(1).some((line) => /^\d{3}[- ]STARTTLS\s*$/i.test(line));

async function negotiate(
  dialogue: Dialogue,
  target: NegotiateTarget,
  options: TlsCheckOptions,
): Promise<CheckResult> {
  const greeting = await dialogue.readReply(isLastLine);
  if (!isPositive(greeting)) throw new CheckFailure(oneLine(lastLine(greeting)));
  const ehlo = await hello(dialogue);
  let tls = '';
  if (target.service === 'submission' && offersStartTls(ehlo)) {
    const reply = await command(dialogue, 'STARTTLS');
    if (!lastLine(reply).startsWith('220')) {
      throw new CheckFailure(`STARTTLS: ${oneLine(lastLine(reply))}`);
    }
    await dialogue.startTls(verifyChainOnly(options.caFile)).catch((error: Error) => {
      throw new CheckFailure(`STARTTLS: ${error.message}`);
    });
    await hello(dialogue);
    tls = ' (STARTTLS)';
  }
  await dialogue.quit('QUIT\r\n');
  return up(oneLine(lastLine(greeting)) + tls);
}

export function createSmtpChecker(options: TlsCheckOptions = {}): Checker<NegotiateTarget> {
  return dialogueChecker((dialogue, target) => negotiate(dialogue, target, options));
}

export const checkSmtp: Checker<NegotiateTarget> = createSmtpChecker();

/** service=smtp and submission. */
export const smtpServices = {
  smtp: { check: checkSmtp, port: 25, receive: 'unused' },
  submission: { check: checkSmtp, port: 587, receive: 'unused' },
} satisfies ServiceDescriptors;
