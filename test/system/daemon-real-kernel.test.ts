// The daemon against a real IPVS kernel: ldirectord-ts runs in the qemu guest as an
// administrator runs it (`ldirectord-ts scenario.cf start`, config in /etc/ha.d, pid file in
// /var/run, the real /sbin/ipvsadm), over real servers that a control file takes down and brings
// back. At each checkpoint the kernel's table (`ipvsadm -S -n` and `ipvsadm -L -n --thresholds`)
// and the IPVS lines the daemon logged are held against the expected ones written out below:
// start-up, a real down (deleted or quiesced), the last one down (fallback in), recovery, a
// reload, a restart after kill -9, and a clean stop.
//
// The same scenario runs on the host against the fake ipvsadm (addresses, ports and paths mapped,
// see hostSite), alongside the guest: the same expected tables must come out.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { runCommand } from '../../src/lib/run-command.ts';
import { guestPrerequisites, missingAsRoot, REAL_IPVSADM } from '../support/guest-prerequisites.ts';
import { FAKE_IPVSADM } from '../support/ldts.ts';
import { bootGuest, type Guest } from '../support/qemu-guest.ts';

const ROOT = new URL('../../', import.meta.url).pathname.replace(/\/$/, '');
const NODE = process.execPath;

// ---------------------------------------------------------------------------------------------
// The scenario, in the guest's terms. The host site maps 127.0.0.x, [::1]:8082 and the log path.

const CONFIG = `checkinterval=1
checktimeout=10
negotiatetimeout=10
logfile="/var/log/ldts-scenario.log"
quiescent=no
cleanstop=yes

# http negotiate with a receive string, quiescent=no, a fallback when no real is up
virtual=192.0.2.10:80
	real=127.0.0.2:8080 masq 2
	real=127.0.0.3:8080 masq 1
	fallback=127.0.0.5:8080 masq
	service=http
	request="health"
	receive="ldts-ok"
	scheduler=wrr

# connect, quiescent=yes, thresholds
virtual=192.0.2.11:9000
	real=127.0.0.2:8080 masq 3 l:10 u:100
	real=127.0.0.3:8080 masq 3 l:20 u:200
	checktype=connect
	quiescent=yes
	scheduler=wlc

# a gate real: the kernel gets the virtual's port (80), the check goes to 8081
virtual=192.0.2.12:80
	real=127.0.0.4:8081 gate 5
	checktype=connect

# a firewall mark, left in the kernel at stop
virtual=7
	real=127.0.0.4 gate 2
	checkport=8081
	checktype=connect
	scheduler=rr
	cleanstop=no

virtual6=[2001:db8::10]:80
	real6=[::1]:8082 masq
	service=http
	receive="ldts-ok"
`;

/** The reload: 127.0.0.3's weight 1 -> 4, the gate virtual out, a new virtual in. */
const RELOADED_CONFIG = CONFIG.replace(
  'real=127.0.0.3:8080 masq 1\n',
  'real=127.0.0.3:8080 masq 4\n',
).replace(
  /# a gate real:[^\n]*\nvirtual=192\.0\.2\.12:80\n\treal=127\.0\.0\.4:8081 gate 5\n\tchecktype=connect\n/,
  '# added by the reload\nvirtual=192.0.2.13:8081\n\treal=127.0.0.4:8081 masq 6\n\tchecktype=connect\n',
);

const SERVERS = ['127.0.0.2:8080', '127.0.0.3:8080', '127.0.0.4:8081', '[::1]:8082'];

/** A virtual service the config does not know: the daemon must never touch it. */
const FOREIGN = [
  '"$IPVSADM" -A -t 192.0.2.99:80 -s rr',
  '"$IPVSADM" -a -t 192.0.2.99:80 -r 127.0.0.9:80 -m -w 4',
].join('\n');

