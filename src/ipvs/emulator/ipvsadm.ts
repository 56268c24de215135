// An emulation of the ipvsadm 1.31 program (ipvsadm.c) over the kernel emulation: its command
// line (through popt), its own checks and messages (exit 2), the kernel's errors as libipvs
// words them (exit 255, and -R carries on), -R's line reader, and the listings. The fake
// ipvsadm (test/support/fake-ipvsadm) and the dry-run backend both run this. Pure: the caller
// supplies the kernel, stdin and any name lookups.
import type { Family } from '../../config/model.ts';
import { inetAton, ipv6ToString, parseIpv6 } from '../../lib/inet.ts';
import {
  type IpvsForward,
  SVC_F_ONEPACKET,
  SVC_F_PERSISTENT,
  SVC_F_SCHED_MASK,
  SVC_F_SCHED1,
  SVC_F_SCHED2,
  SVC_F_SCHED3,
} from '../model.ts';
import {
  FMT_EXACT,
  FMT_NOSORT,
  FMT_NUMERIC,
  FMT_PERSISTENTCONN,
  FMT_RATE,
  FMT_RULE,
  FMT_STATS,
  FMT_THRESHOLDS,
  FMT_TUN_INFO,
  type IpvsFunction,
  ipvsStrerror,
  listAll,
  type NameLookup,
  serviceEntry,
  title,
} from './ipvsadm-format.ts';
import {
  type DestinationRequest,
  type Errno,
  type IpvsKernel,
  type ServiceRequest,
  type TunnelChecksum,
  type TunnelType,
} from './kernel.ts';
import { type OptionSpec, Popt } from './popt.ts';

/** A fault injected before a command reaches the kernel (the fake's reliability tests). */
export type CommandFault =
  /** The kernel refuses it with this message: exit 255, and -R carries on. */
  | { kind: 'error'; message: string }
  /** ipvsadm stops at once, like its own argument errors. */
  | { kind: 'fatal'; message: string; exitCode: number }
  /** The command takes effect, and still fails with this message (exit 255; -R carries on). */
  | { kind: 'error-after'; message: string };

export interface IpvsadmEnvironment extends NameLookup {
  kernel: IpvsKernel;
  /** argv[0], used in ipvsadm's messages. Default 'ipvsadm'. */
  program?: string;
  /** What -R reads (read only when a -R runs). */
  stdin?: string | (() => string);
  /** Called with each command's words (without the program name) before it runs. */
  beforeCommand?(args: readonly string[]): CommandFault | undefined;
  /** gethostbyname for IPv4 (ipvsadm accepts host names). */
  resolveHost?(name: string): string | undefined;
  /** getservbyname. */
  resolveService?(name: string, protocol: 'tcp' | 'udp'): number | undefined;
}

export interface IpvsadmOutcome {
  stdout: string;
  stderr: string;
  exitCode: number;
}

const VERSION_TEXT = 'ipvsadm v1.31 2019/12/24 (compiled with popt and IPVS v1.2.1)';
const MAX_TIMEOUT = 86400 * 31;
const INT_MAX = 2147483647;

type Command =
  | 'add-service'
  | 'edit-service'
  | 'delete-service'
  | 'flush'
  | 'list'
  | 'add-server'
  | 'delete-server'
  | 'edit-server'
  | 'set'
  | 'start-daemon'
  | 'stop-daemon'
  | 'restore'
  | 'save'
  | 'zero';
/** optnames, in the order of their bits. */
const OPTION_NAMES = [
  'numeric',
  'connection',
  'service-address',
  'scheduler',
  'persistent',
  'netmask',
  'real-server',
  'forwarding-method',
  'weight',
  'u-threshold',
  'l-threshold',
  'mcast-interface',
  'timeout',
  'daemon',
  'stats',
  'rate',
  'thresholds',
  'persistent-conn',
  'nosort',
  'syncid',
  'exact',
  'ops',
  'pe',
  'sched-flags',
  'mcast-group',
  'mcast-port',
  'mcast-ttl',
  'sync-maxlen',
  'tun-info',
  'tun-type',
  'tun-port',
  'tun-nocsum',
  'tun-csum',
  'tun-remcsum',
] as const;
type OptionName = (typeof OPTION_NAMES)[number];

