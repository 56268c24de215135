// checktype=ping (the original's check_ping, Net::Ping ICMP): up at the first echo reply, in
// at most `checkcount` attempts. We use the system ping (iputils), which needs no privilege of
// our own and speaks IPv4 and IPv6 (the original effectively cannot ping IPv6).
// The deadline (target.timeoutMs) covers all attempts and is split evenly between them; the
// original waits checktimeout per attempt, so the monitor should give ping checks a deadline of
// checktimeout x checkcount. The monitor also uses this checker for `checktype=connect` on
// UDP services, as the original does.
import { type RunResult, runCommand } from '../lib/run-command.ts';
import { runWithin } from './support/deadline.ts';
import { down, errorText, up } from './support/result.ts';
import type { Checker, CheckResult, CheckTarget } from './types.ts';

/** What a ping reads of its target; reals that agree on these share one check. */
export const PING_READS = [
  'family',
  'host',
  'timeoutMs',
  'checkcount',
] as const satisfies readonly (keyof CheckTarget)[];
type PingTarget = Pick<CheckTarget, (typeof PING_READS)[number]>;

const PING = 'ping';
const SPAWN_ALLOWANCE_MS = 100;

export function pingArguments(target: PingTarget, waitMs: number): string[] {
  const seconds = Math.max(waitMs, 1) / 1000;
  return [
    target.family === 6 ? '-6' : '-4',
    '-n',
    '-q',
    '-c',
    '1',
    '-W',
    seconds.toFixed(3),
    target.host,
  ];
}

export const checkPing: Checker<PingTarget> = (target, signal) =>
  runWithin(signal, async () => {
    const attempts = Math.max(1, target.checkcount);
    const started = performance.now();
    let last: CheckResult = down('no reply');
    for (let attempt = 1; attempt <= attempts && !signal.aborted; attempt++) {
      // Leave each attempt room to start ping and report, so "no reply" beats the deadline.
      const left = target.timeoutMs - (performance.now() - started) - SPAWN_ALLOWANCE_MS;
      const wait = Math.min(left, Math.max(50, target.timeoutMs / attempts - SPAWN_ALLOWANCE_MS));
      if (wait <= 0) break;
      const r = await runCommand(PING, pingArguments(target, wait), {
        signal,
        timeoutMs: wait + 500,
        killGraceMs: 200,
      });
      if (r.code === 0) return up('echo reply');
      last = failure(r, attempt, attempts);
      if (r.spawnError) break;
    }
    return last;
  });

function failure(r: RunResult, attempt: number, attempts: number): CheckResult {
  if (r.spawnError) return down(`cannot run ${PING}: ${errorText(r.spawnError)}`);
  const error = r.stderr.split('\n').find((l) => l.trim() !== '' && !l.includes('Warning'));
  const what = r.code === 1 || !error ? 'no reply' : error.trim();
  return down(`${what} (attempt ${attempt}/${attempts})`);
}
