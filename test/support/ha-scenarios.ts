// The steps of issue 13 on a DirectorPair (ha-cluster.ts), shared by the cluster tests (one per
// manager and program) and bench/ha-failover.ts. Each step waits on conditions with deadlines,
// asserts what the client and both directors show, and returns what it measured; the deadlines
// are generous (software-emulated guests on a shared machine), the figures go to BENCHMARKS.md.
import assert from 'node:assert/strict';
import {
  CHECK_INTERVAL,
  CHECK_TIMEOUT,
  CONFIG_PATH,
  type DirectorName,
  type DirectorPair,
  FULL_TABLE,
  REALS,
  sameTable,
  TABLE_WITHOUT_R1,
} from './ha-cluster.ts';
import { type ClientRequest, type Outage, outages } from './vip-client.ts';

/** From the guests' boot to the first director's full table. */
const START_DEADLINE_MS = 420_000;
/** From a master's death (or a manual move) to the other director's full table. */
const TAKEOVER_DEADLINE_MS = 360_000;
/**
 * A failed real leaves the table within checkinterval + checktimeout (issue 13, step 2); one
 * second more for the watcher's and the host's polling.
 */
const REMOVAL_DEADLINE_MS = (CHECK_INTERVAL + CHECK_TIMEOUT + 1) * 1000;
/** Requests in a row the client must get answered to call the service up. */
const ANSWERS = 20;

export interface Takeover {
  /** The client's longest run of failed requests around the event, its own clock. */
  outage: Outage;
  /** On the new master's clock: from the VIP appearing (the manager's takeover) to a full table. */
  vipToTableMs: number;
  /** Host clock: from the event (kill, move command returned) to the full table seen. */
  eventToTableMs: number;
}

/**
 * Now on the client's clock, as far as the host can tell: the latest moment a request of the
 * client's log ended. Requests that start a second after it started after this call.
 */
function clientNow(c: DirectorPair): number {
  return Math.max(0, ...c.requests().map((r) => r.at + r.ms));
}

/** Requests that started after `mark` (a clientNow()), with a second's margin for those in flight. */
function startedAfter(c: DirectorPair, mark: number): ClientRequest[] {
  return c.requests().filter((r) => r.at >= mark + 1000);
}

/** Waits for `count` requests that started after `mark`; fails if any of them failed. */
async function answered(c: DirectorPair, mark: number, what: string, count = ANSWERS) {
  const since = await c.until(
    `${count} requests by the client (${what})`,
    () => {
      const r = startedAfter(c, mark);
      return r.length >= count ? r : undefined;
    },
    120_000,
  );
  const failed = since.filter((r) => !r.ok);
  assert.deepEqual(failed, [], `${what}: the client's requests failed`);
  return since;
}

/**
 * Waits until both reals have answered requests started after `mark`, none failing. Usually at
 * once; wlc may hold one back for up to a minute when a connection the director saw begin
 * never went further (a client that gave up, a real that refused): it stays SYN_RECV for 60 s
 * and counts as an active connection.
 */
async function bothRealsAnswer(c: DirectorPair, mark: number, what: string): Promise<void> {
  await c.until(
    `answers from both reals (${what})`,
    () => {
      const since = startedAfter(c, mark);
      assert.deepEqual(
        since.filter((r) => !r.ok),
        [],
        `${what}: the client's requests failed`,
      );
      return Object.keys(REALS).every((real) => since.some((r) => r.detail === real));
    },
    90_000,
  );
}

/** Scenario 1: the first director takes the VIP, builds the table; both reals answer the client. */
export async function clusterStarts(c: DirectorPair, master: DirectorName, backup: DirectorName) {
  await c.until(
    `${master} holds the VIP with the full table`,
    () => c.serves(master),
    START_DEADLINE_MS,
  );
  await c.until(`${backup} idle`, () => c.idle(backup), 30_000);
  const mark = clientNow(c);
  await answered(c, mark, 'after start');
  await bothRealsAnswer(c, mark, 'after start');
}

