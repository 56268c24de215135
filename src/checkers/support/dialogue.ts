// The line dialogue under the text protocols (smtp, pop, imap, nntp, sip over TCP): connect
// (connectTcp), optionally in implicit TLS; read a line, a multi-line reply or the first
// bytes; send a command; upgrade to TLS in place (STARTTLS). At most maxBytes are buffered.
// The check's deadline is runWithin's: its release calls close(), which destroys the socket
// and fails a pending read at once.
import type { Socket } from 'node:net';
import { type ConnectionOptions, connect as tlsConnect } from 'node:tls';
import type { Service } from '../../model/domain.ts';
import type { Checker, CheckResult, NegotiateTarget } from '../types.ts';
import { runWithin } from './deadline.ts';
import { errorCode, errorText, redact, TIMEOUT_CODES } from './result.ts';
import { connectTcp } from './tcp.ts';
import { isCertificateError, verifyChainOnly } from './tls.ts';

/** A check that cannot go on; its message is the check's reason. */
export class CheckFailure extends Error {}

export interface DialogueOptions {
  host: string;
  port: number;
  signal: AbortSignal;
  /** The connect timeout (the check's deadline). */
  timeoutMs: number;
  /** Implicit TLS (pops, imaps) with these options. */
  tls?: ConnectionOptions;
  /** Longest line or reply buffered before giving up. Default 64 KiB. */
  maxBytes?: number;
}

const DEFAULT_MAX_BYTES = 64 * 1024;

export class Dialogue {
  readonly #signal: AbortSignal;
  readonly #maxBytes: number;
  #socket: Socket;
  #buffer: Buffer = Buffer.alloc(0);
  /** Set once the socket can give no more data: the reason reads fail with. */
  #ended: CheckFailure | undefined;
  #wake: (() => void) | undefined;

  private constructor(socket: Socket, signal: AbortSignal, maxBytes: number) {
    this.#socket = socket;
    this.#signal = signal;
    this.#maxBytes = maxBytes;
    this.#attach(socket);
  }

  /** Connects (and completes the TLS handshake for implicit TLS); throws CheckFailure. */
  static async open(options: DialogueOptions): Promise<Dialogue> {
    const { host, port, signal, timeoutMs } = options;
    let socket: Socket;
    try {
      socket = await connectTcp(host, port, { signal, timeoutMs });
    } catch (error) {
      throw failureOf(error);
    }
    if (options.tls) socket = await handshake(socket, options.tls, signal);
    return new Dialogue(socket, signal, options.maxBytes ?? DEFAULT_MAX_BYTES);
  }

  /** One line without its line end. */
  async readLine(): Promise<string> {
    for (;;) {
      const newline = this.#buffer.indexOf(0x0a);
      if (newline >= 0) {
        const line = this.#buffer.subarray(0, newline).toString('utf8').replace(/\r$/, '');
        this.#buffer = this.#buffer.subarray(newline + 1);
        return line;
      }
      await this.#more();
    }
  }

