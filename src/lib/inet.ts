// Address text, one home for every layer: reading and printing IPv4 and IPv6 addresses as glibc
// and the kernel do (inet_aton, inet_pton, inet_ntop), the family of an address, and the forms
// with a port and brackets. IPv6 addresses are kept bare and canonical, and bracketed wherever
// the original (and ipvsadm) print them with a port.
import { isIPv6 } from 'node:net';

// ---- IPv4

/** inet_aton: `a.b.c.d`, `a.b.c`, `a.b`, `a`; each part decimal, octal (0..) or hex (0x..). */
export function inetAton(text: string): number | undefined {
  const end = text.search(/\s/);
  const body = end === -1 ? text : text.slice(0, end);
  const parts = body.split('.');
  if (parts.length > 4 || parts.some((p) => p === '')) return undefined;
  const values: number[] = [];
  for (const part of parts) {
    let value: number;
    if (/^0[xX][0-9a-fA-F]*$/.test(part)) value = part.length === 2 ? 0 : Number.parseInt(part, 16);
    else if (/^0[0-7]*$/.test(part)) value = Number.parseInt(part, 8);
    else if (/^[1-9][0-9]*$/.test(part)) value = Number(part);
    else return undefined;
    values.push(value);
  }
  const last = values.pop()!;
  if (values.some((v) => v > 255)) return undefined;
  const lastMax = 2 ** (8 * (4 - values.length)) - 1;
  if (last > lastMax) return undefined;
  let result = 0;
  for (const [i, v] of values.entries()) result += v * 2 ** (8 * (3 - i));
  return result + last;
}

/** Strict dotted quad (what inet_pton(AF_INET) accepts): four decimal parts, no leading zeros. */
export function parseIpv4Strict(text: string): number | undefined {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(text);
  if (!m) return undefined;
  let value = 0;
  for (const part of m.slice(1)) {
    if (part.length > 1 && part.startsWith('0')) return undefined;
    const n = Number(part);
    if (n > 255) return undefined;
    value = value * 256 + n;
  }
  return value;
}

/** Dotted quad of a host-order 32-bit value (inet_ntoa). */
export function ipv4ToString(value: number): string {
  return [value >>> 24, (value >>> 16) & 255, (value >>> 8) & 255, value & 255].join('.');
}

// ---- IPv6

/** inet_pton(AF_INET6): eight 16-bit words, or undefined. Accepts an embedded dotted quad. */
export function parseIpv6(text: string): number[] | undefined {
  if (text.length === 0 || text.length > 45 || !/^[0-9a-fA-F:.]+$/.test(text)) return undefined;
  let head = text;
  let tailWords: number[] = [];
  const lastColon = text.lastIndexOf(':');
  if (text.includes('.')) {
    const v4 = parseIpv4Strict(text.slice(lastColon + 1));
    if (v4 === undefined || lastColon === -1) return undefined;
    tailWords = [v4 >>> 16, v4 & 0xffff];
    head = text.slice(0, lastColon + 1);
    // Keep a trailing `::`; drop the single colon that separated the dotted quad.
    if (!head.endsWith('::')) head = head.slice(0, -1);
  }
  const double = head.indexOf('::');
  if (double !== -1 && head.indexOf('::', double + 1) !== -1) return undefined;
  const parseGroups = (s: string): number[] | undefined => {
    if (s === '') return [];
    const groups = s.split(':');
    const out: number[] = [];
    for (const g of groups) {
      if (!/^[0-9a-fA-F]{1,4}$/.test(g)) return undefined;
      out.push(Number.parseInt(g, 16));
    }
    return out;
  };
  let words: number[];
  if (double === -1) {
    const groups = parseGroups(head);
    if (!groups) return undefined;
    words = [...groups, ...tailWords];
    if (words.length !== 8) return undefined;
  } else {
    const left = parseGroups(head.slice(0, double));
    const right = parseGroups(head.slice(double + 2));
    if (!left || !right) return undefined;
    const fill = 8 - left.length - right.length - tailWords.length;
    if (fill < 1) return undefined;
    words = [...left, ...new Array<number>(fill).fill(0), ...right, ...tailWords];
  }
  return words;
}

/**
 * The eight 16-bit groups of an address that isIPv6 accepted; its zone (`%eth0`) is ignored.
 * Throws on anything else: the caller checks first.
 */
export function ipv6Groups(address: string): number[] {
  const zone = address.indexOf('%');
  const words = parseIpv6(zone === -1 ? address : address.slice(0, zone));
  if (!words) throw new Error(`not an IPv6 address: ${address}`);
  return words;
}

