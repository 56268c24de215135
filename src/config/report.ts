// What `ldirectord-ts check` shows of a resolved config: every effective setting with where it
// came from, every real server after range expansion and port resolution, passwords masked,
// long values cut to an excerpt.
// Pure: it formats data, the CLI prints it.

import { hostPort } from '../lib/inet.ts';
import { excerpt } from '../lib/printable.ts';
import { MASK } from '../lib/secrets.ts';
import { DIRECTIVE, isDirectiveName } from '../parser/directives.ts';
import { virtualId } from './identity.ts';
import type { Config, Origin, RealServer, VirtualService } from './model.ts';
import { effectiveCheckPort } from './services.ts';

export { MASK };

/** A copy of the config with passwd and secret masked (when set). */
export function maskSecrets(config: Config): Config {
  return {
    ...config,
    virtuals: config.virtuals.map((v) => ({
      ...v,
      passwd: v.passwd === '' ? '' : MASK,
      secret: v.secret === '' ? '' : MASK,
    })),
  };
}

export interface Setting {
  name: string;
  /** Display text of the effective value ('-' when unset). */
  value: string;
  origin: Origin;
}

export interface RealSummary {
  address: string;
  port: number;
  forward: string;
  weight: number;
  lowerThreshold: number;
  upperThreshold: number;
  request?: string;
  receive?: string;
  /** ld_checkport: the port checks connect to. */
  checkPort?: number;
  line: number;
  written: string;
}

export interface VirtualSummary {
  id: string;
  line: number;
  written: string;
  settings: Setting[];
  reals: RealSummary[];
}

export interface ConfigSummary {
  global: Setting[];
  virtuals: VirtualSummary[];
  realCount: number;
}

function show(value: unknown): string {
  if (value === undefined || value === null) return '-';
  if (typeof value === 'boolean') return value ? 'yes' : 'no';
  if (typeof value === 'string') return value === '' ? '""' : excerpt(value);
  if (Array.isArray(value)) return value.length === 0 ? '-' : excerpt(value.join(', '));
  if (typeof value === 'object') {
    const f = value as {
      address?: string;
      port?: number;
      forward?: string;
      portUnset?: boolean;
      tcp?: unknown;
    };
    if (f.tcp !== undefined) return show(f.tcp);
    if (f.address !== undefined) {
      return `${f.portUnset ? f.address : hostPort(f.address, f.port ?? 0)} ${f.forward}`;
    }
  }
  return String(value);
}

const STATUS_NAMES = ['starting', 'running', 'stopping', 'reloading'];

function statusNames(mask: number): string {
  if (mask === 15) return 'all';
  if (mask === 0) return 'none';
  return STATUS_NAMES.filter((_, i) => mask & (1 << i)).join(', ');
}

function settings(
  record: ReadonlyMap<string, unknown>,
  origins: Record<string, Origin>,
  skip: ReadonlySet<string>,
): Setting[] {
  return Object.keys(origins)
    .filter((name) => !skip.has(name))
    .sort()
    .map((name) => {
      const raw = record.get(name);
      let value = show(raw);
      if (isDirectiveName(name) && DIRECTIVE[name].secret && raw !== '') value = MASK;
      if (name === 'emailalertstatus' && typeof raw === 'number') value = statusNames(raw);
      return { name, value, origin: origins[name]! };
    });
}

const VIRTUAL_SKIP = new Set<string>();

function realSummary(v: VirtualService, r: RealServer): RealSummary {
  const checkPort = effectiveCheckPort(v, r);
  return {
    address: r.address,
    port: r.port,
    forward: r.forward,
    weight: r.weight,
    lowerThreshold: r.lowerThreshold,
    upperThreshold: r.upperThreshold,
    ...(r.request !== undefined
      ? { request: excerpt(r.request), receive: excerpt(r.receive ?? '') }
      : {}),
    ...(checkPort !== undefined ? { checkPort } : {}),
    line: r.line,
    written: excerpt(r.written),
  };
}

export function summarize(config: Config): ConfigSummary {
  return {
    global: settings(new Map(Object.entries(config.global)), config.global.origins, new Set()),
    virtuals: config.virtuals.map((v) => {
      const record = new Map<string, unknown>(Object.entries(v));
      if (v.checktype === 'combined') record.set('checktype', `${v.combinedCount} (combined)`);
      return {
        id: virtualId(v),
        line: v.line,
        written: excerpt(v.written),
        settings: settings(record, v.origins, VIRTUAL_SKIP),
        reals: v.reals.map((r) => realSummary(v, r)),
      };
    }),
    realCount: config.virtuals.reduce((n, v) => n + v.reals.length, 0),
  };
}

export function describeOrigin(o: Origin): string {
  const line = o.line !== undefined ? `line ${o.line}` : '';
  switch (o.source) {
    case 'default':
      return 'default';
    case 'global':
      return [o.from ? `global ${o.from}` : 'global', line].filter(Boolean).join(', ');
    case 'virtual':
      return [o.from ? `virtual ${o.from}` : 'virtual', line].filter(Boolean).join(', ');
    case 'real':
      return ['real', line].filter(Boolean).join(', ');
    case 'derived':
      return [`derived from ${o.from ?? 'other settings'}`, line].filter(Boolean).join(', ');
  }
}
