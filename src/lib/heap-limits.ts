// V8's garbage-collector sizing for a long-running checker. Its defaults suit a short burst of
// work: the young generation grows to 64 MiB semi-spaces, and the old generation may grow to
// about four times what survived the last full collection before the next one. At 10,000
// reals a check starts every millisecond and many checks' objects outlive a scavenge or two,
// so the daemon held ~450 MiB of heap for ~60 MiB of live objects (BENCHMARKS.md, "Daemon at
// 10,000 reals").
//
// - The old generation: a full collection once it has grown by half of what was live.
// - The young generation: grown by V8 as usual, but only up to ~8 MiB semi-spaces. Smaller
//   costs CPU: more of each check's objects get promoted, then marked and swept (measured:
//   1 MiB semi-spaces took ~80 % more CPU per check than V8's default, 8 MiB ~30 %).
//
// V8 reads these flags each time it resizes a space, so setting them at run time works; the
// flag that would cap the young generation (--max-semi-space-size) is read only at start-up,
// which a daemon started by systemd, heartbeat or Pacemaker cannot be given. So growth is
// switched off (--semi-space-growth-factor=1) once the young generation has reached its size,
// and on again below it (V8 shrinks it when the daemon is idle). test/unit/heap-limits.test.ts
// checks that V8 still honours this.
import { getHeapSpaceStatistics, setFlagsFromString } from 'node:v8';

/** The young generation's size (both semi-spaces) at which it stops growing. */
export const YOUNG_BYTES = 16 * 2 ** 20;
const OLD = '--heap-growing-percent=50';
/** How often the young generation's size is looked at: it doubles at most once in between. */
const YOUNG_CHECK_MS = 100;

/** Which limits to apply: none that the operator set (node flags or NODE_OPTIONS) already. */
export function heapLimits(given: string): { young: boolean; old: boolean } {
  return { young: !/semi[-_]space/.test(given), old: !/heap[-_]growing/.test(given) };
}

export function applyHeapLimits(): void {
  const limits = heapLimits(`${process.execArgv.join(' ')} ${process.env.NODE_OPTIONS ?? ''}`);
  if (limits.old) setFlagsFromString(OLD);
  if (limits.young) {
    // Not growing to begin with: loading a large config and the first pass of checks run
    // without a turn of the event loop, and would grow it to the full 64 MiB unseen.
    let growing = false;
    setFlagsFromString('--semi-space-growth-factor=1');
    const steer = (): void => {
      const young = getHeapSpaceStatistics().find((s) => s.space_name === 'new_space');
      const grow = (young?.space_size ?? 0) < YOUNG_BYTES;
      if (grow === growing) return;
      growing = grow;
      setFlagsFromString(`--semi-space-growth-factor=${grow ? 2 : 1}`);
    };
    setInterval(steer, YOUNG_CHECK_MS).unref();
  }
}
