// Resolve a syntax tree into the Config the daemon runs (model.ts): defaults, inheritance from
// the global section, the original's derived defaults (protocol and service from the port,
// the timeout chains, the login defaults of ftp and sip), host names and service names,
// IPv4 ranges, the effective fallback, and `origins` saying where each value came from.
//
// The environment (host name resolution, /etc/services, the host name, the file probes) is
// passed in: the steps between the host lookups and the file probes are pure.
//   hosts.ts     host lookups, all at once, before anything else
//   settings.ts  the table-driven settings and the derived ones, with their origins
//   virtual.ts   a virtual service; fallback.ts its fallback; reals.ts its real servers
//   lint.ts      warnings about what the resolved file does or does not do
//   files.ts     the files the original opens while reading its config
import { type Diagnostic, hasErrors, sortDiagnostics } from '../../model/diagnostics.ts';
import type { ConfigTree } from '../../parser/tree.ts';
import type { Config, VirtualService } from '../model.ts';
import type { ServiceLookup } from '../services.ts';
import { ResolveContext } from './context.ts';
import type { FileChecker } from './files.ts';
import { probeFiles } from './files.ts';
import { type HostResolver, lookupHosts } from './hosts.ts';
import { lintCommands, lintGlobal, lintVirtual } from './lint.ts';
import { resolveGlobal } from './settings.ts';
import { resolveVirtual } from './virtual.ts';

/** What the resolver asks of the machine (load.ts gives the real one; tests give their own). */
export interface ResolveEnvironment {
  resolveHost: HostResolver;
  /** getservbyname. */
  lookupService: ServiceLookup;
  /** For the ftp and sip login defaults. */
  hostname: string;
  /** How logfile, monitorfile and maintenancedir are probed. */
  files: FileChecker;
}

export interface ResolveLimits {
  /** Like the original's -d: the logfile is not probed. */
  debug?: boolean;
  /** Largest IPv4 range a single real= line may expand to; default 65536. */
  maxRangeSize?: number;
}

export interface ResolveResult {
  /** Present only when there is no error. */
  config?: Config;
  diagnostics: Diagnostic[];
}

export async function resolveConfig(
  tree: ConfigTree,
  env: ResolveEnvironment,
  limits: ResolveLimits = {},
): Promise<ResolveResult> {
  const hosts = await lookupHosts(tree, env.resolveHost);
  const ctx = new ResolveContext(
    tree.file,
    { hosts, lookupService: env.lookupService, hostname: env.hostname },
    limits.maxRangeSize ?? 65536,
  );
  const global = resolveGlobal(ctx, tree.globals);
  lintGlobal(ctx, tree.globals, global);
  const seen = new Map<string, number>();
  const virtuals: VirtualService[] = [];
  for (const node of tree.virtuals) {
    const vs = resolveVirtual(ctx, node, tree.globals, global, seen);
    if (!vs) continue;
    lintVirtual(ctx, node, vs, global);
    virtuals.push(vs);
  }
  lintCommands(ctx, global, virtuals);
  await probeFiles(ctx, tree, global, env.files, limits.debug ?? false);
  const diagnostics = sortDiagnostics(ctx.diagnostics.list);
  if (hasErrors(diagnostics)) return { diagnostics };
  return { config: { file: tree.file, global, virtuals }, diagnostics };
}
