// Where the daemon's lines go (docs/ldirectord-behavior.md §1.7): logfile="/path" in the original's
// `[ctime|CFGNAME|pid]` format, followed across Debian's logrotate
// (packaging/ldirectord-ts.logrotate) without any signal; logfile="local0" to syslog
// (LDIRECTORD_TS_SYSLOG_SOCKET names the socket); --log-format json. And passwords (passwd=,
// secret=) never appear anywhere: not in the log, the monitorfile, status output, the status file,
// a SIGUSR1 dump, -d output, or the error for a broken line holding one — even when the database
// server quotes the password back.
// Real servers: 127.0.5.50-59 (TCP listeners, fake MySQL and PostgreSQL); IPVS: the fake.
import assert from 'node:assert/strict';
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { after, before, test } from 'node:test';
import {
  alive,
  DaemonScratch,
  eventually,
  FAKE_IPVSADM,
  Switchable,
  within,
} from '../support/daemon-harness.ts';
import { missingProgram } from '../support/daemon.ts';
import { BIN } from '../support/ldts.ts';
import {
  type EchoingServer,
  mysqlEchoingPassword,
  pgsqlEchoingPassword,
} from '../support/password-echoing-servers.ts';

const root = new URL('../../', import.meta.url).pathname;
const web1 = new Switchable('127.0.5.51', 8080);
const web2 = new Switchable('127.0.5.52', 8080);
const web3 = new Switchable('127.0.5.53', 8080);
const scratches: DaemonScratch[] = [];
const children: ChildProcess[] = [];
let mysql: EchoingServer;
let pgsql: EchoingServer;

before(async () => {
  for (const w of [web1, web2, web3]) await w.up();
  mysql = await mysqlEchoingPassword('127.0.5.56', 'My-S3cret-Pass');
  pgsql = await pgsqlEchoingPassword('127.0.5.57');
});
after(async () => {
  for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
  for (const s of scratches) {
    s.kill();
    s.cleanup();
  }
  for (const w of [web1, web2, web3]) await w.down();
  await mysql.close();
  await pgsql.close();
});

function scratch(prefix: string, env: NodeJS.ProcessEnv = {}): DaemonScratch {
  const s = new DaemonScratch(prefix, 'ldirectord.cf', env);
  scratches.push(s);
  return s;
}

const web = (logfile: string, real: Switchable): string => `checkinterval=1
logfile="${logfile}"
virtual=10.5.5.1:80
\treal=${real.host}:${real.port} masq
\tchecktype=connect
`;

/** Perl's scalar localtime for every second from `from` to `to` (epoch seconds). */
function perlLocaltimes(from: number, to: number): Set<string> | undefined {
  const r = spawnSync(
    'perl',
    ['-e', 'print scalar(localtime($_)), "\\n" for $ARGV[0] .. $ARGV[1]', String(from), String(to)],
    { encoding: 'utf8' },
  );
  return r.status === 0 ? new Set(r.stdout.split('\n').filter(Boolean)) : undefined;
}

