// The metrics= listener as an attack surface and as a moving part (issue 11): it answers only
// GET and HEAD; a POST, a huge header and a crowd of slow clients leave the checks alone (a
// real that goes down meanwhile is taken out on time); the password a server quotes back
// reaches none of /metrics, /status, /checks, /, the event log, status --json or
// status --history. A reload moves the listener: a port in use is logged and the checks go on;
// [::1] and a unix socket path work; without metrics= nothing listens.
// Reals: a MySQL stand-in quoting the password (127.0.41.31), TCP listeners on 127.0.41.32-33
// (checktype=connect); listeners on 127.0.41.30 and ::1.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { request } from 'node:http';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { after, before, test } from 'node:test';
import { DaemonScratch, eventually, Switchable } from '../support/daemon-harness.ts';
import { FAKE_IPVSADM } from '../support/ldts.ts';
import { freePort, httpGet, sampleOf, until } from '../support/observe.ts';
import { type EchoingServer, mysqlEchoingPassword } from '../support/password-echoing-servers.ts';

const HOST = '127.0.41.30';
const SECRET = 'Listener-S3cret-Pass';
const web = new Switchable('127.0.41.32', 8080);
const web2 = new Switchable('127.0.41.33', 8080);
const s = new DaemonScratch('ldts-observe-listener');
let mysql: EchoingServer | undefined;
let port = 0;
let pid = 0;

function config(metrics: string | undefined): string {
  return [
    'checkinterval=1',
    'logfile="{{DIR}}/ldirectord.log"',
    ...(metrics ? [`metrics=${metrics}`] : []),
    'eventlog={{DIR}}/events.jsonl',
    'virtual=10.41.3.1:3306',
    `\treal=${mysql!.host}:${mysql!.port} masq`,
    '\tservice=mysql',
    '\tchecktype=negotiate',
    '\tlogin="monitor"',
    `\tpasswd="${SECRET}"`,
    '\tdatabase="test"',
    '\trequest="SELECT 1"',
    'virtual=10.41.3.2:80',
    '\treal=127.0.41.32:8080 masq',
    '\treal=127.0.41.33:8080 masq',
    '\tchecktype=connect',
    '',
  ].join('\n');
}

