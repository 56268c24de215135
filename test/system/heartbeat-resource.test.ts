// heartbeat v1 drives resource.d/ldirectord through its own ResourceManager, in the qemu guest:
// `takegroup` starts ldirectord-ts, `status` reads it as running, `givegroup` stops it and the
// kernel's IPVS table is cleaned (cleanstop=yes). The resource script is also run directly as
// heartbeat runs it, and the Perl original is held to the same ResourceManager for comparison.
//
// Only in the guest: when a stop fails while the resource still reads as running,
// ResourceManager kills every process named heartbeat, ipfail or ccm and runs `/sbin/reboot -nf`.
// In the guest that would end only the guest; the guest's /sbin/reboot is moreover replaced by a
// stand-in that records its arguments, so a test can see heartbeat decide to reboot.
// ResourceManager needs no running heartbeat: it reads /etc/ha.d/haresources, finds scripts in
// /etc/ha.d/resource.d, sources /etc/ha.d/shellfuncs, and logs to $HA_LOGFILE and $HA_DEBUGLOG.
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { guestPrerequisites, missingAsRoot } from '../support/guest-prerequisites.ts';
import { bootGuest, GUEST_SHARE, type Guest } from '../support/qemu-guest.ts';

const ROOT = new URL('../../', import.meta.url).pathname.replace(/\/$/, '');
const NODE = process.execPath;
const RESOURCE_MANAGER = '/usr/share/heartbeat/ResourceManager';
const PERL_LDIRECTORD = '/usr/sbin/ldirectord';

const CONFIG = `checkinterval=1
checktimeout=10
negotiatetimeout=10
logfile="/var/log/ldirectord-test.log"
cleanstop=yes

virtual=192.0.2.20:80
	real=127.0.0.2:8080 masq
	real=127.0.0.3:8080 masq 2
	service=http
	receive="ldts-ok"

virtual=192.0.2.21:9000
	real=127.0.0.2:8080 masq 3
	checktype=connect
	quiescent=yes
`;

/** For the Perl original: checktype=on, nothing to check. */
const PERL_CONFIG = `checkinterval=1
logfile="/var/log/ldirectord-perl.log"
virtual=192.0.2.30:80
	real=127.0.0.4:8080 masq
	checktype=on
`;

/** A virtual service outside every config: nobody may touch it. */
const FOREIGN_TABLE = `-A -t 192.0.2.99:80 -s rr
-a -t 192.0.2.99:80 -r 127.0.0.9:80 -m -w 4
`;

const RUNNING_TABLE = `-A -t 192.0.2.20:80 -s wrr
-a -t 192.0.2.20:80 -r 127.0.0.2:8080 -m -w 1
-a -t 192.0.2.20:80 -r 127.0.0.3:8080 -m -w 2
-A -t 192.0.2.21:9000 -s wrr
-a -t 192.0.2.21:9000 -r 127.0.0.2:8080 -m -w 3
${FOREIGN_TABLE}`;

/** Installed before the first job: what a heartbeat node with ldirectord-ts has. */
const BOOT_SCRIPT = `set -e
# ldirectord-ts as a package installs it, running the project's build with the pinned Node.
printf '#!/bin/sh\\nexec %s %s "$@"\\n' '${NODE}' '${ROOT}/bin/ldirectord-ts' > /usr/sbin/ldirectord-ts
chmod 755 /usr/sbin/ldirectord-ts
# Our resource script in place of the Debian package's link to the Perl program.
rm -f /etc/ha.d/resource.d/ldirectord
cp '${ROOT}/resource.d/ldirectord' /etc/ha.d/resource.d/ldirectord
chmod 755 /etc/ha.d/resource.d/ldirectord
echo "$(uname -n) ldirectord::ldirectord-test.cf" > /etc/ha.d/haresources
cat > /etc/ha.d/ldirectord-test.cf <<'LDTS_EOF'
${CONFIG}LDTS_EOF
# A config whose name holds the words ResourceManager looks for.
cp /etc/ha.d/ldirectord-test.cf /etc/ha.d/OK-running.cf
# The Perl original as its package installs it, in a resource folder of its own.
mkdir -p /etc/ha.d/resource.d.perl
ln -s ${PERL_LDIRECTORD} /etc/ha.d/resource.d.perl/ldirectord
cat > /etc/ha.d/perl.cf <<'LDTS_EOF'
${PERL_CONFIG}LDTS_EOF
# heartbeat's reboot, recorded instead of done.
rm -f /sbin/reboot
printf '#!/bin/sh\\necho "reboot $*" >> ${GUEST_SHARE}/reboot-called\\n' > /sbin/reboot
chmod 755 /sbin/reboot
ipvsadm -A -t 192.0.2.99:80 -s rr
ipvsadm -a -t 192.0.2.99:80 -r 127.0.0.9:80 -m -w 4
`;