/** glibc inet_ntop(AF_INET6): longest run (>= 2) of zero words becomes `::`; v4-mapped dotted. */
export function ipv6ToString(words: readonly number[]): string {
  let bestBase = -1;
  let bestLen = 0;
  let curBase = -1;
  let curLen = 0;
  for (let i = 0; i < 8; i++) {
    if (words[i] === 0) {
      if (curBase === -1) {
        curBase = i;
        curLen = 1;
      } else curLen++;
    } else if (curBase !== -1) {
      if (bestBase === -1 || curLen > bestLen) {
        bestBase = curBase;
        bestLen = curLen;
      }
      curBase = -1;
    }
  }
  if (curBase !== -1 && (bestBase === -1 || curLen > bestLen)) {
    bestBase = curBase;
    bestLen = curLen;
  }
  if (bestBase !== -1 && bestLen < 2) bestBase = -1;
  let out = '';
  for (let i = 0; i < 8; i++) {
    if (bestBase !== -1 && i >= bestBase && i < bestBase + bestLen) {
      if (i === bestBase) out += ':';
      continue;
    }
    if (i !== 0) out += ':';
    if (
      i === 6 &&
      bestBase === 0 &&
      (bestLen === 6 || (bestLen === 7 && words[7] !== 1) || (bestLen === 5 && words[5] === 0xffff))
    ) {
      out += ipv4ToString(words[6]! * 65536 + words[7]!);
      break;
    }
    out += words[i]!.toString(16);
  }
  if (bestBase !== -1 && bestBase + bestLen === 8) out += ':';
  return out;
}

/** The canonical text of an IPv6 address (as `ipvsadm -L -n` prints it), or undefined. */
export function canonicalIpv6(text: string): string | undefined {
  const words = parseIpv6(text);
  return words ? ipv6ToString(words) : undefined;
}

// ---- either family

/** 6 for IPv6 text, else 4. */
export function familyOf(address: string): 4 | 6 {
  return address.includes(':') ? 6 : 4;
}

/** The canonical form of an address argument (IPv6 lower case, compressed), or undefined. */
export function canonicalAddress(text: string): string | undefined {
  const bare = stripBrackets(text);
  if (isIPv6(bare)) return canonicalIpv6(bare);
  return /^\d{1,3}(\.\d{1,3}){3}$/.test(bare) && bare.split('.').every((b) => Number(b) < 256)
    ? bare
    : undefined;
}

/** True when `address` (IPv4 or IPv6 text) lies in `cidr` (`a.b.c.d/n`, `v6/n`, or a bare address). */
export function inCidr(address: string, cidr: string): boolean {
  const [base, bitsText] = cidr.split('/') as [string, string | undefined];
  const a4 = parseIpv4Strict(address);
  const b4 = parseIpv4Strict(base);
  if (a4 !== undefined && b4 !== undefined) {
    const bits = bitsText === undefined ? 32 : Number(bitsText);
    if (bits === 0) return true;
    const shift = 32 - bits;
    return Math.floor(a4 / 2 ** shift) === Math.floor(b4 / 2 ** shift);
  }
  const a6 = parseIpv6(address);
  const b6 = parseIpv6(base);
  if (!a6 || !b6) return false;
  let bits = bitsText === undefined ? 128 : Number(bitsText);
  for (let i = 0; i < 8 && bits > 0; i++, bits -= 16) {
    const take = Math.min(16, bits);
    const mask = (0xffff << (16 - take)) & 0xffff;
    if ((a6[i]! & mask) !== (b6[i]! & mask)) return false;
  }
  return true;
}

/** A multicast address (224.0.0.0/4, ff00::/8): the kernel refuses it as a real server. */
export function isMulticast(address: string): boolean {
  if (isIPv6(address)) return ipv6Groups(address)[0]! >> 8 === 0xff;
  const first = Number(/^(\d+)\./.exec(address)?.[1]);
  return first >= 224 && first <= 239;
}

// ---- brackets and ports

/** `[v6]` for IPv6, the address unchanged otherwise. */
export function bracket(address: string): string {
  return isIPv6(address) ? `[${address}]` : address;
}

/** `[v6]` -> `v6`; other text unchanged. */
export function stripBrackets(text: string): string {
  return text.startsWith('[') && text.endsWith(']') ? text.slice(1, -1) : text;
}

/**
 * The name the original looks up for a host (ld_gethostbyname: `$name =~ /\[(.*)\]/`): what
 * stands between the first '[' and the last ']' after it, wherever they are; else the text.
 */
export function insideBrackets(host: string): string {
  // Greedy, as the regular expression: indexes, not a backtracking scan.
  const open = host.indexOf('[');
  const close = host.lastIndexOf(']');
  return open >= 0 && close > open ? host.slice(open + 1, close) : host;
}

/** `addr:port` with IPv6 bracketed: `10.0.0.1:80`, `[2001:db8::1]:80`. */
export function hostPort(address: string, port: number): string {
  return `${bracket(address)}:${port}`;
}
