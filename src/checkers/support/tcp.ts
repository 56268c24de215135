// A TCP connection that honours an AbortSignal and a connect timeout: on abort or timeout the
// socket is destroyed at once (a pending connect included), so nothing lingers past the
// deadline. Shared by connect, simpletcp and the line-based negotiate checks.
import { connect, type Socket } from 'node:net';
import { timeoutError } from './deadline.ts';

export interface ConnectOptions {
  signal: AbortSignal;
  /** Give up connecting after this long (the check's deadline). */
  timeoutMs: number;
}

/** Resolves with the connected socket; rejects (and destroys it) on error, timeout or abort. */
export function connectTcp(host: string, port: number, options: ConnectOptions): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host, port, noDelay: true });
    const finish = (err?: Error): void => {
      clearTimeout(timer);
      options.signal.removeEventListener('abort', onAbort);
      socket.off('connect', onConnect);
      socket.off('error', finish);
      if (err) {
        socket.destroy();
        reject(err);
      } else resolve(socket);
    };
    const onConnect = (): void => finish();
    const onAbort = (): void => finish(timeoutError('connect'));
    const timer = setTimeout(() => finish(timeoutError('connect')), options.timeoutMs);
    socket.once('connect', onConnect);
    socket.once('error', finish);
    if (options.signal.aborted) onAbort();
    else options.signal.addEventListener('abort', onAbort, { once: true });
  });
}

/**
 * Splits a byte stream into lines the way Perl's `<$sock>` does: each line keeps its "\n",
 * and a last line without one is delivered at the end. Text is latin1 (one char per byte).
 * Returns `push(chunk)` and `end()`; `onLine` returning true stops further delivery.
 */
export function lineSplitter(onLine: (line: string) => boolean): {
  push(chunk: Buffer): void;
  end(): void;
} {
  let partial = '';
  let stopped = false;
  return {
    push(chunk) {
      if (stopped) return;
      const text = partial + chunk.toString('latin1');
      let start = 0;
      for (let nl = text.indexOf('\n'); nl >= 0; nl = text.indexOf('\n', start)) {
        if (onLine(text.slice(start, nl + 1))) {
          stopped = true;
          return;
        }
        start = nl + 1;
      }
      partial = text.slice(start);
    },
    end() {
      if (!stopped && partial !== '') stopped = onLine(partial);
      partial = '';
    },
  };
}
