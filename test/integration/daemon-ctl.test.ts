// `ldirectord-ts ctl` against a running daemon: drain, weight and enable change the IPVS table
// (the fake ipvsadm's) before ctl returns, show in status, status --json and the log, outlast a
// reload and a kill -9 + start (the state file), leave the table alone for an unknown virtual or
// real, and refuse a user other than root (the client run as nobody).
// Real servers: HTTP on 127.31.12.2-4:8080 (checktype=negotiate, service=http), switched by
// control files (test/support/control-file-servers.ts).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { after, before, test } from 'node:test';
import { alive, commandsFor, DaemonScratch, eventually } from '../support/daemon-harness.ts';
import { Daemon } from '../support/daemon.ts';
import { BIN } from '../support/ldts.ts';

const VIP = '127.31.12.1:80';
const s = new DaemonScratch('daemon-ctl');
// Through the environment, as heartbeat and the OCF agent would give it.
const stateDir = s.path('state');
const stateFile = `${stateDir}/ldirectord.ldirectord.cf.overrides.json`;
const env = { LDIRECTORD_TS_STATE_DIR: stateDir };

// In a process of their own: the test's synchronous runs of the program must not stall them.
const controlDir = s.path('servers');
const REALS = ['127.31.12.2:8080', '127.31.12.3:8080', '127.31.12.4:8080'];
let servers: Daemon | undefined;
const serverDown = (real: string) =>
  writeFileSync(`${controlDir}/${real.replace(':', '_')}.down`, '');
const serverUp = (real: string) => rmSync(`${controlDir}/${real.replace(':', '_')}.down`);

const CONFIG = `checkinterval=1
logfile="{{DIR}}/ldirectord.log"
virtual=${VIP}
\treal=127.31.12.2:8080 masq
\treal=127.31.12.3:8080 masq 3
\tservice=http
\tchecktype=negotiate
\trequest="/health"
\treceive="ldts-ok"
\tchecktimeout=2
`;

const ctl = (...words: string[]) => s.run([s.cf, 'ctl', ...words], { env });

function weights(): Record<string, number> {
  const out: Record<string, number> = {};
  for (const m of s.table().matchAll(/-a -t \S+ -r (\S+) -m -w (\d+)/g)) out[m[1]!] = Number(m[2]);
  return out;
}

interface StatusReal {
  address: string;
  up: boolean;
  serving: boolean;
  override?: { kind: string; weight?: number; since: string };
  lastCheck?: { at: string };
}

function statusReals(): StatusReal[] {
  const r = s.run([s.cf, 'status', '--json'], { env });
  assert.equal(r.code, 0, r.stderr);
  const out = JSON.parse(r.stdout) as {
    daemon: { monitor: { virtuals: Array<{ reals: StatusReal[] }> } } | null;
  };
  // Empty while the daemon starts (no virtual yet in its status).
  return out.daemon?.monitor.virtuals[0]?.reals ?? [];
}

before(async () => {
  mkdirSync(controlDir);
  servers = await Daemon.start(
    process.execPath,
    [new URL('../support/control-file-servers.ts', import.meta.url).pathname, controlDir, ...REALS],
    {
      ready: REALS.map((r) => ({ host: r.split(':')[0]!, port: 8080 })),
    },
  );
});
after(async () => {
  s.kill();
  await servers?.stop();
  s.cleanup();
});

