// systemd (packaging/ldirectord-ts.service): no systemd runs here, so the unit's contract is
// tested the way systemd would use it for Type=forking. Its ExecStart= runs to completion and
// must exit 0 only once the process named in PIDFile= exists (systemd reads the file right
// then); ExecReload= signals that process; ExecStop= must return only once it is gone (systemd
// then kills whatever is left, which would cut a clean stop short); a broken config fails
// ExecStart and ExecReload and changes nothing. The lines are the unit's own, adapted to a
// scratch folder: the program path, a config argument named "ldirectord" (so the pid file keeps
// the unit's name, ldirectord.ldirectord.pid, without writing /etc/ha.d/ldirectord.cf) and the
// pid folder in Environment= (LDIRECTORD_TS_PID_DIR). `systemd-analyze verify` checks the unit.
// Real server: a TCP listener on 127.0.5.85 (checktype=connect); IPVS: the fake ipvsadm.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { basename } from 'node:path';
import { after, before, test } from 'node:test';
import { alive, DaemonScratch, eventually, Switchable } from '../support/daemon-harness.ts';
import { BIN } from '../support/ldts.ts';

const root = new URL('../../', import.meta.url).pathname;
const UNIT = `${root}packaging/ldirectord-ts.service`;
const INSTALLED = '/usr/sbin/ldirectord-ts';

/** The unit file: section -> key -> values (a key may repeat). */
function parseUnit(text: string): Map<string, Map<string, string[]>> {
  const sections = new Map<string, Map<string, string[]>>();
  let current: Map<string, string[]> | undefined;
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#') || line.startsWith(';')) continue;
    const section = /^\[(.+)\]$/.exec(line);
    if (section) {
      current = new Map();
      sections.set(section[1]!, current);
      continue;
    }
    const eq = line.indexOf('=');
    assert.ok(current && eq > 0, `not a unit line: ${line}`);
    const key = line.slice(0, eq).trim();
    current.set(key, [...(current.get(key) ?? []), line.slice(eq + 1).trim()]);
  }
  return sections;
}

const unit = parseUnit(readFileSync(UNIT, 'utf8'));
const service = unit.get('Service')!;
const one = (key: string): string => {
  const values = service.get(key);
  assert.ok(values?.length === 1, `exactly one ${key}= in the unit`);
  return values[0]!;
};

const s = new DaemonScratch('daemon-systemd', 'ldirectord');
const web = new Switchable('127.0.5.85', 8080);
const runDir = s.path('run');

const CONFIG = `checkinterval=1
logfile="{{DIR}}/ldirectord.log"
virtual=10.5.8.5:80
\treal=127.0.5.85:8080 masq
\tchecktype=connect
`;

/**
 * An Exec line of the unit as this test runs it: the program path replaced, the config
 * argument added before the action, words split as systemd splits them (no shell).
 */
function command(key: 'ExecStart' | 'ExecReload' | 'ExecStop'): string[] {
  const words = one(key).split(/\s+/);
  assert.equal(words[0], INSTALLED, `${key} runs the installed program`);
  const action = words.at(-1)!;
  return [BIN, ...words.slice(1, -1), s.cf, action];
}

/** The PIDFile= path, moved from /run to the scratch folder. */
function pidFile(): string {
  const path = one('PIDFile');
  assert.match(path, /^\/run\//);
  return `${runDir}/${basename(path)}`;
}

/** Runs an Exec line to completion as systemd does: no shell, cwd /, the unit's environment. */
function exec(argv: string[]): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve) => {
    const child = spawn(argv[0]!, argv.slice(1), {
      cwd: '/',
      env: {
        ...s.env(),
        LDIRECTORD_TS_PID_DIR: runDir,
        PATH: `${root}node_modules/.bin:/usr/sbin:/usr/bin:/sbin:/bin`,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (b: Buffer) => (output += b.toString()));
    child.stderr.on('data', (b: Buffer) => (output += b.toString()));
    child.on('close', (code) => resolve({ code, output }));
  });
}

function mainPid(): number | undefined {
  if (!existsSync(pidFile())) return undefined;
  const pid = Number(readFileSync(pidFile(), 'utf8').trim());
  return pid > 0 ? pid : undefined;
}

before(async () => {
  await web.up();
  mkdirSync(runDir);
  s.config(CONFIG);
});
after(async () => {
  const pid = mainPid();
  if (alive(pid)) process.kill(pid!, 'SIGKILL');
  await web.down();
  s.cleanup();
});

