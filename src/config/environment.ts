// What the resolver needs from the machine, the real thing (tests give their own): host name
// resolution, /etc/services, the host name, and the file checks the original makes while
// parsing (logfile and monitorfile opened for append, maintenancedir tested).

import { lookup } from 'node:dns/promises';
import { closeSync, constants, readFileSync } from 'node:fs';
import { access, stat } from 'node:fs/promises';
import { isIP } from 'node:net';
import { hostname as osHostname } from 'node:os';
import { dirname } from 'node:path';
import { appendTargetProblem, openForAppend } from '../lib/append-file.ts';
import { ipv6Groups, ipv6ToString } from '../lib/inet.ts';
import type { FileChecker } from './resolve/files.ts';
import type { HostResolver } from './resolve/hosts.ts';
import type { ResolveEnvironment } from './resolve/resolve.ts';
import { type ServiceLookup, servicesLookup } from './services.ts';

/**
 * The original's ld_gethostbyname: getaddrinfo in the family, first result, numeric. Node's
 * dns.lookup returns IP literals untouched, whatever the family, so literals are handled here:
 * a literal of the other family does not resolve (as with getaddrinfo).
 */
export const defaultResolveHost: HostResolver = async (name, family) => {
  const literal = isIP(name);
  if (literal !== 0) {
    if (literal !== family) return undefined;
    return family === 6 ? ipv6ToString(ipv6Groups(name)) : name;
  }
  if (name === '') return undefined;
  try {
    const result = await lookup(name, { family });
    return family === 6 ? ipv6ToString(ipv6Groups(result.address)) : result.address;
  } catch {
    return undefined;
  }
};

let etcServices: ServiceLookup | undefined;

/** getservbyname over /etc/services (read once); an unreadable file knows no names. */
export const defaultLookupService: ServiceLookup = (name, protocol) => {
  if (!etcServices) {
    let text = '';
    try {
      text = readFileSync('/etc/services', 'utf8');
    } catch {
      // No /etc/services: only numeric ports work, as with the original.
    }
    etcServices = servicesLookup(text);
  }
  return etcServices(name, protocol);
};

/** The original's HOSTNAME: $HOSTNAME, else the node name. */
export function defaultHostname(): string {
  return process.env.HOSTNAME ?? osHostname();
}

/**
 * How the resolver tests the files the original opens while parsing:
 * - 'open': as the original: open for append (creates a missing file), test directories;
 * - 'access': the same verdicts without creating anything (access(2) on the file, or on its
 *   directory when the file does not exist) — what `ldirectord-ts check` uses;
 * - 'none': no test at all.
 */
export type FileCheckMode = 'open' | 'access' | 'none';

const STRERROR: Record<string, string> = {
  ENOENT: 'No such file or directory',
  EACCES: 'Permission denied',
  EISDIR: 'Is a directory',
  ENOTDIR: 'Not a directory',
  EROFS: 'Read-only file system',
  ELOOP: 'Too many levels of symbolic links',
  ENAMETOOLONG: 'File name too long',
};

function reason(e: unknown): string {
  const code = (e as NodeJS.ErrnoException).code ?? '';
  return STRERROR[code] ?? (e instanceof Error ? e.message : String(e));
}

async function isDirectory(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isDirectory();
  } catch {
    return false;
  }
}

export function fileChecker(mode: FileCheckMode): FileChecker {
  if (mode === 'none') return { appendable: async () => undefined, isDirectory: async () => true };
  if (mode === 'open') {
    return {
      async appendable(path, createMode) {
        try {
          closeSync(openForAppend(path, createMode));
          return undefined;
        } catch (e) {
          return reason(e);
        }
      },
      isDirectory,
    };
  }
  return {
    async appendable(path) {
      if (path === '') return STRERROR.ENOENT;
      try {
        const s = await stat(path);
        if (s.isDirectory()) return STRERROR.EISDIR;
        const problem = appendTargetProblem(s);
        if (problem !== undefined) return problem;
        await access(path, constants.W_OK);
        return undefined;
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'ENOENT') return reason(e);
      }
      // Missing: creatable if the directory exists and is writable.
      try {
        const dir = dirname(path);
        if (!(await stat(dir)).isDirectory()) return STRERROR.ENOTDIR;
        await access(dir, constants.W_OK | constants.X_OK);
        return undefined;
      } catch (e) {
        return reason(e);
      }
    },
    isDirectory,
  };
}

/** The machine's environment, with what `options` replaces (tests). */
export function machineEnvironment(
  options: Partial<ResolveEnvironment> & { fileChecks?: FileCheckMode },
): ResolveEnvironment {
  return {
    resolveHost: options.resolveHost ?? defaultResolveHost,
    lookupService: options.lookupService ?? defaultLookupService,
    hostname: options.hostname ?? defaultHostname(),
    files: options.files ?? fileChecker(options.fileChecks ?? 'access'),
  };
}
