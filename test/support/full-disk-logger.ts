// Run by test/integration/log-full-disk.test.ts inside a mount namespace whose <dir> is a small
// tmpfs: logs through the daemon's logger to <dir>/ldirectord.log while the file system is
// full, then after space is freed. Prints what it did as JSON.
// Usage: node full-disk-logger.ts <dir>
import { closeSync, openSync, readFileSync, unlinkSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { DaemonLogger } from '../../src/log/daemon-logger.ts';

const dir = process.argv[2]!;
const log = new DaemonLogger({
  target: { kind: 'file', path: join(dir, 'ldirectord.log') },
  cfgname: 'full.cf',
  stderr: { write: () => true } as unknown as NodeJS.WritableStream,
});
const LINES = 400;

log.info('before the disk is full');
// Fill every block left.
const filler = join(dir, 'filler');
const fd = openSync(filler, 'w');
const block = Buffer.alloc(4096, 'f');
let filled = 0;
for (let i = 0; i < 100_000; i++) {
  try {
    filled += writeSync(fd, block);
  } catch {
    break;
  }
}
closeSync(fd);
for (let i = 0; i < LINES; i++)
  log.info(`line ${String(i).padStart(3, '0')} ${'x'.repeat(80)} end`);
unlinkSync(filler);
log.info('after the disk has room again');
await log.close();
process.stdout.write(
  JSON.stringify({ filled, lines: LINES, log: readFileSync(join(dir, 'ldirectord.log'), 'utf8') }),
);