test('ctl: drain, weight, enable, across a reload and a kill -9 + start; nobody refused', async () => {
  s.config(CONFIG);
  const first = s.start({ env });
  await eventually(() => {
    const w = weights();
    return w['127.31.12.2:8080'] === 1 && w['127.31.12.3:8080'] === 3;
  }, 'both reals in at their weights');
  const socket = s.path('ldirectord.ldirectord.cf.sock');
  assert.equal(statSync(socket).mode & 0o777, 0o600, 'the socket is root-only');

  // drain: weight 0 before ctl returns, logged, shown.
  const drain = ctl('drain', VIP, '127.31.12.2:8080');
  assert.equal(drain.code, 0, drain.stderr);
  assert.match(
    drain.stdout,
    /^Drained real server: 127\.31\.12\.2:8080 \(tcp:127\.31\.12\.1:80\) by ctl: weight 0 until enable\n/,
  );
  assert.deepEqual(weights(), { '127.31.12.2:8080': 0, '127.31.12.3:8080': 3 });
  await s.waitForLog(/^Drained real server: 127\.31\.12\.2:8080 \(tcp:127\.31\.12\.1:80\) by ctl/);
  await s.waitForLog(
    /^Quiescent real server: 127\.31\.12\.2:8080 \(127\.31\.12\.1:80\) \(Weight set to 0\)$/,
  );
  const drained = statusReals().find((r) => r.address === '127.31.12.2')!;
  assert.equal(drained.override?.kind, 'drain');
  assert.equal(drained.serving, false);
  const text = s.action('status', { env });
  assert.equal(text.code, 0);
  assert.match(
    text.stderr,
    /^ldirectord-ts: real server 127\.31\.12\.2:8080 \(tcp:127\.31\.12\.1:80\) drained by ctl since \S+$/m,
  );

  // Whatever its checks say: down, it stays at weight 0 (quiescent=no would delete it).
  serverDown('127.31.12.2:8080');
  await eventually(
    () => statusReals().find((r) => r.address === '127.31.12.2')?.up === false,
    'web2 seen down by its checks',
  );
  assert.equal(weights()['127.31.12.2:8080'], 0);
  serverUp('127.31.12.2:8080');

  // weight N, by the id status shows.
  const weight = ctl('weight', '5', `tcp:${VIP}`, '127.31.12.3:8080');
  assert.equal(weight.code, 0, weight.stderr);
  assert.equal(weights()['127.31.12.3:8080'], 5);
  const show = ctl('show');
  assert.equal(show.code, 0, show.stderr);
  assert.match(show.stdout, /^2 override\(s\)$/m);
  assert.match(
    show.stdout,
    /^tcp:127\.31\.12\.1:80 127\.31\.12\.3:8080, up, weight 3, weight 5 by ctl/m,
  );

  // Unknown virtual or real: an error, nothing changes.
  const stored = readFileSync(stateFile, 'utf8');
  const tableBefore = s.table();
  const unknownVirtual = ctl('drain', '127.31.12.1:81', '127.31.12.3:8080');
  assert.equal(unknownVirtual.code, 1);
  assert.match(
    unknownVirtual.stderr,
    /^ldirectord-ts: no virtual "127\.31\.12\.1:81" in the configuration the daemon runs \(its virtuals: tcp:127\.31\.12\.1:80\)$/m,
  );
  const unknownReal = ctl('enable', VIP, '127.31.12.9:8080');
  assert.equal(unknownReal.code, 1);
  assert.match(
    unknownReal.stderr,
    /no real "127\.31\.12\.9:8080" in virtual tcp:127\.31\.12\.1:80/,
  );
  const badWeight = ctl('weight', 'heavy', VIP, '127.31.12.3:8080');
  assert.equal(badWeight.code, 255);
  assert.match(badWeight.stderr, /weight "heavy" is not a whole number/);
  assert.equal(s.table(), tableBefore);
  assert.equal(readFileSync(stateFile, 'utf8'), stored);

  // Another user: refused by the socket's mode, nothing changes.
  chmodSync(s.dir, 0o755);
  const nobody = spawnSync(
    'runuser',
    [
      '-u',
      'nobody',
      '--',
      process.execPath,
      BIN,
      '--pid-dir',
      s.pidDir,
      s.cf,
      'ctl',
      'enable',
      VIP,
      '127.31.12.2:8080',
    ],
    { env: s.env(env), encoding: 'utf8', timeout: 60_000 },
  );
  chmodSync(s.dir, 0o700);
  assert.equal(nobody.status, 4, `${nobody.stdout}${nobody.stderr}`);
  assert.match(nobody.stderr, /permission denied on .*ldirectord\.ldirectord\.cf\.sock: only root/);
  assert.equal(s.table(), tableBefore);

  // A reload (a third real added) keeps both overrides.
  s.config(CONFIG.replace('\tservice=http', '\treal=127.31.12.4:8080 masq\n\tservice=http'));
  assert.equal(s.action('reload', { env }).code, 0);
  await eventually(() => weights()['127.31.12.4:8080'] === 1, 'the reload added web4');
  assert.deepEqual(weights(), {
    '127.31.12.2:8080': 0,
    '127.31.12.3:8080': 5,
    '127.31.12.4:8080': 1,
  });

  // kill -9, start: the overrides come from the state file, from the first plan on.
  process.kill(first, 'SIGKILL');
  await eventually(() => !alive(first), 'the daemon killed');
  const mark = s.invocations().length;
  const lines = s.logLineCount();
  const restarted = new Date().toISOString();
  const second = s.start({ env });
  await s.waitForLog(
    /^Override kept from .*: real server 127\.31\.12\.2:8080 \(tcp:127\.31\.12\.1:80\) drained since /,
    lines,
  );
  await s.waitForLog(
    /^Override kept from .*: real server 127\.31\.12\.3:8080 \(tcp:127\.31\.12\.1:80\) weight 5 since /,
    lines,
  );
  await eventually(() => {
    const reals = statusReals();
    return reals.length === 3 && reals.every((r) => r.up && (r.lastCheck?.at ?? '') > restarted);
  }, 'every real checked by the new daemon');
  assert.deepEqual(commandsFor(s.commandsSince(mark), '127.31.12.2', 8080), [], 'web2 untouched');
  assert.deepEqual(commandsFor(s.commandsSince(mark), '127.31.12.3', 8080), [], 'web3 untouched');
  assert.deepEqual(weights(), {
    '127.31.12.2:8080': 0,
    '127.31.12.3:8080': 5,
    '127.31.12.4:8080': 1,
  });
  const ctlAfter = ctl('show', VIP, '127.31.12.2');
  assert.equal(ctlAfter.code, 0, ctlAfter.stderr);
  assert.match(ctlAfter.stdout, /127\.31\.12\.2:8080, up, weight 1, drained by ctl since /);

  // enable: back to the checks and the configured weights; nothing left to keep.
  assert.equal(ctl('enable', VIP, '127.31.12.2:8080').code, 0);
  assert.equal(ctl('enable', VIP, '127.31.12.3').code, 0);
  assert.deepEqual(weights(), {
    '127.31.12.2:8080': 1,
    '127.31.12.3:8080': 3,
    '127.31.12.4:8080': 1,
  });
  await s.waitForLog(
    /^Enabled real server: 127\.31\.12\.2:8080 \(tcp:127\.31\.12\.1:80\) by ctl: its checks decide again \(was drained\)$/,
  );
  assert.deepEqual(
    (JSON.parse(readFileSync(stateFile, 'utf8')) as { overrides: unknown[] }).overrides,
    [],
  );
  assert.equal(statSync(stateFile).mode & 0o777, 0o600);

  assert.equal(s.action('stop', { env }).code, 0);
  assert.ok(!alive(second));
  assert.throws(() => statSync(socket), /ENOENT/, 'the socket goes with the daemon');
  const stopped = ctl('show');
  assert.equal(stopped.code, 3);
  assert.match(stopped.stderr, /ldirectord is stopped for /);
});
