// The parser's public API: text -> syntax tree + diagnostics, and the directive table.
export type { DirectiveSpec, ScopeRule, ValueForm } from './directives.ts';
export { DIRECTIVES, directive, namesIn } from './directives.ts';
export { type ParseResult, parse } from './parse.ts';
export type {
  ConfigTree,
  DirectiveNode,
  FallbackSpec,
  RealSpec,
  Scope,
  VirtualAddressSpec,
  VirtualNode,
} from './tree.ts';
