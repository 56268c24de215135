// Builders for resolved-config values in unit tests: every field filled with the original's
// defaults, overridable per test.
import type { Config, GlobalConfig, RealServer, VirtualService } from '../../src/config/model.ts';

export function makeReal(overrides: Partial<RealServer> = {}): RealServer {
  return {
    address: '127.0.0.2',
    port: 80,
    forward: 'gate',
    weight: 1,
    lowerThreshold: 0,
    upperThreshold: 0,
    line: 3,
    written: overrides.address ?? '127.0.0.2',
    ...overrides,
  };
}

export function makeVirtual(overrides: Partial<VirtualService> = {}): VirtualService {
  // Unless a test sets them, the reals are checked every checkinterval in every state.
  const checkinterval = overrides.checkinterval ?? 10;
  return {
    line: 2,
    family: 4,
    protocol: 'tcp',
    address: '10.0.0.1',
    port: 80,
    fwmark: 0,
    written: '10.0.0.1:80',
    scheduler: 'wrr',
    ops: false,
    service: 'http',
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
    checkinterval,
    risecount: 1,
    failinterval: checkinterval,
    downinterval: checkinterval,
    slowstart: 0,
    quiescent: false,
    cleanstop: true,
    emailalert: '',
    emailalertfreq: 0,
    emailalertstatus: 15,
    httpheader: [],
    agentinterval: overrides.checkinterval ?? 10,
    reals: [makeReal()],
    origins: {},
    ...overrides,
  };
}

export function makeGlobal(overrides: Partial<GlobalConfig> = {}): GlobalConfig {
  return {
    checkinterval: 10,
    checkcount: 1,
    failurecount: 1,
    risecount: 1,
    slowstart: 0,
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
    httpheader: [],
    origins: {},
    ...overrides,
  };
}

export function makeConfig(virtuals: VirtualService[], global: Partial<GlobalConfig> = {}): Config {
  return { file: '/etc/ha.d/ldirectord.cf', global: makeGlobal(global), virtuals };
}