  /** Lines up to and including the one for which isLast holds; bounded by maxBytes in all. */
  async readReply(isLast: (line: string) => boolean): Promise<string[]> {
    const lines: string[] = [];
    let bytes = 0;
    for (;;) {
      const line = await this.readLine();
      lines.push(line);
      bytes += line.length + 2;
      if (isLast(line)) return lines;
      if (bytes > this.#maxBytes) throw new CheckFailure('reply too long');
    }
  }

  /** The first data the server sends, at most maxBytes of it (nntp reads a greeting so). */
  async readSome(maxBytes: number): Promise<Buffer> {
    while (this.#buffer.length === 0) await this.#more();
    const chunk = this.#buffer.subarray(0, maxBytes);
    this.#buffer = this.#buffer.subarray(chunk.length);
    return chunk;
  }

  /** The local end of the connection (sip puts it in its Via header). */
  localAddress(): { address: string; port: number } {
    return { address: this.#socket.localAddress ?? '', port: this.#socket.localPort ?? 0 };
  }

  /** Sends text as is (the caller adds CRLF). */
  send(text: string): void {
    if (this.#ended) throw this.#ended;
    this.#socket.write(text);
  }

  /**
   * Upgrades the connection to TLS in place (after a STARTTLS reply). Whatever the server
   * sent before the handshake is dropped, so it cannot pose as a reply over TLS.
   */
  async startTls(options: ConnectionOptions): Promise<void> {
    const plain = this.#socket;
    for (const event of ['data', 'end', 'close', 'error']) plain.removeAllListeners(event);
    plain.on('error', () => {});
    this.#buffer = Buffer.alloc(0);
    this.#socket = await handshake(plain, options, this.#signal);
    this.#attach(this.#socket);
  }

  /**
   * Says goodbye (QUIT, LOGOUT) and waits briefly for the answer, then closes. Never throws:
   * the verdict is already made, this is only politeness to the server.
   */
  async quit(command: string, graceMs = 1000): Promise<void> {
    if (!this.#ended) {
      this.#socket.write(command);
      const grace = setTimeout(() => this.#end(new CheckFailure('closed')), graceMs);
      try {
        await this.readLine();
      } catch {
        // no answer: close anyway
      } finally {
        clearTimeout(grace);
      }
    }
    this.close();
  }

  /** Releases the socket at once; a pending read fails. */
  close(): void {
    this.#end(new CheckFailure('closed'));
    this.#socket.destroy();
  }

  #attach(socket: Socket): void {
    socket.on('data', (chunk: Buffer) => {
      this.#buffer = Buffer.concat([this.#buffer, chunk]);
      if (this.#buffer.length > this.#maxBytes) {
        this.#end(new CheckFailure('reply too long'));
        socket.destroy();
      }
      this.#notify();
    });
    socket.on('end', () => this.#end(new CheckFailure('Connection closed by peer')));
    socket.on('error', (error: Error) => this.#end(failureOf(error)));
    socket.on('close', () => this.#end(new CheckFailure('Connection closed by peer')));
  }

  #end(failure: CheckFailure): void {
    this.#ended ??= failure;
    this.#notify();
  }

  #notify(): void {
    const wake = this.#wake;
    this.#wake = undefined;
    wake?.();
  }

  /** Waits for more data; throws once no more can come and nothing complete is buffered. */
  async #more(): Promise<void> {
    if (this.#ended) throw this.#ended;
    await new Promise<void>((resolve) => {
      this.#wake = resolve;
    });
  }
}

/** The TLS handshake over a connected socket; on failure or abort both are destroyed. */
function handshake(
  socket: Socket,
  options: ConnectionOptions,
  signal: AbortSignal,
): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const secure = tlsConnect({ ...options, socket });
    const done = (error?: CheckFailure): void => {
      secure.off('secureConnect', onConnect);
      secure.off('error', onError);
      signal.removeEventListener('abort', onAbort);
      if (error) {
        secure.on('error', () => {});
        secure.destroy();
        socket.destroy();
        reject(error);
      } else resolve(secure);
    };
    const onConnect = (): void => done();
    const onError = (error: Error): void => done(failureOf(error));
    const onAbort = (): void => done(new CheckFailure('timeout'));
    secure.once('secureConnect', onConnect);
    secure.once('error', onError);
    if (signal.aborted) onAbort();
    else signal.addEventListener('abort', onAbort, { once: true });
  });
}

/** A socket or TLS error as a reason: strerror words, the original's TLS words, 'timeout'. */
export function failureOf(error: unknown): CheckFailure {
  if (error instanceof CheckFailure) return error;
  if (TIMEOUT_CODES.has(errorCode(error) ?? '')) return new CheckFailure('timeout');
  if (isCertificateError(error)) {
    return new CheckFailure(`certificate verify failed (${errorText(error)})`);
  }
  return new CheckFailure(errorText(error));
}

/** Where a check dials: the real's address, the check port, the deadline. */
export function endpoint(target: NegotiateTarget): {
  host: string;
  port: number;
  timeoutMs: number;
} {
  return { host: target.host, port: target.port, timeoutMs: target.timeoutMs };
}

/** Server text made safe for one log line: control characters dropped, length capped. */
export function oneLine(text: string, max = 200): string {
  const clean = text.replace(/[\x00-\x1f\x7f]+/g, ' ').trim();
  return clean.length > max ? `${clean.slice(0, max)}...` : clean;
}

/** Options of the checkers that speak TLS (pops, imaps, submission), as the https checker's. */
export interface TlsCheckOptions {
  /** A PEM file of CA certificates trusted in addition to the system store. */
  caFile?: string;
}

/**
 * A checker that opens a dialogue with the real server (in implicit TLS when the target's
 * service is `implicitTls`), runs `negotiate` on it and closes it, under the check's deadline;
 * the reason never carries the password.
 */
export function dialogueChecker(
  negotiate: (dialogue: Dialogue, target: NegotiateTarget) => Promise<CheckResult>,
  options: TlsCheckOptions & { implicitTls?: Service } = {},
): Checker<NegotiateTarget> {
  return async (target, signal) => {
    let dialogue: Dialogue | undefined;
    const result = await runWithin(
      signal,
      async () => {
        dialogue = await Dialogue.open({
          ...endpoint(target),
          signal,
          tls: target.service === options.implicitTls ? verifyChainOnly(options.caFile) : undefined,
        });
        return negotiate(dialogue, target);
      },
      () => dialogue?.close(),
    );
    return redact(result, target);
  };
}
