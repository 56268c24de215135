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
