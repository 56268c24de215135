// What an operator's override (src/model/domain.ts RealOverride) does to a real's entry in the
// table: the one home of the rule, read by the planner, the monitor's fallback decisions and
// its status view.
import type { RealOverride } from '../model/domain.ts';

/** A real takes new connections: its checks say up and it is not drained. */
export function takesTraffic(up: boolean, override: RealOverride | undefined): boolean {
  return up && override?.kind !== 'drain';
}

/**
 * The weight a real that takes traffic gets: the override's, else its own (the configured
 * weight, or what its agent scaled it to).
 */
export function weightInService(weight: number, override: RealOverride | undefined): number {
  return override?.kind === 'weight' ? override.weight : weight;
}

/** A drained real stays in the table at weight 0, whatever its checks and `quiescent` say. */
export function isDrained(override: RealOverride | undefined): boolean {
  return override?.kind === 'drain';
}
