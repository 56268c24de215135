// fallback= and fallback6=: the global ones (for tcp and for udp services), a virtual's own,
// and the effective fallback of a virtual without one (_ld_read_config_fallback_resolve,
// fallback_find).
import { insideBrackets } from '../../lib/inet.ts';
import { excerpt } from '../../lib/printable.ts';
import type { Family, Protocol } from '../../model/domain.ts';
import type { FallbackSpec } from '../../parser/fallback.ts';
import { allOf, type DirectiveNode, type DirectiveNodeOf, lastOf } from '../../parser/tree.ts';
import type { FallbackServer, GlobalConfig, Origin, VirtualService } from '../model.ts';
import { resolvePort } from '../services.ts';
import { origin, type ResolveContext } from './context.ts';

type FallbackNode = DirectiveNodeOf<'fallback'> | DirectiveNodeOf<'fallback6'>;

/**
 * _ld_read_config_fallback_resolve: host in the family; the port (when given and Perl-true)
 * through getservbyname for the protocol. `virtualPort` is the virtual's port text for a
 * per-virtual fallback without a port (parse_fallback's default).
 */
export function fallbackServer(
  ctx: ResolveContext,
  node: FallbackNode,
  family: Family,
  protocol: Protocol,
  virtualPort: string | undefined,
): FallbackServer | undefined {
  const spec: FallbackSpec = node.value;
  const address = ctx.host(spec.host, family);
  if (address === undefined) {
    if (protocol !== 'udp') {
      ctx.error(
        node.line,
        node.valueColumn,
        'fallback-unresolved',
        `invalid IPv${family} address or could not resolve for fallback server: ${excerpt(spec.host)}`,
        spec.host === ''
          ? 'Expected fallback=<host>[:<port>] [gate|masq|ipip].'
          : `"${excerpt(insideBrackets(spec.host))}" is not an IPv${family} address and does not resolve to one.`,
      );
    }
    return undefined;
  }
  const portText = spec.port ?? virtualPort;
  const server: FallbackServer = { address, port: 0, forward: spec.forward, line: node.line };
  if (portText === undefined) {
    server.portUnset = true;
    return server;
  }
  if (portText === '' || portText === '0') return server;
  const port = resolvePort(portText, protocol === 'fwm' ? 'tcp' : protocol, ctx.lookupService);
  if (port === undefined) {
    if (protocol !== 'udp' || spec.port !== undefined) {
      ctx.error(
        node.line,
        node.valueColumn,
        'fallback-port',
        'invalid port for fallback server',
        `"${excerpt(portText)}" is neither a port number (0-65535) nor a ${protocol === 'udp' ? 'udp' : 'tcp'} service name in /etc/services${node.scope === 'global' ? ' (a global fallback port is looked up for both tcp and udp: write the number)' : ''}.`,
      );
    }
    return undefined;
  }
  server.port = port;
  return server;
}

/** The global fallback= (or fallback6=): the last that resolves, for tcp and for udp. */
export function globalFallback(
  ctx: ResolveContext,
  globals: readonly DirectiveNode[],
  name: 'fallback' | 'fallback6',
  origins: Record<string, Origin>,
): GlobalConfig['fallback'] {
  const family: Family = name === 'fallback6' ? 6 : 4;
  let resolved: GlobalConfig['fallback'];
  for (const node of allOf(globals, name)) {
    const tcp = fallbackServer(ctx, node, family, 'tcp', undefined);
    const udp = fallbackServer(ctx, node, family, 'udp', undefined);
    if (tcp && udp) {
      resolved = { tcp, udp };
      origins[name] = origin('global', node.line);
    }
  }
  return resolved;
}

/**
 * A virtual's effective fallback: its own (the last fallback= line; its port defaults to the
 * virtual's), else the global one of its family and protocol (fallback_find).
 */
export function virtualFallback(
  ctx: ResolveContext,
  directives: readonly DirectiveNode[],
  vs: VirtualService,
  virtualPort: string,
  global: GlobalConfig,
): void {
  const chosen = lastOf(directives, 'fallback') ?? lastOf(directives, 'fallback6');
  // Every line is resolved (each may be wrong); the last one is the virtual's.
  for (const node of directives) {
    if (node.name !== 'fallback' && node.name !== 'fallback6') continue;
    const server = fallbackServer(ctx, node, vs.family, vs.protocol, virtualPort);
    if (server && node === chosen) {
      vs.fallback = server;
      vs.origins.fallback = origin('virtual', node.line);
    }
  }
  if (!chosen) inheritFallback(ctx, vs, global);
  if (!vs.fallback && !vs.origins.fallback) vs.origins.fallback = origin('default');
}

/** fallback_find for a virtual without its own fallback. */
function inheritFallback(ctx: ResolveContext, vs: VirtualService, global: GlobalConfig): void {
  const entry = vs.family === 6 ? global.fallback6 : global.fallback;
  if (!entry) return;
  const name = vs.family === 6 ? 'fallback6' : 'fallback';
  const base = vs.protocol === 'udp' ? entry.udp : entry.tcp;
  const { portUnset, ...server } = base;
  if (vs.protocol === 'fwm') {
    ctx.warn(
      vs.line,
      1,
      'fwmark-global-fallback',
      `firewall-mark service uses the global fallback ${server.address}${portUnset ? '' : `:${server.port}`}`,
      'The Perl original has no global fallback for firewall-mark services and adds a broken one (ipvsadm -r :0); ldirectord-ts uses the global fallback address.',
      'differs-from-perl',
    );
  }
  vs.fallback = { ...server, port: portUnset ? vs.port : server.port };
  vs.origins.fallback = origin('global', global.origins[name]?.line);
}
