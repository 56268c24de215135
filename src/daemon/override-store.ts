// The operator's overrides (ctl drain/weight) kept across restarts: a small JSON file per
// config, `<state dir>/ldirectord.<CFGNAME>.overrides.json`, replaced atomically on every change
// and read at start. It is trusted input (it can drain every real), so it is read only when it
// and its folder are the daemon's own; anything else is an error logged with the file and the
// daemon starts without overrides.
import { lstatSync, mkdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { writeFileAtomic } from '../lib/atomic-write.ts';
import { errorMessage } from '../lib/error-message.ts';
import type { OverrideRecord } from '../monitor/overrides.ts';
import { parseWeight } from './control-protocol.ts';
import { folderWriters } from './safe-folder.ts';

/** Where the overrides outlive a reboot (/run does not). */
export const DEFAULT_STATE_DIR = '/var/lib/ldirectord-ts';

export function overrideStatePath(cfgname: string, stateDir: string = DEFAULT_STATE_DIR): string {
  return join(stateDir, `ldirectord.${cfgname}.overrides.json`);
}

const FORMAT_VERSION = 1;

interface StoredOverride {
  virtual: string;
  real: string;
  override: 'drain' | 'weight';
  weight?: number;
  since: string;
}

export function formatOverrideState(records: readonly OverrideRecord[]): string {
  const overrides: StoredOverride[] = records.map((r) => ({
    virtual: r.virtual,
    real: r.real,
    override: r.override.kind,
    ...(r.override.kind === 'weight' ? { weight: r.override.weight } : {}),
    since: new Date(r.sinceMs).toISOString(),
  }));
  return `${JSON.stringify({ version: FORMAT_VERSION, overrides }, null, 2)}\n`;
}

/** The records of a state file's text, and a message per entry (or for the file) refused. */
export function parseOverrideState(
  text: string,
  file: string,
): { records: OverrideRecord[]; errors: string[] } {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (error) {
    return { records: [], errors: [`${file}: not JSON: ${errorMessage(error)}`] };
  }
  const root = data as { version?: unknown; overrides?: unknown } | null;
  if (typeof root !== 'object' || root === null || !Array.isArray(root.overrides))
    return { records: [], errors: [`${file}: no "overrides" list`] };
  if (root.version !== FORMAT_VERSION)
    return {
      records: [],
      errors: [`${file}: format version ${String(root.version)}, this program reads 1`],
    };
  const records: OverrideRecord[] = [];
  const errors: string[] = [];
  for (const [i, item] of (root.overrides as unknown[]).entries()) {
    const where = `${file}: override ${i + 1}`;
    const entry = item as Partial<Record<keyof StoredOverride, unknown>> | null;
    if (typeof entry !== 'object' || entry === null) {
      errors.push(`${where}: not an object`);
      continue;
    }
    const { virtual, real, override, weight, since } = entry;
    if (typeof virtual !== 'string' || typeof real !== 'string') {
      errors.push(`${where}: "virtual" and "real" must be strings`);
      continue;
    }
    const sinceMs = typeof since === 'string' ? Date.parse(since) : Number.NaN;
    if (Number.isNaN(sinceMs)) {
      errors.push(`${where}: "since" is not a date`);
      continue;
    }
    if (override === 'drain') {
      records.push({ virtual, real, override: { kind: 'drain' }, sinceMs });
      continue;
    }
    if (override !== 'weight') {
      errors.push(`${where}: "override" must be "drain" or "weight"`);
      continue;
    }
    const parsed = parseWeight(String(weight));
    if (!parsed.ok) {
      errors.push(`${where}: ${parsed.error}`);
      continue;
    }
    records.push({ virtual, real, override: { kind: 'weight', weight: parsed.weight }, sinceMs });
  }
  return { records, errors };
}

/**
 * The overrides stored for this config: none when there is no file; errors (logged by the
 * caller) when it cannot be trusted or read.
 */
export function loadOverrides(
  file: string,
  uid: number = process.getuid?.() ?? 0,
): { records: OverrideRecord[]; errors: string[] } {
  let st;
  try {
    st = lstatSync(file);
  } catch {
    return { records: [], errors: [] };
  }
  const refused = (why: string) => ({
    records: [],
    errors: [`${file}: ${why}: not read, the daemon starts without overrides`],
  });
  const writers = folderWriters(dirname(file), uid);
  if (writers !== undefined) return refused(`its folder is writable by ${writers}`);
  if (!st.isFile()) return refused('not a regular file');
  if (st.uid !== uid) return refused(`owned by uid ${st.uid}, not ${uid}`);
  if ((st.mode & 0o022) !== 0) return refused('writable by its group or others');
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    return refused(errorMessage(error));
  }
  return parseOverrideState(text, file);
}

/** Replaces the file with these records (its folder made, root-only, when missing). */
export function saveOverrides(file: string, records: readonly OverrideRecord[]): void {
  mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
  const writers = folderWriters(dirname(file));
  if (writers !== undefined)
    throw new Error(`its folder ${dirname(file)} is writable by ${writers} and not sticky`);
  writeFileAtomic(file, formatOverrideState(records), 0o600);
}