/** commands_v_options: '+' compulsory, 'x' illegal, '1' exclusive, ' ' optional. */
const LEGAL: Record<Command, string> = {
  //             -n-csvc-s-p-M-rfw-w-x-ymctotdmst-rthr-psrtsid-exops-pe-bgrpprtttlsz ti tt tp tn tc tr
  'add-service': 'xx+   xxxxxxxxxxxxxxx   xxxxxxxxxx',
  'edit-service': 'xx+   xxxxxxxxxxxxxxx   xxxxxxxxxx',
  'delete-service': 'xx+xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx',
  flush: 'xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx',
  list: ' 11xxxxxxxxx11       xxxxxxx xxxxx',
  'add-server': 'xx+xxx+    xxxxxxxxxxxxxxxxxx     ',
  'delete-server': 'xx+xxx+xxxxxxxxxxxxxxxxxxxxxxxxxxx',
  'edit-server': 'xx+xxx+    xxxxxxxxxxxxxxxxxx     ',
  set: 'xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx',
  'start-daemon': 'xxxxxxxxxxx xxxxxxx xxxx    xxxxxx',
  'stop-daemon': 'xxxxxxxxxxxxxxxxxxx xxxxxxxxxxxxxx',
  restore: 'xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx',
  save: ' xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx',
  zero: 'xx xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx',
};

const OPTIONS: readonly OptionSpec[] = [
  { long: 'add-service', short: 'A', arg: 'none', tag: 'A' },
  { long: 'edit-service', short: 'E', arg: 'none', tag: 'E' },
  { long: 'delete-service', short: 'D', arg: 'none', tag: 'D' },
  { long: 'clear', short: 'C', arg: 'none', tag: 'C' },
  { long: 'list', short: 'L', arg: 'none', tag: 'L' },
  { long: 'list', short: 'l', arg: 'none', tag: 'l' },
  { long: 'zero', short: 'Z', arg: 'none', tag: 'Z' },
  { long: 'add-server', short: 'a', arg: 'none', tag: 'a' },
  { long: 'edit-server', short: 'e', arg: 'none', tag: 'e' },
  { long: 'delete-server', short: 'd', arg: 'none', tag: 'd' },
  { long: 'set', arg: 'none', tag: 'set' },
  { long: 'help', short: 'h', arg: 'none', tag: 'h' },
  { long: 'version', short: 'v', arg: 'none', tag: 'v' },
  { long: 'restore', short: 'R', arg: 'none', tag: 'R' },
  { long: 'save', short: 'S', arg: 'none', tag: 'S' },
  { long: 'start-daemon', arg: 'required', tag: 'start-daemon' },
  { long: 'stop-daemon', arg: 'required', tag: 'stop-daemon' },
  { long: 'tcp-service', short: 't', arg: 'required', tag: 't' },
  { long: 'udp-service', short: 'u', arg: 'required', tag: 'u' },
  { long: 'sctp-service', arg: 'required', tag: 'sctp' },
  { long: 'fwmark-service', short: 'f', arg: 'required', tag: 'f' },
  { long: 'scheduler', short: 's', arg: 'required', tag: 's' },
  { long: 'persistent', short: 'p', arg: 'optional', tag: 'p' },
  { long: 'netmask', short: 'M', arg: 'required', tag: 'M' },
  { long: 'real-server', short: 'r', arg: 'required', tag: 'r' },
  { long: 'masquerading', short: 'm', arg: 'none', tag: 'm' },
  { long: 'ipip', short: 'i', arg: 'none', tag: 'i' },
  { long: 'gatewaying', short: 'g', arg: 'none', tag: 'g' },
  { long: 'weight', short: 'w', arg: 'required', tag: 'w' },
  { long: 'u-threshold', short: 'x', arg: 'required', tag: 'x' },
  { long: 'l-threshold', short: 'y', arg: 'required', tag: 'y' },
  { long: 'numeric', short: 'n', arg: 'none', tag: 'n' },
  { long: 'connection', short: 'c', arg: 'none', tag: 'c' },
  { long: 'mcast-interface', arg: 'required', tag: 'mcast-interface' },
  { long: 'syncid', arg: 'required', tag: 'syncid' },
  { long: 'timeout', arg: 'none', tag: 'timeout' },
  { long: 'daemon', arg: 'none', tag: 'daemon' },
  { long: 'stats', arg: 'none', tag: 'stats' },
  { long: 'rate', arg: 'none', tag: 'rate' },
  { long: 'thresholds', arg: 'none', tag: 'thresholds' },
  { long: 'persistent-conn', arg: 'none', tag: 'persistent-conn' },
  { long: 'nosort', arg: 'none', tag: 'nosort' },
  { long: 'sort', arg: 'none', tag: 'sort' },
  { long: 'exact', short: 'X', arg: 'none', tag: 'X' },
  { long: 'ipv6', short: '6', arg: 'none', tag: '6' },
  { long: 'ops', short: 'o', arg: 'none', tag: 'o' },
  { long: 'pe', arg: 'required', tag: 'pe' },
  { long: 'sched-flags', short: 'b', arg: 'required', tag: 'b' },
  { long: 'mcast-group', arg: 'required', tag: 'mcast-group' },
  { long: 'mcast-port', arg: 'required', tag: 'mcast-port' },
  { long: 'mcast-ttl', arg: 'required', tag: 'mcast-ttl' },
  { long: 'sync-maxlen', arg: 'required', tag: 'sync-maxlen' },
  { long: 'tun-info', arg: 'none', tag: 'tun-info' },
  { long: 'tun-type', arg: 'required', tag: 'tun-type' },
  { long: 'tun-port', arg: 'required', tag: 'tun-port' },
  { long: 'tun-nocsum', arg: 'none', tag: 'tun-nocsum' },
  { long: 'tun-csum', arg: 'none', tag: 'tun-csum' },
  { long: 'tun-remcsum', arg: 'none', tag: 'tun-remcsum' },
];

