// A client of a virtual service, run inside a guest (in the client's network namespace): starts
// an HTTP GET every interval, each on a fresh connection (as many short-lived clients make
// them), without waiting for the previous one, so a request hanging in an outage does not stop
// the clock. One line per request, appended when it ends, to a log the host reads via the share:
//
//   <epoch ms at the start> <ms taken> ok <body>      or      <epoch ms> <ms taken> fail <why>
//
//   node vip-client.ts <url> <log> [interval ms] [timeout ms]
//
// parseClientLog() and outages() read that log on the host.
import { appendFileSync } from 'node:fs';
import { request } from 'node:http';

export interface ClientRequest {
  /** The client's clock (epoch ms) when the request started. */
  at: number;
  ms: number;
  ok: boolean;
  /** The body (trimmed) when ok, the error when not. */
  detail: string;
}

/** The requests in the order they started. */
export function parseClientLog(text: string): ClientRequest[] {
  const requests: ClientRequest[] = [];
  for (const line of text.split('\n')) {
    const m = /^(\d+) (\d+) (ok|fail) ?(.*)$/.exec(line);
    if (m) requests.push({ at: Number(m[1]), ms: Number(m[2]), ok: m[3] === 'ok', detail: m[4]! });
  }
  return requests.sort((a, b) => a.at - b.at);
}

export interface Outage {
  /** When the last answer before the outage arrived (client's clock, epoch ms). */
  from: number;
  /** When the first answer after it arrived. */
  to: number;
  ms: number;
  /** Requests started in between that failed. */
  failures: number;
}

/**
 * What a user of the service sees as unavailable: each gap between two consecutive answers
 * (by arrival) in which requests started that failed. (A request that hangs past the outage
 * does not make the gaps after it outages.) A gap not yet closed by an answer is left out.
 */
export function outages(requests: readonly ClientRequest[]): Outage[] {
  const arrivals = requests
    .filter((r) => r.ok)
    .map((r) => r.at + r.ms)
    .sort((a, b) => a - b);
  const failed = requests.filter((r) => !r.ok);
  const found: Outage[] = [];
  for (let i = 1; i < arrivals.length; i++) {
    const [from, to] = [arrivals[i - 1]!, arrivals[i]!];
    const failures = failed.filter((r) => r.at >= from && r.at < to).length;
    if (failures > 0) found.push({ from, to, ms: to - from, failures });
  }
  return found;
}

function get(url: string, timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = request(url, { agent: false, timeout: timeoutMs }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () =>
        res.statusCode === 200 ? resolve(body.trim()) : reject(new Error(`HTTP ${res.statusCode}`)),
      );
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
    req.end();
  });
}

/** Requests in flight at most; beyond that a tick is skipped (and nothing logged for it). */
const MAX_IN_FLIGHT = 64;

async function main(argv: string[]): Promise<void> {
  const [url, log, interval = '100', timeout = '3000'] = argv;
  if (!url || !log) throw new Error('usage: vip-client.ts <url> <log> [interval ms] [timeout ms]');
  const timeoutMs = Number(timeout);
  let inFlight = 0;
  const once = async (): Promise<void> => {
    const at = Date.now();
    let line: string;
    try {
      line = `ok ${(await get(url, timeoutMs)).replaceAll('\n', ' ')}`;
    } catch (error) {
      line = `fail ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`;
    }
    appendFileSync(log, `${at} ${Date.now() - at} ${line}\n`);
  };
  setInterval(() => {
    if (inFlight >= MAX_IN_FLIGHT) return;
    inFlight++;
    void once().finally(() => inFlight--);
  }, Number(interval));
}

if (import.meta.main) await main(process.argv.slice(2));
