// smtp and submission (the original's check_smtp, Net::SMTP): the greeting must be 2xx and
// EHLO (or, when refused, HELO) must succeed; then QUIT. request and receive are not used.
// On submission, a server offering STARTTLS must also complete it (verified as pops/imaps
// are) and accept EHLO again over TLS; the original never starts TLS.

import { CheckFailure, Dialogue, oneLine, verdict } from './support/dialogue.ts';
import { verifyingTlsOptions } from './support/verify-tls.ts';
import type { Checker, CheckTarget } from './types.ts';

/** Net::SMTP's default Hello domain. */
const HELLO_DOMAIN = 'localhost.localdomain';

/** A reply's last line is `NNN text` (a continuation line is `NNN-text`). */
const isLastLine = (line: string): boolean => !/^\d{3}-/.test(line);
const isPositive = (reply: string[]): boolean => /^2/.test(reply.at(-1) ?? '');

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
  throw new CheckFailure(`HELO: ${oneLine(helo.at(-1) ?? '')}`);
}

const offersStartTls = (ehlo: string[]): boolean =>
  ehlo.slice(1).some((line) => /^\d{3}[- ]STARTTLS\s*$/i.test(line));

async function checkSmtp(target: CheckTarget, signal: AbortSignal): Promise<string> {
  const dialogue = await Dialogue.open({ host: target.host, port: target.port, signal });
  try {
    const greeting = await dialogue.readReply(isLastLine);
    if (!isPositive(greeting)) throw new CheckFailure(oneLine(greeting.at(-1) ?? ''));
    const ehlo = await hello(dialogue);
    let tls = '';
    if (target.service === 'submission' && offersStartTls(ehlo)) {
      const reply = await command(dialogue, 'STARTTLS');
      if (!/^220/.test(reply.at(-1) ?? '')) {
        throw new CheckFailure(`STARTTLS: ${oneLine(reply.at(-1) ?? '')}`);
      }
      await dialogue.startTls(verifyingTlsOptions()).catch((error: Error) => {
        throw new CheckFailure(`STARTTLS: ${error.message}`);
      });
      await hello(dialogue);
      tls = ' (STARTTLS)';
    }
    await dialogue.quit('QUIT\r\n');
    return oneLine(greeting.at(-1) ?? '') + tls;
  } finally {
    dialogue.close();
  }
}

export const smtp: Checker = (target, signal) => verdict(signal, () => checkSmtp(target, signal));
