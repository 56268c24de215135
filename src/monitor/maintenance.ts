// maintenancedir (§4.3 item 1): a file named after a real in that directory forces it down.
// The names come from the address and from its reverse-DNS name; the original resolves the
// name on every check (§6 item 35). Here the names are resolved once per config load, in the
// background, and the directory listing is shared by every check for a short while.
import { lookupService } from 'node:dns/promises';
import { readdir } from 'node:fs/promises';
import { bracket } from '../lib/inet.ts';
import type { Clock } from './clock.ts';

/** The first label of a host name, if it looks like one (the original's rule, any case). */
export function shortName(fqdn: string): string | undefined {
  return /^([a-z][a-z0-9-]+)\./i.exec(fqdn)?.[1];
}

/**
 * The file names that put a real into maintenance, in the original's order:
 * `<rip>:<rport>`, `<rip>`, `<fqdn>:<rport>`, `<fqdn>`, `<short>:<rport>`, `<short>`.
 * `<rip>` keeps its brackets for IPv6.
 */
export function maintenanceFileNames(address: string, port: number, fqdn?: string): string[] {
  const rip = bracket(address);
  const names = [`${rip}:${port}`, rip];
  if (fqdn) {
    names.push(`${fqdn}:${port}`, fqdn);
    const short = shortName(fqdn);
    if (short) names.push(`${short}:${port}`, short);
  }
  return names;
}

export interface MaintenanceLookup {
  /**
   * A new config: remember the directory (undefined: maintenance is off) and start resolving
   * the reverse names of these addresses in the background. The promise settles when they are
   * all resolved (it never rejects); nothing has to wait for it.
   */
  prepare(directory: string | undefined, addresses: readonly string[]): Promise<void>;
  /** The maintenance file that names this real, or undefined. Never rejects. */
  find(address: string, port: number): Promise<string | undefined>;
}

export interface MaintenanceLookupOptions {
  clock: Clock;
  /** Reverse lookup (getnameinfo with NI_NAMEREQD); undefined when the address has no name. */
  resolveName?: (address: string) => Promise<string | undefined>;
  listDirectory?: (directory: string) => Promise<string[]>;
  /** How long one directory listing serves every check. */
  listingTtlMs?: number;
  /** Reverse lookups in flight at once. */
  resolveConcurrency?: number;
}

async function reverseName(address: string): Promise<string | undefined> {
  try {
    return (await lookupService(address, 0)).hostname || undefined;
  } catch {
    return undefined;
  }
}

export function createMaintenanceLookup(options: MaintenanceLookupOptions): MaintenanceLookup {
  const resolveName = options.resolveName ?? reverseName;
  const listDirectory = options.listDirectory ?? ((d: string) => readdir(d));
  const ttl = options.listingTtlMs ?? 1000;
  const parallel = options.resolveConcurrency ?? 16;
  const names = new Map<string, string | undefined>();
  let directory: string | undefined;
  let listing: { directory: string; at: number; files: Promise<Set<string>> } | undefined;
  let generation = 0;

  const resolveAll = async (addresses: string[], mine: number): Promise<void> => {
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < addresses.length && mine === generation) {
        const address = addresses[next++]!;
        const name = await resolveName(address).catch(() => undefined);
        if (mine === generation) names.set(address, name);
      }
    };
    await Promise.all(Array.from({ length: Math.min(parallel, addresses.length) }, worker));
  };

  const files = (dir: string): Promise<Set<string>> => {
    const now = options.clock.now();
    if (!listing || listing.directory !== dir || now - listing.at >= ttl) {
      const read = listDirectory(dir).then(
        (entries) => new Set(entries),
        () => new Set<string>(),
      );
      listing = { directory: dir, at: now, files: read };
    }
    return listing.files;
  };

  return {
    prepare(dir, addresses) {
      directory = dir;
      listing = undefined;
      generation++;
      if (dir === undefined) return Promise.resolve();
      // Names of the previous config stay usable until they are resolved again.
      return resolveAll([...new Set(addresses)], generation);
    },
    async find(address, port) {
      const dir = directory;
      if (dir === undefined) return undefined;
      const present = await files(dir);
      if (present.size === 0) return undefined;
      return maintenanceFileNames(address, port, names.get(address)).find((n) => present.has(n));
    },
  };
}
