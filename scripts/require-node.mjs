// Guard run before the tests: npm puts the pinned Node 24 (devDependency "node") first on PATH.
// If install scripts were skipped, the system Node (20 here) would run the suite and fail obscurely.
const major = Number(process.versions.node.split('.')[0]);
if (major < 24) {
  console.error(
    `ldirectord-ts needs Node >= 24 on PATH, got ${process.version} (${process.execPath}).\n` +
      'Run `npm ci` without --ignore-scripts so the pinned Node from devDependencies is installed.',
  );
  process.exit(1);
}
