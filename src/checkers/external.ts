// checktype=external (the original's check_external / system_timeout): run checkcommand,
// without a shell, as
//     <checkcommand> <vip or fwmark> <vport> <rip> <rport>
// with IPv6 addresses in brackets, the fwmark and a vport of 0 for a firewall-mark service.
// Exit status 0 is up, anything else down. checkcommand is one program path, never split into
// words (as the original's exec: a path with spaces works, arguments inside it do not).
// Judged by the exit status, as the original: what the command leaves running (`sleep 60 &`)
// neither delays the verdict nor outlives it.
// Differences (docs/compatibility.md): a child killed by a signal is down (the original reads
// status 0 from `$? >> 8` and counts it up); a timeout kills the child's whole process group
// (the original sends SIGTERM to the child alone), and so does its exit, so nothing it started
// is left running (the original leaves it).
import { bracket } from '../lib/inet.ts';
import { type RunResult, runCommand } from '../lib/run-command.ts';
import { runWithin } from './support/deadline.ts';
import { down, errorText, TIMEOUT, up } from './support/result.ts';
import type { Checker, CheckResult, CheckTarget } from './types.ts';

/**
 * What an external (or external-perl) check reads of its target; reals that agree on these
 * share one check.
 */
export const EXTERNAL_READS = [
  'family',
  'checkcommand',
  'protocol',
  'virtualAddress',
  'virtualPort',
  'fwmark',
  'host',
  'realPort',
  'timeoutMs',
] as const satisfies readonly (keyof CheckTarget)[];
export type ExternalTarget = Pick<CheckTarget, (typeof EXTERNAL_READS)[number]>;

/** The four arguments the original passes: vip (or fwmark), vport, rip, rport. */
export function externalArguments(target: ExternalTarget): string[] {
  const vip = target.protocol === 'fwm' ? String(target.fwmark) : bracket(target.virtualAddress);
  const vport = target.protocol === 'fwm' ? 0 : target.virtualPort;
  return [vip, String(vport), bracket(target.host), String(target.realPort)];
}

/** Runs a program under the check's deadline (the signal) and maps its fate to a result. */
export function runExternal(
  file: string,
  args: string[],
  signal: AbortSignal,
): Promise<CheckResult> {
  return runWithin(signal, async () =>
    verdict(await runCommand(file, args, { signal, maxOutputBytes: 64 * 1024, leftovers: 'kill' })),
  );
}

function verdict(r: RunResult): CheckResult {
  if (r.spawnError) return down(`cannot run: ${errorText(r.spawnError)}`);
  if (r.timedOut || r.aborted) return TIMEOUT;
  const said = firstLine(r.stderr) || firstLine(r.stdout);
  const suffix = said ? `: ${said}` : '';
  if (r.signal) return down(`killed by signal ${r.signal}${suffix}`);
  if (r.code === 0) return up(`exit status 0${suffix}`);
  return down(`exit status ${r.code}${suffix}`);
}

function firstLine(text: string): string {
  const line = text.split('\n').find((l) => l.trim() !== '') ?? '';
  return line.trim().slice(0, 200);
}

export const checkExternal: Checker<ExternalTarget> = (target, signal) =>
  runExternal(target.checkcommand, externalArguments(target), signal);
