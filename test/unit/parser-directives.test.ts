// Each directive of the table, in each scope it has: what it accepts, how it reads the value,
// and the original's error text for what it rejects. A directive without a case fails the
// coverage test, so the table cannot grow untested.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DIRECTIVE, DIRECTIVES } from '../../src/parser/directives.ts';
import type { Scope } from '../../src/parser/values.ts';
import { parseText } from '../support/config-helpers.ts';

type Expect = { value: unknown; warns?: string } | { error: string };
type Case = [name: string, scope: Scope, text: string, expect: Expect, virtualLine?: string];

const V4 = 'virtual=127.0.0.1:80';
const V6 = 'virtual6=[::1]:80';
const FWM = 'virtual=5';

const cases: Case[] = [
  ['checktimeout', 'global', '5', { value: 5 }],
  ['checktimeout', 'global', '0', { error: 'invalid check timeout value' }],
  ['checktimeout', 'global', '00', { error: 'invalid check timeout value' }],
  ['checktimeout', 'global', 'x3', { value: 3, warns: 'number-from-digits' }],
  ['checktimeout', 'virtual', '4', { value: 4 }],
  ['checktimeout', 'virtual', '0', { error: 'invalid check timeout' }],
  ['checktimeout', 'virtual', '00', { value: 0, warns: 'number-zero' }],
  ['negotiatetimeout', 'global', '30', { value: 30 }],
  ['negotiatetimeout', 'global', 'none', { error: 'invalid negotiate timeout value' }],
  ['negotiatetimeout', 'virtual', '7', { value: 7 }],
  ['negotiatetimeout', 'virtual', '', { error: 'invalid negotiate timeout' }],
  ['checkinterval', 'global', '10', { value: 10 }],
  ['checkinterval', 'global', '0', { error: 'invalid check interval value' }],
  ['checkinterval', 'virtual', '3', { value: 3 }],
  ['checkinterval', 'virtual', 'x', { error: 'invalid checkinterval' }],
  ['failurecount', 'global', '3', { value: 3 }],
  ['failurecount', 'global', '0', { error: 'invalid failure count value' }],
  ['failurecount', 'virtual', '2', { value: 2 }],
  ['failurecount', 'virtual', '0', { error: 'invalid failure count' }],
  ['checkcount', 'global', '2', { value: 2, warns: 'checkcount-deprecated' }],
  ['checkcount', 'global', '0', { error: 'invalid check count value' }],
  ['checkcount', 'virtual', '0', { error: 'invalid check count' }],
  [
    'connecttimeout',
    'global',
    '5',
    { error: 'connecttimeout directive deprecated in favour of negotiatetimeout' },
  ],
  [
    'connecttimeout',
    'virtual',
    '5',
    { error: 'connecttimeout directive deprecated in favour of negotiatetimeout' },
  ],
  [
    'timeout',
    'global',
    '5',
    { error: 'timeout directive deprecated in favour of checktimeout and negotiatetimeout' },
  ],
  [
    'fallback',
    'global',
    '127.0.0.1:80 masq',
    { value: { host: '127.0.0.1', port: '80', forward: 'masq' } },
  ],
  ['fallback', 'global', '127.0.0.1', { value: { host: '127.0.0.1', forward: 'gate' } }],
  [
    'fallback',
    'global',
    '127.0.0.1:http',
    { value: { host: '127.0.0.1', port: 'http', forward: 'gate' } },
  ],
  [
    'fallback',
    'global',
    '127.0.0.1:80 nat',
    { error: 'forward method must be gate, masq or ipip' },
  ],
  [
    'fallback',
    'virtual',
    'localhost:8080 ipip',
    { value: { host: 'localhost', port: '8080', forward: 'ipip' } },
  ],
  [
    'fallback',
    'virtual',
    '127.0.0.1',
    { error: 'cannot specify "fallback" here.  please use "fallback6" instead' },
    V6,
  ],
  ['fallback6', 'global', '[::1]:80', { value: { host: '[::1]', port: '80', forward: 'gate' } }],
  ['fallback6', 'virtual', '[::1]', { value: { host: '[::1]', forward: 'gate' } }, V6],
  [
    'fallback6',
    'virtual',
    '[::1]',
    { error: 'cannot specify "fallback6" here.  please use "fallback" instead' },
  ],
  ['fallbackcommand', 'global', '/bin/fb --x', { value: '/bin/fb --x' }],
  ['fallbackcommand', 'global', '', { error: 'invalid fallback command' }],
  ['fallbackcommand', 'virtual', '"/bin/fb"', { value: '/bin/fb' }],
  ['fallbackcommand', 'virtual', '/bin/fb', { value: '/bin/fb' }],
  ['autoreload', 'global', 'yes', { value: true }],
  ['autoreload', 'global', 'YES', { error: "autoreload must be 'yes' or 'no'" }],
  ['callback', 'global', '"/bin/cb"', { value: '/bin/cb' }],
  ['callback', 'global', '/bin/cb', { value: '/bin/cb', warns: 'unquoted-value' }],
  ['logfile', 'global', '"/var/log/x.log"', { value: '/var/log/x.log' }],
  ['logfile', 'global', '"local0"', { value: 'local0' }],
  ['execute', 'global', 'other.cf', { value: 'other.cf' }],
  ['fork', 'global', 'no', { value: false }],
  ['fork', 'global', 'nope', { error: "fork must be 'yes' or 'no'" }],
  ['quiescent', 'global', 'yes', { value: true }],
  ['quiescent', 'global', 'no # comment', { value: false, warns: 'trailing-text-accepted' }],
  ['quiescent', 'global', 'yes please', { error: "quiescent must be 'yes' or 'no'" }],
  ['quiescent', 'virtual', 'no  ', { value: false, warns: 'trailing-text-accepted' }],
  ['quiescent', 'virtual', '1', { error: "quiescent must be 'yes' or 'no'" }],
  ['readdquiescent', 'global', 'yes', { value: true }],
  ['readdquiescent', 'global', 'y', { error: "readdquiescent must be 'yes' or 'no'" }],
  ['cleanstop', 'global', 'no', { value: false }],
  ['cleanstop', 'virtual', 'maybe', { error: "cleanstop must be 'yes' or 'no'" }],
  ['emailalert', 'global', '"a@b.c"', { value: 'a@b.c' }],
  ['emailalert', 'global', 'a@b.c, d@e.f', { value: 'a@b.c, d@e.f' }],
  ['emailalert', 'virtual', '""', { error: 'no email address specified' }],
  ['emailalertfreq', 'global', '3600', { value: 3600 }],
  ['emailalertfreq', 'global', '60s', { value: 60 }],
  ['emailalertfreq', 'virtual', 'x60', { error: 'invalid email alert frequency' }],
  ['emailalertstatus', 'global', 'all', { value: 15 }],
  ['emailalertstatus', 'global', 'starting, reloading', { value: 9 }],
  ['emailalertstatus', 'global', 'none', { value: 0 }],
  ['emailalertstatus', 'global', 'running,', { value: 2 }],
  [
    'emailalertstatus',
    'virtual',
    'all,none',
    { error: 'invalid email alert status: "all" specified with "none"' },
  ],
  ['emailalertstatus', 'virtual', 'up', { error: 'invalid email alert status at: "up"' }],
  ['emailalertfrom', 'global', '"LD" <ld@example.com>', { value: '"LD" <ld@example.com>' }],
  ['emailalertfrom', 'global', '', { error: 'no email from address specified' }],
  ['smtp', 'global', 'mail.example.com', { value: 'mail.example.com' }],
  ['smtp', 'global', 'mail.example.com:25', { value: 'mail.example.com', warns: 'smtp-truncated' }],
  ['smtp', 'virtual', '"mail"', { error: 'invalid SMTP server address' }],
  ['maintenancedir', 'global', '/etc/ha.d/maint', { value: '/etc/ha.d/maint' }],
  ['maintenancedir', 'global', '', { error: 'maintenance directory not specified' }],
  ['supervised', 'global', 'yes', { value: true }],
  ['supervised', 'global', 'maybe', { error: "supervised must be 'yes' or 'no'" }],
  [
    'real',
    'virtual',
    '127.0.0.3:8080 masq 5',
    { value: { host: '127.0.0.3', port: '8080', forward: 'masq', weight: 5 } },
  ],
  [
    'real',
    'virtual',
    '[::1]:80 gate',
    { error: 'cannot specify "real" here.  please use "real6" instead' },
    V6,
  ],
  [
    'real6',
    'virtual',
    '[::1]:80 gate',
    { value: { host: '[::1]', port: '80', forward: 'gate', weight: 1 } },
    V6,
  ],
  [
    'real6',
    'virtual',
    '[::1]:80 gate',
    { error: 'cannot specify "real6" here.  please use "real" instead' },
  ],
  ['request', 'virtual', '"index.html"', { value: '/index.html' }],
  ['request', 'virtual', '"/"', { value: '/' }],
  ['request', 'virtual', '""', { error: 'no request string specified' }],
  ['receive', 'virtual', '"Test Page"', { value: 'Test Page' }],
  ['receive', 'virtual', '""', { error: 'invalid receive string' }],
  ['checktype', 'virtual', 'negotiate', { value: { checktype: 'negotiate', combinedCount: 0 } }],
  [
    'checktype',
    'virtual',
    'external-perl',
    { value: { checktype: 'external-perl', combinedCount: 0 } },
  ],
  ['checktype', 'virtual', '5', { value: { checktype: 'combined', combinedCount: 5 } }],
  [
    'checktype',
    'virtual',
    'connect 5',
    { value: { checktype: 'combined', combinedCount: 5 }, warns: 'checktype-number' },
  ],
  [
    'checktype',
    'virtual',
    'Connect',
    {
      error:
        'checktype must be "connect", "negotiate", "on", "off", "ping", "external", "external-perl" or a positive number',
    },
  ],
  ['checkcommand', 'virtual', '"/usr/bin/check"', { value: '/usr/bin/check' }],
  ['checkcommand', 'virtual', '""', { error: 'invalid check command' }],
  ['checkport', 'virtual', '8080', { value: 8080 }],
  ['checkport', 'virtual', '65536', { error: 'checkport must be in range 1..65536' }],
  ['checkport', 'virtual', 'http', { error: 'invalid port' }],
  ['login', 'virtual', '"user"', { value: 'user' }],
  ['login', 'virtual', '""', { error: 'invalid login string' }],
  ['passwd', 'virtual', '"p w"', { value: 'p w' }],
  ['passwd', 'virtual', '""', { error: 'invalid password' }],
  ['database', 'virtual', '"db"', { value: 'db' }],
  ['database', 'virtual', '""', { error: 'invalid database' }],
  ['secret', 'virtual', '"s"', { value: 's' }],
  ['secret', 'virtual', '""', { error: 'invalid secret' }],
  ['load', 'virtual', '"cpu load"', { value: 'cpu', warns: 'load-no-effect' }],
  ['load', 'virtual', '"--"', { error: 'invalid string for load testing' }],
  ['scheduler', 'virtual', 'wlc', { value: 'wlc' }],
  ['scheduler', 'virtual', 'Wrr', { value: 'rr', warns: 'scheduler-lowercase-run' }],
  ['scheduler', 'virtual', 'fancy', { value: 'fancy', warns: 'scheduler-unknown' }],
  [
    'scheduler',
    'virtual',
    'WRR',
    { error: 'invalid scheduler, should be only lowercase letters (a-z)' },
  ],
  ['persistent', 'virtual', '600', { value: 600 }],
  ['persistent', 'virtual', '0', { value: 0 }],
  ['persistent', 'virtual', 'long', { error: 'invalid persistent timeout' }],
  ['netmask', 'virtual', '255.255.255.0', { value: '255.255.255.0' }],
  ['netmask', 'virtual', '24', { error: 'invalid netmask: dotted quad notation is required' }],
  ['netmask', 'virtual', '64', { value: '64' }, V6],
  [
    'netmask',
    'virtual',
    '129',
    { error: 'invalid netmask: a prefix length between 1 and 128 is required' },
    V6,
  ],
  ['schedflags', 'virtual', 'sh-fallback,sh-port junk', { value: 'sh-fallback,sh-port' }],
  ['schedflags', 'virtual', '', { error: 'invalid sched-flags' }],
  ['protocol', 'virtual', 'udp', { value: 'udp' }],
  ['protocol', 'virtual', 'fwm', { value: 'fwm' }, FWM],
  [
    'protocol',
    'virtual',
    'udp',
    { error: 'protocol must be fwm if the virtual service is a fwmark (a number)' },
    FWM,
  ],
  [
    'protocol',
    'virtual',
    'fwm',
    { error: 'protocol must be tcp or udp if the virtual service is an address and port' },
  ],
  ['protocol', 'virtual', '', { error: 'invalid protocol' }],
  ['ops', 'virtual', 'yes', { value: true }],
  ['ops', 'virtual', 'on', { error: "ops must be 'yes' or 'no'" }],
  ['service', 'virtual', 'http_proxy', { value: 'http_proxy' }],
  [
    'service',
    'virtual',
    'HTTP',
    {
      error:
        'service must be dns, ftp, http, https, http_proxy, imap, imaps, ldap, ldaps, mysql, nntp, none, oracle, pop, pops, radius, pgsql, simpletcp, sip, smtp or submission',
    },
  ],
  ['httpmethod', 'virtual', 'head', { value: 'HEAD' }],
  ['httpmethod', 'virtual', 'POST', { error: 'httpmethod must be GET or HEAD' }],
  ['virtualhost', 'virtual', '"www.example.com"', { value: 'www.example.com' }],
  ['virtualhost', 'virtual', 'www.example.com', { value: 'www.example.com' }],
  ['monitorfile', 'virtual', '"/var/log/m.log"', { value: '/var/log/m.log' }],
  ['monitorfile', 'virtual', '/var/log/m.log', { value: '/var/log/m.log' }],
  ['servicename', 'virtual', 'Web Site', { value: 'Web Site' }],
  ['comment', 'virtual', 'Call Bob', { value: 'Call Bob' }],
];

