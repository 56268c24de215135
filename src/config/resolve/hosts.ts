// Host lookups: every host name the tree names (virtual addresses, reals and range ends,
// fallbacks) is collected first and looked up concurrently through the environment's resolver;
// the resolution steps then read the answers synchronously.
import { insideBrackets } from '../../lib/inet.ts';
import type { Family } from '../../model/domain.ts';
import type { ConfigTree } from '../../parser/tree.ts';
import { numericAddress } from '../numeric-address.ts';

/** Resolve a host name (or numeric address) in one family; undefined when it does not. */
export type HostResolver = (name: string, family: Family) => Promise<string | undefined>;

/** Lookups in flight at once: getaddrinfo runs on libuv's small thread pool. */
const IN_FLIGHT = 64;

/** The address each host of the tree resolved to in its family (undefined: it did not). */
export class HostAnswers {
  readonly #answers: ReadonlyMap<string, string | undefined>;

  constructor(answers: ReadonlyMap<string, string | undefined>) {
    this.#answers = answers;
  }

  get(host: string, family: Family): string | undefined {
    return this.#answers.get(key(insideBrackets(host), family));
  }
}

function key(name: string, family: Family): string {
  return `${family}|${name}`;
}

/** Look up every host the tree names: numeric addresses at once, names through `resolve`. */
export async function lookupHosts(tree: ConfigTree, resolve: HostResolver): Promise<HostAnswers> {
  const answers = new Map<string, string | undefined>();
  const pending = new Map<string, [string, Family]>();
  const want = (host: string, family: Family): void => {
    const name = insideBrackets(host);
    const k = key(name, family);
    if (answers.has(k) || pending.has(k)) return;
    const numeric = numericAddress(name, family);
    if (numeric !== undefined) answers.set(k, numeric);
    else pending.set(k, [name, family]);
  };
  for (const g of tree.globals) {
    if (g.name === 'fallback') want(g.value.host, 4);
    else if (g.name === 'fallback6') want(g.value.host, 6);
  }
  for (const v of tree.virtuals) {
    if (v.address?.kind === 'address') want(v.address.host, v.family);
    for (const d of v.directives) {
      if (d.name === 'real' || d.name === 'real6') {
        want(d.value.host, v.family);
        if (d.value.hostEnd !== undefined) want(d.value.hostEnd, v.family);
      } else if (d.name === 'fallback' || d.name === 'fallback6') {
        want(d.value.host, v.family);
      }
    }
  }
  const entries = [...pending];
  for (let i = 0; i < entries.length; i += IN_FLIGHT) {
    const batch = entries.slice(i, i + IN_FLIGHT);
    const results = await Promise.all(batch.map(([, [name, family]]) => resolve(name, family)));
    batch.forEach(([k], j) => answers.set(k, results[j]));
  }
  return new HostAnswers(answers);
}
