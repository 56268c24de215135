// A Linux guest with IPVS, booted under qemu (software emulation), for the real-kernel tier.
//
//   const check = checkGuestHost();            // qemu, kernel, busybox present?
//   await using guest = await bootGuest();     // ~4 s idle, more under load
//   const r = await guest.run('ipvsadm -L -n'); // { code, stdout, stderr, ... }
//
// The guest sees the host's whole filesystem read-only (node, ipvsadm, the project at the same
// path) under a tmpfs overlay, so it can write anywhere (/etc/ha.d...) without touching the
// host. Every IPVS module is loaded; lo is up and dummy0 has 192.0.2.1/24 and 2001:db8::1/64.
// `nics` plugs virtio NICs (eth0, eth1...) into emulated Ethernet segments (ethernet-hub.ts),
// so several guests form a LAN without any host networking.
// /tmp and /run are fresh tmpfs. Files pass through the share: a job's folder is
// `result.hostDir` on the host and its cwd in the guest. One boot runs many jobs, one at a
// time; a job may leave processes running in the background for later jobs. A guest that
// hangs is killed; close() always removes the share folder.
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import type { EthernetHub } from './ethernet-hub.ts';
import { DRIVER_SCRIPT, GUEST_SHARE, INIT_SCRIPT } from './guest-scripts.ts';
import {
  buildInitramfs,
  checkGuestHost,
  type GuestHost,
  uncompressedKernel,
} from './qemu-initramfs.ts';

export { GUEST_DUMMY_IPV4, GUEST_DUMMY_IPV6, GUEST_SHARE } from './guest-scripts.ts';
export { checkGuestHost, type GuestHost, type GuestKernel } from './qemu-initramfs.ts';

export interface BootOptions {
  /** Found by checkGuestHost() when absent; boot throws if the host cannot run a guest. */
  host?: GuestHost;
  /**
   * qemu accelerator; default LDTS_QEMU_ACCEL or 'tcg' (software emulation: KVM hangs on the
   * development machine, but 'kvm' is much faster where it works).
   */
  accel?: 'tcg' | 'kvm';
  /**
   * vCPUs; default 1. Under TCG a second vCPU made boot and exec slower here, not faster (one
   * host thread per vCPU, competing for 2 cores with everything else).
   */
  cpus?: number;
  /** Default 1024: enough for node inside. */
  memoryMb?: number;
  /** From qemu start until the driver is ready; default 180 s (boot is ~4 s idle). */
  bootTimeoutMs?: number;
  /** Shell script run in the guest (in the chroot) before the first job, e.g. to write /etc/ha.d. */
  bootScript?: string;
  /** Keep the share folder after close(), for debugging; also LDTS_QEMU_KEEP=1. */
  keepShare?: boolean;
  /** The guest's host name (`uname -n`), set before the boot script; default ldts-guest. */
  hostname?: string;
  /** Network interfaces eth0, eth1..., in order; none by default. */
  nics?: GuestNic[];
}

/** A virtio NIC on an emulated Ethernet segment, up before the boot script runs. */
export interface GuestNic {
  hub: EthernetHub;
  /** Default: a random locally administered address (every guest on a segment needs its own). */
  mac?: string;
  /** Address with prefix length, e.g. 10.0.5.1/24; none when absent (the link is still up). */
  address?: string;
}

export interface JobOptions {
  /** Killed in the guest (TERM, KILL 5 s later) after this; default 120 s. */
  timeoutMs?: number;
  /** Extra files written into the job folder before it runs (name -> content). */
  files?: Record<string, string | Buffer>;
  /**
   * How much longer than timeoutMs the host waits for the guest to report before it calls the
   * guest hung and kills it; default 20 s (a loaded host slows the emulated guest down).
   */
  hostGraceMs?: number;
}

export interface JobResult {
  /** Exit status of `sh job.sh` (124 or 137 when the guest-side timeout killed it). */
  code: number;
  stdout: string;
  stderr: string;
  timedOut: boolean;
  durationMs: number;
  /** The job's folder on the host; files the job wrote there can be read after it ends. */
  hostDir: string;
  /** The same folder inside the guest. */
  guestDir: string;
}

