// Bundle the daemon into one CommonJS file for the `bin` entry (tsc only type-checks).
import { build } from 'esbuild';

const root = new URL('..', import.meta.url).pathname;

await build({
  entryPoints: [`${root}src/cli/main.ts`],
  outfile: `${root}dist/ldirectord-ts.cjs`,
  bundle: true,
  platform: 'node',
  target: 'node24',
  format: 'cjs',
  sourcemap: 'linked',
  logLevel: 'warning',
  // The sources use import.meta.url to find files shipped beside them; map it for CommonJS.
  define: { 'import.meta.url': 'importMetaUrl' },
  banner: { js: 'const importMetaUrl = require("node:url").pathToFileURL(__filename).href;' },
});
