// Helpers for checker tests: a complete CheckTarget with sensible defaults, and a runner that
// applies the deadline the way the scheduler does (an AbortSignal) and times the check.
import type { Checker, CheckResult, CheckTarget } from '../../src/checkers/types.ts';

export function target(overrides: Partial<CheckTarget> = {}): CheckTarget {
  return {
    service: 'http',
    protocol: 'tcp',
    family: 4,
    host: '127.0.1.1',
    port: 80,
    realPort: 80,
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
    timeoutMs: 2000,
    checkcount: 1,
    ...overrides,
  };
}

export interface TimedResult extends CheckResult {
  ms: number;
}

/** Runs the checker with an AbortSignal firing at target.timeoutMs, as the scheduler would. */
export async function runCheck(checker: Checker, t: CheckTarget): Promise<TimedResult> {
  const started = performance.now();
  const result = await checker(t, AbortSignal.timeout(t.timeoutMs));
  return { ...result, ms: Math.round(performance.now() - started) };
}

/** Margin allowed past the deadline for a check to return (timers and a loaded machine). */
export const MARGIN_MS = 400;