test(
  'logfile="/path": the original line format, and logrotate needs no signal',
  {
    skip: missingProgram('/usr/sbin/logrotate', 'logrotate'),
  },
  async () => {
    const s = scratch('daemon-logfile');
    s.config(web('{{DIR}}/ldirectord.log', web1));
    const started = Math.floor(Date.now() / 1000);
    const pid = s.start();
    await s.waitForLog(
      /^Added real server: 127\.0\.5\.51:8080 \(10\.5\.5\.1:80\) \(Weight set to 1\)$/,
    );

    const lines = s.log.split('\n').filter(Boolean);
    const stamps = new Set<string>();
    for (const [i, line] of lines.entries()) {
      const m = /^\[(\w{3} \w{3} [ \d]\d \d\d:\d\d:\d\d \d{4})\|ldirectord\.cf\|(\d+)\] (.+)$/.exec(
        line,
      );
      assert.ok(m, `not the original's format: ${JSON.stringify(line)}`);
      stamps.add(m[1]!);
      // The first line comes from the `start` command itself (as in the original), the rest
      // from the daemon.
      if (i > 0) assert.equal(Number(m[2]), pid, line);
    }
    assert.match(
      lines[0]!,
      /\] Invoking ldirectord invoked as: .*ldirectord-ts .*ldirectord\.cf start $/,
    );
    const perl = perlLocaltimes(started - 1, Math.ceil(Date.now() / 1000) + 1);
    if (perl) for (const stamp of stamps) assert.ok(perl.has(stamp), `${stamp} is not Perl's`);

    // The shipped logrotate rules, pointed at this log; -f rotates now, as the weekly run would.
    const rules = readFileSync(`${root}/packaging/ldirectord-ts.logrotate`, 'utf8').replace(
      '/var/log/ldirectord.log',
      s.path('ldirectord.log'),
    );
    assert.notEqual(rules, readFileSync(`${root}/packaging/ldirectord-ts.logrotate`, 'utf8'));
    writeFileSync(s.path('logrotate.conf'), rules);
    const rotate = (): void => {
      const r = spawnSync(
        'logrotate',
        ['-s', s.path('logrotate.state'), '-f', s.path('logrotate.conf')],
        { encoding: 'utf8' },
      );
      assert.equal(r.status, 0, `logrotate: ${r.stderr}`);
    };

    rotate();
    assert.ok(!existsSync(s.path('ldirectord.log')), 'moved away');
    assert.match(s.read('ldirectord.log.1'), /Added real server/);
    // The daemon looks at the file's identity at most once a second.
    await new Promise((r) => setTimeout(r, 1100));
    await web1.down();
    await s.waitForLog(/^Deleted real server: 127\.0\.5\.51:8080 \(10\.5\.5\.1:80\)$/);
    assert.doesNotMatch(s.read('ldirectord.log.1'), /Deleted real server/);

    rotate();
    assert.ok(
      existsSync(s.path('ldirectord.log.2.gz')),
      'the older one compressed (delaycompress)',
    );
    assert.match(s.read('ldirectord.log.1'), /Deleted real server/);
    await new Promise((r) => setTimeout(r, 1100));
    await web1.up();
    await s.waitForLog(/^Added real server: 127\.0\.5\.51:8080/);
    assert.deepEqual(
      s.messages(),
      [
        'Resetting soft failure count: 127.0.5.51:8080 (tcp:10.5.5.1:80)',
        'Added real server: 127.0.5.51:8080 (10.5.5.1:80) (Weight set to 1)',
      ],
      'only the new lines in the new file',
    );
    assert.doesNotMatch(s.read('ldirectord.log.1'), /Added real server/);
    assert.equal(s.action('stop').code, 0);
    assert.match(s.log, /Linux Director Daemon terminated on signal: TERM/);
  },
);

test('logfile="local0": syslog with ident ldirectord, the pid, facility local0, priority info', async () => {
  const s = scratch('daemon-syslog');
  const socket = s.path('log.sock');
  const received = s.path('received.txt');
  const receiver = spawn(
    'python3',
    [
      '-c',
      [
        'import socket, sys',
        's = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)',
        's.bind(sys.argv[1])',
        "f = open(sys.argv[2], 'ab', buffering=0)",
        'for _ in range(10000): f.write(s.recv(65536) + b"\\n")',
      ].join('\n'),
      socket,
      received,
    ],
    { stdio: 'ignore' },
  );
  children.push(receiver);
  await eventually(() => existsSync(socket), 'the syslog socket');
  s.config(web('local0', web2));
  const env = { LDIRECTORD_TS_SYSLOG_SOCKET: socket };
  // Every action logs through syslog and still exits with its own status (a `start` that
  // logged to syslog once exited 0 before it had started anything).
  assert.equal(s.action('reload', { env }).code, 1, 'reload when stopped');
  writeFileSync(s.path('ldirectord.ldirectord.cf.pid'), '999999999\n');
  assert.equal(s.action('status', { env }).code, 1, 'status with a stale pid file');
  const pid = s.start({ env });
  const datagrams = (): string[] => s.read('received.txt').split('\n').filter(Boolean);
  await eventually(
    () => datagrams().some((d) => d.includes('Added real server: 127.0.5.52:8080')),
    'the line in syslog',
  );
  const added = datagrams().find((d) => d.includes('Added real server'))!;
  // local0 (16) * 8 + info (6) = 134, as the original logs every message at info.
  assert.match(
    added,
    new RegExp(
      `^<134>.* ldirectord\\[${pid}\\]: Added real server: 127\\.0\\.5\\.52:8080 \\(10\\.5\\.5\\.1:80\\) \\(Weight set to 1\\)$`,
    ),
  );
  assert.ok(!existsSync(s.path('ldirectord.log')), 'no file log');
  assert.equal(s.action('stop', { env }).code, 0);
  await eventually(
    () =>
      datagrams().some((d) =>
        d.endsWith(`ldirectord[${pid}]: Linux Director Daemon terminated on signal: TERM`),
      ),
    'the last line in syslog',
  );
  receiver.kill();
});

