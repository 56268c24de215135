// Address formatting shared by every layer: IPv6 addresses are stored bare and canonical,
// and bracketed wherever the original (and ipvsadm) print them with a port.
import { isIPv6 } from 'node:net';

/** `[v6]` for IPv6, the address unchanged otherwise. */
export function bracket(address: string): string {
  return isIPv6(address) ? `[${address}]` : address;
}

/** `addr:port` with IPv6 bracketed: `10.0.0.1:80`, `[2001:db8::1]:80`. */
export function hostPort(address: string, port: number): string {
  return `${bracket(address)}:${port}`;
}

/** Strip the brackets of `[v6]`; other text unchanged. */
export function unbracket(text: string): string {
  return text.startsWith('[') && text.endsWith(']') ? text.slice(1, -1) : text;
}

/**
 * The eight 16-bit groups of an IPv6 address, `::` expanded and a trailing dotted IPv4 part
 * (`::ffff:192.0.2.1`) converted; a zone (`%eth0`) is ignored. The caller checks isIPv6 first.
 */
export function ipv6Groups(address: string): number[] {
  let text = address.split('%')[0]!.toLowerCase();
  const dotted = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(text);
  if (dotted) {
    const [a, b, c, d] = dotted.slice(1).map(Number) as [number, number, number, number];
    text = `${text.slice(0, dotted.index)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head, tail] = text.split('::') as [string, string | undefined];
  const left = head === '' ? [] : head.split(':');
  const right = tail === undefined || tail === '' ? [] : tail.split(':');
  const zeros = tail === undefined ? [] : Array<string>(8 - left.length - right.length).fill('0');
  return [...left, ...zeros, ...right].map((group) => Number.parseInt(group, 16));
}

/** A multicast address (224.0.0.0/4, ff00::/8): the kernel refuses it as a real server. */
export function isMulticast(address: string): boolean {
  if (isIPv6(address)) return ipv6Groups(address)[0]! >> 8 === 0xff;
  const first = Number(/^(\d+)\./.exec(address)?.[1]);
  return first >= 224 && first <= 239;
}
