// The planner: from the configuration, the monitor's view of which reals are up and the table
// last read from the kernel, the ipvsadm commands that bring the kernel where the original
// would leave it (§3.5-§3.9 of the behaviour reference), and the table expected afterwards.
// Pure: no I/O, no timers. Differences from the original are in docs/compatibility.md.
import { virtualId, virtualString } from '../config/identity.ts';
import type { FallbackServer, Forward, RealServer, VirtualService } from '../config/model.ts';
import { hostPort } from '../lib/inet.ts';
import {
  addVirtualArgs,
  deleteRealArgs,
  deleteVirtualArgs,
  editVirtualArgs,
  normalizeNetmask,
  quiescentArgs,
  type RealSpec,
  realArgs,
} from './commands.ts';
import {
  type IpvsDestination,
  type IpvsService,
  type IpvsTable,
  schedFlagsText,
  serviceFlags,
} from './model.ts';
import {
  ipvsDestinationKey,
  ipvsServiceKey,
  kernelPort,
  sameServiceSettings,
  virtualKey,
} from './table.ts';
import type { Plan, PlanEvent, PlanInput, PlannedCommand, RealPair } from './types.ts';

export type { Plan, PlanEvent, PlanInput, PlannedCommand, PlanScope, RealPair } from './types.ts';

export function planIpvs(input: PlanInput): Plan {
  const planner = new Planner(input);
  const { scope, config } = input;
  if (scope.kind === 'start' || scope.kind === 'reload') {
    for (const v of config.virtuals) planner.ensureVirtual(v);
    for (const v of config.virtuals) planner.reconcileVirtual(v);
    if (scope.kind === 'reload') {
      const kept = new Set(config.virtuals.map(virtualKey));
      for (const old of scope.previous.virtuals) {
        if (!kept.has(virtualKey(old))) planner.purgeVirtual(old, 'start');
      }
    }
  } else if (scope.kind === 'entries') {
    const byVirtual = new Map<VirtualService, RealServer[]>();
    for (const { virtual, real } of scope.reals) {
      const list = byVirtual.get(virtual) ?? [];
      list.push(real);
      byVirtual.set(virtual, list);
    }
    for (const [v, reals] of byVirtual) planner.transitions(v, reals);
  } else {
    for (const v of config.virtuals) if (v.cleanstop) planner.stopVirtual(v);
  }
  return { commands: planner.commands, expected: planner.expected() };
}

/** Reals of a virtual that the kernel holds at one address:port (gate reals on other ports). */
interface RealGroup {
  key: string;
  address: string;
  /** The port the kernel gives them. */
  port: number;
  reals: RealServer[];
  /** The first real of the group that is up, else the first one. */
  chosen: RealServer;
  up: boolean;
}

interface WorkingService {
  service: IpvsService;
  destinations: Map<string, IpvsDestination>;
}

class Planner {
  readonly commands: PlannedCommand[] = [];
  readonly #input: PlanInput;
  /** The table as the commands so far leave it. */
  readonly #work = new Map<string, WorkingService>();
  /** Each virtual's key in the table and virtualId, made once per plan. */
  readonly #virtualNames = new Map<VirtualService, { key: string; id: string }>();

