// The extensions of issue 12 end to end: the daemon (as started by users) against real HTTP
// servers on 127.12.0.x that answer 200 "status: OK" or 500 as the test says, with the fake
// ipvsadm. One daemon, one virtual per directive, the scenarios side by side:
// risecount, failinterval and downinterval, slowstart, minhealthy.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { commandsFor, DaemonScratch, eventually } from '../support/daemon-harness.ts';
import { HttpReal } from '../support/http-reals.ts';

const s = new DaemonScratch('daemon-extensions');
const rising = new HttpReal('127.12.0.2', 8080);
const paced = new HttpReal('127.12.0.3', 8080);
const slow = new HttpReal('127.12.0.4', 8080);
const healthy = ['127.12.0.5', '127.12.0.6', '127.12.0.7'].map((h) => new HttpReal(h, 8080));
const all = [rising, paced, slow, ...healthy];

const HTTP = '\tservice=http\n\trequest="/health"\n\treceive="OK"\n';
const CONFIG = `checkinterval=1
checktimeout=2
negotiatetimeout=5
logfile="{{DIR}}/ldirectord.log"
quiescent=no
virtual=10.12.0.1:80
\treal=127.12.0.2:8080 masq
${HTTP}\trisecount=3

virtual=10.12.0.2:80
\treal=127.12.0.3:8080 masq
${HTTP}\tcheckinterval=4
\tfailinterval=1
\tdowninterval=8
\tfailurecount=3

virtual=10.12.0.3:80
\treal=127.12.0.4:8080 masq 10
${HTTP}\tslowstart=8

virtual=10.12.0.4:80
\treal=127.12.0.5:8080 masq
\treal=127.12.0.6:8080 masq
\treal=127.12.0.7:8080 masq
${HTTP}\tminhealthy=2
`;

// The real servers answer from this process: the table and the status are read without
// blocking it (a synchronous run would hold up their answers past the checks' deadlines).

/** Whether the table has the real in the virtual (at any weight). */
async function inTable(virtual: string, real: HttpReal): Promise<boolean> {
  return (await s.tableAsync()).includes(`-a -t ${virtual} -r ${real.host}:${real.port} `);
}

async function until(
  what: string,
  condition: () => boolean | Promise<boolean>,
  timeoutMs = 30_000,
): Promise<void> {
  await eventually(
    condition,
    () => `${what}\n--- table:\n${s.table()}\n--- log:\n${s.log.slice(-3000)}`,
    timeoutMs,
  );
}

interface RealStatus {
  address: string;
  up: boolean;
}
interface VirtualStatus {
  id: string;
  minhealthy?: { needed: number; holding: boolean };
  reals: RealStatus[];
}

/** The virtual as `status --json` shows it. */
async function virtualStatus(virtual: string): Promise<VirtualStatus> {
  const r = await s.runAsync([s.cf, 'status', '--json']);
  const status = JSON.parse(r.stdout) as { daemon: { monitor: { virtuals: VirtualStatus[] } } };
  const found = status.daemon.monitor.virtuals.find((x) => x.id === `tcp:${virtual}`);
  assert.ok(found, r.stdout);
  return found;
}

async function realsOf(virtual: string): Promise<RealStatus[]> {
  return (await virtualStatus(virtual)).reals;
}

/** The gaps in seconds between consecutive times (ms). */
const gaps = (times: number[]) => times.slice(1).map((t, i) => (t - times[i]!) / 1000);

before(async () => {
  for (const r of all) await r.set('ok');
  s.config(CONFIG);
  s.start();
  await until('every real in the table', async () =>
    (
      await Promise.all([
        inTable('10.12.0.1:80', rising),
        inTable('10.12.0.2:80', paced),
        inTable('10.12.0.3:80', slow),
        ...healthy.map((r) => inTable('10.12.0.4:80', r)),
      ])
    ).every(Boolean),
  );
  // At start the first check decides: the slow-start real is in at its full weight at once.
  assert.match(s.table(), /-a -t 10\.12\.0\.3:80 -r 127\.12\.0\.4:8080 -m -w 10/);
});

after(async () => {
  if (s.daemonPid !== undefined) s.action('stop');
  s.kill();
  for (const r of all) await r.set('closed');
  s.cleanup();
});

