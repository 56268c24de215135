// The checker registry: which function checks what.
//
// SERVICE_DESCRIPTORS holds every service's descriptor (types.ts: its negotiate check, its
// well-known port, how it reads receive, whether virtualhost and httpmethod apply), gathered
// from the checker files that own them; its type makes a missing service a compile error.
// `none` is always up; on and off are not checks (the monitor handles them). The other
// checktypes have one checker each, in `checkers`.
//
// Dispatch the monitor does, as the original's _check_real:
//   connect on a udp virtual service -> checkers.ping (tcp and fwm -> checkers.connect)
//   ping -> checkers.ping; external -> checkers.external; external-perl -> checkers.externalPerl
// Deadlines: negotiate checks get negotiatetimeout; connect, external, external-perl get
// checktimeout; ping gets checktimeout x checkcount (split across the attempts).
import type { Service } from '../model/domain.ts';
import { checkConnect } from './connect.ts';
import { dnsServices } from './dns.ts';
import { checkExternal } from './external.ts';
import { checkExternalPerl } from './external-perl.ts';
import { ftpServices } from './ftp.ts';
import { httpServices } from './http.ts';
import { imapServices } from './imap.ts';
import { ldapServices } from './ldap.ts';
import { mysqlServices } from './mysql.ts';
import { nntpServices } from './nntp.ts';
import { noneServices } from './none.ts';
import { oracleServices } from './oracle.ts';
import { pgsqlServices } from './pgsql.ts';
import { checkPing } from './ping.ts';
import { popServices } from './pop.ts';
import { radiusServices } from './radius.ts';
import { simpletcpServices } from './simpletcp.ts';
import { sipServices } from './sip.ts';
import { smtpServices } from './smtp.ts';
import type { Checker, ServiceDescriptor } from './types.ts';

export const SERVICE_DESCRIPTORS: Readonly<Record<Service, ServiceDescriptor>> = {
  ...dnsServices,
  ...ftpServices,
  ...httpServices,
  ...imapServices,
  ...ldapServices,
  ...mysqlServices,
  ...nntpServices,
  ...noneServices,
  ...oracleServices,
  ...pgsqlServices,
  ...popServices,
  ...radiusServices,
  ...simpletcpServices,
  ...sipServices,
  ...smtpServices,
};

/** The negotiate check of a service. */
export function negotiateChecker(service: Service): Checker {
  return SERVICE_DESCRIPTORS[service].check;
}

export const checkers = {
  connect: checkConnect,
  ping: checkPing,
  external: checkExternal,
  externalPerl: checkExternalPerl,
} as const satisfies Record<string, Checker>;

export type { Checker, CheckResult, CheckTarget, ReceiveUse, ServiceDescriptor } from './types.ts';
