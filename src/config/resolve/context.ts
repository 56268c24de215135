// What every step of the resolver shares: the file, the diagnostics found so far, and what the
// environment answered (the host names looked up beforehand, getservbyname, the host name).
// The steps report through it; nothing here does I/O.
import { FileDiagnostics } from '../../model/diagnostics.ts';
import type { Family } from '../../model/domain.ts';
import type { Origin } from '../model.ts';
import type { ServiceLookup } from '../services.ts';
import type { HostAnswers } from './hosts.ts';

export class ResolveContext {
  readonly diagnostics: FileDiagnostics;
  readonly hosts: HostAnswers;
  /** getservbyname. */
  readonly lookupService: ServiceLookup;
  /** For the ftp and sip login defaults. */
  readonly hostname: string;
  /** Largest IPv4 range a single real= line may expand to. */
  readonly maxRangeSize: number;

  constructor(
    file: string,
    answers: { hosts: HostAnswers; lookupService: ServiceLookup; hostname: string },
    maxRangeSize: number,
  ) {
    this.diagnostics = new FileDiagnostics(file);
    this.hosts = answers.hosts;
    this.lookupService = answers.lookupService;
    this.hostname = answers.hostname;
    this.maxRangeSize = maxRangeSize;
  }

  /** The address `host` resolved to in `family`; undefined when it did not. */
  host(host: string, family: Family): string | undefined {
    return this.hosts.get(host, family);
  }

  error(...args: Parameters<FileDiagnostics['error']>): void {
    this.diagnostics.error(...args);
  }

  warn(...args: Parameters<FileDiagnostics['warn']>): void {
    this.diagnostics.warn(...args);
  }
}

export function origin(source: Origin['source'], line?: number, from?: string): Origin {
  return {
    source,
    ...(line !== undefined ? { line } : {}),
    ...(from !== undefined ? { from } : {}),
  };
}
