// The value of `virtual=` / `virtual6=` (§2.4). The first matching rule wins and every rule is
// a prefix match, so trailing text is ignored, and an IPv4 address without a port matches the
// firewall-mark rule (`virtual=10.0.0.1` is fwmark 10). We keep both (a config the original
// accepts keeps its meaning) and warn loudly.
import { isIPv6 } from 'node:net';
import { NON_WS } from '../lib/perl.ts';
import { excerpt } from '../lib/printable.ts';
import type { Family } from '../model/domain.ts';
import { fail, type Note, type Outcome, ok } from './outcome.ts';
import { outOfRange, RANGES } from './values.ts';

/** The address part of `virtual=` / `virtual6=`. */
export type VirtualAddressSpec =
  | {
      kind: 'address';
      /** Host name, dotted quad or `[v6]` as written. */
      host: string;
      /** Port number or service name as written. */
      port: string;
    }
  | { kind: 'fwmark'; mark: number };

export const VIRTUAL_SYNTAX_HINT =
  'virtual=<ipv4 or host>:<port or service>, virtual=<firewall mark>, or virtual6=[<ipv6>]:<port>';

export function parseVirtualAddress(value: string, family: Family): Outcome<VirtualAddressSpec> {
  // The original's rules, in its order: ipv4:port, name:port, a number (firewall mark),
  // [v6]:port.
  const ipv4 = family === 4 ? /^(\d+\.\d+\.\d+\.\d+):([0-9A-Za-z_-]+)/.exec(value) : null;
  const named = ipv4 ?? /^([0-9A-Za-z._+-]+):([0-9A-Za-z_-]+)/.exec(value);
  const mark = named ? null : /^(\d+)/.exec(value);
  const v6 = named || mark ? null : /^\[([0-9A-Fa-f:]+)\]:([0-9A-Za-z_-]+)/.exec(value);
  const m = named ?? mark ?? v6;
  let spec: VirtualAddressSpec | undefined;
  if (named) spec = { kind: 'address', host: named[1]!, port: named[2]! };
  else if (mark) {
    const tooLarge = outOfRange(Number(mark[1]), RANGES.fwmark, `firewall mark ${mark[1]}`);
    if (tooLarge) {
      return fail(
        'number-out-of-range',
        tooLarge,
        'A firewall mark is a number from 1 to 4294967295, as set by iptables or nftables.',
      );
    }
    spec = { kind: 'fwmark', mark: Number(mark[1]) };
  } else if (v6) {
    if (family === 4) {
      return fail(
        'virtual-ipv6-in-virtual',
        'cannot specify an IPv6 address here. please use "virtual6" instead.',
        'An IPv6 virtual service is written virtual6=[<ipv6>]:<port>.',
      );
    }
    if (!isIPv6(v6[1]!)) {
      return fail(
        'virtual-ipv6-invalid',
        'invalid ipv6 address for virtual server',
        'Expected virtual6=[<ipv6>]:<port>, e.g. virtual6=[2001:db8::1]:80.',
        1,
      );
    }
    spec = { kind: 'address', host: `[${v6[1]}]`, port: v6[2]! };
  }
  if (!spec || !m) {
    return fail(
      'virtual-address',
      'invalid address for virtual server',
      `Expected ${VIRTUAL_SYNTAX_HINT}.`,
    );
  }

  const notes: Note[] = [];
  const rest = value.slice(m[0].length);
  if (spec.kind === 'fwmark' && /^[.:]/.test(rest)) {
    notes.push({
      code: 'virtual-fwmark-pitfall',
      message: `"${excerpt(value)}" is read as firewall mark ${spec.mark}, not as an address`,
      hint: 'An address needs a port: virtual=<ip>:<port>. The Perl original reads it the same way; write virtual=<number> if a firewall mark is meant.',
    });
  } else if (NON_WS.test(rest)) {
    notes.push({
      code: 'virtual-trailing-text',
      message: `text after the ${spec.kind === 'fwmark' ? 'firewall mark' : 'port'} is ignored: "${excerpt(rest)}"`,
      hint: `Expected ${VIRTUAL_SYNTAX_HINT}.`,
      offset: m[0].length,
    });
  }
  if (spec.kind === 'fwmark' && spec.mark === 0) {
    notes.push({
      code: 'virtual-fwmark-zero',
      message: 'firewall mark 0: ipvsadm rejects it',
      hint: 'A firewall mark is a positive number set by iptables/nftables.',
    });
  }
  return ok(spec, notes);
}
