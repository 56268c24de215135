// `ldirectord-ts check [--json] [configfile...]`: read each config exactly as the daemon
// would, print every diagnostic, then what would run: each virtual service with its effective
// settings and where each came from, every real server after range expansion and port
// resolution, and the migration notes (what behaves differently from the Perl original).
// Exit status: 0 all valid; 2 some file has configuration errors (the original's code);
// 1 some file could not be checked (not found, unreadable), or start would refuse the pid folder.
import { resolve } from 'node:path';
import { Command, CommanderError } from 'commander';
import { ConfigNotFoundError, loadConfig, locateConfig } from '../config/load.ts';
import {
  type ConfigSummary,
  describeOrigin,
  maskSecrets,
  type Setting,
  summarize,
} from '../config/report.ts';
import { DEFAULT_PID_DIR, pidDirProblem, pidFilePath } from '../daemon/pidfile.ts';
import { hostPort } from '../lib/inet.ts';
import {
  type Diagnostic,
  type DiagnosticCategory,
  formatDiagnostic,
  hasErrors,
  shownDiagnostic,
} from '../model/diagnostics.ts';

export interface CheckIO {
  stdout: { write(text: string): unknown };
  stderr: { write(text: string): unknown };
}

interface FileReport {
  argument: string;
  /** Absolute path found by the original's lookup; absent when not found. */
  file?: string;
  cfgname?: string;
  status: 'valid' | 'invalid' | 'unreadable';
  diagnostics: Diagnostic[];
  summary?: ConfigSummary;
  config?: unknown;
  /** Where `start` would keep the pid file, and why it would refuse to, if it would. */
  pidFile?: string;
  pidFolderProblem?: string;
}

const CATEGORY_TITLE: Record<DiagnosticCategory, string> = {
  'differs-from-perl': 'behaves differently from the Perl original',
  deprecated: 'deprecated',
  'no-effect': 'has no effect',
};

async function checkOne(
  argument: string | undefined,
  haDir: string | undefined,
  pidDir: string,
): Promise<FileReport> {
  const shown = argument ?? 'ldirectord.cf';
  let located: ReturnType<typeof locateConfig>;
  try {
    located = locateConfig(argument, haDir !== undefined ? { haDir } : {});
  } catch (e) {
    if (!(e instanceof ConfigNotFoundError)) throw e;
    return {
      argument: shown,
      status: 'unreadable',
      diagnostics: [
        {
          severity: 'error',
          file: shown,
          line: 0,
          column: 0,
          code: 'file-not-found',
          message: e.message,
          hint: `Looked for ${haDir ?? '/etc/ha.d'}/${shown}, ${haDir ?? '/etc/ha.d'}/conf/${shown} and ${shown}.`,
        },
      ],
    };
  }
  // Diagnostics name the file as the user wrote it when it was found as written.
  const display =
    argument !== undefined && resolve(argument) === located.file ? argument : located.file;
  const result = await loadConfig(display, { fileChecks: 'access' });
  const unreadable = result.diagnostics.some((d) => d.code === 'file-unreadable');
  const report: FileReport = {
    argument: shown,
    file: located.file,
    cfgname: located.cfgname,
    status: unreadable ? 'unreadable' : hasErrors(result.diagnostics) ? 'invalid' : 'valid',
    diagnostics: result.diagnostics.map(shownDiagnostic),
    pidFile: pidFilePath(located.cfgname, pidDir),
  };
  const problem = pidDirProblem(pidDir);
  if (problem !== undefined) report.pidFolderProblem = problem;
  if (result.config) {
    report.summary = summarize(result.config);
    report.config = maskSecrets(result.config);
  }
  return report;
}

function table(rows: Setting[], indent: string): string {
  const width = Math.max(...rows.map((r) => r.name.length), 0) + 2;
  const valueWidth = Math.min(Math.max(...rows.map((r) => r.value.length), 0) + 2, 40);
  return rows
    .map(
      (r) =>
        `${indent}${r.name.padEnd(width)}${r.value.padEnd(valueWidth)}${describeOrigin(r.origin)}`,
    )
    .join('\n');
}

