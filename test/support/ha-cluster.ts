// Two directors, one virtual IP, real traffic: the seeds' LVS-DR cluster
// (test/fixtures/configs/seeds/centos-heartbeat-dr.cf with heartbeat's
// `ld1 IPaddr2::<VIP>/24/eth0 ldirectord::ldirectord.cf`) on three qemu guests
// joined by one emulated Ethernet segment (ethernet-hub.ts, no host networking):
//
//   ld1 10.0.5.1, ld2 10.0.5.2   directors: IPVS, heartbeat v1 or corosync + Pacemaker, and
//                                ldirectord-ts (installed as a package would) or the Perl original
//   lan                          one guest, three network namespaces on a bridge to its eth0:
//                                real servers r1 10.0.5.11 and r2 10.0.5.12 (busybox httpd, the VIP
//                                on lo, arp_ignore=1/arp_announce=2 as the seeds' real-server
//                                script), and the client 10.0.5.50 (vip-client.ts, a request
//                                every 200 ms)
//   VIP 10.0.5.100/24 on the director's eth0, moved by the cluster manager
//
// Each director runs director-watch.ts, which logs its VIP and IPVS table on every change to
// the share; heartbeat, Pacemaker and ldirectord log there too. The host reads those files to
// wait on conditions without a guest job, and keeps the logs of a killed director for the
// diagnostics every failed wait prints (both nodes' logs, `ipvsadm -S -n`, the client's tail).
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { type DirectorState, parseWatchLog } from './director-watch.ts';
import { type EthernetHub, startEthernetHub } from './ethernet-hub.ts';
import { acquireMachineLock } from './machine-lock.ts';
import { bootGuest, GUEST_SHARE, type Guest, type GuestHost } from './qemu-guest.ts';
import { type ClientRequest, parseClientLog } from './vip-client.ts';

const ROOT = new URL('../../', import.meta.url).pathname.replace(/\/$/, '');
const NODE = process.execPath;

export const VIP = '10.0.5.100';
export const DIRECTORS = { ld1: '10.0.5.1', ld2: '10.0.5.2' } as const;
export type DirectorName = keyof typeof DIRECTORS;
export const REALS = { r1: '10.0.5.11', r2: '10.0.5.12' } as const;
export type RealName = keyof typeof REALS;
const CLIENT = '10.0.5.50';

export type DirectorProgram = 'ldirectord-ts' | 'perl';
export type ClusterManager = 'heartbeat' | 'pacemaker';

export const PERL_LDIRECTORD = '/usr/sbin/ldirectord';
/** Where the drop-in install puts ldirectord-ts (a link to the launcher, as `npm -g` would). */
export const LDIRECTORD_TS = '/usr/sbin/ldirectord-ts';
export const CONFIG_PATH = '/etc/ha.d/ldirectord.cf';

/** The directors' check timing (seconds): a loaded emulated guest answers a check in seconds. */
export const CHECK_INTERVAL = 1;
export const CHECK_TIMEOUT = 10;

/** The seed's LVS-DR virtual service (centos-heartbeat-dr.cf) on this LAN. */
export const DIRECTOR_CONFIG = `checkinterval=${CHECK_INTERVAL}
checktimeout=${CHECK_TIMEOUT}
logfile="${GUEST_SHARE}/ldirectord.log"
quiescent=no

virtual=${VIP}:80
	real=${REALS.r1}:80 gate 1
	real=${REALS.r2}:80 gate 2
	service=http
	request="checknode.lvs"
	receive="ok"
	scheduler=wlc
	protocol=tcp
`;

/** The table a director holding the VIP must have (`ipvsadm -S -n` lines, any order). */
export const FULL_TABLE = [
  `-A -t ${VIP}:80 -s wlc`,
  `-a -t ${VIP}:80 -r ${REALS.r1}:80 -g -w 1`,
  `-a -t ${VIP}:80 -r ${REALS.r2}:80 -g -w 2`,
];
export const TABLE_WITHOUT_R1 = FULL_TABLE.filter((l) => !l.includes(REALS.r1));

export function sameTable(actual: readonly string[], expected: readonly string[]): boolean {
  return JSON.stringify([...actual].sort()) === JSON.stringify([...expected].sort());
}

