// The foreground modes (docs/ldirectord-behavior.md §1.5, §1.7): -d stays in the foreground, logs
// to stderr, writes no pid file and runs ./ipvsadm from the working directory, as the original; its
// lines are worded as the Perl original's for the same config, run side by side against the same
// real servers. supervised=yes stays in the foreground, writes `[ctime] msg` lines to stdout and no
// pid file. Real servers: TCP listeners on 127.0.5.40-49 (checktype=connect); IPVS: the fake
// ipvsadm.
import assert from 'node:assert/strict';
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { readdirSync, symlinkSync } from 'node:fs';
import { after, before, test } from 'node:test';
import {
  DaemonScratch,
  eventually,
  FAKE_IPVSADM,
  Switchable,
  within,
} from '../support/daemon-harness.ts';
import { BIN } from '../support/ldts.ts';
import { PerlLdirectord, perlUnavailableReason } from '../support/perl-ldirectord.ts';

const web1 = new Switchable('127.0.5.41', 8080);
// 127.0.5.42 never listens.
const scratches: DaemonScratch[] = [];
const children: ChildProcess[] = [];
const perls: PerlLdirectord[] = [];

const CONFIG = `checkinterval=1
virtual=10.5.4.1:80
\treal=127.0.5.41:8080 masq
\treal=127.0.5.42:8080 masq 2
\tchecktype=connect
\tchecktimeout=2
`;

before(() => web1.up());
after(async () => {
  for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
  for (const perl of perls) await perl.stop();
  for (const s of scratches) s.cleanup();
  await web1.down();
});

interface Foreground {
  child: ChildProcess;
  stdout(): string;
  stderr(): string;
  exit: Promise<number | null>;
}

/** Runs the built program in the foreground with `args`, in `cwd`, collecting its output. */
function foreground(args: string[], cwd: string, env: NodeJS.ProcessEnv): Foreground {
  const child = spawn(process.execPath, [BIN, ...args], { cwd, env, stdio: 'pipe' });
  children.push(child);
  let out = '';
  let err = '';
  child.stdout!.on('data', (b: Buffer) => (out += b.toString()));
  child.stderr!.on('data', (b: Buffer) => (err += b.toString()));
  const exit = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
  return { child, stdout: () => out, stderr: () => err, exit };
}

test('-d: foreground, stderr, ./ipvsadm from the cwd, no pid file; worded as the original', async (t) => {
  const s = new DaemonScratch('daemon-debug');
  scratches.push(s);
  s.config(CONFIG);
  symlinkSync(FAKE_IPVSADM, s.path('ipvsadm'));
  // No --ipvsadm and no LDIRECTORD_IPVSADM: -d must find ./ipvsadm by itself.
  const env = { ...s.env(), LDIRECTORD_IPVSADM: '' };
  const ours = foreground(['--pid-dir', s.pidDir, '-d', s.cf, 'start'], s.dir, env);
  const perlMissing = perlUnavailableReason();
  const perl = perlMissing
    ? undefined
    : PerlLdirectord.start({
        config: CONFIG,
        ipvsadm: FAKE_IPVSADM,
        env: { FAKE_IPVSADM_STATE: s.path('perl.state.json'), FAKE_IPVSADM_LOG: '' },
      });
  if (perl) perls.push(perl);

  await eventually(
    () => s.table().includes('-a -t 10.5.4.1:80 -r 127.0.5.41:8080 -m -w 1'),
    `our -d daemon programmed the table:\n${ours.stderr()}`,
  );
  assert.equal(ours.child.exitCode, null, 'still in the foreground');
  assert.equal(ours.stdout(), '', 'nothing on stdout');
  assert.match(ours.stderr(), /^Starting Linux Director v1\.186-ha with pid: \d+$/m);
  assert.ok(!readdirSync(s.dir).some((f) => f.endsWith('.pid')), 'no pid file');
  const programs = new Set(s.invocations().map((r) => r.argv[0]));
  assert.deepEqual([...programs], ['./ipvsadm'], 'the ipvsadm of the working directory');
  const status = s.action('status');
  assert.equal(status.code, 3, 'a -d daemon cannot be queried (no pid file), as the original');

  await new Promise((r) => setTimeout(r, 1500));
  ours.child.kill('SIGTERM');
  assert.equal(await within(ours.exit, 'the daemon to exit'), 0);
  assert.equal(s.table(), '', 'cleanstop');

  const ourLines = ours
    .stderr()
    .split('\n')
    .filter((l) => l !== '' && !l.startsWith('DEBUG'));
  assert.deepEqual(ourLines.slice(-2), [
    'Linux Director Daemon terminated on signal: TERM',
    'Exiting with exit_status 0: Linux Director Daemon terminated on signal: TERM',
  ]);

  if (!perl) {
    t.diagnostic(`not compared with the Perl original: ${perlMissing}`);
    return;
  }
  await perl.waitFor(/^Added real server: 127\.0\.5\.41:8080/, 10_000);
  await perl.stop();
  // Same wording, same order: every line of ours is a line of the original's run, in the
  // order the original logged them (it logs more: its start-up up/down dance and every
  // command it runs).
  const normalize = (line: string): string =>
    line
      .replace(/invoked as: \S+ \S+ start $/, 'invoked as: <program> <config> start ')
      .replace(/with pid: \d+$/, 'with pid: <pid>');
  const theirs = perl.messages.map(normalize);
  let at = 0;
  for (const line of ourLines.map(normalize)) {
    const found = theirs.indexOf(line, at);
    assert.ok(
      found >= 0,
      `"${line}" is not among the original's lines (in this order):\n${theirs.join('\n')}`,
    );
    at = found + 1;
  }
  assert.ok(ourLines.length >= 7, ourLines.join('\n'));
});

