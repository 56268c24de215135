// A CheckTarget with every field filled, and a way to run a checker under a deadline as the
// scheduler does (abort when it passes), timing it.

import type { Checker, CheckResult, CheckTarget } from '../../src/checkers/types.ts';
import type { Service } from '../../src/config/model.ts';

export function makeTarget(service: Service, overrides: Partial<CheckTarget> = {}): CheckTarget {
  return {
    service,
    protocol: 'tcp',
    family: overrides.host?.includes(':') ? 6 : 4,
    host: '127.0.0.1',
    port: 1,
    realPort: overrides.port ?? 1,
    virtualAddress: '10.0.0.1',
    virtualPort: 80,
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
    ...overrides,
  };
}

export interface TimedResult {
  result: CheckResult;
  elapsedMs: number;
}

/** Runs the checker with a signal aborted after deadlineMs (default: the target's timeoutMs). */
export async function runCheck(
  checker: Checker,
  target: CheckTarget,
  deadlineMs = target.timeoutMs,
): Promise<TimedResult> {
  const started = performance.now();
  const result = await checker(target, AbortSignal.timeout(deadlineMs));
  return { result, elapsedMs: performance.now() - started };
}