/** heartbeat v1: short timers for the test (a takeover 8 s after the last heartbeat). */
const HA_CF = `logfile ${GUEST_SHARE}/ha-log
debugfile ${GUEST_SHARE}/ha-debug
logfacility none
keepalive 1
warntime 4
deadtime 8
initdead 40
udpport 694
ucast eth0 ${DIRECTORS.ld1}
ucast eth0 ${DIRECTORS.ld2}
auto_failback off
node ld1
node ld2
crm no
`;

/** The seeds' haresources line for this LAN. */
export const HARESOURCES = `ld1 IPaddr2::${VIP}/24/eth0 ldirectord::ldirectord.cf\n`;

const COROSYNC_CONF = `totem {
	version: 2
	cluster_name: ldts
	transport: knet
	crypto_cipher: none
	crypto_hash: none
	token: 5000
}
logging {
	to_stderr: no
	to_syslog: no
	to_logfile: yes
	logfile: ${GUEST_SHARE}/corosync.log
	timestamp: hires
}
quorum {
	provider: corosync_votequorum
	two_node: 1
}
nodelist {
	node {
		name: ld1
		nodeid: 1
		ring0_addr: ${DIRECTORS.ld1}
	}
	node {
		name: ld2
		nodeid: 2
		ring0_addr: ${DIRECTORS.ld2}
	}
}
`;

/**
 * The heartbeat v1 -> CRM migration of the haresources line: a group of IPaddr2 and ldirectord,
 * preferring ld1, sticky once placed, no fencing (two test guests have no fencing device).
 */
export function crmConfiguration(program: DirectorProgram): string {
  const ldirectord = program === 'perl' ? '' : ` ldirectord=${LDIRECTORD_TS}`;
  return `property stonith-enabled=false no-quorum-policy=ignore
rsc_defaults resource-stickiness=100
primitive vip ocf:heartbeat:IPaddr2 params ip=${VIP} cidr_netmask=24 nic=eth0 \\
  op monitor interval=10s timeout=60s op start timeout=120s op stop timeout=120s
primitive lvs ocf:heartbeat:ldirectord params configfile=${CONFIG_PATH}${ldirectord} \\
  op monitor interval=20s timeout=60s op start timeout=120s op stop timeout=120s
group director vip lvs
location prefer-ld1 director 50: ld1
`;
}

function heredoc(path: string, content: string): string {
  return `cat > ${path} <<'LDTS_EOF'\n${content}LDTS_EOF\n`;
}

/** ldirectord-ts as its package installs it: Node 24 as `node`, the program and the resource script. */
function installProgram(program: DirectorProgram): string {
  if (program === 'perl') {
    // The Debian package's own drop-in: resource.d/ldirectord links to the Perl program.
    return `[ "$(readlink /etc/ha.d/resource.d/ldirectord)" = ${PERL_LDIRECTORD} ] || exit 1\n`;
  }
  return `ln -sf '${NODE}' /usr/local/bin/node
ln -sf '${ROOT}/bin/ldirectord-ts' ${LDIRECTORD_TS}
rm -f /etc/ha.d/resource.d/ldirectord
install -m 755 '${ROOT}/resource.d/ldirectord' /etc/ha.d/resource.d/ldirectord
`;
}

function startManager(manager: ClusterManager): string {
  if (manager === 'heartbeat') {
    return `${heredoc('/etc/ha.d/ha.cf', HA_CF)}${heredoc('/etc/ha.d/haresources', HARESOURCES)}
printf 'auth 1\\n1 sha1 ldts-cluster-test\\n' > /etc/ha.d/authkeys
chmod 600 /etc/ha.d/authkeys
mkdir -p /var/run/heartbeat/ccm /var/run/heartbeat/dopd /var/run/heartbeat/rsctmp
chown hacluster:haclient /var/run/heartbeat/ccm /var/run/heartbeat/dopd
/usr/libexec/heartbeat/heartbeat > ${GUEST_SHARE}/heartbeat.out 2>&1 < /dev/null
`;
  }
  return `mkdir -p /etc/corosync /var/log/pacemaker
${heredoc('/etc/corosync/corosync.conf', COROSYNC_CONF)}
setsid corosync -f > ${GUEST_SHARE}/corosync.out 2>&1 < /dev/null &
i=0
until corosync-cfgtool -s > /dev/null 2>&1; do
  i=$((i + 1)); [ $i -gt 200 ] && { echo "corosync did not start"; exit 1; }
  sleep 0.3
done
setsid pacemakerd > ${GUEST_SHARE}/pacemakerd.out 2>&1 < /dev/null &
# Its daemons run as hacluster and log to /var/log/pacemaker: a copy follows it into the share.
setsid tail -n +1 -F /var/log/pacemaker/pacemaker.log > ${GUEST_SHARE}/pacemaker.log 2> /dev/null < /dev/null &
`;
}

