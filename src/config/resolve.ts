// Resolve a syntax tree into the Config the daemon runs (model.ts): defaults, inheritance from
// the global section, the original's derived defaults (protocol and service from the port,
// the timeout chains, the login defaults of ftp and sip), host names and service names,
// IPv4 ranges, the effective fallback, and `origins` saying where each value came from.
// Host names go through an injectable resolver; everything else here is pure.
import { SERVICE_DESCRIPTORS } from '../checkers/index.ts';
import { isMulticast } from '../lib/address.ts';
import { LOG_FILE_MODE } from '../lib/append-file.ts';
import { translatePerlRegex } from '../lib/perl-regex.ts';
import { excerpt } from '../lib/printable.ts';
import { splitCommand } from '../lib/split-command.ts';
import { SYSLOG_FACILITIES } from '../lib/syslog.ts';
import { inWords } from '../lib/words.ts';
import {
  type Diagnostic,
  error,
  hasErrors,
  sortDiagnostics,
  warning,
} from '../model/diagnostics.ts';
import {
  type CheckType,
  type Family,
  type Protocol,
  SERVICES,
  type Service,
} from '../model/domain.ts';
import { DIRECTIVES, type DirectiveSpec, schedFlagsRefusal } from '../parser/directives.ts';
import type { FallbackSpec } from '../parser/fallback.ts';
import type { RealSpec } from '../parser/real.ts';
import type { ConfigTree, DirectiveNode, VirtualNode } from '../parser/tree.ts';
import { outOfRange, RANGES } from '../parser/values.ts';
import {
  defaultHostname,
  defaultLookupService,
  defaultResolveHost,
  type FileChecker,
  type FileCheckMode,
  fileChecker,
  type HostResolver,
} from './environment.ts';
import { virtualId } from './identity.ts';
import type {
  Config,
  FallbackServer,
  GlobalConfig,
  Origin,
  RealServer,
  VirtualService,
} from './model.ts';
import { intToIPv4, ipv4ToInt, numericAddress } from './numeric-address.ts';
import {
  resolvePort,
  type ServiceLookup,
  type ServiceProtocol,
  serviceForPort,
} from './services.ts';

export interface ResolveOptions {
  /** Host name resolution; default: dns.lookup in the family, first result. */
  resolveHost?: HostResolver;
  /** getservbyname; default: /etc/services. */
  lookupService?: ServiceLookup;
  /** For the ftp and sip login defaults; default: $HOSTNAME, else the node name. */
  hostname?: string;
  /** How logfile, monitorfile and maintenancedir are tested; default 'access'. */
  fileChecks?: FileCheckMode;
  /** Replaces the checker that fileChecks selects (tests). */
  files?: FileChecker;
  /** Like the original's -d: the logfile is not tested. */
  debug?: boolean;
  /** Largest IPv4 range a single real= line may expand to; default 65536. */
  maxRangeSize?: number;
}

export interface ResolveResult {
  /** Present only when there is no error. */
  config?: Config;
  diagnostics: Diagnostic[];
}

/** Directives the generic table-driven copy does not handle (they have structure). */
const STRUCTURED = new Set([
  'real',
  'real6',
  'fallback',
  'fallback6',
  'checktype',
  'service',
  'protocol',
  'login',
  'passwd',
  'checktimeout',
  'negotiatetimeout',
  'connecttimeout',
  'timeout',
  'execute',
  'load',
]);

const NEGOTIATING: readonly CheckType[] = ['negotiate', 'combined'];

function unbracket(host: string): string {
  // ld_gethostbyname: `$name =~ /\[(.*)\]/` and the inside is looked up.
  // Greedy: from the first '[' to the last ']' after it (indexes, not a backtracking scan).
  const open = host.indexOf('[');
  const close = host.lastIndexOf(']');
  return open >= 0 && close > open ? host.slice(open + 1, close) : host;
}

function lastOf(nodes: readonly DirectiveNode[], name: string): DirectiveNode | undefined {
  for (let i = nodes.length - 1; i >= 0; i--) if (nodes[i]!.name === name) return nodes[i];
  return undefined;
}

