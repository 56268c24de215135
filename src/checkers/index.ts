// The checker registry: which function checks what.
//
// negotiateCheckers maps a service to its negotiate check (checktype=negotiate, and the
// negotiate turn of checktype=N). One line per service, sorted; services not listed here are
// added by their own files. `none` is always up; on and off are not checks (the monitor
// handles them). The other checktypes have one checker each, in `checkers`.
//
// Dispatch the monitor does, as the original's _check_real:
//   connect on a udp virtual service -> checkers.ping (tcp and fwm -> checkers.connect)
//   ping -> checkers.ping; external -> checkers.external; external-perl -> checkers.externalPerl
// Deadlines: negotiate checks get negotiatetimeout; connect, external, external-perl get
// checktimeout; ping gets checktimeout x checkcount (split across the attempts).
import type { Service } from '../config/model.ts';
import { checkConnect } from './connect.ts';
import { checkExternal } from './external.ts';
import { checkExternalPerl } from './external-perl.ts';
import { checkHttp } from './http.ts';
import { checkMysql } from './mysql.ts';
import { checkNone } from './none.ts';
import { checkPing } from './ping.ts';
import { checkSimpletcp } from './simpletcp.ts';
import type { Checker } from './types.ts';

export const negotiateCheckers: Partial<Record<Service, Checker>> = {
  http: checkHttp,
  http_proxy: checkHttp,
  https: checkHttp,
  mysql: checkMysql,
  none: checkNone,
  simpletcp: checkSimpletcp,
};

export const checkers = {
  connect: checkConnect,
  ping: checkPing,
  external: checkExternal,
  externalPerl: checkExternalPerl,
} as const satisfies Record<string, Checker>;

export type { Checker, CheckResult, CheckTarget } from './types.ts';