/** Every job: ResourceManager's logs in the job's folder (read from the host afterwards). */
const PRELUDE = `RM=${RESOURCE_MANAGER}
RESOURCE=/etc/ha.d/resource.d/ldirectord
KEY=ldirectord::ldirectord-test.cf
PIDFILE=/var/run/ldirectord.ldirectord-test.cf.pid
export HA_LOGFILE="$LDTS_JOB_DIR/ha.log" HA_DEBUGLOG="$LDTS_JOB_DIR/ha-debug.log"
# Node's compile cache: each ldirectord-ts command in the emulated guest starts a quarter faster.
export NODE_COMPILE_CACHE=/tmp/ldts-node-cache
# Waits (bounded) until ipvsadm -S -n prints exactly $1.
await_table() {
  printf '%s' "$1" > "$LDTS_JOB_DIR/expected"
  end=$(( $(date +%s) + 90 ))
  until ipvsadm -S -n | cmp -s - "$LDTS_JOB_DIR/expected"; do
    [ "$(date +%s)" -ge "$end" ] && break
    sleep 0.3
  done
  echo @@table; ipvsadm -S -n; echo @@end
}
`;

function missingHeartbeat(): string[] {
  const problems: string[] = [];
  for (const [path, pkg] of [
    [RESOURCE_MANAGER, 'heartbeat'],
    ['/etc/ha.d/shellfuncs', 'heartbeat'],
    ['/usr/lib/ocf/lib/heartbeat/ocf-shellfuncs', 'resource-agents'],
    [PERL_LDIRECTORD, 'ldirectord'],
  ]) {
    if (!existsSync(path!)) problems.push(`${path} missing (Debian package ${pkg})`);
  }
  return problems;
}

const prerequisites = guestPrerequisites();
const heartbeatProblems = missingHeartbeat();
const problems = [...(prerequisites.ok ? [] : prerequisites.problems), ...heartbeatProblems];
const root = process.getuid?.() === 0;
const skip = problems.length === 0 || root ? false : `needs root: ${problems.join('; ')}`;

let guest: Guest | undefined;

interface Job {
  code: number;
  stdout: string;
  stderr: string;
  /** ResourceManager's log ($HA_LOGFILE) of this job. */
  haLog: string;
  /** What the resource script printed on stderr under ResourceManager ($HA_DEBUGLOG). */
  haDebug: string;
  /** The tables printed by await_table, in order. */
  tables: string[];
  /** The job's folder on the host. */
  hostDir: string;
}

async function job(script: string, timeoutMs = 420_000): Promise<Job> {
  const r = await guest!.run(PRELUDE + script, { timeoutMs });
  const read = (name: string): string => {
    const path = join(r.hostDir, name);
    return existsSync(path) ? readFileSync(path, 'utf8') : '';
  };
  return {
    code: r.code,
    stdout: r.stdout,
    stderr: r.stderr,
    haLog: read('ha.log'),
    haDebug: read('ha-debug.log'),
    tables: [...r.stdout.matchAll(/@@table\n([\s\S]*?)@@end\n/g)].map((m) => m[1]!),
    hostDir: r.hostDir,
  };
}

/** `<label>: <status>` lines the jobs print after each command. */
function exitOf(j: Job, label: string): number | undefined {
  const m = new RegExp(`^${label}: (\\d+)$`, 'm').exec(j.stdout);
  return m ? Number(m[1]) : undefined;
}

function rebootCalls(): string {
  const path = join(guest!.shareDir, 'reboot-called');
  return existsSync(path) ? readFileSync(path, 'utf8') : '';
}

