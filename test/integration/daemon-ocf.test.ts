// Pacemaker: the stock OCF agent (/usr/lib/ocf/resource.d/heartbeat/ldirectord, Debian package
// resource-agents) drives ldirectord-ts as it drives the Perl original, and passes ocf-tester
// from the same package. The agent runs `<ldirectord> <cfg> status|start|stop` and, when status
// fails, finds the daemon with `pgrep -f "<ldirectord> <cfg> start"`: so the program is
// installed as it would be (a symlink to bin/ldirectord-ts, run by `#!/usr/bin/env node`), and
// the pid folder and ipvsadm come through the environment, leaving the command line alone.
// Real server: a TCP listener on 127.0.5.81 (checktype=connect); IPVS: the fake ipvsadm.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { accessSync, constants, mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { after, before, test } from 'node:test';
import { alive, DaemonScratch, eventually, Switchable } from '../support/daemon-harness.ts';
import { BIN } from '../support/ldts.ts';

const AGENT = '/usr/lib/ocf/resource.d/heartbeat/ldirectord';
const OCF_TESTER = '/usr/sbin/ocf-tester';
const root = new URL('../../', import.meta.url).pathname;

function missing(): string | undefined {
  for (const path of [AGENT, OCF_TESTER]) {
    try {
      accessSync(path, constants.X_OK);
    } catch {
      return `${path} is not installed (Debian package resource-agents)`;
    }
  }
  return undefined;
}

const s = new DaemonScratch('daemon-ocf', 'ocf.cf');
const web = new Switchable('127.0.5.81', 8080);
const program = s.path('sbin/ldirectord-ts');

const CONFIG = `checkinterval=1
logfile="{{DIR}}/ldirectord.log"
virtual=10.5.8.1:80
\treal=127.0.5.81:8080 masq
\tchecktype=connect
`;

/** The environment Pacemaker would give the agent, plus where our program finds its things. */
function agentEnv(): NodeJS.ProcessEnv {
  return {
    ...s.env(),
    LDIRECTORD_TS_PID_DIR: s.pidDir,
    PATH: `${root}node_modules/.bin:${process.env.PATH}`,
    OCF_ROOT: '/usr/lib/ocf',
    OCF_RESOURCE_INSTANCE: 'ld',
    OCF_RESKEY_ldirectord: program,
    OCF_RESKEY_configfile: s.cf,
  };
}

/** Runs the agent's action as Pacemaker does, without blocking this process. */
function agent(action: string): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve) => {
    const child = spawn(AGENT, [action], {
      env: { ...agentEnv(), __OCF_ACTION: action },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (b: Buffer) => (output += b.toString()));
    child.stderr.on('data', (b: Buffer) => (output += b.toString()));
    child.on('close', (code) => resolve({ code, output }));
  });
}

function daemonsOfThisConfig(): number[] {
  const r = spawnSync('pgrep', ['-f', `${program} ${s.cf} start`], { encoding: 'utf8' });
  return r.stdout.split('\n').filter(Boolean).map(Number);
}

before(async () => {
  await web.up();
  mkdirSync(s.path('sbin'));
  symlinkSync(BIN, program);
  s.config(CONFIG);
});
after(async () => {
  for (const pid of daemonsOfThisConfig()) process.kill(pid, 'SIGKILL');
  await web.down();
  s.cleanup();
});

test('ocf-tester passes the stock agent driving ldirectord-ts', { skip: missing() }, async () => {
  const r = await new Promise<{ code: number | null; output: string }>((resolve) => {
    const child = spawn(
      OCF_TESTER,
      ['-n', 'ld', '-o', `ldirectord=${program}`, '-o', `configfile=${s.cf}`, AGENT],
      { env: agentEnv(), stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let output = '';
    child.stdout.on('data', (b: Buffer) => (output += b.toString()));
    child.stderr.on('data', (b: Buffer) => (output += b.toString()));
    child.on('close', (code) => resolve({ code, output }));
  });
  assert.equal(r.code, 0, r.output);
  assert.match(r.output, new RegExp(`${AGENT} passed all tests`));
  // It really ran the daemon: started twice, stopped twice, the table cleaned each time.
  const started = s.messages().filter((m) => m === 'Starting Linux Director v1.186-ha as daemon');
  assert.equal(started.length, 2, s.log);
  const stopped = s.messages().filter((m) => m.startsWith('Linux Director Daemon terminated'));
  assert.equal(stopped.length, 2, s.log);
  assert.ok(
    s.commandsSince(0).includes('-a -t 10.5.8.1:80 -x 0 -y 0 -r 127.0.5.81:8080 -m -w 1'),
    'the real was added',
  );
  assert.equal(s.table(), '');
  assert.deepEqual(daemonsOfThisConfig(), []);
});

test(
  'monitor, and stop with a broken config: the agent finds the daemon by pgrep',
  { skip: missing() },
  async () => {
    assert.equal((await agent('monitor')).code, 7, 'not running');
    const start = await agent('start');
    assert.equal(start.code, 0, start.output);
    assert.equal((await agent('monitor')).code, 0, 'running');
    const [pid] = daemonsOfThisConfig();
    assert.ok(pid && alive(pid), 'pgrep finds the daemon by "<ldirectord> <cfg> start"');
    assert.equal(pid, s.pid('ocf.cf'));

    // A broken config: status exits 2, so monitor is a generic error and stop falls back to
    // pgrep and kill. The daemon must be findable and gone afterwards.
    writeFileSync(s.cf, `${CONFIG.replaceAll('{{DIR}}', s.dir)}quiescent=maybe\n`);
    const monitor = await agent('monitor');
    assert.equal(monitor.code, 1, monitor.output);
    assert.match(monitor.output, /quiescent must be 'yes' or 'no'/);
    const stop = await agent('stop');
    assert.equal(stop.code, 0, stop.output);
    await eventually(() => !alive(pid), 'the daemon gone after the fallback stop');
    assert.deepEqual(daemonsOfThisConfig(), []);

    // Fixed config, stale pid file (the daemon died without its clean stop): not running, and
    // start works.
    writeFileSync(s.cf, CONFIG.replaceAll('{{DIR}}', s.dir));
    writeFileSync(s.path('ldirectord.ocf.cf.pid'), `${pid}\n`);
    const stale = await agent('monitor');
    assert.equal(stale.code, 7, `a stale pid file means not running: ${stale.output}`);
    assert.equal((await agent('start')).code, 0);
    assert.equal((await agent('monitor')).code, 0);
    assert.equal((await agent('stop')).code, 0);
    assert.equal((await agent('monitor')).code, 7);
    assert.deepEqual(daemonsOfThisConfig(), []);
  },
);
