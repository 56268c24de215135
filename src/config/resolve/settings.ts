// The settings the directive table drives: each directive's value as written, else (in a
// virtual, for the directives that inherit) the global one, else the table's default, with
// where each came from; and the settings the original derives by rules of its own: checktype,
// the ftp and sip login defaults, the checktimeout/negotiatetimeout chains.
import { SERVICE_DESCRIPTORS } from '../../checkers/index.ts';
import { DIRECTIVE, type DirectiveName, type DirectiveValues } from '../../parser/directives.ts';
import { allOf, type DirectiveNode, lastOf } from '../../parser/tree.ts';
import type { GlobalConfig, Origin, VirtualService } from '../model.ts';
import { origin, type ResolveContext } from './context.ts';
import { globalFallback } from './fallback.ts';

/** Model fields named after a directive and resolved by a rule of their own, not copied. */
type GlobalByRule = 'execute' | 'fallback' | 'fallback6';
type VirtualByRule =
  | 'checktype'
  | 'service'
  | 'protocol'
  | 'login'
  | 'passwd'
  | 'checktimeout'
  | 'negotiatetimeout'
  | 'fallback';

/** The global settings copied from the table: every GlobalConfig field named after a directive. */
type GlobalTableName = Exclude<Extract<keyof GlobalConfig, DirectiveName>, GlobalByRule>;
/** The same for a virtual service. */
type VirtualTableName = Exclude<Extract<keyof VirtualService, DirectiveName>, VirtualByRule>;

/** Reads settings from the table for one scope, recording where each came from. */
export class TableSettings {
  readonly #find: <N extends DirectiveName>(
    name: N,
  ) => { value: DirectiveValues[N]; origin: Origin } | undefined;
  readonly #origins: Record<string, Origin>;
  /** Whether an unset directive without a default still gets a 'default' origin. */
  readonly #originWhenUnset: boolean;

  constructor(
    find: <N extends DirectiveName>(
      name: N,
    ) => { value: DirectiveValues[N]; origin: Origin } | undefined,
    origins: Record<string, Origin>,
    originWhenUnset: boolean,
  ) {
    this.#find = find;
    this.#origins = origins;
    this.#originWhenUnset = originWhenUnset;
  }

  /** The setting, or undefined when the file does not set it and the table has no default. */
  optional<N extends DirectiveName>(name: N): DirectiveValues[N] | undefined {
    const found = this.#find(name);
    if (found) {
      this.#origins[name] = found.origin;
      return found.value;
    }
    const value = DIRECTIVE[name].defaultValue;
    if (value !== undefined || this.#originWhenUnset) this.#origins[name] = origin('default');
    return value;
  }

  /** The setting of a directive the table gives a default. */
  withDefault<N extends DirectiveName>(name: N): DirectiveValues[N] {
    const value = this.optional(name);
    if (value === undefined) throw new Error(`the directive table gives ${name} no default`);
    return value;
  }
}

/** The global section: the table's settings, execute= lines and the global fallbacks. */
export function resolveGlobal(
  ctx: ResolveContext,
  globals: readonly DirectiveNode[],
): GlobalConfig {
  const origins: Record<string, Origin> = {};
  const table = new TableSettings(
    (name) => {
      const node = lastOf(globals, name);
      return node && { value: node.value, origin: origin('global', node.line) };
    },
    origins,
    false,
  );
  const settings = {
    checkinterval: table.withDefault('checkinterval'),
    failurecount: table.withDefault('failurecount'),
    checkcount: table.withDefault('checkcount'),
    quiescent: table.withDefault('quiescent'),
    readdquiescent: table.withDefault('readdquiescent'),
    cleanstop: table.withDefault('cleanstop'),
    fallbackcommand: table.optional('fallbackcommand'),
    fork: table.withDefault('fork'),
    autoreload: table.withDefault('autoreload'),
    callback: table.optional('callback'),
    supervised: table.withDefault('supervised'),
    maintenancedir: table.optional('maintenancedir'),
    logfile: table.withDefault('logfile'),
    emailalert: table.withDefault('emailalert'),
    emailalertfreq: table.withDefault('emailalertfreq'),
    emailalertstatus: table.withDefault('emailalertstatus'),
    emailalertfrom: table.optional('emailalertfrom'),
    smtp: table.optional('smtp'),
    // As written: each virtual's effective timeouts follow the chains of virtualChecks.
    checktimeout: table.optional('checktimeout'),
    negotiatetimeout: table.optional('negotiatetimeout'),
  } satisfies Record<GlobalTableName, unknown>;
  return {
    ...settings,
    execute: allOf(globals, 'execute').map((n) => n.value),
    fallback: globalFallback(ctx, globals, 'fallback', origins),
    fallback6: globalFallback(ctx, globals, 'fallback6', origins),
    origins,
  };
}