const START_TABLE = `
-A -t 192.0.2.10:80 -s wrr
-a -t 192.0.2.10:80 -r 127.0.0.2:8080 -m -w 2
-a -t 192.0.2.10:80 -r 127.0.0.3:8080 -m -w 1
-A -t 192.0.2.11:9000 -s wlc
-a -t 192.0.2.11:9000 -r 127.0.0.2:8080 -m -w 3
-a -t 192.0.2.11:9000 -r 127.0.0.3:8080 -m -w 3
-A -t 192.0.2.12:80 -s wrr
-a -t 192.0.2.12:80 -r 127.0.0.4:80 -g -w 5
-A -t 192.0.2.99:80 -s rr
-a -t 192.0.2.99:80 -r 127.0.0.9:80 -m -w 4
-A -t [2001:db8::10]:80 -s wrr
-a -t [2001:db8::10]:80 -r [::1]:8082 -m -w 1
-A -f 7 -s rr
-a -f 7 -r 127.0.0.4:0 -g -w 2
`;

const START_THRESHOLDS = `
IP Virtual Server version 1.2.1 (size=4096)
Prot LocalAddress:Port            Uthreshold Lthreshold ActiveConn InActConn
  -> RemoteAddress:Port
TCP  192.0.2.10:80 wrr
  -> 127.0.0.2:8080               0          0          0          0
  -> 127.0.0.3:8080               0          0          0          0
TCP  192.0.2.11:9000 wlc
  -> 127.0.0.2:8080               100        10         0          0
  -> 127.0.0.3:8080               200        20         0          0
TCP  192.0.2.12:80 wrr
  -> 127.0.0.4:80                 0          0          0          0
TCP  192.0.2.99:80 rr
  -> 127.0.0.9:80                 0          0          0          0
TCP  [2001:db8::10]:80 wrr
  -> [::1]:8082                   0          0          0          0
FWM  7 rr
  -> 127.0.0.4:0                  0          0          0          0
`;

const START_LOG = `
Added virtual server: 192.0.2.10:80
Added virtual server: 192.0.2.11:9000
Added virtual server: 192.0.2.12:80
Added virtual server: 7
Added virtual server: [2001:db8::10]:80
Added fallback server: 127.0.0.5:8080 (192.0.2.10:80) (Weight set to 1)
Readd Quiescent real server: 127.0.0.2:8080 (192.0.2.11:9000) (Weight set to 0)
Readd Quiescent real server: 127.0.0.3:8080 (192.0.2.11:9000) (Weight set to 0)
Added real server: 127.0.0.2:8080 (192.0.2.10:80) (Weight set to 2)
Added real server: 127.0.0.3:8080 (192.0.2.10:80) (Weight set to 1)
Deleted fallback server: 127.0.0.5:8080 (192.0.2.10:80)
Restored real server: 127.0.0.2:8080 (192.0.2.11:9000) (Weight set to 3)
Restored real server: 127.0.0.3:8080 (192.0.2.11:9000) (Weight set to 3)
Added real server: 127.0.0.4:8081 (192.0.2.12:80) (Weight set to 5)
Added real server: 127.0.0.4:0 (7) (Weight set to 2)
Added real server: [::1]:8082 ([2001:db8::10]:80) (Weight set to 1)
`;

// 127.0.0.2:8080 refuses connections: deleted from the quiescent=no virtual, weight 0 (and, as
// the original's -e without -x/-y, thresholds 0) in the quiescent=yes one.
const DOWN_TABLE = `
-A -t 192.0.2.10:80 -s wrr
-a -t 192.0.2.10:80 -r 127.0.0.3:8080 -m -w 1
-A -t 192.0.2.11:9000 -s wlc
-a -t 192.0.2.11:9000 -r 127.0.0.2:8080 -m -w 0
-a -t 192.0.2.11:9000 -r 127.0.0.3:8080 -m -w 3
-A -t 192.0.2.12:80 -s wrr
-a -t 192.0.2.12:80 -r 127.0.0.4:80 -g -w 5
-A -t 192.0.2.99:80 -s rr
-a -t 192.0.2.99:80 -r 127.0.0.9:80 -m -w 4
-A -t [2001:db8::10]:80 -s wrr
-a -t [2001:db8::10]:80 -r [::1]:8082 -m -w 1
-A -f 7 -s rr
-a -f 7 -r 127.0.0.4:0 -g -w 2
`;

