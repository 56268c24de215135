// service=http, https and http_proxy (the original's check_http, LWP::UserAgent).
// Up when the final response is 2xx and, if receive is set, the receive Perl regex matches the
// body (bytes, not headers). A fresh connection per request, as LWP; up to 7 redirects
// followed (GET and HEAD), the redirected request carrying the new URL's host as Host.
// HEAD has no body, so HEAD with a receive string is always down, as in the original.
import { STATUS_CODES } from 'node:http';
import { buildConnector, Client, type Dispatcher } from 'undici';
import { bracket, hostPort } from '../lib/inet.ts';
import { perlSubject } from '../lib/perl-regex.ts';
import { VERSION } from '../version.ts';
import { runWithin } from './support/deadline.ts';
import { hasReceive, receivePattern } from './support/receive.ts';
import {
  CONNECT_FAILURES,
  down,
  errorCode,
  errorText,
  TIMEOUT,
  TIMEOUT_CODES,
  up,
} from './support/result.ts';
import { isCertificateError, verifyChainOnly } from './support/tls.ts';
import type { Checker, CheckResult, NegotiateTarget, ServiceDescriptors } from './types.ts';

export interface HttpCheckOptions {
  /** A PEM file of CA certificates trusted in addition to the system store. */
  caFile?: string;
  /** Read at most this much of a body (default 1 MiB); receive is matched against it. */
  maxBodyBytes?: number;
  /** Send every request through this dispatcher instead of a fresh Client (request-shape tests). */
  dispatcher?: Dispatcher;
}

const MAX_REDIRECTS = 7;
const REDIRECTS = new Set([301, 302, 303, 307, 308]);
const MAX_REASON = 2048;
/** Contains "libwww-perl" so that log filters written for the original keep working. */
export const USER_AGENT = `ldirectord-ts/${VERSION} (libwww-perl compatible)`;

