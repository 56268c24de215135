// A CheckTarget with the original's defaults, for calling a checker directly in a test.
import type { CheckTarget } from '../../src/checkers/types.ts';

export function checkTarget(
  fields: Partial<CheckTarget> & Pick<CheckTarget, 'service' | 'host' | 'port'>,
): CheckTarget {
  return {
    protocol: 'tcp',
    family: fields.host.includes(':') ? 6 : 4,
    realPort: fields.port,
    virtualAddress: '127.0.2.250',
    virtualPort: fields.port,
    fwmark: 0,
    request: '/',
    receive: '',
    login: '',
    passwd: '',
    database: '',
    secret: '',
    httpmethod: 'GET',
    checkcommand: '',
    timeoutMs: 5000,
    checkcount: 1,
    ...fields,
  };
}

/** Runs check with a deadline of timeoutMs and reports how long it took. */
export async function timedCheck<T>(
  check: (signal: AbortSignal) => Promise<T>,
  timeoutMs: number,
): Promise<{ result: T; ms: number }> {
  const started = performance.now();
  const result = await check(AbortSignal.timeout(timeoutMs));
  return { result, ms: performance.now() - started };
}
