// How doctor says it: the exit status of a set of findings, the commands that fix them, the
// files that keep the fixes across reboots (one per path, merged from every finding), and the
// text and JSON reports. Pure.
import type { Finding, PersistentForm } from './types.ts';

/** 0 nothing wrong, 1 something is (errors and warnings; notes do not count). */
export function exitStatus(findings: readonly Finding[]): 0 | 1 {
  return findings.some((f) => f.severity !== 'info') ? 1 : 0;
}

/** Every fix command in finding order, each once. */
export function fixCommands(findings: readonly Finding[]): string[][] {
  const seen = new Set<string>();
  const commands: string[][] = [];
  for (const f of findings) {
    if (f.severity === 'info') continue;
    for (const c of f.fix) {
      const key = JSON.stringify(c);
      if (seen.has(key)) continue;
      seen.add(key);
      commands.push(c);
    }
  }
  return commands;
}

export interface PersistentFile {
  kind: PersistentForm['kind'];
  file: string;
  /** ifupdown: the device whose stanza this is. */
  device?: string;
  /** The whole file (or stanza) to install. */
  text: string;
  /** What to run once it is in place. */
  then?: string;
}

const HEADER = '# Written from the output of ldirectord-ts doctor.';

function render(kind: PersistentForm['kind'], file: string, lines: string[], device?: string) {
  switch (kind) {
    case 'sysctl.d':
      return { text: `${HEADER}\n${lines.join('\n')}\n`, then: `sysctl -p ${file}` };
    case 'modules-load.d':
      return { text: `${HEADER}\n${lines.join('\n')}\n` };
    case 'systemd': {
      const unit = file.slice(file.lastIndexOf('/') + 1);
      return {
        text: [
          HEADER,
          '[Unit]',
          'Description=LVS settings that ldirectord-ts doctor found missing',
          'Wants=network-online.target',
          'After=network-online.target',
          'Before=ldirectord-ts.service ldirectord.service',
          '',
          '[Service]',
          'Type=oneshot',
          'RemainAfterExit=yes',
          ...lines.map((l) => `ExecStart=${l}`),
          '',
          '[Install]',
          'WantedBy=multi-user.target',
          '',
        ].join('\n'),
        then: `systemctl daemon-reload && systemctl enable ${unit}`,
      };
    }
    case 'ifupdown':
      return {
        text: [
          `# In ${file}: merge into the existing stanza of ${device}, if there is one.`,
          `auto ${device}`,
          device === 'lo' ? 'iface lo inet loopback' : `iface ${device} inet manual`,
          ...lines.map((l) => `    ${l}`),
          '',
        ].join('\n'),
      };
  }
}

/** The persistent forms of the findings, merged per file (and per device for ifupdown). */
export function persistentFiles(findings: readonly Finding[]): PersistentFile[] {
  const groups = new Map<string, { form: PersistentForm; lines: string[] }>();
  for (const f of findings) {
    if (f.severity === 'info') continue;
    for (const form of f.persistent) {
      const key = `${form.file}\0${form.device ?? ''}`;
      const group = groups.get(key) ?? { form, lines: [] };
      for (const line of form.lines) if (!group.lines.includes(line)) group.lines.push(line);
      groups.set(key, group);
    }
  }
  return [...groups.values()].map(({ form, lines }) => {
    const rendered = render(form.kind, form.file, lines, form.device);
    const file: PersistentFile = { kind: form.kind, file: form.file, text: rendered.text };
    if (form.device !== undefined) file.device = form.device;
    if (rendered.then !== undefined) file.then = rendered.then;
    return file;
  });
}

/** A command as a reader would type it (quoted only where a shell would need it). */
export function showCommand(argv: readonly string[]): string {
  return argv
    .map((a) => (/^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replaceAll("'", `'\\''`)}'`))
    .join(' ');
}

export interface CommandRun {
  command: string[];
  code: number | null;
  /** stderr, or why it did not run. */
  message: string;
}

export interface DoctorReport {
  mode: 'director' | 'real-server';
  exitCode: number;
  /** What was checked: the config, the IPVS version, the method and VIPs... */
  context: string[];
  findings: Finding[];
  /** --fix --dry-run: what would run and be installed. */
  fixes?: { commands: string[][]; persistent: PersistentFile[] };
  /** --fix: what ran, then `findings` are those of the check after it. */
  applied?: CommandRun[];
  /** --fix: the findings before the commands ran. */
  before?: Finding[];
}

const LABEL = { error: 'ERROR', warning: 'WARNING', info: 'note' } as const;

function formatFinding(f: Finding): string {
  const out = [`${LABEL[f.severity]} [${f.id}]${f.subject ? ` ${f.subject}` : ''}`];
  out.push(`  ${f.what.replace(/\n/g, '\n  ')}`);
  if (f.severity !== 'info' || f.advice) out.push(`  why: ${f.why}`);
  for (const c of f.fix) out.push(`  fix: ${showCommand(c)}`);
  if (f.advice) out.push(`  ${f.fix.length > 0 ? 'or' : 'fix'}: ${f.advice}`);
  const files = [...new Set(f.persistent.map((p) => p.file))];
  if (files.length > 0) out.push(`  keep: ${files.join(', ')}`);
  return out.join('\n');
}

function summary(findings: readonly Finding[]): string {
  const count = (s: Finding['severity']) => findings.filter((f) => f.severity === s).length;
  const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;
  const problems = count('error') + count('warning');
  const notes = count('info');
  const head =
    problems === 0
      ? 'nothing wrong found'
      : `${plural(problems, 'problem')} (${plural(count('error'), 'error')}, ${plural(count('warning'), 'warning')})`;
  return notes > 0 ? `${head}; ${plural(notes, 'note')}` : head;
}

export function formatText(report: DoctorReport): string {
  const out: string[] = [];
  out.push(`ldirectord-ts doctor (${report.mode})`);
  for (const line of report.context) out.push(`  ${line}`);
  if (report.applied) {
    out.push('', `Before: ${summary(report.before ?? [])}`, 'Ran:');
    if (report.applied.length === 0) out.push('  nothing (no finding has a command)');
    for (const r of report.applied) {
      out.push(
        `  ${showCommand(r.command)}: ${r.code === 0 ? 'ok' : `FAILED (${r.code ?? 'not run'}) ${r.message}`.trim()}`,
      );
    }
    out.push('', 'After:');
  }
  const ordered = [
    ...report.findings.filter((f) => f.severity !== 'info'),
    ...report.findings.filter((f) => f.severity === 'info'),
  ];
  for (const f of ordered) out.push('', formatFinding(f));
  if (report.fixes) {
    out.push('', 'Commands --fix would run, in order:');
    if (report.fixes.commands.length === 0) out.push('  none');
    for (const c of report.fixes.commands) out.push(`  ${showCommand(c)}`);
    if (report.fixes.persistent.length > 0) {
      out.push('', 'To keep the fixes across reboots (doctor does not write these):');
      for (const p of report.fixes.persistent) {
        out.push('', `  ${p.file}${p.device !== undefined ? ` (stanza of ${p.device})` : ''}:`);
        for (const line of p.text.replace(/\n$/, '').split('\n')) out.push(`    ${line}`);
        if (p.then) out.push(`  then: ${p.then}`);
      }
    }
  }
  out.push('', summary(report.findings));
  return `${out.join('\n')}\n`;
}