function byName(nodes: readonly DirectiveNode[]): Map<string, DirectiveNode> {
  const map = new Map<string, DirectiveNode>();
  for (const n of nodes) map.set(n.name, n);
  return map;
}

const origin = (source: Origin['source'], line?: number, from?: string): Origin => ({
  source,
  ...(line !== undefined ? { line } : {}),
  ...(from !== undefined ? { from } : {}),
});

class Resolver {
  readonly diagnostics: Diagnostic[] = [];
  readonly hosts = new Map<string, string | undefined>();
  readonly file: string;
  readonly lookupService: ServiceLookup;
  readonly hostname: string;
  readonly files: FileChecker;
  readonly maxRangeSize: number;

  readonly tree: ConfigTree;
  readonly options: ResolveOptions;

  constructor(tree: ConfigTree, options: ResolveOptions) {
    this.tree = tree;
    this.options = options;
    this.file = tree.file;
    this.lookupService = options.lookupService ?? defaultLookupService;
    this.hostname = options.hostname ?? defaultHostname();
    this.files = options.files ?? fileChecker(options.fileChecks ?? 'access');
    this.maxRangeSize = options.maxRangeSize ?? 65536;
  }

  error(line: number, column: number, code: string, message: string, hint?: string): void {
    this.diagnostics.push(error(this.file, line, column, code, message, hint));
  }

  warn(
    line: number,
    column: number,
    code: string,
    message: string,
    hint?: string,
    category?: Diagnostic['category'],
  ): void {
    this.diagnostics.push(warning(this.file, line, column, code, message, hint, category));
  }

  /** receive is a Perl regex: refuse at load time what the checkers could not run. */
  private checkReceive(pattern: string, line: number, column: number): void {
    const result = translatePerlRegex(pattern);
    if (!result.ok) {
      this.error(
        line,
        column,
        'receive-regex',
        `invalid receive string: ${result.error}`,
        'receive is a Perl regular expression; ldirectord-ts runs the constructs JavaScript can express (see docs/compatibility.md).',
      );
      return;
    }
    for (const note of result.warnings) {
      this.warn(
        line,
        column,
        'receive-regex-note',
        `receive: ${note}`,
        undefined,
        'differs-from-perl',
      );
    }
  }

  // ---- host names: collected first, resolved concurrently, then read synchronously.

  private wantHost(host: string, family: Family, pending: Map<string, [string, Family]>): void {
    const name = unbracket(host);
    const key = `${family}|${name}`;
    if (this.hosts.has(key) || pending.has(key)) return;
    const numeric = numericAddress(name, family);
    if (numeric !== undefined) this.hosts.set(key, numeric);
    else pending.set(key, [name, family]);
  }

  async resolveHosts(): Promise<void> {
    const pending = new Map<string, [string, Family]>();
    for (const g of this.tree.globals) {
      if (g.name === 'fallback' || g.name === 'fallback6') {
        this.wantHost((g.value as FallbackSpec).host, g.name === 'fallback6' ? 6 : 4, pending);
      }
    }
    for (const v of this.tree.virtuals) {
      if (v.address?.kind === 'address') this.wantHost(v.address.host, v.family, pending);
      for (const d of v.directives) {
        if (d.name === 'real' || d.name === 'real6') {
          const r = d.value as RealSpec;
          this.wantHost(r.host, v.family, pending);
          if (r.hostEnd !== undefined) this.wantHost(r.hostEnd, v.family, pending);
        } else if (d.name === 'fallback' || d.name === 'fallback6') {
          this.wantHost((d.value as FallbackSpec).host, v.family, pending);
        }
      }
    }
    const resolve = this.options.resolveHost ?? defaultResolveHost;
    const entries = [...pending];
    // A bounded number of lookups in flight (getaddrinfo runs on libuv's small thread pool).
    for (let i = 0; i < entries.length; i += 64) {
      const batch = entries.slice(i, i + 64);
      const results = await Promise.all(batch.map(([, [name, family]]) => resolve(name, family)));
      batch.forEach(([key], j) => {
        this.hosts.set(key, results[j]);
      });
    }
  }

  host(host: string, family: Family): string | undefined {
    return this.hosts.get(`${family}|${unbracket(host)}`);
  }

