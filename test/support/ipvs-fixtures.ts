// Shorthands over model-builders.ts for the IPVS tests: a virtual is written as where it
// listens plus its reals, so a test states only what it is about.
import type {
  Config,
  FallbackServer,
  GlobalConfig,
  RealServer,
  VirtualService,
} from '../../src/config/model.ts';
import type { Forward } from '../../src/model/domain.ts';
import { makeConfig, makeReal, makeVirtual } from './model-builders.ts';

export function real(
  address: string,
  port: number,
  forward: Forward = 'masq',
  weight = 1,
  extra: Partial<RealServer> = {},
): RealServer {
  return makeReal({ address, port, forward, weight, line: 0, ...extra });
}

export function fallback(address: string, port: number, forward: Forward = 'gate'): FallbackServer {
  return { address, port, forward, line: 0 };
}

type Where =
  { address: string; port: number; protocol?: 'tcp' | 'udp' } | { fwmark: number; family?: 4 | 6 };

export function virtual(
  where: Where,
  reals: RealServer[],
  extra: Partial<VirtualService> = {},
): VirtualService {
  const fwm = 'fwmark' in where;
  return makeVirtual({
    line: 0,
    family: fwm ? (where.family ?? 4) : where.address.includes(':') ? 6 : 4,
    protocol: fwm ? 'fwm' : (where.protocol ?? 'tcp'),
    address: fwm ? '' : where.address,
    port: fwm ? 0 : where.port,
    fwmark: fwm ? where.fwmark : 0,
    written: fwm ? String(where.fwmark) : `${where.address}:${where.port}`,
    service: 'none',
    reals,
    ...extra,
  });
}

export function config(virtuals: VirtualService[], global: Partial<GlobalConfig> = {}): Config {
  return makeConfig(virtuals, global);
}
