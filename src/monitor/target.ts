// What one check of a real looks like: which check runs, against which address and port,
// under which deadline, and which checks of different virtuals are the same check (dedup).
// Pure functions of the config.
import type { CheckTarget } from '../checkers/types.ts';
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
 * Two (virtual, real) pairs with the same key run one shared check per interval. The key holds
 * everything that can change the outcome of the check the mode runs, and the interval (so each
 * virtual's failurecount counts failures at its own pace). It is broader than the original's
 * real-id, which ignores the credentials and the timeouts. External checks see the virtual's
 * address and port as arguments, so those are part of their key; the other checks never look
 * at the virtual, so the same real behind two virtual addresses is checked once.
 * The key contains passwords: keep it in memory, never log or show it.
 */
export function checkKey(v: VirtualService, r: RealServer): string {
  const mode = checkMode(v);
  const common = [mode, v.checkinterval, v.family, r.address];
  const { request, receive } = effectiveRequest(v, r);
  const connect = [v.protocol, checkPort(v, r), v.checktimeout];
  const negotiate = [
    v.service,
    v.protocol,
    checkPort(v, r),
    request,
    receive,
    v.login,
    v.passwd,
    v.database,
    v.secret,
    v.virtualhost ?? null,
    v.httpmethod,
    v.checktimeout,
    v.negotiatetimeout,
  ];
  let specific: unknown[];
  switch (mode) {
    case 'connect':
      specific = connect;
      break;
    case 'ping':
      specific = [v.checktimeout, v.checkcount];
      break;
    case 'negotiate':
      specific = negotiate;
      break;
    case 'combined':
      specific = [...negotiate, v.combinedCount];
      break;
    case 'external':
    case 'external-perl':
      specific = [v.checkcommand, v.protocol, v.address, v.port, v.fwmark, r.port, v.checktimeout];
      break;
    case 'on':
    case 'off':
      // No check runs; sharing only saves timers. The maintenance test is per real anyway.
      specific = [r.port];
      break;
  }
  return JSON.stringify([...common, ...specific]);
}
