// Part of the setup step of `npm test`: build the cached Debian 12 root of the package tests
// (test/support/debian-root.ts) here, where the Debian packages are fetched, so that the tests
// themselves only unpack it and reach no network. Nothing to do when it is cached, when this
// is not root or mmdebstrap is missing (the package tests then say why themselves).
import { spawnSync } from 'node:child_process';
import { rootTarball } from '../test/support/debian-root.ts';

const hasMmdebstrap = spawnSync('mmdebstrap', ['--version']).status === 0;
if (process.getuid?.() !== 0 || !hasMmdebstrap) {
  process.stdout.write('setup: no Debian root for the package tests (needs root and mmdebstrap)\n');
} else {
  const started = Date.now();
  const tarball = rootTarball();
  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  process.stdout.write(`setup: Debian root for the package tests: ${tarball} (${seconds}s)\n`);
}
