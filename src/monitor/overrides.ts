// The operator's overrides (`ldirectord-ts ctl`): which real of which virtual is drained or has
// another weight, and how a virtual and a real written by a person find their place in the
// config. Pure: the monitor keeps the records, the daemon stores them and carries the requests.
//
// A virtual is named as the config spells it after `virtual=` (`192.168.0.1:80`, `[2001:db8::1]:80`,
// `www.example.com:http`, `5` for a firewall mark), or by the id the status shows
// (`tcp:192.168.0.1:80`, `udp:...`, `fwm:5`, `fwm6:5`). Where one spelling names two services (a
// tcp and a udp virtual on one address and port, a mark in both families), the id is needed.
// A real is `address:port` (`[v6]:port`), with the address numeric or as the config writes the
// host, the port a number or a service name; the address alone when it is in the virtual once.
import { virtualId } from '../config/identity.ts';
import type { Config, RealServer, VirtualService } from '../config/model.ts';
import type { ServiceLookup } from '../config/services.ts';
import type { RealPair } from '../ipvs/types.ts';
import { canonicalAddress, hostPort } from '../lib/inet.ts';
import type { RealOverride } from '../model/domain.ts';

export interface OverrideRecord {
  /** virtualId() of the virtual. */
  virtual: string;
  /** hostPort() of the real. */
  real: string;
  override: RealOverride;
  /** When it was set, in ms since the epoch. */
  sinceMs: number;
}

/** The key of a record: one per real address:port of one virtual. */
export function overrideKey(virtual: string, real: string): string {
  return `${virtual} ${real}`;
}

export function overrideKeyOf(vid: string, r: RealServer): string {
  return overrideKey(vid, hostPort(r.address, r.port));
}

/** `drained`, `weight 5`: how an override reads in logs and answers. */
export function describeOverride(override: RealOverride): string {
  return override.kind === 'drain' ? 'drained' : `weight ${override.weight}`;
}

/** The reals a request names: every real at that address:port in every virtual of that id. */
export type Selection =
  { ok: true; virtual: string; real: string; pairs: RealPair[] } | { ok: false; error: string };

const LISTED = 8;

function listed(items: readonly string[]): string {
  const shown = items.slice(0, LISTED).join(', ');
  return items.length > LISTED ? `${shown} and ${items.length - LISTED} more` : shown;
}

/** The virtuals a text names, all of one id; or why none or several ids. */
export function selectVirtual(
  config: Config,
  text: string,
): { ok: true; id: string; virtuals: VirtualService[] } | { ok: false; error: string } {
  const wanted = text.trim();
  const spellings = virtualSpellings(wanted);
  const byId = new Map<string, VirtualService[]>();
  for (const v of config.virtuals) {
    const id = virtualId(v);
    const names = [id, v.written.trim()];
    if (v.protocol === 'fwm') names.push(String(v.fwmark));
    else names.push(hostPort(v.address, v.port));
    if (!names.some((n) => spellings.has(n))) continue;
    const list = byId.get(id) ?? [];
    list.push(v);
    byId.set(id, list);
  }
  const ids = [...byId.keys()];
  if (ids.length === 0) {
    const known = [...new Set(config.virtuals.map(virtualId))];
    return {
      ok: false,
      error: `no virtual "${wanted}" in the configuration the daemon runs (its virtuals: ${known.length > 0 ? listed(known) : 'none'})`,
    };
  }
  if (ids.length > 1)
    return {
      ok: false,
      error: `"${wanted}" names ${ids.length} virtuals (${ids.join(', ')}): write the one meant with its protocol, as ${ids[0]}`,
    };
  return { ok: true, id: ids[0]!, virtuals: byId.get(ids[0]!)! };
}

/** The spellings a virtual's text may match: as given, and with its address made canonical. */
function virtualSpellings(text: string): Set<string> {
  const spellings = new Set([text]);
  const proto = /^(tcp|udp|fwm6?):(.*)$/i.exec(text);
  const prefix = proto ? `${proto[1]!.toLowerCase()}:` : '';
  const rest = proto ? proto[2]! : text;
  const split = splitHostPort(rest);
  const address = split && canonicalAddress(split.host);
  if (split && address !== undefined && split.port !== undefined && /^\d+$/.test(split.port))
    spellings.add(prefix + hostPort(address, Number(split.port)));
  if (prefix) spellings.add(prefix + rest);
  return spellings;
}

/** `host:port`, `[v6]:port`, `[v6]`, a bare IPv6 address or a host alone. */
function splitHostPort(text: string): { host: string; port?: string } | undefined {
  if (text.startsWith('[')) {
    const m = /^\[([^\]]+)\](?::([^:]+))?$/.exec(text);
    return m ? { host: m[1]!, ...(m[2] !== undefined ? { port: m[2] } : {}) } : undefined;
  }
  const colons = text.split(':').length - 1;
  if (colons === 0) return { host: text };
  if (colons > 1) return { host: text };
  const [host, port] = text.split(':') as [string, string];
  return host === '' || port === '' ? undefined : { host, port };
}

/**
 * The reals of a virtual a request names. `lookupService` reads a port written as a service
 * name (/etc/services); without it only numbers are ports.
 */
export function selectReal(
  config: Config,
  virtualText: string,
  realText: string,
  lookupService?: ServiceLookup,
): Selection {
  const virtual = selectVirtual(config, virtualText);
  if (!virtual.ok) return virtual;
  const wanted = realText.trim();
  const split = splitHostPort(wanted);
  if (!split || split.host === '')
    return {
      ok: false,
      error: `"${wanted}" is not a real server: write address:port, e.g. 192.168.0.2:80 or [2001:db8::2]:80`,
    };
  const address = canonicalAddress(split.host);
  const pairs: RealPair[] = [];
  const names = new Set<string>();
  for (const v of virtual.virtuals) {
    const protocol = v.protocol === 'udp' ? 'udp' : 'tcp';
    let port: number | undefined;
    if (split.port !== undefined) {
      port = /^\d+$/.test(split.port) ? Number(split.port) : lookupService?.(split.port, protocol);
      if (port === undefined)
        return { ok: false, error: `"${split.port}" in "${wanted}" is not a port number` };
    }
    for (const r of v.reals) {
      const sameHost = r.address === address || r.written === split.host;
      if (!sameHost || (port !== undefined && r.port !== port)) continue;
      pairs.push({ virtual: v, real: r });
      names.add(hostPort(r.address, r.port));
    }
  }
  const known = [
    ...new Set(virtual.virtuals.flatMap((v) => v.reals.map((r) => hostPort(r.address, r.port)))),
  ];
  if (names.size === 0)
    return {
      ok: false,
      error: `no real "${wanted}" in virtual ${virtual.id} (its reals: ${known.length > 0 ? listed(known) : 'none'})`,
    };
  if (names.size > 1)
    return {
      ok: false,
      error: `"${wanted}" names ${names.size} reals of virtual ${virtual.id} (${listed([...names])}): write the one meant with its port`,
    };
  return { ok: true, virtual: virtual.id, real: [...names][0]!, pairs };
}
