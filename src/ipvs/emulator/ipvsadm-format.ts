// What ipvsadm 1.31 prints: the listings of -L (plain, --thresholds, --stats, --rate,
// --persistent-conn, --tun-info), the rules of -S, in its sort order (glibc's merge sort with
// ipvsadm's wrapping comparators), and libipvs' error texts. Byte for byte, from ipvsadm.c's
// printf formats. The one copy of those bytes: the product parses listings (src/ipvs/listing.ts)
// and prints only `ipvsadm -R` input (src/ipvs/commands.ts), so a model table printed as a
// listing (saveText, listText: for tests, benchmarks and diagnostics) is printed from here.
import { ipv4ToString, parseIpv4Strict, parseIpv6 } from '../../lib/inet.ts';
import {
  type IpvsTable,
  SVC_F_ONEPACKET,
  SVC_F_PERSISTENT,
  SVC_F_SCHED_MASK,
  SVC_F_SCHED1,
  SVC_F_SCHED2,
  SVC_F_SCHED3,
} from '../model.ts';
import { type KernelDestination, type KernelService, toKernel } from './kernel.ts';

export const FMT_NUMERIC = 0x1;
export const FMT_RULE = 0x2;
export const FMT_STATS = 0x4;
export const FMT_RATE = 0x8;
export const FMT_THRESHOLDS = 0x10;
export const FMT_PERSISTENTCONN = 0x20;
export const FMT_NOSORT = 0x40;
export const FMT_EXACT = 0x80;
export const FMT_TUN_INFO = 0x100;

export const VERSION_LINE = 'IP Virtual Server version 1.2.1 (size=4096)';

/** Reverse lookups for listings without -n (gethostbyaddr, getservbyport). */
export interface NameLookup {
  hostName?(address: string): string | undefined;
  serviceName?(port: number, protocol: 'tcp' | 'udp'): string | undefined;
}

const padRight = (text: string, width: number): string => text.padEnd(width, ' ');
const padLeft = (text: string, width: number): string => text.padStart(width, ' ');

/** C's int conversion of an unsigned 32-bit difference: ipvsadm's comparators wrap. */
const wrap = (a: number, b: number): number => (a - b) | 0;

const AF = { 4: 2, 6: 10 } as const;
const PROTO = { tcp: 6, udp: 17, fwm: 6 } as const;

/** The four 32-bit words ipvsadm's comparators subtract (IPv4: the address, then zeros). */
function addressWords(address: string): [number, number, number, number] {
  const v4 = parseIpv4Strict(address);
  if (v4 !== undefined) return [v4, 0, 0, 0];
  const w = parseIpv6(address) ?? new Array<number>(8).fill(0);
  return [
    w[0]! * 65536 + w[1]!,
    w[2]! * 65536 + w[3]!,
    w[4]! * 65536 + w[5]!,
    w[6]! * 65536 + w[7]!,
  ];
}

/** An item with the 32-bit words of its address, computed once for the comparators. */
interface Keyed<T> {
  item: T;
  words: [number, number, number, number];
}

const keyed = <T extends { address: string }>(items: readonly T[]): Array<Keyed<T>> =>
  items.map((item) => ({ item, words: addressWords(item.address) }));

function compareAddresses(family: 4 | 6, a: readonly number[], b: readonly number[]): number {
  let r = 0;
  if (family === 6) for (let i = 0; r === 0 && i < 4; i++) r = wrap(a[i]!, b[i]!);
  else r = wrap(a[0]!, b[0]!);
  return r;
}

/** ipvs_cmp_services. */
export function compareServices(x: Keyed<KernelService>, y: Keyed<KernelService>): number {
  const a = x.item;
  const b = y.item;
  let r = wrap(a.fwmark, b.fwmark);
  if (r !== 0) return r;
  r = AF[a.family] - AF[b.family];
  if (r !== 0) return r;
  r = PROTO[a.protocol] - PROTO[b.protocol];
  if (r !== 0) return r;
  r = compareAddresses(a.family, x.words, y.words);
  if (r !== 0) return r;
  return a.port - b.port;
}

/** ipvs_cmp_dests: the first destination's family decides how much address is compared. */
export function compareDestinations(
  x: Keyed<KernelDestination>,
  y: Keyed<KernelDestination>,
): number {
  const r = compareAddresses(x.item.family, x.words, y.words);
  if (r !== 0) return r;
  return x.item.port - y.item.port;
}