function run([name, scope, text, , virtualLine]: Case) {
  const source =
    scope === 'global' ? `${name}=${text}\n` : `${virtualLine ?? V4}\n\t${name}=${text}\n`;
  const r = parseText(source);
  const nodes = scope === 'global' ? r.tree.globals : (r.tree.virtuals[0]?.directives ?? []);
  return { node: nodes.find((n) => n.name === name), diagnostics: r.diagnostics };
}

for (const c of cases) {
  const [name, scope, text, expect] = c;
  test(`${scope} ${name}=${text}`, () => {
    const { node, diagnostics } = run(c);
    if ('error' in expect) {
      const e = diagnostics.filter((d) => d.severity === 'error');
      assert.equal(e.length, 1, JSON.stringify(diagnostics));
      assert.equal(e[0]!.message, expect.error);
      assert.equal(e[0]!.line, scope === 'global' ? 1 : 2);
      assert.ok(e[0]!.hint, 'says what is accepted');
      return;
    }
    assert.deepEqual(
      diagnostics.filter((d) => d.severity === 'error'),
      [],
    );
    assert.ok(node, `no ${name} node`);
    const value = node.value;
    if (typeof expect.value === 'object' && expect.value !== null) {
      for (const [k, v] of Object.entries(expect.value)) {
        assert.deepEqual((value as Record<string, unknown>)[k], v, k);
      }
      if (!name.startsWith('real')) assert.deepEqual(value, expect.value);
    } else {
      assert.deepEqual(value, expect.value);
    }
    if (expect.warns)
      assert.ok(
        diagnostics.some((d) => d.code === expect.warns),
        JSON.stringify(diagnostics),
      );
  });
}

test('every directive of the table, in every scope it has, has a test case', () => {
  for (const d of DIRECTIVES) {
    for (const scope of ['global', 'virtual'] as const) {
      if (!(scope === 'global' ? d.global : d.virtual)) continue;
      assert.ok(
        cases.some(([n, s]) => n === d.name && s === scope),
        `${scope} ${d.name} has no test case`,
      );
    }
  }
});

test('the table has one entry per name, each with help and syntax for the man page', () => {
  const names = DIRECTIVES.map((d) => d.name);
  assert.equal(new Set(names).size, names.length);
  for (const d of DIRECTIVES) assert.ok(d.help.length > 10, d.name);
  for (const [key, d] of Object.entries(DIRECTIVE))
    assert.equal(d.name, key, 'filed under its name');
});
