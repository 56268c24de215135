// The values of the ldirectord-ts extensions `metrics=` (where the HTTP listener binds) and
// `eventlog=` (the JSON-lines file of state changes). Neither exists in the Perl original.
// A listener binds to loopback unless the file names another address: a bare port means
// 127.0.0.1, and all addresses must be written out (0.0.0.0 or [::]).
import { canonicalIpv6, hostPort, parseIpv4Strict } from '../lib/inet.ts';
import type { ListenAddress } from '../model/domain.ts';
import { fail, type Outcome, ok } from './outcome.ts';
import type { ValueParser } from './values.ts';

const LISTEN_HINT =
  'Write PORT (127.0.0.1:PORT), ADDRESS:PORT, [IPV6-ADDRESS]:PORT or the absolute path of a unix socket, e.g. metrics=127.0.0.1:9470.';

function port(text: string): number | undefined {
  if (!/^\d{1,5}$/.test(text)) return undefined;
  const n = Number(text);
  return n >= 1 && n <= 65535 ? n : undefined;
}

export function parseListenAddress(raw: string): Outcome<ListenAddress> {
  const text = raw.trim();
  const bad = (why: string): Outcome<ListenAddress> => fail('invalid-listen', why, LISTEN_HINT);
  if (text === '') return bad('metrics needs an address to listen on');
  if (text.startsWith('/')) {
    // sun_path holds 107 bytes and a terminating NUL.
    if (Buffer.byteLength(text) > 107) return bad('the unix socket path is longer than 107 bytes');
    if (/\s|\0/.test(text)) return bad('the unix socket path contains a space or a NUL');
    return ok({ kind: 'unix', path: text });
  }
  const bare = port(text);
  if (bare !== undefined) return ok({ kind: 'tcp', host: '127.0.0.1', port: bare });
  const v6 = /^\[([^\]]+)\]:(\d+)$/.exec(text);
  const v4 = /^([^:[\]]+):(\d+)$/.exec(text);
  const [host, portText] = v6 ? [v6[1]!, v6[2]!] : v4 ? [v4[1]!, v4[2]!] : [undefined, undefined];
  if (host === undefined || portText === undefined)
    return bad(`"${text}" is not PORT, ADDRESS:PORT, [IPV6]:PORT or /path`);
  const n = port(portText);
  if (n === undefined) return bad(`"${portText}" is not a port number (1-65535)`);
  // IPv6 in its canonical form, so that a reload writing [0::1] for [::1] does not rebind.
  const address = v6 ? canonicalIpv6(host) : parseIpv4Strict(host) === undefined ? undefined : host;
  if (address === undefined)
    return bad(
      `"${host}" is not a numeric ${v6 ? 'IPv6' : 'IPv4'} address (names are not looked up)`,
    );
  return ok({ kind: 'tcp', host: address, port: n });
}

export const listenAddress: ValueParser<ListenAddress> = (text) => parseListenAddress(text);

/** eventlog=/path: an absolute file name. */
export const eventLogPath: ValueParser<string> = (raw) => {
  const text = raw.trim();
  if (!text.startsWith('/'))
    return fail(
      'invalid-eventlog',
      'eventlog must be the absolute path of a file',
      'e.g. eventlog=/var/log/ldirectord-events.jsonl',
    );
  return ok(text);
};

/** How a listen address is written back, for logs and `check`. */
export function formatListenAddress(address: ListenAddress): string {
  return address.kind === 'unix' ? address.path : hostPort(address.host, address.port);
}
