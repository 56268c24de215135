// Every number has its real range (issue 17, item 5): times fit Node's timers (2^31-1 ms),
// weights and thresholds ipvsadm's int, firewall marks 32 bits, persistence ipvsadm's 31 days.
// A number past its range is a clear error at its line; no Infinity or NaN reaches the model.
// And `check` warns where ipvsadm will refuse what the original passes on blindly.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Diagnostic } from '../../src/model/diagnostics.ts';
import { codes, errors, inVirtual, load } from '../support/config-helpers.ts';
import { prng } from '../support/parse-fuzz.ts';

const NINES = '9'.repeat(400);
const TIMER_SECONDS = 2147483; // floor((2^31 - 1) / 1000)
const INT_MAX = 2147483647;

const section = inVirtual;

async function rangeError(text: string, line: number): Promise<Diagnostic> {
  const result = await load(text);
  assert.equal(result.config, undefined, `accepted: ${text.slice(0, 200)}`);
  const e = errors(result.diagnostics).find((d) => d.code === 'number-out-of-range');
  assert.ok(e, `no range error: ${JSON.stringify(result.diagnostics).slice(0, 600)}`);
  assert.equal(e.line, line);
  assert.ok(e.message.length < 400, e.message);
  return e;
}

async function accepted(text: string) {
  const result = await load(text);
  assert.ok(result.config, JSON.stringify(errors(result.diagnostics)));
  return result.config;
}

const TIMES = ['checktimeout', 'negotiatetimeout', 'checkinterval', 'emailalertfreq'];

for (const name of TIMES) {
  test(`${name}: within Node's timer limit, global and virtual`, async () => {
    const g = await accepted(`${name}=${TIMER_SECONDS}\n${section('checktype=on')}`);
    assert.equal((g.global as unknown as Record<string, number>)[name], TIMER_SECONDS);
    // emailalertfreq takes leading digits only; the others the first run of digits anywhere.
    const junk = name === 'emailalertfreq' ? [] : [`x${NINES}`];
    for (const value of [String(TIMER_SECONDS + 1), NINES, ...junk]) {
      const e = await rangeError(`${name}=${value}\n${section('checktype=on')}`, 1);
      assert.match(e.message, new RegExp(`^${name}`));
      assert.match(e.message, new RegExp(`${TIMER_SECONDS}`));
      await rangeError(section('checktype=on', `${name}=${value}`), 4);
    }
  });
}

test('negotiatetimeout=2147484 (the issue) is refused: it overflows a 32-bit timer', async () => {
  await rangeError(section(`negotiatetimeout=2147484`), 3);
});

test('failurecount and checkcount: at most 2^31-1', async () => {
  for (const name of ['failurecount', 'checkcount']) {
    await accepted(`${name}=${INT_MAX}\n${section('checktype=on')}`);
    await rangeError(`${name}=${INT_MAX + 1}\n${section('checktype=on')}`, 1);
    await rangeError(section(`${name}=${NINES}`), 3);
  }
});

test('checktype=<N>: the connect-check count has a range too', async () => {
  await accepted(section(`checktype=${INT_MAX}`));
  await rangeError(section(`checktype=${NINES}`), 3);
});

test('ping: checktimeout times checkcount (its deadline) fits a timer', async () => {
  await accepted(section('checktype=ping', 'checktimeout=1000', 'checkcount=2147'));
  const e = await rangeError(section('checktype=ping', 'checktimeout=1000', 'checkcount=2148'), 5);
  assert.match(e.message, /checkcount/);
});

test('virtual=<fwmark>: 32 bits', async () => {
  const c = await accepted('virtual=4294967295\n\treal=127.0.0.2 gate\n\tchecktype=on\n');
  assert.equal(c.virtuals[0]?.fwmark, 4294967295);
  await rangeError('virtual=4294967296\n\treal=127.0.0.2 gate\n', 1);
  await rangeError(`virtual=${NINES}\n\treal=127.0.0.2 gate\n`, 1);
});

test('real weight and thresholds: 0 to 2^31-1, as ipvsadm -w, -x and -y take', async () => {
  const c = await accepted(
    `virtual=127.0.0.1:80\n\treal=127.0.0.2:80 gate ${INT_MAX} l:${INT_MAX} u:${INT_MAX}\n\tchecktype=on\n`,
  );
  assert.equal(c.virtuals[0]?.reals[0]?.weight, INT_MAX);
  for (const flags of [
    `gate ${INT_MAX + 1}`,
    `gate ${NINES}`,
    `gate 1 l:${NINES}`,
    `gate 1 u:${INT_MAX + 1}`,
    `gate 1 "a", "b" u:${NINES}`,
    `gate u:${NINES} l:1`,
  ]) {
    const e = await rangeError(`virtual=127.0.0.1:80\n\treal=127.0.0.2:80 ${flags}\n`, 2);
    assert.match(e.message, /weight|threshold/);
  }
});