before(
  async (t) => {
    if (skip) return;
    if (!prerequisites.ok || heartbeatProblems.length > 0) {
      throw new Error(missingAsRoot(problems));
    }
    guest = await bootGuest({ host: prerequisites.host, bootScript: BOOT_SCRIPT });
    t.diagnostic(`guest booted in ${(guest.bootMs / 1000).toFixed(1)} s`);
    const servers = await job(
      `mkdir -p /run/ldts-ctl
setsid '${NODE}' '${ROOT}/test/support/control-file-servers.ts' /run/ldts-ctl \\
  127.0.0.2:8080 127.0.0.3:8080 > /run/servers.log 2>&1 < /dev/null &
i=0
until grep -q '^ready' /run/servers.log; do
  i=$((i + 1)); [ $i -gt 300 ] && { cat /run/servers.log; exit 1; }
  sleep 0.2
done`,
    );
    assert.equal(servers.code, 0, servers.stdout + servers.stderr);
  },
  { timeout: 480_000 },
);

after(async () => {
  await guest?.close();
});

test('the Perl original: running, yet ResourceManager reads it as stopped', { skip }, async () => {
  const j = await job(`${PERL_LDIRECTORD} perl.cf start; echo "start: $?"
await_table '-A -t 192.0.2.30:80 -s wrr
-a -t 192.0.2.30:80 -r 127.0.0.4:8080 -m -w 1
${FOREIGN_TABLE}'
# The original's status speaks on stderr, which ResourceManager passes through unread.
HA_RESOURCEDIR=/etc/ha.d/resource.d.perl "$RM" status ldirectord::perl.cf; echo "rm status: $?"
${PERL_LDIRECTORD} perl.cf stop; echo "stop: $?"
i=0
while [ -e /var/run/ldirectord.perl.cf.pid ] && [ $i -lt 100 ]; do i=$((i + 1)); sleep 0.2; done
ipvsadm -S -n | grep -q 192.0.2.30 || echo "its virtual is gone"`);
  assert.equal(exitOf(j, 'start'), 0, j.stdout + j.stderr);
  assert.ok(j.tables[0]?.startsWith('-A -t 192.0.2.30:80'), j.stdout);
  assert.match(j.stderr, /^ldirectord for \/etc\/ha\.d\/perl\.cf is running with pid: \d+$/m);
  assert.equal(exitOf(j, 'rm status'), 3, 'ResourceManager never sees the original running');
  assert.equal(exitOf(j, 'stop'), 0);
  assert.match(j.stdout, /^its virtual is gone$/m);
});

test(
  'ResourceManager takegroup starts ldirectord-ts; status reads it as running',
  { skip },
  async (t) => {
    const started = performance.now();
    const j = await job(`"$RM" listkeys "$(uname -n)"
"$RM" takegroup "$KEY"; echo "takegroup: $?"
await_table '${RUNNING_TABLE}'
"$RM" status "$KEY"; echo "rm status: $?"
cat "$PIDFILE"`);
    t.diagnostic(`takegroup job in ${((performance.now() - started) / 1000).toFixed(1)} s`);
    assert.match(j.stdout, /^ldirectord::ldirectord-test\.cf$/m, "this node's group");
    assert.equal(exitOf(j, 'takegroup'), 0, j.haLog + j.haDebug);
    assert.match(
      j.haLog,
      /info: Running \/etc\/ha\.d\/resource\.d\/ldirectord ldirectord-test\.cf start$/m,
    );
    assert.doesNotMatch(j.haLog, /ERROR|CRIT/);
    assert.deepEqual(j.tables, [RUNNING_TABLE], 'the kernel has the virtual services');
    assert.equal(exitOf(j, 'rm status'), 0, 'ResourceManager reads ldirectord-ts as running');
  },
);

test('takegroup again: status says running, so no second start', { skip }, async () => {
  const j = await job(`before=$(cat "$PIDFILE")
"$RM" takegroup "$KEY"; echo "takegroup: $?"
[ "$(cat "$PIDFILE")" = "$before" ] && echo "same daemon"`);
  assert.equal(exitOf(j, 'takegroup'), 0, j.haLog + j.haDebug);
  assert.match(j.haLog, /info: Acquiring resource group/);
  assert.doesNotMatch(j.haLog, /Running \/etc\/ha\.d\/resource\.d\/ldirectord/);
  assert.match(j.stdout, /^same daemon$/m);
});