/**
 * Scenario 2: r1's web server stops; it leaves the master's table within checkinterval +
 * checktimeout; once it is out the client sees no error; it comes back. Returns the failed
 * requests and how long removal took.
 */
export async function realServerFails(c: DirectorPair, master: DirectorName) {
  const mark = clientNow(c);
  await c.realHttp('stop', 'r1');
  const stopped = performance.now();
  await c.until(
    `r1 out of ${master}'s table within checkinterval + checktimeout`,
    () => c.serves(master, TABLE_WITHOUT_R1),
    REMOVAL_DEADLINE_MS,
  );
  const removalMs = performance.now() - stopped;
  const removed = clientNow(c);
  const failures = c.requests().filter((r) => !r.ok && r.at >= mark && r.at < removed + 1000);
  const afterRemoval = await answered(c, removed, 'r1 removed');
  assert.ok(
    afterRemoval.every((r) => r.detail === 'r2'),
    'only r2 answers',
  );
  for (const f of failures) assert.match(f.detail, /ECONNREFUSED|ECONNRESET|timeout/);

  // Back in the table; the client reaches it again once wlc picks it, which the refused
  // connections (SYN_RECV for 60 s, see bothRealsAnswer) delay: the next takeover checks that
  // r1 answers, from a fresh table.
  await c.realHttp('start', 'r1');
  await c.until(`r1 back in ${master}'s table`, () => c.serves(master), 60_000);
  await answered(c, clientNow(c), 'r1 back');
  return { removalMs, failures: failures.length };
}

/** The requests started last (by start time) all answered: the client has recovered. */
function clientRecovered(c: DirectorPair, mark: number, last = 5): boolean {
  const since = c.requests().filter((r) => r.at > mark);
  return since.length >= last && since.slice(-last).every((r) => r.ok);
}

/** The longest outage that ended after `mark` (a clientNow() taken before the event). */
function outageAfter(c: DirectorPair, mark: number): Outage | undefined {
  const after = outages(c.requests()).filter((o) => o.to > mark);
  return after.sort((a, b) => b.ms - a.ms)[0];
}

/** The VIP's arrival to the full table, in the new master's watch log (its clock). */
function vipToTable(c: DirectorPair, master: DirectorName): number {
  const history = c.history(master);
  const lastIdle = history.findLastIndex((s) => !s.vip);
  const vipAt = history[lastIdle + 1]?.at ?? history[0]!.at;
  const full = history.find((s, i) => i > lastIdle && s.vip && sameTable(s.table, FULL_TABLE));
  return full!.at - vipAt;
}

/** Waits for the new master's full table and the client's recovery after an event at `mark` (clientNow()). */
async function takenOver(
  c: DirectorPair,
  master: DirectorName,
  mark: number,
  eventAt: number,
  what: string,
): Promise<Takeover> {
  await c.until(
    `${master} holds the VIP with the full table (${what})`,
    () => c.serves(master),
    TAKEOVER_DEADLINE_MS,
  );
  const eventToTableMs = performance.now() - eventAt;
  await c.until(`the client answered again (${what})`, () => clientRecovered(c, mark), 60_000);
  const recovered = clientNow(c);
  await answered(c, recovered, `after ${what}`);
  await bothRealsAnswer(c, recovered, `after ${what}`);
  // By now every request of the outage has ended (a 3 s timeout at most).
  const outage = outageAfter(c, mark);
  assert.ok(outage, `the client saw the ${what} as an outage`);
  return { outage, vipToTableMs: vipToTable(c, master), eventToTableMs };
}

/** Scenario 3: the master's guest is killed; the backup takes over, the client recovers. */
export async function masterDies(c: DirectorPair, master: DirectorName, backup: DirectorName) {
  assert.ok(c.serves(master) && c.idle(backup), 'before: one master');
  const mark = clientNow(c);
  const killed = performance.now();
  await c.kill(master);
  return takenOver(c, backup, mark, killed, `${master} killed`);
}

/** The resource script's status exit code on a director (0 running, 3 stopped). */
export async function ldirectordStatus(c: DirectorPair, name: DirectorName): Promise<number> {
  const out = await c.sh(
    name,
    '/etc/ha.d/resource.d/ldirectord ldirectord.cf status > /dev/null 2>&1; echo "status $?"',
  );
  return Number(/status (\d+)/.exec(out)![1]);
}

