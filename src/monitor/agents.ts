// The agents of the real servers (agentport, agentinterval): one query job per distinct agent
// (its address and port, interval and deadline), run by a scheduler of its own beside the
// health checks, and one state per agent endpoint (address:agentport), shared by every virtual
// whose reals it serves and kept across reloads while the config still names it. What a state
// means for the table is src/monitor/agent-state.ts; the monitor is told of each change.
import { type AgentTarget, parseAgentReply } from '../checkers/agent.ts';
import type { Checker } from '../checkers/types.ts';
import type { Config, RealServer, VirtualService } from '../config/model.ts';
import { hostPort } from '../lib/inet.ts';
import type { Logger } from '../log/logger.ts';
import {
  AGENT_START,
  type AgentState,
  applyAgentReply,
  describeAgent,
  sameEffect,
} from './agent-state.ts';
import type { Clock } from './clock.ts';
import { runWithDeadline, type TimedResult } from './deadline.ts';
import { type ScheduledJob, Scheduler, scheduledJob } from './scheduler.ts';
import type { StallWatch } from './stall.ts';
import { deadlineMs } from './target.ts';

/** The agent endpoint of a real in a virtual (`address:agentport`), or undefined: no agent. */
export function agentEndpoint(v: VirtualService, r: RealServer): string | undefined {
  return v.agentport === undefined ? undefined : hostPort(r.address, v.agentport);
}

interface AgentJob extends ScheduledJob {
  endpoint: string;
  target: AgentTarget;
}

export interface AgentWatchOptions {
  clock: Clock;
  stalls: StallWatch;
  logger: Logger;
  checker: Checker<AgentTarget>;
  /** Queries running at once. */
  concurrency: number;
  /** An agent's state changed what it does to the table. */
  changed(endpoint: string, before: AgentState, after: AgentState): void;
}

export class AgentWatch {
  readonly #options: AgentWatchOptions;
  readonly #scheduler: Scheduler<AgentJob, TimedResult>;
  #jobs = new Map<string, AgentJob>();
  #states = new Map<string, AgentState>();

  constructor(options: AgentWatchOptions) {
    this.#options = options;
    this.#scheduler = new Scheduler<AgentJob, TimedResult>({
      clock: options.clock,
      concurrency: options.concurrency,
      stalls: options.stalls,
      logger: options.logger,
      check: (job, controller) =>
        runWithDeadline<AgentTarget>(
          options.checker,
          job.target,
          job.target.timeoutMs,
          options.clock,
          controller,
          options.stalls,
        ),
      complete: (job, result) => this.#complete(job, result),
    });
  }

  /** The agent's state; undefined when the real has no agent. */
  state(endpoint: string | undefined): AgentState | undefined {
    return endpoint === undefined ? undefined : (this.#states.get(endpoint) ?? AGENT_START);
  }

  /** Slots count from now (the monitor's start). */
  begin(): void {
    this.#scheduler.begin();
  }

  /**
   * The agents of a config: jobs that did not change keep their schedule, new ones are returned
   * to be run at once, the others are stopped; states of agents it no longer names are dropped.
   */
  update(config: Config): AgentJob[] {
    const jobs = new Map<string, AgentJob>();
    const fresh: AgentJob[] = [];
    for (const v of config.virtuals) {
      if (v.agentport === undefined || v.checktype === 'off') continue;
      const timeoutMs = deadlineMs(v, 'connect');
      for (const r of v.reals) {
        const endpoint = agentEndpoint(v, r)!;
        const key = JSON.stringify([endpoint, v.agentinterval, timeoutMs]);
        if (jobs.has(key)) continue;
        let job = this.#jobs.get(key);
        if (!job?.alive) {
          job = {
            ...scheduledJob(key, v.agentinterval),
            endpoint,
            target: { host: r.address, port: v.agentport, timeoutMs },
          };
          fresh.push(job);
        }
        jobs.set(key, job);
      }
    }
    for (const [key, job] of this.#jobs) if (jobs.get(key) !== job) this.#scheduler.kill(job);
    this.#jobs = jobs;
    const endpoints = new Set([...jobs.values()].map((j) => j.endpoint));
    for (const endpoint of this.#states.keys())
      if (!endpoints.has(endpoint)) this.#states.delete(endpoint);
    return fresh;
  }

  /** Run these jobs now; resolves when each has had its first query. */
  async launch(jobs: readonly AgentJob[]): Promise<void> {
    for (const job of jobs) this.#scheduler.due(job);
    await Promise.all(jobs.map((job) => job.first?.promise));
  }

  stop(): void {
    this.#scheduler.stop(this.#jobs.values());
  }

  #complete(job: AgentJob, result: TimedResult): void {
    const { logger, clock } = this.#options;
    const before = this.state(job.endpoint)!;
    if (!result.up) {
      // Nothing changes; said once until a reply comes again.
      if (before.error === undefined)
        logger.info(`Agent ${job.endpoint} did not reply (${result.reason}): its state is kept`, {
          agent: job.endpoint,
        });
      this.#states.set(job.endpoint, { ...before, error: result.reason });
      return;
    }
    const after = applyAgentReply(
      before,
      parseAgentReply(result.reason),
      result.reason,
      clock.now(),
    );
    this.#states.set(job.endpoint, after);
    if (sameEffect(before, after)) return;
    logger.info(
      `Agent ${job.endpoint} says "${result.reason}": ${describeAgent(after)} (was ${describeAgent(before)})`,
      { agent: job.endpoint },
    );
    this.#options.changed(job.endpoint, before, after);
  }
}
