// checktype=connect (the original's check_connect): a TCP connect to the check port, closed at
// once. Up on success; down on refusal, error or timeout.
// UDP virtual services are not checked here: for them the original's connect check is a ping
// (_check_real: "udp -> check_ping"); the monitor makes that choice. fwm services use TCP.
import type { Socket } from 'node:net';
import { runWithin } from './support/deadline.ts';
import { up } from './support/result.ts';
import { connectTcp } from './support/tcp.ts';
import type { Checker, CheckTarget } from './types.ts';

/** What a connect check reads of its target; reals that agree on these share one check. */
export const CONNECT_READS = [
  'family',
  'protocol',
  'host',
  'port',
  'timeoutMs',
] as const satisfies readonly (keyof CheckTarget)[];

export const checkConnect: Checker<Pick<CheckTarget, (typeof CONNECT_READS)[number]>> = (
  target,
  signal,
) => {
  let socket: Socket | undefined;
  return runWithin(
    signal,
    async () => {
      socket = await connectTcp(target.host, target.port, { signal, timeoutMs: target.timeoutMs });
      return up('Connected');
    },
    () => socket?.destroy(),
  );
};
