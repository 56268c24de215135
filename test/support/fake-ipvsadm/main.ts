// The fake ipvsadm: ipvsadm 1.31's command line over the kernel emulation of src/ipvs/emulator, with
// the table kept in a JSON state file. See README.md in this directory for the contract.
// Started by ./ipvsadm (a sh wrapper) as: node main.ts <argv0> <args...>
import {
  appendFileSync,
  closeSync,
  existsSync,
  openSync,
  readFileSync,
  statSync,
  unlinkSync,
} from 'node:fs';
import { resolve } from 'node:path';
import { type CommandFault, runIpvsadm } from '../../../src/ipvs/emulator/ipvsadm.ts';
import { IpvsKernel, type KernelService } from '../../../src/ipvs/emulator/kernel.ts';
import { writeFileAtomic } from '../../../src/lib/atomic-write.ts';

/** A fault: the first whose `match` (a regular expression) finds the command's words. */
interface Fault {
  match: string;
  /** The kernel refuses the command with this message (exit 255; -R carries on). */
  error?: string;
  /** The command takes effect, then fails with this message anyway (exit 255; -R carries on). */
  errorAfter?: string;
  /** ipvsadm stops at once with this message and exitCode (default 2). */
  fatal?: string;
  exitCode?: number;
  /** Never finish (until killed). Commands before it in a -R batch have taken effect. */
  hang?: boolean;
  /** Sleep this long, then go on. */
  delayMs?: number;
  /** The process's standard output is cut to its first this many bytes (the commands ran). */
  truncateOutput?: number;
  /** This text is written to standard output after what the commands printed. */
  garbageOutput?: string;
  /** Apply this many times, then disappear. Default: forever. */
  times?: number;
}

interface State {
  services: KernelService[];
  faults?: Fault[];
  /** Addresses (CIDR) the emulated kernel turns into Local forwarding (old kernels). */
  localAddresses?: string[];
  schedulers?: string[];
  /** Invocation log (FAKE_IPVSADM_LOG wins). */
  log?: string;
}

const [program = 'ipvsadm', ...args] = process.argv.slice(2);
const statePath = resolve(process.env.FAKE_IPVSADM_STATE ?? 'ipvsadm.state.json');
const lockPath = `${statePath}.lock`;
const sleeper = new Int32Array(new SharedArrayBuffer(4));
const sleep = (ms: number): void => {
  Atomics.wait(sleeper, 0, 0, ms);
};

function lock(): void {
  const deadline = Date.now() + 30_000;
  for (;;) {
    try {
      closeSync(openSync(lockPath, 'wx'));
      return;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      try {
        // A holder that died (or hangs by request) leaves its lock; 10 s old is stale.
        if (Date.now() - statSync(lockPath).mtimeMs > 10_000) unlinkSync(lockPath);
      } catch {}
      if (Date.now() > deadline) {
        throw new Error(`fake ipvsadm: cannot lock ${lockPath}`, { cause: e });
      }
      sleep(2);
    }
  }
}

function unlock(): void {
  try {
    unlinkSync(lockPath);
  } catch {}
}

function load(): State {
  if (!existsSync(statePath)) return { services: [] };
  const text = readFileSync(statePath, 'utf8');
  return text.trim() === '' ? { services: [] } : (JSON.parse(text) as State);
}

function save(state: State, kernel: IpvsKernel): void {
  state.services = kernel.snapshot().services;
  writeFileAtomic(statePath, JSON.stringify(state), 0o644);
}

function readStdin(): string {
  try {
    return readFileSync(0, 'utf8');
  } catch {
    return '';
  }
}

let stdinText: string | undefined;
const stdin = (): string => {
  stdinText ??= readStdin();
  return stdinText;
};

// Name lookups from /etc/hosts and /etc/services (ipvsadm uses the resolver).
let hosts: Array<[string, string[]]> | undefined;
function hostsTable(): Array<[string, string[]]> {
  hosts ??= readLines('/etc/hosts').map((fields) => [fields[0]!, fields.slice(1)]);
  return hosts;
}
function resolveHost(name: string): string | undefined {
  return hostsTable().find(
    ([address, names]) => !address.includes(':') && names.includes(name),
  )?.[0];
}
function hostName(address: string): string | undefined {
  return hostsTable().find(([a]) => a === address)?.[1][0];
}
let services:
  Array<{ name: string; port: number; protocol: string; aliases: string[] }> | undefined;
