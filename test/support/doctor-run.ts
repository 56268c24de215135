// Runs the built `ldirectord-ts doctor` inside a test's network namespace and reads its JSON.
import assert from 'node:assert/strict';
import type { DoctorReport } from '../../src/doctor/report.ts';
import type { Finding } from '../../src/doctor/types.ts';
import { BIN } from './ldts.ts';
import type { Netns, NsRun } from './netns.ts';

export interface DoctorRun extends NsRun {
  report: DoctorReport;
}

/** `doctor --json <args>` in the namespace; the report parsed. */
export async function doctorJson(
  ns: Netns,
  args: readonly string[],
  env?: NodeJS.ProcessEnv,
): Promise<DoctorRun> {
  const r = await ns.exec([process.execPath, BIN, 'doctor', '--json', ...args], env);
  let report: DoctorReport;
  try {
    report = JSON.parse(r.stdout) as DoctorReport;
  } catch {
    throw new Error(`doctor printed no JSON (exit ${r.code}): ${r.stdout}\n${r.stderr}`);
  }
  assert.equal(r.code, report.exitCode, 'exit status is the one the report gives');
  return { ...r, report };
}

/** `doctor <args>` in the namespace, as text. */
export function doctorText(ns: Netns, args: readonly string[], env?: NodeJS.ProcessEnv) {
  return ns.exec([process.execPath, BIN, 'doctor', ...args], env);
}

export function findingsOf(report: DoctorReport, id: string): Finding[] {
  return report.findings.filter((f) => f.id === id);
}

/** A short list for assertion messages. */
export function listFindings(report: DoctorReport): string {
  return report.findings.map((f) => `${f.severity} ${f.id} ${f.subject ?? ''}`.trim()).join('; ');
}

/** Runs the commands of these findings in the namespace, in order; every one must succeed. */
export async function runFixes(ns: Netns, findings: readonly Finding[]): Promise<void> {
  for (const f of findings) {
    for (const command of f.fix) {
      const r = await ns.exec(command);
      assert.equal(r.code, 0, `${command.join(' ')}: ${r.stderr}`);
    }
  }
}
