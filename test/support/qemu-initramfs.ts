// The pieces a real-kernel guest needs from the host: a Debian kernel image with its modules,
// a static busybox, and an initramfs built from them at test time (never committed), cached
// under the temp dir keyed by kernel release and content.
//
// The initramfs holds busybox, the modules that 9p, overlayfs, the dummy interface and IPVS
// need (the dependency closure read from modules.dep, decompressed on the host so busybox
// insmod can load them), /init and the guest-side job driver. /init mounts the host's root
// read-only over virtio-9p under a tmpfs overlay and chroots into it: the guest sees the
// host's binaries (node, ipvsadm, heartbeat...) and can still write anywhere, /etc included.
import { createHash } from 'node:crypto';
import { accessSync, constants, existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { copyFile, mkdir, mkdtemp, open, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { gunzipSync, gzipSync, zstdDecompressSync } from 'node:zlib';
import { runCommand } from '../../src/lib/run-command.ts';

export interface GuestKernel {
  release: string;
  image: string;
  modulesDir: string;
}

export interface GuestHost {
  qemu: string;
  busybox: string;
  kernel: GuestKernel;
}

export type GuestHostCheck = { ok: true; host: GuestHost } | { ok: false; problems: string[] };

const QEMU_CANDIDATES = ['/usr/bin/qemu-system-x86_64', '/usr/local/bin/qemu-system-x86_64'];
const BUSYBOX_CANDIDATES = ['/bin/busybox', '/usr/bin/busybox'];

/** The guest loads every module here (with modprobe, in the chroot: kmod handles softdeps). */
const IPVS_MODULE_DIR = 'kernel/net/netfilter/ipvs';
/** Modules /init loads with busybox insmod before it can mount anything, plus dummy0. */
const BASE_MODULES = ['virtio_pci', '9pnet_virtio', '9p', 'overlay', 'dummy'];

/** Finds qemu, a static busybox and the newest kernel that has both an image and modules. */
export function checkGuestHost(): GuestHostCheck {
  const problems: string[] = [];
  if (process.arch !== 'x64') problems.push(`host architecture is ${process.arch}, not x64`);
  const qemu = QEMU_CANDIDATES.find((p) => existsSync(p));
  if (!qemu) problems.push('qemu-system-x86_64 not found (Debian package qemu-system-x86)');
  const busybox = BUSYBOX_CANDIDATES.find((p) => existsSync(p) && isStaticElf(p));
  if (!busybox) problems.push('no static busybox found (Debian package busybox-static)');
  const kernel = newestKernel();
  if (!kernel) problems.push('no kernel image with modules in /boot (package linux-image-amd64)');
  else if (!readable(kernel.image)) {
    problems.push(`kernel image ${kernel.image} is not readable (needs root)`);
  }
  if (!qemu || !busybox || !kernel || problems.length > 0) return { ok: false, problems };
  return { ok: true, host: { qemu, busybox, kernel } };
}

function newestKernel(): GuestKernel | undefined {
  let releases: string[];
  try {
    releases = readdirSync('/lib/modules');
  } catch {
    return undefined;
  }
  const usable = releases
    .filter(
      (r) =>
        existsSync(`/boot/vmlinuz-${r}`) &&
        existsSync(`/lib/modules/${r}/modules.dep`) &&
        existsSync(`/lib/modules/${r}/${IPVS_MODULE_DIR}`),
    )
    .sort(compareReleases);
  const release = usable.at(-1);
  if (!release) return undefined;
  return { release, image: `/boot/vmlinuz-${release}`, modulesDir: `/lib/modules/${release}` };
}

function compareReleases(a: string, b: string): number {
  const pa = a.split(/[.-]/).map((x) => Number.parseInt(x, 10) || 0);
  const pb = b.split(/[.-]/).map((x) => Number.parseInt(x, 10) || 0);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const d = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (d !== 0) return d;
  }
  return a.localeCompare(b);
}

function readable(path: string): boolean {
  try {
    accessSync(path, constants.R_OK);
    return true;
  } catch {
    return false;
  }
}

/** An ELF executable without a PT_INTERP program header needs no dynamic loader. */
function isStaticElf(path: string): boolean {
  let elf: Buffer;
  try {
    elf = readFileSync(path);
  } catch {
    return false;
  }
  if (elf.length < 64 || elf.readUInt32BE(0) !== 0x7f454c46 || elf[4] !== 2) return false;
  const phoff = Number(elf.readBigUInt64LE(0x20));
  const phentsize = elf.readUInt16LE(0x36);
  const phnum = elf.readUInt16LE(0x38);
  const PT_INTERP = 3;
  for (let i = 0; i < phnum; i++) {
    if (elf.readUInt32LE(phoff + i * phentsize) === PT_INTERP) return false;
  }
  return true;
}

export function defaultCacheDir(): string {
  return join(tmpdir(), `ldirectord-ts-qemu-${process.getuid?.() ?? 0}`);
}

/**
 * The kernel as an uncompressed ELF (vmlinux), which qemu boots directly through the PVH entry:
 * under emulation, unpacking the xz-compressed bzImage costs several seconds of every boot.
 * Falls back to the bzImage (undefined) when the kernel has no PVH entry or another format.
 */
export async function uncompressedKernel(
  kernel: GuestKernel,
  cacheDir = defaultCacheDir(),
): Promise<string | undefined> {
  const config = readOptional(`/boot/config-${kernel.release}`);
  if (!/^CONFIG_PVH=y$/m.test(config)) return undefined;
  const target = join(cacheDir, `vmlinux-${kernel.release}`);
  if (existsSync(target)) return target;
  const image = await readFile(kernel.image);
  const XZ_MAGIC = Buffer.from([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00]);
  const start = image.indexOf(XZ_MAGIC);
  if (start < 0) return undefined;
  await mkdir(cacheDir, { recursive: true });
  const work = await mkdtemp(join(cacheDir, 'vmlinux-'));
  try {
    await writeFile(join(work, 'payload.xz'), image.subarray(start));
    // --single-stream: the bzImage has more bytes after the xz stream.
    const r = await runCommand('xz', ['-d', '--single-stream', join(work, 'payload.xz')], {
      timeoutMs: 120_000,
    });
    if (r.code !== 0) return undefined;
    const elf = join(work, 'payload');
    const head = Buffer.alloc(4);
    const file = await open(elf);
    await file.read(head, 0, 4, 0);
    await file.close();
    if (head.readUInt32BE(0) !== 0x7f454c46) return undefined;
    await rename(elf, target);
    return target;
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

/** Module paths (relative to the modules dir) in an order insmod accepts: dependencies first. */
export function moduleLoadOrder(kernel: GuestKernel): string[] {
  const dep = new Map<string, string[]>();
  for (const line of readFileSync(join(kernel.modulesDir, 'modules.dep'), 'utf8').split('\n')) {
    const colon = line.indexOf(':');
    if (colon < 0) continue;
    const deps = line.slice(colon + 1).trim();
    dep.set(line.slice(0, colon), deps === '' ? [] : deps.split(/\s+/));
  }
  const byName = new Map<string, string>();
  for (const path of dep.keys()) byName.set(moduleName(path), path);
  const builtin = new Set(
    readOptional(join(kernel.modulesDir, 'modules.builtin'))
      .split('\n')
      .filter(Boolean)
      .map(moduleName),
  );

  const roots: string[] = [];
  for (const name of BASE_MODULES) {
    const path = byName.get(name);
    if (path) roots.push(path);
    else if (!builtin.has(name)) throw new Error(`kernel ${kernel.release} has no module ${name}`);
  }
  const order: string[] = [];
  const seen = new Set<string>();
  for (const root of roots) {
    // modules.dep lists the full closure, the deepest dependency last.
    const closure = [...(dep.get(root) ?? [])].reverse();
    for (const path of [...closure, root]) {
      if (seen.has(path)) continue;
      seen.add(path);
      order.push(path);
    }
  }
  return order;
}

function moduleName(path: string): string {
  return basename(path)
    .replace(/\.ko(\.(xz|zst|gz))?$/, '')
    .replaceAll('-', '_');
}

function readOptional(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return '';
  }
}

async function readModule(path: string): Promise<Buffer> {
  if (path.endsWith('.ko')) return readFile(path);
  if (path.endsWith('.ko.gz')) return gunzipSync(await readFile(path));
  if (path.endsWith('.ko.zst')) return zstdDecompressSync(await readFile(path));
  if (path.endsWith('.ko.xz')) {
    // xz is not in node:zlib: decompress a copy in a private temp dir with the xz tool.
    const dir = await mkdtemp(join(tmpdir(), 'ldts-module-'));
    try {
      const copy = join(dir, basename(path));
      await copyFile(path, copy);
      const r = await runCommand('xz', ['-d', copy], { timeoutMs: 30_000 });
      if (r.code !== 0) throw new Error(`cannot decompress ${path}: ${r.stderr || r.spawnError}`);
      return await readFile(copy.slice(0, -'.xz'.length));
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }
  throw new Error(`unknown module format: ${path}`);
}

// ---- cpio "newc" archive, the format the kernel unpacks as initramfs ----

interface CpioEntry {
  name: string;
  mode: number;
  data?: Buffer;
}

function cpioNewc(entries: CpioEntry[]): Buffer {
  const parts: Buffer[] = [];
  let offset = 0;
  const push = (b: Buffer): void => {
    parts.push(b);
    offset += b.length;
  };
  const pad = (): void => {
    const extra = (4 - (offset % 4)) % 4;
    if (extra) push(Buffer.alloc(extra));
  };
  const hex = (n: number): string => n.toString(16).padStart(8, '0');
  let ino = 1;
  for (const entry of [...entries, { name: 'TRAILER!!!', mode: 0 }]) {
    const data = entry.data ?? Buffer.alloc(0);
    const name = Buffer.from(`${entry.name}\0`);
    const fields = [ino++, entry.mode, 0, 0, 1, 0, data.length, 0, 0, 0, 0, name.length, 0];
    push(Buffer.from(`070701${fields.map(hex).join('')}`, 'ascii'));
    push(name);
    pad();
    push(data);
    pad();
  }
  return Buffer.concat(parts);
}

const DIR = 0o040755;
const EXEC = 0o100755;
const FILE = 0o100644;

export interface InitramfsScripts {
  init: string;
  driver: string;
}

/**
 * Builds (or reuses) the initramfs for this kernel and these scripts; returns its path.
 * Safe when several test processes build at once: each writes a temp file and renames it.
 */
export async function buildInitramfs(
  host: GuestHost,
  scripts: InitramfsScripts,
  cacheDir = defaultCacheDir(),
): Promise<string> {
  const order = moduleLoadOrder(host.kernel);
  const busyboxStat = statSync(host.busybox);
  const key = createHash('sha256')
    .update(JSON.stringify([order, scripts, busyboxStat.size, busyboxStat.mtimeMs]))
    .digest('hex')
    .slice(0, 16);
  const target = join(cacheDir, `initramfs-${host.kernel.release}-${key}.cpio.gz`);
  if (existsSync(target)) return target;

  const entries: CpioEntry[] = [];
  for (const dir of ['bin', 'dev', 'proc', 'sys', 'modules', 'lower', 'rw', 'newroot']) {
    entries.push({ name: dir, mode: DIR });
  }
  entries.push({ name: 'bin/busybox', mode: EXEC, data: await readFile(host.busybox) });
  entries.push({ name: 'init', mode: EXEC, data: Buffer.from(scripts.init) });
  entries.push({ name: 'driver.sh', mode: FILE, data: Buffer.from(scripts.driver) });
  const names: string[] = [];
  for (const path of order) {
    const name = moduleName(path);
    names.push(name);
    const data = await readModule(join(host.kernel.modulesDir, path));
    entries.push({ name: `modules/${name}.ko`, mode: FILE, data });
  }
  entries.push({ name: 'modules/order', mode: FILE, data: Buffer.from(`${names.join('\n')}\n`) });

  await mkdir(cacheDir, { recursive: true });
  const temp = `${target}.${process.pid}.tmp`;
  await writeFile(temp, gzipSync(cpioNewc(entries), { level: 1 }));
  await rename(temp, target);
  return target;
}
