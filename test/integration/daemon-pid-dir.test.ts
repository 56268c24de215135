// The pid folder as an attacker who can write to it sees it: the pid file and the status file are
// written through a temporary file; a temporary name that can be guessed (`<name>.<pid>.tmp`) lets
// a planted symlink send root's write to any file. Temporaries are created O_EXCL|O_NOFOLLOW under
// a random name, and a folder that others can write to is refused unless it is sticky (as /tmp is).
import assert from 'node:assert/strict';
import {
  chmodSync,
  lstatSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { runCheck } from '../../src/cli/check.ts';
import { alive, eventually, Scratch } from '../support/ldts.ts';

const scratches: Scratch[] = [];
const started: number[] = [];
const victims = mkdtempSync(join(tmpdir(), 'pid-dir-victims-'));
function scratch(): Scratch {
  const s = new Scratch('pid-dir');
  scratches.push(s);
  return s;
}
after(() => {
  for (const s of scratches) {
    const pid = s.pid('web.cf');
    if (alive(pid)) process.kill(pid!, 'SIGKILL');
    s.cleanup();
  }
  for (const pid of started) if (alive(pid)) process.kill(pid, 'SIGKILL');
  rmSync(victims, { recursive: true, force: true });
});

const WEB = `checkinterval=1
logfile="{{DIR}}/ldirectord.log"
virtual=10.1.7.1:80
\treal=127.0.7.2:8080 masq
\tchecktype=on
`;

const PLANTED = 4000;

function readNumber(path: string): number {
  return Number(readFileSync(path, 'utf8').trim());
}

test('symlinks planted for the temporary names do not redirect the pid or status file', async () => {
  const s = scratch();
  const cf = s.write('web.cf', WEB);
  const victim = join(victims, 'precious');
  writeFileSync(victim, 'precious\n');
  // The old pattern for the next pids, and names a less careful fix might use.
  const names = [
    'ldirectord.web.cf.pid.tmp',
    '.ldirectord.web.cf.pid.tmp',
    'ldirectord.web.cf.status.json.tmp',
    '.ldirectord.web.cf.status.json.tmp',
  ];
  const last = readNumber('/proc/sys/kernel/ns_last_pid');
  const max = readNumber('/proc/sys/kernel/pid_max');
  const planted = new Set<number>();
  for (let i = 1; i <= PLANTED; i++) {
    const next = last + i;
    const pid = next < max ? next : next - max + 300; // the kernel wraps round to 300
    planted.add(pid);
    names.push(`ldirectord.web.cf.pid.${pid}.tmp`, `ldirectord.web.cf.status.json.${pid}.tmp`);
  }
  for (const name of names) symlinkSync(victim, s.path(name));

  const r = s.run([cf, 'start']);
  assert.equal(r.code, 0, r.stderr);
  // From the log, not the pid file, which is what is under test.
  const pid = Number(/\|web\.cf\|(\d+)\] Starting/.exec(s.read('ldirectord.log'))?.[1]);
  started.push(pid);
  assert.ok(planted.has(pid), `the daemon's pid ${pid} was among the planted names`);
  const statusFile = s.path('ldirectord.web.cf.status.json');
  await eventually(() => {
    try {
      return JSON.parse(readFileSync(statusFile, 'utf8')).status === 'running';
    } catch {
      return false;
    }
  }, 'the status file rewritten once running');

  assert.equal(readFileSync(victim, 'utf8'), 'precious\n', 'the symlinks target is untouched');
  for (const file of ['ldirectord.web.cf.pid', 'ldirectord.web.cf.status.json']) {
    assert.ok(lstatSync(s.path(file)).isFile(), `${file} is a regular file, not a symlink`);
  }
  assert.equal(s.read('ldirectord.web.cf.pid'), `${pid}\n`);
  const leftovers = readdirSync(s.dir).filter(
    (n) => n.endsWith('.tmp') && !lstatSync(s.path(n)).isSymbolicLink(),
  );
  assert.deepEqual(leftovers, [], 'no temporary file left behind');

  assert.equal(s.run([cf, 'stop']).code, 0);
  await eventually(() => !alive(pid), 'the daemon gone');
  assert.equal(readFileSync(victim, 'utf8'), 'precious\n');
});

test('a pid folder others can write to is refused unless it is sticky', async () => {
  const s = scratch();
  const cf = s.write('web.cf', WEB);
  chmodSync(s.dir, 0o777);
  const refused = s.run([cf, 'start']);
  assert.equal(refused.code, 1, refused.stdout + refused.stderr);
  assert.match(refused.stderr, new RegExp(`pid folder ${s.dir} is writable by others`));
  assert.equal(s.pid('web.cf'), undefined, 'no pid file');
  assert.match(s.read('ldirectord.log'), /pid folder .* is writable by others/, 'logged too');

  chmodSync(s.dir, 0o775);
  const group = s.run([cf, 'start']);
  assert.equal(group.code, 1);
  assert.match(group.stderr, /is writable by its group/);

  // check says so too, for the folder start would use.
  const out: string[] = [];
  const io = {
    stdout: { write: (t: string) => out.push(t) },
    stderr: { write: (t: string) => out.push(t) },
  };
  const code = await runCheck(['--pid-dir', s.dir, cf], io);
  assert.equal(code, 1, out.join(''));
  assert.match(out.join(''), new RegExp(`pid folder ${s.dir} is writable by its group`));

  chmodSync(s.dir, 0o1777);
  const sticky = s.run([cf, 'start']);
  assert.equal(sticky.code, 0, sticky.stderr);
  const pid = s.pid('web.cf')!;
  started.push(pid);
  assert.ok(alive(pid));
  out.length = 0;
  assert.equal(await runCheck(['--pid-dir', s.dir, cf], io), 0, out.join(''));
  assert.match(out.join(''), new RegExp(`pid file ${s.dir}/ldirectord.web.cf.pid`));
  assert.equal(s.run([cf, 'stop']).code, 0);
});
