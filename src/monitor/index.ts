// The check engine's public entry points, for the daemon.
export { type Clock, systemClock, type TimerHandle } from './clock.ts';
export { fallbackCommandArgs, splitCommand } from './fallback-command.ts';
export {
  createMaintenanceLookup,
  type MaintenanceLookup,
  maintenanceFileNames,
} from './maintenance.ts';
export { Monitor } from './monitor.ts';
export { createFileAppender, type FileAppender, monitorLine } from './monitorfile.ts';
export { describeOverride, type OverrideRecord } from './overrides.ts';
export type {
  CheckerSet,
  CheckRecord,
  CommandRunner,
  ControlAnswer,
  MonitorEvent,
  MonitorOptions,
  MonitorPhase,
  MonitorStatus,
  Planner,
  RealStatus,
  RealView,
  VirtualStatus,
} from './types.ts';
