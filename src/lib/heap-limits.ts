// V8's garbage-collector sizing for a long-running checker. Its defaults suit a short burst of
// work: the young generation grows to 64 MiB per semi-space, and the old generation may grow
// to about four times what survived the last full collection before the next one. At 10,000
// reals a check starts every millisecond and every check's objects outlive a scavenge or two,
// so the daemon held ~450 MiB of heap for ~60 MiB of live objects (BENCHMARKS.md, "Daemon at
// 10,000 reals").
//
// Both flags change only when V8 collects, not what: V8 reads them each time it resizes a
// space, so setting them first thing at run time works (flags that size the heap at start-up,
// such as --max-semi-space-size, would not; test/unit/heap-limits.test.ts checks the effect).
import { setFlagsFromString } from 'node:v8';

/** The young generation stays at its initial size (1 MiB semi-spaces) instead of doubling. */
const YOUNG = '--semi-space-growth-factor=1';
/** A full collection once the old generation has grown by half of what was live. */
const OLD = '--heap-growing-percent=50';

/** The flags to set: none that the operator set (node flags or NODE_OPTIONS) already. */
export function heapFlags(given: string): string[] {
  const flags: string[] = [];
  if (!/semi[-_]space/.test(given)) flags.push(YOUNG);
  if (!/heap[-_]growing/.test(given)) flags.push(OLD);
  return flags;
}

export function applyHeapLimits(): void {
  const given = `${process.execArgv.join(' ')} ${process.env.NODE_OPTIONS ?? ''}`;
  for (const flag of heapFlags(given)) setFlagsFromString(flag);
}
