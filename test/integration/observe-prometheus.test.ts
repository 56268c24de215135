// /metrics as Prometheus sees it (issue 11): a real Prometheus (Debian's package, on a free
// loopback port) scrapes a running daemon every second; the test asks Prometheus's HTTP API
// for `up` and the per-real series and sees a real go down and come back. promtool checks the
// raw exposition and the shipped alert rules; every expression of the shipped Grafana
// dashboard runs against this Prometheus.
// Reals: TCP listeners on 127.0.41.2-3 (checktype=connect); metrics on 127.0.41.1; IPVS: the
// fake ipvsadm.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, test } from 'node:test';
import { DaemonScratch, Switchable } from '../support/daemon-harness.ts';
import {
  hasProgram,
  httpGet,
  type Prometheus,
  PROMETHEUS,
  PROMTOOL,
  promtool,
  sampleOf,
  startWithMetrics,
  startPrometheus,
  until,
} from '../support/observe.ts';

const root = new URL('../../', import.meta.url).pathname;
const skip =
  !hasProgram(PROMETHEUS) || !hasProgram(PROMTOOL)
    ? 'prometheus is not installed (test/setup/setup.sh installs it)'
    : false;

const HOST = '127.0.41.1';
const web1 = new Switchable('127.0.41.2', 8080);
const web2 = new Switchable('127.0.41.3', 8080);
const s = new DaemonScratch('ldts-observe-prom');
let port = 0;
let prometheus: Prometheus | undefined;

before(async () => {
  if (skip) return;
  port = await startWithMetrics(
    s,
    HOST,
    [web1, web2],
    [
      'virtual=10.41.0.1:80',
      '\treal=127.0.41.2:8080 masq 3',
      '\treal=127.0.41.3:8080 masq',
      '\tchecktype=connect',
      '\tquiescent=yes',
    ],
  );
  await s.waitForLog(/^Restored real server: 127\.0\.41\.3:8080/, 0, 60_000);
  prometheus = await startPrometheus(s.dir, HOST, [`${HOST}:${port}`]);
});

after(async () => {
  await prometheus?.stop();
  await s.finish([web1, web2]);
});

const REAL2 = { real: '127.0.41.3:8080', virtual: 'tcp:10.41.0.1:80', service: 'http' };

async function value(expr: string): Promise<number | undefined> {
  const result = await prometheus!.query(expr);
  return result.length === 0 ? undefined : Number(result[0]!.value[1]);
}

test('the raw exposition passes promtool check metrics', { skip }, async () => {
  const r = await httpGet(`http://${HOST}:${port}/metrics`);
  assert.equal(r.status, 200);
  assert.match(r.headers.get('content-type') ?? '', /^text\/plain; version=0\.0\.4/);
  const lint = promtool(['check', 'metrics'], r.body);
  assert.equal(lint.code, 0, lint.output);
  assert.equal(
    sampleOf(r.body, 'ldirectord_real_configured_weight', { real: '127.0.41.2:8080' }),
    3,
  );
  assert.equal(sampleOf(r.body, 'ldirectord_virtual_reals', { virtual: REAL2.virtual }), 2);
  assert.equal(sampleOf(r.body, 'ldirectord_config_last_reload_successful'), 1);
  assert.match(r.body, /^ldirectord_config_info\{file="[^"]+",sha256="[0-9a-f]{64}"\} 1$/m);
  assert.match(r.body, /^ldirectord_build_info\{version="[^"]+",original="[^"]+"\} 1$/m);
  assert.match(r.body, /^nodejs_eventloop_lag_seconds \d/m);
  assert.match(r.body, /^process_start_time_seconds \d/m);
  assert.ok((sampleOf(r.body, 'ldirectord_ipvsadm_runs_total') ?? 0) >= 1, 'ipvsadm ran');
});

test('Prometheus scrapes the daemon and sees a real go down and come back', { skip }, async () => {
  const what = (e: string) => () => `${e}\n${prometheus!.output()}`;
  await until(async () => (await value('up{job="ldirectord"}')) === 1, what('up == 1'));
  const series = `ldirectord_real_up{real="${REAL2.real}",virtual="${REAL2.virtual}",service="http"}`;
  await until(async () => (await value(series)) === 1, what(`${series} == 1`));
  const weight = `ldirectord_real_weight{real="${REAL2.real}"}`;
  assert.equal(await value(weight), 1);

  await web2.down();
  await until(async () => (await value(series)) === 0, what(`${series} == 0`));
  // quiescent=yes: it stays in the table with weight 0.
  await until(async () => (await value(weight)) === 0, what(`${weight} == 0`));
  await until(
    async () =>
      ((await value(`ldirectord_real_checks_total{real="${REAL2.real}",result="error"}`)) ?? 0) >=
      1,
    what('a failed check counted as error (connection refused)'),
  );
  assert.equal(await value(`ldirectord_virtual_reals_up{virtual="${REAL2.virtual}"}`), 1);

  await web2.up();
  await until(async () => (await value(series)) === 1, what(`${series} == 1 again`));
  await until(
    async () =>
      ((await value(`ldirectord_real_transitions_total{real="${REAL2.real}"}`)) ?? 0) >= 3,
    what('three transitions: up at start, down, up'),
  );
  assert.ok(
    ((await value('time() - ldirectord_last_check_timestamp_seconds')) ?? 99) < 5,
    'checks keep completing',
  );
});

test('the shipped alert rules pass promtool, and the dashboard queries run', { skip }, async () => {
  const rules = promtool(['check', 'rules', `${root}packaging/prometheus/ldirectord-ts.rules.yml`]);
  assert.equal(rules.code, 0, rules.output);
  assert.match(rules.output, /SUCCESS: 9 rules found/);
  const tests = promtool([
    'test',
    'rules',
    `${root}packaging/prometheus/ldirectord-ts.rules.test.yml`,
  ]);
  assert.equal(tests.code, 0, tests.output);

  const dashboard = JSON.parse(
    readFileSync(`${root}packaging/grafana/ldirectord-ts.json`, 'utf8'),
  ) as { panels: Array<{ title: string; targets: Array<{ expr: string }> }> };
  assert.ok(dashboard.panels.length >= 10);
  for (const panel of dashboard.panels) {
    for (const target of panel.targets) {
      const expr = target.expr.replaceAll('$virtual', '.+');
      const result = await prometheus!.query(expr);
      // Every panel shows data for this daemon (the "down" ones may be empty when all is up).
      if (!/== 0$|down now/i.test(`${expr} ${panel.title}`))
        assert.ok(result.length > 0, `${panel.title}: ${expr} returns nothing`);
    }
  }
});