test('supervised=yes: foreground, [ctime] lines on stdout, no pid file', async () => {
  const s = new DaemonScratch('daemon-supervised');
  scratches.push(s);
  s.config(`supervised=yes\n${CONFIG}`);
  const started = Math.floor(Date.now() / 1000);
  const ours = foreground(['--pid-dir', s.pidDir, s.cf, 'start'], s.dir, s.env());
  await eventually(
    () => s.table().includes('-a -t 10.5.4.1:80 -r 127.0.5.41:8080 -m -w 1'),
    `the supervised daemon programmed the table:\n${ours.stdout()}${ours.stderr()}`,
  );
  assert.equal(ours.child.exitCode, null, 'still in the foreground');
  assert.ok(!readdirSync(s.dir).some((f) => f.endsWith('.pid')), 'no pid file');
  assert.equal(s.action('status').code, 3);
  ours.child.kill('SIGTERM');
  assert.equal(await within(ours.exit, 'the daemon to exit'), 0);
  const ended = Math.ceil(Date.now() / 1000);
  assert.equal(ours.stderr(), '');

  const lines = ours.stdout().split('\n').filter(Boolean);
  const stamps = new Set<string>();
  for (const line of lines) {
    const m = /^\[(\w{3} \w{3} [ \d]\d \d\d:\d\d:\d\d \d{4})\] (.+)$/.exec(line);
    assert.ok(m, `not a [ctime] line: ${JSON.stringify(line)}`);
    stamps.add(m[1]!);
  }
  const messages = lines.map((l) => l.replace(/^\[[^\]]*\] /, ''));
  assert.match(messages[0]!, /^Invoking ldirectord invoked as: .*ldirectord-ts .*\.cf start $/);
  assert.match(messages[1]!, /^Starting Linux Director v1\.186-ha with pid: \d+$/);
  assert.ok(
    messages.includes('Added real server: 127.0.5.41:8080 (10.5.4.1:80) (Weight set to 1)'),
  );
  assert.equal(messages.at(-1), 'Linux Director Daemon terminated on signal: TERM');

  // The stamp is Perl's scalar localtime of the moment: ask Perl for every second of the run.
  const perl = spawnSync(
    'perl',
    [
      '-e',
      'print scalar(localtime($_)), "\\n" for $ARGV[0] .. $ARGV[1]',
      String(started - 1),
      String(ended + 1),
    ],
    { encoding: 'utf8' },
  );
  if (perl.status === 0) {
    const perlStamps = new Set(perl.stdout.split('\n'));
    for (const stamp of stamps)
      assert.ok(perlStamps.has(stamp), `${stamp} is not Perl's localtime`);
  }
});
