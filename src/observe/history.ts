// A small history of each real's recent checks, and when its state last changed, for the
// status page (`/checks`). Fed by the monitor's `check` events; a fixed ring per real, so
// 10,000 reals cost a few MB whatever the uptime. Kept across reloads for the reals that stay.
import type { Config } from '../config/model.ts';
import { pairKey, realLabel, virtualLabel } from './keys.ts';

/** Checks kept per real. */
export const HISTORY_LENGTH = 12;

interface Ring {
  /** Epoch ms of each check. */
  at: Float64Array;
  durationMs: Float32Array;
  /** 1 up, 0 down, 2 timed out (down). */
  result: Uint8Array;
  next: number;
  size: number;
  /** Epoch ms of the last state change seen (undefined: none since the daemon started). */
  changedAt: number | undefined;
}

/** `[epoch ms, result, duration ms]`, result 1 up, 0 down, 2 timed out: small at 10,000 reals. */
export type CheckEntry = [at: number, result: 0 | 1 | 2, durationMs: number];

export interface RealHistory {
  changedAt?: number;
  checks: CheckEntry[];
}

export class CheckHistory {
  #rings = new Map<string, Ring>();
  #now: () => number;

  constructor(now: () => number = Date.now) {
    this.#now = now;
  }

  record(
    virtual: Parameters<typeof virtualLabel>[0],
    real: Parameters<typeof realLabel>[0],
    check: { up: boolean; timedOut: boolean; durationMs: number; transition?: string },
  ): void {
    const key = pairKey(virtualLabel(virtual), realLabel(real));
    let ring = this.#rings.get(key);
    if (!ring) {
      ring = {
        at: new Float64Array(HISTORY_LENGTH),
        durationMs: new Float32Array(HISTORY_LENGTH),
        result: new Uint8Array(HISTORY_LENGTH),
        next: 0,
        size: 0,
        changedAt: undefined,
      };
      this.#rings.set(key, ring);
    }
    const now = this.#now();
    const i = ring.next;
    ring.at[i] = now;
    ring.durationMs[i] = check.durationMs;
    ring.result[i] = check.up ? 1 : check.timedOut ? 2 : 0;
    ring.next = (i + 1) % HISTORY_LENGTH;
    ring.size = Math.min(ring.size + 1, HISTORY_LENGTH);
    if (check.transition) ring.changedAt = now;
  }

  /** Drops the reals a reload removed. */
  retain(config: Config): void {
    const keep = new Set<string>();
    for (const v of config.virtuals)
      for (const r of v.reals) keep.add(pairKey(virtualLabel(v), realLabel(r)));
    for (const key of this.#rings.keys()) if (!keep.has(key)) this.#rings.delete(key);
  }

  get(virtual: string, real: string): RealHistory | undefined {
    const ring = this.#rings.get(pairKey(virtual, real));
    if (!ring) return undefined;
    const checks: CheckEntry[] = [];
    for (let n = ring.size; n > 0; n--) {
      const i = (ring.next - n + HISTORY_LENGTH) % HISTORY_LENGTH;
      checks.push([
        ring.at[i]!,
        ring.result[i] as 0 | 1 | 2,
        Math.round(ring.durationMs[i]! * 10) / 10,
      ]);
    }
    return ring.changedAt === undefined ? { checks } : { changedAt: ring.changedAt, checks };
  }

  /** Every real's history: `{ "<virtual id>": { "<address:port>": RealHistory } }`. */
  toJSON(): Record<string, Record<string, RealHistory>> {
    const out: Record<string, Record<string, RealHistory>> = {};
    for (const key of this.#rings.keys()) {
      const space = key.lastIndexOf(' ');
      const virtual = key.slice(0, space);
      const real = key.slice(space + 1);
      (out[virtual] ??= {})[real] = this.get(virtual, real)!;
    }
    return out;
  }
}