before(async () => {
  await web.up();
  await web2.up();
  mysql = await mysqlEchoingPassword('127.0.41.31', SECRET);
  port = await freePort(HOST);
  // The MySQL real is in the table already: it starts up, and its first check takes it down
  // with the server's refusal (which quotes the password) as the reason.
  for (const args of [
    ['-A', '-t', '10.41.3.1:3306', '-s', 'wlc'],
    ['-a', '-t', '10.41.3.1:3306', '-r', `${mysql.host}:${mysql.port}`, '-m', '-w', '1'],
  ]) {
    const r = spawnSync(FAKE_IPVSADM, args, { env: s.env(), encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
  }
  s.config(config(`${HOST}:${port}`));
  pid = s.start();
  await s.waitForLog(/^Added real server: 127\.0\.41\.33:8080/, 0, 60_000);
});

after(async () => {
  await s.finish([web, web2]);
  await mysql?.close();
});

const base = (): string => `http://${HOST}:${port}`;

/** Raw request bytes; the whole answer (until the server closes or 5 s pass). */
function raw(text: string | Buffer): Promise<string> {
  return new Promise((resolve) => {
    const socket = connect(port, HOST);
    let answer = '';
    const timer = setTimeout(() => socket.destroy(), 5000);
    socket.on('data', (b: Buffer) => (answer += b.toString()));
    socket.on('error', () => {});
    socket.on('close', () => {
      clearTimeout(timer);
      resolve(answer);
    });
    socket.write(text);
  });
}

test('only GET and HEAD; a POST, a huge header and slow clients do not disturb the checks', async () => {
  for (const method of ['POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS']) {
    const r = await httpGet(`${base()}/metrics`, {
      method,
      body: method === 'OPTIONS' ? null : 'x=1',
    });
    assert.equal(r.status, 405, method);
    assert.equal(r.headers.get('allow'), 'GET, HEAD');
  }
  const head = await httpGet(`${base()}/metrics`, { method: 'HEAD' });
  assert.equal(head.status, 200);
  assert.equal(head.body, '');
  assert.ok(Number(head.headers.get('content-length')) > 1000);
  assert.equal((await httpGet(`${base()}/nothing`)).status, 404);

  // A POST with a large body that is never read: answered at once, connection closed.
  const post = await raw(
    `POST /metrics HTTP/1.1\r\nHost: x\r\nContent-Length: 50000000\r\n\r\n${'a'.repeat(65536)}`,
  );
  assert.match(post, /^HTTP\/1\.1 405 /);
  // 100 KB of headers.
  const huge = await raw(
    `GET /metrics HTTP/1.1\r\nHost: x\r\nX-Big: ${'b'.repeat(100_000)}\r\n\r\n`,
  );
  assert.match(huge, /^HTTP\/1\.1 431 /);

  // A crowd of slow clients (more than the listener takes), each trickling a header byte;
  // meanwhile a real goes down and must be taken out as fast as ever.
  const slow: Socket[] = [];
  for (let i = 0; i < 80; i++) {
    const socket = connect(port, HOST);
    socket.on('error', () => {});
    socket.write('GET /metrics HTTP/1.1\r\nHost: x\r\n');
    slow.push(socket);
  }
  const trickle = setInterval(() => {
    for (const socket of slow) if (!socket.destroyed) socket.write('X');
  }, 200);
  try {
    const from = s.logLineCount();
    const downAt = Date.now();
    await web2.down();
    await s.waitForLog(
      /^Deleted real server: 127\.0\.41\.33:8080 \(10\.41\.3\.2:80\)$/,
      from,
      10_000,
    );
    assert.ok(Date.now() - downAt < 4000, `taken out after ${Date.now() - downAt} ms`);
  } finally {
    clearInterval(trickle);
    for (const socket of slow) socket.destroy();
  }
  const from = s.logLineCount();
  await web2.up();
  await s.waitForLog(/^Added real server: 127\.0\.41\.33:8080/, from);
  // Once the listener has seen the slow clients go, it serves again.
  let body = '';
  await until(
    async () => {
      const r = await httpGet(`${base()}/metrics`);
      body = r.body;
      return r.status === 200;
    },
    () => 'the listener serving again',
    10_000,
  );
  assert.equal(sampleOf(body, 'ldirectord_real_up', { real: '127.0.41.33:8080' }), 1);
});

test('the password a server quotes back appears in no output', async () => {
  await eventually(
    () => s.read('events.jsonl').includes('"event":"real-down"'),
    () => `the MySQL real's down line in the event log\n${s.read('events.jsonl')}`,
  );
  assert.ok(mysql!.refusals > 0);
  const outputs: Record<string, string> = {};
  for (const path of ['/metrics', '/status', '/checks', '/'])
    outputs[path] = (await httpGet(`${base()}${path}`)).body;
  // The refusal did reach /status, masked.
  assert.match(outputs['/status']!, /Access denied for user \(using password '\*{8}'\)/);
  outputs.eventlog = s.read('events.jsonl');
  assert.match(outputs.eventlog, /"reason":"Access denied for user \(using password '\*{8}'\)"/);
  const history = await s.runAsync([s.cf, 'status', '--history', '50']);
  assert.equal(history.code, 0, history.stderr);
  outputs.history = history.stdout + history.stderr;
  assert.match(
    outputs.history,
    /real-down {2}tcp:10\.41\.3\.1:3306 {2}127\.0\.41\.31:\d+ {2}\(Access denied/,
  );
  const json = await s.runAsync([s.cf, 'status', '--json']);
  outputs.statusJson = json.stdout;
  outputs.log = s.log;
  for (const [name, text] of Object.entries(outputs))
    assert.ok(!text.includes(SECRET), `the password is in ${name}`);
});

test('a reload moves the listener: port in use, [::1], a unix socket, then none', async () => {
  // Port in use: logged, the old listener closed, the checks go on.
  const squatter: Server = createServer();
  const taken = await freePort(HOST);
  await new Promise<void>((resolve) => squatter.listen(taken, HOST, resolve));
  try {
    let from = s.logLineCount();
    s.config(config(`${HOST}:${taken}`));
    process.kill(pid, 'SIGHUP');
    await s.waitForLog(
      new RegExp(
        `^metrics: cannot listen on 127\\.0\\.41\\.30:${taken}: the address is already in use; the checks go on`,
      ),
      from,
    );
    await assert.rejects(httpGet(`${base()}/metrics`), 'the old address is closed');
    from = s.logLineCount();
    await web.down();
    await s.waitForLog(/^Deleted real server: 127\.0\.41\.32:8080/, from);
    await web.up();
    await s.waitForLog(/^Added real server: 127\.0\.41\.32:8080/, from);
  } finally {
    await new Promise<void>((resolve) => squatter.close(() => resolve()));
  }

  // IPv6 loopback.
  const v6 = await freePort('::1');
  let from = s.logLineCount();
  s.config(config(`[::1]:${v6}`));
  process.kill(pid, 'SIGHUP');
  await s.waitForLog(new RegExp(`^metrics: listening on \\[::1\\]:${v6} `), from);
  const six = await httpGet(`http://[::1]:${v6}/metrics`);
  assert.equal(six.status, 200);
  assert.match(six.body, /^ldirectord_real_up\{/m);

  // A unix socket.
  const path = s.path('metrics.sock');
  from = s.logLineCount();
  s.config(config(path));
  process.kill(pid, 'SIGHUP');
  await s.waitForLog(/^metrics: listening on \/.*metrics\.sock /, from);
  const body = await new Promise<string>((resolve, reject) => {
    const req = request({ socketPath: path, path: '/status', timeout: 5000 }, (res) => {
      let text = '';
      res.on('data', (b: Buffer) => (text += b.toString()));
      res.on('end', () => resolve(text));
    });
    req.on('error', reject);
    req.end();
  });
  assert.equal((JSON.parse(body) as { running: boolean; pid: number }).pid, pid);
  await assert.rejects(httpGet(`http://[::1]:${v6}/metrics`), 'the IPv6 listener is closed');

  // No metrics=: nothing listens, and the socket file is gone.
  from = s.logLineCount();
  s.config(config(undefined));
  process.kill(pid, 'SIGHUP');
  await eventually(
    () => s.messages(from).length > 0 && listeningSockets(pid).length === 0,
    () => `no listening socket: ${listeningSockets(pid).join(', ')}`,
  );
  assert.equal(s.read('metrics.sock'), '');
  const events = s.read('events.jsonl');
  assert.equal((events.match(/"event":"reload"/g) ?? []).length, 4, events);
});

/** The listening TCP and unix sockets of a process (ss), but for its ctl socket. */
function listeningSockets(processId: number): string[] {
  const r = spawnSync('ss', ['-lntxpH'], { encoding: 'utf8' });
  return r.stdout
    .split('\n')
    .filter((l) => l.includes(`pid=${processId},`) && !l.includes('/.ldirectord-ctl-'));
}
