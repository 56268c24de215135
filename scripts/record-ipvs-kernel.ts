// Records what the real ipvsadm and kernel answer to every command script in
// test/fixtures/ipvs-scripts/: boots a guest kernel with IPVS under qemu, runs each script
// through /usr/sbin/ipvsadm there, and writes one JSON transcript per script to
// test/fixtures/ipvs-kernel/. Needs root (the kernel image is readable by root only) and the
// Debian packages qemu-system-x86, linux-image-amd64, busybox-static and ipvsadm.
//
//   node scripts/record-ipvs-kernel.ts            every script
//   node scripts/record-ipvs-kernel.ts 11-restore.sh   only the named ones
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  IPVS_KERNEL_DIR,
  type IpvsTranscript,
  loadIpvsScripts,
  runScriptInGuest,
} from '../test/support/ipvs-scripts.ts';
import { bootGuest, checkGuestHost } from '../test/support/qemu-guest.ts';

export interface RecordedTranscript extends IpvsTranscript {
  kernel: string;
  ipvsadm: string;
}

const check = checkGuestHost();
if (!check.ok) {
  process.stderr.write(`cannot boot a guest: ${check.problems.join('; ')}\n`);
  process.exit(1);
}
const wanted = process.argv.slice(2);
const scripts = loadIpvsScripts().filter((s) => wanted.length === 0 || wanted.includes(s.name));
if (scripts.length === 0) {
  process.stderr.write(`no script matches ${wanted.join(' ')}\n`);
  process.exit(1);
}

const started = performance.now();
await using guest = await bootGuest({ host: check.host });
process.stdout.write(`guest booted in ${(guest.bootMs / 1000).toFixed(1)} s\n`);
const version = await guest.run('ipvsadm --version');
const ipvsadm = version.stdout.trim();
mkdirSync(IPVS_KERNEL_DIR, { recursive: true });
for (const script of scripts) {
  const transcript = await runScriptInGuest(guest, script);
  const recorded: RecordedTranscript = {
    kernel: check.host.kernel.release,
    ipvsadm,
    ...transcript,
  };
  const file = join(IPVS_KERNEL_DIR, script.name.replace(/\.sh$/, '.json'));
  writeFileSync(file, `${JSON.stringify(recorded, null, 2)}\n`);
  process.stdout.write(`${script.name}: ${transcript.steps.length} commands -> ${file}\n`);
}
process.stdout.write(`done in ${((performance.now() - started) / 1000).toFixed(1)} s\n`);
