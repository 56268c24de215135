// pop and pops (the original's check_pop, Mail::POP3Client): the greeting must be +OK, and
// when a login is set USER and PASS must be accepted; then QUIT. pops speaks implicit TLS,
// the chain verified as for https. Unlike the original, which reports a POP server up
// whenever the login is empty, even on a closed port, an unreachable server is down.
import {
  CheckFailure,
  type Dialogue,
  dialogueChecker,
  oneLine,
  type TlsCheckOptions,
} from './support/dialogue.ts';
import { up } from './support/result.ts';
import type { Checker, CheckResult, NegotiateTarget, ServiceDescriptors } from './types.ts';

async function expectOk(dialogue: Dialogue, what: string): Promise<string> {
  const line = await dialogue.readLine();
  if (!line.startsWith('+OK')) throw new CheckFailure(`${what}: ${oneLine(line)}`);
  return line;
}

async function negotiate(dialogue: Dialogue, target: NegotiateTarget): Promise<CheckResult> {
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
  return up(oneLine(greeting));
}

export function createPopChecker(options: TlsCheckOptions = {}): Checker<NegotiateTarget> {
  return dialogueChecker(negotiate, { ...options, implicitTls: 'pops' });
}

export const checkPop: Checker<NegotiateTarget> = createPopChecker();

/** service=pop and pops. */
export const popServices = {
  pop: { check: checkPop, port: 110, receive: 'unused' },
  pops: { check: checkPop, port: 995, receive: 'unused' },
} satisfies ServiceDescriptors;