/** Ends the emulated process (exit(), fail(), tryhelp_exit()). */
class Exit {
  readonly code: number;
  constructor(code: number) {
    this.code = code;
  }
}

type Protocol = 'tcp' | 'udp' | 'sctp' | '';
const FORWARD_BY_FLAG: Record<string, IpvsForward> = { m: 'masq', i: 'ipip', g: 'gate' };

interface Entry {
  command?: Command;
  svc: {
    family: Family | 0;
    protocol: Protocol;
    address: string;
    port: number;
    fwmark: number;
    scheduler: string;
    flags: number;
    timeout: number;
    netmask: number;
    pe: string;
  };
  dest: {
    family: Family | 0;
    address: string;
    port: number;
    forward: IpvsForward;
    weight: number;
    upper: number;
    lower: number;
    tunnelType: TunnelType;
    tunnelPort: number;
    tunnelChecksum: TunnelChecksum;
  };
}

/** Run ipvsadm with these arguments (without the program name). */
export function runIpvsadm(args: readonly string[], env: IpvsadmEnvironment): IpvsadmOutcome {
  const run = new IpvsadmRun(env);
  let exitCode: number;
  try {
    if (args.length === 0) {
      run.out += listAll(env.kernel.listServices(), 0, env);
      exitCode = 0;
    } else {
      exitCode = run.processOptions([run.program, ...args], false) & 0xff;
    }
  } catch (e) {
    if (!(e instanceof Exit)) throw e;
    exitCode = e.code & 0xff;
  }
  return { stdout: run.out, stderr: run.err, exitCode };
}

/** config_stream_read: the words of each -R line (`ipvsadm` words dropped, `#` not special). */
export function restoreLines(input: string): string[][] {
  const lines: string[][] = [];
  const segments = input.split('\n');
  const last = segments.pop()!;
  for (const segment of segments) {
    const words = segment.split(/[ \t\r]+/).filter((w) => w !== '' && w !== 'ipvsadm');
    if (words.length > 0) lines.push(words);
  }
  // Without a final newline the reader gives up on a line that ends in two or more blanks.
  if (last !== '' && !/\S[ \t\r]{2,}$/.test(last)) {
    const words = last.split(/[ \t\r]+/).filter((w) => w !== '' && w !== 'ipvsadm');
    if (words.length > 0) lines.push(words);
  }
  return lines;
}

class IpvsadmRun {
  out = '';
  err = '';
  readonly env: IpvsadmEnvironment;
  readonly program: string;

  constructor(env: IpvsadmEnvironment) {
    this.env = env;
    this.program = env.program ?? 'ipvsadm';
  }

  fail(code: number, message: string): never {
    this.err += `${message}\n`;
    throw new Exit(code);
  }

  tryHelp(): never {
    this.err += `Try \`${this.program} -h' or '${this.program} --help' for more information.\n`;
    throw new Exit(255);
  }