  // ---- global section

  global(): GlobalConfig {
    const nodes = this.tree.globals;
    const last = byName(nodes);
    const out: Record<string, unknown> = {};
    const origins: Record<string, Origin> = {};
    for (const spec of DIRECTIVES) {
      if (!spec.global || STRUCTURED.has(spec.name) || spec.aliasOf) continue;
      const node = last.get(spec.name);
      if (node) {
        out[spec.name] = node.value;
        origins[spec.name] = origin('global', node.line);
      } else if (spec.defaultValue !== undefined) {
        out[spec.name] = spec.defaultValue;
        origins[spec.name] = origin('default');
      }
    }
    for (const name of ['checktimeout', 'negotiatetimeout'] as const) {
      const node = last.get(name);
      if (node) {
        out[name] = node.value;
        origins[name] = origin('global', node.line);
      }
    }
    out.execute = nodes.filter((n) => n.name === 'execute').map((n) => n.value as string);
    for (const n of nodes) {
      if (n.name === 'execute' && n.value === '') {
        this.warn(
          n.line,
          n.valueColumn,
          'execute-empty',
          'execute with an empty configuration name',
          'The original then runs "ldirectord  start"; give the configuration to start.',
        );
      }
    }
    for (const name of ['fallback', 'fallback6'] as const) {
      let resolved: GlobalConfig['fallback'];
      for (const n of nodes) {
        if (n.name !== name) continue;
        const spec = n.value as FallbackSpec;
        const family: Family = name === 'fallback6' ? 6 : 4;
        const tcp = this.fallbackServer(n, spec, family, 'tcp', undefined);
        const udp = this.fallbackServer(n, spec, family, 'udp', undefined);
        if (tcp && udp) {
          resolved = { tcp, udp };
          origins[name] = origin('global', n.line);
        }
      }
      if (resolved) out[name] = resolved;
    }
    out.origins = origins;
    return out as unknown as GlobalConfig;
  }