const DOWN_THRESHOLDS = `
IP Virtual Server version 1.2.1 (size=4096)
Prot LocalAddress:Port            Uthreshold Lthreshold ActiveConn InActConn
  -> RemoteAddress:Port
TCP  192.0.2.10:80 wrr
  -> 127.0.0.3:8080               0          0          0          0
TCP  192.0.2.11:9000 wlc
  -> 127.0.0.2:8080               0          0          0          0
  -> 127.0.0.3:8080               200        20         0          0
TCP  192.0.2.12:80 wrr
  -> 127.0.0.4:80                 0          0          0          0
TCP  192.0.2.99:80 rr
  -> 127.0.0.9:80                 0          0          0          0
TCP  [2001:db8::10]:80 wrr
  -> [::1]:8082                   0          0          0          0
FWM  7 rr
  -> 127.0.0.4:0                  0          0          0          0
`;

const DOWN_LOG = `
Deleted real server: 127.0.0.2:8080 (192.0.2.10:80)
Quiescent real server: 127.0.0.2:8080 (192.0.2.11:9000) (Weight set to 0)
`;

// 127.0.0.3:8080 still accepts connections but answers without the receive string: the http
// virtual has no real left (the fallback comes in); the connect virtual keeps it.
const FALLBACK_TABLE = `
-A -t 192.0.2.10:80 -s wrr
-a -t 192.0.2.10:80 -r 127.0.0.5:8080 -m -w 1
-A -t 192.0.2.11:9000 -s wlc
-a -t 192.0.2.11:9000 -r 127.0.0.2:8080 -m -w 0
-a -t 192.0.2.11:9000 -r 127.0.0.3:8080 -m -w 3
-A -t 192.0.2.12:80 -s wrr
-a -t 192.0.2.12:80 -r 127.0.0.4:80 -g -w 5
-A -t 192.0.2.99:80 -s rr
-a -t 192.0.2.99:80 -r 127.0.0.9:80 -m -w 4
-A -t [2001:db8::10]:80 -s wrr
-a -t [2001:db8::10]:80 -r [::1]:8082 -m -w 1
-A -f 7 -s rr
-a -f 7 -r 127.0.0.4:0 -g -w 2
`;

const FALLBACK_THRESHOLDS = `
IP Virtual Server version 1.2.1 (size=4096)
Prot LocalAddress:Port            Uthreshold Lthreshold ActiveConn InActConn
  -> RemoteAddress:Port
TCP  192.0.2.10:80 wrr
  -> 127.0.0.5:8080               0          0          0          0
TCP  192.0.2.11:9000 wlc
  -> 127.0.0.2:8080               0          0          0          0
  -> 127.0.0.3:8080               200        20         0          0
TCP  192.0.2.12:80 wrr
  -> 127.0.0.4:80                 0          0          0          0
TCP  192.0.2.99:80 rr
  -> 127.0.0.9:80                 0          0          0          0
TCP  [2001:db8::10]:80 wrr
  -> [::1]:8082                   0          0          0          0
FWM  7 rr
  -> 127.0.0.4:0                  0          0          0          0
`;

const FALLBACK_LOG = `
Deleted real server: 127.0.0.3:8080 (192.0.2.10:80)
Added fallback server: 127.0.0.5:8080 (192.0.2.10:80) (Weight set to 1)
`;

const RECOVERED_LOG = `
Added real server: 127.0.0.2:8080 (192.0.2.10:80) (Weight set to 2)
Added real server: 127.0.0.3:8080 (192.0.2.10:80) (Weight set to 1)
Deleted fallback server: 127.0.0.5:8080 (192.0.2.10:80)
Restored real server: 127.0.0.2:8080 (192.0.2.11:9000) (Weight set to 3)
`;

