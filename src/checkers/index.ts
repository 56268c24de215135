// The checker registry: which function checks what.
//
// negotiateCheckers maps every service to its negotiate check (checktype=negotiate, and the
// negotiate turn of checktype=N); its type makes a missing service a compile error. `none` is
// always up; on and off are not checks (the monitor handles them). The other checktypes have
// one checker each, in `checkers`.
//
// Dispatch the monitor does, as the original's _check_real:
//   connect on a udp virtual service -> checkers.ping (tcp and fwm -> checkers.connect)
//   ping -> checkers.ping; external -> checkers.external; external-perl -> checkers.externalPerl
// Deadlines: negotiate checks get negotiatetimeout; connect, external, external-perl get
// checktimeout; ping gets checktimeout x checkcount (split across the attempts).
import type { Service } from '../model/domain.ts';
import { checkConnect } from './connect.ts';
import { checkDns } from './dns.ts';
import { checkExternalPerl } from './external-perl.ts';
import { checkExternal } from './external.ts';
import { checkFtp } from './ftp.ts';
import { checkHttp } from './http.ts';
import { checkImap } from './imap.ts';
import { checkLdap } from './ldap.ts';
import { checkMysql } from './mysql.ts';
import { checkNntp } from './nntp.ts';
import { checkNone } from './none.ts';
import { checkOracle } from './oracle.ts';
import { checkPgsql } from './pgsql.ts';
import { checkPing } from './ping.ts';
import { checkPop } from './pop.ts';
import { checkRadius } from './radius.ts';
import { checkSimpletcp } from './simpletcp.ts';
import { checkSip } from './sip.ts';
import { checkSmtp } from './smtp.ts';
import type { Checker } from './types.ts';

export const negotiateCheckers: Record<Service, Checker> = {
  dns: checkDns,
  ftp: checkFtp,
  http: checkHttp,
  http_proxy: checkHttp,
  https: checkHttp,
  imap: checkImap,
  imaps: checkImap,
  ldap: checkLdap,
  ldaps: checkLdap,
  mysql: checkMysql,
  nntp: checkNntp,
  none: checkNone,
  oracle: checkOracle,
  pgsql: checkPgsql,
  pop: checkPop,
  pops: checkPop,
  radius: checkRadius,
  simpletcp: checkSimpletcp,
  sip: checkSip,
  smtp: checkSmtp,
  submission: checkSmtp,
};

export const checkers = {
  connect: checkConnect,
  ping: checkPing,
  external: checkExternal,
  externalPerl: checkExternalPerl,
} as const satisfies Record<string, Checker>;

export type { Checker, CheckResult, CheckTarget } from './types.ts';