/** How many ldirectord daemons (of either program) run on a director. */
export async function daemons(c: DirectorPair, name: DirectorName): Promise<number> {
  const out = await c.sh(name, "pgrep -fc 'ldirectord[-a-z]* [^ ]*ldirectord.cf start' || true");
  return Number(out.trim());
}

/** A director no longer holds anything: no VIP, no table, no daemon, status stopped. */
export async function assertGaveUp(c: DirectorPair, name: DirectorName): Promise<void> {
  await c.until(`${name} has given everything up`, () => c.idle(name), 120_000);
  assert.equal(await daemons(c, name), 0, `no ldirectord left on ${name}`);
  assert.equal(await ldirectordStatus(c, name), 3, `ldirectord reads as stopped on ${name}`);
}

// ---- heartbeat v1 ----

/** `cl_status rscstatus`: all, local, foreign, none or transition. */
export async function heartbeatResources(c: DirectorPair, name: DirectorName): Promise<string> {
  return (await c.sh(name, 'cl_status rscstatus')).trim();
}

/**
 * Scenario 4, first half: the dead master boots again and joins; with auto_failback off the VIP
 * stays where it is.
 */
export async function heartbeatNodeReturns(
  c: DirectorPair,
  node: DirectorName,
  master: DirectorName,
) {
  await c.boot(node);
  await c.until(
    `${node} joined and settled without taking resources`,
    () => /Initial resource acquisition complete/.test(c.shareFile(node, 'ha-log')),
    180_000,
  );
  // Both sides settle: the returning node holds nothing, the master everything.
  await c.until(
    `heartbeat: ${node} holds nothing, ${master} everything`,
    async () =>
      (await heartbeatResources(c, node)) === 'none' &&
      (await heartbeatResources(c, master)) === 'all',
    180_000,
  );
  assert.ok(c.serves(master), `${master} still serves`);
  assert.ok(c.idle(node), `${node} idle`);
}

/** Scenario 4, second half: `hb_takeover` on `to` moves the group back from `from`. */
export async function heartbeatManualFailover(
  c: DirectorPair,
  to: DirectorName,
  from: DirectorName,
) {
  const mark = clientNow(c);
  const asked = performance.now();
  await c.sh(to, '/usr/share/heartbeat/hb_takeover all');
  const takeover = await takenOver(c, to, mark, asked, `hb_takeover on ${to}`);
  await assertGaveUp(c, from);
  assert.match(
    c.shareFile(from, 'ha-log'),
    /Running \/etc\/ha\.d\/+resource\.d\/ldirectord ldirectord\.cf stop/,
  );
  assert.equal(await ldirectordStatus(c, to), 0, `ldirectord runs on ${to}`);
  return takeover;
}

// ---- corosync + Pacemaker ----

/** Waits for the CIB on `name`, then loads the crm configuration (crmConfiguration()). */
export async function pacemakerConfigure(c: DirectorPair, name: DirectorName, crm: string) {
  await c.sh(
    name,
    `i=0
until cibadmin -Q > /dev/null 2>&1; do
  i=$((i + 1)); [ $i -gt 300 ] && { echo "no CIB"; exit 1; }
  sleep 0.5
done
cat > cluster.crm <<'LDTS_EOF'
${crm}LDTS_EOF
crm configure load update cluster.crm`,
    300_000,
  );
}

/**
 * Pacemaker's results for an operation of a resource on a node, in order ('ok', 'error'...), as
 * that node's controller logged them (a recurring monitor only when its result changes).
 */
export function operationResults(
  c: DirectorPair,
  operation: 'start' | 'stop' | 'monitor',
  resource: string,
  node: DirectorName,
): string[] {
  const re = new RegExp(
    `Result of ${operation} operation for ${resource} on ${node}: ([\\w ]+?) \\|`,
    'g',
  );
  return [...c.shareFile(node, 'pacemaker.log').matchAll(re)].map((m) => m[1]!);
}

