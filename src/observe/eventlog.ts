// eventlog=: one JSON line per state change, appended to a file and rotated like the main
// log (src/log/sinks.ts FileSink: a moved or removed file is noticed by its inode and a new
// one started, a copytruncate'd one is appended to at its new end, SIGHUP reopens it).
// Lines: real up/down (with the check that decided it), fallback in/out, reload done or
// failed, ipvsadm failures. Every string passes the secret scrubber before it is written.
import { hostPort } from '../lib/inet.ts';
import type { MonitorEvent } from '../monitor/types.ts';
import { FileSink } from '../log/sinks.ts';
import { realLabel, virtualLabel } from './keys.ts';

export type EventRecord = { time: string; event: string } & Record<string, unknown>;

/** The HTTP status at the start of an http check's reason ('503 Service Unavailable'). */
function httpStatusOf(service: string, reason: string): number | undefined {
  if (!service.startsWith('http')) return undefined;
  const m = /^([1-5]\d\d) /.exec(reason);
  return m ? Number(m[1]) : undefined;
}

/** What an event of the monitor becomes in the event log (undefined: not a state change). */
export function eventRecord(event: MonitorEvent, now: Date): EventRecord | undefined {
  const time = now.toISOString();
  switch (event.type) {
    case 'check': {
      if (!event.transition) return undefined;
      const status = httpStatusOf(event.virtual.service, event.reason);
      return {
        time,
        event: event.transition === 'up' ? 'real-up' : 'real-down',
        virtual: virtualLabel(event.virtual),
        real: realLabel(event.real),
        service: event.virtual.service,
        check: event.kind,
        reason: event.reason,
        ...(status === undefined ? {} : { httpStatus: status }),
        durationMs: Math.round(event.durationMs * 10) / 10,
        ...(event.timedOut ? { timedOut: true } : {}),
      };
    }
    case 'ipvs': {
      const target = event.command.target;
      if (target?.kind !== 'fallback') return undefined;
      const into = event.command.event === 'added' || event.command.event === 'restored';
      const out =
        event.command.event === 'deleted' ||
        event.command.event === 'quiescent' ||
        event.command.event === 'purged';
      if (!into && !out) return undefined;
      return {
        time,
        event: into ? 'fallback-in' : 'fallback-out',
        virtual: event.command.virtualId,
        fallback: hostPort(target.address, target.port),
      };
    }
    case 'ipvs-apply':
      if (event.error === undefined && event.failed.length === 0) return undefined;
      return {
        time,
        event: 'ipvsadm-failed',
        scope: event.scope,
        ...(event.error === undefined
          ? { failed: event.failed }
          : { error: event.error, commands: event.commands }),
      };
    default:
      return undefined;
  }
}

export class EventLog {
  readonly path: string;
  #sink: FileSink;
  #scrub: (text: string) => string;

  constructor(path: string, scrub: (text: string) => string, onError: (e: Error) => void) {
    this.path = path;
    this.#scrub = scrub;
    this.#sink = new FileSink(path, { onError });
  }

  write(record: EventRecord): void {
    this.#sink.write(
      JSON.stringify(record, (_key, value: unknown) =>
        typeof value === 'string' ? this.#scrub(value) : value,
      ),
    );
  }

  onEvent(event: MonitorEvent): void {
    const record = eventRecord(event, new Date());
    if (record) this.write(record);
  }

  reloaded(ok: boolean, file: string, errors: string[] = []): void {
    this.write({
      time: new Date().toISOString(),
      event: ok ? 'reload' : 'reload-failed',
      file,
      ...(ok ? {} : { errors }),
    });
  }

  reopen(): void {
    this.#sink.reopen();
  }

  close(): Promise<void> {
    return this.#sink.close();
  }
}

/** The last `count` records of an event log file (for `status --history`). */
export function lastRecords(text: string, count: number): EventRecord[] {
  const records: EventRecord[] = [];
  const lines = text.split('\n');
  for (let i = lines.length - 1; i >= 0 && records.length < count; i--) {
    const line = lines[i]!.trim();
    if (line === '') continue;
    try {
      const parsed = JSON.parse(line) as unknown;
      if (parsed && typeof parsed === 'object' && 'event' in parsed && 'time' in parsed)
        records.push(parsed as EventRecord);
    } catch {
      // A line cut by a full disk or a crash: skipped.
    }
  }
  return records.reverse();
}

/** One line of `status --history`. */
export function formatRecord(r: EventRecord): string {
  const parts = [r.time, r.event];
  for (const key of ['virtual', 'real', 'fallback', 'scope', 'file']) {
    if (typeof r[key] === 'string') parts.push(String(r[key]));
  }
  if (typeof r.reason === 'string') parts.push(`(${r.reason})`);
  if (typeof r.durationMs === 'number') parts.push(`${r.durationMs} ms`);
  if (typeof r.error === 'string') parts.push(`error: ${r.error}`);
  if (Array.isArray(r.errors)) parts.push(`errors: ${r.errors.join('; ')}`);
  if (Array.isArray(r.failed))
    parts.push(
      `failed: ${(r.failed as Array<{ line: string; message: string }>).map((f) => `ipvsadm ${f.line}: ${f.message}`).join('; ')}`,
    );
  return parts.join('  ');
}
