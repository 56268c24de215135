// Who is checked, and what carries over a reload: one member per (virtual, real) of the config,
// one job per distinct check (src/monitor/target.ts checkKey) shared by the members it serves,
// one entry per virtual. nextMembership compares the new config with the membership in force: a
// real whose check did not change keeps its member (state, counters, last check) and its job;
// everything else is fresh. No I/O and no timers: the monitor starts, runs and kills the jobs.
import { virtualId } from '../config/identity.ts';
import type { Config, RealServer, VirtualService } from '../config/model.ts';
import type { IpvsTable } from '../ipvs/model.ts';
import { hostPort } from '../lib/inet.ts';
import { type ScheduledJob, scheduledJob } from './scheduler.ts';
import { COMBINED_START, type RealState } from './state.ts';
import { type CheckMode, checkKey, checkMode } from './target.ts';
import type { CheckRecord } from './types.ts';

export interface Member {
  virtual: VirtualService;
  real: RealServer;
  /** False once a reload dropped it. */
  live: boolean;
  vid: string;
  /** `<virtual-id> <rip:rport> #<n>`: what survives a reload. */
  identity: string;
  mode: CheckMode;
  /** The job's key; undefined for checktype=off (never checked). */
  key: string | undefined;
  state: RealState;
  /** The last check; its time as a number, made ISO 8601 only for status(). */
  last?: Omit<CheckRecord, 'at'> & { atMs: number };
  maintenance?: string;
  /** Its first check since it appeared has not completed yet. */
  awaitingFirst: boolean;
  entry: VirtualEntry;
  /**
   * Strings for logs and the monitorfile, made when first needed and kept until the next
   * config load (most reals never change state: kept for all, they cost ~0.4 KiB each).
   */
  text: MemberText | undefined;
}

export interface MemberText {
  realId: string;
  monitor: string;
  where: string;
}

export interface VirtualEntry {
  virtual: VirtualService;
  vid: string;
  members: Member[];
  /** The fallbackcommand to run, split; undefined when none (or refused). */
  command: string[] | undefined;
  /** The last status decided; the original's fallbackcommand_status. */
  commandState: 'start' | 'stop' | undefined;
  /** Every real has had its first check: fallbackcommand may run. */
  settled: boolean;
  /** Runs of its fallbackcommand, one after the other. */
  chain: Promise<void>;
}

/** One distinct check, run for every member it serves. */
export interface Job extends ScheduledJob {
  mode: CheckMode;
  members: Member[];
  /** The connect counter of checktype=N. */
  counter: number;
}

export interface Membership {
  /** One per virtual, in config order. */
  entries: VirtualEntry[];
  /** The member of each real of each virtual. */
  byVirtual: Map<VirtualService, Map<RealServer, Member>>;
  /** By check key. */
  jobs: Map<string, Job>;
}

/** A new membership, and what the change from the previous one asks of the scheduler. */
export interface MembershipChange extends Membership {
  /** New jobs: never run yet. */
  fresh: Job[];
  /** Jobs carried over that gained members: to run now rather than at their next slot. */
  grown: Job[];
  /** Jobs of the previous membership that no member needs any more. */
  retired: Job[];
}

export function emptyMembership(): Membership {
  return { entries: [], byVirtual: new Map(), jobs: new Map() };
}

/**
 * The membership of `config`, carried over from `previous`. A member carries over when its
 * identity (virtual, real, and the real's rank among equal ones) remains with the same check;
 * it then points at the new config's objects. New members start as at start-up, from `table`.
 * Members left behind are marked dead; an entry keeps its fallbackcommand status.
 */
export function nextMembership(
  previous: Membership,
  config: Config,
  table: IpvsTable,
): MembershipChange {
  const oldEntries = new Map(previous.entries.map((e) => [e.vid, e]));
  const oldMembers = new Map<string, Member>();
  for (const e of previous.entries) for (const m of e.members) oldMembers.set(m.identity, m);
  const oldJobs = previous.jobs;
  const jobs = new Map<string, Job>();
  const fresh = new Set<Job>();
  const grown = new Set<Job>();
  const entries: VirtualEntry[] = [];
  const byVirtual = new Map<VirtualService, Map<RealServer, Member>>();

  for (const v of config.virtuals) {
    const vid = virtualId(v);
    let entry = oldEntries.get(vid);
    oldEntries.delete(vid);
    if (entry) {
      entry.virtual = v;
      entry.members = [];
    } else {
      entry = {
        virtual: v,
        vid,
        members: [],
        command: undefined,
        commandState: undefined,
        settled: false,
        chain: Promise.resolve(),
      };
    }
    const mode = checkMode(v);
    const seen = new Map<string, number>();
    const reals = new Map<RealServer, Member>();
    for (const r of v.reals) {
      const base = `${vid} ${hostPort(r.address, r.port)}`;
      const n = seen.get(base) ?? 0;
      seen.set(base, n + 1);
      // join() makes one flat string; a template literal keeps a tree of pieces per real.
      const identity = [base, `#${n}`].join(' ');
      const key = mode === 'off' ? undefined : checkKey(v, r);
      let member = oldMembers.get(identity);
      const carried = member !== undefined && member.mode === mode && member.key === key;
      if (member && carried) {
        oldMembers.delete(identity);
        member.virtual = v;
        member.real = r;
        member.entry = entry;
        member.text = undefined;
      } else {
        member = {
          virtual: v,
          real: r,
          live: true,
          vid,
          identity,
          mode,
          key,
          state: { up: initiallyUp(v, r, mode, table), failcount: 0 },
          awaitingFirst: mode !== 'off',
          entry,
          text: undefined,
        };
      }
      entry.members.push(member);
      reals.set(r, member);
      if (key === undefined) continue;
      let job = jobs.get(key);
      if (!job) {
        const old = oldJobs.get(key);
        if (old?.alive) {
          job = old;
          job.members = [];
        } else {
          job = {
            ...scheduledJob(key, v.checkinterval),
            mode,
            members: [],
            counter: COMBINED_START,
          };
          fresh.add(job);
        }
        jobs.set(key, job);
      }
      job.members.push(member);
      if (!carried && !fresh.has(job)) grown.add(job);
    }
    byVirtual.set(v, reals);
    entries.push(entry);
  }

  // push() left room for 16 more members in each; most jobs have one, for good.
  for (const job of jobs.values()) job.members = job.members.slice();
  for (const m of oldMembers.values()) m.live = false;
  const retired = [...oldJobs.values()].filter((job) => jobs.get(job.key) !== job);
  return { entries, byVirtual, jobs, fresh: [...fresh], grown: [...grown], retired };
}

/** A real present in the kernel's table with weight > 0 starts up; `on` always, `off` never. */
export function initiallyUp(
  v: VirtualService,
  r: RealServer,
  mode: CheckMode,
  table: IpvsTable,
): boolean {
  if (mode === 'on') return true;
  if (mode === 'off') return false;
  const service = table.services.find(
    (s) =>
      s.protocol === v.protocol &&
      s.family === v.family &&
      (v.protocol === 'fwm' ? s.fwmark === v.fwmark : s.address === v.address && s.port === v.port),
  );
  if (!service) return false;
  const exact = service.destinations.find((d) => d.address === r.address && d.port === r.port);
  // ipvsadm gives a gate or ipip real of an address:port virtual the virtual's port (§3.9).
  const mapped =
    exact ??
    (v.protocol !== 'fwm' && r.forward !== 'masq'
      ? service.destinations.find((d) => d.address === r.address && d.port === v.port)
      : undefined);
  return mapped !== undefined && mapped.weight > 0;
}
