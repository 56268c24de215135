// eventlog= (issue 11): one JSON line per state change, written by a running daemon: reals
// down and up with the check that decided it (reason, HTTP status, duration), the fallback in
// and out, ipvsadm failures, reloads done and refused. Rotated by Debian's logrotate with the
// shipped rules (create) and with copytruncate, without a signal; `status --history [N]`
// prints the last lines.
// Reals: a TCP listener on 127.0.41.41, an HTTP server on 127.0.41.43 whose status can be
// switched; the fake ipvsadm fails the first add of 127.0.41.42.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { after, before, test } from 'node:test';
import { DaemonScratch, eventually, Switchable } from '../support/daemon-harness.ts';

const root = new URL('../../', import.meta.url).pathname;
const web = new Switchable('127.0.41.41', 8080);
const web2 = new Switchable('127.0.41.42', 8080);
const s = new DaemonScratch('ldts-observe-eventlog');
let httpStatus = 200;
let http: Server | undefined;
let httpPort = 0;
let pid = 0;

type Line = Record<string, unknown> & { event: string; time: string };
const lines = (name = 'events.jsonl'): Line[] =>
  s
    .read(name)
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as Line);

const CONFIG = (): string =>
  [
    'checkinterval=1',
    'logfile="{{DIR}}/ldirectord.log"',
    'eventlog={{DIR}}/events.jsonl',
    'virtual=10.41.4.1:80',
    '\treal=127.0.41.41:8080 masq',
    '\treal=127.0.41.42:8080 masq',
    '\tchecktype=connect',
    '\tfallback=127.0.0.1:80',
    'virtual=10.41.4.2:80',
    `\treal=127.0.41.43:${httpPort} masq`,
    '\tservice=http',
    '\tchecktype=negotiate',
    '\trequest="/health"',
    '\treceive="ok"',
    '',
  ].join('\n');

before(async () => {
  await web.up();
  await web2.up();
  http = createServer((_req, res) => {
    res.writeHead(httpStatus);
    res.end(httpStatus === 200 ? 'ok' : 'busy');
  });
  await new Promise<void>((resolve) => http!.listen(0, '127.0.41.43', resolve));
  httpPort = (http.address() as { port: number }).port;
  writeFileSync(
    s.state,
    JSON.stringify({
      services: [],
      faults: [{ match: '-r 127\\.0\\.41\\.42:', error: 'Memory allocation problem', times: 2 }],
    }),
  );
  s.config(CONFIG());
  pid = s.start();
});

after(async () => {
  await s.finish([web, web2]);
  await new Promise<void>((resolve) => (http ? http.close(() => resolve()) : resolve()));
});

const find = (pred: (l: Line) => boolean, name?: string) => lines(name).find(pred);