const RELOADED_TABLE = `
-A -t 192.0.2.10:80 -s wrr
-a -t 192.0.2.10:80 -r 127.0.0.2:8080 -m -w 2
-a -t 192.0.2.10:80 -r 127.0.0.3:8080 -m -w 4
-A -t 192.0.2.11:9000 -s wlc
-a -t 192.0.2.11:9000 -r 127.0.0.2:8080 -m -w 3
-a -t 192.0.2.11:9000 -r 127.0.0.3:8080 -m -w 3
-A -t 192.0.2.13:8081 -s wrr
-a -t 192.0.2.13:8081 -r 127.0.0.4:8081 -m -w 6
-A -t 192.0.2.99:80 -s rr
-a -t 192.0.2.99:80 -r 127.0.0.9:80 -m -w 4
-A -t [2001:db8::10]:80 -s wrr
-a -t [2001:db8::10]:80 -r [::1]:8082 -m -w 1
-A -f 7 -s rr
-a -f 7 -r 127.0.0.4:0 -g -w 2
`;

const RELOADED_THRESHOLDS = `
IP Virtual Server version 1.2.1 (size=4096)
Prot LocalAddress:Port            Uthreshold Lthreshold ActiveConn InActConn
  -> RemoteAddress:Port
TCP  192.0.2.10:80 wrr
  -> 127.0.0.2:8080               0          0          0          0
  -> 127.0.0.3:8080               0          0          0          0
TCP  192.0.2.11:9000 wlc
  -> 127.0.0.2:8080               100        10         0          0
  -> 127.0.0.3:8080               200        20         0          0
TCP  192.0.2.13:8081 wrr
  -> 127.0.0.4:8081               0          0          0          0
TCP  192.0.2.99:80 rr
  -> 127.0.0.9:80                 0          0          0          0
TCP  [2001:db8::10]:80 wrr
  -> [::1]:8082                   0          0          0          0
FWM  7 rr
  -> 127.0.0.4:0                  0          0          0          0
`;

// Only what changed: no healthy real is deleted and added again.
const RELOADED_LOG = `
Added virtual server: 192.0.2.13:8081
Restored real server: 127.0.0.3:8080 (192.0.2.10:80) (Weight set to 4)
Purged virtual server (start): 192.0.2.12:80
Added real server: 127.0.0.4:8081 (192.0.2.13:8081) (Weight set to 6)
`;

// cleanstop=yes: every virtual of the config goes, except the one with cleanstop=no; the
// virtual the config does not know stays.
const STOPPED_TABLE = `
-A -t 192.0.2.99:80 -s rr
-a -t 192.0.2.99:80 -r 127.0.0.9:80 -m -w 4
-A -f 7 -s rr
-a -f 7 -r 127.0.0.4:0 -g -w 2
`;

const STOPPED_THRESHOLDS = `
IP Virtual Server version 1.2.1 (size=4096)
Prot LocalAddress:Port            Uthreshold Lthreshold ActiveConn InActConn
  -> RemoteAddress:Port
TCP  192.0.2.99:80 rr
  -> 127.0.0.9:80                 0          0          0          0
FWM  7 rr
  -> 127.0.0.4:0                  0          0          0          0
`;

const STOPPED_LOG = `
Purged real server (stop): 127.0.0.2:8080 (192.0.2.10:80)
Purged real server (stop): 127.0.0.3:8080 (192.0.2.10:80)
Purged virtual server (stop): 192.0.2.10:80
Purged real server (stop): 127.0.0.2:8080 (192.0.2.11:9000)
Purged real server (stop): 127.0.0.3:8080 (192.0.2.11:9000)
Purged virtual server (stop): 192.0.2.11:9000
Purged real server (stop): 127.0.0.4:8081 (192.0.2.13:8081)
Purged virtual server (stop): 192.0.2.13:8081
Purged real server (stop): [::1]:8082 ([2001:db8::10]:80)
Purged virtual server (stop): [2001:db8::10]:80
`;

// ---------------------------------------------------------------------------------------------
// Where the scenario runs: the guest (real kernel) or the host (fake ipvsadm). Scripts use
// $IPVSADM, $CTL (control files), $RUNDIR (pid folder), $LOG, $CF (the config argument),
// $CFPATH (where it lives) and `ldts` (the program as installed there).

interface Site {
  readonly name: string;
  /** Guest-literal text (config, scripts, expectations) in this site's addresses and paths. */
  map(text: string): string;
  run(script: string, timeoutMs: number): Promise<{ code: number | null; output: string }>;
  close(): Promise<void>;
}

