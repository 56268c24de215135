// Bundle the daemon into one CommonJS file for the `bin` entry and the single executable
// (tsc only type-checks). `node scripts/build.ts` writes dist/ldirectord-ts.cjs.
import { readFileSync, writeFileSync } from 'node:fs';
import { build, type Metafile, type Plugin } from 'esbuild';

export const root = new URL('..', import.meta.url).pathname;
export const BUNDLE = `${root}dist/ldirectord-ts.cjs`;

export interface BundleOptions {
  outfile?: string;
  /** Modules left out of the bundle (a test builds one without oracledb). */
  external?: string[];
  /** Another version than package.json's (a test builds the next release to upgrade to). */
  version?: string;
}

/** Builds the bundle; returns what went into it (packaging lists the bundled modules). */
export async function bundle(options: BundleOptions = {}): Promise<Metafile> {
  const outfile = options.outfile ?? BUNDLE;
  const result = await build({
    entryPoints: [`${root}src/cli/main.ts`],
    outfile,
    bundle: true,
    platform: 'node',
    target: 'node24',
    format: 'cjs',
    sourcemap: 'linked',
    logLevel: 'warning',
    metafile: true,
    external: options.external ?? [],
    plugins: options.version ? [versionOverride(options.version)] : [],
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
  return result.metafile;
}

/** Serves the project's package.json with another version (src/version.ts reads it). */
function versionOverride(version: string): Plugin {
  return {
    name: 'version-override',
    setup(b) {
      b.onLoad({ filter: /[/\\]package\.json$/ }, (args) => {
        if (args.path !== `${root}package.json`) return undefined;
        const json = JSON.parse(readFileSync(args.path, 'utf8')) as Record<string, unknown>;
        return { contents: JSON.stringify({ ...json, version }), loader: 'json' };
      });
    },
  };
}

if (import.meta.main) await bundle();
