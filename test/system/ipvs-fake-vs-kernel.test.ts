// The fake ipvsadm against the real one: every command script of test/fixtures/ipvs-scripts/
// runs through /usr/sbin/ipvsadm in a guest kernel with IPVS (one boot for all) and through the
// fake on the host (a fresh state file per script). Each command must print the same stdout and
// stderr and exit with the same status, and the tables must agree after each script.
// The guest's answers are also held against the recorded transcripts of
// test/fixtures/ipvs-kernel/ when the kernel and ipvsadm are the recorded versions.
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { guestPrerequisites, missingAsRoot } from '../support/guest-prerequisites.ts';
import {
  diffTranscripts,
  IPVS_KERNEL_DIR,
  type IpvsTranscript,
  loadIpvsScripts,
  runScriptInGuest,
  runScriptWithFake,
} from '../support/ipvs-scripts.ts';
import { bootGuest, type Guest } from '../support/qemu-guest.ts';

// LDTS_FAKE_IPVSADM points the comparison at another copy of the fake (one in progress).
const FAKE =
  process.env.LDTS_FAKE_IPVSADM ??
  new URL('../support/fake-ipvsadm/ipvsadm', import.meta.url).pathname;

const prerequisites = guestPrerequisites();
const skip = prerequisites.ok ? false : prerequisites.skip;
const scripts = loadIpvsScripts();

let guest: Guest | undefined;
let stateDir = '';
let ipvsadmVersion = '';
const kernelRuns = new Map<string, Promise<IpvsTranscript>>();

before(
  async () => {
    if (skip) return;
    if (!prerequisites.ok) throw new Error(missingAsRoot(prerequisites.problems));
    stateDir = await mkdtemp(join(tmpdir(), 'ldts-fake-ipvsadm-'));
    guest = await bootGuest({ host: prerequisites.host });
    ipvsadmVersion = (await guest.run('ipvsadm --version')).stdout.trim();
    // Queue every script now: the guest runs them one after another while the tests below
    // compare the ones already done.
    for (const script of scripts) {
      const run = runScriptInGuest(guest, script);
      run.catch(() => {}); // reported by the test that awaits it
      kernelRuns.set(script.name, run);
    }
  },
  { timeout: 240_000 },
);

after(async () => {
  await guest?.close();
  if (stateDir) await rm(stateDir, { recursive: true, force: true });
});

test('the guest boots a kernel with IPVS', { skip }, () => {
  assert.ok(guest, 'guest booted');
  assert.match(ipvsadmVersion, /^ipvsadm v\d/);
});

for (const script of scripts) {
  test(`kernel answers ${script.name} as recorded`, { skip }, async (t) => {
    const live = await kernelRuns.get(script.name)!;
    const recorded = JSON.parse(
      readFileSync(join(IPVS_KERNEL_DIR, script.name.replace(/\.sh$/, '.json')), 'utf8'),
    ) as IpvsTranscript & { kernel: string; ipvsadm: string };
    if (recorded.kernel !== guest!.host.kernel.release || recorded.ipvsadm !== ipvsadmVersion) {
      // Another kernel or ipvsadm may answer differently; the fake is still held to this one.
      t.diagnostic(
        `recorded with ${recorded.kernel} / ${recorded.ipvsadm}, running ` +
          `${guest!.host.kernel.release} / ${ipvsadmVersion}: not compared`,
      );
      return;
    }
    const differences = diffTranscripts(recorded, live, { expected: 'recorded', actual: 'live' });
    assert.ok(
      differences.length === 0,
      `the kernel no longer answers as recorded (re-record with scripts/record-ipvs-kernel.ts):\n` +
        differences.join('\n'),
    );
  });

  test(`fake ipvsadm answers ${script.name} like the kernel`, { skip }, async () => {
    assert.ok(existsSync(FAKE), `${FAKE} exists`);
    const kernel = await kernelRuns.get(script.name)!;
    const workDir = join(stateDir, script.name.replace(/\.sh$/, ''));
    await mkdir(workDir);
    const fake = await runScriptWithFake(FAKE, script, workDir);
    const differences = diffTranscripts(kernel, fake);
    assert.ok(
      differences.length === 0,
      `the fake differs from the kernel in ${differences.length} place(s):\n` +
        differences.join('\n'),
    );
  });
}
