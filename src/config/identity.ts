// The original's identity strings (§2.9 of the behaviour reference). They appear in log lines
// and in the monitorfile, so their exact form is part of the compatibility contract.
import { bracket, hostPort } from '../lib/inet.ts';
import type { RealServer, VirtualService } from './model.ts';

/** `tcp:10.1.1.1:80`, `tcp:[2001:db8::1]:80`, `fwm:5`, `fwm6:5`. */
export function virtualId(v: VirtualService): string {
  if (v.protocol === 'fwm') return `fwm${v.family === 6 ? '6' : ''}:${v.fwmark}`;
  return `${v.protocol}:${hostPort(v.address, v.port)}`;
}

/** `10.1.1.1:80`, `[2001:db8::1]:80`, or the mark for a firewall-mark service. */
export function virtualString(v: VirtualService): string {
  return v.protocol === 'fwm' ? String(v.fwmark) : hostPort(v.address, v.port);
}

/** The request and receive a real is checked with: its own when given, else the virtual's. */
export function effectiveRequest(
  v: VirtualService,
  r: RealServer,
): { request: string; receive: string } {
  return { request: r.request ?? v.request, receive: r.receive ?? v.receive };
}

/** Perl quotemeta: backslash before every character that is not [A-Za-z0-9_]. */
export function quotemeta(text: string): string {
  return text.replace(/[^A-Za-z0-9_]/g, (c) => `\\${c}`);
}

/**
 * The real-id of get_real_id_str:
 * `<check>:<protocol>:<rserver>:<rport>:<virtualhost>:<checkport>:<weight>:<forward>:<request>:<receive>`.
 */
export function realId(v: VirtualService, r: RealServer): string {
  let check: string;
  if (v.checktype === 'negotiate' || v.checktype === 'combined')
    check = `${v.checktype}:${v.service}`;
  else if (v.checktype === 'external' || v.checktype === 'external-perl') {
    check = `${v.checktype}:${v.checkcommand}`;
  } else check = v.checktype;
  const { request, receive } = effectiveRequest(v, r);
  return [
    check,
    v.protocol,
    bracket(r.address),
    r.port,
    v.virtualhost ?? '',
    v.checkport ?? '',
    r.weight,
    r.forward,
    quotemeta(request),
    quotemeta(receive),
  ].join(':');
}

/** The real-id as the monitorfile prints it: colon runs squeezed to one space, no backslashes. */
export function realIdText(v: VirtualService, r: RealServer): string {
  return realId(v, r).replace(/:+/g, ' ').replace(/\\/g, '');
}