test(
  'ResourceManager givegroup stops it; cleanstop=yes empties its virtuals',
  { skip },
  async (t) => {
    const started = performance.now();
    const j = await job(`"$RM" givegroup "$KEY"; echo "givegroup: $?"
[ -e "$PIDFILE" ] || echo "pid file removed"
await_table '${FOREIGN_TABLE}'
"$RM" status "$KEY"; echo "rm status: $?"`);
    t.diagnostic(`givegroup job in ${((performance.now() - started) / 1000).toFixed(1)} s`);
    assert.equal(exitOf(j, 'givegroup'), 0, j.haLog + j.haDebug);
    assert.match(
      j.haLog,
      /info: Running \/etc\/ha\.d\/resource\.d\/ldirectord ldirectord-test\.cf stop$/m,
    );
    assert.doesNotMatch(j.haLog, /ERROR|CRIT|Retrying/);
    assert.match(j.stdout, /^pid file removed$/m);
    assert.deepEqual(j.tables, [FOREIGN_TABLE], 'only the virtual outside the config is left');
    assert.equal(exitOf(j, 'rm status'), 3);
    assert.equal(rebootCalls(), '');
  },
);

test('the resource script run as heartbeat runs it: exit codes and stdout', { skip }, async () => {
  const j =
    await job(`run() { label=$1; shift; "$RESOURCE" "$@" > "$label.out" 2> "$label.err"; echo "$label: $?"; }
run stopped ldirectord-test.cf status
run start ldirectord-test.cf start
run running ldirectord-test.cf status
run stop ldirectord-test.cf stop
run stop-again ldirectord-test.cf stop
echo 999999 > "$PIDFILE"
run stale ldirectord-test.cf status
rm -f "$PIDFILE"
run ok-named OK-running.cf status
"$RM" status ldirectord::OK-running.cf; echo "rm ok-named: $?"`);
  const out = (label: string): string => readFileSync(join(j.hostDir, `${label}.out`), 'utf8');
  const err = (label: string): string => readFileSync(join(j.hostDir, `${label}.err`), 'utf8');
  const cf = '/etc/ha.d/ldirectord-test.cf';

  assert.equal(exitOf(j, 'stopped'), 3);
  assert.equal(out('stopped'), `ldirectord is stopped for ${cf}\n`);
  assert.equal(exitOf(j, 'start'), 0, err('start'));
  assert.equal(exitOf(j, 'running'), 0);
  assert.match(out('running'), new RegExp(`^ldirectord for ${cf} is running with pid: \\d+\\n$`));
  assert.equal(err('running'), '');
  assert.equal(exitOf(j, 'stop'), 0, err('stop'));
  assert.equal(exitOf(j, 'stop-again'), 0, 'a stop when stopped succeeds (heartbeat requires it)');
  assert.equal(exitOf(j, 'stale'), 1);
  assert.equal(
    out('stale'),
    `ldirectord stale pid file /var/run/ldirectord.ldirectord-test.cf.pid for ${cf}\n` +
      `ldirectord is stopped for ${cf}\n`,
  );
  assert.equal(exitOf(j, 'ok-named'), 3);
  assert.equal(
    out('ok-named'),
    'ldirectord is stopped for /etc/ha.d/OK-running.cf\nldirectord is not running\n',
  );
  assert.equal(
    exitOf(j, 'rm ok-named'),
    3,
    'a config named OK-running.cf does not read as running',
  );
});

// Last: it leaves heartbeat's recovery path taken.
test(
  'a stop that fails while status reads running: heartbeat reboots the node',
  { skip },
  async () => {
    const j = await job(
      `"$RM" takegroup "$KEY"; echo "takegroup: $?"
await_table '${RUNNING_TABLE}'
pid=$(cat "$PIDFILE")
kill -STOP "$pid"
HA_STOPRETRYMAX=1 LDIRECTORD_TS_STOP_TIMEOUT_MS=1000 "$RM" givegroup "$KEY"; echo "givegroup: $?"
# Let it go: the TERMs it was sent complete the clean stop.
kill -CONT "$pid"
i=0
while kill -0 "$pid" 2>/dev/null && [ $i -lt 300 ]; do i=$((i + 1)); sleep 0.2; done
await_table '${FOREIGN_TABLE}'`,
      420_000,
    );
    assert.equal(exitOf(j, 'takegroup'), 0, j.haLog + j.haDebug);
    assert.match(j.haDebug, /did not stop within 1 s/);
    assert.match(
      j.haLog,
      /info: Retrying failed stop operation \[ldirectord::ldirectord-test\.cf\]/,
    );
    assert.match(j.haLog, /CRIT: Resource STOP failure\. Reboot required!/);
    assert.equal(rebootCalls(), 'reboot -nf\n');
    assert.deepEqual(
      j.tables,
      [RUNNING_TABLE, FOREIGN_TABLE],
      'taken again; once continued, the daemon finished its clean stop',
    );
  },
);
