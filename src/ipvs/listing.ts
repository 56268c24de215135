// Parsers for what ipvsadm 1.31 prints: `-L -n`, `-L -n --thresholds` and `-S -n`, IPv4, IPv6
// and firewall marks. A read runs `-L -n` and `-L -n --thresholds` (one -R process) and merges
// them: the first gives forwarding (including Local) and weight, the second the thresholds;
// `-S -n` prints neither thresholds nor Local.
import type { Family, Protocol } from '../config/model.ts';
import { printable } from '../lib/printable.ts';
import { canonicalIpv6 } from '../lib/inet.ts';
import type { IpvsDestination, IpvsForward, IpvsService, IpvsTable } from './model.ts';
import { ipvsDestinationKey, ipvsServiceKey } from './table.ts';

export class ListingParseError extends Error {
  readonly line: string;
  /** The output stops early, rather than holding something that is not a listing. */
  readonly cutShort: boolean;
  constructor(message: string, line: string, cutShort = false) {
    // The offending line as a bounded, printable excerpt: it may be any bytes at all.
    super(line === '' ? message : `${message}: "${printable(line, 80)}"`);
    this.name = 'ListingParseError';
    this.line = line;
    this.cutShort = cutShort;
  }
}

export type ListingFormat = 'list' | 'thresholds' | 'rules';

export interface ParsedListing {
  format: ListingFormat;
  table: IpvsTable;
}

const FORWARD_BY_NAME: Record<string, IpvsForward> = {
  Masq: 'masq',
  Local: 'local',
  Tunnel: 'ipip',
  Route: 'gate',
  '(null)': 'bypass',
};
const FORWARD_BY_SWITCH: Record<string, IpvsForward> = { '-m': 'masq', '-g': 'gate', '-i': 'ipip' };

/** `10.0.0.1:80` or `[2001:db8::1]:80` -> address and port. */
function addressPort(text: string, line: string): { address: string; port: number } {
  const colon = text.lastIndexOf(':');
  const port = Number(text.slice(colon + 1));
  let address = text.slice(0, colon);
  if (colon === -1 || !/^\d+$/.test(text.slice(colon + 1)) || port > 65535) {
    throw new ListingParseError('bad address:port', line);
  }
  if (address.startsWith('[') && address.endsWith(']')) {
    address = canonicalIpv6(address.slice(1, -1)) ?? '';
    if (address === '') throw new ListingParseError('bad IPv6 address', line);
  } else if (!/^\d+\.\d+\.\d+\.\d+$/.test(address)) {
    throw new ListingParseError('bad IPv4 address (was -n given?)', line);
  }
  return { address, port };
}

function newService(
  protocol: Protocol,
  family: Family,
  where: { address: string; port: number } | { fwmark: number },
  scheduler: string,
): IpvsService {
  return {
    protocol,
    family,
    address: 'address' in where ? where.address : '',
    port: 'port' in where ? where.port : 0,
    fwmark: 'fwmark' in where ? where.fwmark : 0,
    scheduler,
    ops: false,
    destinations: [],
  };
}

const SERVICE_LINE =
  /^(TCP|UDP|FWM) +(\S+)( IPv6)? (\S+)(?: \(([^)]*)\))?(?: persistent (\d+)(?: mask (\S+))?(?: pe (\S+))?)?( ops)?$/;
const DEST_LINE = /^ {2}-> (\S+) +(\S+) +(\d+) +(\d+) +(\d+) *$/;
const THRESHOLD_LINE = /^ {2}-> (\S+) +(\d+) +(\d+) +(\d+) +(\d+) *$/;

/** One listing of `-L -n` (with or without --thresholds), or the rules of `-S -n`. */
export function parseListing(text: string): ParsedListing {
  const lines = text.split('\n');
  if (lines.at(-1) === '') lines.pop();
  return parseLines(lines);
}

function parseLines(lines: string[]): ParsedListing {
  if (lines[0]?.startsWith('IP Virtual Server version')) return parseList(lines);
  return { format: 'rules', table: parseRules(lines) };
}

