// The line dialogue under the text protocols (smtp, pop, imap, nntp, sip over TCP): connect,
// optionally in TLS, read a line or a multi-line reply, send a command, upgrade to TLS in
// place (STARTTLS). Every wait ends on the first of: data, the peer closing, an error, or the
// check's AbortSignal, which destroys the socket at once. At most maxBytes are buffered.
import { type Socket, connect as tcpConnect } from 'node:net';
import { type ConnectionOptions, connect as tlsConnect } from 'node:tls';
import { getSystemErrorMessage } from 'node:util';
import type { CheckResult } from '../types.ts';

/** A check that cannot go on; its message is the check's reason. */
export class CheckFailure extends Error {}

export interface DialogueOptions {
  host: string;
  port: number;
  signal: AbortSignal;
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
  readonly #onAbort = (): void => {
    this.#end(new CheckFailure('timeout'));
    this.#socket.destroy();
  };

  private constructor(socket: Socket, signal: AbortSignal, maxBytes: number) {
    this.#socket = socket;
    this.#signal = signal;
    this.#maxBytes = maxBytes;
    signal.addEventListener('abort', this.#onAbort, { once: true });
    this.#attach(socket);
  }

  /** Connects (and completes the TLS handshake for implicit TLS); throws CheckFailure. */
  static async open(options: DialogueOptions): Promise<Dialogue> {
    const { host, port, signal } = options;
    if (signal.aborted) throw new CheckFailure('timeout');
    const socket = options.tls
      ? tlsConnect({ ...options.tls, host, port })
      : tcpConnect({ host, port });
    await settleConnect(socket, options.tls ? 'secureConnect' : 'connect', signal);
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

  /** Upgrades the connection to TLS in place (after a STARTTLS reply). */
  async startTls(options: ConnectionOptions, servername?: string): Promise<void> {
    const plain = this.#socket;
    plain.removeAllListeners('data');
    plain.removeAllListeners('end');
    plain.removeAllListeners('close');
    this.#buffer = Buffer.alloc(0);
    const secure = tlsConnect({ ...options, socket: plain, servername });
    this.#socket = secure;
    // Until the handshake settles, the plain socket's errors surface through the TLS socket.
    await settleConnect(secure, 'secureConnect', this.#signal);
    this.#attach(secure);
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

  /** Releases the socket and the abort listener. */
  close(): void {
    this.#end(new CheckFailure('closed'));
    this.#signal.removeEventListener('abort', this.#onAbort);
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
    socket.on('error', (error: NodeJS.ErrnoException) => this.#end(failureOf(error)));
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

/** Resolves on the connect event; rejects with a CheckFailure on error or abort. */
function settleConnect(socket: Socket, event: string, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const done = (error?: CheckFailure): void => {
      socket.off(event, onConnect);
      socket.off('error', onError);
      signal.removeEventListener('abort', onAbort);
      if (error) {
        socket.destroy();
        reject(error);
      } else resolve();
    };
    const onConnect = (): void => done();
    const onError = (error: NodeJS.ErrnoException): void => done(failureOf(error));
    const onAbort = (): void => done(new CheckFailure('timeout'));
    socket.once(event, onConnect);
    socket.once('error', onError);
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

/** A socket error in the words of strerror ('Connection refused'), or TLS's own words. */
export function failureOf(error: NodeJS.ErrnoException): CheckFailure {
  if (typeof error.errno === 'number' && error.errno < 0) {
    const text = getSystemErrorMessage(error.errno);
    return new CheckFailure(text.charAt(0).toUpperCase() + text.slice(1));
  }
  return new CheckFailure(error.message);
}

/** Server text made safe for one log line: control characters dropped, length capped. */
export function oneLine(text: string, max = 200): string {
  const clean = text.replace(/[\x00-\x1f\x7f]+/g, ' ').trim();
  return clean.length > max ? `${clean.slice(0, max)}...` : clean;
}

/**
 * Runs a check body and turns its outcome into a result, never throwing: the body returns the
 * up reason or throws the down reason, which is 'timeout' whenever the deadline cut it short.
 */
export async function verdict(
  signal: AbortSignal,
  body: () => Promise<string>,
): Promise<CheckResult> {
  try {
    return { up: true, reason: await body() };
  } catch (error) {
    if (signal.aborted) return { up: false, reason: 'timeout' };
    return { up: false, reason: error instanceof Error ? error.message : String(error) };
  }
}