  processOptions(argv: readonly string[], readingStdin: boolean): number {
    const ce: Entry = {
      svc: {
        family: 0,
        protocol: '',
        address: '',
        port: 0,
        fwmark: 0,
        scheduler: '',
        flags: 0,
        timeout: 0,
        netmask: 0xffffffff,
        pe: '',
      },
      dest: {
        family: 0,
        address: '',
        port: 0,
        forward: 'gate',
        weight: 1,
        upper: 0,
        lower: 0,
        tunnelType: 'ipip',
        tunnelPort: 0,
        tunnelChecksum: 'nocsum',
      },
    };
    const state = { options: new Set<OptionName>(), format: 0 };
    if (this.parseOptions(argv, ce, state) !== 0) return -1;
    const command = ce.command!;
    this.checkOptions(command, state.options);
    const { options } = state;

    if (command === 'add-service' || command === 'edit-service') {
      if (!ce.svc.fwmark && !ce.svc.port && !(ce.svc.flags & SVC_F_PERSISTENT)) {
        this.fail(2, 'Zero port specified for non-persistent service');
      }
      if (ce.svc.flags & SVC_F_ONEPACKET && !ce.svc.fwmark && ce.svc.protocol !== 'udp') {
        this.fail(2, 'One-Packet Scheduling is only for UDP virtual services');
      }
      if (ce.svc.scheduler === '') ce.svc.scheduler = 'wlc';
    }
    if (command === 'add-server' || command === 'edit-server') {
      // ipvsadm, not the kernel, gives gatewaying and tunnelling reals the service's port.
      if (!ce.svc.fwmark && (ce.dest.forward === 'ipip' || ce.dest.forward === 'gate')) {
        ce.dest.port = ce.svc.port;
      }
      if (ce.dest.family !== ce.svc.family && ce.dest.forward !== 'ipip') {
        this.fail(2, 'Different address family is allowed only for tunneling servers');
      }
      const tunnelOptions: OptionName[] = [
        'tun-type',
        'tun-port',
        'tun-nocsum',
        'tun-csum',
        'tun-remcsum',
      ];
      if (tunnelOptions.some((o) => options.has(o)) && ce.dest.forward !== 'ipip') {
        this.fail(2, 'Tunnel options conflict with forward method');
      }
      this.checkTunnelOptions(ce.dest.tunnelType, options);
    }

    const lineArgs = argv.slice(1);
    const fault = command === 'restore' ? undefined : this.env.beforeCommand?.(lineArgs);
    if (fault?.kind === 'fatal') this.fail(fault.exitCode, fault.message);

    const kernel = this.env.kernel;
    const svc = (): ServiceRequest => this.serviceRequest(ce);
    let errno: Errno | 0 = 0;
    let fn: IpvsFunction = 'other';
    switch (command) {
      case 'list':
        if (fault) this.fail(1, fault.message);
        this.list(ce, options, state.format);
        return 0;
      case 'restore':
        return this.restore(readingStdin);
      case 'save':
        if (fault) this.fail(1, fault.message);
        this.out += listAll(kernel.listServices(), state.format | FMT_RULE, this.env);
        return 0;
      case 'flush':
        fn = 'flush';
        break;
      case 'add-service':
        fn = 'add_service';
        break;
      case 'edit-service':
        fn = 'update_service';
        break;
      case 'delete-service':
        fn = 'del_service';
        break;
      case 'zero':
        fn = 'zero_service';
        break;
      case 'add-server':
        fn = 'add_dest';
        break;
      case 'edit-server':
        fn = 'update_dest';
        break;
      case 'delete-server':
        fn = 'del_dest';
        break;
      default:
        break;
    }
    if (fault && fault.kind !== 'error-after') {
      this.err += `${fault.message}\n`;
      return -1;
    }
    switch (command) {
      case 'flush':
        errno = kernel.flush();
        break;
      case 'add-service':
        errno = kernel.addService(svc());
        break;
      case 'edit-service':
        errno = kernel.editService(svc());
        break;
      case 'delete-service':
        errno = kernel.deleteService(svc());
        break;
      case 'zero':
        errno = kernel.zero(options.has('service-address') ? svc() : undefined);
        break;
      case 'add-server':
        errno = kernel.addDestination(svc(), this.destinationRequest(ce));
        break;
      case 'edit-server':
        errno = kernel.editDestination(svc(), this.destinationRequest(ce));
        break;
      case 'delete-server':
        errno = kernel.deleteDestination(svc(), this.destinationRequest(ce));
        break;
      default:
        // --set and the sync daemon: accepted, and nothing in the table changes.
        break;
    }
    if (errno) {
      this.err += `${ipvsStrerror(fn, errno)}\n`;
      return -1;
    }
    if (fault) {
      this.err += `${fault.message}\n`;
      return -1;
    }
    return 0;
  }

  serviceRequest(ce: Entry): ServiceRequest {
    const s = ce.svc;
    const family: Family = s.family === 6 ? 6 : 4;
    return {
      family,
      protocol: s.fwmark ? 'fwm' : s.protocol === 'udp' ? 'udp' : 'tcp',
      address: s.fwmark ? '' : s.address,
      port: s.fwmark ? 0 : s.port,
      fwmark: s.fwmark,
      scheduler: s.scheduler,
      flags: s.flags,
      timeout: s.timeout,
      netmask: s.netmask,
      pe: s.pe,
    };
  }

  destinationRequest(ce: Entry): DestinationRequest {
    const d = ce.dest;
    return {
      family: d.family === 6 ? 6 : 4,
      address: d.address,
      port: d.port,
      forward: d.forward,
      weight: d.weight,
      upperThreshold: d.upper,
      lowerThreshold: d.lower,
      tunnelType: d.tunnelType,
      tunnelPort: d.tunnelPort,
      tunnelChecksum: d.tunnelChecksum,
    };
  }

  restore(readingStdin: boolean): number {
    if (readingStdin) this.tryHelp();
    let result = 0;
    const stdin = this.env.stdin;
    const text = typeof stdin === 'function' ? stdin() : (stdin ?? '');
    for (const words of restoreLines(text)) {
      result = this.processOptions([this.program, ...words], true);
    }
    return result;
  }

