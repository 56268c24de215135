// Plain-value builders and recording fakes for the monitor's unit tests: configs, a planner
// that emits ipvsadm-like commands, an in-memory IPVS backend, scripted checkers, a logger.
import type { Checker, CheckResult, CheckTarget } from '../../src/checkers/types.ts';
import { virtualId } from '../../src/config/identity.ts';
import type { RealServer, VirtualService } from '../../src/config/model.ts';
import type { IpvsService, IpvsTable } from '../../src/ipvs/model.ts';
import type {
  ApplyResult,
  IpvsBackend,
  Plan,
  PlanEvent,
  PlanInput,
  PlannedCommand,
} from '../../src/ipvs/types.ts';
import { ipvsDestinationKey, virtualKey } from '../../src/ipvs/table.ts';
import { hostPort } from '../../src/lib/inet.ts';
import type { LogFields, Logger } from '../../src/log/logger.ts';
import type { CheckerSet } from '../../src/monitor/types.ts';
import { makeReal as baseReal, makeVirtual as baseVirtual } from './model-builders.ts';

// The monitor tests' defaults (masq reals on 10.1.1.1:80, no reals until given) over the
// shared builders.
export { makeConfig } from './model-builders.ts';

export function makeReal(
  address: string,
  port: number,
  extra: Partial<RealServer> = {},
): RealServer {
  return baseReal({
    address,
    port,
    forward: 'masq',
    line: 2,
    written: `${address}:${port}`,
    ...extra,
  });
}

export function makeVirtual(extra: Partial<VirtualService> = {}): VirtualService {
  return baseVirtual({
    line: 1,
    address: '10.1.1.1',
    written: '10.1.1.1:80',
    checkcommand: '',
    reals: [],
    ...extra,
  });
}

// ---- planner and backend -------------------------------------------------------------------

function protoFlag(v: VirtualService): string {
  return v.protocol === 'tcp' ? '-t' : v.protocol === 'udp' ? '-u' : '-f';
}

function vopt(v: VirtualService): string {
  return v.protocol === 'fwm' ? String(v.fwmark) : hostPort(v.address, v.port);
}

function findService(table: IpvsTable, v: VirtualService): IpvsService | undefined {
  return table.services.find(
    (s) =>
      s.protocol === v.protocol &&
      (v.protocol === 'fwm' ? s.fwmark === v.fwmark : s.address === v.address && s.port === v.port),
  );
}

function command(
  v: VirtualService,
  args: string[],
  event: PlanEvent,
  message: string,
  target?: PlannedCommand['target'],
  serves: PlannedCommand['serves'] = [],
): PlannedCommand {
  const c: PlannedCommand = {
    args,
    line: args.join(' '),
    message,
    event,
    virtual: v,
    virtualId: virtualId(v),
    service: virtualKey(v),
    serves,
  };
  if (target) {
    c.target = target;
    c.alert = message;
    c.destination = ipvsDestinationKey(target);
  }
  return c;
}

export interface RecordedPlan {
  scope: string;
  /** `<vid> <rip:rport>=<up|down>` for the reals the scope names (every real for start/reload). */
  reals: string[];
  commands: string[];
}

/**
 * A planner in the shape of the real one (simplified: add, delete, fallback in and out, virtual
 * add and purge), recording what it was asked.
 */