function directorBootScript(program: DirectorProgram, manager: ClusterManager): string {
  return `set -e
${installProgram(program)}${heredoc(CONFIG_PATH, DIRECTOR_CONFIG)}
setsid '${NODE}' '${ROOT}/test/support/director-watch.ts' ${GUEST_SHARE}/watch.log ${VIP} 100 \\
  > ${GUEST_SHARE}/watch.err 2>&1 < /dev/null &
${startManager(manager)}`;
}

/** The lan guest: a bridge on eth0, the real servers and the client in network namespaces. */
const LAN_BOOT_SCRIPT = `set -e
modprobe -a bridge veth
ip link add br0 type bridge
ip link set br0 type bridge stp_state 0 forward_delay 0
ip link set eth0 master br0
ip link set br0 up
namespace() {
  ip netns add $1
  ip link add v-$1 type veth peer name eth0 netns $1
  ip link set v-$1 master br0
  ip link set v-$1 up
  ip -n $1 link set lo up
  ip -n $1 addr add $2/24 dev eth0
  ip -n $1 link set eth0 up
}
${Object.entries(REALS)
  .map(
    ([name, address]) => `namespace ${name} ${address}
# LVS-DR: the real server accepts the VIP on lo and never answers ARP for it.
ip netns exec ${name} sysctl -qw net.ipv4.conf.all.arp_ignore=1 net.ipv4.conf.all.arp_announce=2
ip -n ${name} addr add ${VIP}/32 dev lo
mkdir -p /srv/${name}
echo ${name} > /srv/${name}/index.html
echo ok > /srv/${name}/checknode.lvs
`,
  )
  .join('')}namespace client ${CLIENT}
cat > /usr/local/sbin/real-http <<'LDTS_EOF'
#!/bin/sh
# real-http start|stop <real>: its web server in its namespace
case $1 in
  start) ip netns exec $2 setsid busybox httpd -f -p 80 -h /srv/$2 > /run/httpd-$2.log 2>&1 < /dev/null &
         echo $! > /run/httpd-$2.pid ;;
  stop) kill $(cat /run/httpd-$2.pid) ;;
esac
LDTS_EOF
chmod 755 /usr/local/sbin/real-http
${Object.keys(REALS)
  .map((name) => `real-http start ${name}\n`)
  .join('')}ip netns exec client setsid '${NODE}' '${ROOT}/test/support/vip-client.ts' \\
  http://${VIP}/ ${GUEST_SHARE}/client.log 200 3000 > ${GUEST_SHARE}/client.err 2>&1 < /dev/null &
`;

/** What the cluster needs on the host (the guests run the host's binaries); empty when all is there. */
export function clusterPrerequisites(manager: ClusterManager, program: DirectorProgram): string[] {
  const needs: [string, string][] = [
    ['/usr/lib/ocf/resource.d/heartbeat/IPaddr2', 'resource-agents'],
    ['/usr/lib/ocf/resource.d/heartbeat/ldirectord', 'resource-agents'],
  ];
  if (program === 'perl') needs.push([PERL_LDIRECTORD, 'ldirectord']);
  if (manager === 'heartbeat') {
    needs.push(['/usr/libexec/heartbeat/heartbeat', 'heartbeat']);
    needs.push(['/usr/share/heartbeat/hb_takeover', 'heartbeat']);
    needs.push(['/usr/bin/cl_status', 'heartbeat']);
  } else {
    needs.push(['/usr/sbin/corosync', 'corosync'], ['/usr/sbin/pacemakerd', 'pacemaker']);
    needs.push(['/usr/sbin/crm', 'crmsh']);
  }
  return needs
    .filter(([path]) => !existsSync(path))
    .map(([path, p]) => `${path} missing (Debian package ${p})`);
}

/**
 * Clusters take turns on the machine: three emulated guests, two of them busy during a
 * takeover, are what 2 shared cores carry without starving heartbeat's and corosync's timers
 * (two clusters at once, next to the rest of `npm test`, made agents time out). The test files
 * wait for each other; the benchmark waits for them.
 */
const CLUSTER_LOCK = 'ldirectord-ts-cluster';
const CLUSTER_LOCK_WAIT_MS = 25 * 60_000;