  list(ce: Entry, options: Set<OptionName>, format: number): void {
    const has = (o: OptionName): boolean => options.has(o);
    if (
      ((has('connection') || has('timeout') || has('daemon')) &&
        (has('stats') || has('rate') || has('thresholds'))) ||
      ((has('timeout') || has('daemon')) && has('persistent-conn'))
    ) {
      this.fail(2, 'options conflicts in the list command');
    }
    if (has('connection')) {
      this.out += 'IPVS connection entries\n';
      this.out +=
        format & FMT_PERSISTENTCONN
          ? 'pro expire state       source             virtual            destination        pe name          pe_data\n'
          : 'pro expire state       source             virtual            destination\n';
    } else if (has('service-address')) {
      const found = this.env.kernel.findService(this.serviceRequest(ce));
      if (!found) this.fail(1, ipvsStrerror('get_service', 'ESRCH'));
      this.out += title(format) + serviceEntry(found, format, this.env);
    } else if (has('timeout')) {
      this.out += 'Timeout (tcp tcpfin udp): 900 120 300\n';
    } else if (has('daemon')) {
      // No sync daemon runs in the emulation.
    } else {
      this.out += listAll(this.env.kernel.listServices(), format, this.env);
    }
  }

  checkOptions(command: Command, options: Set<OptionName>): void {
    const row = LEGAL[command];
    let first: OptionName | undefined;
    for (const [j, name] of OPTION_NAMES.entries()) {
      const rule = row[j];
      if (!options.has(name)) {
        if (rule === '+') {
          this.fail(2, `You need to supply the '${name}' option for the '${command}' command`);
        }
        continue;
      }
      if (rule === 'x') this.fail(2, `Illegal '${name}' option with the '${command}' command`);
      if (rule === '1') {
        if (first === undefined) first = name;
        else {
          this.fail(
            2,
            `The option '${name}' conflicts with the '${first}' option in the '${command}' command`,
          );
        }
      }
    }
  }

  checkTunnelOptions(type: TunnelType, options: Set<OptionName>): void {
    // tunnel_types_v_options: tun-port tun-nocsum tun-csum tun-remcsum
    const rules: Record<TunnelType, string> = { ipip: 'xxxx', gue: '+111', gre: 'x111' };
    const names: OptionName[] = ['tun-port', 'tun-nocsum', 'tun-csum', 'tun-remcsum'];
    let first: OptionName | undefined;
    for (const [j, name] of names.entries()) {
      const rule = rules[type][j];
      if (!options.has(name)) {
        if (rule === '+') {
          this.fail(2, `You need to supply the '${name}' option for the '${type}' tunnel type`);
        }
        continue;
      }
      if (rule === 'x') this.fail(2, `Illegal '${name}' option with the '${type}' tunnel type`);
      if (rule === '1') {
        if (first === undefined) first = name;
        else {
          this.fail(
            2,
            `The option '${name}' conflicts with the '${first}' option in the '${type}' tunnel type`,
          );
        }
      }
    }
  }

