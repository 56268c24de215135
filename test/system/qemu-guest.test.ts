// The guest harness itself (test/support/qemu-guest.ts): what later system tests rely on.
// One guest runs the ordinary jobs and is rebooted from inside at the end; a second one is
// frozen: a guest that goes away or hangs must be detected and cleaned up. Two more share an
// emulated Ethernet segment.
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { after, before, test } from 'node:test';
import { startEthernetHub } from '../support/ethernet-hub.ts';
import { guestPrerequisites, missingAsRoot } from '../support/guest-prerequisites.ts';
import {
  bootGuest,
  GUEST_DUMMY_IPV4,
  GUEST_DUMMY_IPV6,
  GUEST_SHARE,
  type Guest,
} from '../support/qemu-guest.ts';

const prerequisites = guestPrerequisites();
const skip = prerequisites.ok ? false : prerequisites.skip;
const NODE = process.execPath;

let guest: Guest;

before(
  async () => {
    if (skip) return;
    if (!prerequisites.ok) throw new Error(missingAsRoot(prerequisites.problems));
    guest = await bootGuest({
      host: prerequisites.host,
      bootScript: 'mkdir -p /etc/ha.d && echo from-boot-script > /etc/ha.d/marker',
    });
  },
  { timeout: 240_000 },
);

after(async () => {
  await guest?.close();
});

test('boots and reports the boot time', { skip }, (t) => {
  t.diagnostic(`guest booted in ${(guest.bootMs / 1000).toFixed(1)} s`);
  assert.ok(guest.bootMs > 0);
  assert.ok(guest.pid !== undefined);
});

test(
  'a job returns its stdout, stderr and exit status and runs in its folder',
  {
    skip,
  },
  async () => {
    const r = await guest.run('echo out; echo err >&2; cat given.txt; pwd; exit 7', {
      files: { 'given.txt': 'a file from the host\n' },
    });
    assert.equal(r.code, 7);
    assert.equal(r.stdout, `out\na file from the host\n${r.guestDir}\n`);
    assert.equal(r.stderr, 'err\n');
    assert.equal(r.timedOut, false);
    assert.ok(r.guestDir.startsWith(`${GUEST_SHARE}/jobs/`));
  },
);

test('files a job writes in its folder are visible on the host', { skip }, async () => {
  const r = await guest.run('printf "%s" "$(uname -r)" > kernel.txt');
  assert.equal(r.code, 0);
  assert.equal(readFileSync(`${r.hostDir}/kernel.txt`, 'utf8'), guest.host.kernel.release);
});

test('the guest kernel has IPVS, loopback and dummy0', { skip }, async () => {
  const r = await guest.run(
    'ipvsadm -A -t 10.0.0.1:80 -s rr && ipvsadm -L -n && ipvsadm -C && ip -o addr show',
  );
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /^TCP {2}10\.0\.0\.1:80 rr$/m);
  assert.match(r.stdout, /\blo\s+inet 127\.0\.0\.1\/8/);
  assert.match(
    r.stdout,
    new RegExp(`dummy0\\s+inet ${GUEST_DUMMY_IPV4.replaceAll('.', '\\.')}/24`),
  );
  assert.match(r.stdout, new RegExp(`dummy0\\s+inet6 ${GUEST_DUMMY_IPV6}/64`));
});

test('/etc is writable in the guest and the host is untouched', { skip }, async () => {
  const r = await guest.run(
    'cat /etc/ha.d/marker && echo written > /etc/ha.d/ldts-probe && cat /etc/ha.d/ldts-probe',
  );
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, 'from-boot-script\nwritten\n');
  assert.equal(existsSync('/etc/ha.d/ldts-probe'), false);
});