export interface Guest extends AsyncDisposable {
  readonly host: GuestHost;
  /** The qemu process. */
  readonly pid: number | undefined;
  /** From spawning qemu until the driver reported ready. */
  readonly bootMs: number;
  /** The share folder on the host (mounted at GUEST_SHARE in the guest). */
  readonly shareDir: string;
  /** Runs a shell script in the guest; jobs run one at a time in call order. */
  run(script: string, options?: JobOptions): Promise<JobResult>;
  /** Kernel and init messages so far (ttyS0). */
  console(): Promise<string>;
  /** Settles when qemu has exited (after close(), a poweroff or reboot in the guest, a crash). */
  readonly exited: Promise<void>;
  /** Pulls the plug: SIGKILL to qemu, no shutdown inside; close() still removes the share. */
  kill(): void;
  /** Powers the guest off (killing it if it does not stop in time) and removes the share. */
  close(): Promise<void>;
}

const SETPRIV = '/usr/bin/setpriv';

export async function bootGuest(options: BootOptions = {}): Promise<Guest> {
  let host = options.host;
  if (!host) {
    const check = checkGuestHost();
    if (!check.ok) throw new Error(`cannot boot a guest: ${check.problems.join('; ')}`);
    host = check.host;
  }
  const bootScript = networkSetup(options) + (options.bootScript ?? '');
  const initramfs = await buildInitramfs(host, { init: INIT_SCRIPT, driver: DRIVER_SCRIPT });
  const kernelImage = (await uncompressedKernel(host.kernel)) ?? host.kernel.image;
  const shareDir = await mkdtemp(join(tmpdir(), 'ldts-guest-'));
  await mkdir(join(shareDir, 'jobs'));
  if (bootScript !== '') await writeFile(join(shareDir, 'boot.sh'), bootScript);
  const consolePath = join(shareDir, 'console.log');
  const keepShare = options.keepShare ?? process.env.LDTS_QEMU_KEEP === '1';

  const started = performance.now();
  // no_timer_check: on a loaded host an emulated guest can miss the IO-APIC timer test at
  // boot and panic ("IO-APIC + timer doesn't work"); the emulated timer is fine.
  const qemuArgs = [
    ['-accel', options.accel ?? (process.env.LDTS_QEMU_ACCEL === 'kvm' ? 'kvm' : 'tcg')],
    ['-cpu', 'max', '-smp', String(options.cpus ?? 1), '-m', String(options.memoryMb ?? 1024)],
    ['-nodefaults', '-no-user-config', '-display', 'none', '-no-reboot'],
    ['-kernel', kernelImage, '-initrd', initramfs],
    ['-append', `console=ttyS0 panic=-1 loglevel=4 no_timer_check rdinit=/init${keepArguments()}`],
    ['-serial', `file:${consolePath}`, '-serial', 'stdio'],
    ['-virtfs', 'local,path=/,mount_tag=ldtsroot,readonly=on,security_model=none,multidevs=remap'],
    ['-virtfs', `local,path=${shareDir},mount_tag=ldtsshare,security_model=none`],
    ...(options.nics ?? []).map((nic, i) => [
      ['-netdev', `stream,id=lan${i},server=off,addr.type=unix,addr.path=${nic.hub.socketPath}`],
      ['-device', `virtio-net-pci,netdev=lan${i},mac=${nic.mac ?? randomMac()},romfile=`],
    ]),
  ].flat(2);
  // setpriv (util-linux) makes the kernel kill qemu if this process dies without cleaning up
  // (SIGKILL, a crash): a guest must never outlive its test.
  const [file, args] = existsSync(SETPRIV)
    ? [SETPRIV, ['--pdeathsig', 'KILL', '--', host.qemu, ...qemuArgs]]
    : [host.qemu, qemuArgs];
  // Own process group, so a hung qemu and anything it started can be killed together.
  const qemu = spawn(file, args, { stdio: ['pipe', 'pipe', 'pipe'], detached: true });
  const guest = new QemuGuest(host, qemu, shareDir, consolePath, keepShare);
  try {
    await guest.waitReady(options.bootTimeoutMs ?? 180_000);
  } catch (error) {
    guest.kill();
    await guest.close();
    throw error;
  }
  guest.bootMs = performance.now() - started;
  return guest;
}

