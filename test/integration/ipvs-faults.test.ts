// ipvsadm misbehaving, as the log shows it (docs/compatibility.md, "ipvsadm misbehaving"): the
// monitor with the real applier and the fake ipvsadm, faults injected through its state file. A
// hung ipvsadm, a -R batch that stops half way with exit 1, a listing cut short, garbage in a
// listing, a command that took effect and still reported an error: each fault gets one log line
// saying what happened, which command, and what ipvsadm said (printable and bounded), and every
// change to the table gets the original's line, once.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { IpvsadmBackend, READ_INPUT } from '../../src/ipvs/backend.ts';
import { planIpvs } from '../../src/ipvs/plan.ts';
import { Monitor } from '../../src/monitor/monitor.ts';
import { systemClock } from '../../src/monitor/clock.ts';
import { eventually } from '../support/daemon-harness.ts';
import {
  makeConfig,
  makeReal,
  makeVirtual,
  RecordingLogger,
  ScriptedCheckers,
} from '../support/monitor-fixtures.ts';

const FAKE = new URL('../support/fake-ipvsadm/ipvsadm', import.meta.url).pathname;
const dirs: string[] = [];
const monitors: Monitor[] = [];
after(async () => {
  for (const m of monitors) await m.stop();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

const A = '127.0.9.2';
const B = '127.0.9.3';
const C = '127.0.9.4';
const VIRTUAL = '10.9.9.1:80';
const virtual = makeVirtual({
  address: '10.9.9.1',
  written: VIRTUAL,
  checkinterval: 1,
  reals: [makeReal(A, 80), makeReal(B, 80), makeReal(C, 80)],
});
/** The table once every real is up, as `ipvsadm -S -n` prints it. */
const ALL_UP = [
  '-A -t 10.9.9.1:80 -s wrr',
  `-a -t 10.9.9.1:80 -r ${A}:80 -m -w 1`,
  `-a -t 10.9.9.1:80 -r ${B}:80 -m -w 1`,
  `-a -t 10.9.9.1:80 -r ${C}:80 -m -w 1`,
];

/** A monitor over the fake ipvsadm, its table seeded with `seed` (ipvsadm -R lines). */
function setUp(seed: string[], timeoutMs = 20_000) {
  const dir = mkdtempSync(join(tmpdir(), 'ipvs-faults-'));
  dirs.push(dir);
  const env = { ...process.env, FAKE_IPVSADM_STATE: join(dir, 'state.json') };
  writeFileSync(env.FAKE_IPVSADM_STATE, JSON.stringify({ services: [] }));
  const r = spawnSync(FAKE, ['-R'], { input: seed.map((l) => `${l}\n`).join(''), env });
  assert.equal(r.status, 0, String(r.stderr));
  const logger = new RecordingLogger();
  const backend = new IpvsadmBackend({
    path: FAKE,
    timeoutMs,
    env,
    onFault: (message, fields) => logger.error(message, fields),
  });
  const checkers = new ScriptedCheckers(() => Date.now());
  for (const real of [A, B, C]) checkers.set(real, true);
  const monitor = new Monitor({
    config: makeConfig([virtual]),
    backend,
    planner: planIpvs,
    checkers,
    clock: systemClock,
    logger,
    // Longer than the check interval: the reals taken down at once go in one batch.
    coalesceMs: 1100,
    retryInitialMs: 200,
    retryMaxMs: 400,
  });
  monitors.push(monitor);
  return {
    logger,
    checkers,
    monitor,
    table(): string[] {
      const out = spawnSync(FAKE, ['-S', '-n'], { env, encoding: 'utf8' }).stdout;
      return out.split('\n').filter(Boolean);
    },
    setFaults(faults: object[]): void {
      const state = JSON.parse(readFileSync(env.FAKE_IPVSADM_STATE, 'utf8')) as object;
      writeFileSync(env.FAKE_IPVSADM_STATE, JSON.stringify({ ...state, faults }));
    },
    /** What a read prints for the table `lines` (for cutting it short). */
    readOutput(lines: string[]): string {
      const scratch = join(dir, 'measure.json');
      const e = { ...env, FAKE_IPVSADM_STATE: scratch };
      spawnSync(FAKE, ['-R'], { input: lines.map((l) => `${l}\n`).join(''), env: e });
      return spawnSync(FAKE, ['-R'], { input: READ_INPUT, env: e, encoding: 'utf8' }).stdout;
    },
  };
}

type Setup = ReturnType<typeof setUp>;

/**
 * Starts on the full table with every real up, injects `faults`, takes `down` down (in one
 * batch: the coalescing window is longer than the check interval), and waits until the table
 * is the rest, then a little longer for retries that should not come.
 */
async function scenario(h: Setup, faults: object[], down: string[]): Promise<void> {
  await h.monitor.start();
  await eventually(
    () => h.checkers.calls.length >= 3 && h.table().length === ALL_UP.length,
    () => `a steady start:\n${h.logger.messages().join('\n')}`,
  );
  const steady = h.logger.lines.length;
  h.setFaults(faults);
  for (const real of down) h.checkers.set(real, false);
  const want = ALL_UP.filter((l) => !down.some((real) => l.includes(real))).sort();
  await eventually(
    () => JSON.stringify(h.table().sort()) === JSON.stringify(want),
    () => `the table to converge; log:\n${h.logger.messages().join('\n')}`,
    20_000,
  );
  await new Promise((r) => setTimeout(r, 1500));
  await h.monitor.stop();
  // Only what happened from the faults on counts.
  h.logger.lines.splice(0, steady);
}

function faultLines(h: Setup): string[] {
  return h.logger.messages('error');
}

/** The one fault line logged (failing with the whole log otherwise). */
function oneFault(h: Setup): string {
  const faults = faultLines(h);
  assert.equal(faults.length, 1, `one fault line; the log:\n${h.logger.messages().join('\n')}`);
  return faults[0]!;
}

/** Every message one line of printable text, bounded; every real taken down logged once. */
function assertClean(h: Setup, down: string[]): void {
  const messages = h.logger.messages();
  for (const m of messages) {
    assert.doesNotMatch(
      m,
      /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/,
      `raw control character in ${JSON.stringify(m)}`,
    );
    assert.ok(m.length <= 600, `a bounded line (${m.length} characters): ${m.slice(0, 200)}...`);
  }
  for (const real of down) {
    const line = `Deleted real server: ${real}:80 (${VIRTUAL})`;
    assert.equal(messages.filter((m) => m === line).length, 1, `${line}\n${messages.join('\n')}`);
  }
}

const only = (real: string): string => real.replaceAll('.', '\\.');

test('a hung ipvsadm: one line saying it was killed', async () => {
  // Long enough that the reads after it finish in time on a loaded machine.
  const h = setUp(ALL_UP, 5000);
  await scenario(h, [{ match: `-r ${only(B)}:`, hang: true, times: 1 }], [B, C]);
  assert.match(
    oneFault(h),
    /^ipvsadm -R \(2 commands\) did not finish within 5000 ms and was killed/,
  );
  assertClean(h, [B, C]);
});

test('a batch applied in part, exit 1: one line with the status and what ipvsadm said', async () => {
  const h = setUp(ALL_UP);
  const fault = { fatal: 'Memory allocation problem', exitCode: 1, times: 1 };
  await scenario(h, [{ match: `-r ${only(C)}:`, ...fault }], [B, C]);
  assert.match(
    oneFault(h),
    /^ipvsadm -R \(2 commands\) exited with status 1: "Memory allocation problem"/,
  );
  assertClean(h, [B, C]);
});

for (const [name, cut] of [
  ['in the middle of a line', 25],
  ['at the end of a line', 'line'],
] as const) {
  test(`a listing cut short ${name}: one line, the table read again`, async () => {
    const h = setUp(ALL_UP);
    const full = h.readOutput(ALL_UP.filter((l) => !l.includes(B)));
    // The thresholds listing ends with a real's line: cut into it, or drop it whole.
    const at = cut === 'line' ? full.lastIndexOf('\n', full.length - 2) + 1 : full.length - cut;
    await scenario(h, [{ match: '^-L -n --thresholds$', truncateOutput: at, times: 1 }], [B]);
    assert.match(oneFault(h), /^ipvsadm -R \(1 command\) .*cut short/);
    assert.ok(!h.logger.messages().some((m) => m.startsWith('system(')), 'no command failed');
    assertClean(h, [B]);
  });
}

test('garbage in a listing: one printable line, bounded', async () => {
  const h = setUp(ALL_UP);
  const garbage = `\u0007\u001b[2J\r\nTCP  rm -rf /\u0000\u0085\u2028 ${'\u00ff'.repeat(5000)}\n\u000b\u000c\n`;
  await scenario(h, [{ match: '^-L -n --thresholds$', garbageOutput: garbage, times: 1 }], [B]);
  assert.match(oneFault(h), /^ipvsadm -R \(1 command\) gave a listing that cannot be read/);
  assertClean(h, [B]);
});

test('a delete that took effect despite an error: "Deleted real server" and a fault line', async () => {
  const h = setUp(ALL_UP);
  const match = `^-d .*-r ${only(B)}:`;
  // In the batch the kernel refuses it; alone, it applies and still complains.
  await scenario(
    h,
    [
      { match, error: 'Memory allocation problem', times: 1 },
      { match, errorAfter: 'No such destination', times: 1 },
    ],
    [B],
  );
  const messages = h.logger.messages();
  assert.ok(
    faultLines(h).some((f) =>
      /^ipvsadm -d -t 10\.9\.9\.1:80 -r 127\.0\.9\.3:80 said "No such destination", yet it took effect/.test(
        f,
      ),
    ),
    messages.join('\n'),
  );
  assert.ok(!messages.some((m) => m.startsWith('system(')), messages.join('\n'));
  assertClean(h, [B]);
});

test('a delete that took effect despite an error, in the batch', async () => {
  const h = setUp(ALL_UP);
  await scenario(
    h,
    [{ match: `^-d .*-r ${only(B)}:`, errorAfter: 'No such destination', times: 1 }],
    [B],
  );
  assert.match(oneFault(h), /^ipvsadm -R \(1 command\) said "No such destination"/);
  assertClean(h, [B]);
});

test('a delete whose batch could not be read back, nor the table after it: logged once read', async () => {
  const h = setUp(ALL_UP);
  // The batch's own listing and the read after it are garbage; the retry reads the table.
  const fault = { match: '^-L -n --thresholds$', garbageOutput: 'garbage\n', times: 2 };
  await scenario(h, [fault], [B]);
  const faults = faultLines(h);
  assert.equal(faults.length, 2, h.logger.messages().join('\n'));
  assert.match(faults[0]!, /^ipvsadm -R \(1 command\) gave a listing that cannot be read/);
  assert.match(faults[1]!, /^IPVS apply failed \(entries\): could not read the IPVS table/);
  assertClean(h, [B]);
});
