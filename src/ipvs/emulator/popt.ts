// The subset of libpopt's option reader that ipvsadm 1.31 relies on: short clusters (`-Ln`,
// `-At addr`, `-w5`), long options with `=value` or a separate value, optional arguments that
// take the next word only when it does not start with `-`, `--`, leftover words, and popt's
// error codes and texts ("-q: unknown option", "-x: missing argument").

export interface OptionSpec {
  long?: string;
  short?: string;
  /** none: a flag; required: always takes a value (even `-1`); optional: `-p [timeout]`. */
  arg: 'none' | 'required' | 'optional';
  tag: string;
}

export type PoptError = 'unknown option' | 'missing argument' | 'option does not take an argument';

export type PoptResult =
  /** word: the argument the option was read from (what poptBadOption names). */
  | { kind: 'option'; tag: string; value: string | undefined; word: string }
  | { kind: 'error'; error: PoptError; badOption: string }
  | { kind: 'end' };

export class Popt {
  readonly #argv: readonly string[];
  readonly #byShort = new Map<string, OptionSpec>();
  readonly #byLong = new Map<string, OptionSpec>();
  #next = 1;
  /** The rest of a short-option cluster being read, and the word it came from. */
  #cluster = '';
  #clusterWord = '';
  #onlyArgs = false;
  readonly #leftover: string[] = [];

  constructor(argv: readonly string[], table: readonly OptionSpec[]) {
    this.#argv = argv;
    for (const spec of table) {
      if (spec.short) this.#byShort.set(spec.short, spec);
      if (spec.long && !this.#byLong.has(spec.long)) this.#byLong.set(spec.long, spec);
    }
  }

  /** poptGetNextOpt. */
  next(): PoptResult {
    if (this.#cluster !== '') return this.#short();
    while (this.#next < this.#argv.length) {
      const word = this.#argv[this.#next++]!;
      if (this.#onlyArgs || word === '-' || !word.startsWith('-')) {
        this.#leftover.push(word);
        continue;
      }
      if (word === '--') {
        this.#onlyArgs = true;
        continue;
      }
      if (word.startsWith('--')) return this.#long(word);
      this.#cluster = word.slice(1);
      this.#clusterWord = word;
      return this.#short();
    }
    return { kind: 'end' };
  }

  /** poptGetArg: the next leftover word. */
  nextArg(): string | undefined {
    return this.#leftover.shift();
  }

  #long(word: string): PoptResult {
    const eq = word.indexOf('=');
    const name = eq === -1 ? word.slice(2) : word.slice(2, eq);
    const spec = this.#byLong.get(name);
    if (!spec) return { kind: 'error', error: 'unknown option', badOption: word };
    if (eq !== -1) {
      if (spec.arg === 'none') {
        return { kind: 'error', error: 'option does not take an argument', badOption: word };
      }
      return { kind: 'option', tag: spec.tag, value: word.slice(eq + 1), word };
    }
    return this.#value(spec, word);
  }

  #short(): PoptResult {
    const letter = this.#cluster[0]!;
    this.#cluster = this.#cluster.slice(1);
    const spec = this.#byShort.get(letter);
    if (!spec) {
      this.#cluster = '';
      return { kind: 'error', error: 'unknown option', badOption: this.#clusterWord };
    }
    const word = this.#clusterWord;
    if (spec.arg === 'none') return { kind: 'option', tag: spec.tag, value: undefined, word };
    if (this.#cluster !== '') {
      const value = this.#cluster;
      this.#cluster = '';
      return { kind: 'option', tag: spec.tag, value, word };
    }
    return this.#value(spec, this.#clusterWord);
  }

  #value(spec: OptionSpec, word: string): PoptResult {
    if (spec.arg === 'none') return { kind: 'option', tag: spec.tag, value: undefined, word };
    const candidate = this.#argv[this.#next];
    if (spec.arg === 'optional') {
      if (candidate !== undefined && !candidate.startsWith('-')) {
        this.#next++;
        return { kind: 'option', tag: spec.tag, value: candidate, word };
      }
      return { kind: 'option', tag: spec.tag, value: undefined, word };
    }
    if (candidate === undefined) {
      return { kind: 'error', error: 'missing argument', badOption: word };
    }
    this.#next++;
    return { kind: 'option', tag: spec.tag, value: candidate, word };
  }
}