test('a background process outlives its job and serves on loopback', { skip }, async () => {
  const server =
    "require('node:http').createServer((q, s) => s.end('hello from ' + q.url))" +
    ".listen(8080, '127.0.0.2', () => console.log('listening'))";
  const start = await guest.run(
    `setsid ${NODE} -e "${server}" >server.log 2>&1 </dev/null &\n` +
      'echo $! > server.pid\n' +
      'for i in $(seq 1 100); do grep -q listening server.log && exit 0; sleep 0.2; done\n' +
      'cat server.log; exit 1\n',
    { timeoutMs: 60_000 },
  );
  assert.equal(start.code, 0, start.stdout + start.stderr);
  const client =
    "require('node:http').get('http://127.0.0.2:8080/x', (r) => r.pipe(process.stdout))";
  const fetch = await guest.run(`${NODE} -e "${client}"`, { timeoutMs: 60_000 });
  assert.equal(fetch.stdout, 'hello from /x');
  const stop = await guest.run(`kill $(cat ${start.guestDir}/server.pid)`);
  assert.equal(stop.code, 0, stop.stderr);
});

test('a job past its timeout is killed and the guest goes on', { skip }, async () => {
  const r = await guest.run('echo started; sleep 60', { timeoutMs: 2000 });
  assert.equal(r.timedOut, true);
  assert.equal(r.code, 124);
  assert.equal(r.stdout, 'started\n');
  const next = await guest.run('echo still here');
  assert.equal(next.stdout, 'still here\n');
});

test('jobs queue up and run one at a time in call order', { skip }, async () => {
  const results = await Promise.all(
    [1, 2, 3].map((n) => guest.run(`echo ${n} >> ${GUEST_SHARE}/order; cat ${GUEST_SHARE}/order`)),
  );
  assert.deepEqual(
    results.map((r) => r.stdout),
    ['1\n', '1\n2\n', '1\n2\n3\n'],
  );
});

test('a hung guest is killed and cleaned up', { skip }, async () => {
  const hanging = await bootGuest({ host: guest.host });
  process.kill(hanging.pid!, 'SIGSTOP');
  const started = Date.now();
  await assert.rejects(
    hanging.run('echo never', { timeoutMs: 1000, hostGraceMs: 2000 }),
    /not done after 3000 ms: guest killed/,
  );
  await hanging.exited;
  assert.ok(Date.now() - started < 20_000, 'killed promptly');
  assert.equal(existsSync(hanging.shareDir), false, 'share removed');
});

test('a guest not ready in time is killed', { skip }, async () => {
  const started = Date.now();
  await assert.rejects(
    bootGuest({ host: guest.host, bootTimeoutMs: 500 }),
    /guest not ready after 500 ms/,
  );
  assert.ok(Date.now() - started < 20_000, 'gave up promptly');
});

test(
  'guests on one emulated Ethernet segment reach each other; kill pulls the plug',
  { skip },
  async () => {
    await using lan = await startEthernetHub();
    const [a, b] = await Promise.all([
      bootGuest({
        host: guest.host,
        hostname: 'node-a',
        nics: [{ hub: lan, address: '10.0.9.1/24' }],
      }),
      bootGuest({
        host: guest.host,
        hostname: 'node-b',
        nics: [{ hub: lan, address: '10.0.9.2/24', mac: '52:54:00:00:09:02' }],
      }),
    ]);
    try {
      assert.equal(lan.ports, 2);
      const r = await a.run(
        'uname -n; ping -c 2 -W 5 10.0.9.2 > /dev/null && ip neigh show 10.0.9.2',
      );
      assert.equal(r.code, 0, r.stdout + r.stderr);
      assert.match(r.stdout, /^node-a\n10\.0\.9\.2 dev eth0 lladdr 52:54:00:00:09:02 /);
      b.kill();
      await b.exited;
      const gone = await a.run('ping -c 1 -W 2 10.0.9.2');
      assert.notEqual(gone.code, 0, 'the killed guest answers no more');
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
  },
);

// Last: it ends the shared guest.
test('a guest that reboots ends its job with an error and exits', { skip }, async () => {
  await assert.rejects(guest.run('echo b > /proc/sysrq-trigger; sleep 60'), /qemu exited/);
  await guest.exited;
  await assert.rejects(guest.run('true'), /guest is not running/);
  await guest.close();
  assert.equal(existsSync(guest.shareDir), false, 'share removed');
});