async function guestSite(guest: Guest): Promise<Site> {
  const prelude = `set -u
ROOT='${ROOT}' NODE='${NODE}'
IPVSADM=${REAL_IPVSADM} CTL=/run/ldts-ctl RUNDIR=/var/run LOG=/var/log/ldts-scenario.log
CF=scenario.cf CFPATH=/etc/ha.d/scenario.cf
# Node's compile cache: each command in the emulated guest starts a quarter faster.
export NODE_COMPILE_CACHE=/tmp/ldts-node-cache
# As an administrator runs it: found in /etc/ha.d, pid file in /var/run, /sbin/ipvsadm.
ldts() { "$NODE" "$ROOT/bin/ldirectord-ts" "$@"; }
`;
  return {
    name: 'kernel',
    map: (text) => text,
    run: async (script, timeoutMs) => {
      const r = await guest.run(prelude + script, { timeoutMs });
      return { code: r.code, output: r.stdout + r.stderr };
    },
    close: () => guest.close(),
  };
}

/** A port free on host now (bound, read, released). */
async function freePort(host: string, port = 0): Promise<number | undefined> {
  const server = createServer();
  return new Promise((resolve) => {
    server.once('error', () => resolve(undefined));
    server.listen(port, host, () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : port));
    });
  });
}

/**
 * The host: the fake ipvsadm (its table in a scratch file), a pid folder and log in a scratch
 * folder, and the real servers on a free 127.0.N.0/24 (and a free port on ::1) so that runs on
 * the same machine do not collide.
 */