test('persistent: 1 second to 31 days (ipvsadm -p); netmask octets up to 255', async () => {
  await accepted(section('persistent=2678400', 'checktype=on'));
  await rangeError(section('persistent=2678401'), 3);
  await rangeError(section(`persistent=${NINES}`), 3);
  await accepted(section('persistent=60', 'netmask=255.255.255.0', 'checktype=on'));
  await rangeError(section('persistent=60', 'netmask=255.255.256.0'), 4);
});

/** Every number anywhere in the model, with its path. */
function numbers(value: unknown, path: string, out: Array<[string, number]>): void {
  if (typeof value === 'number') out.push([path, value]);
  else if (value && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) numbers(v, `${path}.${k}`, out);
  }
}

test('no Infinity or NaN reaches the model: random digit runs in every numeric place', async () => {
  const random = prng(0x17_0005);
  const digitsOf = (): string => {
    const length = 1 + Math.floor(random() ** 3 * 400);
    return Array.from({ length }, () => Math.floor(random() * 10)).join('');
  };
  const templates: Array<(n: string) => string> = [
    ...TIMES.map((t) => (n: string) => `${t}=${n}\n${section('checktype=on')}`),
    ...[...TIMES, 'failurecount', 'checkcount', 'persistent', 'checkport', 'checktype'].map(
      (t) => (n: string) => section('checktype=on', `${t}=${n}`),
    ),
    (n) => `virtual=${n}\n\treal=127.0.0.2 gate\n\tchecktype=on\n`,
    (n) => `virtual=127.0.0.1:80\n\treal=127.0.0.2:80 gate ${n} l:${n} u:${n}\n\tchecktype=on\n`,
    (n) => `virtual=127.0.0.1:${n}\n\treal=127.0.0.2:${n} gate\n\tchecktype=on\n`,
    (n) => section('checktype=ping', `checktimeout=${n}`, `checkcount=${n}`),
  ];
  let accepts = 0;
  for (let i = 0; i < 600; i++) {
    const text = templates[i % templates.length]!(digitsOf());
    const result = await load(text);
    if (!result.config) continue;
    accepts++;
    const found: Array<[string, number]> = [];
    numbers(result.config, 'config', found);
    for (const [path, n] of found) {
      assert.ok(Number.isSafeInteger(n) && n >= 0, `${path} = ${n} from ${text.slice(0, 120)}`);
    }
  }
  assert.ok(accepts > 50, `${accepts} accepted`);
});

test('check warns where ipvsadm will refuse: multicast real, unknown scheduler, schedflags', async () => {
  const multicast = await load(section('real=224.0.0.5:80 gate', 'checktype=on'));
  assert.ok(multicast.config);
  assert.ok(codes(multicast.diagnostics).includes('real-multicast'));
  const v6 = await load(
    'virtual6=[::1]:80\n\treal6=[ff02::1]:80 gate\n\treal6=[::2]:80 gate\n\tchecktype=on\n',
  );
  assert.deepEqual(
    v6.diagnostics.filter((d) => d.code === 'real-multicast').map((d) => d.line),
    [2],
  );
  const unicast = await load(section('real=127.0.0.3:80 gate', 'checktype=on'));
  assert.ok(!codes(unicast.diagnostics).includes('real-multicast'));

  const scheduler = await load(section('scheduler=fancy', 'checktype=on'));
  assert.ok(codes(scheduler.diagnostics).includes('scheduler-unknown'));

  for (const [lines, warns] of [
    [['scheduler=sh', 'schedflags=sh-fallback,sh-port'], false],
    [['scheduler=mh', 'schedflags=mh-port'], false],
    [['scheduler=wrr', 'schedflags=flag-1,flag-3'], false],
    [['scheduler=wrr', 'schedflags=sh-port'], true],
    [['schedflags=mh-fallback'], true],
    [['scheduler=sh', 'schedflags=mh-port'], true],
    [['scheduler=sh', 'schedflags=sh-everything'], true],
    [['scheduler=sh', 'schedflags=,'], true],
  ] as const) {
    const result = await load(section(...lines, 'checktype=on'));
    assert.ok(result.config, JSON.stringify(result.diagnostics));
    const warning = result.diagnostics.find((d) => d.code === 'schedflags-refused');
    assert.equal(warning !== undefined, warns, `${lines.join(' ')}: ${warning?.message}`);
    if (warning) assert.equal(warning.severity, 'warning');
  }
});
