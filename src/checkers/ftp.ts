// ftp (the original's check_ftp, Net::FTP) on basic-ftp, a maintained client whose close()
// ends the control and data connections at once: runWithin's release. Log in (the config
// layer supplies login, anonymous by default), binary mode, and, when a request is given (or
// a receive to match), retrieve it over a passive data connection and match the receive Perl
// regex against its first MiB. Unlike the original, which ignored every FTP error, used active
// mode and applied Perl's "last successful pattern" to an empty receive, every protocol error
// is down and an empty receive matches anything.
import { Writable } from 'node:stream';
import { Client, FTPError } from 'basic-ftp';
import { perlSubject } from '../lib/perl-regex.ts';
import { runWithin } from './support/deadline.ts';
import { CheckFailure, failureOf, oneLine } from './support/dialogue.ts';
import { hasReceive, receivePattern } from './support/receive.ts';
import { down, redact, up } from './support/result.ts';
import type { Checker, CheckResult, NegotiateTarget, ServiceDescriptors } from './types.ts';

/** Bytes of the retrieved file kept for matching receive; the rest is read and dropped. */
const KEEP_BYTES = 1024 * 1024;

class Head extends Writable {
  readonly #chunks: Buffer[] = [];
  #kept = 0;
  override _write(chunk: Buffer, _encoding: string, done: () => void): void {
    if (this.#kept < KEEP_BYTES) {
      const part = chunk.subarray(0, KEEP_BYTES - this.#kept);
      this.#chunks.push(part);
      this.#kept += part.length;
    }
    done();
  }
  bytes(): Buffer {
    return Buffer.concat(this.#chunks);
  }
}

async function negotiate(
  client: Client,
  target: NegotiateTarget,
  pattern: RegExp | undefined,
): Promise<CheckResult> {
  try {
    const greeting = await client.connect(target.host, target.port);
    await client.login(target.login === '' ? 'anonymous' : target.login, target.passwd);
    await client.send('TYPE I');
    if (target.request !== '/' || pattern) {
      const head = new Head();
      await client.downloadTo(head, target.request);
      const bytes = head.bytes();
      if (pattern && !pattern.test(perlSubject(bytes))) {
        throw new CheckFailure(oneLine(bytes.toString('utf8')) || 'No match');
      }
    }
    await client.send('QUIT').catch(() => undefined);
    return up(oneLine(greeting.message));
  } catch (error) {
    // FTPError carries the server's reply; basic-ftp's own timeout (set to the deadline) is
    // the deadline; socket errors read as strerror words.
    if (error instanceof FTPError) throw new CheckFailure(oneLine(error.message));
    if (error instanceof Error && /\bTimeout \((control|data) socket\)/.test(error.message)) {
      throw new CheckFailure('timeout');
    }
    throw failureOf(error);
  }
}

export const checkFtp: Checker<NegotiateTarget> = async (target, signal) => {
  const pattern = hasReceive(target.receive) ? receivePattern(target.receive) : undefined;
  if (typeof pattern === 'string') return down(pattern);
  const client = new Client(target.timeoutMs);
  const result = await runWithin(
    signal,
    () => negotiate(client, target, pattern),
    () => client.close(),
  );
  return redact(result, target);
};

/**
 * service=ftp: receive matches the file retrieved. service= sets the original's anonymous
 * login when none was given before it.
 */
export const ftpServices = {
  ftp: {
    check: checkFtp,
    port: 21,
    receive: 'regex',
    defaults: (hostname) => ({ login: 'anonymous', passwd: `ldirectord@${hostname}` }),
  },
} satisfies ServiceDescriptors;
