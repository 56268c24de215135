// End to end without the daemon: an ldirectord.cf read by the project's loader, the real
// checkers (connect, http) against real servers on 127.0.4.x, the real planner, and the
// in-memory ipvsadm. The commands are the original's, byte for byte.
import assert from 'node:assert/strict';
import { createServer as createHttpServer, type Server as HttpServer } from 'node:http';
import { createServer, type Server } from 'node:net';
import { after, before, test } from 'node:test';
import { checkers, negotiateChecker } from '../../src/checkers/index.ts';
import { loadConfigText } from '../../src/config/load.ts';
import { DryRunBackend } from '../../src/ipvs/emulator/dry-run.ts';
import { planIpvs } from '../../src/ipvs/plan.ts';
import { Monitor } from '../../src/monitor/monitor.ts';
import { RecordingLogger } from '../support/monitor-fixtures.ts';

let tcp: Server;
let http: HttpServer;
let tcpPort = 0;
let httpPort = 0;
let body = 'alive';

before(async () => {
  tcp = createServer((s) => s.end());
  await new Promise<void>((resolve) => tcp.listen(0, '127.0.4.2', resolve));
  tcpPort = (tcp.address() as { port: number }).port;
  http = createHttpServer((_req, res) => res.end(body));
  await new Promise<void>((resolve) => http.listen(0, '127.0.4.4', resolve));
  httpPort = (http.address() as { port: number }).port;
});

after(() => {
  tcp.close();
  http.close();
});

async function until(condition: () => boolean, limitMs = 10_000): Promise<void> {
  const deadline = Date.now() + limitMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

test('ldirectord.cf to ipvsadm commands through real checks', async () => {
  const text = [
    'checktimeout=1',
    'negotiatetimeout=2',
    'checkinterval=1',
    'quiescent=no',
    'virtual=10.1.1.1:80',
    `\treal=127.0.4.2:${tcpPort} masq`,
    `\treal=127.0.4.3:${tcpPort} masq`,
    '\tchecktype=connect',
    '\tscheduler=wrr',
    'virtual=10.1.1.2:80',
    `\treal=127.0.4.4:${httpPort} masq 2`,
    '\tservice=http',
    '\trequest="/health"',
    '\treceive="alive"',
    '\tscheduler=rr',
    '',
  ].join('\n');
  const loaded = await loadConfigText(text, '/etc/ha.d/ldirectord.cf');
  assert.deepEqual(
    loaded.diagnostics.filter((d) => d.severity === 'error'),
    [],
  );
  const backend = new DryRunBackend();
  const logger = new RecordingLogger();
  const monitor = new Monitor({
    config: loaded.config!,
    backend,
    planner: planIpvs,
    checkers: { negotiate: negotiateChecker, ...checkers },
    logger,
  });
  after(() => monitor.stop());
  await monitor.start();
  assert.deepEqual(backend.commandLines, [
    '-A -t 10.1.1.1:80 -s wrr',
    '-A -t 10.1.1.2:80 -s rr',
    `-a -t 10.1.1.1:80 -x 0 -y 0 -r 127.0.4.2:${tcpPort} -m -w 1`,
    `-a -t 10.1.1.2:80 -x 0 -y 0 -r 127.0.4.4:${httpPort} -m -w 2`,
  ]);
  const reals = monitor.status().virtuals.flatMap((v) => v.reals);
  assert.deepEqual(
    reals.map((r) => [r.address, r.up]),
    [
      ['127.0.4.2', true],
      ['127.0.4.3', false],
      ['127.0.4.4', true],
    ],
  );
  assert.match(reals[1]!.lastCheck!.reason, /refused/i);
  assert.ok(
    logger
      .messages('info')
      .includes(`Added real server: 127.0.4.4:${httpPort} (10.1.1.2:80) (Weight set to 2)`),
  );

  // The TCP server goes away and the HTTP one stops saying "alive": both leave the table.
  const seen = backend.commandLines.length;
  await new Promise<void>((resolve) => tcp.close(() => resolve()));
  body = 'dead';
  await until(() => backend.commandLines.length >= seen + 2);
  assert.deepEqual(backend.commandLines.slice(seen).sort(), [
    `-d -t 10.1.1.1:80 -r 127.0.4.2:${tcpPort}`,
    `-d -t 10.1.1.2:80 -r 127.0.4.4:${httpPort}`,
  ]);
  await monitor.stop();
  assert.deepEqual(backend.table, { services: [] });
});