  /** parse_options: 0, or -1 after a popt error (which -R survives). */
  parseOptions(
    argv: readonly string[],
    ce: Entry,
    state: { options: Set<OptionName>; format: number },
  ): number {
    const popt = new Popt(argv, OPTIONS);
    const setOption = (name: OptionName): void => {
      if (state.options.has(name)) this.fail(2, `multiple '${name}' options specified`);
      state.options.add(name);
    };
    let schedFlags = '';

    const first = popt.next();
    if (first.kind !== 'option') this.tryHelp();
    const commandByTag: Record<string, Command> = {
      A: 'add-service',
      E: 'edit-service',
      D: 'delete-service',
      a: 'add-server',
      e: 'edit-server',
      d: 'delete-server',
      C: 'flush',
      L: 'list',
      l: 'list',
      Z: 'zero',
      set: 'set',
      R: 'restore',
      S: 'save',
      'start-daemon': 'start-daemon',
      'stop-daemon': 'stop-daemon',
    };
    const command = commandByTag[first.tag];
    if (first.tag === 'h') {
      this.out += usage(this.program);
      throw new Exit(0);
    }
    if (first.tag === 'v') {
      this.out += `${VERSION_TEXT}\n`;
      throw new Exit(0);
    }
    if (!command) this.tryHelp();
    ce.command = command;
    if (command === 'start-daemon' || command === 'stop-daemon') {
      if (first.value !== 'master' && first.value !== 'backup') {
        this.fail(
          2,
          command === 'start-daemon'
            ? 'illegal start-daemon parameter specified'
            : 'illegal start_daemon specified',
        );
      }
    }

    for (;;) {
      const r = popt.next();
      if (r.kind === 'end') break;
      if (r.kind === 'error') {
        this.err += `${r.badOption}: ${r.error}\n`;
        return -1;
      }
      const value = r.value;
      switch (r.tag) {
        case 't':
        case 'u':
        case 'sctp': {
          setOption('service-address');
          if (r.tag === 'sctp') this.fail(2, 'SCTP services are not emulated');
          ce.svc.protocol = r.tag === 't' ? 'tcp' : 'udp';
          const parsed = this.parseService(value!, ce.svc.protocol, ce.svc);
          if (!parsed.address) this.fail(2, 'illegal virtual server address[:port] specified');
          break;
        }
        case 'f':
          setOption('service-address');
          ce.svc.family = 4;
          ce.svc.protocol = 'tcp';
          ce.svc.fwmark = this.parseFwmark(value!);
          break;
        case 's':
          setOption('scheduler');
          ce.svc.scheduler = value!.slice(0, 15);
          break;
        case 'p':
          setOption('persistent');
          ce.svc.flags |= SVC_F_PERSISTENT;
          ce.svc.timeout = this.parseTimeout(value, 1, MAX_TIMEOUT);
          break;
        case 'M':
          setOption('netmask');
          if (ce.svc.family !== 6) {
            const mask = inetAton(value!) ?? this.resolveIpv4(value!);
            if (mask === undefined) {
              this.fail(2, 'illegal virtual server persistent mask specified');
            }
            ce.svc.netmask = mask;
          } else {
            const bits = atoi(value!);
            if (bits < 1 || bits > 128) this.fail(2, 'illegal ipv6 netmask specified');
            ce.svc.netmask = bits;
          }
          break;
        case 'r': {
          setOption('real-server');
          const target = { family: ce.svc.family, address: '', port: ce.svc.port, netmask: 0 };
          const parsed = this.parseService(value!, ce.svc.protocol, target);
          ce.dest.family = target.family;
          ce.dest.address = target.address;
          ce.dest.port = target.port;
          if (!parsed.address) this.fail(2, 'illegal real server address[:port] specified');
          if (!parsed.port) ce.dest.port = ce.svc.port;
          break;
        }
        case 'i':
        case 'g':
        case 'm':
          setOption('forwarding-method');
          ce.dest.forward = FORWARD_BY_FLAG[r.tag]!;
          break;
        case 'w':
          setOption('weight');
          ce.dest.weight = this.number(value!, 0, INT_MAX, 'illegal weight specified');
          break;
        case 'x':
          setOption('u-threshold');
          ce.dest.upper = this.number(value!, 0, INT_MAX, 'illegal u_threshold specified');
          break;
        case 'y':
          setOption('l-threshold');
          ce.dest.lower = this.number(value!, 0, INT_MAX, 'illegal l_threshold specified');
          break;
        case 'c':
          setOption('connection');
          break;
        case 'n':
          setOption('numeric');
          state.format |= FMT_NUMERIC;
          break;
        case 'mcast-interface':
          setOption('mcast-interface');
          break;
        case 'syncid':
          setOption('syncid');
          this.number(value!, 0, 255, 'illegal syncid specified');
          break;
        case 'timeout':
          setOption('timeout');
          break;
        case 'daemon':
          setOption('daemon');
          break;
        case 'stats':
          setOption('stats');
          state.format |= FMT_STATS;
          break;
        case 'rate':
          setOption('rate');
          state.format |= FMT_RATE;
          break;
        case 'thresholds':
          setOption('thresholds');
          state.format |= FMT_THRESHOLDS;
          break;
        case 'persistent-conn':
          setOption('persistent-conn');
          state.format |= FMT_PERSISTENTCONN;
          break;
        case 'nosort':
          setOption('nosort');
          state.format |= FMT_NOSORT;
          break;
        case 'sort':
          break;
        case 'X':
          setOption('exact');
          state.format |= FMT_EXACT;
          break;
        case '6':
          if (!ce.svc.fwmark) this.fail(2, '-6 used before -f\n');
          ce.svc.family = 6;
          ce.svc.netmask = 128;
          break;
        case 'o':
          setOption('ops');
          ce.svc.flags |= SVC_F_ONEPACKET;
          break;
        case 'pe':
          setOption('pe');
          ce.svc.pe = value!.slice(0, 15);
          break;
        case 'b':
          setOption('sched-flags');
          schedFlags = value!.slice(0, 127);
          break;
        case 'mcast-group':
          setOption('mcast-group');
          break;
        case 'mcast-port':
          setOption('mcast-port');
          this.number(value!, 1, 65535, 'illegal mcast-port specified');
          break;
        case 'mcast-ttl':
          setOption('mcast-ttl');
          this.number(value!, 1, 255, 'illegal mcast-ttl specified');
          break;
        case 'sync-maxlen':
          setOption('sync-maxlen');
          this.number(value!, 1, 65535 - 20 - 8, 'illegal sync-maxlen specified');
          break;
        case 'tun-info':
          setOption('tun-info');
          state.format |= FMT_TUN_INFO;
          break;
        case 'tun-type': {
          setOption('tun-type');
          if (value !== 'ipip' && value !== 'gue' && value !== 'gre') {
            this.fail(2, 'illegal tunnel type specified');
          }
          ce.dest.tunnelType = value;
          break;
        }
        case 'tun-port':
          setOption('tun-port');
          ce.dest.tunnelPort = this.number(value!, 1, 65535, 'illegal tunnel port specified');
          break;
        case 'tun-nocsum':
          setOption('tun-nocsum');
          ce.dest.tunnelChecksum = 'nocsum';
          break;
        case 'tun-csum':
          setOption('tun-csum');
          ce.dest.tunnelChecksum = 'csum';
          break;
        case 'tun-remcsum':
          setOption('tun-remcsum');
          ce.dest.tunnelChecksum = 'remcsum';
          break;
        default:
          this.fail(2, `invalid option \`${r.word}'`);
      }
    }

    if (command === 'set') {
      const timeouts = [popt.nextArg(), popt.nextArg(), popt.nextArg()];
      if (timeouts.some((t) => t === undefined)) {
        this.fail(2, '--set option requires 3 timeout values');
      }
      for (const t of timeouts) this.parseTimeout(t, 0, MAX_TIMEOUT);
    }
    const extra = popt.nextArg();
    if (extra !== undefined) this.fail(2, `unexpected argument ${extra}`);

    if (schedFlags !== '') {
      ce.svc.flags &= ~SVC_F_SCHED_MASK;
      ce.svc.flags |= this.parseSchedFlags(ce.svc.scheduler || 'wlc', schedFlags);
    }
    return 0;
  }