test('--log-format json: one JSON record per line, the message and structured fields', async () => {
  const s = scratch('daemon-json');
  s.config(web('{{DIR}}/ldirectord.log', web3));
  const r = s.run(['--log-format', 'json', s.cf, 'start']);
  assert.equal(r.code, 0, r.stderr);
  const pid = s.daemonPid!;
  await eventually(() => s.log.includes('Added real server'), 'the add');
  const records = s.log
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as Record<string, unknown>);
  const added = records.find((x) => String(x.msg).startsWith('Added real server'))!;
  assert.equal(added.msg, 'Added real server: 127.0.5.53:8080 (10.5.5.1:80) (Weight set to 1)');
  assert.equal(added.level, 30);
  assert.equal(added.pid, pid);
  assert.equal(added.config, 'ldirectord.cf');
  assert.equal(typeof added.time, 'number');
  assert.match(String(added.ipvsadm), /^-a -t 10\.5\.5\.1:80 .*-r 127\.0\.5\.53:8080 -m -w 1$/);
  assert.equal(s.action('stop').code, 0);
  assert.ok(!alive(pid));
});

test('passwords never reach a log line, status output or an error message', async () => {
  const secrets = ['My-S3cret-Pass', 'Pg-S3cr"et', 'Radius-S3cret'];
  const s = scratch('daemon-passwords');
  const config = `checkinterval=1
logfile="{{DIR}}/ldirectord.log"
virtual=10.5.5.6:3306
\treal=${mysql.host}:${mysql.port} masq
\tservice=mysql
\tchecktype=negotiate
\tlogin="monitor"
\tpasswd="My-S3cret-Pass"
\tdatabase="test"
\trequest="SELECT 1"
\tmonitorfile="{{DIR}}/monitor.log"

virtual=10.5.5.7:5432
\treal=${pgsql.host}:${pgsql.port} masq
\tservice=pgsql
\tchecktype=negotiate
\tlogin="monitor"
\tpasswd="Pg-S3cr"et"
\tdatabase="test"
\trequest="SELECT 1"
\tmonitorfile="{{DIR}}/monitor.log"

virtual=10.5.5.8:1812
\tprotocol=udp
\treal=127.0.5.58:1812 masq
\tservice=radius
\tchecktype=negotiate
\tlogin="monitor"
\tpasswd="Radius-S3cret"
\tsecret="Radius-S3cret"
\tchecktimeout=1
`;
  s.config(config);
  const outputs: Record<string, string> = {};
  const pid = s.start();
  // The servers did quote the passwords back: the monitorfile shows where they were masked.
  await eventually(
    () => {
      const monitor = s.read('monitor.log');
      return (
        monitor.includes("Access denied for user (using password '********')") &&
        monitor.includes('password authentication failed: got "********"')
      );
    },
    `the masked refusals in the monitorfile:\n${s.read('monitor.log')}`,
  );
  assert.ok(mysql.refusals > 0 && pgsql.refusals > 0);
  await eventually(
    () => s.read('ldirectord.ldirectord.cf.status.json').includes('"status": "running"'),
    'the daemon has finished starting',
  );
  outputs.statusFile = readdirSync(s.dir)
    .filter((f) => f.endsWith('.status.json'))
    .map((f) => s.read(f))
    .join('\n');
  assert.match(outputs.statusFile, /"reason": "password authentication failed: got \\"\*{8}\\""/);

  const lines = s.logLineCount();
  process.kill(pid, 'SIGUSR1');
  await s.waitForLog(/^Status: {3}real 127\.0\.5\.57:\d+ down .*got "\*{8}"$/, lines);
  const json = await s.runAsync([s.cf, 'status', '--json']);
  assert.equal(json.code, 0);
  outputs.statusJson = json.stdout + json.stderr;
  assert.match(outputs.statusJson, /Access denied for user \(using password '\*{8}'\)/);
  const text = await s.runAsync([s.cf, 'status']);
  outputs.status = text.stdout + text.stderr;

  // A broken line holding a password, in a reload and in a start of its own.
  const broken = config
    .replaceAll('{{DIR}}', s.dir)
    .replace('\tpasswd="My-S3cret-Pass"', '\tpasswd="My-S3cret-Pass')
    .replace('\tsecret="Radius-S3cret"', '\tsecrett="Radius-S3cret"');
  writeFileSync(s.cf, broken);
  const reload = await s.runAsync([s.cf, 'reload']);
  outputs.reload = reload.stdout + reload.stderr;
  assert.equal(reload.code, 2, 'reload refuses the broken file itself');
  process.kill(pid, 'SIGHUP');
  await s.waitForLog(/^Error \[\d+\] reading file .* at line 8: /, lines);
  await s.waitForLog(/still running the configuration read before/, lines);
  writeFileSync(s.path('broken.cf'), broken);
  const start = await s.runAsync([s.path('broken.cf'), 'start']);
  assert.equal(start.code, 2);
  outputs.brokenStart = start.stdout + start.stderr;
  assert.match(outputs.brokenStart, /at line 8: /);
  const check = await s.runAsync(['check', s.path('broken.cf')]);
  outputs.check = check.stdout + check.stderr;
  assert.notEqual(check.code, 0);

  writeFileSync(s.cf, config.replaceAll('{{DIR}}', s.dir));
  assert.equal((await s.runAsync([s.cf, 'stop'])).code, 0);
  outputs.log = s.log;
  outputs.monitorfile = s.read('monitor.log');

  // -d: every line on stderr; the reals start in the table, so their first failed check is a
  // transition logged with its reason; then a USR1 dump shows every last reason.
  const seed = spawnSync(FAKE_IPVSADM, ['-R'], {
    input:
      `-A -t 10.5.5.6:3306 -s wrr\n-a -t 10.5.5.6:3306 -r ${mysql.host}:${mysql.port} -m -w 1\n` +
      `-A -t 10.5.5.7:5432 -s wrr\n-a -t 10.5.5.7:5432 -r ${pgsql.host}:${pgsql.port} -m -w 1\n`,
    env: s.env(),
  });
  assert.equal(seed.status, 0, String(seed.stderr));
  const debug = spawn(process.execPath, [BIN, '--pid-dir', s.pidDir, '-d', s.cf, 'start'], {
    cwd: s.dir,
    env: s.env(),
    stdio: 'pipe',
  });
  children.push(debug);
  let debugOut = '';
  debug.stdout.on('data', (b: Buffer) => (debugOut += b.toString()));
  debug.stderr.on('data', (b: Buffer) => (debugOut += b.toString()));
  const debugExit = new Promise((resolve) => debug.on('close', resolve));
  await eventually(
    () =>
      /^DEBUG2: Real server down: 127\.0\.5\.57:\d+ .*got "\*{8}"$/m.test(debugOut) &&
      /^DEBUG2: Real server down: 127\.0\.5\.56:\d+ .*using password '\*{8}'\)$/m.test(debugOut),
    'the -d reasons',
  );
  debug.kill('SIGUSR1');
  await eventually(() => /^Status: {3}real 127\.0\.5\.56:\d+ down/m.test(debugOut), 'the dump');
  debug.kill('SIGTERM');
  await within(debugExit, 'the -d daemon to exit');
  outputs.debug = debugOut;

  for (const [where, text] of Object.entries(outputs)) {
    for (const secret of secrets) {
      assert.ok(!text.includes(secret), `${where} shows the password ${secret}:\n${text}`);
    }
    // Not even a recognizable piece of one.
    assert.doesNotMatch(text, /S3cret|S3cr"et/, where);
  }
});