  /**
   * _ld_read_config_fallback_resolve: host in the family; the port (when given and Perl-true)
   * through getservbyname for the protocol. `virtualPort` is the virtual's port text for a
   * per-virtual fallback without a port (parse_fallback's default).
   */
  fallbackServer(
    node: DirectiveNode,
    spec: FallbackSpec,
    family: Family,
    protocol: Protocol,
    virtualPort: string | undefined,
  ): FallbackServer | undefined {
    const address = this.host(spec.host, family);
    if (address === undefined) {
      if (protocol !== 'udp') {
        this.error(
          node.line,
          node.valueColumn,
          'fallback-unresolved',
          `invalid IPv${family} address or could not resolve for fallback server: ${excerpt(spec.host)}`,
          spec.host === ''
            ? 'Expected fallback=<host>[:<port>] [gate|masq|ipip].'
            : `"${excerpt(unbracket(spec.host))}" is not an IPv${family} address and does not resolve to one.`,
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
    const port = resolvePort(portText, protocol === 'fwm' ? 'tcp' : protocol, this.lookupService);
    if (port === undefined) {
      if (protocol !== 'udp' || spec.port !== undefined) {
        this.error(
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

  // ---- virtual services

  virtual(
    node: VirtualNode,
    global: GlobalConfig,
    seen: Map<string, number>,
  ): VirtualService | undefined {
    const address = node.address;
    if (!address) return undefined;
    const last = byName(node.directives);
    const origins: Record<string, Origin> = {};
    const v: Record<string, unknown> = {};
    const fwmark = address.kind === 'fwmark';

    // Protocol: udp when the address text ends in :53 or :domain, fwm for a mark.
    let protocol: Protocol = 'tcp';
    if (fwmark) protocol = 'fwm';
    else if (/:(53|domain)$/.test(`${address.host}:${address.port}`)) protocol = 'udp';
    if (fwmark) origins.protocol = origin('derived', undefined, 'virtual');
    else if (protocol === 'udp') origins.protocol = origin('derived', undefined, 'port');
    else origins.protocol = origin('default');
    const protocolNode = last.get('protocol');
    if (protocolNode && !fwmark) {
      protocol = protocolNode.value as Protocol;
      origins.protocol = origin('virtual', protocolNode.line);
    }

    // Address and port.
    let ip = '';
    let port = 0;
    let service: Service = 'none';
    let serviceOrigin = origin('default');
    if (address.kind === 'address') {
      const resolved = this.host(address.host, node.family);
      const resolvedPort = resolvePort(
        address.port,
        protocol as ServiceProtocol,
        this.lookupService,
      );
      if (resolved === undefined || resolvedPort === undefined) {
        this.error(
          node.line,
          node.valueColumn,
          'virtual-unresolved',
          'invalid address for virtual service',
          resolved === undefined
            ? `"${excerpt(unbracket(address.host))}" is not an IPv${node.family} address and does not resolve to one.`
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
        this.warn(
          node.line,
          node.valueColumn,
          'port-leading-zero',
          `port "${excerpt(address.port)}" has leading zeros: no service is derived from it`,
          'The Perl original compares the port as text; write the port without leading zeros.',
        );
      }
    }
    const serviceNode = last.get('service');
    if (serviceNode) {
      service = serviceNode.value as Service;
      serviceOrigin = origin('virtual', serviceNode.line);
    }
    origins.service = serviceOrigin;

    // Table-driven directives: the virtual's own value, else the global one, else the default.
    for (const spec of DIRECTIVES) {
      if (!spec.virtual || STRUCTURED.has(spec.name) || spec.aliasOf) continue;
      this.copy(spec, last.get(spec.name), global, v, origins);
    }

    // checktype
    const ct = last.get('checktype');
    const checktypeValue = (ct?.value ?? { checktype: 'negotiate', combinedCount: 0 }) as {
      checktype: CheckType;
      combinedCount: number;
    };
    origins.checktype = ct ? origin('virtual', ct.line) : origin('default');

    // login and passwd, with the ftp/sip defaults applied when service= is read (order matters).
    let login = '';
    let passwd = '';
    origins.login = origin('default');
    origins.passwd = origin('default');
    for (const d of node.directives) {
      if (d.name === 'login') {
        login = d.value as string;
        origins.login = origin('virtual', d.line);
      } else if (d.name === 'passwd') {
        passwd = d.value as string;
        origins.passwd = origin('virtual', d.line);
      } else if (d.name === 'service') {
        const defaults = SERVICE_DESCRIPTORS[d.value as Service].defaults?.(this.hostname) ?? {};
        if (defaults.login !== undefined && login === '') {
          login = defaults.login;
          origins.login = origin('derived', d.line, 'service');
        }
        if (defaults.passwd !== undefined && passwd === '') {
          passwd = defaults.passwd;
          origins.passwd = origin('derived', d.line, 'service');
        }
      }
    }

    // Timeouts (ld_setup): each falls back on the other, then on the global ones, then 5 / 30.
    const timeout = (first: 'checktimeout' | 'negotiatetimeout', fallback: number): number => {
      const second = first === 'checktimeout' ? 'negotiatetimeout' : 'checktimeout';
      const chain: Array<[number | undefined, Origin]> = [
        [last.get(first)?.value as number | undefined, origin('virtual', last.get(first)?.line)],
        [
          last.get(second)?.value as number | undefined,
          origin('virtual', last.get(second)?.line, second),
        ],
        [global[first], origin('global', global.origins[first]?.line)],
        [global[second], origin('global', global.origins[second]?.line, second)],
      ];
      for (const [value, o] of chain) {
        if (value !== undefined) {
          origins[first] = o;
          return value;
        }
      }
      origins[first] = origin('default');
      return fallback;
    };
    const checktimeout = timeout('checktimeout', 5);
    const negotiatetimeout = timeout('negotiatetimeout', 30);

    const vs = {
      ...v,
      line: node.line,
      family: node.family,
      protocol,
      address: ip,
      port,
      fwmark: address.kind === 'fwmark' ? address.mark : 0,
      written: node.text,
      service,
      checktype: checktypeValue.checktype,
      combinedCount: checktypeValue.combinedCount,
      login,
      passwd,
      checktimeout,
      negotiatetimeout,
      reals: [] as RealServer[],
      origins,
    } as unknown as VirtualService;

    // Fallback: the virtual's own (port defaults to the virtual's), else the global one.
    const fb = lastOf(node.directives, 'fallback') ?? lastOf(node.directives, 'fallback6');
    for (const d of node.directives) {
      if (d.name !== 'fallback' && d.name !== 'fallback6') continue;
      const server = this.fallbackServer(
        d,
        d.value as FallbackSpec,
        node.family,
        protocol,
        address.kind === 'fwmark' ? '0' : address.port,
      );
      if (server && d === fb) {
        vs.fallback = server;
        origins.fallback = origin('virtual', d.line);
      }
    }
    if (!fb) this.globalFallback(vs, global, node);
    if (!vs.fallback && !origins.fallback) origins.fallback = origin('default');

    // Real servers.
    for (const d of node.directives) {
      if (d.name === 'real' || d.name === 'real6') this.reals(d, vs);
    }

    // Duplicate virtual services (the original points at the line after the section).
    const id = virtualId(vs);
    const previous = seen.get(id);
    if (previous !== undefined) {
      this.error(
        node.line,
        1,
        'duplicate-virtual',
        'duplicate virtual server',
        `${id} is already defined at line ${previous}.`,
      );
    } else seen.set(id, node.line);

    this.virtualWarnings(node, vs, last, global);
    return vs;
  }

  private copy(
    spec: DirectiveSpec,
    own: DirectiveNode | undefined,
    global: GlobalConfig,
    out: Record<string, unknown>,
    origins: Record<string, Origin>,
  ): void {
    const field = spec.name;
    if (own) {
      out[field] = own.value;
      origins[spec.name] = origin('virtual', own.line);
      return;
    }
    if (spec.inheritsGlobal) {
      const g = (global as unknown as Record<string, unknown>)[field];
      const gOrigin = global.origins[spec.name];
      if (g !== undefined && gOrigin?.source === 'global') {
        out[field] = g;
        origins[spec.name] = origin('global', gOrigin.line);
        return;
      }
    }
    if (spec.defaultValue !== undefined) out[field] = spec.defaultValue;
    origins[spec.name] = origin('default');
  }

  /** fallback_find for a virtual without its own fallback. */
  private globalFallback(vs: VirtualService, global: GlobalConfig, node: VirtualNode): void {
    const entry = vs.family === 6 ? global.fallback6 : global.fallback;
    if (!entry) return;
    const name = vs.family === 6 ? 'fallback6' : 'fallback';
    const base = vs.protocol === 'udp' ? entry.udp : entry.tcp;
    const { portUnset, ...server } = base;
    if (vs.protocol === 'fwm') {
      this.warn(
        node.line,
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

  // ---- real servers

  private reals(d: DirectiveNode, vs: VirtualService): void {
    const spec = d.value as RealSpec;
    const family = vs.family;
    const first = this.host(spec.host, family);
    if (first === undefined) {
      this.error(
        d.line,
        spec.hostColumn,
        'real-unresolved',
        `invalid address (${excerpt(spec.host)}) for real server (could not resolve host)`,
        `"${excerpt(unbracket(spec.host))}" is not an IPv${family} address and does not resolve to one.`,
      );
      return;
    }
    const portText = spec.port ?? '0';
    const port = resolvePort(portText, '', this.lookupService);
    if (port === undefined) {
      this.error(
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
    const last = this.host(spec.hostEnd, family);
    if (last === undefined) {
      this.error(
        d.line,
        spec.hostColumn,
        'real-unresolved-end',
        `invalid address (${excerpt(spec.hostEnd)}) for real server (could not resolve end host)`,
        `"${excerpt(unbracket(spec.hostEnd))}" is not an IPv${family} address and does not resolve to one.`,
      );
      return;
    }
    if (family === 6) {
      this.error(
        d.line,
        spec.hostColumn,
        'real-range-ipv6',
        'Address range for IPv6 is not supported yet',
        'List each IPv6 real server on its own real6= line.',
      );
      return;
    }
    const a = ipv4ToInt(first);
    const b = ipv4ToInt(last);
    if (a > b) {
      this.error(
        d.line,
        spec.hostColumn,
        'real-range-order',
        `Invalid Range: ${first}-${last}: First value must be greater than or equal to the second value`,
        'The first address of a range must not be above the last.',
      );
      return;
    }
    const count = b - a + 1;
    if (count > this.maxRangeSize) {
      this.error(
        d.line,
        spec.hostColumn,
        'real-range-size',
        `range ${first}->${last} has ${count} addresses; at most ${this.maxRangeSize} are accepted`,
        'Split the range, or use a firewall-mark service.',
      );
      return;
    }
    const perlCount = perlRangeCount(a, b, count + this.maxRangeSize);
    if (perlCount !== count) {
      this.warn(
        d.line,
        spec.hostColumn,
        'real-range-fixed',
        `range ${first}->${last} gives ${count} real servers`,
        `The Perl original compares the addresses as text and creates ${perlCount === 0 ? 'none of them' : `${perlCount} of them`} (a range across a power of ten).`,
        'differs-from-perl',
      );
    }
    for (let i = a; i <= b; i++) vs.reals.push({ address: intToIPv4(i), ...base });
  }

  // ---- warnings about what the file does (or does not do)

  private virtualWarnings(
    node: VirtualNode,
    vs: VirtualService,
    last: Map<string, DirectiveNode>,
    global: GlobalConfig,
  ): void {
    const at = (name: string): [number, number] => {
      const n = last.get(name);
      return n ? [n.line, n.column] : [node.line, 1];
    };
    if (
      vs.reals.length === 0 &&
      !node.directives.some((d) => d.name === 'real' || d.name === 'real6')
    ) {
      this.warn(
        node.line,
        1,
        'virtual-no-reals',
        `virtual service ${virtualId(vs)} has no real servers`,
        'Add real=<ip>:<port> gate|masq|ipip lines under it.',
      );
    }
    const realKeys = new Map<string, number>();
    for (const r of vs.reals) {
      const key = `${r.address}|${r.port}`;
      const first = realKeys.get(key);
      if (first !== undefined && first !== r.line) {
        this.warn(
          r.line,
          1,
          'real-duplicate',
          `real server ${r.address}:${r.port} is already listed at line ${first}`,
          'ipvsadm rejects the second one.',
        );
      } else if (first === undefined) realKeys.set(key, r.line);
    }
    if (last.has('checkinterval') && !global.fork) {
      this.warn(
        ...at('checkinterval'),
        'checkinterval-virtual-honoured',
        `checkinterval in virtual service ${virtualId(vs)} is honoured by ldirectord-ts`,
        'The Perl original ignores a per-virtual checkinterval when fork=no (its warning: "checkinterval in virtual service ... ignored when fork=no").',
        'differs-from-perl',
      );
    }
    if (last.has('ops') && vs.ops && vs.protocol !== 'udp') {
      this.warn(
        ...at('ops'),
        'ops-not-udp',
        `ops has no effect on a ${vs.protocol} service`,
        'One-packet scheduling exists only for UDP; the original ignores it too.',
        'no-effect',
      );
    }
    // ipvsadm refuses -p 0 (the directive table bounds persistent above); the original passes
    // it on and its virtual service is then never created ("Service not defined").
    if (vs.persistent === 0) {
      this.warn(
        ...at('persistent'),
        'persistent-zero',
        'persistent=0: the virtual service is created without persistence',
        'ipvsadm refuses -p 0, so the Perl original never creates this virtual service. Remove the line, or give seconds.',
        'differs-from-perl',
      );
      vs.persistent = undefined;
    }
    if (vs.schedflags !== undefined) {
      const refusal = schedFlagsRefusal(vs.scheduler, vs.schedflags);
      if (refusal) {
        this.warn(
          ...at('schedflags'),
          'schedflags-refused',
          `ipvsadm will refuse schedflags=${excerpt(vs.schedflags)} with scheduler=${excerpt(vs.scheduler)}: ${refusal}`,
          'The Perl original passes them on and ipvsadm then never creates the virtual service; so does ldirectord-ts. sh-fallback and sh-port go with scheduler=sh, mh-fallback and mh-port with mh, flag-1 to flag-3 with any.',
        );
      }
    }
    const multicastLines = new Set<number>();
    for (const r of vs.reals) {
      if (multicastLines.has(r.line) || !isMulticast(r.address)) continue;
      multicastLines.add(r.line);
      this.warn(
        r.line,
        1,
        'real-multicast',
        `real server ${r.address} is a multicast address: the kernel refuses it`,
        'IPVS forwards to unicast real servers only; the Perl original passes it to ipvsadm, which fails, and so does ldirectord-ts.',
      );
    }
    if (vs.checktype === 'ping') {
      // A ping check makes checkcount attempts of checktimeout each under one deadline.
      const seconds = vs.checktimeout * Math.max(1, vs.checkcount);
      const tooLarge = outOfRange(
        seconds,
        RANGES.seconds,
        `the ping deadline, checktimeout=${vs.checktimeout} times checkcount=${vs.checkcount},`,
      );
      if (tooLarge) {
        const o = vs.origins.checkcount;
        this.error(
          o?.line ?? node.line,
          1,
          'number-out-of-range',
          tooLarge,
          'Lower checkcount (deprecated: use failurecount) or checktimeout.',
        );
      }
    }
    if (last.has('netmask') && vs.persistent === undefined) {
      this.warn(
        ...at('netmask'),
        'netmask-without-persistent',
        'netmask has no effect without persistent',
        'ipvsadm -M is only passed with -p; add persistent=<seconds>.',
        'no-effect',
      );
    }
    const negotiates = NEGOTIATING.includes(vs.checktype);
    const service = SERVICE_DESCRIPTORS[vs.service];
    if (last.has('receive') && negotiates && service.httpmethod && vs.httpmethod === 'HEAD') {
      this.warn(
        ...at('receive'),
        'receive-with-head',
        'receive with httpmethod=HEAD: the check can never succeed',
        'A HEAD response has no body for the receive string to match; the Perl original fails this check every time. Use GET, or drop receive.',
      );
    }
    if (last.has('receive') && service.receive === 'rows') {
      this.warn(
        ...at('receive'),
        'receive-sql',
        `receive has no effect on ${vs.service} checks`,
        'The check is up when the request (a query) returns at least one row; the original ignores receive too.',
        'no-effect',
      );
    }
    for (const name of ['request', 'receive'] as const) {
      if (
        last.has(name) &&
        !negotiates &&
        vs.checktype !== 'external' &&
        vs.checktype !== 'external-perl'
      ) {
        this.warn(
          ...at(name),
          `${name}-unused`,
          `${name} has no effect with checktype=${vs.checktype}`,
          'Only negotiate checks (checktype=negotiate or a number) send the request and match the receive string.',
          'no-effect',
        );
      }
    }
    if (negotiates && service.receive === 'regex') {
      const patterns: Array<[string, number, number]> = [];
      if (last.has('receive') && vs.receive !== '') patterns.push([vs.receive, ...at('receive')]);
      for (const r of vs.reals) {
        if (r.receive) patterns.push([r.receive, r.line, 1]);
      }
      for (const [pattern, line, column] of patterns) this.checkReceive(pattern, line, column);
    }
    if (last.has('virtualhost') && !service.virtualhost) {
      this.warn(
        ...at('virtualhost'),
        'virtualhost-unused',
        `virtualhost has no effect on ${vs.service} checks`,
        `It sets the Host header of ${inWords(SERVICES.filter((s) => SERVICE_DESCRIPTORS[s].virtualhost))} checks only.`,
        'no-effect',
      );
    }
    if (vs.checktimeout === 0 || vs.negotiatetimeout === 0) {
      this.warn(
        node.line,
        1,
        'timeout-zero',
        'a timeout of 0 seconds',
        'The original then waits without limit; give a number of seconds.',
      );
    }
  }

  /** fallbackcommand and callback run without a shell: refuse what would need one, here. */
  checkCommands(global: GlobalConfig, virtuals: VirtualService[]): void {
    const check = (name: string, command: string | undefined, line: number | undefined): void => {
      if (command === undefined || line === undefined) return;
      const split = splitCommand(command);
      if (split.ok) return;
      this.error(
        line,
        1,
        'command-needs-shell',
        `${name} cannot run without a shell: ${split.reason}`,
        'ldirectord-ts runs commands without a shell (the original used /bin/sh). Put the pipeline, redirection or variables in a script and name the script.',
      );
    };
    check('fallbackcommand', global.fallbackcommand, global.origins['fallbackcommand']?.line);
    check('callback', global.callback, global.origins['callback']?.line);
    for (const v of virtuals) {
      const origin = v.origins['fallbackcommand'];
      if (origin?.source === 'virtual') check('fallbackcommand', v.fallbackcommand, origin.line);
    }
  }

  async checkFiles(
    config: { global: GlobalConfig; virtuals: VirtualService[] },
    nodes: VirtualNode[],
  ): Promise<void> {
    const g = config.global;
    const logfileNode = lastOf(this.tree.globals, 'logfile');
    if (logfileNode) {
      const path = g.logfile;
      if (path.startsWith('/')) {
        if (!this.options.debug && !g.supervised) {
          const problem = await this.files.appendable(path.trim(), LOG_FILE_MODE);
          if (problem !== undefined) {
            this.error(
              logfileNode.line,
              logfileNode.valueColumn,
              'logfile-unwritable',
              // The original's words, then why (it gives none; monitorfile's message has it).
              `unable to open logfile: ${excerpt(path)}: ${problem}`,
              'A path starting with / is a log file (a regular file, or a character device such as /dev/null); anything else is a syslog facility.',
            );
          }
        }
      } else if (!SYSLOG_FACILITIES.includes(path)) {
        this.warn(
          logfileNode.line,
          logfileNode.valueColumn,
          'logfile-facility',
          `logfile "${excerpt(path)}" is neither a path (starting with /) nor a syslog facility name`,
          `Syslog facilities: ${SYSLOG_FACILITIES.join(', ')}.`,
        );
      }
    }
    const maint = lastOf(this.tree.globals, 'maintenancedir');
    if (maint && !(await this.files.isDirectory(g.maintenancedir!))) {
      this.warn(
        maint.line,
        maint.valueColumn,
        'maintenancedir-missing',
        'maintenance directory does not exist',
        /^["']/.test(g.maintenancedir!)
          ? 'The value is taken as written, quotes included: write the path without quotes.'
          : 'No real server is in maintenance until it is created.',
      );
    }
    for (const node of nodes) {
      for (const d of node.directives) {
        if (d.name !== 'monitorfile') continue;
        const path = (d.value as string).trim();
        const problem = await this.files.appendable(path);
        if (problem !== undefined) {
          this.error(
            d.line,
            d.valueColumn,
            'monitorfile-unwritable',
            `unable to open monitorfile ${excerpt(d.value as string)}: ${problem}`,
            'The file must be writable, or its directory must exist and be writable.',
          );
        }
      }
    }
  }
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

export async function resolveConfig(
  tree: ConfigTree,
  options: ResolveOptions = {},
): Promise<ResolveResult> {
  const r = new Resolver(tree, options);
  await r.resolveHosts();
  const global = r.global();
  const seen = new Map<string, number>();
  const virtuals: VirtualService[] = [];
  const resolvedNodes: VirtualNode[] = [];
  for (const node of tree.virtuals) {
    const vs = r.virtual(node, global, seen);
    if (vs) virtuals.push(vs);
    resolvedNodes.push(node);
  }
  if (global.fork) {
    const forkNode = lastOf(tree.globals, 'fork')!;
    r.warn(
      forkNode.line,
      forkNode.valueColumn,
      'fork-no-effect',
      'fork=yes has no effect',
      'ldirectord-ts checks every real server concurrently and isolates each check; there is nothing to fork.',
      'no-effect',
    );
  }
  await r.checkFiles({ global, virtuals }, resolvedNodes);
  r.checkCommands(global, virtuals);
  const diagnostics = sortDiagnostics(r.diagnostics);
  if (hasErrors(diagnostics)) return { diagnostics };
  return { config: { file: tree.file, global, virtuals }, diagnostics };
}
