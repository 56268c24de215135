// The syntax tree of an ldirectord.cf: what was written where, with every value already
// checked the way the original checks it. Nothing here is resolved (no host names, no
// /etc/services, no defaults): src/config/resolve does that.
import type { Family } from '../model/domain.ts';
import type { DirectiveName, DirectiveValues } from './directives.ts';
import type { Scope } from './values.ts';
import type { VirtualAddressSpec } from './virtual-address.ts';

/** One `name=value` line of directive N, global or inside a virtual section. */
export interface DirectiveNodeOf<N extends DirectiveName> {
  /** Directive name as in the directive table (`real6`, `fallback6` are their own names). */
  name: N;
  scope: Scope;
  line: number;
  /** 1-based column of the directive name in the file. */
  column: number;
  /** 1-based column where the value starts. */
  valueColumn: number;
  /** The value text the original works on (quotes removed for quoted directives). */
  text: string;
  /** The checked value, of the type the directive table gives directive N. */
  value: DirectiveValues[N];
}

type NodeOf = { [N in DirectiveName]: DirectiveNodeOf<N> };

/** Any directive line: test `name` to know the type of `value`. */
export type DirectiveNode = NodeOf[DirectiveName];

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

/** The last of `nodes` named `name` (the original lets the last one win). */
export function lastOf<N extends DirectiveName>(
  nodes: readonly DirectiveNode[],
  name: N,
): NodeOf[N] | undefined {
  for (let i = nodes.length - 1; i >= 0; i--) {
    const node = nodes[i]!;
    if (isNamed(node, name)) return node;
  }
  return undefined;
}

/** Every one of `nodes` named `name`, in file order. */
export function allOf<N extends DirectiveName>(
  nodes: readonly DirectiveNode[],
  name: N,
): NodeOf[N][] {
  return nodes.filter((node): node is NodeOf[N] => isNamed(node, name));
}

function isNamed<N extends DirectiveName>(node: DirectiveNode, name: N): node is NodeOf[N] {
  return node.name === name;
}
