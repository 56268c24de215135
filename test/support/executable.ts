// The single executable for tests: built from the bundle of `npm run build` (scripts/build-sea.ts
// reuses dist/ldirectord-ts while the bundle and node are unchanged; about 3 s otherwise), and
// variants of it, each kept in dist/ under a key of its inputs in the same way.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { BUNDLE, bundle, root } from '../../scripts/build.ts';
import { buildExecutable } from '../../scripts/build-sea.ts';

export function executable(): string {
  if (!existsSync(BUNDLE)) throw new Error(`${BUNDLE} is missing: run npm run build first`);
  return buildExecutable();
}

/** The bundle and the executable built without `module` (left external), in dist/without-<module>/. */
export async function withoutModule(
  module: string,
): Promise<{ bundle: string; executable: string }> {
  const dir = join(root, `dist/without-${module}`);
  const bundlePath = join(dir, 'ldirectord-ts.cjs');
  await bundle({ outfile: bundlePath, external: [module] });
  return {
    bundle: bundlePath,
    executable: buildExecutable(bundlePath, join(dir, 'ldirectord-ts')),
  };
}