  constructor(input: PlanInput) {
    this.#input = input;
    for (const s of input.actual.services) {
      this.#work.set(ipvsServiceKey(s), {
        service: { ...s, destinations: [] },
        destinations: new Map(s.destinations.map((d) => [ipvsDestinationKey(d), { ...d }])),
      });
    }
  }

  expected(): IpvsTable {
    return {
      services: [...this.#work.values()].map((w) => ({
        ...w.service,
        destinations: [...w.destinations.values()],
      })),
    };
  }

  /** -A when the virtual is missing, -E when its settings differ. */
  ensureVirtual(v: VirtualService): void {
    const want = desiredService(v);
    const have = this.#work.get(this.#names(v).key);
    if (!have) {
      this.#emit(
        v,
        addVirtualArgs(v),
        `Added virtual server: ${virtualString(v)}`,
        'virtual-added',
      );
      this.#work.set(this.#names(v).key, { service: want, destinations: new Map() });
    } else if (!sameServiceSettings(have.service, want)) {
      this.#emit(
        v,
        editVirtualArgs(v),
        `Changed virtual server: ${virtualString(v)}`,
        'virtual-changed',
      );
      have.service = { ...want, destinations: [] };
    }
  }

  /** Start-up and reload reconciliation of one virtual (§3.5, without the transient adds). */
  reconcileVirtual(v: VirtualService): void {
    const groups = this.#groups(v);
    const fallback = this.#fallback(v, groups);
    const anyUp = groups.some((g) => g.up);
    for (const g of groups) if (g.up) this.#restore(v, g);
    if (fallback && !anyUp) this.#fallbackIn(v, fallback);
    for (const g of groups) if (!g.up) this.#remove(v, g, 'start');
    if (fallback && anyUp) this.#fallbackOut(v, fallback);
    const known = new Set(groups.map((g) => g.key));
    if (fallback) known.add(fallback.key);
    const service = this.#work.get(this.#names(v).key);
    for (const d of [...(service?.destinations.values() ?? [])]) {
      const key = ipvsDestinationKey(d);
      if (known.has(key)) continue;
      this.#emitEntry(
        v,
        deleteRealArgs(v, d),
        `Purged real server (start): ${hostPort(d.address, d.port)} (${virtualString(v)})`,
        'purged',
        { key, kind: 'real', address: d.address, port: d.port, serves: [] },
      );
      service?.destinations.delete(key);
    }
  }

  /** The `entries` scope: these reals, then the fallback of their virtual. */
  transitions(v: VirtualService, reals: readonly RealServer[]): void {
    const groups = this.#groups(v);
    const done = new Set<string>();
    for (const r of reals) {
      const group =
        groups.find((g) => g.reals.includes(r)) ??
        groups.find((g) =>
          g.reals.some(
            (x) => x.address === r.address && x.port === r.port && x.forward === r.forward,
          ),
        );
      if (!group || done.has(group.key)) continue;
      done.add(group.key);
      if (group.up) this.#restore(v, group);
      else this.#remove(v, group, 'running');
    }
    const fallback = this.#fallback(v, groups);
    if (!fallback) return;
    if (groups.some((g) => g.up)) this.#fallbackOut(v, fallback);
    else this.#fallbackIn(v, fallback);
  }

  /** §3.8: purge the reals that are up, then the virtual. */
  stopVirtual(v: VirtualService): void {
    const service = this.#work.get(this.#names(v).key);
    if (!service) return;
    for (const g of this.#groups(v)) {
      if (!g.up || !service.destinations.has(g.key)) continue;
      const r = g.chosen;
      this.#emitEntry(
        v,
        deleteRealArgs(v, g),
        `Purged real server (stop): ${hostPort(r.address, r.port)} (${virtualString(v)})`,
        'purged',
        { key: g.key, kind: 'real', address: r.address, port: r.port, serves: pairs(v, g.reals) },
      );
      service.destinations.delete(g.key);
    }
    this.purgeVirtual(v, 'stop');
  }

  purgeVirtual(v: VirtualService, tag: 'start' | 'stop'): void {
    if (!this.#work.has(this.#names(v).key)) return;
    this.#emit(
      v,
      deleteVirtualArgs(v),
      `Purged virtual server (${tag}): ${virtualString(v)}`,
      'virtual-purged',
    );
    this.#work.delete(this.#names(v).key);
  }

  #groups(v: VirtualService): RealGroup[] {
    const groups = new Map<string, RealGroup>();
    for (const r of v.reals) {
      const port = kernelPort(v, r);
      const key = ipvsDestinationKey({ address: r.address, port });
      const up = this.#input.isUp(v, r);
      const g = groups.get(key);
      if (!g) {
        groups.set(key, { key, address: r.address, port, reals: [r], chosen: r, up });
      } else {
        g.reals.push(r);
        if (up && !g.up) {
          g.up = true;
          g.chosen = r;
        }
      }
    }
    return [...groups.values()];
  }

  #fallback(
    v: VirtualService,
    groups: readonly RealGroup[],
  ): (FallbackServer & { key: string; kernelPort: number }) | undefined {
    const f = v.fallback;
    if (!f || f.address === '') return undefined;
    const port = kernelPort(v, f);
    const key = ipvsDestinationKey({ address: f.address, port });
    // A fallback at the address:port of a real is that real's entry.
    if (groups.some((g) => g.key === key)) return undefined;
    return { ...f, key, kernelPort: port };
  }

  /** _restore_service for a real that is up. */
  #restore(v: VirtualService, g: RealGroup): void {
    const r = g.chosen;
    const spec: RealSpec = {
      address: r.address,
      port: r.port,
      forward: r.forward,
      weight: r.weight,
      upperThreshold: r.upperThreshold,
      // The kernel refuses a lower threshold above the upper one (0 = no upper threshold).
      lowerThreshold: Math.min(r.lowerThreshold, r.upperThreshold),
    };
    this.#put(v, g.key, g.port, spec, 'real', pairs(v, g.reals));
  }

  #fallbackIn(v: VirtualService, f: FallbackServer & { key: string; kernelPort: number }): void {
    const spec: RealSpec = {
      address: f.address,
      port: f.port,
      forward: f.forward,
      weight: 1,
      upperThreshold: 0,
      lowerThreshold: 0,
    };
    this.#put(v, f.key, f.kernelPort, spec, 'fallback', pairs(v, v.reals));
  }

  #fallbackOut(v: VirtualService, f: FallbackServer & { key: string; kernelPort: number }): void {
    const service = this.#service(v);
    if (!service.destinations.has(f.key)) return;
    this.#emitEntry(
      v,
      deleteRealArgs(v, { address: f.address, port: f.kernelPort }),
      `Deleted fallback server: ${hostPort(f.address, f.port)} (${virtualString(v)})`,
      'deleted',
      { key: f.key, kind: 'fallback', address: f.address, port: f.port, serves: pairs(v, v.reals) },
    );
    service.destinations.delete(f.key);
  }

  /** Add or restore a destination at full weight unless it is already right. */
  #put(
    v: VirtualService,
    key: string,
    port: number,
    spec: RealSpec,
    kind: 'real' | 'fallback',
    serves: RealPair[],
  ) {
    const service = this.#service(v);
    const have = service.destinations.get(key);
    const want: IpvsDestination = {
      address: spec.address,
      port,
      forward: spec.forward,
      weight: spec.weight,
      upperThreshold: spec.upperThreshold,
      lowerThreshold: spec.lowerThreshold,
    };
    const name = `${kind} server: ${hostPort(spec.address, spec.port)} (${virtualString(v)})`;
    const entry = { key, kind, address: spec.address, port: spec.port, serves };
    if (!have) {
      this.#emitEntry(
        v,
        realArgs('-a', v, spec),
        `Added ${name} (Weight set to ${spec.weight})`,
        'added',
        entry,
      );
    } else if (
      have.weight !== want.weight ||
      have.upperThreshold !== want.upperThreshold ||
      have.lowerThreshold !== want.lowerThreshold ||
      !sameForward(have.forward, spec.forward)
    ) {
      this.#emitEntry(
        v,
        realArgs('-e', v, spec),
        `Restored ${name} (Weight set to ${spec.weight})`,
        'restored',
        entry,
      );
    } else return;
    service.destinations.set(key, want);
  }

  /**
   * _remove_service for a real that is down. At start-up ('start') the table must end where the
   * original settles after its add-then-remove dance: a quiescent real present at weight 0.
   */
  #remove(v: VirtualService, g: RealGroup, when: 'start' | 'running'): void {
    const service = this.#service(v);
    const r = g.chosen;
    const have = service.destinations.get(g.key);
    const readd = this.#input.config.global.readdquiescent;
    const name = `real server: ${hostPort(r.address, r.port)} (${virtualString(v)})`;
    const entry = {
      key: g.key,
      kind: 'real' as const,
      address: r.address,
      port: r.port,
      serves: pairs(v, g.reals),
    };
    if (!v.quiescent) {
      if (!have) return;
      this.#emitEntry(v, deleteRealArgs(v, g), `Deleted ${name}`, 'deleted', entry);
      service.destinations.delete(g.key);
      return;
    }
    const quiesced: IpvsDestination = {
      address: r.address,
      port: g.port,
      forward: r.forward,
      weight: 0,
      upperThreshold: 0,
      lowerThreshold: 0,
    };
    if (have) {
      // The original's dance at start with readdquiescent=no ends with a quiesce, which also
      // clears the thresholds.
      const settled =
        have.weight === 0 &&
        sameForward(have.forward, r.forward) &&
        (when === 'running' || readd || (have.upperThreshold === 0 && have.lowerThreshold === 0));
      if (settled) return;
      this.#emitEntry(
        v,
        quiescentArgs('-e', v, r),
        `Quiescent ${name} (Weight set to 0)`,
        'quiescent',
        entry,
      );
    } else {
      if (when === 'running' && !readd) return;
      // The original mails "Quiescent ..." for it, and logs "Readd Quiescent ...".
      this.#emitEntry(
        v,
        quiescentArgs('-a', v, r),
        `Readd Quiescent ${name} (Weight set to 0)`,
        'readd-quiescent',
        { ...entry, alert: `Quiescent ${name} (Weight set to 0)` },
      );
    }
    service.destinations.set(g.key, quiesced);
  }

  #names(v: VirtualService): { key: string; id: string } {
    let names = this.#virtualNames.get(v);
    if (!names) {
      names = { key: virtualKey(v), id: virtualId(v) };
      this.#virtualNames.set(v, names);
    }
    return names;
  }

  /** The working service of a virtual; a command on a missing one fails in the kernel. */
  #service(v: VirtualService): WorkingService {
    const key = this.#names(v).key;
    let service = this.#work.get(key);
    if (!service) {
      service = { service: desiredService(v), destinations: new Map() };
      this.#work.set(key, service);
    }
    return service;
  }

  /** A command on the virtual service itself. */
  #emit(v: VirtualService, args: string[], message: string, event: PlanEvent): void {
    this.commands.push({
      args,
      line: args.join(' '),
      message,
      event,
      virtual: v,
      virtualId: this.#names(v).id,
      service: this.#names(v).key,
      serves: [],
    });
  }

  /**
   * A command on one destination (a real or the fallback): its key in the table, the server
   * as configured, the reals it serves, and the alert the original mails (its log line unless
   * given).
   */
  #emitEntry(
    v: VirtualService,
    args: string[],
    message: string,
    event: PlanEvent,
    entry: {
      key: string;
      kind: 'real' | 'fallback';
      address: string;
      port: number;
      serves: RealPair[];
      alert?: string;
    },
  ): void {
    this.commands.push({
      args,
      line: args.join(' '),
      message,
      alert: entry.alert ?? message,
      event,
      virtual: v,
      virtualId: this.#names(v).id,
      service: this.#names(v).key,
      destination: entry.key,
      target: { kind: entry.kind, address: entry.address, port: entry.port },
      serves: entry.serves,
    });
  }
}