async function hostSite(): Promise<Site> {
  const dir = mkdtempSync(join(tmpdir(), 'ldts-scenario-'));
  let subnet: number | undefined;
  for (let attempt = 0; attempt < 30 && subnet === undefined; attempt++) {
    const n = 10 + Math.floor(Math.random() * 240);
    const free = await Promise.all([
      freePort(`127.0.${n}.2`, 8080),
      freePort(`127.0.${n}.3`, 8080),
      freePort(`127.0.${n}.4`, 8081),
    ]);
    if (free.every((p) => p !== undefined)) subnet = n;
  }
  const v6port = await freePort('::1');
  if (subnet === undefined || v6port === undefined) throw new Error('no free loopback ports');
  const map = (text: string): string =>
    text
      .replaceAll('127.0.0.', `127.0.${subnet}.`)
      .replaceAll('[::1]:8082', `[::1]:${v6port}`)
      .replaceAll('/var/log/ldts-scenario.log', `${dir}/ldirectord.log`);
  const prelude = `set -u
ROOT='${ROOT}' NODE='${NODE}'
IPVSADM='${FAKE_IPVSADM}' CTL='${dir}/ctl' RUNDIR='${dir}' LOG='${dir}/ldirectord.log'
CF='${dir}/scenario.cf' CFPATH='${dir}/scenario.cf'
export FAKE_IPVSADM_STATE='${dir}/ipvsadm.state.json'
ldts() { "$NODE" "$ROOT/bin/ldirectord-ts" --pid-dir "$RUNDIR" --ipvsadm "$IPVSADM" "$@"; }
`;
  return {
    name: 'fake',
    map,
    run: async (script, timeoutMs) => {
      const r = await runCommand('/bin/sh', ['-c', prelude + script], { timeoutMs });
      return { code: r.code, output: r.stdout + r.stderr };
    },
    close: async () => {
      // The daemon and the servers, if a failed step left them running.
      for (const name of ['ldirectord.scenario.cf.pid', 'servers.pid']) {
        const pid = Number(readFileOrEmpty(join(dir, name)).trim());
        if (pid > 0) {
          try {
            process.kill(pid, 'SIGKILL');
          } catch {
            // already gone
          }
        }
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

function readFileOrEmpty(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return '';
  }
}

// ---------------------------------------------------------------------------------------------
// Steps and checkpoints.

/** The -S listing as ipvsadm prints it: the lines, each ending in a newline. */
function table(text: string): string {
  return text
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => `${l}\n`)
    .join('');
}

/** Column padding depends on the addresses' lengths (which the host site changes): ignore it. */
function normalizeListing(text: string): string {
  return text
    .split('\n')
    .map((l) => l.trim().replace(/ +/g, ' '))
    .filter((l) => l !== '')
    .join('\n');
}

/** The log lines that change IPVS, without the `[date|cfg|pid] ` prefix, sorted: checks run
 * concurrently, so their order within a checkpoint is not fixed. */
function ipvsLogLines(text: string): string[] {
  const lines: string[] = [];
  for (const line of text.split('\n')) {
    const m =
      /^\[[^\]]*\] ((?:Added|Deleted|Restored|Quiescent|Readd Quiescent|Purged|Changed) .*)$/.exec(
        line,
      );
    if (m) lines.push(m[1]!);
  }
  return lines.sort();
}

function expectedLog(text: string): string[] {
  return text
    .split('\n')
    .filter((l) => l !== '')
    .sort();
}

interface Checkpoint {
  /** What the step's action printed. */
  action: string;
  table: string;
  thresholds: string;
  /** The daemon's log since the previous checkpoint. */
  log: string;
  durationMs: number;
}

/**
 * Runs `action`, then waits (bounded) until `ipvsadm -S -n` is the expected table, lets it
 * settle (a further change would show), and reads both listings and the new log lines.
 */
async function step(
  site: Site,
  action: string,
  expectedTable: string,
  options: { waitSeconds?: number; settleSeconds?: number; timeoutMs: number },
): Promise<Checkpoint> {
  const script = `${action}
cat > "$RUNDIR/expected" <<'LDTS_EOF'
${table(expectedTable)}LDTS_EOF
end=$(( $(date +%s) + ${options.waitSeconds ?? 90} ))
while :; do
  "$IPVSADM" -S -n > "$RUNDIR/table" 2>&1
  cmp -s "$RUNDIR/table" "$RUNDIR/expected" && break
  [ "$(date +%s)" -ge "$end" ] && break
  sleep 0.3
done
sleep ${options.settleSeconds ?? 1}
echo @@table
"$IPVSADM" -S -n
echo @@thresholds
"$IPVSADM" -L -n --thresholds
echo @@log
offset=$(cat "$RUNDIR/log.offset" 2>/dev/null || echo 0)
size=$(wc -c < "$LOG")
tail -c +$((offset + 1)) "$LOG" | head -c $((size - offset))
echo "$size" > "$RUNDIR/log.offset"
echo @@end
`;
  const started = performance.now();
  const r = await site.run(site.map(script), options.timeoutMs);
  const durationMs = performance.now() - started;
  const m = /^([\s\S]*)@@table\n([\s\S]*)@@thresholds\n([\s\S]*)@@log\n([\s\S]*)@@end\n/.exec(
    r.output,
  );
  assert.ok(m, `the checkpoint job failed (exit ${r.code}):\n${r.output}`);
  return { action: m[1]!, table: m[2]!, thresholds: m[3]!, log: m[4]!, durationMs };
}

function assertCheckpoint(
  site: Site,
  cp: Checkpoint,
  expected: { table: string; thresholds: string; log: string },
): void {
  assert.equal(cp.table, table(site.map(expected.table)), 'ipvsadm -S -n');
  assert.equal(
    normalizeListing(cp.thresholds),
    normalizeListing(site.map(expected.thresholds)),
    'ipvsadm -L -n --thresholds',
  );
  assert.deepEqual(
    ipvsLogLines(cp.log),
    expectedLog(site.map(expected.log)),
    `IPVS changes logged; the log:\n${cp.log}`,
  );
}

/** The scenario's steps, in order; each test depends on the ones before it. */
function scenario(getSite: () => Site, timeoutMs: number, skip: string | false): void {
  const site = (): Site => getSite();
  const opts = { skip, timeout: timeoutMs * 2 };

  test('start-up: every virtual, every healthy real, the fallback out', opts, async (t) => {
    const servers = SERVERS.map((s) => `'${s}'`).join(' ');
    const cp = await step(
      site(),
      `mkdir -p "$CTL"
${FOREIGN}
setsid "$NODE" "$ROOT/test/support/control-file-servers.ts" "$CTL" ${servers} \\
  > "$RUNDIR/servers.log" 2>&1 < /dev/null &
echo $! > "$RUNDIR/servers.pid"
i=0
until grep -q '^ready' "$RUNDIR/servers.log"; do
  i=$((i + 1)); [ $i -gt 300 ] && { echo "servers not ready"; cat "$RUNDIR/servers.log"; exit 1; }
  sleep 0.2
done
cat > "$CFPATH" <<'LDTS_EOF'
${CONFIG}LDTS_EOF
ldts "$CF" start; echo "start: $?"`,
      START_TABLE,
      { timeoutMs },
    );
    t.diagnostic(`${site().name}: start-up checkpoint in ${(cp.durationMs / 1000).toFixed(1)} s`);
    assert.match(cp.action, /^start: 0$/m, cp.action);
    assertCheckpoint(site(), cp, {
      table: START_TABLE,
      thresholds: START_THRESHOLDS,
      log: START_LOG,
    });
  });

  test('a real goes down: deleted where quiescent=no, weight 0 where yes', opts, async (t) => {
    const cp = await step(site(), 'touch "$CTL/127.0.0.2_8080.down"', DOWN_TABLE, { timeoutMs });
    t.diagnostic(`${site().name}: down checkpoint in ${(cp.durationMs / 1000).toFixed(1)} s`);
    assertCheckpoint(site(), cp, {
      table: DOWN_TABLE,
      thresholds: DOWN_THRESHOLDS,
      log: DOWN_LOG,
    });
  });

  test(
    'the last real of a virtual fails its receive string: the fallback comes in',
    opts,
    async (t) => {
      const cp = await step(site(), 'touch "$CTL/127.0.0.3_8080.wrong"', FALLBACK_TABLE, {
        timeoutMs,
      });
      t.diagnostic(`${site().name}: fallback checkpoint in ${(cp.durationMs / 1000).toFixed(1)} s`);
      assertCheckpoint(site(), cp, {
        table: FALLBACK_TABLE,
        thresholds: FALLBACK_THRESHOLDS,
        log: FALLBACK_LOG,
      });
    },
  );

  test('the reals come back: restored, the fallback out', opts, async (t) => {
    const cp = await step(
      site(),
      'rm -f "$CTL/127.0.0.2_8080.down" "$CTL/127.0.0.3_8080.wrong"',
      START_TABLE,
      { timeoutMs },
    );
    t.diagnostic(`${site().name}: recovery checkpoint in ${(cp.durationMs / 1000).toFixed(1)} s`);
    assertCheckpoint(site(), cp, {
      table: START_TABLE,
      thresholds: START_THRESHOLDS,
      log: RECOVERED_LOG,
    });
  });

  test(
    'reload: a virtual added, one removed, a weight changed; healthy reals untouched',
    opts,
    async (t) => {
      const cp = await step(
        site(),
        `cat > "$CFPATH" <<'LDTS_EOF'
${RELOADED_CONFIG}LDTS_EOF
ldts "$CF" reload; echo "reload: $?"`,
        RELOADED_TABLE,
        { timeoutMs, settleSeconds: 2.5 },
      );
      t.diagnostic(`${site().name}: reload checkpoint in ${(cp.durationMs / 1000).toFixed(1)} s`);
      assert.match(cp.action, /^reload: 0$/m, cp.action);
      assert.match(cp.log, /Reloading Linux Director Daemon config on signal/);
      assertCheckpoint(site(), cp, {
        table: RELOADED_TABLE,
        thresholds: RELOADED_THRESHOLDS,
        log: RELOADED_LOG,
      });
      assert.doesNotMatch(
        cp.log,
        /(Deleted|Added) real server: (127\.0\.\d+\.[23]:8080|\[::1\])/,
        'the healthy reals stayed in the kernel',
      );
    },
  );

  test(
    'kill -9, then start again: the table is left as it was, nothing re-added',
    opts,
    async (t) => {
      const cp = await step(
        site(),
        `"$IPVSADM" -S -n > "$RUNDIR/before-kill"
pid=$(cat "$RUNDIR/ldirectord.scenario.cf.pid")
kill -9 "$pid"
i=0
while kill -0 "$pid" 2>/dev/null; do i=$((i + 1)); [ $i -gt 100 ] && break; sleep 0.1; done
"$IPVSADM" -S -n | cmp -s - "$RUNDIR/before-kill" && echo "table untouched by the kill"
ldts "$CF" start; echo "start: $?"
new=$(cat "$RUNDIR/ldirectord.scenario.cf.pid")
[ "$new" != "$pid" ] && echo "new daemon"
# Running once its start plan is applied and every real has had its first check.
status="$RUNDIR/ldirectord.scenario.cf.status.json"
i=0
until grep -q "\\"pid\\": $new," "$status" 2>/dev/null && grep -q '"status": "running"' "$status"; do
  i=$((i + 1)); [ $i -gt 300 ] && { echo "not running"; break; }
  sleep 0.2
done`,
        RELOADED_TABLE,
        { timeoutMs, settleSeconds: 2.5 },
      );
      t.diagnostic(`${site().name}: restart checkpoint in ${(cp.durationMs / 1000).toFixed(1)} s`);
      assert.match(cp.action, /^table untouched by the kill$/m, cp.action);
      assert.match(cp.action, /^start: 0$/m, cp.action);
      assert.match(cp.action, /^new daemon$/m, cp.action);
      assert.doesNotMatch(cp.action, /not running/, cp.action);
      assert.match(cp.log, /Starting Linux Director v1\.186-ha as daemon/);
      assertCheckpoint(site(), cp, {
        table: RELOADED_TABLE,
        thresholds: RELOADED_THRESHOLDS,
        log: '',
      });
    },
  );

  test(
    'stop with cleanstop=yes: the virtuals gone, cleanstop=no and unknown ones kept',
    opts,
    async (t) => {
      const cp = await step(
        site(),
        `ldts "$CF" stop; echo "stop: $?"
[ -e "$RUNDIR/ldirectord.scenario.cf.pid" ] || echo "pid file removed"
kill "$(cat "$RUNDIR/servers.pid")"`,
        STOPPED_TABLE,
        { timeoutMs, waitSeconds: 1, settleSeconds: 0 },
      );
      t.diagnostic(`${site().name}: stop checkpoint in ${(cp.durationMs / 1000).toFixed(1)} s`);
      assert.match(cp.action, /^stop: 0$/m, cp.action);
      assert.match(cp.action, /^pid file removed$/m, cp.action);
      assert.match(cp.log, /Linux Director Daemon terminated on signal: TERM/);
      assertCheckpoint(site(), cp, {
        table: STOPPED_TABLE,
        thresholds: STOPPED_THRESHOLDS,
        log: STOPPED_LOG,
      });
    },
  );
}

// ---------------------------------------------------------------------------------------------

const prerequisites = guestPrerequisites();
const guestSkip = prerequisites.ok ? false : prerequisites.skip;

// The two sites side by side (the host's part is light); each one's steps in order.
describe('the daemon scenario', { concurrency: 2 }, () => {
  describe('in the guest, against the kernel', { concurrency: 1 }, () => {
    let site: Site | undefined;
    before(
      async (t) => {
        if (guestSkip) return;
        if (!prerequisites.ok) throw new Error(missingAsRoot(prerequisites.problems));
        const guest = await bootGuest({ host: prerequisites.host });
        t.diagnostic(`guest booted in ${(guest.bootMs / 1000).toFixed(1)} s`);
        site = await guestSite(guest);
      },
      { timeout: 240_000 },
    );
    after(() => site?.close());
    scenario(() => site!, 360_000, guestSkip);
  });

  describe('on the host, against the fake ipvsadm', { concurrency: 1 }, () => {
    let site: Site | undefined;
    before(async () => {
      site = await hostSite();
    });
    after(() => site?.close());
    scenario(() => site!, 60_000, false);
  });
});
