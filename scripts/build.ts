// Bundle the daemon into one CommonJS file for the `bin` entry (tsc only type-checks).
import { readFileSync, writeFileSync } from 'node:fs';
import { build } from 'esbuild';

const root = new URL('..', import.meta.url).pathname;
const outfile = `${root}dist/ldirectord-ts.cjs`;

await build({
  entryPoints: [`${root}src/cli/main.ts`],
  outfile,
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

// V8 keeps the source of every script in memory for its whole life, and a single character
// above U+00FF makes it two bytes per character: one `’` in a comment costs the daemon 6 MiB.
// esbuild already escapes strings and regexes; what is left is in comments kept from the
// sources and dependencies, where an escape means the same to a reader.
const text = readFileSync(outfile, 'utf8');
const ascii = text.replace(
  /[^\x00-\x7f]/g,
  (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
);
if (ascii !== text) writeFileSync(outfile, ascii);
