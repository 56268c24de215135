// The man page documents every action, option, subcommand and exit code of the program, and
// renders without groff warnings. (The directive section is generated and checked elsewhere.)
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { doctorCommand } from '../../src/cli/doctor.ts';
import { USAGE_TEXT } from '../../src/cli/legacy.ts';
import { ACTIONS } from '../../src/daemon/actions.ts';

const page = readFileSync(new URL('../../man/ldirectord-ts.8', import.meta.url), 'utf8');
/** The page as a reader sees it: roff escapes for hyphens and fonts removed. */
const text = page.replace(/\\-/g, '-').replace(/\\f[BIRP]/g, '');

function section(name: string): string {
  const start = text.indexOf(`.SH ${name}\n`);
  assert.ok(start >= 0, `section ${name}`);
  const end = text.indexOf('\n.SH ', start + 1);
  return text.slice(start, end < 0 ? undefined : end);
}

test('every action of the command line has an entry', () => {
  const actions = section('ACTIONS');
  for (const action of ACTIONS)
    assert.match(actions, new RegExp(`^\\.(B|BR) .*\\b${action}\\b`, 'm'), action);
});

test('every option and subcommand has an entry', () => {
  const options = section('OPTIONS');
  for (const option of [
    '-d',
    '--debug',
    '-h',
    '--help',
    '-v',
    '--version',
    '--pid-dir',
    '--ipvsadm',
    '--log-format',
    '--dry-run',
  ]) {
    assert.ok(options.includes(option), option);
  }
  // Every long option the usage text explains (a line `    --name ...:`) is in the man page.
  const explained = [...USAGE_TEXT.matchAll(/^ {4}(--[a-z-]+)\b[^\n]*:/gm)].map((m) => m[1]!);
  assert.ok(explained.length >= 4, `usage options found: ${explained.join(' ')}`);
  for (const option of explained)
    assert.ok(options.includes(option), `${option} (from the usage text)`);
  const commands = section('COMMANDS');
  for (const command of ['check', 'plan', 'doctor', '--json', '--down', '--real-server'])
    assert.ok(commands.includes(command), command);
});

test('every option of doctor is in the usage text and the man page', () => {
  const io = { stdout: { write: () => true }, stderr: { write: () => true } };
  const longs = doctorCommand(io).options.map((o) => o.long!);
  assert.ok(longs.length >= 8, longs.join(' '));
  const options = section('OPTIONS');
  for (const option of longs) {
    assert.ok(options.includes(option), `${option} (man page OPTIONS)`);
    assert.ok(USAGE_TEXT.includes(option), `${option} (usage text)`);
  }
});

test('every exit status is explained', () => {
  const exits = section('EXIT STATUS');
  for (const code of ['0', '1', '2', '3', '255'])
    assert.match(exits, new RegExp(`^\\.B ${code}$`, 'm'), code);
});

test('signals, files and environment are documented', () => {
  for (const signal of ['SIGHUP', 'SIGTERM', 'SIGUSR1'])
    assert.ok(section('SIGNALS').includes(signal), signal);
  assert.ok(section('FILES').includes('ldirectord.'));
  assert.ok(section('ENVIRONMENT').includes('LDIRECTORD_IPVSADM'));
});

test(
  'groff renders the page without warnings',
  { skip: spawnSync('groff', ['-v']).error ? 'groff is not installed' : false },
  () => {
    const r = spawnSync(
      'groff',
      [
        '-man',
        '-Tutf8',
        '-ww',
        '-z',
        new URL('../../man/ldirectord-ts.8', import.meta.url).pathname,
      ],
      {
        encoding: 'utf8',
        env: { ...process.env, LC_ALL: 'C.UTF-8' },
      },
    );
    assert.equal(r.status, 0);
    assert.equal(r.stderr, '');
  },
);