  parseSchedFlags(scheduler: string, text: string): number {
    let flags = 0;
    const words = text.split(',').filter((w) => w !== '');
    if (words.length === 0) this.fail(2, `invalid scheduler flag \`${text}'`);
    for (const flag of words) {
      const bySched: Record<string, [string, number]> = {
        'sh-fallback': ['sh', SVC_F_SCHED1],
        'sh-port': ['sh', SVC_F_SCHED2],
        'mh-fallback': ['mh', SVC_F_SCHED1],
        'mh-port': ['mh', SVC_F_SCHED2],
      };
      if (flag === 'flag-1') flags |= SVC_F_SCHED1;
      else if (flag === 'flag-2') flags |= SVC_F_SCHED2;
      else if (flag === 'flag-3') flags |= SVC_F_SCHED3;
      else if (bySched[flag]) {
        flags |= bySched[flag][1];
        if (scheduler !== bySched[flag][0]) this.fail(2, `incompatible scheduler flag \`${flag}'`);
      } else this.fail(2, `invalid scheduler flag \`${flag}'`);
    }
    return flags;
  }

  /** parse_service: { address, port } tells what was found; fills target. */
  parseService(
    text: string,
    protocol: Protocol,
    target: { family: Family | 0; address: string; port: number; netmask: number },
  ): { address: boolean; port: boolean } {
    const none = { address: false, port: false };
    if (/^\d*$/.test(text)) return none;
    let buf = text;
    let portText: string | undefined;
    if (buf.startsWith('[')) {
      const close = buf.indexOf(']');
      if (close === -1 || buf[close + 1] !== ':') return none;
      portText = buf.slice(close + 2);
      buf = buf.slice(1, close);
    }
    const v6 = parseIpv6(buf);
    if (v6) {
      target.family = 6;
      target.address = ipv6ToString(v6);
      target.netmask = 128;
    } else {
      if (portText === undefined) {
        const colon = buf.lastIndexOf(':');
        if (colon !== -1) {
          portText = buf.slice(colon + 1);
          buf = buf.slice(0, colon);
        }
      }
      const v4 = inetAton(buf) ?? this.resolveIpv4(buf);
      if (v4 === undefined) return none;
      target.family = 4;
      target.address = [v4 >>> 24, (v4 >>> 16) & 255, (v4 >>> 8) & 255, v4 & 255].join('.');
    }
    if (portText === undefined) return { address: true, port: false };
    const n = stringToNumber(portText, 0, 65535);
    const port =
      n ??
      (protocol === 'tcp' || protocol === 'udp'
        ? this.env.resolveService?.(portText, protocol)
        : undefined);
    if (port === undefined) return none;
    target.port = port;
    return { address: true, port: true };
  }

  resolveIpv4(name: string): number | undefined {
    const address = this.env.resolveHost?.(name);
    return address === undefined ? undefined : inetAton(address);
  }

  parseFwmark(text: string): number {
    const n = /^[ \t\n\v\f\r]*[+-]?\d+$/.test(text) ? Number(text.trim()) : Number.NaN;
    if (!Number.isFinite(n) || n <= 0 || n > 0xffffffff) {
      this.fail(2, `invalid fwmark value \`${text}' specified`);
    }
    return n;
  }

