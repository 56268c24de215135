// Membership across reloads (src/monitor/membership.ts), with plain values: what carries over,
// what is fresh, which jobs grow and which retire.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { emptyMembership, type Member, nextMembership } from '../../src/monitor/membership.ts';
import { makeConfig, makeReal, makeVirtual, tableWith } from '../support/monitor-fixtures.ts';

const a = makeReal('127.0.4.2', 80);
const b = makeReal('127.0.4.3', 80);

test('start: every real is a fresh member with a fresh job, initial state from the table', () => {
  const v = makeVirtual({ reals: [a, b] });
  const table = tableWith([{ virtual: v, reals: [{ address: '127.0.4.2', port: 80, weight: 1 }] }]);
  const m = nextMembership(emptyMembership(), makeConfig([v]), table);
  assert.equal(m.entries.length, 1);
  assert.deepEqual(
    m.entries[0]!.members.map((x) => [x.real.address, x.state.up, x.live]),
    [
      ['127.0.4.2', true, true],
      ['127.0.4.3', false, true],
    ],
  );
  assert.equal(m.fresh.length, 2);
  assert.deepEqual([m.grown.length, m.retired.length], [0, 0]);
  assert.equal(m.byVirtual.get(v)?.get(b), m.entries[0]!.members[1]);
});

test('reload: an unchanged real keeps its member and job; a changed check is fresh; a gone one retires', () => {
  const v1 = makeVirtual({ reals: [a, b] });
  const first = nextMembership(emptyMembership(), makeConfig([v1]), { services: [] });
  const [ma, mb] = first.entries[0]!.members as [Member, Member];
  ma.state = { up: true, failcount: 0 };
  const c = makeReal('127.0.4.4', 80);
  const v2 = makeVirtual({ reals: [{ ...a }, { ...b, request: '/other' }, c] });
  const next = nextMembership(first, makeConfig([v2]), { services: [] });
  const members = next.entries[0]!.members;
  assert.equal(members[0], ma, 'same check: same member, state kept');
  assert.equal(members[0]!.real, v2.reals[0], 'pointing at the new config');
  assert.equal(members[0]!.state.up, true);
  assert.notEqual(members[1], mb, 'another check: a fresh member');
  assert.equal(mb.live, false, 'the member left behind is dead');
  assert.equal(next.fresh.length, 2, 'the changed check and the new real');
  assert.deepEqual(next.retired, [first.jobs.get(mb.key!)]);
  assert.equal(next.jobs.get(ma.key!), first.jobs.get(ma.key!), 'the job carries over');
  assert.deepEqual(next.grown, []);
});

test('reload: a new real that shares a carried job grows it', () => {
  const v1 = makeVirtual({ reals: [a] });
  const v2 = makeVirtual({ address: '10.1.1.2', written: '10.1.1.2:80', reals: [{ ...a }] });
  const first = nextMembership(emptyMembership(), makeConfig([v1]), { services: [] });
  const next = nextMembership(first, makeConfig([v1, v2]), { services: [] });
  const job = first.jobs.get(first.entries[0]!.members[0]!.key!)!;
  assert.equal(next.jobs.size, 1, 'one distinct check');
  assert.deepEqual(next.grown, [job]);
  assert.equal(job.members.length, 2);
  assert.deepEqual([next.fresh.length, next.retired.length], [0, 0]);
});