function formatText(report: FileReport): string {
  const out: string[] = [];
  const migration = report.diagnostics.filter((d) => d.category !== undefined);
  const plain = report.diagnostics.filter((d) => d.category === undefined);
  const errors = report.diagnostics.filter((d) => d.severity === 'error').length;
  const warnings = report.diagnostics.length - errors;
  const where = report.argument;
  if (report.status !== 'valid') {
    // Nothing runs: every diagnostic in line order (the migration notes too).
    for (const d of report.diagnostics) out.push(formatDiagnostic(d));
    out.push(
      `${where}: ${report.status === 'unreadable' ? 'cannot be read' : `INVALID: ${errors} error${errors === 1 ? '' : 's'}`}, ${warnings} warning${warnings === 1 ? '' : 's'}`,
    );
    return `${out.join('\n')}\n`;
  }
  // Valid: the other warnings first, the migration notes in their own section below.
  for (const d of plain) out.push(formatDiagnostic(d));
  if (report.pidFolderProblem !== undefined) out.push(`error: ${report.pidFolderProblem}`);
  const s = report.summary!;
  if (plain.length > 0) out.push('');
  out.push(
    `${where}: valid: ${s.virtuals.length} virtual service${s.virtuals.length === 1 ? '' : 's'}, ${s.realCount} real server${s.realCount === 1 ? '' : 's'}; ${warnings} warning${warnings === 1 ? '' : 's'} (${migration.length} migration note${migration.length === 1 ? '' : 's'})`,
  );
  out.push('', `Global settings (pid file ${report.pidFile})`, table(s.global, '  '));
  for (const v of s.virtuals) {
    out.push('', `Virtual service ${v.id} (line ${v.line}: ${v.written})`, table(v.settings, '  '));
    out.push(`  real servers (${v.reals.length}):`);
    for (const r of v.reals) {
      const parts = [
        hostPort(r.address, r.port).padEnd(24),
        r.forward.padEnd(5),
        `weight ${r.weight}`,
      ];
      if (r.lowerThreshold > 0) parts.push(`l:${r.lowerThreshold}`);
      if (r.upperThreshold > 0) parts.push(`u:${r.upperThreshold}`);
      if (r.request !== undefined) parts.push(`request "${r.request}" receive "${r.receive}"`);
      parts.push(`check port ${r.checkPort ?? '-'}`);
      parts.push(`line ${r.line}${r.written.includes('->') ? ` (range ${r.written})` : ''}`);
      out.push(`    ${parts.join('  ')}`);
    }
  }
  if (migration.length > 0) {
    out.push('', 'Migration notes (Perl ldirectord -> ldirectord-ts):');
    for (const category of Object.keys(CATEGORY_TITLE) as DiagnosticCategory[]) {
      const list = migration.filter((d) => d.category === category);
      if (list.length === 0) continue;
      out.push(`  ${CATEGORY_TITLE[category]}:`);
      for (const d of list) out.push(`    ${formatDiagnostic(d).replace(/\n/g, '\n    ')}`);
    }
  }
  return `${out.join('\n')}\n`;
}

export function exitCodeOf(reports: readonly FileReport[]): number {
  if (reports.some((r) => r.status === 'invalid')) return 2;
  if (reports.some((r) => r.status === 'unreadable' || r.pidFolderProblem !== undefined)) return 1;
  return 0;
}

export async function runCheck(argv: string[], io: CheckIO): Promise<number> {
  const program = new Command('ldirectord-ts check')
    .description(
      'Check ldirectord.cf files as the daemon reads them and show what would run.\n' +
        'Exit status: 0 valid, 2 configuration errors, 1 a file could not be read or the pid folder is unsafe.',
    )
    .argument(
      '[configfile...]',
      'config files, looked up like ldirectord does (/etc/ha.d/<name>, /etc/ha.d/conf/<name>, <name>)',
    )
    .option('--json', 'machine-readable output (passwords masked)')
    .option('--ha-dir <dir>', 'directory searched first instead of /etc/ha.d')
    .option('--pid-dir <dir>', 'the pid file folder start would use (default /var/run)')
    .exitOverride()
    .configureOutput({
      writeOut: (t) => io.stdout.write(t),
      writeErr: (t) => io.stderr.write(t),
    });
  try {
    await program.parseAsync(argv, { from: 'user' });
  } catch (e) {
    if (e instanceof CommanderError) return e.exitCode === 0 ? 0 : 1;
    throw e;
  }
  const options = program.opts<{ json?: boolean; haDir?: string; pidDir?: string }>();
  const pidDir = options.pidDir ?? (process.env.LDIRECTORD_TS_PID_DIR || DEFAULT_PID_DIR);
  const args: Array<string | undefined> = program.args.length > 0 ? program.args : [undefined];
  const reports: FileReport[] = [];
  for (const a of args) reports.push(await checkOne(a, options.haDir, pidDir));
  const code = exitCodeOf(reports);
  if (options.json) {
    io.stdout.write(`${JSON.stringify({ exitCode: code, files: reports }, null, 2)}\n`);
  } else {
    io.stdout.write(reports.map(formatText).join('\n'));
  }
  return code;
}

export function run(argv: string[]): Promise<number> {
  return runCheck(argv, process);
}
