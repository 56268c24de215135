// The config layer's public API.
export {
  type Diagnostic,
  type DiagnosticCategory,
  formatDiagnostic,
  formatOriginalStyle,
  hasErrors,
} from './diagnostics.ts';
export {
  defaultHostname,
  defaultLookupService,
  defaultResolveHost,
  type FileChecker,
  type FileCheckMode,
  fileChecker,
  type HostResolver,
} from './environment.ts';
export {
  ConfigNotFoundError,
  type LoadResult,
  type LocatedConfig,
  type LocateOptions,
  loadConfig,
  loadConfigText,
  locateConfig,
} from './load.ts';
export { numericAddress } from './numeric-address.ts';
export {
  type ConfigSummary,
  describeOrigin,
  MASK,
  maskSecrets,
  type RealSummary,
  type Setting,
  summarize,
  type VirtualSummary,
} from './report.ts';
export {
  perlRangeCount,
  type ResolveOptions,
  type ResolveResult,
  resolveConfig,
} from './resolve.ts';
export {
  effectiveCheckPort,
  portForService,
  resolvePort,
  type ServiceLookup,
  type ServiceProtocol,
  serviceForPort,
  servicesLookup,
} from './services.ts';