function parseList(lines: string[]): ParsedListing {
  const thresholds = lines[1]?.includes('Uthreshold') ?? false;
  if (
    !lines[1]?.startsWith('Prot LocalAddress:Port') ||
    lines[2]?.trim().startsWith('->') !== true
  ) {
    throw new ListingParseError('not an ipvsadm -L -n listing', lines[1] ?? '');
  }
  const services: IpvsService[] = [];
  let current: IpvsService | undefined;
  for (const line of lines.slice(3)) {
    const s = SERVICE_LINE.exec(line);
    if (s) {
      const [, proto, where, v6, scheduler, flags, persistent, mask, , ops] = s;
      if (proto === 'FWM') {
        if (!/^-?\d+$/.test(where!)) throw new ListingParseError('bad firewall mark', line);
        current = newService('fwm', v6 ? 6 : 4, { fwmark: Number(where) >>> 0 }, scheduler!);
      } else {
        const ap = addressPort(where!, line);
        current = newService(
          proto === 'UDP' ? 'udp' : 'tcp',
          ap.address.includes(':') ? 6 : 4,
          ap,
          scheduler!,
        );
      }
      if (flags !== undefined) current.schedflags = flags;
      if (persistent !== undefined) current.persistent = Number(persistent);
      if (mask !== undefined) current.netmask = mask;
      current.ops = ops !== undefined;
      services.push(current);
      continue;
    }
    const d = (thresholds ? THRESHOLD_LINE : DEST_LINE).exec(line);
    if (d) {
      if (!current) throw new ListingParseError('real server outside a virtual service', line);
      const ap = addressPort(d[1]!, line);
      const dest: IpvsDestination = thresholds
        ? {
            ...ap,
            forward: 'gate',
            weight: 0,
            upperThreshold: Number(d[2]),
            lowerThreshold: Number(d[3]),
          }
        : {
            ...ap,
            forward: FORWARD_BY_NAME[d[2]!] ?? fail<IpvsForward>('unknown forwarding method', line),
            weight: Number(d[3]),
            upperThreshold: 0,
            lowerThreshold: 0,
          };
      current.destinations.push(dest);
      continue;
    }
    throw new ListingParseError('unknown line', line);
  }
  return { format: thresholds ? 'thresholds' : 'list', table: { services } };
}

function fail<T>(message: string, line: string): T {
  throw new ListingParseError(message, line);
}

function parseRules(lines: string[]): IpvsTable {
  const services = new Map<string, IpvsService>();
  for (const line of lines) {
    if (line.trim() === '') continue;
    const words = line.trim().split(/ +/);
    const command = words.shift();
    if (command !== '-A' && command !== '-a') throw new ListingParseError('unknown rule', line);
    let service: IpvsService | undefined;
    const option = (name: string): string =>
      words.shift() ?? fail<string>(`${name} without a value`, line);
    const serviceOption = (flag: string): void => {
      const value = option(flag);
      if (flag === '-f') {
        const v6 = words[0] === '-6';
        if (v6) words.shift();
        service = newService('fwm', v6 ? 6 : 4, { fwmark: Number(value) >>> 0 }, '');
      } else {
        const ap = addressPort(value, line);
        service = newService(
          flag === '-u' ? 'udp' : 'tcp',
          ap.address.includes(':') ? 6 : 4,
          ap,
          '',
        );
      }
    };
    const dest: IpvsDestination = {
      address: '',
      port: 0,
      forward: 'gate',
      weight: 0,
      upperThreshold: 0,
      lowerThreshold: 0,
    };
    while (words.length > 0) {
      const flag = words.shift()!;
      if (flag === '-t' || flag === '-u' || flag === '-f') serviceOption(flag);
      else if (flag === '-s') service!.scheduler = option(flag);
      else if (flag === '-p') service!.persistent = Number(option(flag));
      else if (flag === '-M') service!.netmask = option(flag);
      else if (flag === '--pe') option(flag);
      else if (flag === '-o') service!.ops = true;
      else if (flag === '-b') service!.schedflags = option(flag);
      else if (flag === '-r') Object.assign(dest, addressPort(option(flag), line));
      else if (flag === '-w') dest.weight = Number(option(flag));
      else if (flag in FORWARD_BY_SWITCH) dest.forward = FORWARD_BY_SWITCH[flag]!;
      else if (flag === '--tun-type' || flag === '--tun-port') option(flag);
      else if (flag.startsWith('--tun-')) continue;
      else throw new ListingParseError(`unknown option ${flag}`, line);
    }
    if (!service) throw new ListingParseError('rule without a virtual service', line);
    const key = ipvsServiceKey(service);
    if (command === '-A') services.set(key, service);
    else {
      const owner = services.get(key) ?? fail<IpvsService>('real server before its service', line);
      owner.destinations.push(dest);
    }
  }
  return { services: [...services.values()] };
}

/**
 * The table from the output of a read: one or more listings one after the other (what
 * `ipvsadm -R` prints for `-L -n` then `-L -n --thresholds`). Thresholds come from a
 * --thresholds listing when there is one.
 */
