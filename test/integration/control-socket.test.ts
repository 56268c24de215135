// The daemon's control socket on its own: created root-only, never over a live daemon's socket
// or a file that is not a socket, refused in a folder others can write to; one request line,
// one answer, with size, time and connection limits.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import type { ControlReply, ControlRequest } from '../../src/daemon/control-protocol.ts';
import { ControlServer, controlSocketPath } from '../../src/daemon/control-socket.ts';
import { eventually } from '../support/daemon-harness.ts';

const root = mkdtempSync(join(tmpdir(), 'ldts-control-socket-'));
after(() => rmSync(root, { recursive: true, force: true }));
let folders = 0;
const folder = (): string => {
  const dir = join(root, String(++folders));
  mkdirSync(dir, { mode: 0o755 });
  return dir;
};

const requests: ControlRequest[] = [];
function server(path: string, options: { idleMs?: number; maxConnections?: number } = {}) {
  return new ControlServer({
    path,
    handle: async (request) => {
      requests.push(request);
      return { ok: true, message: `done ${request.command}`, reals: [] };
    },
    ...options,
  });
}

/** Sends raw text, returns what came back before the daemon closed the connection. */
function exchange(path: string, text: string, end = false): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(path);
    let received = '';
    socket.setEncoding('utf8');
    socket.on('connect', () => {
      socket.write(text);
      if (end) socket.end();
    });
    socket.on('data', (chunk: string) => {
      received += chunk;
    });
    socket.on('close', () => resolve(received));
    socket.on('error', reject);
    socket.setTimeout(10_000, () => reject(new Error('no answer')));
  });
}

const reply = (text: string): ControlReply => JSON.parse(text) as ControlReply;

test('beside the pid file, root-only, one request and one answer, removed on close', async () => {
  assert.equal(controlSocketPath('/run/ldirectord.x.cf.pid'), '/run/ldirectord.x.cf.sock');
  const path = join(folder(), 'ldirectord.t.sock');
  const s = server(path);
  assert.equal(await s.open(), undefined);
  const st = statSync(path);
  assert.ok(st.isSocket());
  assert.equal(st.mode & 0o777, 0o600);
  const answer = await exchange(path, '{"command":"drain","virtual":"v","real":"r"}\n');
  assert.deepEqual(reply(answer), { ok: true, message: 'done drain', reals: [] });
  assert.deepEqual(requests.at(-1), { command: 'drain', virtual: 'v', real: 'r' });
  // A client that ends its side after the request still gets the answer.
  assert.deepEqual(reply(await exchange(path, '{"command":"show"}', true)), {
    ok: true,
    message: 'done show',
    reals: [],
  });
  assert.deepEqual(reply(await exchange(path, 'drain v r\n')), {
    ok: false,
    error: 'the request is not JSON',
  });
  await s.close();
  assert.equal(existsSync(path), false);
  assert.deepEqual(readdirSync(join(path, '..')), [], 'no private folder left behind');
});

test('a socket left by a daemon that died is replaced; a live one is not touched', async () => {
  const dir = folder();
  const path = join(dir, 'ldirectord.t.sock');
  // A daemon killed with SIGKILL leaves its socket file behind.
  const dead = spawn(process.execPath, [
    '-e',
    `require('node:net').createServer().listen(${JSON.stringify(path)}, () => console.log('listening'))`,
  ]);
  await new Promise<void>((resolve) => dead.stdout.once('data', () => resolve()));
  dead.kill('SIGKILL');
  await new Promise((resolve) => dead.once('exit', resolve));
  assert.ok(statSync(path).isSocket(), 'left behind');
  const s = server(path);
  assert.equal(await s.open(), undefined);
  assert.equal(reply(await exchange(path, '{"command":"show"}\n')).ok, true);

  const rival = server(path);
  assert.equal(await rival.open(), `another daemon answers on ${path}`);
  assert.equal(reply(await exchange(path, '{"command":"show"}\n')).ok, true, 'still the first');
  await rival.close();
  assert.ok(existsSync(path), 'the rival removed nothing');
  await s.close();
});

test('what is not a socket, an unsafe folder, a path too long: refused, nothing touched', async () => {
  const dir = folder();
  const file = join(dir, 'ldirectord.t.sock');
  writeFileSync(file, 'keep me');
  assert.equal(await server(file).open(), `${file} exists and is not a socket`);
  assert.equal(readFileSync(file, 'utf8'), 'keep me');

  const open = folder();
  chmodSync(open, 0o777);
  const inOpen = join(open, 'ldirectord.t.sock');
  assert.equal(
    await server(inOpen).open(),
    `its folder ${open} is writable by others and not sticky`,
  );
  assert.equal(existsSync(inOpen), false);
  chmodSync(open, 0o1777);
  const sticky = server(inOpen);
  assert.equal(await sticky.open(), undefined, 'sticky, as /tmp: nobody can replace it');
  await sticky.close();

  const long = join(folder(), `${'x'.repeat(120)}.sock`);
  assert.match(String(await server(long).open()), /longer than a unix socket path can be/);
});

test('limits: request size, an idle connection, connections at once', async () => {
  const path = join(folder(), 'ldirectord.t.sock');
  const s = server(path, { idleMs: 300 });
  assert.equal(await s.open(), undefined);
  try {
    assert.deepEqual(reply(await exchange(path, 'x'.repeat(5000))), {
      ok: false,
      error: 'request longer than 4096 bytes',
    });
    const started = Date.now();
    assert.equal(await exchange(path, '{"command":'), '', 'closed without an answer');
    assert.ok(Date.now() - started >= 250, 'after the idle time');
  } finally {
    await s.close();
  }

  const one = join(folder(), 'ldirectord.t.sock');
  const single = server(one, { maxConnections: 1 });
  assert.equal(await single.open(), undefined);
  // One connection held open: the next is told the daemon is busy.
  const held = connect(one);
  try {
    await new Promise<void>((resolve) => held.once('connect', () => resolve()));
    await eventually(() => true, 'the held connection accepted');
    const busy = reply(await exchange(one, '{"command":"show"}\n'));
    assert.deepEqual(busy, {
      ok: false,
      error: 'the daemon is busy with other ctl requests: try again',
    });
  } finally {
    held.destroy();
    await single.close();
  }
});
