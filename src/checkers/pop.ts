// pop and pops (the original's check_pop, Mail::POP3Client): the greeting must be +OK, and
// when a login is set USER and PASS must be accepted; then QUIT. pops speaks implicit TLS,
// verified as the other TLS checks are. Unlike the original, which reports a POP server up
// whenever the login is empty, even on a closed port, an unreachable server is down.
import { CheckFailure, Dialogue, oneLine, verdict } from './support/dialogue.ts';
import { verifyingTlsOptions } from './support/verify-tls.ts';
import type { Checker, CheckTarget } from './types.ts';

async function expectOk(dialogue: Dialogue, what: string): Promise<string> {
  const line = await dialogue.readLine();
  if (!line.startsWith('+OK')) throw new CheckFailure(`${what}: ${oneLine(line)}`);
  return line;
}

async function checkPop(target: CheckTarget, signal: AbortSignal): Promise<string> {
  const dialogue = await Dialogue.open({
    host: target.host,
    port: target.port,
    signal,
    tls: target.service === 'pops' ? verifyingTlsOptions() : undefined,
  });
  try {
    const greeting = await expectOk(dialogue, 'greeting');
    if (target.login !== '') {
      if (/[\r\n]/.test(target.login + target.passwd)) {
        throw new CheckFailure('login or passwd contains a line break');
      }
      dialogue.send(`USER ${target.login}\r\n`);
      await expectOk(dialogue, 'USER');
      dialogue.send(`PASS ${target.passwd}\r\n`);
      await expectOk(dialogue, 'PASS');
    }
    await dialogue.quit('QUIT\r\n');
    return oneLine(greeting);
  } finally {
    dialogue.close();
  }
}

export const pop: Checker = (target, signal) => verdict(signal, () => checkPop(target, signal));
