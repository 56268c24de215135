// Regenerate the CONFIGURATION DIRECTIVES section of man/ldirectord-ts.8 from the directive
// table: node scripts/gen-man.ts
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { renderManPage } from '../src/parser/man.ts';

const page = new URL('../man/ldirectord-ts.8', import.meta.url).pathname;
const existing = existsSync(page) ? readFileSync(page, 'utf8') : undefined;
writeFileSync(page, renderManPage(existing));
process.stdout.write(`wrote ${page}\n`);
