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
import { symlink } from 'node:fs/promises';
import { join } from 'node:path';
import { runCommand } from '../../src/lib/run-command.ts';
import { REAL_IPVSADM } from './guest-prerequisites.ts';
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
 * How both ipvsadms are called. ipvsadm prints its argv[0] in some messages, and the fake (a
 * script) only ever sees the path it was started by: both are started as `./ipvsadm` from a
 * folder holding a symlink, the way the Perl ldirectord calls it in debug mode.
 */
export const IPVSADM_INVOCATION = './ipvsadm';

/** Runs the script through the guest's real ipvsadm in one job, after `ipvsadm -C`. */
export async function runScriptInGuest(guest: Guest, script: IpvsScript): Promise<IpvsTranscript> {
  const files: Record<string, string> = {};
  // Outputs go to the guest's tmpfs and come back as one tar: a file created over 9p costs
  // more than the ipvsadm run itself under emulation.
  const ipvsadm = IPVSADM_INVOCATION;
  const body = [
    'out=$(mktemp -d) && cd "$out" || exit 90',
    `ln -s ${REAL_IPVSADM} ${ipvsadm} || exit 91`,
    `${ipvsadm} -C || exit 92`,
  ];
  script.steps.forEach((step, index) => {
    const input = step.stdin === null ? '/dev/null' : `"$LDTS_JOB_DIR/stdin.${index}"`;
    if (step.stdin !== null) files[`stdin.${index}`] = step.stdin;
    body.push(
      `${ipvsadm} ${step.argv.map(shellQuote).join(' ')} <${input} >out.${index} ` +
        `2>err.${index}; echo $? >rc.${index}`,
    );
  });
  body.push(`${ipvsadm} -S -n >final-table || exit 93`);
  body.push('tar -cf "$LDTS_JOB_DIR/results.tar" out.* err.* rc.* final-table || exit 94');
  const result = await guest.run(`${body.join('\n')}\n`, { files, timeoutMs: 120_000 });
  if (result.code !== 0) {
    throw new Error(`${script.name}: guest job exited ${result.code}: ${result.stderr}`);
  }
  const outputs = readTar(readFileSync(join(result.hostDir, 'results.tar')));
  const read = (file: string): string => {
    const content = outputs.get(file);
    if (content === undefined) throw new Error(`${script.name}: the guest job wrote no ${file}`);
    return content;
  };
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

/** The regular files of a (GNU or POSIX) tar archive by base name, as UTF-8 text. */
function readTar(archive: Buffer): Map<string, string> {
  const files = new Map<string, string>();
  for (let offset = 0; offset + 512 <= archive.length;) {
    const header = archive.subarray(offset, offset + 512);
    if (header.every((byte) => byte === 0)) break;
    const field = (start: number, length: number): string =>
      header.toString('latin1', start, start + length).replace(/\0.*$/s, '');
    const size = Number.parseInt(field(124, 12).trim() || '0', 8);
    const type = field(156, 1);
    if (type === '0' || type === '') {
      const name = field(0, 100).replace(/^.*\//, '');
      files.set(name, archive.toString('utf8', offset + 512, offset + 512 + size));
    }
    offset += 512 + Math.ceil(size / 512) * 512;
  }
  return files;
}

/**
 * Every difference between two transcripts of the same script, one readable entry per step
 * (and one for the final table); empty when they agree.
 */
export function diffTranscripts(
  expected: IpvsTranscript,
  actual: IpvsTranscript,
  names: { expected: string; actual: string } = { expected: 'kernel', actual: 'fake' },
): string[] {
  const differences: string[] = [];
  const count = Math.max(expected.steps.length, actual.steps.length);
  for (let i = 0; i < count; i++) {
    const e = expected.steps[i];
    const a = actual.steps[i];
    if (!e || !a || e.argv.join('\0') !== a.argv.join('\0')) {
      differences.push(`step ${i + 1}: the transcripts run different commands`);
      break;
    }
    const lines: string[] = [];
    if (e.exitCode !== a.exitCode) {
      lines.push(`  exit status: ${names.expected} ${e.exitCode}, ${names.actual} ${a.exitCode}`);
    }
    for (const stream of ['stdout', 'stderr'] as const) {
      if (e[stream] !== a[stream]) lines.push(`  ${stream}:`, ...lineDiff(e[stream], a[stream]));
    }
    if (lines.length > 0) {
      const command = `ipvsadm ${e.argv.join(' ')}${e.stdin === null ? '' : ' <<batch'}`;
      differences.push([`${expected.script}:${e.line} ${command}`, ...lines].join('\n'));
    }
  }
  if (expected.finalTable !== actual.finalTable) {
    differences.push(
      [
        `${expected.script}: table after the last step (-S -n)`,
        ...lineDiff(expected.finalTable, actual.finalTable),
      ].join('\n'),
    );
  }
  return differences;
}

/** The lines between the common head and tail: `-` expected, `+` actual. */
function lineDiff(expected: string, actual: string): string[] {
  const e = expected.split('\n');
  const a = actual.split('\n');
  let head = 0;
  while (head < e.length && head < a.length && e[head] === a[head]) head++;
  let tail = 0;
  while (
    tail < e.length - head &&
    tail < a.length - head &&
    e[e.length - 1 - tail] === a[a.length - 1 - tail]
  ) {
    tail++;
  }
  const show = (sign: string, l: string): string => `    ${sign} ${JSON.stringify(l).slice(1, -1)}`;
  return [
    ...e.slice(head, e.length - tail).map((l) => show('-', l)),
    ...a.slice(head, a.length - tail).map((l) => show('+', l)),
  ];
}

/** The environment variable naming the fake ipvsadm's state file. */
export const FAKE_STATE_ENV = 'FAKE_IPVSADM_STATE';

/**
 * Runs the script through the fake ipvsadm on the host, in `workDir` (which must be empty): a
 * symlink to the fake and a fresh state file go there.
 */
export async function runScriptWithFake(
  fake: string,
  script: IpvsScript,
  workDir: string,
): Promise<IpvsTranscript> {
  await symlink(fake, join(workDir, 'ipvsadm'));
  const env = { ...process.env, [FAKE_STATE_ENV]: join(workDir, 'state.json') };
  const run = async (argv: string[], stdin: string | null) => {
    const r = await runCommand(IPVSADM_INVOCATION, argv, {
      cwd: workDir,
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
