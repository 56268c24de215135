// A pause of the daemon is not the reals' fault (README.md, "Running and watching it"): 40 HTTP
// reals that answer after 1 s, negotiatetimeout=2, the daemon stopped (SIGSTOP) for 3 s and
// continued. The answers of the checks in flight arrive while it is stopped; none of those reals
// may be logged down or deleted from the table. A real that really hangs (it stops answering just
// before the pause) still goes down after it.
// Real servers: node:http on 127.0.17.1-40 and 127.0.17.100; IPVS: the fake ipvsadm.
import assert from 'node:assert/strict';
import { createServer, type Server, type ServerResponse } from 'node:http';
import { after, before, test } from 'node:test';
import { commandsFor, DaemonScratch, eventually } from '../support/daemon-harness.ts';

const PORT = 8080;
const ANSWER_MS = 1000;
const healthy = Array.from({ length: 40 }, (_, i) => `127.0.17.${i + 1}`);
const HANGING = '127.0.17.100';
const hanging = new Set<string>();
const servers: Server[] = [];
const held = new Set<ServerResponse>();
/** When each answer was sent, to show that answers arrived while the daemon was stopped. */
const answeredAt: number[] = [];

const s = new DaemonScratch('daemon-pause');

function listen(address: string): Promise<void> {
  const server = createServer((request, response) => {
    request.resume();
    held.add(response);
    response.on('close', () => held.delete(response));
    if (hanging.has(address)) return; // accepts, reads, never answers
    const timer = setTimeout(() => {
      answeredAt.push(Date.now());
      response.end('OK\n');
    }, ANSWER_MS);
    response.on('close', () => clearTimeout(timer));
  });
  servers.push(server);
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(PORT, address, resolve);
  });
}

before(async () => {
  for (const address of [...healthy, HANGING]) await listen(address);
});

after(async () => {
  const pid = s.daemonPid;
  if (pid !== undefined) {
    try {
      process.kill(pid, 'SIGCONT');
    } catch {
      // gone
    }
  }
  s.kill();
  for (const response of held) response.destroy();
  await Promise.all(servers.map((server) => new Promise((r) => server.close(r))));
  s.cleanup();
});

test('a 3 s SIGSTOP marks no healthy real down; a hung real still goes down', async () => {
  s.config(`checkinterval=2
negotiatetimeout=2
failurecount=1
quiescent=no
logfile="{{DIR}}/ldirectord.log"
virtual=10.17.0.1:80
${[...healthy, HANGING].map((a) => `\treal=${a}:${PORT} masq\n`).join('')}\tservice=http
\trequest="/health"
\treceive="OK"
\tscheduler=wrr
\tprotocol=tcp
\tchecktype=negotiate
\tmonitorfile="{{DIR}}/monitor.log"
`);
  const pid = s.start();
  // From the log, not the table: `s.table()` runs the fake ipvsadm synchronously, which would
  // stall this process and with it the reals it serves.
  const added = (address: string): boolean =>
    s.messages().some((m) => m.startsWith(`Added real server: ${address}:${PORT} `));
  await eventually(
    () => [...healthy, HANGING].every(added),
    () => `every real added\n${s.log}`,
    20_000,
  );
  // A few intervals in: checks are in flight at every moment (each takes half the interval).
  await new Promise((r) => setTimeout(r, 3000));
  const fromLine = s.logLineCount();
  const fromRun = s.invocations().length;

  hanging.add(HANGING);
  process.kill(pid, 'SIGSTOP');
  const stopped = Date.now();
  const fromResult = s.read('monitor.log').split('\n').length - 1;
  await new Promise((r) => setTimeout(r, 3000));
  process.kill(pid, 'SIGCONT');
  const resumed = Date.now();
  const answeredInPause = answeredAt.filter((t) => t >= stopped && t < resumed).length;
  assert.ok(answeredInPause >= 5, `${answeredInPause} answers sent while the daemon was stopped`);

  // The hung real: down within an interval plus its deadline after the pause, plus slack.
  await s.waitForLog(
    new RegExp(`^Deleted real server: ${HANGING.replaceAll('.', '\\.')}:`),
    fromLine,
    15_000,
  );
  const hungAfterMs = Date.now() - resumed;
  // Every healthy real judged twice since the pause (the check under way, then a fresh one).
  const results = (address: string): number =>
    s
      .read('monitor.log')
      .split('\n')
      .slice(fromResult)
      .filter((line) => line.includes(` ${address} ${PORT} `)).length;
  await eventually(
    () => healthy.every((a) => results(a) >= 2),
    () => `two check results of every healthy real\n${s.read('monitor.log').slice(-3000)}`,
    20_000,
  );

  const downs = s
    .messages(fromLine)
    .filter((m) => /^(Deleted|Quiescent) real server: /.test(m) && !m.includes(HANGING));
  assert.deepEqual(downs, [], 'no healthy real logged down after the pause');
  const commands = s.commandsSince(fromRun);
  const touched = healthy.filter((a) => commandsFor(commands, a, PORT).length > 0);
  assert.deepEqual(touched, [], `no ipvsadm command for a healthy real:\n${commands.join('\n')}`);
  assert.ok(hungAfterMs < 2000 + 2000 + 3000, `hung real down ${hungAfterMs} ms after SIGCONT`);
  const stop = await s.runAsync([s.cf, 'stop']);
  assert.equal(stop.code, 0, stop.stderr);
});
