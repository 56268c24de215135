// The status view (status --json, SIGUSR1, the status file): the membership's states as plain
// values. Read-only.
import { takesTraffic } from '../ipvs/override.ts';
import { minHealthyNeeded } from '../ipvs/plan.ts';
import { hostPort } from '../lib/inet.ts';
import type { Member, VirtualEntry } from './membership.ts';
import type { AgentStatus, CheckRecord, MonitorPhase, MonitorStatus } from './types.ts';

export interface StatusSources {
  phase: MonitorPhase;
  entries: readonly VirtualEntry[];
  jobs: number;
  load: { running: number; queued: number; concurrency: number };
  /** Whether a real's IPVS entry is waiting to be (re)applied. */
  isPending(member: Member): boolean;
  /** Whether a real is in the table: its check passes and its agent (if any) allows it. */
  inTable(member: Member): boolean;
  /** What its agent said, when it has one. */
  agent(member: Member): AgentStatus | undefined;
  /** Its weight while it ramps up after coming back (slowstart); undefined otherwise. */
  slowStartWeight(member: Member): number | undefined;
  pending: MonitorStatus['pending'];
}

export function monitorStatus(sources: StatusSources): MonitorStatus {
  return {
    phase: sources.phase,
    virtuals: sources.entries.map((e) => {
      const v = e.virtual;
      const anyUp = e.members.some((m) => takesTraffic(sources.inTable(m), m.override?.override));
      const needed = minHealthyNeeded(v, e.members.length);
      return {
        id: e.vid,
        checktype: v.checktype === 'combined' ? String(v.combinedCount) : v.checktype,
        service: v.service,
        checkinterval: v.checkinterval,
        ...(v.fallback ? { fallback: hostPort(v.fallback.address, v.fallback.port) } : {}),
        fallbackActive: v.fallback !== undefined && !anyUp,
        ...(e.commandState ? { fallbackCommand: e.commandState } : {}),
        ...(needed > 0 ? { minhealthy: { needed, holding: e.holding } } : {}),
        reals: e.members.map((m) => ({
          address: m.real.address,
          port: m.real.port,
          weight: m.real.weight,
          forward: m.real.forward,
          up: m.state.up,
          failcount: m.state.failcount,
          failurecount: v.failurecount,
          ...(m.maintenance ? { maintenance: m.maintenance } : {}),
          ...(v.risecount > 1 ? { rise: m.state.rise, risecount: v.risecount } : {}),
          ...slowStartOf(sources, m),
          ...agentOf(sources, m),
          ...(m.override
            ? {
                override: {
                  ...m.override.override,
                  since: new Date(m.override.sinceMs).toISOString(),
                },
              }
            : {}),
          serving: takesTraffic(sources.inTable(m), m.override?.override),
          ...(m.last ? { lastCheck: lastCheck(m.last) } : {}),
          pending: sources.isPending(m),
        })),
      };
    }),
    checks: { jobs: sources.jobs, ...sources.load },
    pending: sources.pending,
  };
}

function slowStartOf(sources: StatusSources, m: Member): { slowStartWeight?: number } {
  const weight = sources.slowStartWeight(m);
  return weight === undefined ? {} : { slowStartWeight: weight };
}

function agentOf(sources: StatusSources, m: Member): { agent?: AgentStatus } {
  const agent = sources.agent(m);
  return agent ? { agent } : {};
}

function lastCheck(last: NonNullable<Member['last']>): CheckRecord {
  const { up, reason, kind, atMs, durationMs, timedOut } = last;
  return { up, reason, kind, at: new Date(atMs).toISOString(), durationMs, timedOut };
}
