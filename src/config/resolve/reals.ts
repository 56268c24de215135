// real= and real6=: the host (or the IPv4 range a->b) resolved, the port through
// getservbyname, and one RealServer per address of a range.
import { excerpt } from '../../lib/printable.ts';
import type { DirectiveNodeOf } from '../../parser/tree.ts';
import type { RealServer, VirtualService } from '../model.ts';
import { insideBrackets, ipv4ToString, parseIpv4Strict } from '../../lib/inet.ts';
import { resolvePort } from '../services.ts';
import type { ResolveContext } from './context.ts';

/** Append to `vs.reals` the real servers of one real= line (none when it is wrong). */
export function resolveReals(
  ctx: ResolveContext,
  d: DirectiveNodeOf<'real'> | DirectiveNodeOf<'real6'>,
  vs: VirtualService,
): void {
  const spec = d.value;
  const family = vs.family;
  const first = ctx.host(spec.host, family);
  if (first === undefined) {
    ctx.error(
      d.line,
      spec.hostColumn,
      'real-unresolved',
      `invalid address (${excerpt(spec.host)}) for real server (could not resolve host)`,
      `"${excerpt(insideBrackets(spec.host))}" is not an IPv${family} address and does not resolve to one.`,
    );
    return;
  }
  const portText = spec.port ?? '0';
  const port = resolvePort(portText, '', ctx.lookupService);
  if (port === undefined) {
    ctx.error(
      d.line,
      spec.portColumn,
      'real-port',
      `invalid port (${excerpt(portText)}) for real server (could not resolve port)`,
      'A port number from 0 to 65535, or a service name from /etc/services.',
    );
    return;
  }
  const base: Omit<RealServer, 'address'> = {
    port,
    forward: spec.forward,
    weight: spec.weight,
    ...(spec.request !== undefined && spec.receive !== undefined
      ? { request: spec.request, receive: spec.receive }
      : {}),
    lowerThreshold: spec.lowerThreshold ?? 0,
    upperThreshold: spec.upperThreshold ?? 0,
    line: d.line,
    written: spec.hostEnd !== undefined ? `${spec.host}->${spec.hostEnd}` : spec.host,
  };
  if (spec.hostEnd === undefined) {
    vs.reals.push({ address: first, ...base });
    return;
  }
  const last = ctx.host(spec.hostEnd, family);
  if (last === undefined) {
    ctx.error(
      d.line,
      spec.hostColumn,
      'real-unresolved-end',
      `invalid address (${excerpt(spec.hostEnd)}) for real server (could not resolve end host)`,
      `"${excerpt(insideBrackets(spec.hostEnd))}" is not an IPv${family} address and does not resolve to one.`,
    );
    return;
  }
  if (family === 6) {
    ctx.error(
      d.line,
      spec.hostColumn,
      'real-range-ipv6',
      'Address range for IPv6 is not supported yet',
      'List each IPv6 real server on its own real6= line.',
    );
    return;
  }
  const a = parseIpv4Strict(first)!;
  const b = parseIpv4Strict(last)!;
  if (a > b) {
    ctx.error(
      d.line,
      spec.hostColumn,
      'real-range-order',
      `Invalid Range: ${first}-${last}: First value must be greater than or equal to the second value`,
      'The first address of a range must not be above the last.',
    );
    return;
  }
  const count = b - a + 1;
  if (count > ctx.maxRangeSize) {
    ctx.error(
      d.line,
      spec.hostColumn,
      'real-range-size',
      `range ${first}->${last} has ${count} addresses; at most ${ctx.maxRangeSize} are accepted`,
      'Split the range, or use a firewall-mark service.',
    );
    return;
  }
  const perlCount = perlRangeCount(a, b, count + ctx.maxRangeSize);
  if (perlCount !== count) {
    ctx.warn(
      d.line,
      spec.hostColumn,
      'real-range-fixed',
      `range ${first}->${last} gives ${count} real servers`,
      `The Perl original compares the addresses as text and creates ${perlCount === 0 ? 'none of them' : `${perlCount} of them`} (a range across a power of ten).`,
      'differs-from-perl',
    );
  }
  for (let i = a; i <= b; i++) vs.reals.push({ address: ipv4ToString(i), ...base });
}

/**
 * How many addresses the original's range loop produces: it compares the integers as strings
 * (`$i le $last_i`), so it stops early (or overruns) across a power of ten. Bounded by `cap`.
 */
export function perlRangeCount(first: number, last: number, cap: number): number {
  const lastText = String(last);
  let count = 0;
  for (let i = first; String(i) <= lastText && count < cap; i++) count++;
  return count;
}
