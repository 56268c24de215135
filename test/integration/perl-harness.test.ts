// The reference harness itself: the Perl original runs in -d mode against a recording ipvsadm
// and reports check results in its monitorfile. Every differential test builds on this.
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { after, before, test } from 'node:test';
import { PerlLdirectord, perlUnavailableReason } from '../support/perl-ldirectord.ts';

const skip = perlUnavailableReason();
const server = createServer((socket) => socket.end());
let port = 0;

before(async () => {
  if (skip) return;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as { port: number }).port;
});
after(() => server.close());

test('the Perl original checks a real server and programs ipvsadm', { skip }, async () => {
  const perl = PerlLdirectord.start({
    config: [
      'checkinterval=1',
      'checktimeout=2',
      'virtual=10.1.1.1:80',
      `\treal=127.0.0.1:${port} masq 3`,
      '\treal=127.0.0.1:1 masq',
      '\tchecktype=connect',
      '\tmonitorfile="{{DIR}}/monitor.log"',
      '',
    ].join('\n'),
  });
  try {
    const entries = await perl.waitForMonitor(
      '{{DIR}}/monitor.log',
      (e) => e.some((x) => x.status === 'up') && e.some((x) => x.status === 'down'),
      15_000,
    );
    const up = entries.find((e) => e.status === 'up')!;
    assert.equal(up.realIdText, `connect tcp 127.0.0.1 ${port} 3 masq / `);
    await perl.waitFor(
      new RegExp(`^Added real server: 127\\.0\\.0\\.1:${port} \\(10\\.1\\.1\\.1:80\\)`),
      5000,
    );
    assert.ok(perl.ipvsadmCalls.includes('-A -t 10.1.1.1:80 -s wrr'), perl.ipvsadmCalls.join('\n'));
  } finally {
    const { code } = await perl.stop();
    assert.equal(code, 0);
  }
});
