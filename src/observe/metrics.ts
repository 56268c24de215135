// /metrics: the Prometheus view of the monitor, through prom-client on a registry of its own.
//
// Cardinality is bounded by the config: per real (labels virtual, real, service) a fixed set
// of series, and never a free-text label (no reason, no command line). The check duration is
// a histogram per virtual (labels virtual, service), with the last duration per real as a
// gauge: a histogram per real would be ~15 series a real, 150,000 at 10,000 reals.
//
// Gauges of state (up, weights, failures, reals up, fallback, queue) are read from
// Monitor.status() when scraped; counters and timestamps follow the monitor's events.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import { CONNECT_FAILURE_REASONS } from '../checkers/support/result.ts';
import type { Config, VirtualService } from '../config/model.ts';
import type { MonitorEvent, MonitorStatus } from '../monitor/types.ts';
import { ORIGINAL_VERSION, VERSION } from '../version.ts';
import { pairKey, realLabel, virtualLabel } from './keys.ts';
import { type CheckResultLabel, RealSeries } from './real-series.ts';

/** A check's result as counted: up, down (answered wrong), error (never connected), timeout. */
export function checkResultOf(event: {
  up: boolean;
  timedOut: boolean;
  reason: string;
}): CheckResultLabel {
  if (event.up) return 'up';
  if (event.timedOut) return 'timeout';
  return CONNECT_FAILURE_REASONS.has(event.reason) ? 'error' : 'down';
}

export interface MetricsSource {
  status(): MonitorStatus;
}

export class Metrics {
  readonly registry = new Registry();
  #byId = new Map<string, VirtualService>();
  #source: MetricsSource;
  #reals = new RealSeries();
  #duration: Histogram<string>;
  #reloads: Counter<string>;
  #reloadFailures: Counter<string>;
  #lastReloadOk: Gauge<string>;
  #lastReloadTime: Gauge<string>;
  #configInfo: Gauge<string>;
  #ipvsadmRuns: Counter<string>;
  #ipvsApplies: Counter<string>;
  #ipvsFailures: Counter<string>;
  #commands: Counter<string>;
  #lastFailed: Gauge<string>;
  #lastCheck: Gauge<string>;

