// service=ldap and ldaps (check_ldap): bind, anonymously or as login/passwd when both are set,
// then search base = request without its leading '/', scope base, filter (objectClass=*);
// exactly one entry is required, and its DN must match receive when receive is set (§4.6).
//
// The client is ldapts (promise-based, TLS, maintained). Its sockets are created through our
// own connect functions, so they are destroyed when the check ends or is aborted, even
// mid-handshake (no unbind is sent: the original does not send one either).
// ldaps verifies the certificate chain but not the host name, as the https checker does, against
// the system store plus an optional CA file; the original verifies nothing (docs/compatibility.md).
import { connect as netConnect, type Socket } from 'node:net';
import { type ConnectionOptions, connect as tlsConnect } from 'node:tls';
import { Client, ResultCodeError } from 'ldapts';
import { bracket } from '../lib/inet.ts';
import { perlBytes } from '../lib/perl-regex.ts';
import { perlTrue } from '../lib/perl.ts';
import { backstopMs, runWithin } from './support/deadline.ts';
import { hasReceive, receivePattern } from './support/receive.ts';
import { down, errorText, up } from './support/result.ts';
import { verifyChainOnly } from './support/tls.ts';
import type { Checker, CheckResult, NegotiateTarget, ServiceDescriptors } from './types.ts';

export interface LdapCheckOptions {
  /** A PEM file of CA certificates trusted for ldaps in addition to the system store. */
  caFile?: string;
}

export function createLdapChecker(options: LdapCheckOptions = {}): Checker<NegotiateTarget> {
  return (target, signal) => {
    const sockets: Socket[] = [];
    const track = <S extends Socket>(socket: S): S => {
      sockets.push(socket);
      return socket;
    };
    const release = (): void => {
      for (const socket of sockets) socket.destroy();
    };
    const work = (): Promise<CheckResult> => {
      const secure = target.service === 'ldaps';
      const client = new Client({
        url: `${secure ? 'ldaps' : 'ldap'}://${bracket(target.host)}:${target.port}`,
        timeout: backstopMs(target),
        connectTimeout: backstopMs(target),
        strictDN: false,
        // ldapts speaks TLS whenever tlsOptions is given, whatever the URL says.
        ...(secure ? { tlsOptions: verifyChainOnly(options.caFile) } : {}),
        createConnection: ((port: number, host: string) =>
          track(netConnect({ port, host }))) as typeof netConnect,
        createSecureConnection: ((port: number, host: string, tls: ConnectionOptions) =>
          track(tlsConnect({ ...tls, port, host }))) as typeof tlsConnect,
      });
      return bindAndSearch(client, target);
    };
    return runWithin(signal, work, release);
  };
}

export const checkLdap: Checker<NegotiateTarget> = createLdapChecker();

/** service=ldap and ldaps: receive matches the DN of the entry found. */
export const ldapServices = {
  ldap: { check: checkLdap, port: 389, receive: 'regex' },
  ldaps: { check: checkLdap, port: 636, receive: 'regex' },
} satisfies ServiceDescriptors;

async function bindAndSearch(client: Client, target: NegotiateTarget): Promise<CheckResult> {
  try {
    // Perl's `$$v{login} && $$v{passwd}`: '' and '0' are false.
    if (perlTrue(target.login) && perlTrue(target.passwd)) {
      await client.bind(target.login, target.passwd);
    } else await client.bind('', '');
  } catch (error) {
    // A result code from the server is a refused bind; anything else never reached one.
    if (error instanceof ResultCodeError) return down('Bind failed');
    return down(`Connection failed (${errorText(error)})`);
  }

  let entries: { dn: string }[];
  try {
    const result = await client.search(target.request.replace(/^\//, ''), {
      scope: 'base',
      filter: '(objectClass=*)',
      attributes: ['1.1'],
    });
    entries = result.searchEntries;
  } catch {
    return down('No answer received');
  }
  if (entries.length !== 1) return down('No answer received');

  if (!hasReceive(target.receive)) return up('Success');
  const receive = receivePattern(target.receive);
  if (typeof receive === 'string') return down(receive);
  return receive.test(perlBytes(entries[0]!.dn)) ? up('Success') : down('Response mismatch');
}