  parseTimeout(text: string | undefined, min: number, max: number): number {
    if (text === undefined) return 360;
    const n = stringToNumber(text, min, max);
    if (n === undefined) this.fail(2, `invalid timeout value \`${text}' specified`);
    return n;
  }

  number(text: string, min: number, max: number, message: string): number {
    const n = stringToNumber(text, min, max);
    if (n === undefined) this.fail(2, message);
    return n;
  }
}

/** string_to_number: strtol base 10 over the whole word, within [min, max]. */
function stringToNumber(text: string, min: number, max: number): number | undefined {
  if (!/^[ \t\n\v\f\r]*[+-]?\d+$/.test(text)) return undefined;
  const n = Number(text.trim());
  if (!Number.isSafeInteger(n) || n < min || n > max) return undefined;
  return n;
}

/** atoi: leading digits, 0 when none. */
function atoi(text: string): number {
  const m = /^[ \t\n\v\f\r]*([+-]?\d+)/.exec(text);
  return m ? Number(m[1]) : 0;
}

/** `ipvsadm -h`, with the program name as invoked. */
export function usage(program: string): string {
  return USAGE.replaceAll('%s', program);
}

const USAGE = `${VERSION_TEXT}
Usage:
  %s -A|E virtual-service [-s scheduler] [-p [timeout]] [-M netmask] [--pe persistence_engine] [-b sched-flags]
  %s -D virtual-service
  %s -C
  %s -R
  %s -S [-n]
  %s -a|e virtual-service -r server-address [options]
  %s -d virtual-service -r server-address
  %s -L|l [virtual-service] [options]
  %s -Z [virtual-service]
  %s --set tcp tcpfin udp
  %s --start-daemon {master|backup} [daemon-options]
  %s --stop-daemon {master|backup}
  %s -h

Commands:
Either long or short options are allowed.
  --add-service     -A        add virtual service with options
  --edit-service    -E        edit virtual service with options
  --delete-service  -D        delete virtual service
  --clear           -C        clear the whole table
  --restore         -R        restore rules from stdin
  --save            -S        save rules to stdout
  --add-server      -a        add real server with options
  --edit-server     -e        edit real server with options
  --delete-server   -d        delete real server
  --list            -L|-l     list the table
  --zero            -Z        zero counters in a service or all services
  --set tcp tcpfin udp        set connection timeout values
  --start-daemon              start connection sync daemon
  --stop-daemon               stop connection sync daemon
  --help            -h        display this help message

virtual-service:
  --tcp-service|-t  service-address   service-address is host[:port]
  --udp-service|-u  service-address   service-address is host[:port]
  --sctp-service    service-address   service-address is host[:port]
  --fwmark-service|-f fwmark          fwmark is an integer greater than zero

Options:
  --ipv6         -6                   fwmark entry uses IPv6
  --scheduler    -s scheduler         one of rr|wrr|lc|wlc|lblc|lblcr|dh|sh|sed|nq|fo|ovf|mh,
                                      the default scheduler is wlc.
  --pe            engine              alternate persistence engine may be sip,
                                      not set by default.
  --persistent   -p [timeout]         persistent service
  --netmask      -M netmask           persistent granularity mask
  --real-server  -r server-address    server-address is host (and port)
  --gatewaying   -g                   gatewaying (direct routing) (default)
  --ipip         -i                   ipip encapsulation (tunneling)
  --masquerading -m                   masquerading (NAT)
  --tun-type      type                one of ipip|gue|gre,
                                      the default tunnel type is ipip.
  --tun-port      port                tunnel destination port
  --tun-nocsum                        tunnel encapsulation without checksum
  --tun-csum                          tunnel encapsulation with checksum
  --tun-remcsum                       tunnel encapsulation with remote checksum
  --weight       -w weight            capacity of real server
  --u-threshold  -x uthreshold        upper threshold of connections
  --l-threshold  -y lthreshold        lower threshold of connections
  --connection   -c                   output of current IPVS connections
  --timeout                           output of timeout (tcp tcpfin udp)
  --daemon                            output of daemon information
  --stats                             output of statistics information
  --rate                              output of rate information
  --exact                             expand numbers (display exact values)
  --thresholds                        output of thresholds information
  --persistent-conn                   output of persistent connection info
  --tun-info                          output of tunnel information
  --nosort                            disable sorting output of service/server entries
  --sort                              does nothing, for backwards compatibility
  --ops          -o                   one-packet scheduling
  --numeric      -n                   numeric output of addresses and ports
  --sched-flags  -b flags             scheduler flags (comma-separated)
Daemon Options:
  --syncid sid                        syncid for connection sync (default=255)
  --sync-maxlen length                Max sync message length (default=1472)
  --mcast-interface interface         multicast interface for connection sync
  --mcast-group address               IPv4/IPv6 group (default=224.0.0.81)
  --mcast-port port                   UDP port (default=8848)
  --mcast-ttl ttl                     Multicast TTL (default=1)
`;
