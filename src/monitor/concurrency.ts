// A counting semaphore with a FIFO queue: the one thing a check may wait for.

export class Semaphore {
  readonly limit: number;
  #active = 0;
  #waiting: Array<() => void> = [];

  constructor(limit: number) {
    if (!Number.isInteger(limit) || limit < 1) throw new RangeError(`bad concurrency ${limit}`);
    this.limit = limit;
  }

  get active(): number {
    return this.#active;
  }

  get queued(): number {
    return this.#waiting.length;
  }

  /** Calls `start` now if a slot is free, else when one frees up, in arrival order. */
  acquire(start: () => void): void {
    if (this.#active < this.limit) {
      this.#active++;
      start();
    } else {
      this.#waiting.push(start);
    }
  }

  release(): void {
    const next = this.#waiting.shift();
    if (next) next();
    else this.#active--;
  }

  /** Forget every waiter (stop). */
  clear(): void {
    this.#waiting = [];
  }
}
