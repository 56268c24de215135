// Numeric addresses in the form the original prints them: getaddrinfo + getnameinfo
// (NI_NUMERICHOST), i.e. glibc's inet_ntop. Used to skip the resolver for addresses that are
// already numeric and canonical (a config with 10,000 reals must not make 10,000 lookups).
import { isIPv6 } from 'node:net';
import type { Family } from '../model/domain.ts';

const OCTET = '(25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)';
const CANONICAL_IPV4_RE = new RegExp(`^${OCTET}\\.${OCTET}\\.${OCTET}\\.${OCTET}$`);

/**
 * The address itself when it needs no resolver: a canonical dotted quad (for family 4), or an
 * IPv6 literal (for family 6, rendered canonically). Undefined otherwise: host names, and
 * numeric forms that only getaddrinfo interprets exactly (`10.1`, `010.0.0.1`, zone ids).
 */
export function numericAddress(name: string, family: Family): string | undefined {
  if (family === 4) return CANONICAL_IPV4_RE.test(name) ? name : undefined;
  if (name.includes('%') || !isIPv6(name)) return undefined;
  return canonicalIPv6(name);
}

function ipv6Words(address: string): number[] {
  // An embedded dotted quad becomes its two 16-bit words.
  const text = address
    .toLowerCase()
    .replace(/(\d+)\.(\d+)\.(\d+)\.(\d+)$/, (_m, a, b, c, d) =>
      [((+a << 8) | +b).toString(16), ((+c << 8) | +d).toString(16)].join(':'),
    );
  const words = (part: string): number[] =>
    part === '' ? [] : part.split(':').map((h) => Number.parseInt(h, 16));
  const gap = text.indexOf('::');
  if (gap === -1) return words(text);
  const left = words(text.slice(0, gap));
  const right = words(text.slice(gap + 2));
  return [...left, ...new Array<number>(8 - left.length - right.length).fill(0), ...right];
}

/** glibc inet_ntop for AF_INET6: lower-case hex, longest zero run (2+ words) as '::'. */
export function canonicalIPv6(address: string): string {
  const words = ipv6Words(address);
  let bestBase = -1;
  let bestLen = 0;
  for (let i = 0; i < 8;) {
    if (words[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && words[j] === 0) j++;
    if (j - i > bestLen) {
      bestBase = i;
      bestLen = j - i;
    }
    i = j;
  }
  if (bestLen < 2) bestBase = -1;
  const parts: string[] = [];
  for (let i = 0; i < 8; i++) {
    if (bestBase !== -1 && i >= bestBase && i < bestBase + bestLen) {
      if (i === bestBase) parts.push('');
      continue;
    }
    if (i === 6 && bestBase === 0 && (bestLen === 6 || (bestLen === 5 && words[5] === 0xffff))) {
      parts.push(`${words[6]! >> 8}.${words[6]! & 255}.${words[7]! >> 8}.${words[7]! & 255}`);
      break;
    }
    parts.push(words[i]!.toString(16));
  }
  let text = parts.join(':');
  if (bestBase === 0) text = `:${text}`;
  if (bestBase !== -1 && bestBase + bestLen === 8) text = `${text}:`;
  return text;
}

export function ipv4ToInt(address: string): number {
  const b = address.split('.').map(Number);
  return ((b[0]! << 24) | (b[1]! << 16) | (b[2]! << 8) | b[3]!) >>> 0;
}

export function intToIPv4(n: number): string {
  return `${(n >>> 24) & 255}.${(n >>> 16) & 255}.${(n >>> 8) & 255}.${n & 255}`;
}