describe('issue 12 directives against real servers', { concurrency: true }, () => {
  test('risecount=3: a real that was out goes back in on its third good answer', async () => {
    await rising.set('error');
    await until('the failing real out', async () => !(await inTable('10.12.0.1:80', rising)));
    const from = s.logLineCount();
    await rising.set('ok');
    await until('the real back in', () => inTable('10.12.0.1:80', rising));
    const lines = s
      .messages(from)
      .filter((m) => m.includes('127.12.0.2:8080') && !m.startsWith('Checking'));
    assert.deepEqual(lines.slice(0, 3), [
      'Rising real server: 127.12.0.2:8080 (tcp:10.12.0.1:80) success 1/3',
      'Rising real server: 127.12.0.2:8080 (tcp:10.12.0.1:80) success 2/3',
      'Resetting soft failure count: 127.12.0.2:8080 (tcp:10.12.0.1:80)',
    ]);
    assert.ok(
      lines.includes('Added real server: 127.12.0.2:8080 (10.12.0.1:80) (Weight set to 1)'),
      lines.join('\n'),
    );
  });

  test('failinterval=1, downinterval=8: fast checks while failing, slow ones while out', async () => {
    const steadyFrom = Date.now();
    await until('three steady checks', () => paced.since(steadyFrom).length >= 3);
    const steady = gaps(paced.since(steadyFrom));
    assert.ok(
      steady.every((g) => g > 3),
      `steady: every checkinterval (4 s): ${steady}`,
    );

    await paced.set('error');
    const failFrom = Date.now();
    await until('the failing real out', async () => !(await inTable('10.12.0.2:80', paced)));
    // Two more checks while it is out.
    await until('two checks while out', () => paced.since(failFrom).length >= 5, 40_000);
    const failing = gaps(paced.since(failFrom));
    // failurecount=3 at failinterval: the three failures within ~2 s (at checkinterval, 8 s).
    assert.ok(failing[0]! + failing[1]! < 5, `failures 1 to 3: ${failing}`);
    assert.ok(failing[3]! > 6, `out: every downinterval (8 s): ${failing}`);

    await paced.set('ok');
    await until('the real back in', () => inTable('10.12.0.2:80', paced), 20_000);
  });

  test('slowstart=8: the real that comes back goes in at 2 of 10 and steps up to 10', async () => {
    await slow.set('error');
    await until('the failing real out', async () => !(await inTable('10.12.0.3:80', slow)));
    const runs = s.invocations().length;
    const from = s.logLineCount();
    await slow.set('ok');
    await until('the real at its full weight', async () =>
      (await s.tableAsync()).includes('-a -t 10.12.0.3:80 -r 127.12.0.4:8080 -m -w 10'),
    );
    const commands = commandsFor(s.commandsSince(runs), slow.host, slow.port);
    // The delete may be logged just after the table showed it: start after it.
    const back = commands.slice(commands.findLastIndex((c) => c.startsWith('-d')) + 1);
    const weights = back.map((c) => c.replace(/^(-[ae]) .* -w (\d+)$/, '$1 $2'));
    assert.deepEqual(weights, ['-a 2', '-e 4', '-e 6', '-e 8', '-e 10']);
    assert.deepEqual(
      s
        .messages(from)
        .filter((m) => /^(Added|Slow start|Restored) real server: 127\.12\.0\.4/.test(m)),
      [
        'Added real server: 127.12.0.4:8080 (10.12.0.3:80) (Weight set to 2)',
        'Slow start real server: 127.12.0.4:8080 (10.12.0.3:80) (Weight set to 4 of 10)',
        'Slow start real server: 127.12.0.4:8080 (10.12.0.3:80) (Weight set to 6 of 10)',
        'Slow start real server: 127.12.0.4:8080 (10.12.0.3:80) (Weight set to 8 of 10)',
        'Restored real server: 127.12.0.4:8080 (10.12.0.3:80) (Weight set to 10)',
      ],
    );
  });

  test('minhealthy=2: the reals stay in while fewer than 2 are up, and leave once 2 are', async () => {
    const [a, b, c] = healthy as [HttpReal, HttpReal, HttpReal];
    const v = '10.12.0.4:80';
    const from = s.logLineCount();
    await a.set('error');
    await until('the first failing real out (2 of 3 still up)', async () => !(await inTable(v, a)));
    await b.set('error');
    await s.waitForLog(/^Too few real servers up: tcp:10\.12\.0\.4:80 has 1 of 3/, from);
    await c.set('error');
    await until('all three down', async () => (await realsOf(v)).every((r) => !r.up));
    // None up, no fallback: what was in stays in, never drained to nothing.
    assert.ok((await inTable(v, b)) && (await inTable(v, c)), 'kept though down');
    assert.ok(!(await inTable(v, a)));
    assert.deepEqual((await virtualStatus(v)).minhealthy, { needed: 2, holding: true });

    await a.set('ok');
    await until('the real that was out back in', () => inTable(v, a));
    assert.ok((await inTable(v, b)) && (await inTable(v, c)), 'one up is still too few');
    await b.set('ok');
    await until('the real still down out, once 2 are up', async () => !(await inTable(v, c)));
    assert.ok((await inTable(v, a)) && (await inTable(v, b)));
    assert.ok(
      s
        .messages(from)
        .includes(
          'Enough real servers up again: tcp:10.12.0.4:80 has 2 of 3 real servers up, minhealthy needs 2: real servers that are down leave the IPVS table',
        ),
    );
  });
});
