// The edge where files are read: find the config the way the original does (locateConfig),
// read it and run parse + resolve (loadConfig).

import { statSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { resolve as resolvePath } from 'node:path';
import { type Diagnostic, hasErrors, sortDiagnostics } from '../model/diagnostics.ts';
import { parse } from '../parser/parse.ts';
import { type FileCheckMode, machineEnvironment } from './environment.ts';
import type { Config } from './model.ts';
import { type ResolveEnvironment, type ResolveLimits, resolveConfig } from './resolve/resolve.ts';

/**
 * How a file is resolved: the machine's environment unless replaced here (tests), how the
 * files it names are probed ('access' unless said), and the resolver's limits.
 */
export type LoadOptions = Partial<ResolveEnvironment> &
  ResolveLimits & {
    /** How logfile, monitorfile and maintenancedir are tested; default 'access'. */
    fileChecks?: FileCheckMode;
  };

export interface LoadResult {
  /** Present only when there is no error (warnings may accompany it). */
  config?: Config;
  diagnostics: Diagnostic[];
}

/**
 * Read, parse and resolve a config file. `file` is used as given in diagnostics; Config.file
 * is its absolute path. An unreadable file is one error at line 0 with the original's text
 * ("can not open file <file>").
 */
export async function loadConfig(file: string, options: LoadOptions = {}): Promise<LoadResult> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (e) {
    const reason = (e as NodeJS.ErrnoException).code ?? String(e);
    return {
      diagnostics: [
        {
          severity: 'error',
          file,
          line: 0,
          column: 0,
          code: 'file-unreadable',
          message: `can not open file ${file}`,
          hint: `${reason}.`,
        },
      ],
    };
  }
  return loadConfigText(text, file, options);
}

/** parse + resolve of text already read; `file` names it in diagnostics. */
export async function loadConfigText(
  text: string,
  file: string,
  options: LoadOptions = {},
): Promise<LoadResult> {
  const parsed = parse(text, file);
  const resolved = await resolveConfig(parsed.tree, machineEnvironment(options), options);
  const diagnostics = sortDiagnostics([...parsed.diagnostics, ...resolved.diagnostics]);
  if (hasErrors(diagnostics) || !resolved.config) return { diagnostics };
  return { config: { ...resolved.config, file: resolvePath(file) }, diagnostics };
}

export interface LocatedConfig {
  /** Absolute path of the file found. */
  file: string;
  /** What the pid file name is built from: /var/run/ldirectord.<cfgname>.pid. */
  cfgname: string;
}

export class ConfigNotFoundError extends Error {
  readonly argument: string;
  constructor(argument: string) {
    super(`Config file ${argument} not found`);
    this.name = 'ConfigNotFoundError';
    this.argument = argument;
  }
}

export interface LocateOptions {
  /** Default /etc/ha.d (the original's fixed prefix; tests point it elsewhere). */
  haDir?: string;
  /** Default process.cwd(). */
  cwd?: string;
}

function isRegularFile(path: string): boolean {
  try {
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

/**
 * The original's lookup (§1.2): `<haDir>/<arg>`, `<haDir>/conf/<arg>`, then `<arg>` itself
 * (relative to cwd), regular files only; `ldirectord.cf` when no argument was given. Returns
 * an absolute path (the original kept a relative one, which broke reloads after daemonizing)
 * and the CFGNAME: the argument's last path component, or `ldirectord` without an argument.
 * Throws ConfigNotFoundError ("Config file <arg> not found").
 */
export function locateConfig(arg?: string, options: LocateOptions = {}): LocatedConfig {
  const haDir = options.haDir ?? '/etc/ha.d';
  const cwd = options.cwd ?? process.cwd();
  const name = arg ?? 'ldirectord.cf';
  const cfgname = arg === undefined ? 'ldirectord' : (/([^/]+)$/.exec(arg)?.[1] ?? '');
  for (const candidate of [`${haDir}/${name}`, `${haDir}/conf/${name}`, name]) {
    const absolute = resolvePath(cwd, candidate);
    if (isRegularFile(absolute)) return { file: absolute, cfgname };
  }
  throw new ConfigNotFoundError(name);
}
