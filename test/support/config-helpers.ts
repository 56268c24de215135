// Helpers for unit tests: parse or load config text with an environment that does not depend
// on the machine (fake host names, a fixed services table, no file checks).
import { type LoadOptions, type LoadResult, loadConfigText } from '../../src/config/load.ts';
import type { HostResolver } from '../../src/config/resolve/hosts.ts';
import { servicesLookup } from '../../src/config/services.ts';
import type { Diagnostic } from '../../src/model/diagnostics.ts';
import { type ParseResult, parse } from '../../src/parser/parse.ts';

export const TEST_SERVICES = servicesLookup(
  [
    'ftp 21/tcp',
    'domain 53/tcp',
    'domain 53/udp',
    'http 80/tcp www # WorldWideWeb HTTP',
    'https 443/tcp',
    'https 443/udp',
    'mysql 3306/tcp',
    'sip 5060/tcp',
    'sip 5060/udp',
    'onlyudp 7777/udp',
  ].join('\n'),
);

export const TEST_HOSTS: Record<string, string> = {
  '4|web1': '127.0.0.2',
  '4|web2': '127.0.0.3',
  '4|vip.example': '127.0.0.1',
  '6|web6': '::2',
  '4|range-start': '127.0.0.10',
  '4|range-end': '127.0.0.12',
};

export const testResolveHost: HostResolver = async (name, family) =>
  TEST_HOSTS[`${family}|${name}`];

export function parseText(text: string): ParseResult {
  return parse(text, 'test.cf');
}

export function load(text: string, options: LoadOptions = {}): Promise<LoadResult> {
  return loadConfigText(text, 'test.cf', {
    resolveHost: testResolveHost,
    lookupService: TEST_SERVICES,
    hostname: 'testhost',
    fileChecks: 'none',
    ...options,
  });
}

export function errors(diagnostics: readonly Diagnostic[]): Diagnostic[] {
  return diagnostics.filter((d) => d.severity === 'error');
}

export function codes(diagnostics: readonly Diagnostic[]): string[] {
  return diagnostics.map((d) => d.code);
}

/** A virtual service around the given section lines. */
export function inVirtual(...lines: string[]): string {
  return [
    'virtual=127.0.0.1:80',
    '\treal=127.0.0.2:80 gate',
    ...lines.map((l) => `\t${l}`),
    '',
  ].join('\n');
}