export function parseTable(stdout: string): IpvsTable {
  const sections = splitLines(stdout);
  if (sections.length === 0) throw new ListingParseError('no listing in the output', stdout);
  const parsed = sections.map(parseLines);
  const base = parsed.find((p) => p.format !== 'thresholds');
  if (!base) throw new ListingParseError('a thresholds listing alone has no weights', stdout);
  const thresholds = parsed.find((p) => p.format === 'thresholds');
  return thresholds ? mergeThresholds(base.table, thresholds.table) : base.table;
}

/**
 * The table from exactly what a read prints (`-L -n`, then `-L -n --thresholds`, in one
 * process), checked whole: output that stops early (in the middle of a line, after one
 * listing, or with the second listing shorter than the first) is a ListingParseError with
 * cutShort set, where parseTable would take the part that came for the whole table.
 */
export function parseReadOutput(stdout: string): IpvsTable {
  const cut = (message: string, line = ''): never => {
    throw new ListingParseError(message, line, true);
  };
  if (stdout === '') cut('no listing at all');
  if (!stdout.endsWith('\n')) {
    cut('it ends in the middle of a line', stdout.slice(stdout.lastIndexOf('\n') + 1));
  }
  const sections = splitLines(stdout);
  if (!sections[0]![0]!.startsWith('IP Virtual Server version')) {
    throw new ListingParseError('not an ipvsadm -L -n listing', sections[0]![0]!);
  }
  if (sections.length === 1) cut('only one of the two listings came');
  if (sections.length > 2) {
    throw new ListingParseError('more than the two listings', sections[2]![0]!);
  }
  const [list, thresholds] = sections.map(parseLines) as [ParsedListing, ParsedListing];
  if (list.format !== 'list' || thresholds.format !== 'thresholds') {
    throw new ListingParseError('not a listing then a --thresholds listing', sections[1]![1] ?? '');
  }
  const entries = (t: IpvsTable): string =>
    t.services
      .map((s) => [ipvsServiceKey(s), ...s.destinations.map(ipvsDestinationKey)].join(' '))
      .join('\n');
  if (entries(list.table) !== entries(thresholds.table)) {
    cut('the two listings differ (the second one cut short, or the table changed meanwhile)');
  }
  return mergeThresholds(list.table, thresholds.table);
}

/** Split concatenated listings at their version lines (rules have none). */
export function splitListings(stdout: string): string[] {
  return splitLines(stdout).map((lines) => lines.join('\n'));
}

function splitLines(stdout: string): string[][] {
  const sections: string[][] = [];
  let current: string[] = [];
  const lines = stdout.split('\n');
  if (lines.at(-1) === '') lines.pop();
  for (const line of lines) {
    if (current.length > 0 && line.startsWith('IP Virtual Server version')) {
      sections.push(current);
      current = [];
    }
    current.push(line);
  }
  if (current.length > 0) sections.push(current);
  return sections;
}

/** Thresholds of `withThresholds` copied onto the matching destinations of `table`. */
export function mergeThresholds(table: IpvsTable, withThresholds: IpvsTable): IpvsTable {
  // Two listings of one process list the same entries in the same order: merge in step, and
  // by key only when they do not line up.
  const aligned =
    table.services.length === withThresholds.services.length &&
    table.services.every((s, i) => {
      const t = withThresholds.services[i]!;
      return (
        s.fwmark === t.fwmark &&
        s.address === t.address &&
        s.port === t.port &&
        s.protocol === t.protocol &&
        s.destinations.length === t.destinations.length &&
        s.destinations.every(
          (d, j) => d.address === t.destinations[j]!.address && d.port === t.destinations[j]!.port,
        )
      );
    });
  const found = new Map<string, IpvsDestination>();
  if (!aligned) {
    for (const s of withThresholds.services) {
      for (const d of s.destinations) found.set(`${ipvsServiceKey(s)} ${ipvsDestinationKey(d)}`, d);
    }
  }
  return {
    services: table.services.map((s, i) => ({
      ...s,
      destinations: s.destinations.map((d, j) => {
        const t = aligned
          ? withThresholds.services[i]!.destinations[j]
          : found.get(`${ipvsServiceKey(s)} ${ipvsDestinationKey(d)}`);
        return t
          ? { ...d, upperThreshold: t.upperThreshold, lowerThreshold: t.lowerThreshold }
          : { ...d };
      }),
    })),
  };
}