/** glibc's qsort (a top-down merge sort), so inconsistent comparators give the same order. */
export function mergeSort<T>(items: readonly T[], compare: (a: T, b: T) => number): T[] {
  const out = items.slice();
  const tmp = new Array<T>(out.length);
  const sort = (lo: number, n: number): void => {
    if (n <= 1) return;
    const n1 = n >> 1;
    sort(lo, n1);
    sort(lo + n1, n - n1);
    let i = lo;
    let j = lo + n1;
    let left = n1;
    let right = n - n1;
    let k = 0;
    while (left > 0 && right > 0) {
      if (compare(out[i]!, out[j]!) <= 0) {
        tmp[k++] = out[i++]!;
        left--;
      } else {
        tmp[k++] = out[j++]!;
        right--;
      }
    }
    while (left-- > 0) tmp[k++] = out[i++]!;
    for (let m = 0; m < k; m++) out[lo + m] = tmp[m]!;
  };
  sort(0, out.length);
  return out;
}

function addressPort(
  family: 4 | 6,
  address: string,
  port: number,
  protocol: 'tcp' | 'udp',
  format: number,
  names: NameLookup,
): string {
  const [open, close] = family === 4 ? ['', ''] : ['[', ']'];
  if (format & FMT_NUMERIC) return `${open}${address}${close}:${port}`;
  const host = names.hostName?.(address) ?? address;
  const service = names.serviceName?.(port, protocol) ?? String(port);
  return `${open}${host}${close}:${service}`;
}

function schedFlags(s: KernelService): string {
  // ipvsadm's print_sched_flags names only the two flags sh and mh define, seen on the real
  // kernel: `-s sh -b flag-1,flag-2,flag-3` lists as (sh-fallback,sh-port).
  const names =
    s.scheduler === 'sh'
      ? ['sh-fallback', 'sh-port']
      : s.scheduler === 'mh'
        ? ['mh-fallback', 'mh-port']
        : ['flag-1', 'flag-2', 'flag-3'];
  const bits = [SVC_F_SCHED1, SVC_F_SCHED2, SVC_F_SCHED3];
  return names.filter((_, i) => s.flags & bits[i]!).join(',');
}

const FORWARD_NAME: Record<string, string> = {
  masq: 'Masq',
  local: 'Local',
  ipip: 'Tunnel',
  gate: 'Route',
  bypass: '(null)',
};
const FORWARD_SWITCH: Record<string, string> = {
  masq: '-m',
  local: '-g',
  ipip: '-i',
  gate: '-g',
  bypass: '(null)',
};

function largeNumber(value: number, format: number): string {
  if (format & FMT_EXACT) {
    const text = String(value);
    return padLeft(text, text.length <= 8 ? 9 : text.length + 1);
  }
  return padLeft(String(value), 9);
}

export function title(format: number): string {
  const head = padRight('Prot LocalAddress:Port', 33);
  const cols = (widths: number[], names: string[], right: boolean): string =>
    names.map((n, i) => (right ? padLeft(n, widths[i]!) : padRight(n, widths[i]!))).join(' ');
  if (format & FMT_STATS) {
    return `${head} ${cols([8, 8, 8, 8, 8], ['Conns', 'InPkts', 'OutPkts', 'InBytes', 'OutBytes'], true)}\n  -> RemoteAddress:Port\n`;
  }
  if (format & FMT_RATE) {
    return `${head} ${cols([8, 8, 8, 8, 8], ['CPS', 'InPPS', 'OutPPS', 'InBPS', 'OutBPS'], true)}\n  -> RemoteAddress:Port\n`;
  }
  if (format & FMT_THRESHOLDS) {
    return `${head} ${cols([10, 10, 10, 10], ['Uthreshold', 'Lthreshold', 'ActiveConn', 'InActConn'], false)}\n  -> RemoteAddress:Port\n`;
  }
  if (format & FMT_PERSISTENTCONN) {
    return `${head} ${cols([9, 11, 10, 10], ['Weight', 'PersistConn', 'ActiveConn', 'InActConn'], false)}\n  -> RemoteAddress:Port\n`;
  }
  if (format & FMT_TUN_INFO) {
    return 'Prot LocalAddress:Port Scheduler Flags\n  -> RemoteAddress:Port           Forward TunnelInfo    Weight ActiveConn InActConn\n';
  }
  if (!(format & FMT_RULE)) {
    return 'Prot LocalAddress:Port Scheduler Flags\n  -> RemoteAddress:Port           Forward Weight ActiveConn InActConn\n';
  }
  return '';
}