function servicesTable() {
  services ??= readLines('/etc/services').flatMap((fields) => {
    const m = /^(\d+)\/(\w+)$/.exec(fields[1] ?? '');
    return m
      ? [{ name: fields[0]!, port: Number(m[1]), protocol: m[2]!, aliases: fields.slice(2) }]
      : [];
  });
  return services;
}
function resolveService(name: string, protocol: 'tcp' | 'udp'): number | undefined {
  return servicesTable().find(
    (s) => s.protocol === protocol && (s.name === name || s.aliases.includes(name)),
  )?.port;
}
function serviceName(port: number, protocol: 'tcp' | 'udp'): string | undefined {
  return servicesTable().find((s) => s.protocol === protocol && s.port === port)?.name;
}
function readLines(path: string): string[][] {
  try {
    return readFileSync(path, 'utf8')
      .split('\n')
      .map((l) => l.replace(/#.*/, '').trim())
      .filter((l) => l !== '')
      .map((l) => l.split(/\s+/));
  } catch {
    return [];
  }
}

lock();
let state: State;
let kernel: IpvsKernel;
let result: { stdout: string; stderr: string; exitCode: number };
let changed = false;
try {
  state = load();
  kernel = new IpvsKernel(
    { services: state.services },
    {
      ...(state.localAddresses ? { localAddresses: state.localAddresses } : {}),
      ...(state.schedulers ? { schedulers: state.schedulers } : {}),
    },
  );
  const logPath = process.env.FAKE_IPVSADM_LOG ?? state.log;
  const readsStdin = args.some((a) => a === '--restore' || /^-[^-]*R/.test(a));
  if (logPath) {
    const entry = { time: Date.now(), pid: process.pid, argv: [program, ...args] };
    appendFileSync(
      logPath,
      `${JSON.stringify(readsStdin ? { ...entry, stdin: stdin() } : entry)}\n`,
    );
  }

  // Output faults change what the whole process prints; the first that matches any command.
  let outputFault: Fault | undefined;
  const faultFor = (words: readonly string[]): CommandFault | undefined => {
    const line = words.join(' ');
    const fault = state.faults?.find(
      (f) =>
        !(outputFault && (f.truncateOutput !== undefined || f.garbageOutput !== undefined)) &&
        new RegExp(f.match).test(line),
    );
    if (!fault) return undefined;
    if (fault.times !== undefined) {
      fault.times--;
      if (fault.times <= 0) state.faults = state.faults!.filter((f) => f !== fault);
      changed = true;
    }
    if (fault.hang) {
      save(state, kernel);
      unlock();
      for (;;) sleep(60_000);
    }
    if (fault.delayMs) sleep(fault.delayMs);
    if (fault.fatal !== undefined) {
      return { kind: 'fatal', message: fault.fatal, exitCode: fault.exitCode ?? 2 };
    }
    if (fault.error !== undefined) return { kind: 'error', message: fault.error };
    if (fault.errorAfter !== undefined) return { kind: 'error-after', message: fault.errorAfter };
    if (fault.truncateOutput !== undefined || fault.garbageOutput !== undefined) {
      outputFault = fault;
    }
    return undefined;
  };

  const before = JSON.stringify(state.services);
  const invocationFault = faultFor(args);
  if (invocationFault?.kind === 'fatal') {
    result = {
      stdout: '',
      stderr: `${invocationFault.message}\n`,
      exitCode: invocationFault.exitCode,
    };
  } else if (invocationFault && invocationFault.kind !== 'error-after') {
    result = { stdout: '', stderr: `${invocationFault.message}\n`, exitCode: 255 };
  } else {
    // A direct command that applies despite its error: the fault found for the invocation is
    // the one its command meets.
    let direct = invocationFault;
    result = runIpvsadm(args, {
      kernel,
      program,
      stdin,
      beforeCommand: (words) => {
        const fault = direct ?? faultFor(words);
        direct = undefined;
        return fault;
      },
      resolveHost,
      resolveService,
      hostName,
      serviceName,
    });
  }
  if (outputFault?.truncateOutput !== undefined) {
    result.stdout = Buffer.from(result.stdout)
      .subarray(0, outputFault.truncateOutput)
      .toString('utf8');
  }
  if (outputFault?.garbageOutput !== undefined) result.stdout += outputFault.garbageOutput;
  if (changed || JSON.stringify(kernel.snapshot().services) !== before) save(state, kernel);
} finally {
  unlock();
}
process.stdout.write(result.stdout);
process.stderr.write(result.stderr);
process.exitCode = result.exitCode;
