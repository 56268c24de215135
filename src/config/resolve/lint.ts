// Warnings (and a few errors) about what a file does or does not do, once it is resolved: the
// checks of a virtual that can never succeed or have no effect, receive patterns the checkers
// cannot run, duplicate and multicast reals, commands that would need a shell, and so on.
import { SERVICE_DESCRIPTORS } from '../../checkers/index.ts';
import { isMulticast } from '../../lib/inet.ts';
import { translatePerlRegex } from '../../lib/perl-regex.ts';
import { excerpt } from '../../lib/printable.ts';
import { splitCommand } from '../../lib/split-command.ts';
import { inWords } from '../../lib/words.ts';
import { type CheckType, SERVICES } from '../../model/domain.ts';
import { type DirectiveName, schedFlagsRefusal } from '../../parser/directives.ts';
import { allOf, type DirectiveNode, lastOf, type VirtualNode } from '../../parser/tree.ts';
import { outOfRange, RANGES } from '../../parser/values.ts';
import { virtualId } from '../identity.ts';
import type { GlobalConfig, RealServer, VirtualService } from '../model.ts';
import type { ResolveContext } from './context.ts';

const NEGOTIATING: readonly CheckType[] = ['negotiate', 'combined'];

/** The global section: execute= without a name, fork=yes. */
export function lintGlobal(
  ctx: ResolveContext,
  globals: readonly DirectiveNode[],
  global: GlobalConfig,
): void {
  for (const n of allOf(globals, 'execute')) {
    if (n.value !== '') continue;
    ctx.warn(
      n.line,
      n.valueColumn,
      'execute-empty',
      'execute with an empty configuration name',
      'The original then runs "ldirectord  start"; give the configuration to start.',
    );
  }
  const fork = lastOf(globals, 'fork');
  if (global.fork && fork) {
    ctx.warn(
      fork.line,
      fork.valueColumn,
      'fork-no-effect',
      'fork=yes has no effect',
      'ldirectord-ts checks every real server concurrently and isolates each check; there is nothing to fork.',
      'no-effect',
    );
  }
}

/** One virtual service as resolved from its section. */
export function lintVirtual(
  ctx: ResolveContext,
  node: VirtualNode,
  vs: VirtualService,
  global: GlobalConfig,
): void {
  const section = new Section(node);
  lintReals(ctx, node, vs);
  lintService(ctx, section, vs, global);
  lintChecks(ctx, section, node, vs);
}

/** Where a virtual section wrote a directive. */
class Section {
  readonly #node: VirtualNode;

  constructor(node: VirtualNode) {
    this.#node = node;
  }

