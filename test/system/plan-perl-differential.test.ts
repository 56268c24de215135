// Black-box differential of `ldirectord-ts plan` against the Perl original, over the corpus of
// valid configs: `ldirectord-ts plan x.cf | ipvsadm -R` must build the table the original
// settles to after start-up with the same file (run as `ldirectord -d <cfg> start` in a scratch
// folder whose ./ipvsadm is the project's fake). checktype=on and off make the outcome
// independent of timing. Where we differ on purpose the case says so and names the row of
// docs/compatibility.md (§ numbers: docs/ldirectord-behavior.md).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { loadConfig } from '../../src/config/load.ts';
import { PerlLdirectord, perlUnavailableReason } from '../support/perl-ldirectord.ts';

const root = new URL('../../', import.meta.url).pathname;
const FAKE = join(root, 'test/support/fake-ipvsadm/ipvsadm');
const CORPUS = join(root, 'test/fixtures/configs/valid');
const unavailable = perlUnavailableReason();
if (unavailable) process.stdout.write(`# skipping the Perl differential: ${unavailable}\n`);

/** Deliberate differences: the config, what differs, and the compatibility row. */
const DIFFERENT: Record<string, string> = {
  '11-weights-thresholds.cf':
    'a real with l: above its u: (or l: alone) is refused by the 6.1 kernel, so the original never adds it; ours sends the lower threshold capped at the upper one: docs/compatibility.md, "A lower threshold without an upper one"',
  '42-u-before-l.cf':
    'the original drops u: written before l: (§6 item 11); ours keeps both: docs/compatibility.md, "u: before l:"',
  '48-odd-real-lines.cf':
    'the real with l:4 and no u: is refused by the kernel under the original; docs/compatibility.md, "A lower threshold without an upper one"',
  '50-persistent-zero.cf':
    'ipvsadm refuses -p 0, so the original never creates the virtual service; ours creates it without persistence: docs/compatibility.md, "persistent=0"',
};

interface Selected {
  file: string;
  why?: string;
}

/** Configs whose outcome does not depend on timing and whose run sends nothing off the machine. */
async function corpus(): Promise<Selected[]> {
  const selected: Selected[] = [];
  for (const name of readdirSync(CORPUS)
    .filter((f) => f.endsWith('.cf'))
    .sort()) {
    const { config } = await loadConfig(join(CORPUS, name), { fileChecks: 'none' });
    if (!config || config.virtuals.length === 0) continue;
    const timingFree = config.virtuals.every((v) => v.checktype === 'on' || v.checktype === 'off');
    // execute= would start sub-instances; e-mail would go through the local MTA.
    const sideEffects =
      config.global.execute.length > 0 ||
      config.virtuals.some((v) => v.emailalert !== '' || v.smtp);
    if (timingFree && !sideEffects) selected.push({ file: name, why: DIFFERENT[name] });
  }
  return selected;
}

function fake(args: string[], state: string, input?: string): string {
  const r = spawnSync(FAKE, args, {
    input,
    env: { ...process.env, FAKE_IPVSADM_STATE: state },
    encoding: 'utf8',
  });
  return r.stdout + r.stderr;
}

function tableOf(state: string): string {
  return `${fake(['-S', '-n'], state)}--thresholds\n${fake(['-L', '-n', '--thresholds'], state)}`;
}

/** Runs the original until its ipvsadm calls stop for a while, and returns its table. */
async function perlTable(file: string): Promise<{ table: string; rejected?: string }> {
  const log = join(mkdtempSync(join(tmpdir(), 'plan-diff-log-')), 'calls.jsonl');
  const perl = PerlLdirectord.start({
    config: readFileSync(join(CORPUS, file), 'utf8'),
    ipvsadm: FAKE,
    env: { FAKE_IPVSADM_LOG: log },
  });
  try {
    let lastSize = -1;
    let quietSince = Date.now();
    const deadline = Date.now() + 60_000;
    for (;;) {
      await new Promise((r) => setTimeout(r, 250));
      if (/^Error \[\d+\] reading file/m.test(perl.log)) {
        return { table: '', rejected: perl.messages.find((l) => l.startsWith('Error')) };
      }
      let size = 0;
      try {
        size = statSync(log).size;
      } catch {
        // no call yet
      }
      if (size !== lastSize) {
        lastSize = size;
        quietSince = Date.now();
      } else if (size > 0 && Date.now() - quietSince > 2000) {
        break;
      }
      assert.ok(Date.now() < deadline, `the original did not settle:\n${perl.log}`);
    }
    return { table: tableOf(join(perl.dir, 'ipvsadm.state.json')) };
  } finally {
    await perl.stop();
    rmSync(join(log, '..'), { recursive: true, force: true });
  }
}

function oursTable(file: string): string {
  const plan = spawnSync(
    process.execPath,
    [join(root, 'bin/ldirectord-ts'), 'plan', join(CORPUS, file)],
    {
      encoding: 'utf8',
    },
  );
  assert.equal(plan.status, 0, plan.stderr);
  const dir = mkdtempSync(join(tmpdir(), 'plan-diff-ours-'));
  try {
    const state = join(dir, 'state.json');
    const restore = fake(['-R'], state, plan.stdout);
    assert.equal(restore, '', `ipvsadm -R refused part of the plan:\n${restore}\n${plan.stdout}`);
    return tableOf(state);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const selected = unavailable ? [] : await corpus();

test('the differential covers at least 30 configs', { skip: unavailable }, () => {
  assert.ok(selected.length >= 30, `${selected.length} configs selected`);
});

describe(
  'plan | ipvsadm -R builds the table the Perl original settles to',
  {
    concurrency: 4,
  },
  () => {
    for (const { file, why } of selected) {
      test(file, async () => {
        const [perl, ours] = await Promise.all([perlTable(file), Promise.resolve(oursTable(file))]);
        if (why) {
          const differs = perl.rejected !== undefined || perl.table !== ours;
          assert.ok(differs, `expected a deliberate difference (${why}), but the tables agree`);
          process.stdout.write(`# ${file}: differs on purpose: ${why}\n`);
          return;
        }
        assert.equal(perl.rejected, undefined, `the original rejects ${file}: ${perl.rejected}`);
        assert.equal(ours, perl.table);
      });
    }
  },
);
