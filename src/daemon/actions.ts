// Placeholder until the daemon lands (issue 5); replaced in the same session.
import type { LegacyArgs } from '../cli/legacy.ts';

export async function runAction(_args: LegacyArgs): Promise<number> {
  process.stderr.write('ldirectord-ts: daemon actions are not built yet\n');
  return 1;
}
