// ldirectord's words: the values a config, a check and the IPVS table are made of. The
// bottom layer: the parser, the config resolver, the checkers and everything above import
// these, and this file imports nothing.

export type Family = 4 | 6;
export type Protocol = 'tcp' | 'udp' | 'fwm';
export type Forward = 'gate' | 'masq' | 'ipip';

/** What checktype= asks for (`combined` is checktype=N), in the order of the original's message. */
export const CHECK_TYPES = [
  'connect',
  'negotiate',
  'ping',
  'off',
  'on',
  'external',
  'external-perl',
  'combined',
] as const;
export type CheckType = (typeof CHECK_TYPES)[number];

/**
 * The check one pass runs: `combined` alternates between connect and negotiate, and `off`
 * is never checked.
 */
export type CheckKind = Exclude<CheckType, 'combined' | 'off'>;

/** The services the original can negotiate, in the order of its error message. */
export const SERVICES = [
  'dns',
  'ftp',
  'http',
  'https',
  'http_proxy',
  'imap',
  'imaps',
  'ldap',
  'ldaps',
  'mysql',
  'nntp',
  'none',
  'oracle',
  'pop',
  'pops',
  'radius',
  'pgsql',
  'simpletcp',
  'sip',
  'smtp',
  'submission',
] as const;
export type Service = (typeof SERVICES)[number];

/** The IPVS schedulers (the kernel's ip_vs_<name> modules); twos came with Linux 6.2. */
export const IPVS_SCHEDULERS = [
  'rr',
  'wrr',
  'lc',
  'wlc',
  'lblc',
  'lblcr',
  'dh',
  'sh',
  'sed',
  'nq',
  'fo',
  'ovf',
  'mh',
  'twos',
] as const;

export type DaemonStatus = 'starting' | 'running' | 'stopping' | 'reloading';
/** emailalertstatus bit mask, as the original: starting 1, running 2, stopping 4, reloading 8. */
export const EMAIL_STATUS_BITS: Record<DaemonStatus, number> = {
  starting: 1,
  running: 2,
  stopping: 4,
  reloading: 8,
};

/** An inclusive range of HTTP status codes. */
export type StatusRange = readonly [low: number, high: number];

/** httpstatus=: the status codes a check accepts, as sorted ranges that neither touch nor overlap. */
export type StatusRanges = readonly StatusRange[];

/** One httpheader= line: a request header an HTTP check sends. */
export interface HttpHeader {
  name: string;
  value: string;
}

/**
 * How a TLS check treats the server's certificate (tlsverify, tlsca, tlsservername):
 * - verify: undefined is the original's rule (the chain is verified, the name is not), true
 *   verifies the chain and the name, false verifies nothing;
 * - ca: a PEM file of the CAs trusted instead of the system store;
 * - servername: the name sent as SNI and, when verified, the name the certificate must carry.
 */
export interface TlsSettings {
  verify?: boolean;
  ca?: string;
  servername?: string;
}

/** Where an ldirectord-ts listener binds (the `metrics=` extension). */
export type ListenAddress =
  { kind: 'tcp'; host: string; port: number } | { kind: 'unix'; path: string };
/**
 * An operator's override of one real of one virtual (`ldirectord-ts ctl`): `drain` keeps it in
 * the table at weight 0 whatever its checks say; `weight` puts that weight in place of the
 * configured one while its checks say up. None: its checks decide, as in the original.
 */
export type RealOverride = { kind: 'drain' } | { kind: 'weight'; weight: number };

/**
 * minhealthy=: how many reals of a virtual must be up before a failing one leaves the table,
 * as a count or a percentage of its reals. A value of 0 is off.
 */
export interface MinHealthy {
  kind: 'count' | 'percent';
  value: number;
}
