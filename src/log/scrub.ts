// Last line of defence for secrets: every log line, status text and error message passes
// through a scrubber holding the passwd= and secret= values of the loaded config, so a value
// that reaches a message by any path (a raw config line, a library's error text) is masked.
export const MASK = '********';

export class SecretScrubber {
  private secrets: string[] = [];

  /** Replace the set of secrets (called on every config load and reload). */
  setSecrets(values: Iterable<string>): void {
    // Longest first, so a secret containing another is masked whole. A one-character value
    // would mask ordinary text everywhere and gains nothing from masking.
    // A secret holding a quote or a backslash is escaped in JSON output (--log-format json,
    // the status file): its escaped form is masked too.
    const forms = [...values].flatMap((s) => [s, JSON.stringify(s).slice(1, -1)]);
    this.secrets = [...new Set(forms)]
      .filter((s) => s.length >= 2)
      .sort((a, b) => b.length - a.length);
  }

  scrub(text: string): string {
    let result = text;
    for (const secret of this.secrets) {
      if (result.includes(secret)) result = result.replaceAll(secret, MASK);
    }
    return result;
  }
}