export interface ClusterOptions {
  program: DirectorProgram;
  manager: ClusterManager;
  host?: GuestHost;
  /** Called with progress lines (boot times...), e.g. t.diagnostic. */
  note?: (line: string) => void;
}

/** Files of a director's share worth showing when something goes wrong. */
const LOG_FILES = [
  'ha-log',
  'pacemaker.log',
  'corosync.log',
  'ldirectord.log',
  'watch.log',
  'watch.err',
  'heartbeat.out',
];

/** A failure whose message already holds the cluster's diagnostics (DirectorPair.failure). */
export class ClusterFailure extends Error {}

export class DirectorPair implements AsyncDisposable {
  readonly program: DirectorProgram;
  readonly manager: ClusterManager;
  readonly lan: EthernetHub;
  readonly lanGuest: Guest;
  private readonly directors = new Map<DirectorName, Guest>();
  /** Logs of directors that were killed, kept for the diagnostics. */
  private readonly fallen: string[] = [];
  private readonly host: GuestHost | undefined;
  private readonly note: (line: string) => void;
  private release: () => Promise<void> = async () => {};

  private constructor(options: ClusterOptions, lan: EthernetHub, lanGuest: Guest) {
    this.program = options.program;
    this.manager = options.manager;
    this.host = options.host;
    this.note = options.note ?? (() => {});
    this.lan = lan;
    this.lanGuest = lanGuest;
  }

  /** Boots the lan guest and both directors at once; each director starts its manager. */
  static async start(options: ClusterOptions): Promise<DirectorPair> {
    // One cluster at a time on the machine (see CLUSTER_LOCK).
    const release = await acquireMachineLock(CLUSTER_LOCK, {
      timeoutMs: CLUSTER_LOCK_WAIT_MS,
      onWait: (pid) => options.note?.(`waiting for the cluster of pid ${pid ?? '?'} to finish`),
    });
    try {
      const pair = await DirectorPair.bootAll(options);
      pair.release = release;
      return pair;
    } catch (error) {
      await release();
      throw error;
    }
  }

  private static async bootAll(options: ClusterOptions): Promise<DirectorPair> {
    const lan = await startEthernetHub();
    const lanGuest = bootGuest({
      host: options.host,
      hostname: 'lan',
      nics: [{ hub: lan }],
      bootScript: LAN_BOOT_SCRIPT,
    });
    const pair = lanGuest.then((g) => new DirectorPair(options, lan, g));
    const booted = await Promise.allSettled([
      pair,
      ...(['ld1', 'ld2'] as const).map(async (name) => (await pair).boot(name)),
    ]);
    const failed = booted.find((r) => r.status === 'rejected');
    if (failed) {
      if (booted[0]!.status === 'fulfilled') await booted[0]!.value.close();
      else await lan.close();
      throw failed.reason;
    }
    return pair;
  }

  /** Boots a director (again, after kill): its program, configs, watcher and manager. */
  async boot(name: DirectorName): Promise<Guest> {
    if (this.directors.has(name)) throw new Error(`${name} is running`);
    const guest = await bootGuest({
      host: this.host,
      hostname: name,
      nics: [{ hub: this.lan, address: `${DIRECTORS[name]}/24` }],
      bootScript: directorBootScript(this.program, this.manager),
    });
    this.directors.set(name, guest);
    this.note(`${name} booted in ${(guest.bootMs / 1000).toFixed(1)} s`);
    return guest;
  }

  director(name: DirectorName): Guest {
    const guest = this.directors.get(name);
    if (!guest) throw new Error(`${name} is not running`);
    return guest;
  }

  running(name: DirectorName): boolean {
    return this.directors.has(name);
  }

  /** Pulls the plug on a director: no shutdown, no resource release. */
  async kill(name: DirectorName): Promise<void> {
    const guest = this.director(name);
    guest.kill();
    await guest.exited;
    this.directors.delete(name);
    this.fallen.push(`=== ${name} (killed)\n${this.logsOf(name, guest)}`);
    await guest.close();
  }

  /** A file the director wrote to its share ('' when absent). */
  shareFile(name: DirectorName, file: string): string {
    return readShare(this.director(name), file);
  }

  /** The director's VIP and table as its watcher saw them, each change in order. */
  history(name: DirectorName): DirectorState[] {
    return parseWatchLog(this.shareFile(name, 'watch.log'));
  }

