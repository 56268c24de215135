// Scenario differential: the Perl original and ldirectord-ts run side by side on the same config
// against the same real HTTP servers, each with its own fake ipvsadm table. Real servers go down (a
// 500, a wrong body, a closed port) and come back; after each step both tables must settle to the
// same `ipvsadm -S -n` and thresholds listing.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { HttpReal } from '../support/http-reals.ts';
import { FAKE_IPVSADM, Scratch } from '../support/ldts.ts';
import { PerlLdirectord, perlUnavailableReason } from '../support/perl-ldirectord.ts';
import { settledAlike } from '../support/table-differential.ts';

const skip = perlUnavailableReason();
if (skip) process.stdout.write(`# skipping: ${skip}\n`);

const reals = [
  new HttpReal('127.0.7.2', 8080),
  new HttpReal('127.0.7.3', 8080),
  new HttpReal('127.0.7.4', 8081),
];

const CONFIG = `checkinterval=1
logfile="{{DIR}}/ldirectord.log"
checktimeout=2
negotiatetimeout=2
virtual=10.7.0.1:80
\treal=127.0.7.2:8080 masq
\treal=127.0.7.3:8080 masq 2
\tfallback=127.0.0.1:80 gate
\tservice=http
\trequest="/health"
\treceive="OK$"
\tscheduler=rr
virtual=10.7.0.2:80
\treal=127.0.7.3:8080 masq 3 l:10 u:100
\treal=127.0.7.4:8081 masq
\tquiescent=yes
\tservice=http
\trequest="/health"
\treceive="OK"
virtual=10.7.0.3:8081
\treal=127.0.7.4:8081 masq
\tchecktype=connect
`;

const ours = new Scratch('scenario-ours');
let perl: PerlLdirectord | undefined;
let perlState = '';

function settled(step: string): Promise<string> {
  return settledAlike(step, { ours: ours.state, perl: perlState });
}

before(async () => {
  if (skip) return;
  for (const r of reals) await r.set('ok');
  const cf = ours.write('scenario.cf', CONFIG);
  const start = ours.run([cf, 'start']);
  assert.equal(start.code, 0, start.stderr);
  perl = PerlLdirectord.start({ config: CONFIG, ipvsadm: FAKE_IPVSADM });
  perlState = join(perl.dir, 'ipvsadm.state.json');
});

after(async () => {
  if (!skip) {
    ours.run([ours.path('scenario.cf'), 'stop']);
    await perl?.stop();
  }
  for (const r of reals) await r.set('closed');
  ours.cleanup();
});

test('all real servers up', { skip }, async () => {
  const t = await settled('start');
  assert.match(t, /-a -t 10\.7\.0\.1:80 -r 127\.0\.7\.3:8080 -m -w 2/);
  assert.match(t, /-a -t 10\.7\.0\.2:80 -r 127\.0\.7\.4:8081 -m -w 1/);
  assert.doesNotMatch(t, /127\.0\.0\.1:80/, 'no fallback while reals are up');
});

test(
  'a real answering 500 is removed (quiescent=no) and quiesced (quiescent=yes)',
  { skip },
  async () => {
    await reals[1]!.set('error');
    const t = await settled('127.0.7.3 answers 500');
    assert.doesNotMatch(t, /-a -t 10\.7\.0\.1:80 -r 127\.0\.7\.3/);
    assert.match(t, /-a -t 10\.7\.0\.2:80 -r 127\.0\.7\.3:8080 -m -w 0/);
  },
);

test('the last real of a virtual going down brings the fallback in', { skip }, async () => {
  await reals[0]!.set('wrong-body');
  const t = await settled('127.0.7.2 answers a body without OK');
  assert.match(t, /-a -t 10\.7\.0\.1:80 -r 127\.0\.0\.1:80 -g -w 1/);
});

test('reals coming back take the fallback out and get their weights again', { skip }, async () => {
  await reals[0]!.set('ok');
  await reals[1]!.set('ok');
  const t = await settled('both back');
  assert.doesNotMatch(t, /127\.0\.0\.1:80/);
  assert.match(t, /-a -t 10\.7\.0\.2:80 -r 127\.0\.7\.3:8080 -m -w 3/);
});

test('a closed port fails the connect check and the http check', { skip }, async () => {
  await reals[2]!.set('closed');
  const t = await settled('127.0.7.4 closed');
  assert.doesNotMatch(t, /-a -t 10\.7\.0\.3:8081 -r 127\.0\.7\.4/);
  assert.match(t, /-a -t 10\.7\.0\.2:80 -r 127\.0\.7\.4:8081 -m -w 0/);
  await reals[2]!.set('ok');
  const back = await settled('127.0.7.4 back');
  assert.match(back, /-a -t 10\.7\.0\.3:8081 -r 127\.0\.7\.4:8081 -m -w 1/);
});
