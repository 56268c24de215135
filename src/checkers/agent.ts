// The agent of a real server (agentport): HAProxy's agent-check protocol. The check connects to
// the real's address on the agent port, reads one line (to a newline, the end of the stream, or
// MAX_REPLY bytes) and closes; it sends nothing. Its reason is the reply. The reply is words
// separated by spaces, tabs or commas, in any order, with an optional description after '#':
// a weight percentage ("75%"), an administrative state ("ready", "drain", "maint"), an
// operational state ("up"; "down", "failed", "stopped"). parseAgentReply reads it; the monitor
// combines it with the health check (src/monitor/agent-state.ts). An agent that cannot be
// reached is down here, and changes nothing there: HAProxy's rule.
import type { Socket } from 'node:net';
import { runWithin } from './support/deadline.ts';
import { down, up } from './support/result.ts';
import { connectTcp } from './support/tcp.ts';
import type { Checker } from './types.ts';

/** Where an agent listens, and the query's deadline. */
export interface AgentTarget {
  host: string;
  port: number;
  timeoutMs: number;
}

/** The longest reply read; the rest is ignored. */
export const MAX_REPLY = 1024;

export type AgentAdmin = 'ready' | 'drain' | 'maint';

/** What one reply says; what it does not mention stays as it was. */
export interface AgentReply {
  /** A weight as a percentage of the configured one. */
  percent?: number;
  admin?: AgentAdmin;
  /** `down` stands for down, failed and stopped (the word is in `word`). */
  operational?: 'up' | 'down';
  /** The word that set the operational state down, and its description after '#'. */
  word?: string;
  description?: string;
  /** Words not understood, maxconn:N among them (an IPVS real has no such setting). */
  ignored: string[];
}

const DOWN_WORDS = new Set(['down', 'failed', 'stopped']);

/** Reads a reply as HAProxy does: case-insensitive words; when one says twice, the last wins. */
export function parseAgentReply(text: string): AgentReply {
  const line = text.split(/[\r\n]/, 1)[0] ?? '';
  const hash = line.indexOf('#');
  const words = (hash < 0 ? line : line.slice(0, hash)).split(/[\t ,]+/).filter((w) => w !== '');
  const reply: AgentReply = { ignored: [] };
  for (const word of words) {
    const lower = word.toLowerCase();
    const percent = /^(\d+)%$/.exec(lower);
    if (percent) reply.percent = Number(percent[1]);
    else if (lower === 'ready' || lower === 'drain' || lower === 'maint') reply.admin = lower;
    else if (lower === 'up') {
      reply.operational = 'up';
      delete reply.word;
    } else if (DOWN_WORDS.has(lower)) {
      reply.operational = 'down';
      reply.word = lower;
    } else reply.ignored.push(word);
  }
  const description = hash < 0 ? '' : line.slice(hash + 1).trim();
  if (reply.operational === 'down' && description !== '') reply.description = description;
  return reply;
}

/** One query: up with the reply line as its reason, or down with why none came. */
export const checkAgent: Checker<AgentTarget> = (target, signal) => {
  let socket: Socket | undefined;
  return runWithin(
    signal,
    async () => {
      socket = await connectTcp(target.host, target.port, {
        signal,
        timeoutMs: target.timeoutMs,
      });
      const reply = await readLine(socket);
      return reply.trim() === '' ? down('empty reply') : up(printable(reply));
    },
    () => socket?.destroy(),
  );
};

/** The first line the agent sends, or all it sends before closing (at most MAX_REPLY bytes). */
function readLine(socket: Socket): Promise<string> {
  return new Promise((resolve, reject) => {
    socket.on('error', () => {}); // after the answer, a late reset is nobody's business
    let text = '';
    const finish = (): void => {
      socket.off('data', onData);
      socket.off('end', finish);
      socket.off('error', reject);
      resolve(text.slice(0, MAX_REPLY));
    };
    const onData = (chunk: Buffer): void => {
      text += chunk.toString('latin1');
      if (/[\r\n]/.test(text) || text.length >= MAX_REPLY) finish();
    };
    socket.on('data', onData);
    socket.once('end', finish);
    socket.once('error', reject);
  });
}

/** The reply as one log-safe line. */
function printable(text: string): string {
  return (text.split(/[\r\n]/, 1)[0] ?? '').replace(/[\x00-\x1f\x7f-\xff]/g, '?').trim();
}