  constructor(config: Config, source: MetricsSource) {
    this.#source = source;
    const registers = [this.registry];
    collectDefaultMetrics({ register: this.registry, eventLoopMonitoringPrecision: 20 });
    // Gauges named like counters: `promtool check metrics` refuses them, and the per-type
    // nodejs_active_handles, _requests and _resources carry the same numbers.
    for (const name of [
      'nodejs_active_handles_total',
      'nodejs_active_requests_total',
      'nodejs_active_resources_total',
    ])
      this.registry.removeSingleMetric(name);
    new Gauge({
      name: 'ldirectord_build_info',
      help: 'ldirectord-ts version (value 1) and the Perl ldirectord version it replaces',
      labelNames: ['version', 'original'],
      registers,
    }).set({ version: VERSION, original: ORIGINAL_VERSION }, 1);

    // ---- per virtual and daemon gauges, from one status() snapshot at scrape time
    let collectState = (): void => {};
    const virtualGauges = {
      up: new Gauge({
        name: 'ldirectord_virtual_reals_up',
        help: 'Real servers of the virtual service that are up',
        labelNames: ['virtual', 'service'],
        registers,
        collect: () => collectState(),
      }),
      total: new Gauge({
        name: 'ldirectord_virtual_reals',
        help: 'Real servers of the virtual service in the configuration',
        labelNames: ['virtual', 'service'],
        registers,
      }),
      fallback: new Gauge({
        name: 'ldirectord_virtual_fallback_active',
        help: 'Whether the fallback server is wanted in the table (no real is up)',
        labelNames: ['virtual', 'service'],
        registers,
      }),
    };
    const daemon = {
      outOfSync: new Gauge({
        name: 'ldirectord_ipvs_out_of_sync_entries',
        help: 'Real servers whose IPVS entry differs from the wanted one (failed or not yet applied), plus 1 while a full reconciliation is owed',
        registers,
      }),
      running: new Gauge({
        name: 'ldirectord_checks_running',
        help: 'Checks running now',
        registers,
      }),
      queued: new Gauge({
        name: 'ldirectord_checks_queued',
        help: 'Checks waiting for a slot under the concurrency cap',
        registers,
      }),
      limit: new Gauge({
        name: 'ldirectord_checks_concurrency_limit',
        help: 'The concurrency cap of checks',
        registers,
      }),
      jobs: new Gauge({
        name: 'ldirectord_check_jobs',
        help: 'Distinct checks (shared checks count once)',
        registers,
      }),
      interval: new Gauge({
        name: 'ldirectord_checkinterval_max_seconds',
        help: 'The longest checkinterval of the configuration (the checker-stalled alert waits two)',
        registers,
      }),
    };
    collectState = () => {
      const s = source.status();
      for (const g of Object.values(virtualGauges)) g.reset();
      let maxInterval = 0;
      for (const v of s.virtuals) {
        const vl = { virtual: v.id, service: v.service };
        maxInterval = Math.max(maxInterval, v.checkinterval);
        virtualGauges.up.set(vl, v.reals.filter((r) => r.up).length);
        virtualGauges.total.set(vl, v.reals.length);
        virtualGauges.fallback.set(vl, v.fallbackActive ? 1 : 0);
      }
      daemon.outOfSync.set(s.pending.reals + (s.pending.reconcile ? 1 : 0));
      daemon.running.set(s.checks.running);
      daemon.queued.set(s.checks.queued);
      daemon.limit.set(s.checks.concurrency);
      daemon.jobs.set(s.checks.jobs);
      daemon.interval.set(maxInterval);
    };

    this.#duration = new Histogram({
      name: 'ldirectord_check_duration_seconds',
      help: 'How long checks took, per virtual service',
      labelNames: ['virtual', 'service'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers,
    });
    this.#lastCheck = new Gauge({
      name: 'ldirectord_last_check_timestamp_seconds',
      help: 'When the last check completed (Unix time); stalls when the checker is wedged',
      registers,
    });

    // ---- daemon
    this.#reloads = new Counter({
      name: 'ldirectord_config_reloads_total',
      help: 'Configuration reloads attempted (signal, reload, autoreload)',
      registers,
    });
    this.#reloadFailures = new Counter({
      name: 'ldirectord_config_reload_failures_total',
      help: 'Configuration reloads refused (the daemon kept the configuration it had)',
      registers,
    });
    this.#lastReloadOk = new Gauge({
      name: 'ldirectord_config_last_reload_successful',
      help: 'Whether the last configuration load succeeded',
      registers,
    });
    this.#lastReloadTime = new Gauge({
      name: 'ldirectord_config_last_reload_success_timestamp_seconds',
      help: 'When the configuration in use was loaded (Unix time)',
      registers,
    });
    this.#configInfo = new Gauge({
      name: 'ldirectord_config_info',
      help: 'The configuration in use (value 1): its file and the SHA-256 of its text',
      labelNames: ['file', 'sha256'],
      registers,
    });
    this.#ipvsadmRuns = new Counter({
      name: 'ldirectord_ipvsadm_runs_total',
      help: 'ipvsadm processes run to change the IPVS table',
      registers,
    });
    this.#ipvsApplies = new Counter({
      name: 'ldirectord_ipvs_applies_total',
      help: 'Plans applied to the IPVS table (one ipvsadm -R batch each, with retries)',
      registers,
    });
    this.#ipvsFailures = new Counter({
      name: 'ldirectord_ipvsadm_failures_total',
      help: 'Applies in which ipvsadm failed: a command did not take effect or the apply failed whole',
      registers,
    });
    this.#commands = new Counter({
      name: 'ldirectord_ipvs_commands_total',
      help: 'IPVS commands sent, by result (applied, failed)',
      labelNames: ['result'],
      registers,
    });
    this.#lastFailed = new Gauge({
      name: 'ldirectord_ipvs_last_apply_failed_commands',
      help: 'Commands of the last apply that the table read back shows did not take effect',
      registers,
    });
    this.#commands.inc({ result: 'applied' }, 0);
    this.#commands.inc({ result: 'failed' }, 0);
    this.#lastFailed.set(0);
    this.configLoaded(config);
  }

  /** The configuration now in use (start, or a reload that succeeded). */
  configLoaded(config: Config): void {
    this.#byId = new Map(config.virtuals.map((v) => [virtualLabel(v), v]));
    this.#lastReloadOk.set(1);
    this.#lastReloadTime.set(Date.now() / 1000);
    this.#configInfo.reset();
    this.#configInfo.set({ file: config.file, sha256: fileHash(config.file) }, 1);
    // Series of reals that left the config end with them.
    const keep = new Set<string>();
    for (const v of config.virtuals)
      for (const r of v.reals) keep.add(pairKey(virtualLabel(v), realLabel(r)));
    this.#reals.retain(keep);
  }

  reloadAttempted(ok: boolean): void {
    this.#reloads.inc();
    if (ok) return;
    this.#reloadFailures.inc();
    this.#lastReloadOk.set(0);
  }

  onEvent(event: MonitorEvent): void {
    if (event.type === 'check') {
      const virtual = virtualLabel(event.virtual);
      const service = event.virtual.service;
      this.#reals.checked(
        virtual,
        realLabel(event.real),
        service,
        checkResultOf(event),
        event.durationMs,
        event.transition !== undefined,
      );
      this.#duration.observe({ virtual, service }, event.durationMs / 1000);
      this.#lastCheck.set(Date.now() / 1000);
    } else if (event.type === 'ipvs-apply') {
      this.#ipvsApplies.inc();
      this.#ipvsadmRuns.inc(event.processes);
      const failed = event.error === undefined ? event.failed.length : event.commands;
      this.#commands.inc({ result: 'failed' }, failed);
      this.#commands.inc({ result: 'applied' }, event.commands - failed);
      this.#lastFailed.set(failed);
      if (failed > 0 || event.error !== undefined) this.#ipvsFailures.inc();
    }
  }

  async text(): Promise<string> {
    const common = await this.registry.metrics();
    const reals = this.#reals.text(
      this.#source.status(),
      (id) => this.#byId.get(id)?.quiescent ?? false,
    );
    return common + reals;
  }

  get contentType(): string {
    return this.registry.contentType;
  }
}

/** SHA-256 of the config file's text; '' when it cannot be read (it was read moments ago). */
function fileHash(file: string): string {
  try {
    return createHash('sha256').update(readFileSync(file)).digest('hex');
  } catch {
    return '';
  }
}
