// The syntax tree of an ldirectord.cf: what was written where, with every value already
// checked the way the original checks it. Nothing here is resolved (no host names, no
// /etc/services, no defaults): src/config/resolve.ts does that.
import type { Family, Forward } from '../model/domain.ts';

export type Scope = 'global' | 'virtual';

/** One `name=value` line, global or inside a virtual section. */
export interface DirectiveNode {
  /** Directive name as in the directive table (`real6`, `fallback6` are their own names). */
  name: string;
  scope: Scope;
  line: number;
  /** 1-based column of the directive name in the file. */
  column: number;
  /** 1-based column where the value starts. */
  valueColumn: number;
  /** The value text the original works on (quotes removed for quoted directives). */
  text: string;
  /** The checked value; its type depends on the directive (see directives.ts). */
  value: unknown;
}

/** `real=` after the original's parsing of the line, before any resolution. */
export interface RealSpec {
  /** First host: dotted quad, host name, or `[v6]` (brackets kept, as written). */
  host: string;
  /** End of an `a->b` range. */
  hostEnd?: string;
  /** Port or service name as written; undefined when the line gave none (port 0). */
  port?: string;
  forward: Forward;
  weight: number;
  request?: string;
  receive?: string;
  lowerThreshold?: number;
  upperThreshold?: number;
  /** Columns (1-based) of the host and port text, for diagnostics. */
  hostColumn: number;
  portColumn: number;
}

/** `fallback=host[:port] [gate|masq|ipip]` before resolution. */
export interface FallbackSpec {
  /** Host as written (may be `[v6]`); '' when the value was empty. */
  host: string;
  /** Port or service name; undefined when none was given. */
  port?: string;
  forward: Forward;
}

/** The address part of `virtual=` / `virtual6=`. */
export type VirtualAddressSpec =
  | {
      kind: 'address';
      /** Host name, dotted quad or `[v6]` as written. */
      host: string;
      /** Port number or service name as written. */
      port: string;
    }
  | { kind: 'fwmark'; mark: number };

export interface VirtualNode {
  line: number;
  column: number;
  valueColumn: number;
  family: Family;
  /** The text after `virtual=`. */
  text: string;
  /** Undefined when the address could not be read (an error was reported). */
  address?: VirtualAddressSpec;
  /** Directives of the section in file order, including real= lines. */
  directives: DirectiveNode[];
  /** Last line that belongs to the section. */
  endLine: number;
}

export interface ConfigTree {
  file: string;
  /** Global directives in file order (the resolver lets the last one win). */
  globals: DirectiveNode[];
  virtuals: VirtualNode[];
}
