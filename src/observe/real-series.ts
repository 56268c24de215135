// The per-real families of /metrics, written directly in Prometheus's text format.
//
// prom-client renders a series in ~25 µs (label objects flattened, escaped and joined per
// series, per scrape): at 10,000 reals and 8 families that is 2-5 s of a blocked event loop
// per scrape on this project's 2-core machine. Here each real's label set is escaped once and
// kept, the counters are plain numbers in one record per real, and a scrape is string joins:
// tens of milliseconds at 10,000 reals (BENCHMARKS.md). Everything else of /metrics (per
// virtual, the histogram, the daemon, Node's process metrics) stays with prom-client.
import { isDrained, weightInService } from '../ipvs/override.ts';
import type { MonitorStatus } from '../monitor/types.ts';
import { hostPort } from '../lib/inet.ts';
import { pairKey } from './keys.ts';

export const CHECK_RESULTS = ['up', 'down', 'error', 'timeout'] as const;
export type CheckResultLabel = (typeof CHECK_RESULTS)[number];

interface RealRecord {
  /** `virtual="…",real="…",service="…"`, escaped. */
  labels: string;
  checks: [number, number, number, number];
  transitions: number;
  /** Unix seconds; undefined before the first transition. */
  lastTransition: number | undefined;
  lastDuration: number | undefined;
}

/** A label value in the text format: backslash, double quote and newline escaped. */
export function escapeLabel(value: string): string {
  return value.replace(/[\\"\n]/g, (c) => (c === '\n' ? '\\n' : `\\${c}`));
}

const FAMILIES: Array<{ name: string; type: 'gauge' | 'counter'; help: string }> = [
  {
    name: 'ldirectord_real_up',
    type: 'gauge',
    help: 'Whether the real server is up (1) or down (0) by its checks',
  },
  {
    name: 'ldirectord_real_weight',
    type: 'gauge',
    help: 'The weight the real server has in the IPVS table (0 quiescent; absent when not in the table)',
  },
  {
    name: 'ldirectord_real_configured_weight',
    type: 'gauge',
    help: 'The weight of the real server in the configuration',
  },
  {
    name: 'ldirectord_real_consecutive_failures',
    type: 'gauge',
    help: 'Failed checks in a row (the real goes down at failurecount)',
  },
  {
    name: 'ldirectord_real_checks_total',
    type: 'counter',
    help: 'Checks of the real server by result: up, down (answered wrong), error (no connection), timeout',
  },
  {
    name: 'ldirectord_real_transitions_total',
    type: 'counter',
    help: 'Times the real server changed state (up to down or down to up)',
  },
  {
    name: 'ldirectord_real_last_transition_timestamp_seconds',
    type: 'gauge',
    help: 'When the real server last changed state (Unix time)',
  },
  {
    name: 'ldirectord_real_last_check_duration_seconds',
    type: 'gauge',
    help: 'How long the last check of the real server took',
  },
];

export class RealSeries {
  #records = new Map<string, RealRecord>();

  #record(virtual: string, real: string, service: string): RealRecord {
    const key = pairKey(virtual, real);
    let record = this.#records.get(key);
    if (!record) {
      record = {
        labels: `virtual="${escapeLabel(virtual)}",real="${escapeLabel(real)}",service="${escapeLabel(service)}"`,
        checks: [0, 0, 0, 0],
        transitions: 0,
        lastTransition: undefined,
        lastDuration: undefined,
      };
      this.#records.set(key, record);
    }
    return record;
  }

  checked(
    virtual: string,
    real: string,
    service: string,
    result: CheckResultLabel,
    durationMs: number,
    transition: boolean,
  ): void {
    const record = this.#record(virtual, real, service);
    record.checks[CHECK_RESULTS.indexOf(result)]!++;
    record.lastDuration = durationMs / 1000;
    if (transition) {
      record.transitions++;
      record.lastTransition = Date.now() / 1000;
    }
  }

  /** Forgets the reals not in `keep` (pair keys): their series end with them. */
  retain(keep: ReadonlySet<string>): void {
    for (const key of this.#records.keys()) if (!keep.has(key)) this.#records.delete(key);
  }

  /** The families for this status, as exposition text. */
  text(status: MonitorStatus, quiescent: (virtual: string) => boolean): string {
    const rows: Array<{
      r: MonitorStatus['virtuals'][number]['reals'][number];
      rec: RealRecord;
      q: boolean;
    }> = [];
    for (const v of status.virtuals) {
      const q = quiescent(v.id);
      for (const r of v.reals)
        rows.push({ r, rec: this.#record(v.id, hostPort(r.address, r.port), v.service), q });
    }
    const out: string[] = [];
    const family = (
      index: number,
      line: (row: (typeof rows)[number]) => string | undefined,
    ): void => {
      const f = FAMILIES[index]!;
      out.push(`# HELP ${f.name} ${f.help}`, `# TYPE ${f.name} ${f.type}`);
      for (const row of rows) {
        const l = line(row);
        if (l !== undefined) out.push(l);
      }
    };
    const sample = (name: string, labels: string, value: number): string =>
      `${name}{${labels}} ${value}`;
    family(0, ({ r, rec }) => sample('ldirectord_real_up', rec.labels, r.up ? 1 : 0));
    // As the planner decides (src/ipvs/override.ts): serving (its check and agent allow it, not
    // drained) at the ctl weight, else the agent's, else the configured one; a drained real at 0
    // whatever quiescent says; any other real at 0 when quiescent, else not in the table. A
    // real ramping up after coming back (slowstart) at its step.
    family(1, ({ r, rec, q }) =>
      r.serving
        ? sample(
            'ldirectord_real_weight',
            rec.labels,
            r.slowStartWeight ?? weightInService(r.agent?.weight ?? r.weight, r.override),
          )
        : q || isDrained(r.override)
          ? sample('ldirectord_real_weight', rec.labels, 0)
          : undefined,
    );
    family(2, ({ r, rec }) => sample('ldirectord_real_configured_weight', rec.labels, r.weight));
    family(3, ({ r, rec }) =>
      sample('ldirectord_real_consecutive_failures', rec.labels, r.failcount),
    );
    {
      const f = FAMILIES[4]!;
      out.push(`# HELP ${f.name} ${f.help}`, `# TYPE ${f.name} ${f.type}`);
      for (const { rec } of rows)
        for (let i = 0; i < CHECK_RESULTS.length; i++)
          if (rec.checks[i]! > 0)
            out.push(`${f.name}{${rec.labels},result="${CHECK_RESULTS[i]}"} ${rec.checks[i]}`);
    }
    family(5, ({ rec }) =>
      sample('ldirectord_real_transitions_total', rec.labels, rec.transitions),
    );
    family(6, ({ rec }) =>
      rec.lastTransition === undefined
        ? undefined
        : sample(
            'ldirectord_real_last_transition_timestamp_seconds',
            rec.labels,
            rec.lastTransition,
          ),
    );
    family(7, ({ rec }) =>
      rec.lastDuration === undefined
        ? undefined
        : sample('ldirectord_real_last_check_duration_seconds', rec.labels, rec.lastDuration),
    );
    return `${out.join('\n')}\n`;
  }
}