/** Where Pacemaker runs the group, by `crm_resource --locate`. */
export async function groupLocation(c: DirectorPair, askOn: DirectorName): Promise<string> {
  const out = await c.sh(askOn, 'crm_resource --locate --resource director');
  return /is running on: (\S+)/.exec(out)?.[1] ?? 'nowhere';
}

/** The fail count of `resource` on `node` as crm_failcount reports it (0, INFINITY...). */
export async function failCount(
  c: DirectorPair,
  askOn: DirectorName,
  resource: string,
  node: DirectorName,
) {
  const out = await c.sh(askOn, `crm_failcount --query --resource ${resource} --node ${node}`);
  return /value=(\S+)/.exec(out)?.[1] ?? '';
}

/**
 * Scenario 5, a config error: ldirectord.cf on the master gets a line the parser rejects. The
 * next monitor fails (status exits 2: the OCF agent's "configuration errors"), Pacemaker stops
 * it and tries to start it again there, the start fails, and the group moves to the backup,
 * where it stays: one failed start on the master, no flapping back.
 */
export async function brokenConfigMovesGroup(
  c: DirectorPair,
  master: DirectorName,
  backup: DirectorName,
) {
  const startsBefore = operationResults(c, 'start', 'lvs', master).length;
  const monitorsBefore = operationResults(c, 'monitor', 'lvs', backup).length;
  const mark = clientNow(c);
  const broke = performance.now();
  await c.sh(master, `echo 'no-such-directive=1' >> ${CONFIG_PATH}`);
  const takeover = await takenOver(c, backup, mark, broke, `broken config on ${master}`);
  // The agent's stop with a broken config: status fails, so it TERMs the daemon it finds with
  // pgrep and, still there a moment later, KILLs it: the VIP goes, the daemon goes, and its
  // table too only if the TERM's clean stop finished first (a race of the stock agent).
  await c.until(`${master} gave up the VIP`, () => c.state(master)?.vip === false, 120_000);
  assert.equal(await daemons(c, master), 0, `no ldirectord left on ${master}`);
  assert.equal(await ldirectordStatus(c, master), 2, `status on ${master}: configuration error`);
  assert.equal(await failCount(c, backup, 'lvs', master), 'INFINITY', `lvs banned from ${master}`);
  // Settled: the backup's monitor has passed since, and still one start was tried on the master.
  await c.until(
    `a monitor of lvs on ${backup} after the move`,
    () => operationResults(c, 'monitor', 'lvs', backup).length > monitorsBefore,
    120_000,
  );
  assert.equal(await groupLocation(c, backup), backup);
  const starts = operationResults(c, 'start', 'lvs', master).slice(startsBefore);
  assert.deepEqual(starts, ['error'], `one failed start on ${master}, no retry`);
  assert.equal(c.state(master)?.vip, false, `${master} still without the VIP`);
  return { ...takeover, tableLeftOnFailedNode: c.state(master)!.table };
}

/** Repairs ldirectord.cf on `node` and clears the failure, as an operator would. */
export async function repairConfig(c: DirectorPair, node: DirectorName): Promise<void> {
  await c.sh(
    node,
    `sed -i '/^no-such-directive=1$/d' /etc/ha.d/ldirectord.cf
crm_resource --cleanup --resource lvs --node ${node}`,
  );
  await c.until(
    `lvs's fail count on ${node} cleared`,
    async () => (await failCount(c, node, 'lvs', node)) === '0',
    120_000,
  );
}

/** Scenario 5, a manual move: `crm resource move` puts the group on `to`, `from` is left clean. */
export async function pacemakerMove(c: DirectorPair, to: DirectorName, from: DirectorName) {
  const mark = clientNow(c);
  const moved = performance.now();
  await c.sh(from, `crm resource move director ${to}`, 300_000);
  const takeover = await takenOver(c, to, mark, moved, `crm resource move to ${to}`);
  await assertGaveUp(c, from);
  assert.equal(await ldirectordStatus(c, to), 0, `ldirectord runs on ${to}`);
  return takeover;
}
