// The edge of `doctor`: everything it reads from the running system, in one place. It reads
// /proc, /sys and /lib/modules, and runs `ip`, `ipvsadm` (listings only), `dpkg-divert --list`
// and `update-alternatives --query`, without a shell. Nothing here changes the system or sends
// a packet.
import { accessSync, constants, existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { release } from 'node:os';
import { dirname } from 'node:path';
import { ConfigNotFoundError, loadConfig, locateConfig } from '../config/load.ts';
import { DEFAULT_PID_DIR, pidFilePath, readPidState } from '../daemon/pidfile.ts';
import { IpvsadmBackend, IpvsReadError, locateIpvsadm } from '../ipvs/backend.ts';
import { runCommand } from '../lib/run-command.ts';
import { CONNTRACK_ESTABLISHED, parseTimeouts } from './ipvs-checks.ts';
import { canonicalAddress } from '../lib/inet.ts';
import { confName } from './net.ts';
import {
  type Address,
  CannotCheckError,
  type DirectorFacts,
  type Link,
  type ModuleFacts,
  type NetFacts,
  type PackagingFacts,
  type Route,
} from './types.ts';

const COMMAND_TIMEOUT_MS = 15_000;
const CIB = '/var/lib/pacemaker/cib/cib.xml';

/** Exit 2 territory: doctor reads root-only state and the namespace's /proc. */
export function assertCanCheck(): void {
  if (process.getuid?.() !== 0) {
    throw new CannotCheckError(
      'doctor needs root: the IPVS table, /proc/net/ip_vs and the fixes are root-only',
    );
  }
  if (!existsSync('/proc/sys/net/ipv4')) {
    throw new CannotCheckError('/proc is not mounted (no /proc/sys/net/ipv4): nothing to read');
  }
}

async function run(file: string, args: string[]): Promise<string> {
  const r = await runCommand(file, args, { timeoutMs: COMMAND_TIMEOUT_MS });
  if (r.spawnError) throw new CannotCheckError(`cannot run ${file}: ${r.spawnError.message}`);
  if (r.code !== 0) {
    throw new CannotCheckError(
      `${file} ${args.join(' ')} failed: ${r.stderr.trim() || `exit ${r.code ?? r.signal}`}`,
    );
  }
  return r.stdout;
}

/** A sysctl name as a /proc/sys path ('/' in a name stands for '.' in a device name). */
function procPath(name: string): string {
  return `/proc/sys/${name
    .split('.')
    .map((part) => part.replaceAll('/', '.'))
    .join('/')}`;
}

function readNumber(path: string): number | undefined {
  try {
    const value = Number(readFileSync(path, 'utf8').trim());
    return Number.isFinite(value) ? value : undefined;
  } catch {
    return undefined;
  }
}

interface IpAddrJson {
  ifname: string;
  flags?: string[];
  link_type?: string;
  linkinfo?: { info_kind?: string };
  addr_info?: Array<{ family: string; local?: string; prefixlen?: number }>;
}

interface IpRouteJson {
  dst: string;
  gateway?: string;
  dev?: string;
}

export function parseLinks(json: string): Link[] {
  return (JSON.parse(json) as IpAddrJson[]).map((l) => {
    const flags = l.flags ?? [];
    const addresses: Address[] = [];
    for (const a of l.addr_info ?? []) {
      if ((a.family !== 'inet' && a.family !== 'inet6') || a.local === undefined) continue;
      const address = canonicalAddress(a.local);
      if (address === undefined) continue;
      addresses.push({ family: a.family === 'inet' ? 4 : 6, address, prefixlen: a.prefixlen ?? 0 });
    }
    const link: Link = {
      name: l.ifname,
      up: flags.includes('UP'),
      noarp: flags.includes('NOARP'),
      loopback: flags.includes('LOOPBACK'),
      addresses,
    };
    if (l.linkinfo?.info_kind !== undefined) link.kind = l.linkinfo.info_kind;
    return link;
  });
}

export function parseRoutes(json: string, family: 4 | 6): Route[] {
  return (JSON.parse(json) as IpRouteJson[]).map((r) => {
    const route: Route = { family, dst: r.dst };
    if (r.gateway !== undefined) route.gateway = canonicalAddress(r.gateway) ?? r.gateway;
    if (r.dev !== undefined) route.dev = r.dev;
    return route;
  });
}

const CONF_KEYS = ['arp_ignore', 'arp_announce', 'rp_filter'];
const GLOBAL_SYSCTLS = [
  'net.ipv4.ip_forward',
  'net.ipv6.conf.all.forwarding',
  CONNTRACK_ESTABLISHED,
];

export async function gatherNet(): Promise<NetFacts> {
  const links = parseLinks(await run('ip', ['-d', '-j', 'addr', 'show']));
  const routes = parseRoutes(await run('ip', ['-j', '-4', 'route', 'show']), 4);
  // A kernel booted with ipv6.disable=1 has no IPv6 routes to show.
  if (existsSync('/proc/sys/net/ipv6')) {
    routes.push(...parseRoutes(await run('ip', ['-j', '-6', 'route', 'show']), 6));
  }
  const names = [...GLOBAL_SYSCTLS];
  for (const device of ['all', 'default', ...links.map((l) => l.name)]) {
    for (const key of CONF_KEYS) names.push(confName(device, key));
  }
  const sysctl: Record<string, number> = {};
  for (const name of names) {
    const value = readNumber(procPath(name));
    if (value !== undefined) sysctl[name] = value;
  }
  return { links, routes, sysctl };
}

function readLines(path: string): string[] | undefined {
  try {
    return readFileSync(path, 'utf8')
      .split('\n')
      .filter((l) => l !== '');
  } catch {
    return undefined;
  }
}

/** `kernel/net/netfilter/ipvs/ip_vs_wrr.ko.xz` -> `ip_vs_wrr`. */
function moduleName(path: string): string {
  return path
    .slice(path.lastIndexOf('/') + 1)
    .replace(/\.ko(\.\w+)?$/, '')
    .replaceAll('-', '_');
}

export function gatherModules(): ModuleFacts {
  const tree = `/lib/modules/${release()}`;
  const loaded = readLines('/proc/modules')?.map((l) => l.split(' ', 1)[0]!);
  let sysModule: string[] = [];
  try {
    sysModule = readdirSync('/sys/module');
  } catch {}
  const facts: ModuleFacts = {
    builtin: (readLines(`${tree}/modules.builtin`) ?? []).map(moduleName),
    installed: (readLines(`${tree}/modules.dep`) ?? []).map((l) => moduleName(l.split(':', 1)[0]!)),
    sysModule,
  };
  if (loaded !== undefined) facts.loaded = loaded;
  return facts;
}

async function gatherPackaging(): Promise<PackagingFacts> {
  const facts: PackagingFacts = {};
  const divert = await runCommand('dpkg-divert', ['--list'], { timeoutMs: COMMAND_TIMEOUT_MS });
  if (!divert.spawnError && divert.code === 0) {
    facts.diversions = divert.stdout.split('\n').filter((l) => l.includes('ldirectord'));
  }
  const query = await runCommand('update-alternatives', ['--query', 'ldirectord'], {
    timeoutMs: COMMAND_TIMEOUT_MS,
  });
  if (!query.spawnError && query.code === 0) {
    const field = (name: string) =>
      new RegExp(`^${name}: (.*)$`, 'm').exec(query.stdout)?.[1]?.trim();
    const value = field('Value');
    facts.alternative = {
      link: field('Link') ?? '',
      status: field('Status') ?? '',
      valueExists: value !== undefined && value !== 'none' && existsSync(value),
      alternatives: [...query.stdout.matchAll(/^Alternative: (.*)$/gm)].map((m) => m[1]!.trim()),
    };
    if (value !== undefined && value !== 'none') facts.alternative.value = value;
  }
  return facts;
}

function isExecutable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

function readOptional(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}

function logfileState(path: string): NonNullable<DirectorFacts['logfile']> {
  const writable = (p: string) => {
    try {
      accessSync(p, constants.W_OK);
      return true;
    } catch {
      return false;
    }
  };
  if (existsSync(path)) {
    return writable(path)
      ? { path, writable: true }
      : { path, writable: false, reason: 'not writable' };
  }
  const dir = dirname(path);
  let isDir = false;
  try {
    isDir = statSync(dir).isDirectory();
  } catch {}
  if (!isDir) {
    return { path, writable: false, missingDir: dir, reason: `directory ${dir} does not exist` };
  }
  return writable(dir)
    ? { path, writable: true }
    : { path, writable: false, reason: `directory ${dir} is not writable` };
}

export interface DirectorGatherOptions {
  config?: string;
  haDir?: string;
  pidDir?: string;
  ipvsadm?: string;
}

export async function gatherDirector(options: DirectorGatherOptions): Promise<DirectorFacts> {
  let located: ReturnType<typeof locateConfig>;
  try {
    located = locateConfig(
      options.config,
      options.haDir !== undefined ? { haDir: options.haDir } : {},
    );
  } catch (e) {
    if (e instanceof ConfigNotFoundError) throw new CannotCheckError(e.message);
    throw e;
  }
  const loaded = await loadConfig(located.file, { fileChecks: 'none' });
  const net = await gatherNet();
  const ipVs = readLines('/proc/net/ip_vs')?.[0];
  const path = locateIpvsadm(options.ipvsadm !== undefined ? { explicit: options.ipvsadm } : {});
  const facts: DirectorFacts = {
    net,
    modules: gatherModules(),
    ipvsadm: {},
    config: { file: located.file, cfgname: located.cfgname, diagnostics: loaded.diagnostics },
    daemon: { pidFile: '', state: { kind: 'none' } },
    packaging: await gatherPackaging(),
  };
  if (ipVs !== undefined) facts.ipVs = ipVs;
  if (loaded.config) facts.config.config = loaded.config;
  if (options.config !== undefined) facts.config.argument = options.config;
  if (options.haDir !== undefined) facts.haDir = options.haDir;

  if (path !== undefined) {
    facts.ipvsadm.path = path;
    // ipvsadm runs `modprobe ip_vs` when IPVS is missing: run it only when IPVS is there.
    if (!isExecutable(path)) facts.ipvsadm.error = 'not found or not executable';
    else if (ipVs !== undefined) {
      const version = await runCommand(path, ['--version'], { timeoutMs: COMMAND_TIMEOUT_MS });
      if (version.spawnError) facts.ipvsadm.error = version.spawnError.message;
      else if (version.code === 0) facts.ipvsadm.version = version.stdout.split('\n', 1)[0]!.trim();
      else facts.ipvsadm.error = version.stderr.trim() || `exit ${version.code}`;
    }
  }
  if (facts.ipvsadm.version !== undefined) {
    try {
      facts.table = await new IpvsadmBackend({ path: path! }).read();
    } catch (e) {
      if (!(e instanceof IpvsReadError)) throw e;
      facts.tableError = e.message;
    }
    const timeouts = await runCommand(path!, ['-L', '--timeout'], {
      timeoutMs: COMMAND_TIMEOUT_MS,
    });
    const parsed = timeouts.code === 0 ? parseTimeouts(timeouts.stdout) : undefined;
    if (parsed) facts.ipvsTimeouts = parsed;
  }

  const haDir = options.haDir ?? '/etc/ha.d';
  const haresources = readOptional(`${haDir}/haresources`);
  if (haresources !== undefined) facts.haresources = haresources;
  const cib = readOptional(CIB);
  if (cib !== undefined) facts.cib = cib;

  const pidDir = options.pidDir ?? process.env.LDIRECTORD_TS_PID_DIR;
  const pidFile = pidFilePath(located.cfgname, pidDir ?? DEFAULT_PID_DIR);
  facts.daemon = { pidFile, state: readPidState(pidFile) };
  if (pidDir !== undefined) facts.daemon.pidDir = pidDir;
  const logfile = loaded.config?.global.logfile;
  if (logfile?.startsWith('/')) facts.logfile = logfileState(logfile);
  return facts;
}
