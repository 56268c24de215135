// What `check` and docs/compatibility.md say the Perl original does, against the original:
// it runs with the fake ipvsadm, and its final table is read from the fake's state file.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { runCheck } from '../../src/cli/check.ts';
import { run as runPlan } from '../../src/cli/plan.ts';
import { PerlLdirectord, perlUnavailableReason } from '../support/perl-ldirectord.ts';

const skip = perlUnavailableReason();
const FAKE_IPVSADM = new URL('../support/fake-ipvsadm/ipvsadm', import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), 'check-claims-'));
after(() => rmSync(dir, { recursive: true, force: true }));

interface Destination {
  address: string;
  port: number;
  forward: string;
  weight: number;
}

/** The Perl original on `config` until `settled` holds for its monitorfile; its table then. */
async function perlTable(
  name: string,
  config: string,
  settled: (entries: { realIdText: string }[]) => boolean,
): Promise<Map<string, Destination[]>> {
  const state = join(dir, `${name}.json`);
  const perl = PerlLdirectord.start({
    config,
    ipvsadm: FAKE_IPVSADM,
    env: { FAKE_IPVSADM_STATE: state },
  });
  try {
    await perl.waitForMonitor('{{DIR}}/monitor.log', settled, 30_000);
    // Read before it stops: its clean stop empties the table.
    const table = JSON.parse(readFileSync(state, 'utf8')) as {
      services: Array<{ address: string; port: number; destinations: Destination[] }>;
    };
    return new Map(table.services.map((s) => [`${s.address}:${s.port}`, s.destinations]));
  } finally {
    await perl.stop();
  }
}

/** What ldirectord-ts says of `config`: check's text and the plan's ipvsadm -R lines. */
async function ours(name: string, config: string, down: boolean): Promise<[string, string[]]> {
  const file = join(dir, `${name}.cf`);
  writeFileSync(file, config.replaceAll('{{DIR}}', dir));
  let checked = '';
  let planned = '';
  const sink = (add: (t: string) => void) => ({
    stdout: { write: (t: string) => add(t) },
    stderr: { write: (t: string) => add(t) },
  });
  await runCheck(
    [file],
    sink((t) => (checked += t)),
  );
  assert.equal(
    await runPlan(
      [...(down ? ['--down'] : []), file],
      sink((t) => (planned += t)),
    ),
    0,
    planned,
  );
  return [checked, planned.split('\n').filter((l) => l.startsWith('-a'))];
}

test(
  'a real listed twice with other weights: check says which weight the original ends with',
  { skip },
  async () => {
    const config = [
      'checkinterval=1',
      'virtual=10.9.9.9:80',
      '\treal=127.0.0.2:80 masq 1',
      '\treal=127.0.0.2:80 masq 5',
      '\tchecktype=external',
      '\tcheckcommand=/bin/true',
      '\tmonitorfile="{{DIR}}/monitor.log"',
      '',
    ].join('\n');
    // Two passes of both reals: the start-up sequence is over.
    const table = await perlTable('duplicate', config, (e) => e.length >= 4);
    const [entry, ...more] = table.get('10.9.9.9:80')!;
    assert.deepEqual(more, [], 'one entry for both lines');
    assert.equal(entry!.weight, 5, 'the original ends with the last line');

    const [checked, added] = await ours('duplicate', config, false);
    assert.deepEqual(added, ['-a -t 10.9.9.9:80 -x 0 -y 0 -r 127.0.0.2:80 -m -w 1']);
    assert.match(
      checked,
      /already listed at line 3 \(masq, weight 1\); this line says masq, weight 5/,
    );
    assert.match(checked, /the Perl original ends with the last line's \(masq, weight 5\)/);
  },
);

test(
  'a real shared by virtuals whose lines differ, down from an empty table, quiescent: the original quiesces it in the last virtual only',
  { skip },
  async () => {
    const virtual = (i: number) => [
      `virtual=10.9.9.${i}:80`,
      `\treal=127.0.0.2:80 masq ${i}`,
      '\tchecktype=external',
      '\tcheckcommand=/bin/false',
      '\tmonitorfile="{{DIR}}/monitor.log"',
    ];
    const config = ['checkinterval=1', 'quiescent=yes', ...[1, 2, 3].flatMap(virtual), ''].join(
      '\n',
    );
    // Each virtual's real checked down twice: its first check has had its effect.
    const table = await perlTable('shared', config, (e) =>
      [1, 2, 3].every((i) => e.filter((x) => x.realIdText.includes(` ${i} masq`)).length >= 2),
    );
    assert.deepEqual(table.get('10.9.9.1:80'), []);
    assert.deepEqual(table.get('10.9.9.2:80'), []);
    assert.deepEqual(
      table.get('10.9.9.3:80')!.map((d) => [d.address, d.port, d.weight]),
      [['127.0.0.2', 80, 0]],
    );

    const [, added] = await ours('shared', config, true);
    assert.deepEqual(added, [
      '-a -t 10.9.9.1:80 -r 127.0.0.2:80 -m -w 0',
      '-a -t 10.9.9.2:80 -r 127.0.0.2:80 -m -w 0',
      '-a -t 10.9.9.3:80 -r 127.0.0.2:80 -m -w 0',
    ]);
  },
);
