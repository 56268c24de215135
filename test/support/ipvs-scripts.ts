// The ipvsadm command scripts of test/fixtures/ipvs-scripts/ and the transcripts they produce,
// through the real ipvsadm in a guest kernel or through the fake ipvsadm on the host.
//
// A script is a small subset of sh, so it can also be run by hand:
//
//   # comment
//   ipvsadm -A -t 10.0.0.1:80 -s rr
//   ipvsadm -a -t 10.0.0.1:80 -r '' -w 1      single quotes for empty or spaced arguments
//   ipvsadm -R <<'EOF'                        stdin up to the delimiter line
//   -A -t 10.0.0.2:80
//   EOF
//
// Every script starts from an empty table; after its last command the table is saved with
// `ipvsadm -S -n` so two runs can be compared as a whole, too.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { runCommand } from '../../src/lib/run-command.ts';
import type { Guest } from './qemu-guest.ts';

export const IPVS_SCRIPTS_DIR = new URL('../fixtures/ipvs-scripts/', import.meta.url).pathname;
export const IPVS_KERNEL_DIR = new URL('../fixtures/ipvs-kernel/', import.meta.url).pathname;

export interface IpvsStep {
  /** 1-based line of the command in the script. */
  line: number;
  /** Arguments after `ipvsadm`. */
  argv: string[];
  /** Standard input; null means none (/dev/null). */
  stdin: string | null;
}

export interface IpvsScript {
  /** File name, e.g. `01-services.sh`. */
  name: string;
  steps: IpvsStep[];
}

export interface IpvsStepResult extends IpvsStep {
  stdout: string;
  stderr: string;
  exitCode: number;
}

export interface IpvsTranscript {
  script: string;
  steps: IpvsStepResult[];
  /** `ipvsadm -S -n` after the last step. */
  finalTable: string;
}

export function parseIpvsScript(name: string, text: string): IpvsScript {
  const lines = text.split('\n');
  const steps: IpvsStep[] = [];
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!.trim();
    if (line === '' || line.startsWith('#')) continue;
    const where = `${name}:${i + 1}`;
    const words = splitWords(line, where);
    if (words[0] !== 'ipvsadm') throw new Error(`${where}: a command must start with ipvsadm`);
    let stdin: string | null = null;
    const heredoc = /^<<'?([A-Za-z_]+)'?$/.exec(words.at(-1) ?? '');
    if (heredoc) {
      words.pop();
      const end = lines.indexOf(heredoc[1]!, i + 1);
      if (end < 0) throw new Error(`${where}: no line ${heredoc[1]} ends the here-document`);
      stdin = lines
        .slice(i + 1, end)
        .map((l) => `${l}\n`)
        .join('');
      steps.push({ line: i + 1, argv: words.slice(1), stdin });
      i = end;
      continue;
    }
    steps.push({ line: i + 1, argv: words.slice(1), stdin });
  }
  return { name, steps };
}

/** Whitespace-separated words; '...' quotes (no escapes), as sh reads them. */
function splitWords(line: string, where: string): string[] {
  const words: string[] = [];
  const pattern = /'([^']*)'|([^\s']+)|(\s+)/gy;
  let current: string | undefined;
  for (let m = pattern.exec(line); m; m = pattern.exec(line)) {
    if (m[3] !== undefined) {
      if (current !== undefined) words.push(current);
      current = undefined;
    } else {
      current = (current ?? '') + (m[1] ?? m[2]);
    }
    if (pattern.lastIndex === line.length) break;
  }
  if (pattern.lastIndex !== line.length) throw new Error(`${where}: unbalanced quote`);
  if (current !== undefined) words.push(current);
  return words;
}

export function loadIpvsScripts(dir = IPVS_SCRIPTS_DIR): IpvsScript[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith('.sh'))
    .sort()
    .map((f) => parseIpvsScript(f, readFileSync(join(dir, f), 'utf8')));
}

function shellQuote(word: string): string {
  return `'${word.replaceAll("'", `'\\''`)}'`;
}

/**
 * Runs the script through the guest's real ipvsadm in one job, after `ipvsadm -C`.
 * ipvsadm prints its argv[0] in some messages: it is called as plain `ipvsadm` through PATH.
 */
export async function runScriptInGuest(guest: Guest, script: IpvsScript): Promise<IpvsTranscript> {
  const files: Record<string, string> = {};
  const body = ['ipvsadm -C || exit 90'];
  script.steps.forEach((step, index) => {
    const input = step.stdin === null ? '/dev/null' : `stdin.${index}`;
    if (step.stdin !== null) files[`stdin.${index}`] = step.stdin;
    body.push(
      `ipvsadm ${step.argv.map(shellQuote).join(' ')} <${input} >out.${index} 2>err.${index}; ` +
        `echo $? >rc.${index}`,
    );
  });
  body.push('ipvsadm -S -n >final-table || exit 91');
  const result = await guest.run(`${body.join('\n')}\n`, { files, timeoutMs: 60_000 });
  if (result.code !== 0) {
    throw new Error(`${script.name}: guest job exited ${result.code}: ${result.stderr}`);
  }
  const read = (file: string): string => readFileSync(join(result.hostDir, file), 'utf8');
  return {
    script: script.name,
    steps: script.steps.map((step, index) => ({
      ...step,
      stdout: read(`out.${index}`),
      stderr: read(`err.${index}`),
      exitCode: Number(read(`rc.${index}`)),
    })),
    finalTable: read('final-table'),
  };
}

/** The environment variable naming the fake ipvsadm's state file. */
export const FAKE_STATE_ENV = 'FAKE_IPVSADM_STATE';

/** Runs the script through the fake ipvsadm on the host, with its own fresh state file. */
export async function runScriptWithFake(
  fake: string,
  script: IpvsScript,
  stateFile: string,
): Promise<IpvsTranscript> {
  const env = { ...process.env, [FAKE_STATE_ENV]: stateFile };
  const run = async (argv: string[], stdin: string | null) => {
    const r = await runCommand(fake, argv, {
      env,
      timeoutMs: 30_000,
      ...(stdin === null ? {} : { input: stdin }),
    });
    if (r.spawnError) throw r.spawnError;
    if (r.code === null) throw new Error(`fake ipvsadm ${argv.join(' ')}: killed by ${r.signal}`);
    return { stdout: r.stdout, stderr: r.stderr, exitCode: r.code };
  };
  const cleared = await run(['-C'], null);
  if (cleared.exitCode !== 0) throw new Error(`fake ipvsadm -C failed: ${cleared.stderr}`);
  const steps: IpvsStepResult[] = [];
  for (const step of script.steps) steps.push({ ...step, ...(await run(step.argv, step.stdin)) });
  const table = await run(['-S', '-n'], null);
  return { script: script.name, steps, finalTable: table.stdout };
}
