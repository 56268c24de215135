// checktype=external and external-perl: real scripts in a scratch folder (whose name contains
// spaces), their arguments, exit statuses, signals and deadlines, and that nothing they started
// outlives a timeout.
import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { checkExternal, externalArguments } from '../../src/checkers/external.ts';
import { checkExternalPerl } from '../../src/checkers/external-perl.ts';
import { MARGIN_MS, runCheck, target } from '../support/checkers.ts';

let dir: string;
const path = (name: string): string => join(dir, name);

function script(name: string, body: string): string {
  writeFileSync(path(name), body);
  chmodSync(path(name), 0o755);
  return path(name);
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function gone(pids: number[], withinMs: number): Promise<boolean> {
  const deadline = Date.now() + withinMs;
  while (Date.now() < deadline) {
    if (pids.every((p) => !alive(p))) return true;
    await new Promise((r) => setTimeout(r, 25));
  }
  return pids.every((p) => !alive(p));
}

before(() => {
  dir = join(mkdtempSync(join(tmpdir(), 'ldts-external-')), 'check scripts');
  mkdirSync(dir);
  script('up.sh', '#!/bin/sh\nexit 0\n');
  script('down.sh', '#!/bin/sh\necho "service says no" >&2\nexit 3\n');
  script('args.sh', `#!/bin/sh\nprintf '%s\\n' "$@" > "${path('args.out')}"\n`);
  script('signal.sh', '#!/bin/sh\nkill -KILL $$\n');
  script('hang.sh', `#!/bin/sh\nsleep 60 &\necho $$ $! > "${path('hang.pids')}"\nwait\n`);
  script(
    'stubborn.sh',
    `#!/bin/sh\ntrap '' TERM\necho $$ > "${path('stubborn.pid')}"\nwhile :; do sleep 0.1; done\n`,
  );
  script('with space.sh', '#!/bin/sh\nexit 0\n');
  script('leaves.sh', `#!/bin/sh\nsleep 120 &\necho $! > "${path('leaves.pid')}"\nexit 0\n`);
  writeFileSync(
    path('leaves.pl'),
    `system("sleep 120 & echo \\$! > '${path('perl-leaves.pid')}'"); exit(0);\n`,
  );
  writeFileSync(path('end.pl'), 'my $x = 1;\n');
  writeFileSync(path('exit0.pl'), 'exit(0);\n');
  writeFileSync(path('exit3.pl'), 'exit(3);\n');
  writeFileSync(path('return.pl'), 'return 1;\nexit(3);\n');
  writeFileSync(path('die.pl'), 'die "not today\\n";\n');
  writeFileSync(path('strict.pl'), '$undeclared = 1;\n');
  writeFileSync(
    path('args.pl'),
    `open(my $f, '>', '${path('perl-args.out')}') or die; print $f join("\\n", @ARGV), "\\n"; close $f;\n`,
  );
  writeFileSync(
    path('hang.pl'),
    `open(my $f, '>', '${path('perl-hang.pid')}'); print $f "$$\\n"; close $f; sleep 60;\n`,
  );
  writeFileSync(path('arg check.pl'), 'exit($ARGV[2] eq "127.0.1.1" ? 0 : 1);\n');
});

after(() => rmSync(join(dir, '..'), { recursive: true, force: true }));

const external = (checkcommand: string, overrides: Parameters<typeof target>[0] = {}) =>
  target({
    checkcommand,
    virtualAddress: '10.0.0.1',
    virtualPort: 80,
    host: '127.0.1.1',
    realPort: 8080,
    ...overrides,
  });

describe('external', () => {
  test('exit status 0 is up, anything else down with what the command said', async () => {
    assert.equal((await runCheck(checkExternal, external(path('up.sh')))).up, true);
    const down = await runCheck(checkExternal, external(path('down.sh')));
    assert.deepEqual([down.up, down.reason], [false, 'exit status 3: service says no']);
  });
  test('arguments: vip vport rip rport for IPv4', async () => {
    await runCheck(checkExternal, external(path('args.sh')));
    assert.equal(readFileSync(path('args.out'), 'utf8'), '10.0.0.1\n80\n127.0.1.1\n8080\n');
  });
  test('arguments: IPv6 addresses in brackets', async () => {
    await runCheck(
      checkExternal,
      external(path('args.sh'), { family: 6, virtualAddress: '2001:db8::1', host: '2001:db8::2' }),
    );
    assert.equal(
      readFileSync(path('args.out'), 'utf8'),
      '[2001:db8::1]\n80\n[2001:db8::2]\n8080\n',
    );
  });
  test('arguments: the fwmark and vport 0 for a firewall-mark service', () => {
    const args = externalArguments(
      external('x', {
        protocol: 'fwm',
        fwmark: 7,
        virtualAddress: '',
        virtualPort: 0,
        realPort: 0,
      }),
    );
    assert.deepEqual(args, ['7', '0', '127.0.1.1', '0']);
  });
  test('a command killed by a signal is down (the original counts it up)', async () => {
    const r = await runCheck(checkExternal, external(path('signal.sh')));
    assert.deepEqual([r.up, r.reason], [false, 'killed by signal SIGKILL']);
  });
  test('a path with spaces is run as one program', async () => {
    const r = await runCheck(checkExternal, external(path('with space.sh')));
    assert.equal(r.up, true, r.reason);
  });
  test('a missing program is down', async () => {
    const r = await runCheck(checkExternal, external(path('missing.sh')));
    assert.deepEqual([r.up, r.reason], [false, 'cannot run: No such file or directory']);
  });
  test('past the deadline: down at once, the command and its children killed', async () => {
    const r = await runCheck(checkExternal, external(path('hang.sh'), { timeoutMs: 600 }));
    assert.deepEqual([r.up, r.reason], [false, 'timeout']);
    assert.ok(r.ms < 600 + MARGIN_MS, `took ${r.ms} ms`);
    const pids = readFileSync(path('hang.pids'), 'utf8').trim().split(' ').map(Number);
    assert.equal(pids.length, 2);
    assert.ok(await gone(pids, 2000), `still running: ${pids.filter(alive)}`);
  });
  test('a command that leaves a process running is up at its exit; the process is killed', async () => {
    const r = await runCheck(checkExternal, external(path('leaves.sh'), { timeoutMs: 3000 }));
    // Up, not 'timeout': the check ended at the command's exit, not when the sleep it left
    // would have (a bound on its milliseconds would only measure the machine's load).
    assert.deepEqual([r.up, r.reason], [true, 'exit status 0']);
    const pid = Number(readFileSync(path('leaves.pid'), 'utf8'));
    assert.ok(await gone([pid], 5000), 'the background sleep survived');
  });
  test('a command ignoring SIGTERM does not delay the result and is killed', async () => {
    const r = await runCheck(checkExternal, external(path('stubborn.sh'), { timeoutMs: 500 }));
    assert.deepEqual([r.up, r.reason], [false, 'timeout']);
    assert.ok(r.ms < 500 + MARGIN_MS, `took ${r.ms} ms`);
    const pid = Number(readFileSync(path('stubborn.pid'), 'utf8'));
    assert.ok(await gone([pid], 2500), 'the stubborn command survived');
  });
});

describe('external-perl', () => {
  const perl = (file: string, overrides: Parameters<typeof target>[0] = {}) =>
    external(path(file), overrides);

  test('falling off the end is up', async () => {
    assert.equal((await runCheck(checkExternalPerl, perl('end.pl'))).up, true);
  });
  test('exit(0) is up, exit(3) down', async () => {
    assert.equal((await runCheck(checkExternalPerl, perl('exit0.pl'))).up, true);
    const r = await runCheck(checkExternalPerl, perl('exit3.pl'));
    assert.deepEqual([r.up, r.reason], [false, 'exit status 3']);
  });
  test('return at the top level is up: the script is the body of a sub, as in the original', async () => {
    assert.equal((await runCheck(checkExternalPerl, perl('return.pl'))).up, true);
  });
  test('die is down with its message', async () => {
    const r = await runCheck(checkExternalPerl, perl('die.pl'));
    assert.equal(r.up, false);
    assert.match(r.reason, /not today/);
  });
  test('the script is compiled under use strict, as in the original', async () => {
    const r = await runCheck(checkExternalPerl, perl('strict.pl'));
    assert.equal(r.up, false);
    assert.match(r.reason, /Global symbol "\$undeclared" requires explicit package name/);
  });
  test('a file that cannot be read is down', async () => {
    const r = await runCheck(checkExternalPerl, perl('missing.pl'));
    assert.equal(r.up, false);
    assert.match(r.reason, /cannot open external-perl checkcommand file/);
  });
  test('@ARGV holds vip vport rip rport', async () => {
    await runCheck(
      checkExternalPerl,
      perl('args.pl', { family: 6, virtualAddress: '2001:db8::1', host: '2001:db8::2' }),
    );
    assert.equal(
      readFileSync(path('perl-args.out'), 'utf8'),
      '[2001:db8::1]\n80\n[2001:db8::2]\n8080\n',
    );
  });
  test('a path with spaces', async () => {
    assert.equal((await runCheck(checkExternalPerl, perl('arg check.pl'))).up, true);
  });
  test('a script whose command leaves a process running is up; the process is killed', async () => {
    const r = await runCheck(checkExternalPerl, perl('leaves.pl', { timeoutMs: 3000 }));
    assert.deepEqual([r.up, r.reason], [true, 'exit status 0']);
    assert.ok(r.ms < 1500, `took ${r.ms} ms`);
    const pid = Number(readFileSync(path('perl-leaves.pid'), 'utf8'));
    assert.ok(await gone([pid], 2000), 'the background sleep survived');
  });
  test('past the deadline: down at once, perl killed', async () => {
    const r = await runCheck(checkExternalPerl, perl('hang.pl', { timeoutMs: 800 }));
    assert.deepEqual([r.up, r.reason], [false, 'timeout']);
    assert.ok(r.ms < 800 + MARGIN_MS, `took ${r.ms} ms`);
    const pid = Number(readFileSync(path('perl-hang.pid'), 'utf8'));
    assert.ok(await gone([pid], 2000), 'perl still runs');
  });
});
