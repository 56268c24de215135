// A virtual service: its protocol, address and port (host names and service names resolved),
// the service its checks negotiate (derived from the port unless service= says), its settings,
// its fallback and its real servers.
import { insideBrackets } from '../../lib/inet.ts';
import { excerpt } from '../../lib/printable.ts';
import type { Protocol, Service } from '../../model/domain.ts';
import { type DirectiveNode, lastOf, type VirtualNode } from '../../parser/tree.ts';
import type { VirtualAddressSpec } from '../../parser/virtual-address.ts';
import { virtualId } from '../identity.ts';
import type { GlobalConfig, Origin, VirtualService } from '../model.ts';
import { resolvePort, serviceForPort } from '../services.ts';
import { origin, type ResolveContext } from './context.ts';
import { virtualFallback } from './fallback.ts';
import { resolveReals } from './reals.ts';
import { virtualChecks, virtualSettings, virtualTable } from './settings.ts';

/**
 * The virtual service of one virtual= section, or undefined when its address cannot be read
 * or resolved (an error says why). `seen` holds the virtual ids defined so far, with their line.
 */
export function resolveVirtual(
  ctx: ResolveContext,
  node: VirtualNode,
  globals: readonly DirectiveNode[],
  global: GlobalConfig,
  seen: Map<string, number>,
): VirtualService | undefined {
  const address = node.address;
  if (!address) return undefined;
  const origins: Record<string, Origin> = {};
  const protocol = virtualProtocol(address, node.directives, origins);

  let ip = '';
  let port = 0;
  let service: Service = 'none';
  let serviceOrigin = origin('default');
  if (address.kind === 'address') {
    const resolved = ctx.host(address.host, node.family);
    const lookup = protocol === 'udp' ? 'udp' : 'tcp';
    const resolvedPort = resolvePort(address.port, lookup, ctx.lookupService);
    if (resolved === undefined || resolvedPort === undefined) {
      ctx.error(
        node.line,
        node.valueColumn,
        'virtual-unresolved',
        'invalid address for virtual service',
        resolved === undefined
          ? `"${excerpt(insideBrackets(address.host))}" is not an IPv${node.family} address and does not resolve to one.`
          : `"${excerpt(address.port)}" is neither a port number (0-65535) nor a ${protocol} service name in /etc/services.`,
      );
      return undefined;
    }
    ip = resolved;
    port = resolvedPort;
    // ld_port_to_service compares strings: a port written with leading zeros matches none.
    service = /^0\d/.test(address.port) ? 'none' : serviceForPort(port);
    serviceOrigin = origin('derived', undefined, 'port');
    if (/^0\d/.test(address.port)) {
      ctx.warn(
        node.line,
        node.valueColumn,
        'port-leading-zero',
        `port "${excerpt(address.port)}" has leading zeros: no service is derived from it`,
        'The Perl original compares the port as text; write the port without leading zeros.',
      );
    }
  }
  const serviceNode = lastOf(node.directives, 'service');
  if (serviceNode) {
    service = serviceNode.value;
    serviceOrigin = origin('virtual', serviceNode.line);
  }
  origins.service = serviceOrigin;

  const table = virtualSettings(node.directives, globals, origins);
  const vs: VirtualService = {
    ...virtualTable(table),
    line: node.line,
    family: node.family,
    protocol,
    address: ip,
    port,
    fwmark: address.kind === 'fwmark' ? address.mark : 0,
    written: node.text,
    service,
    ...virtualChecks(ctx, table, node.directives, global, origins),
    reals: [],
    origins,
  };
  withoutZeroPersistence(ctx, node, vs);
  virtualFallback(ctx, node.directives, vs, address.kind === 'fwmark' ? '0' : address.port, global);
  for (const d of node.directives) {
    if (d.name === 'real' || d.name === 'real6') resolveReals(ctx, d, vs);
  }

  // Duplicate virtual services (the original points at the line after the section).
  const id = virtualId(vs);
  const previous = seen.get(id);
  if (previous !== undefined) {
    ctx.error(
      node.line,
      1,
      'duplicate-virtual',
      'duplicate virtual server',
      `${id} is already defined at line ${previous}.`,
    );
  } else seen.set(id, node.line);
  return vs;
}

/** tcp, or udp when the address text ends in :53 or :domain, fwm for a mark; or protocol=. */
function virtualProtocol(
  address: VirtualAddressSpec,
  directives: readonly DirectiveNode[],
  origins: Record<string, Origin>,
): Protocol {
  if (address.kind === 'fwmark') {
    origins.protocol = origin('derived', undefined, 'virtual');
    return 'fwm';
  }
  const written = lastOf(directives, 'protocol');
  if (written) {
    origins.protocol = origin('virtual', written.line);
    return written.value;
  }
  if (/:(53|domain)$/.test(`${address.host}:${address.port}`)) {
    origins.protocol = origin('derived', undefined, 'port');
    return 'udp';
  }
  origins.protocol = origin('default');
  return 'tcp';
}

/**
 * ipvsadm refuses -p 0 (the directive table bounds persistent above); the original passes it
 * on and its virtual service is then never created ("Service not defined").
 */
function withoutZeroPersistence(ctx: ResolveContext, node: VirtualNode, vs: VirtualService): void {
  if (vs.persistent !== 0) return;
  const written = lastOf(node.directives, 'persistent');
  ctx.warn(
    written?.line ?? node.line,
    written?.column ?? 1,
    'persistent-zero',
    'persistent=0: the virtual service is created without persistence',
    'ipvsadm refuses -p 0, so the Perl original never creates this virtual service. Remove the line, or give seconds.',
    'differs-from-perl',
  );
  vs.persistent = undefined;
}