/** The URL to check and whether it goes through the real as a proxy (ld_setup's rules). */
export function checkUrl(target: NegotiateTarget): { url: string; proxy?: string } {
  const scheme = target.service === 'https' ? 'https' : 'http';
  const uri = target.request.replace(/^\//, '');
  const realOrigin = `${scheme}://${hostPort(target.host, target.port)}`;
  // An absolute URL of the service's scheme overrides the real's address and port.
  const url = uri.startsWith(`${scheme}://`) ? uri : `${realOrigin}/${uri}`;
  if (target.service !== 'http_proxy') return { url };
  return { url, proxy: realOrigin };
}

export function createHttpChecker(options: HttpCheckOptions = {}): Checker<NegotiateTarget> {
  const maxBody = options.maxBodyBytes ?? 1024 * 1024;
  return (target, signal) => {
    const clients: Client[] = [];
    const release = (): void => {
      for (const c of clients) c.destroy().catch(() => {});
    };
    const dispatcherFor = (origin: string): Dispatcher => {
      if (options.dispatcher) return options.dispatcher;
      const client = new Client(origin, {
        connect: connectorFor(origin.startsWith('https:'), target.timeoutMs, options.caFile),
        headersTimeout: target.timeoutMs,
        bodyTimeout: target.timeoutMs,
        pipelining: 1,
      });
      clients.push(client);
      return client;
    };
    return runWithin(signal, () => check(target, signal, dispatcherFor, maxBody), release);
  };
}

async function check(
  target: NegotiateTarget,
  signal: AbortSignal,
  dispatcherFor: (origin: string) => Dispatcher,
  maxBody: number,
): Promise<CheckResult> {
  const pattern = hasReceive(target.receive) ? receivePattern(target.receive) : undefined;
  if (typeof pattern === 'string') return down(pattern);
  const first = checkUrl(target);
  let url: URL;
  try {
    url = new URL(first.url);
  } catch {
    return down('400 URL must be absolute');
  }
  // The original sets Host to virtualhost, else the bare real address, even for an absolute URL;
  // through a proxy the Host comes from the URL.
  let host = first.proxy ? url.host : (target.virtualhost ?? bracket(target.host));
  for (let redirects = 0; ; redirects++) {
    const proxied = first.proxy !== undefined && url.protocol === 'http:';
    const origin = proxied ? first.proxy! : url.origin;
    let response: Dispatcher.ResponseData;
    try {
      response = await dispatcherFor(origin).request({
        origin,
        path: proxied ? url.href : url.pathname + url.search,
        method: target.httpmethod,
        headers: { host, 'user-agent': USER_AGENT },
        reset: true,
        signal,
      });
    } catch (err) {
      return failure(err, url.host, false);
    }
    const statusLine = `${response.statusCode} ${response.statusText || STATUS_CODES[response.statusCode] || 'Unknown code'}`;
    const location = response.headers.location;
    if (
      REDIRECTS.has(response.statusCode) &&
      typeof location === 'string' &&
      redirects < MAX_REDIRECTS
    ) {
      response.body.on('error', () => {}).destroy(); // only its Location matters
      let next: URL;
      try {
        next = new URL(location, url);
      } catch {
        return down(statusLine);
      }
      if (next.protocol !== 'http:' && next.protocol !== 'https:') return down(statusLine);
      url = next;
      host = url.host;
      continue;
    }
    if (response.statusCode < 200 || response.statusCode >= 300) {
      response.body.on('error', () => {}).destroy(); // the status decides
      return down(statusLine);
    }
    // A 2xx body must arrive whole (up to the cap) within the deadline. The original matches
    // whatever part arrived before a reset or its alarm (docs/compatibility.md).
    let body: Buffer;
    try {
      body = await readCapped(response.body, maxBody);
    } catch (err) {
      return failure(err, url.host, true);
    }
    if (pattern === undefined || pattern.test(perlSubject(body))) return up(statusLine);
    // The original reports the body that did not match.
    if (body.length === 0) return down(`${statusLine}: empty body does not match receive`);
    return down(body.subarray(0, MAX_REASON).toString('utf8'));
  }
}

/** Reads the body up to `max` bytes, then stops reading (the client is destroyed afterwards). */
async function readCapped(body: AsyncIterable<Buffer>, max: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let length = 0;
  for await (const chunk of body) {
    chunks.push(chunk);
    length += chunk.length;
    if (length >= max) break;
  }
  return Buffer.concat(chunks).subarray(0, max);
}

function failure(err: unknown, hostAndPort: string, inBody: boolean): CheckResult {
  const code = errorCode(err) ?? '';
  if (TIMEOUT_CODES.has(code) || (err as Error)?.name === 'AbortError') return TIMEOUT;
  if (isCertificateError(err)) {
    return down(
      `500 Can't connect to ${hostAndPort} (certificate verify failed: ${errorText(err)})`,
    );
  }
  if (CONNECT_FAILURES.has(code))
    return down(`500 Can't connect to ${hostAndPort} (${errorText(err)})`);
  if (code === 'UND_ERR_SOCKET' && !inBody) {
    return down('500 Server closed connection without sending any data back');
  }
  if ((err as Error)?.name === 'HTTPParserError' || code.startsWith('HPE_')) {
    return down(`500 Invalid HTTP response (${errorText(err)})`);
  }
  return down(`500 ${errorText(err)}`);
}

// One connector per (scheme, timeout, CA file): building it per check would cost a TLS
// session cache each time. Sessions are not cached (maxCachedSessions 0): like the original,
// every check does a full handshake, so the certificate chain is verified every time.
const connectors = new Map<string, buildConnector.connector>();

function connectorFor(tls: boolean, timeoutMs: number, caFile?: string): buildConnector.connector {
  const key = `${tls}|${timeoutMs}|${caFile ?? ''}`;
  let connector = connectors.get(key);
  if (!connector) {
    const base = buildConnector({
      timeout: timeoutMs,
      maxCachedSessions: 0,
      ...(tls ? verifyChainOnly(caFile) : {}),
    });
    // undici would send the Host header (virtualhost) as SNI; the original sends none for an
    // IP address, so the name comes from the URL alone.
    connector = (opts, callback) => base({ ...opts, servername: undefined }, callback);
    if (connectors.size > 100) connectors.clear();
    connectors.set(key, connector);
  }
  return connector;
}

export const checkHttp: Checker<NegotiateTarget> = createHttpChecker();

const http = { check: checkHttp, receive: 'regex', virtualhost: true, httpmethod: true } as const;

/** service=http, https and http_proxy: receive matches the body of the answer. */
export const httpServices = {
  http: { ...http, port: 80 },
  https: { ...http, port: 443 },
  http_proxy: { ...http, port: 3128 },
} satisfies ServiceDescriptors;
