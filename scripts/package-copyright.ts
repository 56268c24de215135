// The copyright file of the packages (machine-readable, Debian's copyright-format 1.0): the
// project under GPL-2.0-or-later, then what the executable carries besides it: the Node.js
// runtime (its LICENSE lists every component it embeds) and each npm module esbuild bundled,
// with the license text the module ships.
import { readdirSync, readFileSync } from 'node:fs';
import type { Metafile } from 'esbuild';

const FORMAT = 'https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/';

/** SPDX identifiers (package.json) -> Debian's short names. */
const DEBIAN_NAMES: Record<string, string> = {
  MIT: 'Expat',
  ISC: 'ISC',
  'Apache-2.0': 'Apache-2.0',
  'MIT-0': 'MIT-0',
  '(Apache-2.0 OR UPL-1.0)': 'Apache-2.0 or UPL-1.0',
};

const EXPAT = `Permission is hereby granted, free of charge, to any person obtaining a copy
of this software and associated documentation files (the "Software"), to deal
in the Software without restriction, including without limitation the rights
to use, copy, modify, merge, publish, distribute, sublicense, and/or sell
copies of the Software, and to permit persons to whom the Software is
furnished to do so, subject to the following conditions:

The above copyright notice and this permission notice shall be included in
all copies or substantial portions of the Software.

THE SOFTWARE IS PROVIDED "AS IS", WITHOUT WARRANTY OF ANY KIND, EXPRESS OR
IMPLIED, INCLUDING BUT NOT LIMITED TO THE WARRANTIES OF MERCHANTABILITY,
FITNESS FOR A PARTICULAR PURPOSE AND NONINFRINGEMENT. IN NO EVENT SHALL THE
AUTHORS OR COPYRIGHT HOLDERS BE LIABLE FOR ANY CLAIM, DAMAGES OR OTHER
LIABILITY, WHETHER IN AN ACTION OF CONTRACT, TORT OR OTHERWISE, ARISING FROM,
OUT OF OR IN CONNECTION WITH THE SOFTWARE OR THE USE OR OTHER DEALINGS IN
THE SOFTWARE.`;

const APACHE = `On Debian systems the full text of the Apache License 2.0 is in
/usr/share/common-licenses/Apache-2.0.`;

/** A field's continuation lines: indented by one space, empty lines as " .". */
function body(text: string): string {
  return text
    .replace(/\r/g, '')
    .trim()
    .split('\n')
    .map((line) => (line.trim() === '' ? ' .' : ` ${line.replace(/\t/g, '    ').trimEnd()}`))
    .join('\n');
}

/** The npm packages whose code is in the bundle (from esbuild's metafile), sorted. */
export function bundledModules(metafile: Metafile): string[] {
  const names = new Set<string>();
  for (const input of Object.keys(metafile.inputs)) {
    const m = /node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(input);
    if (m) names.add(m[1]!);
  }
  return [...names].sort();
}

function moduleParagraph(root: string, name: string): string {
  const dir = `${root}node_modules/${name}`;
  const json = JSON.parse(readFileSync(`${dir}/package.json`, 'utf8')) as {
    version: string;
    license?: string;
  };
  const license = DEBIAN_NAMES[json.license ?? ''];
  if (!license) throw new Error(`${name}: no Debian name for license ${json.license}`);
  const file = readdirSync(dir).find((f) => /^(licen[cs]e|copying)/i.test(f));
  const shipped = file ? readFileSync(`${dir}/${file}`, 'utf8') : undefined;
  // Debian keeps the Apache License once, in common-licenses, not in every copyright file.
  const text = license.startsWith('Apache-2.0')
    ? license === 'Apache-2.0'
      ? APACHE
      : `You may choose either license.\n${APACHE}\nThe Universal Permissive License 1.0 is at\nhttps://oss.oracle.com/licenses/upl/.`
    : shipped;
  const holders = (shipped ?? '')
    .split('\n')
    .map((l) => l.trim())
    .filter(
      (l) => /^(\(c\)|copyright\b)/i.test(l) && !/copyright notice|copyright holders/i.test(l),
    );
  const copyright = holders.length > 0 ? holders.join('\n ') : `the ${name} authors`;
  return [
    `Files: node_modules/${name}/*`,
    `Copyright: ${copyright}`,
    // Without a text of its own the module is under the stand-alone Expat paragraph below.
    text ? `License: ${license}\n${body(text)}` : `License: ${license}`,
    `Comment: ${name} ${json.version}, bundled into /usr/sbin/ldirectord-ts`,
  ].join('\n');
}

/** Where the packages put Node.js's LICENSE (the licenses of all it embeds). */
export const NODE_LICENSE_DOC = '/usr/share/doc/ldirectord-ts/LICENSE.node.gz';

export function copyrightFile(root: string, metafile: Metafile): string {
  const paragraphs = [
    [
      `Format: ${FORMAT}`,
      'Upstream-Name: ldirectord-ts',
      'Comment: /usr/sbin/ldirectord-ts is a Node.js single executable application: the',
      ' Node.js runtime with ldirectord-ts and the npm modules listed below bundled into it.',
    ].join('\n'),
    [
      'Files: *',
      'Copyright: the ldirectord-ts authors',
      'License: GPL-2+',
      body(`This program is free software; you can redistribute it and/or modify it under
the terms of the GNU General Public License as published by the Free Software
Foundation; either version 2 of the License, or (at your option) any later
version.

This program is distributed in the hope that it will be useful, but WITHOUT ANY
WARRANTY; without even the implied warranty of MERCHANTABILITY or FITNESS FOR A
PARTICULAR PURPOSE. See the GNU General Public License for more details.

On Debian systems the full text of the GNU General Public License version 2 is
in /usr/share/common-licenses/GPL-2.`),
    ].join('\n'),
    [
      'Files: node_modules/node/*',
      'Copyright: Node.js contributors, and the authors of the components listed below',
      'License: Expat',
      'Comment: the Node.js runtime of /usr/sbin/ldirectord-ts. Node.js itself is under the',
      ` Expat license; its LICENSE file, in ${NODE_LICENSE_DOC}, gives the license of`,
      ' every component it embeds (V8, libuv, OpenSSL, ICU, zlib, ...).',
    ].join('\n'),
    ...bundledModules(metafile).map((name) => moduleParagraph(root, name)),
    `License: Expat\n${body(EXPAT)}`,
  ];
  return `${paragraphs.join('\n\n')}\n`;
}
