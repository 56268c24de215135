// Resolved-config values for the IPVS tests, with the original's defaults filled in, so a test
// states only what it is about.
import type {
  Config,
  FallbackServer,
  Forward,
  GlobalConfig,
  RealServer,
  VirtualService,
} from '../../src/config/model.ts';

export function real(
  address: string,
  port: number,
  forward: Forward = 'masq',
  weight = 1,
  extra: Partial<RealServer> = {},
): RealServer {
  return {
    address,
    port,
    forward,
    weight,
    lowerThreshold: 0,
    upperThreshold: 0,
    line: 0,
    written: address,
    ...extra,
  };
}

export function fallback(address: string, port: number, forward: Forward = 'gate'): FallbackServer {
  return { address, port, forward, line: 0 };
}

type Where =
  | { address: string; port: number; protocol?: 'tcp' | 'udp' }
  | { fwmark: number; family?: 4 | 6 };

export function virtual(
  where: Where,
  reals: RealServer[],
  extra: Partial<VirtualService> = {},
): VirtualService {
  const fwm = 'fwmark' in where;
  const family = fwm ? (where.family ?? 4) : where.address.includes(':') ? 6 : 4;
  return {
    line: 0,
    family,
    protocol: fwm ? 'fwm' : (where.protocol ?? 'tcp'),
    address: fwm ? '' : where.address,
    port: fwm ? 0 : where.port,
    fwmark: fwm ? where.fwmark : 0,
    written: fwm ? String(where.fwmark) : `${where.address}:${where.port}`,
    scheduler: 'wrr',
    ops: false,
    service: 'none',
    checktype: 'negotiate',
    combinedCount: 0,
    checkcommand: '/bin/true',
    request: '/',
    receive: '',
    login: '',
    passwd: '',
    database: '',
    secret: '',
    httpmethod: 'GET',
    checktimeout: 5,
    negotiatetimeout: 30,
    checkcount: 1,
    failurecount: 1,
    checkinterval: 10,
    quiescent: false,
    cleanstop: true,
    emailalert: '',
    emailalertfreq: 0,
    emailalertstatus: 15,
    reals,
    origins: {},
    ...extra,
  };
}

export function config(virtuals: VirtualService[], global: Partial<GlobalConfig> = {}): Config {
  return {
    file: '/etc/ha.d/ldirectord.cf',
    global: {
      checkinterval: 10,
      checkcount: 1,
      failurecount: 1,
      autoreload: false,
      logfile: '/var/log/ldirectord.log',
      execute: [],
      fork: false,
      supervised: false,
      quiescent: false,
      readdquiescent: false,
      emailalert: '',
      emailalertfreq: 0,
      emailalertstatus: 15,
      cleanstop: true,
      origins: {},
      ...global,
    },
    virtuals,
  };
}
