// Address parsing and printing as ipvsadm and the kernel do it: inet_aton for IPv4 (so `10.1`
// is 10.0.0.1), inet_pton/inet_ntop for IPv6 (glibc's canonical text), and the 32-bit words
// ipvsadm's sort comparators subtract.

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

/** Dotted quad of a host-order 32-bit value (inet_ntoa). */
export function ipv4ToString(value: number): string {
  return [value >>> 24, (value >>> 16) & 255, (value >>> 8) & 255, value & 255].join('.');
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

/** The four 32-bit words ipvsadm's comparators subtract (IPv4: the address, then zeros). */
export function addressWords(address: string): [number, number, number, number] {
  const v4 = parseIpv4Strict(address);
  if (v4 !== undefined) return [v4, 0, 0, 0];
  const w = parseIpv6(address) ?? new Array<number>(8).fill(0);
  return [
    w[0]! * 65536 + w[1]!,
    w[2]! * 65536 + w[3]!,
    w[4]! * 65536 + w[5]!,
    w[6]! * 65536 + w[7]!,
  ];
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
