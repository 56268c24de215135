// logfile="local0": lines reach syslog through `logger`, with the original's ident and pid and
// priority info for every message. A python datagram socket stands in for /dev/log.
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { DaemonLogger } from '../../src/log/daemon-logger.ts';

const dir = mkdtempSync(join(tmpdir(), 'syslog-test-'));
const socket = join(dir, 'log.sock');
const received = join(dir, 'received.txt');
let receiver: ChildProcess;

const RECEIVER = `
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
with open(sys.argv[2], 'ab', buffering=0) as f:
    for _ in range(1000):
        f.write(s.recv(65536) + b'\\n')
`;

before(async () => {
  receiver = spawn('python3', ['-c', RECEIVER, socket, received], { stdio: 'inherit' });
  for (let i = 0; i < 100 && !existsSync(socket); i++) await new Promise((r) => setTimeout(r, 20));
});
after(() => {
  receiver.kill();
  rmSync(dir, { recursive: true, force: true });
});

async function waitForLines(n: number): Promise<string[]> {
  for (let i = 0; i < 200; i++) {
    const lines = existsSync(received)
      ? readFileSync(received, 'utf8').split('\n').filter(Boolean)
      : [];
    if (lines.length >= n) return lines;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error('syslog lines did not arrive');
}

test('syslog lines carry facility, priority info, ident ldirectord and the pid', async () => {
  const log = new DaemonLogger({
    target: { kind: 'syslog', facility: 'local0' },
    cfgname: 'ldirectord.cf',
    syslogSocket: socket,
    pid: 31337,
  });
  log.info('Deleted real server: 127.0.0.2:80 (10.0.0.1:80)');
  log.error('system(ipvsadm -a ...) failed: Destination already exists');
  const lines = await waitForLines(2);
  await log.close();
  // local0 (16) * 8 + info (6) = 134
  assert.match(
    lines[0]!,
    /^<134>.*ldirectord\[31337\]: Deleted real server: 127\.0\.0\.2:80 \(10\.0\.0\.1:80\)$/,
  );
  assert.match(lines[1]!, /^<134>.*ldirectord\[31337\]: system\(ipvsadm -a \.\.\.\) failed/);
});
