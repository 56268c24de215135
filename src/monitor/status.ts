// The status view (status --json, SIGUSR1, the status file): the membership's states as plain
// values. Read-only.
import { hostPort } from '../lib/inet.ts';
import type { Member, VirtualEntry } from './membership.ts';
import type { CheckRecord, MonitorPhase, MonitorStatus } from './types.ts';

export interface StatusSources {
  phase: MonitorPhase;
  entries: readonly VirtualEntry[];
  jobs: number;
  load: { running: number; queued: number; concurrency: number };
  /** Whether a real's IPVS entry is waiting to be (re)applied. */
  isPending(member: Member): boolean;
  pending: MonitorStatus['pending'];
}

export function monitorStatus(sources: StatusSources): MonitorStatus {
  return {
    phase: sources.phase,
    virtuals: sources.entries.map((e) => {
      const v = e.virtual;
      const anyUp = e.members.some((m) => m.state.up);
      return {
        id: e.vid,
        checktype: v.checktype === 'combined' ? String(v.combinedCount) : v.checktype,
        service: v.service,
        checkinterval: v.checkinterval,
        ...(v.fallback ? { fallback: hostPort(v.fallback.address, v.fallback.port) } : {}),
        fallbackActive: v.fallback !== undefined && !anyUp,
        ...(e.commandState ? { fallbackCommand: e.commandState } : {}),
        reals: e.members.map((m) => ({
          address: m.real.address,
          port: m.real.port,
          weight: m.real.weight,
          forward: m.real.forward,
          up: m.state.up,
          failcount: m.state.failcount,
          failurecount: v.failurecount,
          ...(m.maintenance ? { maintenance: m.maintenance } : {}),
          ...(m.last ? { lastCheck: lastCheck(m.last) } : {}),
          pending: sources.isPending(m),
        })),
      };
    }),
    checks: { jobs: sources.jobs, ...sources.load },
    pending: sources.pending,
  };
}

function lastCheck(last: NonNullable<Member['last']>): CheckRecord {
  const { up, reason, kind, atMs, durationMs, timedOut } = last;
  return { up, reason, kind, at: new Date(atMs).toISOString(), durationMs, timedOut };
}