/** A virtual's settings: its own, else the global one where inherited, else the default. */
export function virtualSettings(
  directives: readonly DirectiveNode[],
  globals: readonly DirectiveNode[],
  origins: Record<string, Origin>,
): TableSettings {
  return new TableSettings(
    (name) => {
      const own = lastOf(directives, name);
      if (own) return { value: own.value, origin: origin('virtual', own.line) };
      const global = DIRECTIVE[name].inheritsGlobal ? lastOf(globals, name) : undefined;
      return global && { value: global.value, origin: origin('global', global.line) };
    },
    origins,
    true,
  );
}

/** The settings of a virtual the table drives. */
export function virtualTable(table: TableSettings): Pick<VirtualService, VirtualTableName> {
  return {
    checkport: table.optional('checkport'),
    request: table.withDefault('request'),
    receive: table.withDefault('receive'),
    httpmethod: table.withDefault('httpmethod'),
    virtualhost: table.optional('virtualhost'),
    database: table.withDefault('database'),
    secret: table.withDefault('secret'),
    checkcommand: table.withDefault('checkcommand'),
    checkinterval: table.withDefault('checkinterval'),
    failurecount: table.withDefault('failurecount'),
    checkcount: table.withDefault('checkcount'),
    scheduler: table.withDefault('scheduler'),
    persistent: table.optional('persistent'),
    netmask: table.optional('netmask'),
    schedflags: table.optional('schedflags'),
    ops: table.withDefault('ops'),
    quiescent: table.withDefault('quiescent'),
    cleanstop: table.withDefault('cleanstop'),
    fallbackcommand: table.optional('fallbackcommand'),
    monitorfile: table.optional('monitorfile'),
    emailalert: table.withDefault('emailalert'),
    emailalertfreq: table.withDefault('emailalertfreq'),
    emailalertstatus: table.withDefault('emailalertstatus'),
    smtp: table.optional('smtp'),
    servicename: table.optional('servicename'),
    comment: table.optional('comment'),
  } satisfies Record<VirtualTableName, unknown>;
}

/**
 * A virtual's check settings: checktype; login and passwd, with the ftp/sip defaults that
 * service= sets when it is read (order matters); the timeouts of ld_setup, each falling back on
 * the other, then on the global ones, then 5 / 30.
 */
export function virtualChecks(
  ctx: ResolveContext,
  table: TableSettings,
  directives: readonly DirectiveNode[],
  global: GlobalConfig,
  origins: Record<string, Origin>,
): Pick<
  VirtualService,
  'checktype' | 'combinedCount' | 'login' | 'passwd' | 'checktimeout' | 'negotiatetimeout'
> {
  const { checktype, combinedCount } = table.withDefault('checktype');

  let login = '';
  let passwd = '';
  origins.login = origin('default');
  origins.passwd = origin('default');
  for (const d of directives) {
    if (d.name === 'login') {
      login = d.value;
      origins.login = origin('virtual', d.line);
    } else if (d.name === 'passwd') {
      passwd = d.value;
      origins.passwd = origin('virtual', d.line);
    } else if (d.name === 'service') {
      const defaults = SERVICE_DESCRIPTORS[d.value].defaults?.(ctx.hostname) ?? {};
      if (defaults.login !== undefined && login === '') {
        login = defaults.login;
        origins.login = origin('derived', d.line, 'service');
      }
      if (defaults.passwd !== undefined && passwd === '') {
        passwd = defaults.passwd;
        origins.passwd = origin('derived', d.line, 'service');
      }
    }
  }

  const timeout = (first: 'checktimeout' | 'negotiatetimeout', fallback: number): number => {
    const second = first === 'checktimeout' ? 'negotiatetimeout' : 'checktimeout';
    const own = lastOf(directives, first);
    const other = lastOf(directives, second);
    const chain: Array<[number | undefined, Origin]> = [
      [own?.value, origin('virtual', own?.line)],
      [other?.value, origin('virtual', other?.line, second)],
      [global[first], origin('global', global.origins[first]?.line)],
      [global[second], origin('global', global.origins[second]?.line, second)],
    ];
    for (const [value, o] of chain) {
      if (value !== undefined) {
        origins[first] = o;
        return value;
      }
    }
    origins[first] = origin('default');
    return fallback;
  };
  return {
    checktype,
    combinedCount,
    login,
    passwd,
    checktimeout: timeout('checktimeout', 5),
    negotiatetimeout: timeout('negotiatetimeout', 30),
  };
}
