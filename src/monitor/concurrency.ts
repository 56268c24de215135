// A counting semaphore with a FIFO queue: the one thing a check may wait for.

export class Semaphore {
  readonly limit: number;
  #active = 0;
  /** FIFO without Array.shift (which is O(n) on a queue of thousands). */
  #waiting: Array<() => void> = [];
  #head = 0;

  constructor(limit: number) {
    if (!Number.isInteger(limit) || limit < 1) throw new RangeError(`bad concurrency ${limit}`);
    this.limit = limit;
  }

  get active(): number {
    return this.#active;
  }

  get queued(): number {
    return this.#waiting.length - this.#head;
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
    if (this.#head < this.#waiting.length) {
      const next = this.#waiting[this.#head++]!;
      if (this.#head > 1024 && this.#head * 2 > this.#waiting.length) {
        this.#waiting = this.#waiting.slice(this.#head);
        this.#head = 0;
      }
      next();
    } else this.#active--;
  }

  /** Forget every waiter (stop). */
  clear(): void {
    this.#waiting = [];
    this.#head = 0;
  }
}
