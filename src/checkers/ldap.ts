// service=ldap and ldaps (check_ldap): bind, anonymously or as login/passwd when both are set,
// then search base = request without its leading '/', scope base, filter (objectClass=*);
// exactly one entry is required, and its DN must match receive when receive is set (§4.6).
//
// The client is ldapts (promise-based, TLS, maintained). Its sockets are created through our
// own connect functions so an abort destroys them at once, even mid-handshake.
// ldaps verifies the certificate chain but not the host name, as the https checker does, against
// the system store plus an optional CA file; the original verifies nothing (docs/compatibility.md).
import { connect as netConnect, type Socket } from 'node:net';
import { type ConnectionOptions, connect as tlsConnect } from 'node:tls';
import { Client, ResultCodeError } from 'ldapts';
import { bracket } from '../lib/address.ts';
import {
  backstopMs,
  errorText,
  neverThrows,
  perlTrue,
  receiveRegex,
  settleOnAbort,
  tlsClientOptions,
} from './local-support.ts';
import type { Checker, CheckResult, CheckTarget } from './types.ts';

export interface LdapCheckOptions {
  /** A PEM file of CA certificates trusted for ldaps in addition to the system store. */
  caFile?: string;
}

export function createLdapChecker(options: LdapCheckOptions = {}): Checker {
  return neverThrows((target, signal) => check(target, signal, options));
}

export const checkLdap: Checker = createLdapChecker();

function check(
  target: CheckTarget,
  signal: AbortSignal,
  options: LdapCheckOptions,
): Promise<CheckResult> {
  const sockets: Socket[] = [];
  const track = <S extends Socket>(socket: S): S => {
    sockets.push(socket);
    return socket;
  };
  const secure = target.service === 'ldaps';
  const client = new Client({
    url: `${secure ? 'ldaps' : 'ldap'}://${bracket(target.host)}:${target.port}`,
    timeout: backstopMs(target),
    connectTimeout: backstopMs(target),
    strictDN: false,
    // ldapts speaks TLS whenever tlsOptions is given, whatever the URL says.
    ...(secure ? { tlsOptions: tlsClientOptions(options.caFile) } : {}),
    createConnection: ((port: number, host: string) =>
      track(netConnect({ port, host }))) as typeof netConnect,
    createSecureConnection: ((port: number, host: string, options: ConnectionOptions) =>
      track(tlsConnect({ ...options, port, host }))) as typeof tlsConnect,
  });
  const release = (): void => {
    for (const socket of sockets) socket.destroy(new Error('aborted'));
  };
  const work = bindAndSearch(client, target);
  // Unbind in the background (bounded by the client's timeout): the verdict does not wait.
  const cleanup = (): Promise<void> =>
    client
      .unbind()
      .catch(() => {})
      .finally(release);
  void work.then(cleanup, cleanup);
  return settleOnAbort(signal, work, release);
}

async function bindAndSearch(client: Client, target: CheckTarget): Promise<CheckResult> {
  try {
    // Perl's `$$v{login} && $$v{passwd}`: '' and '0' are false.
    if (perlTrue(target.login) && perlTrue(target.passwd)) {
      await client.bind(target.login, target.passwd);
    } else await client.bind('', '');
  } catch (error) {
    // A result code from the server is a refused bind; anything else never reached one.
    if (error instanceof ResultCodeError) return { up: false, reason: 'Bind failed' };
    return { up: false, reason: `Connection failed (${errorText(error)})` };
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
    return { up: false, reason: 'No answer received' };
  }
  if (entries.length !== 1) return { up: false, reason: 'No answer received' };

  // Perl's `!($recstr =~ /.+/)`: a receive of newlines only is no receive.
  if (!/[^\n]/.test(target.receive)) return { up: true, reason: 'Success' };
  const receive = receiveRegex(target.receive);
  if (!receive) return { up: false, reason: 'Invalid receive regex' };
  return receive.test(entries[0]!.dn)
    ? { up: true, reason: 'Success' }
    : { up: false, reason: 'Response mismatch' };
}
