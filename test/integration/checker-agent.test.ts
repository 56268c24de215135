// The agent query (agentport) against real TCP agents on 127.31.12.x: the reply line read
// whether the agent closes or keeps the connection open, a reply without a newline, a long
// one cut, a silent agent at the deadline, a closed port; the socket released every time.
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:net';
import { after, before, test } from 'node:test';
import {
  type AgentTarget,
  checkAgent,
  MAX_REPLY,
  parseAgentReply,
} from '../../src/checkers/agent.ts';
import { MARGIN_MS } from '../support/checkers.ts';
import {
  closedPort,
  type Listener,
  released,
  scriptedListener,
  silentListener,
} from '../support/listeners.ts';

const HOST = '127.31.12.40';
const servers: Server[] = [];
const listeners: Listener[] = [];

/** An agent that writes `text` and closes, as HAProxy's agents usually do. */
async function closingAgent(text: string): Promise<number> {
  const server = createServer((socket) => {
    socket.on('error', () => {});
    socket.end(text);
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, HOST, resolve));
  return (server.address() as { port: number }).port;
}

async function query(port: number, timeoutMs = 1000) {
  const target: AgentTarget = { host: HOST, port, timeoutMs };
  const started = performance.now();
  const result = await checkAgent(target, AbortSignal.timeout(timeoutMs));
  return { ...result, ms: performance.now() - started };
}

let ports: Record<string, number> = {};
let open: Listener;
let silent: Listener;

before(async () => {
  ports = {
    weight: await closingAgent('75%\n'),
    bare: await closingAgent('drain'),
    words: await closingAgent('DOWN#disk full\r\nsecond line\n'),
    empty: await closingAgent(''),
    long: await closingAgent('x'.repeat(5000)),
    control: await closingAgent('ready\x07\x1b[31m\xe9\n'),
    closed: await closedPort(HOST),
  };
  open = await scriptedListener(HOST, 'maint 20%\n');
  silent = await silentListener(HOST);
  listeners.push(open, silent);
});

after(async () => {
  for (const s of servers) s.close();
  await Promise.all(listeners.map((l) => l.close()));
});

test('the reply is the reason: the first line, whether the agent closes or not', async () => {
  const weight = await query(ports.weight!);
  assert.deepEqual([weight.up, weight.reason], [true, '75%']);
  assert.deepEqual(parseAgentReply(weight.reason), { percent: 75, ignored: [] });
  const bare = await query(ports.bare!);
  assert.deepEqual([bare.up, bare.reason], [true, 'drain']);
  const words = await query(ports.words!);
  assert.deepEqual([words.up, words.reason], [true, 'DOWN#disk full']);
  const stays = await query(open.port);
  assert.deepEqual([stays.up, stays.reason], [true, 'maint 20%']);
  assert.ok(stays.ms < 500, `read at the newline, not at the deadline (${stays.ms} ms)`);
  await released(open);
});

test('no reply, a closed port and a silent agent are failed queries', async () => {
  const empty = await query(ports.empty!);
  assert.deepEqual([empty.up, empty.reason], [false, 'empty reply']);
  const closed = await query(ports.closed!);
  assert.deepEqual([closed.up, closed.reason], [false, 'Connection refused']);
  const hung = await query(silent.port, 300);
  assert.deepEqual([hung.up, hung.reason], [false, 'timeout']);
  assert.ok(hung.ms < 300 + MARGIN_MS, `${hung.ms} ms`);
  await released(silent);
});

test('a reply is read up to its limit, and made printable', async () => {
  const long = await query(ports.long!);
  assert.equal(long.up, true);
  assert.equal(long.reason.length, MAX_REPLY);
  const control = await query(ports.control!);
  assert.deepEqual([control.up, control.reason], [true, 'ready??[31m??']);
});