export function recordingPlanner(): { plan: (input: PlanInput) => Plan; calls: RecordedPlan[] } {
  const calls: RecordedPlan[] = [];
  const plan = (input: PlanInput): Plan => {
    const commands: PlannedCommand[] = [];
    const named: string[] = [];
    const table = input.actual;
    const realCommands = (v: VirtualService, r: RealServer): void => {
      const up = input.isUp(v, r);
      named.push(`${virtualId(v)} ${hostPort(r.address, r.port)}=${up ? 'up' : 'down'}`);
      const present = findService(table, v)?.destinations.some(
        (d) => d.address === r.address && d.port === r.port,
      );
      const rs = hostPort(r.address, r.port);
      const target = { kind: 'real' as const, address: r.address, port: r.port };
      const serves = [{ virtual: v, real: r }];
      const base = ['-r', rs];
      if (up && !present)
        commands.push(
          command(
            v,
            ['-a', protoFlag(v), vopt(v), ...base, '-m', '-w', String(r.weight)],
            'added',
            `Added real server: ${rs} (${vopt(v)}) (Weight set to ${r.weight})`,
            target,
            serves,
          ),
        );
      if (!up && present)
        commands.push(
          command(
            v,
            ['-d', protoFlag(v), vopt(v), ...base],
            'deleted',
            `Deleted real server: ${rs} (${vopt(v)})`,
            target,
            serves,
          ),
        );
    };
    const fallbackCommands = (v: VirtualService): void => {
      if (!v.fallback) return;
      const fb = v.fallback;
      const anyUp = v.reals.some((r) => input.isUp(v, r));
      const present = findService(table, v)?.destinations.some(
        (d) => d.address === fb.address && d.port === fb.port,
      );
      const rs = hostPort(fb.address, fb.port);
      const target = { kind: 'fallback' as const, address: fb.address, port: fb.port };
      const serves = v.reals.map((real) => ({ virtual: v, real }));
      if (!anyUp && !present)
        commands.push(
          command(
            v,
            ['-a', protoFlag(v), vopt(v), '-r', rs, '-m', '-w', '1'],
            'added',
            `Added fallback server: ${rs} (${vopt(v)}) (Weight set to 1)`,
            target,
            serves,
          ),
        );
      if (anyUp && present)
        commands.push(
          command(
            v,
            ['-d', protoFlag(v), vopt(v), '-r', rs],
            'deleted',
            `Deleted fallback server: ${rs} (${vopt(v)})`,
            target,
            serves,
          ),
        );
    };
    const scope = input.scope;
    if (scope.kind === 'start' || scope.kind === 'reload') {
      for (const v of input.config.virtuals) {
        if (!findService(table, v))
          commands.push(
            command(
              v,
              ['-A', protoFlag(v), vopt(v), '-s', v.scheduler],
              'virtual-added',
              `Added virtual server: ${vopt(v)}`,
            ),
          );
      }
      for (const v of input.config.virtuals) {
        for (const r of v.reals) realCommands(v, r);
        fallbackCommands(v);
      }
      if (scope.kind === 'reload') {
        const kept = new Set(input.config.virtuals.map(virtualId));
        for (const v of scope.previous.virtuals)
          if (!kept.has(virtualId(v)) && findService(table, v))
            commands.push(
              command(
                v,
                ['-D', protoFlag(v), vopt(v)],
                'virtual-purged',
                `Purged virtual server (start): ${vopt(v)}`,
              ),
            );
      }
    } else if (scope.kind === 'entries') {
      const virtuals = new Set<VirtualService>();
      for (const { virtual, real } of scope.reals) {
        realCommands(virtual, real);
        virtuals.add(virtual);
      }
      for (const v of virtuals) fallbackCommands(v);
    } else {
      for (const v of input.config.virtuals) {
        if (!v.cleanstop || !findService(table, v)) continue;
        for (const r of v.reals)
          if (input.isUp(v, r))
            commands.push(
              command(
                v,
                ['-d', protoFlag(v), vopt(v), '-r', hostPort(r.address, r.port)],
                'purged',
                `Purged real server (stop): ${hostPort(r.address, r.port)} (${vopt(v)})`,
                { kind: 'real', address: r.address, port: r.port },
                [{ virtual: v, real: r }],
              ),
            );
        commands.push(
          command(
            v,
            ['-D', protoFlag(v), vopt(v)],
            'virtual-purged',
            `Purged virtual server (stop): ${vopt(v)}`,
          ),
        );
      }
    }
    calls.push({ scope: scope.kind, reals: named, commands: commands.map((c) => c.line) });
    return { commands, expected: table };
  };
  return { plan, calls };
}

function parseHostPort(text: string): { address: string; port: number } {
  const m = /^\[?(.*?)\]?:(\d+)$/.exec(text);
  if (!m) throw new Error(`bad address ${text}`);
  return { address: m[1]!, port: Number(m[2]) };
}

/** An IPVS table in memory that applies the fake planner's commands. */
export class MemoryBackend implements IpvsBackend {
  table: IpvsTable;
  applied: string[][] = [];
  reads = 0;
  /** Return ipvsadm's message to make a command fail. */
  fail: (line: string) => string | undefined = () => undefined;
  /** Make apply() reject, as when ipvsadm cannot be run at all. */
  broken = false;
  /** Resolves apply() only when this is released (undefined: at once). */
  gate: Promise<void> | undefined;

  constructor(table: IpvsTable = { services: [] }) {
    this.table = structuredClone(table);
  }

  async read(): Promise<IpvsTable> {
    this.reads++;
    return structuredClone(this.table);
  }

  async apply(plan: Plan): Promise<ApplyResult> {
    if (this.gate) await this.gate;
    if (this.broken) throw new Error('spawn ipvsadm ENOENT');
    const failed: ApplyResult['failed'] = [];
    const batch: string[] = [];
    for (const c of plan.commands) {
      const message = this.fail(c.line);
      if (message !== undefined) {
        failed.push({ command: c, message });
        continue;
      }
      batch.push(c.line);
      this.#execute(c.args);
    }
    this.applied.push(batch);
    return { table: structuredClone(this.table), failed, processes: 1 };
  }