function tunnelInfo(d: KernelDestination): string {
  if (d.forward !== 'ipip') return 'n/a';
  const checksum = { nocsum: '-c', csum: '+c', remcsum: 'r+c' }[d.tunnelChecksum];
  if (d.tunnelType === 'gue') return `gue:${d.tunnelPort}:${checksum}`;
  if (d.tunnelType === 'gre') return `gre:${checksum}`;
  return 'ipip';
}

function tunnelRule(d: KernelDestination): string {
  if (d.forward !== 'ipip') return '';
  const checksum = `--tun-${d.tunnelChecksum}`;
  if (d.tunnelType === 'gue') return ` --tun-type gue --tun-port ${d.tunnelPort} ${checksum}`;
  if (d.tunnelType === 'gre') return ` --tun-type gre ${checksum}`;
  return ' --tun-type ipip';
}

/** print_service_entry: one service and its destinations. */
export function serviceEntry(s: KernelService, format: number, names: NameLookup = {}): string {
  const proto = s.protocol === 'udp' ? 'udp' : 'tcp';
  let svcName: string;
  if (s.protocol === 'fwm') {
    // ipvsadm prints the mark with %d: marks from 2^31 up show as negative numbers.
    const mark = s.fwmark | 0;
    if (format & FMT_RULE) svcName = s.family === 6 ? `-f ${mark} -6` : `-f ${mark}`;
    else svcName = s.family === 6 ? `FWM  ${mark} IPv6` : `FWM  ${mark}`;
  } else {
    const vname = addressPort(s.family, s.address, s.port, proto, format, names);
    if (format & FMT_RULE) svcName = `${s.protocol === 'udp' ? '-u' : '-t'} ${vname}`;
    else {
      svcName = `${padRight(s.protocol.toUpperCase(), 4)} ${vname}`;
      if (s.family !== 6) svcName = svcName.slice(0, 33);
    }
  }
  const persistent = (s.flags & SVC_F_PERSISTENT) !== 0;
  const mask =
    s.family === 4
      ? s.netmask !== 0xffffffff
        ? ipv4ToString(s.netmask)
        : undefined
      : s.netmask !== 128
        ? String(s.netmask)
        : undefined;
  let out: string;
  if (format & FMT_RULE) {
    out = `-A ${svcName} -s ${s.scheduler}`;
    if (persistent) out += ` -p ${s.timeout}${mask === undefined ? '' : ` -M ${mask}`}`;
    if (s.pe) out += ` --pe ${s.pe}`;
    if (s.flags & SVC_F_ONEPACKET) out += ' -o';
    if (s.flags & SVC_F_SCHED_MASK) out += ` -b ${schedFlags(s)}`;
  } else if (format & (FMT_STATS | FMT_RATE)) {
    out = padRight(svcName, 33) + largeNumber(0, format).repeat(5);
  } else {
    out = `${svcName} ${s.scheduler}`;
    if (s.flags & SVC_F_SCHED_MASK) out += ` (${schedFlags(s)})`;
    if (persistent) {
      out += ` persistent ${s.timeout}`;
      if (mask !== undefined) out += ` mask ${mask}`;
      if (s.pe) out += ` pe ${s.pe}`;
    }
    if (s.flags & SVC_F_ONEPACKET) out += ' ops';
  }
  out += '\n';

  // The kernel keeps destinations newest first; ipvsadm then sorts them.
  const listed = s.destinations.slice().reverse();
  const dests =
    format & FMT_NOSORT ? listed : mergeSort(keyed(listed), compareDestinations).map((k) => k.item);
  for (const d of dests) {
    let dname = addressPort(d.family, d.address, d.port, proto, format, names);
    if (!(format & FMT_RULE) && d.family !== 6) dname = dname.slice(0, 28);
    const name = padRight(dname, 28);
    if (format & FMT_RULE) {
      out += `-a ${svcName} -r ${dname} ${FORWARD_SWITCH[d.forward]} -w ${d.weight}${tunnelRule(d)}\n`;
    } else if (format & FMT_STATS) {
      out += `  -> ${name}${largeNumber(0, format).repeat(5)}\n`;
    } else if (format & FMT_RATE) {
      out += `  -> ${name} ${padLeft('0', 8)} ${padLeft('0', 8)} ${padLeft('0', 8)}${largeNumber(0, format).repeat(2)}\n`;
    } else if (format & FMT_THRESHOLDS) {
      out += `  -> ${name} ${padRight(String(d.upperThreshold), 10)} ${padRight(String(d.lowerThreshold), 10)} ${padRight('0', 10)} ${padRight('0', 10)}\n`;
    } else if (format & FMT_PERSISTENTCONN) {
      out += `  -> ${name} ${padRight(String(d.weight), 9)} ${padRight('0', 11)} ${padRight('0', 10)} ${padRight('0', 10)}\n`;
    } else if (format & FMT_TUN_INFO) {
      out += `  -> ${name} ${padRight(FORWARD_NAME[d.forward]!, 7)} ${padRight(tunnelInfo(d), 13)} ${padRight(String(d.weight), 6)} ${padRight('0', 10)} ${padRight('0', 10)}\n`;
    } else {
      out += `  -> ${name} ${padRight(FORWARD_NAME[d.forward]!, 7)} ${padRight(String(d.weight), 6)} ${padRight('0', 10)} ${padRight('0', 10)}\n`;
    }
  }
  return out;
}