test('the unit keeps the original contract: Type=forking with its PIDFile', () => {
  assert.equal(one('Type'), 'forking');
  assert.equal(one('PIDFile'), '/run/ldirectord.ldirectord.pid');
  assert.match(one('ExecStart'), /^\/usr\/sbin\/ldirectord-ts start$/);
  assert.match(one('ExecReload'), /^\/usr\/sbin\/ldirectord-ts reload$/);
  assert.match(one('ExecStop'), /^\/usr\/sbin\/ldirectord-ts stop$/);
  assert.notEqual(one('KillMode'), 'none', 'systemd may clean up what a failed stop leaves');
  assert.ok(Number(one('TimeoutStopSec')) >= 30, 'room for a clean stop');
});

test('ExecStart, ExecReload and ExecStop as systemd runs them', async () => {
  const start = await exec(command('ExecStart'));
  assert.equal(start.code, 0, start.output);
  // systemd reads PIDFile= as soon as ExecStart= has exited: it must name the daemon now.
  const pid = mainPid();
  assert.ok(alive(pid), `the PIDFile names a live process when ExecStart returns: ${pidFile()}`);
  assert.equal(basename(pidFile()), 'ldirectord.ldirectord.pid');
  await eventually(() => s.table().includes('-r 127.0.5.85:8080'), 'the real in the table');

  // ExecReload: the same process reloads.
  writeFileSync(s.cf, `${CONFIG.replaceAll('{{DIR}}', s.dir)}\treal=127.0.5.86:8080 masq 4\n`);
  const reload = await exec(command('ExecReload'));
  assert.equal(reload.code, 0, reload.output);
  await s.waitForLog(/^Reloading Linux Director Daemon config on signal$/);
  assert.equal(mainPid(), pid);

  // A broken config: ExecReload fails, the daemon keeps running the config it has.
  writeFileSync(s.cf, `${CONFIG.replaceAll('{{DIR}}', s.dir)}quiescent=maybe\n`);
  const broken = await exec(command('ExecReload'));
  assert.equal(broken.code, 2, broken.output);
  assert.match(broken.output, /quiescent must be 'yes' or 'no'/);
  assert.ok(alive(pid));
  assert.equal(mainPid(), pid);

  // ExecStop (with the config fixed again) returns once the daemon is gone, its clean stop
  // done: nothing is left for systemd to kill.
  writeFileSync(s.cf, CONFIG.replaceAll('{{DIR}}', s.dir));
  const stop = await exec(command('ExecStop'));
  assert.equal(stop.code, 0, stop.output);
  assert.ok(!alive(pid), 'gone when ExecStop returns');
  assert.ok(!existsSync(pidFile()), 'the PIDFile is removed');
  assert.equal(s.table(), '', 'cleanstop completed before ExecStop returned');
  assert.match(s.log, /Linux Director Daemon terminated on signal: TERM\n$/);
});

test('ExecStart with a broken config fails the unit and writes no PIDFile', async () => {
  writeFileSync(s.cf, `${CONFIG.replaceAll('{{DIR}}', s.dir)}\treal=10.0.0.2:80 bridge\n`);
  const start = await exec(command('ExecStart'));
  assert.equal(start.code, 2, start.output);
  assert.match(start.output, /^Error \[\d+\] reading file .* at line 6: /);
  assert.ok(!existsSync(pidFile()));
  writeFileSync(s.cf, CONFIG.replaceAll('{{DIR}}', s.dir));
});

test('systemd-analyze verify accepts the unit', (t) => {
  const which = spawnSync('systemd-analyze', ['--version']);
  if (which.error) {
    t.skip('systemd-analyze is not installed (optional)');
    return;
  }
  // The installed paths do not exist here: verify a copy pointing at this checkout, with the
  // man page the unit's Documentation= names.
  const dir = s.path('verify');
  mkdirSync(`${dir}/man/man8`, { recursive: true });
  copyFileSync(`${root}man/ldirectord-ts.8`, `${dir}/man/man8/ldirectord-ts.8`);
  const copy = `${dir}/ldirectord-ts.service`;
  writeFileSync(copy, readFileSync(UNIT, 'utf8').replaceAll(INSTALLED, BIN));
  const r = spawnSync('systemd-analyze', ['verify', copy], {
    encoding: 'utf8',
    env: { ...process.env, MANPATH: `${dir}/man` },
  });
  const ours = `${r.stdout}${r.stderr}`
    .split('\n')
    .filter((l) => l.includes('ldirectord-ts.service'));
  assert.deepEqual(ours, [], 'no complaint about the unit');
  assert.equal(r.status, 0, r.stderr);
});
