// ftp (the original's check_ftp, Net::FTP) on basic-ftp, a maintained client whose close()
// ends the control and data connections at once, so the AbortSignal is honoured at any step.
// Log in (the config layer supplies login, anonymous by default), binary mode, and, when a
// request is given (or a receive to match), retrieve it over a passive data connection and
// match receive against its start. Unlike the original, which ignored every FTP error, used
// active mode and applied Perl's "last successful pattern" to an empty receive, every
// protocol error is down and an empty receive matches anything.
import { Writable } from 'node:stream';
import { Client, FTPError } from 'basic-ftp';
import { CheckFailure, failureOf, oneLine, verdict } from './support/dialogue.ts';
import type { Checker, CheckTarget } from './types.ts';

/** Bytes of the retrieved file kept for matching receive; the rest is read and dropped. */
const KEEP_BYTES = 1024 * 1024;

class Head extends Writable {
  readonly chunks: Buffer[] = [];
  #kept = 0;
  override _write(chunk: Buffer, _encoding: string, done: () => void): void {
    if (this.#kept < KEEP_BYTES) {
      const part = chunk.subarray(0, KEEP_BYTES - this.#kept);
      this.chunks.push(part);
      this.#kept += part.length;
    }
    done();
  }
  text(): string {
    return Buffer.concat(this.chunks).toString('utf8');
  }
}

function receivePattern(receive: string): RegExp {
  try {
    return new RegExp(receive);
  } catch {
    throw new CheckFailure(`invalid receive pattern: ${oneLine(receive)}`);
  }
}

/** basic-ftp's errors in a check's words: the server's reply, or the socket's error. */
function failureFrom(error: unknown): Error {
  if (error instanceof FTPError) return new CheckFailure(oneLine(error.message));
  if (error instanceof CheckFailure) return error;
  const errno = error as NodeJS.ErrnoException;
  if (typeof errno?.errno === 'number') return failureOf(errno);
  return new CheckFailure(oneLine(errno?.message ?? String(error)));
}

async function checkFtp(target: CheckTarget, signal: AbortSignal): Promise<string> {
  const client = new Client(target.timeoutMs);
  const onAbort = (): void => client.close();
  signal.addEventListener('abort', onAbort, { once: true });
  try {
    const greeting = await client.connect(target.host, target.port);
    await client.login(target.login === '' ? 'anonymous' : target.login, target.passwd);
    await client.send('TYPE I');
    if (target.request !== '/' || target.receive !== '') {
      const pattern = receivePattern(target.receive);
      const head = new Head();
      await client.downloadTo(head, target.request);
      if (!pattern.test(head.text())) throw new CheckFailure(oneLine(head.text()) || 'No match');
    }
    await client.send('QUIT').catch(() => undefined);
    return oneLine(greeting.message);
  } catch (error) {
    throw failureFrom(error);
  } finally {
    signal.removeEventListener('abort', onAbort);
    client.close();
  }
}

export const ftp: Checker = (target, signal) => verdict(signal, () => checkFtp(target, signal));