/** list_all: the whole table (header line unless -S). */
export function listAll(
  services: readonly KernelService[],
  format: number,
  names: NameLookup = {},
): string {
  let out = format & FMT_RULE ? '' : `${VERSION_LINE}\n`;
  const sorted =
    format & FMT_NOSORT ? services : mergeSort(keyed(services), compareServices).map((k) => k.item);
  out += title(format);
  for (const s of sorted) out += serviceEntry(s, format, names);
  return out;
}

/** A model table as `ipvsadm -S -n` prints it (feed it to `ipvsadm -R` to rebuild the table). */
export function saveText(table: IpvsTable): string {
  return listAll(toKernel(table).services, FMT_RULE | FMT_NUMERIC);
}

/** A model table as `ipvsadm -L -n` (or with --thresholds) prints it. */
export function listText(table: IpvsTable, thresholds = false): string {
  return listAll(toKernel(table).services, FMT_NUMERIC | (thresholds ? FMT_THRESHOLDS : 0));
}

/** The libipvs function that issued a request, for ipvs_strerror's table. */
export type IpvsFunction =
  | 'add_service'
  | 'update_service'
  | 'del_service'
  | 'zero_service'
  | 'add_dest'
  | 'update_dest'
  | 'del_dest'
  | 'get_service'
  | 'flush'
  | 'other';

const BY_FUNCTION: Array<[IpvsFunction, string, string]> = [
  ['add_service', 'EEXIST', 'Service already exists'],
  ['add_service', 'ENOENT', 'Scheduler or persistence engine not found'],
  ['update_service', 'ESRCH', 'No such service'],
  ['update_service', 'ENOENT', 'Scheduler or persistence engine not found'],
  ['del_service', 'ESRCH', 'No such service'],
  ['zero_service', 'ESRCH', 'No such service'],
  ['add_dest', 'ESRCH', 'Service not defined'],
  ['add_dest', 'EEXIST', 'Destination already exists'],
  ['update_dest', 'ESRCH', 'Service not defined'],
  ['update_dest', 'ENOENT', 'No such destination'],
  ['del_dest', 'ESRCH', 'Service not defined'],
  ['del_dest', 'ENOENT', 'No such destination'],
  ['get_service', 'ESRCH', 'No such service'],
];
const ANY_FUNCTION: Record<string, string> = {
  EPERM: 'Permission denied (you must be root)',
  EINVAL: 'Invalid operation.  Possibly wrong module version, address not unicast, ...',
  ENOPROTOOPT: 'Protocol not available',
  ENOMEM: 'Memory allocation problem',
  EOPNOTSUPP: 'Operation not supported with IPv6',
  EAFNOSUPPORT: 'Operation not supported with specified address family',
  EMSGSIZE: 'Module is wrong version',
};
const STRERROR: Record<string, string> = {
  ERANGE: 'Numerical result out of range',
  ENOENT: 'No such file or directory',
  ESRCH: 'No such process',
  EEXIST: 'File exists',
};

/** ipvs_strerror: the message ipvsadm prints for a kernel error. */
export function ipvsStrerror(fn: IpvsFunction, errno: string): string {
  for (const [f, e, message] of BY_FUNCTION) if (f === fn && e === errno) return message;
  return ANY_FUNCTION[errno] ?? STRERROR[errno] ?? `Unknown error ${errno}`;
}