  has(name: DirectiveName): boolean {
    return lastOf(this.#node.directives, name) !== undefined;
  }

  /** Line and column of the directive, else of the virtual= line. */
  at(name: DirectiveName): [number, number] {
    const n = lastOf(this.#node.directives, name);
    return n ? [n.line, n.column] : [this.#node.line, 1];
  }
}

/** The real servers: none at all, one listed twice, multicast addresses. */
function lintReals(ctx: ResolveContext, node: VirtualNode, vs: VirtualService): void {
  if (
    vs.reals.length === 0 &&
    !node.directives.some((d) => d.name === 'real' || d.name === 'real6')
  ) {
    ctx.warn(
      node.line,
      1,
      'virtual-no-reals',
      `virtual service ${virtualId(vs)} has no real servers`,
      'Add real=<ip>:<port> gate|masq|ipip lines under it.',
    );
  }
  lintDuplicateReals(ctx, vs);
  const multicastLines = new Set<number>();
  for (const r of vs.reals) {
    if (multicastLines.has(r.line) || !isMulticast(r.address)) continue;
    multicastLines.add(r.line);
    ctx.warn(
      r.line,
      1,
      'real-multicast',
      `real server ${r.address} is a multicast address: the kernel refuses it`,
      'IPVS forwards to unicast real servers only; the Perl original passes it to ipvsadm, which fails, and so does ldirectord-ts.',
    );
  }
}

/** The IPVS service and its schedule: settings ipvsadm refuses or ignores. */
function lintService(
  ctx: ResolveContext,
  section: Section,
  vs: VirtualService,
  global: GlobalConfig,
): void {
  if (section.has('checkinterval') && !global.fork) {
    ctx.warn(
      ...section.at('checkinterval'),
      'checkinterval-virtual-honoured',
      `checkinterval in virtual service ${virtualId(vs)} is honoured by ldirectord-ts`,
      'The Perl original ignores a per-virtual checkinterval when fork=no (its warning: "checkinterval in virtual service ... ignored when fork=no").',
      'differs-from-perl',
    );
  }
  if (section.has('ops') && vs.ops && vs.protocol !== 'udp') {
    ctx.warn(
      ...section.at('ops'),
      'ops-not-udp',
      `ops has no effect on a ${vs.protocol} service`,
      'One-packet scheduling exists only for UDP; the original ignores it too.',
      'no-effect',
    );
  }
  if (vs.schedflags !== undefined) {
    const refusal = schedFlagsRefusal(vs.scheduler, vs.schedflags);
    if (refusal) {
      ctx.warn(
        ...section.at('schedflags'),
        'schedflags-refused',
        `ipvsadm will refuse schedflags=${excerpt(vs.schedflags)} with scheduler=${excerpt(vs.scheduler)}: ${refusal}`,
        'The Perl original passes them on and ipvsadm then never creates the virtual service; so does ldirectord-ts. sh-fallback and sh-port go with scheduler=sh, mh-fallback and mh-port with mh, flag-1 to flag-3 with any.',
      );
    }
  }
  if (section.has('netmask') && vs.persistent === undefined) {
    ctx.warn(
      ...section.at('netmask'),
      'netmask-without-persistent',
      'netmask has no effect without persistent',
      'ipvsadm -M is only passed with -p; add persistent=<seconds>.',
      'no-effect',
    );
  }
}

/** The checks: settings their checktype or service never reads, or cannot run. */
function lintChecks(
  ctx: ResolveContext,
  section: Section,
  node: VirtualNode,
  vs: VirtualService,
): void {
  if (vs.checktype === 'ping') {
    // A ping check makes checkcount attempts of checktimeout each under one deadline.
    const seconds = vs.checktimeout * Math.max(1, vs.checkcount);
    const tooLarge = outOfRange(
      seconds,
      RANGES.seconds,
      `the ping deadline, checktimeout=${vs.checktimeout} times checkcount=${vs.checkcount},`,
    );
    if (tooLarge) {
      ctx.error(
        vs.origins.checkcount?.line ?? node.line,
        1,
        'number-out-of-range',
        tooLarge,
        'Lower checkcount (deprecated: use failurecount) or checktimeout.',
      );
    }
  }
  const negotiates = NEGOTIATING.includes(vs.checktype);
  const service = SERVICE_DESCRIPTORS[vs.service];
  if (section.has('receive') && negotiates && service.httpmethod && vs.httpmethod === 'HEAD') {
    ctx.warn(
      ...section.at('receive'),
      'receive-with-head',
      'receive with httpmethod=HEAD: the check can never succeed',
      'A HEAD response has no body for the receive string to match; the Perl original fails this check every time. Use GET, or drop receive.',
    );
  }
  if (section.has('receive') && service.receive === 'rows') {
    ctx.warn(
      ...section.at('receive'),
      'receive-sql',
      `receive has no effect on ${vs.service} checks`,
      'The check is up when the request (a query) returns at least one row; the original ignores receive too.',
      'no-effect',
    );
  }
  for (const name of ['request', 'receive'] as const) {
    if (
      section.has(name) &&
      !negotiates &&
      vs.checktype !== 'external' &&
      vs.checktype !== 'external-perl'
    ) {
      ctx.warn(
        ...section.at(name),
        `${name}-unused`,
        `${name} has no effect with checktype=${vs.checktype}`,
        'Only negotiate checks (checktype=negotiate or a number) send the request and match the receive string.',
        'no-effect',
      );
    }
  }
  if (negotiates && service.receive === 'regex') {
    const patterns: Array<[string, number, number]> = [];
    if (section.has('receive') && vs.receive !== '') {
      patterns.push([vs.receive, ...section.at('receive')]);
    }
    for (const r of vs.reals) {
      if (r.receive) patterns.push([r.receive, r.line, 1]);
    }
    for (const [pattern, line, column] of patterns) lintReceive(ctx, pattern, line, column);
  }
  if (section.has('virtualhost') && !service.virtualhost) {
    const http = SERVICES.filter((s) => SERVICE_DESCRIPTORS[s].virtualhost);
    ctx.warn(
      ...section.at('virtualhost'),
      'virtualhost-unused',
      `virtualhost has no effect on ${vs.service} checks`,
      `It sets the Host header of ${inWords(http)} checks only.`,
      'no-effect',
    );
  }
  if (vs.checktimeout === 0 || vs.negotiatetimeout === 0) {
    ctx.warn(
      node.line,
      1,
      'timeout-zero',
      'a timeout of 0 seconds',
      'The original then waits without limit; give a number of seconds.',
    );
  }
}

/**
 * A real listed twice in one virtual (on two lines) is one IPVS entry. Where the lines give it
 * different settings, the two programs end with different ones: the Perl original applies each
 * line in turn and keeps the last; the planner keeps the first line whose check passes.
 */
function lintDuplicateReals(ctx: ResolveContext, vs: VirtualService): void {
  const byEntry = new Map<string, RealServer[]>();
  for (const r of vs.reals) {
    const key = `${r.address}|${r.port}`;
    const lines = byEntry.get(key);
    if (!lines) byEntry.set(key, [r]);
    else if (!lines.some((l) => l.line === r.line)) lines.push(r);
  }
  for (const [first, ...others] of byEntry.values()) {
    const last = others.at(-1);
    for (const r of others) {
      const where = `real server ${r.address}:${r.port} is already listed at line ${first!.line}`;
      if (ipvsSettings(r) === ipvsSettings(first!)) {
        ctx.warn(r.line, 1, 'real-duplicate', where, 'Both lines are one IPVS entry; remove one.');
        continue;
      }
      ctx.warn(
        r.line,
        1,
        'real-duplicate',
        `${where} (${ipvsSettings(first!)}); this line says ${ipvsSettings(r)}`,
        `Both lines are one IPVS entry. ldirectord-ts gives it the settings of the first line whose check passes (${ipvsSettings(first!)} while all pass); the Perl original ends with the last line's (${ipvsSettings(last!)}). Give the lines the same settings, or remove one.`,
        'differs-from-perl',
      );
    }
  }
}

/** What a real line sets in its IPVS entry: forward method, weight, thresholds. */
function ipvsSettings(r: RealServer): string {
  const parts = [r.forward, `weight ${r.weight}`];
  if (r.lowerThreshold > 0) parts.push(`l:${r.lowerThreshold}`);
  if (r.upperThreshold > 0) parts.push(`u:${r.upperThreshold}`);
  return parts.join(', ');
}

/** receive is a Perl regex: refuse at load time what the checkers could not run. */
function lintReceive(ctx: ResolveContext, pattern: string, line: number, column: number): void {
  const result = translatePerlRegex(pattern);
  if (!result.ok) {
    ctx.error(
      line,
      column,
      'receive-regex',
      `invalid receive string: ${result.error}`,
      'receive is a Perl regular expression; ldirectord-ts runs the constructs JavaScript can express (see docs/compatibility.md).',
    );
    return;
  }
  for (const note of result.warnings) {
    ctx.warn(
      line,
      column,
      'receive-regex-note',
      `receive: ${note}`,
      undefined,
      'differs-from-perl',
    );
  }
}

/** fallbackcommand and callback run without a shell: refuse what would need one, here. */
export function lintCommands(
  ctx: ResolveContext,
  global: GlobalConfig,
  virtuals: readonly VirtualService[],
): void {
  const check = (name: string, command: string | undefined, line: number | undefined): void => {
    if (command === undefined || line === undefined) return;
    const split = splitCommand(command);
    if (split.ok) return;
    ctx.error(
      line,
      1,
      'command-needs-shell',
      `${name} cannot run without a shell: ${split.reason}`,
      'ldirectord-ts runs commands without a shell (the original used /bin/sh). Put the pipeline, redirection or variables in a script and name the script.',
    );
  };
  check('fallbackcommand', global.fallbackcommand, global.origins['fallbackcommand']?.line);
  check('callback', global.callback, global.origins['callback']?.line);
  for (const v of virtuals) {
    const origin = v.origins['fallbackcommand'];
    if (origin?.source === 'virtual') check('fallbackcommand', v.fallbackcommand, origin.line);
  }
}
