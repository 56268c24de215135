// Whether this machine can run the real-kernel tier, for test/system/*.test.ts.
// As root (CI) the Debian packages are installable, so anything missing is a failure: run
// test/setup/setup.sh. Elsewhere the tier skips and says why.
import { existsSync } from 'node:fs';
import { checkGuestHost, type GuestHost } from './qemu-initramfs.ts';

export const REAL_IPVSADM = '/usr/sbin/ipvsadm';

export type GuestPrerequisites =
  { ok: true; host: GuestHost } | { ok: false; skip: string | false; problems: string[] };

export function guestPrerequisites(): GuestPrerequisites {
  const check = checkGuestHost();
  const problems = check.ok ? [] : [...check.problems];
  if (!existsSync(REAL_IPVSADM)) problems.push(`${REAL_IPVSADM} missing (Debian package ipvsadm)`);
  if (check.ok && problems.length === 0) return { ok: true, host: check.host };
  const root = process.getuid?.() === 0;
  return {
    ok: false,
    skip: root ? false : `real-kernel tier needs root: ${problems.join('; ')}`,
    problems,
  };
}

/** The message a root run fails with when something is missing. */
export function missingAsRoot(problems: string[]): string {
  return `real-kernel tier cannot run: ${problems.join('; ')} (run test/setup/setup.sh as root)`;
}