function pairs(virtual: VirtualService, reals: readonly RealServer[]): RealPair[] {
  return reals.map((real) => ({ virtual, real }));
}

/** A Local entry (older kernels) stands for whatever method was asked for. */
function sameForward(have: IpvsDestination['forward'], want: Forward): boolean {
  return have === want || have === 'local';
}

/** The service as the kernel lists it after `-A`/`-E` with the virtual's flags. */
function desiredService(v: VirtualService): IpvsService {
  const ops = v.protocol === 'udp' && v.ops;
  const service: IpvsService = {
    protocol: v.protocol,
    family: v.family,
    address: v.protocol === 'fwm' ? '' : v.address,
    port: v.protocol === 'fwm' ? 0 : v.port,
    fwmark: v.protocol === 'fwm' ? v.fwmark : 0,
    scheduler: v.scheduler,
    ops,
    destinations: [],
  };
  if (v.persistent !== undefined) {
    service.persistent = v.persistent;
    const mask = v.netmask === undefined ? undefined : normalizeNetmask(v.family, v.netmask);
    if (mask !== undefined) service.netmask = mask;
  }
  const flags = schedFlagsText(v.scheduler, serviceFlags({ ops, schedflags: v.schedflags }));
  if (flags !== undefined) service.schedflags = flags;
  return service;
}
