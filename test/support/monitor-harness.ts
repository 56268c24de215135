// A Monitor wired to fakes: fake clock, scripted checkers, recording planner, in-memory IPVS,
// recorded monitorfile lines, fallbackcommand runs and maintenance files.
import type { Config } from '../../src/config/model.ts';
import type { IpvsTable } from '../../src/ipvs/model.ts';
import type { RunResult } from '../../src/lib/run-command.ts';
import { createMaintenanceLookup } from '../../src/monitor/maintenance.ts';
import { Monitor } from '../../src/monitor/monitor.ts';
import type { MonitorEvent, MonitorOptions } from '../../src/monitor/types.ts';
import { FakeClock } from './fake-clock.ts';
import {
  MemoryBackend,
  RecordingLogger,
  recordingPlanner,
  ScriptedCheckers,
} from './monitor-fixtures.ts';

export function harness(
  config: Config,
  options: { table?: IpvsTable; monitor?: Partial<MonitorOptions> } = {},
) {
  const clock = new FakeClock();
  const checkers = new ScriptedCheckers(() => clock.now());
  const backend = new MemoryBackend(options.table);
  const planner = recordingPlanner();
  const logger = new RecordingLogger();
  const events: MonitorEvent[] = [];
  const monitorLines: Array<{ file: string; line: string }> = [];
  const commands: string[][] = [];
  const maintenanceFiles = new Set<string>();
  const names = new Map<string, string>();
  const reverseLookups: string[] = [];
  let appendFails = false;
  let resolveDelayMs: number | 'never' = 0;
  const monitor = new Monitor({
    config,
    backend,
    planner: planner.plan,
    checkers,
    clock,
    logger,
    onEvent: (e) => events.push(e),
    pid: 4242,
    appendFile: async (file, line) => {
      if (appendFails) throw new Error(`EACCES: permission denied, open '${file}'`);
      monitorLines.push({ file, line });
    },
    runCommand: async (file, args): Promise<RunResult> => {
      commands.push([file, ...args]);
      return {
        code: 0,
        signal: null,
        stdout: '',
        stderr: '',
        timedOut: false,
        aborted: false,
        durationMs: 1,
      };
    },
    maintenance: createMaintenanceLookup({
      clock,
      resolveName: (address) => {
        reverseLookups.push(address);
        if (resolveDelayMs === 'never') return new Promise<undefined>(() => {});
        if (resolveDelayMs === 0) return Promise.resolve(names.get(address));
        return new Promise((resolve) =>
          clock.setTimeout(() => resolve(names.get(address)), resolveDelayMs as number),
        );
      },
      listDirectory: async () => [...maintenanceFiles],
      listingTtlMs: 0,
    }),
    ...options.monitor,
  });
  return {
    clock,
    checkers,
    backend,
    planner,
    logger,
    events,
    monitorLines,
    commands,
    maintenanceFiles,
    names,
    reverseLookups,
    monitor,
    /** Reverse lookups answer after this much fake time, or never. */
    delayReverseLookups(delay: number | 'never') {
      resolveDelayMs = delay;
    },
    failAppends(fail: boolean) {
      appendFails = fail;
    },
    /** Start, moving fake time on so hung checks reach their deadline. */
    async start(advanceMs = 0): Promise<void> {
      const started = monitor.start();
      await clock.advance(advanceMs);
      await started;
    },
    /** Advance fake time in steps until the condition holds (bounded). */
    async until(condition: () => boolean, limitMs = 120_000, stepMs = 500): Promise<void> {
      for (let waited = 0; !condition(); waited += stepMs) {
        if (waited >= limitMs)
          throw new Error(`condition not met within ${limitMs} ms of fake time`);
        await clock.advance(stepMs);
      }
    },
    real(vid: string, address: string) {
      const v = monitor.status().virtuals.find((x) => x.id === vid);
      const r = v?.reals.find((x) => x.address === address);
      if (!r) throw new Error(`no real ${address} in ${vid}`);
      return r;
    },
    destinations(): string[] {
      return backend.table.services.flatMap((s) =>
        s.destinations.map(
          (d) => `${s.protocol}:${s.address}:${s.port} ${d.address}:${d.port} w${d.weight}`,
        ),
      );
    },
  };
}