  /** The director's current VIP and table (undefined until its watcher has looked once). */
  state(name: DirectorName): DirectorState | undefined {
    return this.history(name).at(-1);
  }

  /** Holds the VIP and exactly `table`. */
  serves(name: DirectorName, table: readonly string[] = FULL_TABLE): boolean {
    const state = this.state(name);
    return state !== undefined && state.vip && sameTable(state.table, table);
  }

  /** Holds neither the VIP nor any virtual service. */
  idle(name: DirectorName): boolean {
    const state = this.state(name);
    return state !== undefined && !state.vip && state.table.length === 0;
  }

  /** Every request the client made so far. */
  requests(): ClientRequest[] {
    return parseClientLog(readShare(this.lanGuest, 'client.log'));
  }

  /** Runs `real-http start|stop` for a real server in the lan guest. */
  async realHttp(action: 'start' | 'stop', real: RealName): Promise<void> {
    const r = await this.lanGuest.run(`real-http ${action} ${real}`, { timeoutMs: 30_000 });
    if (r.code !== 0) throw new Error(`real-http ${action} ${real}: ${r.stdout}${r.stderr}`);
  }

  /** A shell job on a director; fails with the diagnostics when it exits non-zero. */
  async sh(name: DirectorName, script: string, timeoutMs = 120_000): Promise<string> {
    const r = await this.director(name).run(script, { timeoutMs });
    if (r.code !== 0) {
      throw new ClusterFailure(
        `${name}: exit ${r.code}: ${script}\n${r.stdout}${r.stderr}\n${await this.diagnostics()}`,
      );
    }
    return r.stdout;
  }

  /**
   * Polls `probe` (every 250 ms) until it returns something other than undefined or false;
   * after timeoutMs fails with `what` and the cluster's diagnostics.
   */
  async until<T>(
    what: string,
    probe: () => T | undefined | false | Promise<T | undefined | false>,
    timeoutMs: number,
  ): Promise<T> {
    const deadline = performance.now() + timeoutMs;
    for (;;) {
      const value = await probe();
      if (value !== undefined && value !== false) return value;
      if (performance.now() > deadline) {
        throw new ClusterFailure(
          `not within ${timeoutMs / 1000} s: ${what}\n${await this.diagnostics()}`,
        );
      }
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  }

  /**
   * `error` (an assertion's too) with the diagnostics added, so that any failed step shows both
   * directors; unchanged when it carries them already.
   */
  async failure(error: unknown): Promise<Error> {
    if (error instanceof ClusterFailure) return error;
    const message = error instanceof Error ? error.message : String(error);
    return new ClusterFailure(`${message}\n${await this.diagnostics()}`, { cause: error });
  }

  /** Both directors' manager and ldirectord logs, their kernel tables, the client's tail. */
  async diagnostics(): Promise<string> {
    const parts = [...this.fallen];
    for (const [name, guest] of this.directors) {
      const r = await guest
        .run('ipvsadm -S -n; ipvsadm -L -n; ip -o -4 addr show eth0', {
          timeoutMs: 20_000,
          hostGraceMs: 10_000,
        })
        .catch((error: Error) => ({ stdout: '', stderr: error.message.split('\n')[0] }));
      parts.push(
        `=== ${name}\n--- ipvsadm -S -n; ipvsadm -L -n; ip addr\n${r.stdout}${r.stderr}${this.logsOf(name, guest)}`,
      );
    }
    const client = readShare(this.lanGuest, 'client.log').split('\n').slice(-15).join('\n');
    parts.push(`=== client (last requests)\n${client}${readShare(this.lanGuest, 'client.err')}`);
    return parts.join('\n');
  }

  private logsOf(name: DirectorName, guest: Guest): string {
    return LOG_FILES.map((file) => {
      const lines = readShare(guest, file)
        .split('\n')
        .filter((l) => !l.includes(': glib: ') && !/\((cib_perform_op|cib_process)/.test(l));
      if (lines.length <= 1 && lines[0] === '') return '';
      return `--- ${name} ${file} (tail)\n${lines.slice(-60).join('\n')}\n`;
    }).join('');
  }

  async close(): Promise<void> {
    await Promise.allSettled([...this.directors.values(), this.lanGuest].map((g) => g.close()));
    this.directors.clear();
    await this.lan.close();
    await this.release();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }
}

function readShare(guest: Guest, file: string): string {
  const path = join(guest.shareDir, file);
  return existsSync(path) ? readFileSync(path, 'utf8') : '';
}