type ControlWaiter = { match: (line: string) => boolean; resolve: (line: string) => void };

class QemuGuest implements Guest {
  bootMs = 0;
  readonly exited: Promise<void>;
  private readonly waiters = new Set<ControlWaiter>();
  private exitedNow = false;
  private stderr = '';
  private closing: Promise<void> | undefined;
  private queue: Promise<unknown> = Promise.resolve();
  private jobCount = 0;
  private readonly killOnExit = (): void => this.kill();

  readonly host: GuestHost;
  readonly shareDir: string;
  private readonly qemu: ChildProcess;
  private readonly consolePath: string;
  private readonly keepShare: boolean;

  constructor(
    host: GuestHost,
    qemu: ChildProcess,
    shareDir: string,
    consolePath: string,
    keepShare: boolean,
  ) {
    this.host = host;
    this.qemu = qemu;
    this.shareDir = shareDir;
    this.consolePath = consolePath;
    this.keepShare = keepShare;
    // If the test process dies, the guest must not outlive it.
    process.on('exit', this.killOnExit);
    this.exited = new Promise((resolve) => {
      const gone = (): void => {
        if (this.exitedNow) return;
        this.exitedNow = true;
        process.off('exit', this.killOnExit);
        for (const waiter of this.waiters) waiter.resolve('');
        resolve();
      };
      qemu.on('close', gone);
      qemu.on('error', (error) => {
        this.stderr += `${error.message}\n`;
        if (qemu.pid === undefined) gone(); // never started
      });
    });
    qemu.stderr?.on('data', (chunk: Buffer) => {
      if (this.stderr.length < 64 * 1024) this.stderr += chunk.toString();
    });
    const lines = createInterface({ input: qemu.stdout! });
    lines.on('line', (raw) => {
      const line = raw.replace(/\r$/, '');
      for (const waiter of this.waiters) {
        if (waiter.match(line)) {
          this.waiters.delete(waiter);
          waiter.resolve(line);
        }
      }
    });
    qemu.stdin?.on('error', () => {});
  }

  /** The next control line matching, '' if qemu exits first, undefined after the deadline. */
  private expect(match: (line: string) => boolean, timeoutMs: number): Promise<string | undefined> {
    if (this.exitedNow) return Promise.resolve('');
    return new Promise((resolve) => {
      const waiter: ControlWaiter = {
        match,
        resolve: (line) => {
          clearTimeout(timer);
          resolve(line);
        },
      };
      const timer = setTimeout(() => {
        this.waiters.delete(waiter);
        resolve(undefined);
      }, timeoutMs);
      this.waiters.add(waiter);
    });
  }

  async waitReady(timeoutMs: number): Promise<void> {
    const line = await this.expect(
      (l) => l.startsWith('ldts-ready') || l.startsWith('ldts-failed'),
      timeoutMs,
    );
    if (line === undefined) throw await this.failure(`guest not ready after ${timeoutMs} ms`);
    if (line === '') throw await this.failure('qemu exited during boot');
    if (line.startsWith('ldts-failed')) throw await this.failure(`guest init: ${line}`);
    const status = Number(line.split(' ')[1]);
    if (status !== 0) {
      const out = await readFile(join(this.shareDir, 'boot.out'), 'utf8').catch(() => '');
      throw new Error(`guest boot script exited ${status}:\n${out}`);
    }
  }

  run(script: string, options: JobOptions = {}): Promise<JobResult> {
    const next = this.queue.then(() => this.runNow(script, options));
    this.queue = next.catch(() => {});
    return next;
  }

