// nntp (the original's check_nntp): connect, read the greeting (at most 64 bytes, as the
// original) and require it to start with 2 (200 posting allowed, 201 not allowed).
import { runWithin } from './support/deadline.ts';
import { CheckFailure, Dialogue, endpoint, oneLine } from './support/dialogue.ts';
import { up } from './support/result.ts';
import type { Checker, NegotiateTarget, ServiceDescriptors } from './types.ts';

const GREETING_BYTES = 64;

export const checkNntp: Checker<NegotiateTarget> = (target, signal) => {
  let dialogue: Dialogue | undefined;
  return runWithin(
    signal,
    async () => {
      dialogue = await Dialogue.open({ ...endpoint(target), signal });
      const greeting = (await dialogue.readSome(GREETING_BYTES)).toString('utf8');
      if (!greeting.startsWith('2')) throw new CheckFailure(oneLine(greeting));
      await dialogue.quit('QUIT\r\n');
      return up(oneLine(greeting));
    },
    () => dialogue?.close(),
  );
};

/** service=nntp. */
export const nntpServices = {
  nntp: { check: checkNntp, port: 119, receive: 'unused' },
} satisfies ServiceDescriptors;
