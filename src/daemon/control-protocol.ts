// What `ldirectord-ts ctl` and the daemon say to each other over the control socket: one JSON
// request on one line, one JSON answer on one line, then the daemon closes the connection.
// Pure: the words of the command line read into a request, a request checked on arrival.
import type { ControlAnswer } from '../monitor/types.ts';
import { RANGES } from '../parser/values.ts';

export type ControlRequest =
  | { command: 'drain' | 'enable'; virtual: string; real: string }
  | { command: 'weight'; virtual: string; real: string; weight: number }
  | { command: 'show'; virtual?: string; real?: string };

/** The monitor's answer; `warning` when the change holds but could not be stored. */
export type ControlReply = ControlAnswer & { warning?: string };

export const CTL_COMMANDS = ['drain', 'enable', 'weight', 'show'] as const;

export const CTL_USAGE =
  'ldirectord-ts [configfile] ctl drain|enable VIRTUAL REAL | weight N VIRTUAL REAL | show [VIRTUAL [REAL]]';

/** The longest request line the daemon reads. */
export const MAX_REQUEST_BYTES = 4096;

/** A weight as ipvsadm takes it: a whole number from 0 to the largest it accepts. */
export function parseWeight(
  text: string,
): { ok: true; weight: number } | { ok: false; error: string } {
  if (!/^\d+$/.test(text.trim()) || Number(text) > RANGES.weight.max)
    return {
      ok: false,
      error: `weight "${text}" is not a whole number from 0 to ${RANGES.weight.max}`,
    };
  return { ok: true, weight: Number(text) };
}

function showRequest(virtual: string | undefined, real: string | undefined): ControlRequest {
  return {
    command: 'show',
    ...(virtual !== undefined ? { virtual } : {}),
    ...(real !== undefined ? { real } : {}),
  };
}

/** The words after `ctl` on the command line, as a request. */
export function parseCtlWords(
  words: readonly string[],
): { ok: true; request: ControlRequest } | { ok: false; error: string } {
  const [command, ...rest] = words;
  const usage = (why: string) => ({ ok: false as const, error: `${why}\nUsage: ${CTL_USAGE}` });
  switch (command) {
    case 'drain':
    case 'enable': {
      if (rest.length !== 2) return usage(`ctl ${command} takes a virtual and a real`);
      return { ok: true, request: { command, virtual: rest[0]!, real: rest[1]! } };
    }
    case 'weight': {
      if (rest.length !== 3) return usage('ctl weight takes a weight, a virtual and a real');
      const weight = parseWeight(rest[0]!);
      if (!weight.ok) return usage(weight.error);
      return {
        ok: true,
        request: { command, weight: weight.weight, virtual: rest[1]!, real: rest[2]! },
      };
    }
    case 'show': {
      if (rest.length > 2) return usage('ctl show takes at most a virtual and a real');
      return { ok: true, request: showRequest(rest[0], rest[1]) };
    }
    case undefined:
      return usage('ctl needs a command');
    default:
      return usage(`unknown ctl command "${command}"`);
  }
}

/** A request line as the daemon receives it, checked field by field. */
export function parseControlRequest(
  line: string,
): { ok: true; request: ControlRequest } | { ok: false; error: string } {
  let data: unknown;
  try {
    data = JSON.parse(line);
  } catch {
    return { ok: false, error: 'the request is not JSON' };
  }
  if (typeof data !== 'object' || data === null) return { ok: false, error: 'not a request' };
  const { command, virtual, real, weight } = data as Record<string, unknown>;
  const text = (value: unknown): value is string =>
    typeof value === 'string' && value.length > 0 && value.length <= 512;
  if (command === 'show') {
    if (virtual !== undefined && !text(virtual)) return { ok: false, error: 'bad virtual' };
    if (real !== undefined && (!text(real) || virtual === undefined))
      return { ok: false, error: 'bad real' };
    return { ok: true, request: showRequest(virtual, real) };
  }
  if (command !== 'drain' && command !== 'enable' && command !== 'weight')
    return { ok: false, error: `unknown command ${JSON.stringify(command) ?? '(none)'}` };
  if (!text(virtual) || !text(real))
    return { ok: false, error: `${command} needs a virtual and a real` };
  if (command !== 'weight') return { ok: true, request: { command, virtual, real } };
  const parsed = parseWeight(typeof weight === 'number' ? String(weight) : '');
  if (!parsed.ok) return parsed;
  return { ok: true, request: { command, virtual, real, weight: parsed.weight } };
}
