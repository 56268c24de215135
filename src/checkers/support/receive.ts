// receive= strings are Perl regexes; translate each once and keep the RegExp.
import { translatePerlRegex } from '../../lib/perl-regex.ts';

const cache = new Map<string, RegExp | string>();

/** The compiled receive pattern, or the reason it cannot be used (the loader rejects those). */
export function receivePattern(receive: string): RegExp | string {
  let compiled = cache.get(receive);
  if (compiled === undefined) {
    const r = translatePerlRegex(receive);
    compiled = r.ok ? r.regex : `receive: ${r.error}`;
    if (cache.size > 10_000) cache.clear();
    cache.set(receive, compiled);
  }
  return compiled;
}

/** Perl's `$recstr =~ /.+/`: a receive with no character other than newlines is no receive. */
export function hasReceive(receive: string): boolean {
  return /[^\n]/.test(receive);
}
