// Issue 12 changed the state machine, the check intervals and the planner (risecount,
// failinterval, downinterval, slowstart, minhealthy). A config without those directives must
// still run exactly as the Perl original: both daemons side by side on one config against the
// same real HTTP servers (127.12.1.x), each with its own fake ipvsadm, through soft failures
// that heal, a real quiesced and restored at its weight, a real shared by two virtuals, a
// virtual checked at its own interval, and every real of a virtual down (the fallback). After
// each step both tables must settle to the same listing.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { HttpReal } from '../support/http-reals.ts';
import { FAKE_IPVSADM, Scratch } from '../support/ldts.ts';
import { PerlLdirectord, perlUnavailableReason } from '../support/perl-ldirectord.ts';
import { settledAlike } from '../support/table-differential.ts';

const skip = perlUnavailableReason();
if (skip) process.stdout.write(`# skipping: ${skip}\n`);

const [a, b, c] = ['127.12.1.2', '127.12.1.3', '127.12.1.4'].map((h) => new HttpReal(h, 8080)) as [
  HttpReal,
  HttpReal,
  HttpReal,
];

const HTTP = '\tservice=http\n\trequest="/health"\n\treceive="OK"\n';
const CONFIG = `checkinterval=1
logfile="{{DIR}}/ldirectord.log"
checktimeout=2
negotiatetimeout=2
virtual=10.12.1.1:80
\treal=127.12.1.2:8080 masq 3
\treal=127.12.1.3:8080 masq 5
${HTTP}\tfailurecount=4
\tquiescent=yes

virtual=10.12.1.2:80
\treal=127.12.1.3:8080 masq 2
\treal=127.12.1.4:8080 masq
\tfallback=127.0.0.1:80 gate
${HTTP}\tcheckinterval=2
`;

const ours = new Scratch('defaults-ours');
let perl: PerlLdirectord | undefined;
let perlState = '';

function settled(step: string, until?: RegExp): Promise<string> {
  return settledAlike(step, { ours: ours.state, perl: perlState }, until ? { until } : {});
}

before(async () => {
  if (skip) return;
  for (const r of [a, b, c]) await r.set('ok');
  const cf = ours.write('defaults.cf', CONFIG);
  const start = await ours.runAsync([cf, 'start']);
  assert.equal(start.code, 0, start.stderr);
  perl = PerlLdirectord.start({ config: CONFIG, ipvsadm: FAKE_IPVSADM });
  perlState = join(perl.dir, 'ipvsadm.state.json');
});

after(async () => {
  if (!skip) {
    await ours.runAsync([ours.path('defaults.cf'), 'stop']);
    await perl?.stop();
  }
  for (const r of [a, b, c]) await r.set('closed');
  ours.cleanup();
});

let healthy = '';

test('all up: every real at its weight', { skip }, async () => {
  healthy = await settled('start');
  assert.match(healthy, /-a -t 10\.12\.1\.1:80 -r 127\.12\.1\.3:8080 -m -w 5/);
  assert.match(healthy, /-a -t 10\.12\.1\.2:80 -r 127\.12\.1\.4:8080 -m -w 1/);
});

test('failures short of failurecount change nothing', { skip }, async () => {
  await a.set('error');
  const from = Date.now();
  // Two failed checks at most (failurecount=4), then good answers again.
  await new Promise((r) => setTimeout(r, 1500));
  await a.set('ok');
  assert.ok(a.since(from).length >= 1, 'the daemons checked it while it failed');
  assert.equal(await settled('short failure'), healthy);
});

test('failurecount failures quiesce it; it comes back at its weight', { skip }, async () => {
  await a.set('error');
  const quiesced = /-a -t 10\.12\.1\.1:80 -r 127\.12\.1\.2:8080 -m -w 0/;
  assert.match(await settled('127.12.1.2 failing', quiesced), quiesced);
  await a.set('ok');
  assert.equal(await settled('127.12.1.2 back'), healthy);
});

test('every real of a virtual down: the fallback; back: the reals', { skip }, async () => {
  await b.set('wrong-body');
  await c.set('closed');
  const fallback = /-a -t 10\.12\.1\.2:80 -r 127\.0\.0\.1:80 -g -w 1/;
  const quiesced = /-a -t 10\.12\.1\.1:80 -r 127\.12\.1\.3:8080 -m -w 0/;
  // The fallback comes at once (failurecount=1); the quiesce after four failures.
  const down = await settled('127.12.1.3 and 127.12.1.4 down', quiesced);
  assert.match(down, fallback);
  assert.match(down, quiesced);
  await b.set('ok');
  await c.set('ok');
  assert.equal(await settled('all back'), healthy);
});
