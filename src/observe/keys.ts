// The labels that name a virtual and a real in every view (metrics, status page, event log):
// the original's virtual id (`tcp:10.1.1.1:80`, `fwm:5`) and the real's `address:port`.
// Cached per model object: a check event must not build strings for 10,000 reals a round.
import { virtualId } from '../config/identity.ts';
import type { RealServer, VirtualService } from '../config/model.ts';
import { hostPort } from '../lib/inet.ts';

const virtualIds = new WeakMap<VirtualService, string>();
const realNames = new WeakMap<RealServer, string>();

export function virtualLabel(v: VirtualService): string {
  let id = virtualIds.get(v);
  if (id === undefined) {
    id = virtualId(v);
    virtualIds.set(v, id);
  }
  return id;
}

export function realLabel(r: RealServer): string {
  let name = realNames.get(r);
  if (name === undefined) {
    name = hostPort(r.address, r.port);
    realNames.set(r, name);
  }
  return name;
}

/** `<virtual id> <address:port>`: one real of one virtual, stable across reloads. */
export function pairKey(virtual: string, real: string): string {
  return `${virtual} ${real}`;
}
