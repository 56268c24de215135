// nntp (the original's check_nntp): connect, read the greeting (at most 64 bytes, as the
// original) and require it to start with 2 (200 posting allowed, 201 not allowed).
import { CheckFailure, Dialogue, oneLine, verdict } from './support/dialogue.ts';
import type { Checker, CheckTarget } from './types.ts';

const GREETING_BYTES = 64;

async function checkNntp(target: CheckTarget, signal: AbortSignal): Promise<string> {
  const dialogue = await Dialogue.open({ host: target.host, port: target.port, signal });
  try {
    const greeting = (await dialogue.readSome(GREETING_BYTES)).toString('utf8');
    if (!greeting.startsWith('2')) throw new CheckFailure(oneLine(greeting));
    await dialogue.quit('QUIT\r\n');
    return oneLine(greeting);
  } finally {
    dialogue.close();
  }
}

export const nntp: Checker = (target, signal) => verdict(signal, () => checkNntp(target, signal));
