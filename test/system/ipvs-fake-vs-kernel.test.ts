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

/**
 * Differences the fake still has, reported to its owner: each is one output line the fake
 * prints instead of the kernel's. The comparison forgives exactly these lines, and fails when
 * one of them is no longer printed (then delete it here), so nothing else can slip through.
 */
const KNOWN_FAKE_BUGS: { script: string; kernel: string; fake: string; why: string }[] = [
  ...['FWM  -1 rr', '-A -f -1 -s rr'].map((kernel) => ({
    script: '05-fwmark.sh',
    kernel,
    fake: kernel.replace('-1', '4294967295'),
    why: 'ipvsadm prints a firewall mark as a signed int',
  })),
  ...[
    'TCP  10.0.0.1:34 sh (sh-fallback,sh-port)',
    '-A -t 10.0.0.1:34 -s sh -b sh-fallback,sh-port',
  ].map((kernel) => ({
    script: '07-schedulers.sh',
    kernel,
    fake: kernel.replace('sh-port', 'sh-port,flag-3'),
    why: 'for sh, ipvsadm names only sh-fallback and sh-port, whatever else -b set',
  })),
];

/** Puts the kernel's line back wherever the fake printed a known bug; returns the bugs unseen. */
function forgiveKnownBugs(scriptName: string, fake: IpvsTranscript): string[] {
  const bugs = KNOWN_FAKE_BUGS.filter((b) => b.script === scriptName);
  const seen = new Set<(typeof bugs)[number]>();
  const forgive = (text: string): string =>
    text
      .split('\n')
      .map((line) => {
        const bug = bugs.find((b) => b.fake === line);
        if (!bug) return line;
        seen.add(bug);
        return bug.kernel;
      })
      .join('\n');
  for (const step of fake.steps) step.stdout = forgive(step.stdout);
  fake.finalTable = forgive(fake.finalTable);
  return bugs.filter((b) => !seen.has(b)).map((b) => `${b.fake} (${b.why})`);
}

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
    const unseen = forgiveKnownBugs(script.name, fake);
    const differences = diffTranscripts(kernel, fake);
    assert.ok(
      differences.length === 0,
      `the fake differs from the kernel in ${differences.length} place(s):\n` +
        differences.join('\n'),
    );
    assert.deepEqual(
      unseen,
      [],
      'known fake bugs no longer seen: remove them from KNOWN_FAKE_BUGS',
    );
  });
}