  #execute(args: string[]): void {
    const [op, flag, vtext] = args as [string, string, string];
    const protocol = flag === '-t' ? 'tcp' : flag === '-u' ? 'udp' : 'fwm';
    const find = (): IpvsService | undefined =>
      this.table.services.find((s) =>
        protocol === 'fwm'
          ? s.protocol === 'fwm' && s.fwmark === Number(vtext)
          : s.protocol === protocol && hostPort(s.address, s.port) === vtext,
      );
    if (op === '-A') {
      const where =
        protocol === 'fwm'
          ? { address: '', port: 0, fwmark: Number(vtext) }
          : { ...parseHostPort(vtext), fwmark: 0 };
      this.table.services.push({
        protocol,
        family: 4,
        scheduler: 'wrr',
        ops: false,
        destinations: [],
        ...where,
      });
    } else if (op === '-D') {
      this.table.services = this.table.services.filter((s) => s !== find());
    } else {
      const service = find();
      if (!service) return;
      const rs = parseHostPort(args[args.indexOf('-r') + 1]!);
      service.destinations = service.destinations.filter(
        (d) => d.address !== rs.address || d.port !== rs.port,
      );
      if (op === '-a' || op === '-e') {
        const w = args.indexOf('-w');
        service.destinations.push({
          ...rs,
          forward: 'masq',
          weight: Number(args[w + 1]),
          upperThreshold: 0,
          lowerThreshold: 0,
        });
      }
    }
  }
}

/** A table holding these virtuals with these reals (weight as given). */
export function tableWith(
  entries: Array<{
    virtual: VirtualService;
    reals: Array<{ address: string; port: number; weight: number }>;
  }>,
): IpvsTable {
  return {
    services: entries.map(({ virtual: v, reals }) => ({
      protocol: v.protocol,
      family: v.family,
      address: v.address,
      port: v.port,
      fwmark: v.fwmark,
      scheduler: v.scheduler,
      ops: false,
      destinations: reals.map((r) => ({
        ...r,
        forward: 'masq' as const,
        upperThreshold: 0,
        lowerThreshold: 0,
      })),
    })),
  };
}

// ---- checkers and logger -------------------------------------------------------------------

export interface CheckCall {
  kind: string;
  host: string;
  port: number;
  at: number;
  target: CheckTarget;
}

/**
 * Checkers whose answer is set per host: a result, or a function (to hang, throw or delay).
 * Every call is recorded with the clock's time.
 */
export class ScriptedCheckers implements CheckerSet {
  calls: CheckCall[] = [];
  answers = new Map<
    string,
    CheckResult | ((target: CheckTarget, signal: AbortSignal) => Promise<CheckResult>)
  >();
  aborted: string[] = [];
  /** Services without a negotiate check. */
  missing = new Set<string>();
  #now: () => number;

  constructor(now: () => number) {
    this.#now = now;
  }

  set(
    host: string,
    answer:
      boolean | CheckResult | ((target: CheckTarget, signal: AbortSignal) => Promise<CheckResult>),
  ): void {
    this.answers.set(
      host,
      typeof answer === 'boolean'
        ? { up: answer, reason: answer ? 'Success' : 'Connection refused' }
        : answer,
    );
  }

  #checker(kind: string): Checker {
    return async (target, signal) => {
      this.calls.push({ kind, host: target.host, port: target.port, at: this.#now(), target });
      signal.addEventListener('abort', () => this.aborted.push(`${kind} ${target.host}`), {
        once: true,
      });
      const answer = this.answers.get(target.host) ?? { up: false, reason: 'no answer scripted' };
      return typeof answer === 'function' ? answer(target, signal) : answer;
    };
  }

  negotiate(service: string): Checker | undefined {
    return this.missing.has(service) ? undefined : this.#checker(`negotiate:${service}`);
  }
  connect = this.#checker('connect');
  ping = this.#checker('ping');
  external = this.#checker('external');
  externalPerl = this.#checker('external-perl');

  kinds(host: string): string[] {
    return this.calls.filter((c) => c.host === host).map((c) => c.kind);
  }
}

export class RecordingLogger implements Logger {
  lines: Array<{ level: string; message: string; fields?: LogFields }> = [];
  error(message: string, fields?: LogFields): void {
    this.lines.push({ level: 'error', message, fields });
  }
  warn(message: string, fields?: LogFields): void {
    this.lines.push({ level: 'warn', message, fields });
  }
  info(message: string, fields?: LogFields): void {
    this.lines.push({ level: 'info', message, fields });
  }
  debug(message: string, fields?: LogFields): void {
    this.lines.push({ level: 'debug', message, fields });
  }
  messages(level?: string): string[] {
    return this.lines.filter((l) => level === undefined || l.level === level).map((l) => l.message);
  }
}