  private async runNow(script: string, options: JobOptions): Promise<JobResult> {
    if (this.exitedNow || this.closing) throw new Error('guest is not running');
    const id = String(++this.jobCount).padStart(4, '0');
    const hostDir = join(this.shareDir, 'jobs', id);
    const guestDir = `${GUEST_SHARE}/jobs/${id}`;
    await mkdir(hostDir);
    await writeFile(join(hostDir, 'job.sh'), script);
    for (const [name, content] of Object.entries(options.files ?? {})) {
      await writeFile(join(hostDir, name), content);
    }
    const timeoutMs = options.timeoutMs ?? 120_000;
    const seconds = Math.max(1, Math.ceil(timeoutMs / 1000));
    const started = performance.now();
    const hostDeadline = timeoutMs + (options.hostGraceMs ?? 20_000);
    const done = this.expect((l) => l.startsWith(`ldts-done ${id} `), hostDeadline);
    this.qemu.stdin?.write(`run ${id} ${seconds}\n`);
    const line = await done;
    if (line === undefined) {
      const error = await this.failure(`job ${id} not done after ${hostDeadline} ms: guest killed`);
      this.kill();
      await this.close();
      throw error;
    }
    if (line === '') throw await this.failure(`qemu exited while job ${id} ran`);
    const durationMs = performance.now() - started;
    const code = Number(line.split(' ')[2]);
    return {
      code,
      stdout: await readFile(join(hostDir, 'stdout'), 'utf8'),
      stderr: await readFile(join(hostDir, 'stderr'), 'utf8'),
      timedOut: (code === 124 || code === 137) && durationMs >= seconds * 1000,
      durationMs,
      hostDir,
      guestDir,
    };
  }

  get pid(): number | undefined {
    return this.qemu.pid;
  }

  async console(): Promise<string> {
    return readFile(this.consolePath, 'utf8').catch(() => '');
  }

  private async failure(message: string): Promise<Error> {
    const console = (await this.console()).split('\n').slice(-40).join('\n');
    return new Error(`${message}\n--- qemu stderr\n${this.stderr}--- console (tail)\n${console}`);
  }

  close(): Promise<void> {
    this.closing ??= this.shutdown();
    return this.closing;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  private async shutdown(): Promise<void> {
    if (!this.exitedNow) {
      this.qemu.stdin?.write('poweroff\n');
      const stopped = await Promise.race([
        this.exited.then(() => true),
        new Promise<false>((r) => setTimeout(r, 15_000, false).unref()),
      ]);
      if (!stopped) {
        this.kill();
        await this.exited;
      }
    }
    if (!this.keepShare) await rm(this.shareDir, { recursive: true, force: true });
  }

  /** SIGKILL to qemu's process group; close() still has to be called to clean up. */
  kill(): void {
    const pid = this.qemu.pid;
    if (pid === undefined || this.exitedNow) return;
    try {
      process.kill(-pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
}

/** Shell lines run before the boot script: NIC driver, addresses, host name. */
function networkSetup(options: BootOptions): string {
  const lines: string[] = [];
  const nics = options.nics ?? [];
  if (nics.length > 0) lines.push('modprobe virtio_net || exit 1');
  nics.forEach((nic, i) => {
    if (nic.address !== undefined) {
      if (!/^[0-9a-f.:]+\/\d+$/i.test(nic.address)) throw new Error(`bad address ${nic.address}`);
      lines.push(`ip addr add ${nic.address} dev eth${i} || exit 1`);
    }
    lines.push(`ip link set eth${i} up || exit 1`);
  });
  if (options.hostname !== undefined) {
    if (!/^[a-z0-9-]+$/i.test(options.hostname))
      throw new Error(`bad host name ${options.hostname}`);
    lines.push(`hostname ${options.hostname}`);
  }
  return lines.length === 0 ? '' : `${lines.join('\n')}\n`;
}

function randomMac(): string {
  const bytes = [0x52, 0x54, 0x00, ...randomBytes(3)];
  return bytes.map((b) => b.toString(16).padStart(2, '0')).join(':');
}

/**
 * The guest mounts fresh /tmp and /run; the project (and with it node_modules/node) must stay
 * visible when it lives under one of them, as a CI clone in /tmp does.
 */
function keepArguments(): string {
  const project = new URL('../../', import.meta.url).pathname.replace(/\/$/, '');
  const hidden = ['/tmp/', '/run/'].some((d) => project.startsWith(d));
  if (!hidden) return '';
  if (/\s/.test(project)) throw new Error(`the guest cannot keep a path with spaces: ${project}`);
  return ` ldts.keep=${project}`;
}