test('state changes, fallback, ipvsadm failures and reloads become JSON lines', async () => {
  await eventually(
    () =>
      find((l) => l.event === 'real-up' && l.real === '127.0.41.42:8080') !== undefined &&
      find((l) => l.event === 'fallback-out') !== undefined &&
      find((l) => l.event === 'ipvsadm-failed') !== undefined,
    () => `both reals up, the fallback out, the failed add\n${s.read('events.jsonl')}`,
  );
  const first = lines();
  const events = first.map((l) => `${l.event} ${l.real ?? l.fallback ?? l.scope ?? ''}`);
  assert.ok(events.includes('fallback-in 127.0.0.1:80'), events.join('\n'));
  assert.ok(events.includes('fallback-out 127.0.0.1:80'), events.join('\n'));
  assert.ok(
    events.indexOf('fallback-in 127.0.0.1:80') < events.indexOf('fallback-out 127.0.0.1:80'),
  );
  const up = first.find((l) => l.event === 'real-up' && l.real === '127.0.41.41:8080')!;
  assert.equal(up.virtual, 'tcp:10.41.4.1:80');
  assert.equal(up.check, 'connect');
  assert.equal(typeof up.durationMs, 'number');
  assert.ok(!Number.isNaN(Date.parse(up.time)));
  const failed = first.find((l) => l.event === 'ipvsadm-failed')!;
  assert.deepEqual(failed.failed, [
    {
      line: '-a -t 10.41.4.1:80 -x 0 -y 0 -r 127.0.41.42:8080 -m -w 1',
      message: 'Memory allocation problem',
    },
  ]);

  await web.down();
  await eventually(
    () => find((l) => l.event === 'real-down' && l.real === '127.0.41.41:8080') !== undefined,
    'real-down of 127.0.41.41',
  );
  const down = find((l) => l.event === 'real-down' && l.real === '127.0.41.41:8080')!;
  assert.equal(down.reason, 'Connection refused');

  httpStatus = 503;
  await eventually(
    () => find((l) => l.event === 'real-down' && l.virtual === 'tcp:10.41.4.2:80') !== undefined,
    () => `the http real down\n${s.read('events.jsonl')}`,
  );
  const httpDown = find((l) => l.event === 'real-down' && l.virtual === 'tcp:10.41.4.2:80')!;
  assert.equal(httpDown.httpStatus, 503);
  assert.equal(httpDown.check, 'negotiate');
  assert.match(String(httpDown.reason), /^503 Service Unavailable/);
  httpStatus = 200;
  await eventually(
    () =>
      lines()
        .filter((l) => l.virtual === 'tcp:10.41.4.2:80')
        .at(-1)?.event === 'real-up',
    'the http real up again',
  );

  // A broken file is refused (named with its line), then a good one is taken.
  s.write(s.cfgname, `${CONFIG()}\tbogus=1\n`);
  process.kill(pid, 'SIGHUP');
  await eventually(() => find((l) => l.event === 'reload-failed') !== undefined, 'reload-failed');
  const refused = find((l) => l.event === 'reload-failed')!;
  assert.match(
    String((refused.errors as string[])[0]),
    /ldirectord\.cf at line 15: Unknown command/,
  );
  s.config(CONFIG());
  process.kill(pid, 'SIGHUP');
  await eventually(() => find((l) => l.event === 'reload') !== undefined, 'reload');

  const history = s.run([s.cf, 'status', '--history', '2']);
  assert.equal(history.code, 0, history.stderr);
  const shown = history.stdout.trim().split('\n');
  assert.equal(shown.length, 2);
  assert.match(shown[1]!, /^\S+Z {2}reload {2}\/.*ldirectord\.cf$/);
  assert.match(shown[0]!, /reload-failed .*errors: /);
  const json = s.run([s.cf, 'status', '--history', '--json']);
  assert.deepEqual(JSON.parse(json.stdout), lines().slice(-20));
});

test('logrotate (create, and copytruncate) needs no signal', async () => {
  const rules = readFileSync(`${root}packaging/ldirectord-ts.logrotate`, 'utf8');
  assert.match(rules, /\/var\/log\/ldirectord-events\.jsonl/);
  const rotate = (text: string): void => {
    writeFileSync(s.path('logrotate.conf'), text);
    const r = spawnSync(
      'logrotate',
      ['-s', s.path('logrotate.state'), '-f', s.path('logrotate.conf')],
      {
        encoding: 'utf8',
      },
    );
    assert.equal(r.status, 0, `logrotate: ${r.stderr}`);
  };
  // The shipped rules, for this event log only.
  rotate(
    rules
      .replace('/var/log/ldirectord.log ', '')
      .replace('/var/log/ldirectord-events.jsonl', s.path('events.jsonl')),
  );
  assert.ok(!existsSync(s.path('events.jsonl')), 'moved away');
  assert.ok(lines('events.jsonl.1').length > 5);
  // The daemon looks at the file's identity at most once a second.
  await new Promise((r) => setTimeout(r, 1100));
  await web.up();
  await eventually(() => lines().some((l) => l.event === 'real-up'), 'a line in the new file');
  assert.deepEqual(
    lines().map((l) => `${l.event} ${l.real}`),
    ['real-up 127.0.41.41:8080'],
  );

  // copytruncate: the file is copied and emptied in place; the next line starts it again.
  rotate(`${s.path('events.jsonl')} {\n    copytruncate\n    rotate 2\n    missingok\n}\n`);
  assert.equal(s.read('events.jsonl'), '');
  await web.down();
  await eventually(() => lines().some((l) => l.event === 'real-down'), 'a line after truncation');
  const text = s.read('events.jsonl');
  assert.ok(
    text.startsWith('{"time":'),
    `no hole before the first line: ${JSON.stringify(text.slice(0, 20))}`,
  );
  assert.deepEqual(
    lines().map((l) => `${l.event} ${l.real}`),
    ['real-down 127.0.41.41:8080'],
  );
});
