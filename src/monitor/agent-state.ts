// What a real's agent (agentport) has said, and how it combines with the health check, as
// HAProxy documents its agent-check: each reply changes only what it mentions, and only the
// agent undoes what it said.
// - The operational state: "down" (or "failed", "stopped") takes the real out whatever its
//   checks say; "up" gives it back to them.
// - The administrative state: "maint" takes it out; "drain" keeps it in at weight 0 (no new
//   connections, those of persistence excepted); "ready" cancels both.
// - A percentage scales the configured weight ("50%" of weight 10 is 5).
// An agent that cannot be reached changes nothing (the health check tests connectivity).
// Pure: a state and a reply in, the next state out.
import type { AgentAdmin, AgentReply } from '../checkers/agent.ts';
import { RANGES } from '../parser/values.ts';

export interface AgentState {
  admin: AgentAdmin;
  operational: 'up' | 'down';
  /** The weight as a percentage of the configured one; undefined until an agent gives one. */
  percent?: number;
  /** The word that took the real down and its description, for the status. */
  word?: string;
  description?: string;
  /** The last reply, and when it came (clock ms). */
  reply?: string;
  at?: number;
  /** Why the last query got no reply; undefined once one comes. */
  error?: string;
}

/** Before an agent has replied: nothing changed. */
export const AGENT_START: AgentState = Object.freeze({ admin: 'ready', operational: 'up' });

/** The state after a reply: what the reply mentions replaced, the rest kept. */
export function applyAgentReply(
  state: AgentState,
  reply: AgentReply,
  text: string,
  at: number,
): AgentState {
  const next: AgentState = { admin: reply.admin ?? state.admin, operational: state.operational };
  const percent = reply.percent ?? state.percent;
  if (percent !== undefined) next.percent = percent;
  if (reply.operational === 'up') next.operational = 'up';
  else if (reply.operational === 'down') {
    next.operational = 'down';
    if (reply.word !== undefined) next.word = reply.word;
    if (reply.description !== undefined) next.description = reply.description;
  } else if (state.operational === 'down') {
    if (state.word !== undefined) next.word = state.word;
    if (state.description !== undefined) next.description = state.description;
  }
  next.reply = text;
  next.at = at;
  return next;
}

/** Whether the agent lets the real be in the table (its health check must say up too). */
export function agentAllows(state: AgentState | undefined): boolean {
  return state === undefined || (state.operational === 'up' && state.admin !== 'maint');
}

/** The weight of a real that is in: 0 while draining, else its weight scaled by the agent. */
export function agentWeight(state: AgentState | undefined, configured: number): number {
  if (state === undefined) return configured;
  if (state.admin === 'drain') return 0;
  if (state.percent === undefined) return configured;
  return Math.min(RANGES.weight.max, Math.floor((configured * state.percent) / 100));
}

/** Whether two states differ in what they do to the table. */
export function sameEffect(a: AgentState, b: AgentState): boolean {
  return a.admin === b.admin && a.operational === b.operational && a.percent === b.percent;
}

/** One line for the log and the status: "drain, weight 50%", "down (failed: disk full)". */
export function describeAgent(state: AgentState): string {
  const parts: string[] = [];
  if (state.operational === 'down') {
    const why = state.description ? `: ${state.description}` : '';
    parts.push(`down (${state.word ?? 'down'}${why})`);
  }
  if (state.admin !== 'ready') parts.push(state.admin);
  if (state.percent !== undefined) parts.push(`weight ${state.percent}%`);
  return parts.length === 0 ? 'ready' : parts.join(', ');
}
