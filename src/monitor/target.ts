// What one check of a real looks like: which check runs, against which address and port,
// under which deadline, and which checks of different virtuals are the same check (dedup).
// Pure functions of the config.
import { CONNECT_READS } from '../checkers/connect.ts';
import { EXTERNAL_READS } from '../checkers/external.ts';
import { PING_READS } from '../checkers/ping.ts';
import { type CheckTarget, NEGOTIATE_IGNORES } from '../checkers/types.ts';
import { effectiveRequest } from '../config/identity.ts';
import type { RealServer, VirtualService } from '../config/model.ts';
import { effectiveCheckPort } from '../config/services.ts';
import type { CheckKind, CheckType } from '../model/domain.ts';

/** The check a virtual's checktype asks for, with the original's dispatch rules applied. */
export type CheckMode = CheckType;
export type { CheckKind };

/** ld_checkport, with 0 where the original has no port either (service none, simpletcp). */
export function checkPort(v: VirtualService, r: RealServer): number {
  return effectiveCheckPort(v, r) ?? 0;
}

/** _check_real's dispatch: a UDP connect check is a ping (§4.3 item 3). */
export function checkMode(v: VirtualService): CheckMode {
  if (v.checktype === 'connect' && v.protocol === 'udp') return 'ping';
  return v.checktype;
}

/**
 * The deadline of one check (§4.4): negotiatetimeout for a negotiate check, checktimeout for
 * the others. A ping makes checkcount attempts of checktimeout each, so its deadline covers
 * them all.
 */
export function deadlineMs(v: VirtualService, kind: CheckKind): number {
  const seconds =
    kind === 'negotiate'
      ? v.negotiatetimeout
      : kind === 'ping'
        ? v.checktimeout * Math.max(1, v.checkcount)
        : v.checktimeout;
  return Math.max(1, Math.round(seconds * 1000));
}

/** The target a checker receives for one check of real r in virtual v. */
export function buildCheckTarget(v: VirtualService, r: RealServer, kind: CheckKind): CheckTarget {
  const { request, receive } = effectiveRequest(v, r);
  const target: CheckTarget = {
    service: v.service,
    protocol: v.protocol,
    family: v.family,
    host: r.address,
    port: checkPort(v, r),
    realPort: r.port,
    virtualAddress: v.address,
    virtualPort: v.port,
    fwmark: v.fwmark,
    request,
    receive,
    login: v.login,
    passwd: v.passwd,
    database: v.database,
    secret: v.secret,
    httpmethod: v.httpmethod,
    checkcommand: v.checkcommand,
    timeoutMs: deadlineMs(v, kind),
    checkcount: v.checkcount,
  };
  if (v.virtualhost !== undefined) target.virtualhost = v.virtualhost;
  return target;
}

/**
 * What the check of each kind reads of its target (each checker declares it, and its type
 * lets it read no more), as the values that make two checks the same.
 */
const READS: Record<CheckKind, (target: CheckTarget) => unknown[]> = {
  connect: (t) => CONNECT_READS.map((field) => t[field]),
  ping: (t) => PING_READS.map((field) => t[field]),
  negotiate: (t) => Object.entries(t).filter(([field]) => !NEGOTIATE_IGNORED.has(field)),
  external: (t) => EXTERNAL_READS.map((field) => t[field]),
  'external-perl': (t) => EXTERNAL_READS.map((field) => t[field]),
  // No check runs; sharing only saves timers. The maintenance test is per real anyway.
  on: (t) => [t.family, t.host, t.realPort],
};
const NEGOTIATE_IGNORED: ReadonlySet<string> = new Set(NEGOTIATE_IGNORES);

/** The kinds of check a mode runs (checktype=N alternates connect and negotiate). */
const KINDS: Record<CheckMode, readonly CheckKind[]> = {
  connect: ['connect'],
  ping: ['ping'],
  negotiate: ['negotiate'],
  combined: ['connect', 'negotiate'],
  external: ['external'],
  'external-perl': ['external-perl'],
  on: ['on'],
  off: ['on'],
};

/**
 * Two (virtual, real) pairs with the same key run one shared check per interval. The key is
 * derived from the targets the mode's checks are built with (buildCheckTarget), keeping what
 * each kind of check reads of them, plus the interval (so each virtual's failurecount counts
 * failures at its own pace) and the N of checktype=N. It is broader than the original's
 * real-id, which ignores the credentials and the timeouts. External checks see the virtual's
 * address and port as arguments, so those are part of their key; the other checks never look
 * at the virtual, so the same real behind two virtual addresses is checked once.
 * The key contains passwords: keep it in memory, never log or show it.
 */
export function checkKey(v: VirtualService, r: RealServer): string {
  const mode = checkMode(v);
  const reads = KINDS[mode].map((kind) => READS[kind](buildCheckTarget(v, r, kind)));
  const combinedCount = mode === 'combined' ? v.combinedCount : 0;
  return JSON.stringify([mode, v.checkinterval, combinedCount, ...reads]);
}
