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

export type DaemonStatus = 'starting' | 'running' | 'stopping' | 'reloading';
/** emailalertstatus bit mask, as the original: starting 1, running 2, stopping 4, reloading 8. */
export const EMAIL_STATUS_BITS: Record<DaemonStatus, number> = {
  starting: 1,
  running: 2,
  stopping: 4,
  reloading: 8,
};
