// Numeric addresses in the form the original prints them: getaddrinfo + getnameinfo
// (NI_NUMERICHOST), i.e. glibc's inet_ntop. Used to skip the resolver for addresses that are
// already numeric and canonical (a config with 10,000 reals must not make 10,000 lookups).
import { isIPv6 } from 'node:net';
import { canonicalIpv6, parseIpv4Strict } from '../lib/inet.ts';
import type { Family } from '../model/domain.ts';

/**
 * The address itself when it needs no resolver: a canonical dotted quad (for family 4), or an
 * IPv6 literal (for family 6, rendered canonically). Undefined otherwise: host names, and
 * numeric forms that only getaddrinfo interprets exactly (`10.1`, `010.0.0.1`, zone ids).
 */
export function numericAddress(name: string, family: Family): string | undefined {
  if (family === 4) return parseIpv4Strict(name) === undefined ? undefined : name;
  if (name.includes('%') || !isIPv6(name)) return undefined;
  return canonicalIpv6(name);
}
