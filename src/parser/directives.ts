// THE table of directives. One entry per directive name drives:
//  - parsing: which scope accepts it, how its value is taken from the line (raw, quoted...),
//    how it is checked (with the original's error text);
//  - resolution: the model field it fills, its default, whether a virtual inherits the
//    global value;
//  - the `check` report and the CONFIGURATION DIRECTIVES section of the man page.
// The few directives with structure (virtual, real, fallback, checktype, supervised) have
// their own value parsers, still called from here.
import { cutTrailingComment, splitOnComma } from '../lib/perl.ts';
import { excerpt } from '../lib/printable.ts';
import { inWords } from '../lib/words.ts';
import {
  CHECK_TYPES,
  type CheckType,
  EMAIL_STATUS_BITS,
  SERVICES,
  type Protocol,
  type Service,
} from '../model/domain.ts';
import { FALLBACK_SYNTAX_HINT, type FallbackSpec, parseFallback } from './fallback.ts';
import { fail, type Note, type Outcome, ok } from './outcome.ts';
import { REAL_SYNTAX_HINT, type RealSpec, realSpec } from './real.ts';
import {
  anyText,
  digits,
  type NumberRange,
  nonEmpty,
  outOfRange,
  RANGES,
  retired,
  type Scope,
  type ValueContext,
  type ValueParser,
  yesNo,
} from './values.ts';

/**
 * How the value is cut from the line, as the original's patterns do:
 * - raw: everything after `name\s*=\s*`;
 * - quoted: `name\s*=\s*"(.*)"` (greedy, no escapes); the original reports an unquoted value
 *   as "Unknown command", ldirectord-ts accepts it with a migration warning;
 * - quoted-or-raw: the quoted form if it matches, else raw;
 * - leading-digits: `name\s*=\s*(\d*)`;
 * - after-name: the rest of the line after the bare name (`supervised`).
 */
export type ValueForm = 'raw' | 'quoted' | 'quoted-or-raw' | 'leading-digits' | 'after-name';

export interface ScopeRule<T = unknown> {
  form: ValueForm;
  parse: ValueParser<T>;
}

/** One directive; `T` is the type of its checked value (what its parsers return). */
export interface DirectiveSpec<T = unknown> {
  name: string;
  /** Value syntax, for the man page and hints. */
  syntax: string;
  /** Default, as text for people ('' when none). */
  defaultText: string;
  /** One line of help. */
  help: string;
  global?: ScopeRule<T>;
  virtual?: ScopeRule<T>;
  /** In a virtual service, an absent directive takes the global directive's value. */
  inheritsGlobal?: boolean;
  /** Default value in the model when neither scope sets it (the parsers give T). */
  defaultValue?: NoInfer<T>;
  /** A warning given wherever the directive appears (deprecated, no effect...). */
  notice?: Note;
  /** Not listed in the man page's own entries (virtual6, real6, fallback6 share an entry). */
  aliasOf?: string;
  /** A numeric value's range: parse refuses a larger number (and the man page says so). */
  range?: NumberRange;
  /** A password: its value is never shown (messages, `check`, logs). */
  secret?: boolean;
}

/** The checktype words (checktype=N is `combined`). */
const CHECKTYPES = CHECK_TYPES.filter((t) => t !== 'combined');

/** checktype=: the word, or N of checktype=N (`combined`). */
export interface CheckTypeValue {
  checktype: CheckType;
  /** N of checktype=N; 0 otherwise. */
  combinedCount: number;
}

const checktype: ValueParser<CheckTypeValue> = (text) => {
  const number = /\d+/.exec(text);
  if (number) {
    const n = Number(number[0]);
    const tooLarge = outOfRange(n, RANGES.count, `checktype=${text.trim()}`);
    if (tooLarge) return fail('number-out-of-range', tooLarge, 'Write at most 2147483647.');
    const notes: Note[] = [];
    if (text.trim() !== number[0]) {
      notes.push({
        code: 'checktype-number',
        message: `"${excerpt(text.trim())}" contains a number, so it means checktype=${n} (${n} connect checks, then one negotiate check)`,
        hint: 'The Perl original reads it the same way: any digit makes it a combined check.',
      });
    }
    return ok({ checktype: 'combined', combinedCount: n }, notes);
  }
  const word = /[\w-]+/.exec(text)?.[0];
  const known = CHECKTYPES.find((t) => t === word);
  if (word === undefined || known === undefined) {
    return fail(
      'invalid-checktype',
      'checktype must be "connect", "negotiate", "on", "off", "ping", "external", "external-perl" or a positive number',
      `Accepted: ${CHECKTYPES.join(', ')}, or a number N (N connect checks between negotiate checks).`,
    );
  }
  const notes: Note[] =
    text.trim() === word
      ? []
      : [
          {
            code: 'checktype-junk',
            message: `read as checktype=${excerpt(word)}; the rest is ignored`,
          },
        ];
  return ok({ checktype: known, combinedCount: 0 }, notes);
};

const KNOWN_SCHEDULERS = [
  'rr',
  'wrr',
  'lc',
  'wlc',
  'lblc',
  'lblcr',
  'dh',
  'sh',
  'sed',
  'nq',
  'fo',
  'ovf',
  'mh',
  'twos',
];

/**
 * Why `ipvsadm -s <scheduler> -b <flags>` fails (parse_sched_flags), or undefined: flag-1 to
 * flag-3 go with any scheduler, sh-fallback and sh-port with sh, mh-fallback and mh-port with mh.
 */
export function schedFlagsRefusal(scheduler: string, flags: string): string | undefined {
  const words = flags.split(',').filter((w) => w !== '');
  if (words.length === 0) return `invalid scheduler flag \`${excerpt(flags)}'`;
  for (const flag of words) {
    if (flag === 'flag-1' || flag === 'flag-2' || flag === 'flag-3') continue;
    const owner = flag.slice(0, 2);
    if (
      !['fallback', 'port'].includes(flag.slice(3)) ||
      flag[2] !== '-' ||
      !['sh', 'mh'].includes(owner)
    ) {
      return `invalid scheduler flag \`${excerpt(flag)}'`;
    }
    if (owner !== scheduler)
      return `incompatible scheduler flag \`${flag}' (${owner}-* flags go with scheduler=${owner})`;
  }
  return undefined;
}

const scheduler: ValueParser<string> = (text) => {
  const run = /[a-z]+/.exec(text)?.[0];
  if (run === undefined) {
    return fail(
      'invalid-scheduler',
      'invalid scheduler, should be only lowercase letters (a-z)',
      `A scheduler name of ipvsadm, e.g. ${KNOWN_SCHEDULERS.join(', ')}.`,
    );
  }
  const notes: Note[] = [];
  if (text.trim() !== run) {
    notes.push({
      code: 'scheduler-lowercase-run',
      message: `scheduler "${excerpt(text.trim())}" is read as "${excerpt(run)}" (the first run of lower-case letters)`,
      hint: 'The Perl original reads it the same way (Wrr becomes rr). Write the scheduler in lower case.',
    });
  }
  if (!KNOWN_SCHEDULERS.includes(run)) {
    notes.push({
      code: 'scheduler-unknown',
      message: `scheduler "${excerpt(run)}" is not one ipvsadm knows; ipvsadm will reject it unless the kernel has it`,
      hint: `Known: ${KNOWN_SCHEDULERS.join(', ')}.`,
    });
  }
  return ok(run, notes);
};

const netmask: ValueParser<string> = (text, ctx) => {
  const trimmed = text.trimEnd();
  const check = (t: string): boolean => {
    if (ctx.family === 6) return /^\d+$/.test(t) && Number(t) >= 1 && Number(t) <= 128;
    return /^\d+\.\d+\.\d+\.\d+$/.test(t);
  };
  const notes: Note[] = [];
  let value = text;
  if (!check(text)) {
    if (trimmed === text || !check(trimmed)) {
      return ctx.family === 6
        ? fail(
            'invalid-netmask',
            'invalid netmask: a prefix length between 1 and 128 is required',
            'For an IPv6 service write a prefix length, e.g. netmask=64.',
          )
        : fail(
            'invalid-netmask',
            'invalid netmask: dotted quad notation is required',
            'For an IPv4 service write a dotted quad, e.g. netmask=255.255.255.0.',
          );
    }
    value = trimmed;
    notes.push({
      code: 'trailing-text-accepted',
      category: 'differs-from-perl',
      message: `trailing spaces after netmask "${excerpt(value)}" ignored`,
      hint: 'The Perl original rejects this value.',
    });
  }
  if (ctx.family === 4) {
    for (const octet of value.split('.')) {
      const tooLarge = outOfRange(Number(octet), RANGES.octet, `netmask=${value}`);
      if (tooLarge) {
        return fail(
          'number-out-of-range',
          tooLarge,
          'A netmask is a dotted quad of numbers from 0 to 255, e.g. 255.255.255.0; ipvsadm refuses anything else.',
        );
      }
    }
  }
  return ok(value, notes);
};

const protocol: ValueParser<Protocol> = (text, ctx) => {
  const word = /\w+/.exec(text)?.[0];
  if (word === undefined)
    return fail('invalid-protocol', 'invalid protocol', 'Write tcp, udp or fwm.');
  if (ctx.fwmark) {
    return word === 'fwm'
      ? ok('fwm')
      : fail(
          'invalid-protocol',
          'protocol must be fwm if the virtual service is a fwmark (a number)',
          'A firewall-mark service has protocol fwm; remove the line or write protocol=fwm.',
        );
  }
  return word === 'tcp' || word === 'udp'
    ? ok(word)
    : fail(
        'invalid-protocol',
        'protocol must be tcp or udp if the virtual service is an address and port',
        'Write protocol=tcp or protocol=udp.',
      );
};

const service: ValueParser<Service> = (text) => {
  const word = /\w+/.exec(text)?.[0];
  const known = SERVICES.find((s) => s === word);
  if (known === undefined) {
    return fail(
      'invalid-service',
      `service must be ${inWords(SERVICES, 'or')}`,
      'Service names are lower case.',
    );
  }
  return ok(known);
};

const httpmethod: ValueParser<'GET' | 'HEAD'> = (text) => {
  const word = /\w+/.exec(text)?.[0]?.toUpperCase();
  if (word !== 'GET' && word !== 'HEAD') {
    return fail('invalid-httpmethod', 'httpmethod must be GET or HEAD', 'Write GET or HEAD.');
  }
  return ok(word);
};

const checkport: ValueParser<number> = (text) => {
  const run = /\d+/.exec(text)?.[0];
  if (run === undefined)
    return fail('invalid-port', 'invalid port', 'A port number from 1 to 65535.');
  const n = Number(run);
  if (!(n > 0 && n < 65536)) {
    return fail(
      'invalid-port',
      'checkport must be in range 1..65536',
      'A port number from 1 to 65535.',
    );
  }
  return ok(
    n,
    text.trim() === run ? [] : [{ code: 'number-from-digits', message: `read as checkport=${n}` }],
  );
};

const virtualhost: ValueParser<string> = (text) => {
  const value = /^"?([^"]*)"?/.exec(text)![1]!;
  return ok(value);
};

const smtp: ValueParser<string> = (text) => {
  const m = /^[0-9A-Za-z._+-]+/.exec(text);
  if (!m) {
    return fail(
      'invalid-smtp',
      'invalid SMTP server address',
      'A host name or IPv4 address, without quotes or port.',
    );
  }
  const notes: Note[] =
    m[0] === text.trim()
      ? []
      : [
          {
            code: 'smtp-truncated',
            message: `SMTP server read as "${m[0]}"; the rest ("${excerpt(text.slice(m[0].length))}") is ignored`,
            hint: 'The original always uses port 25 and takes only the leading host name.',
          },
        ];
  return ok(m[0], notes);
};

const emailalert: ValueParser<string> = (text) => {
  const addr = text.replace(/^"([^"]*)"$/s, '$1');
  return addr.length > 0
    ? ok(addr)
    : fail('empty-value', 'no email address specified', 'emailalert="admin@example.com"');
};

const emailalertfreq: ValueParser<number> = (text) =>
  /^\d+$/.test(text)
    ? ok(Number(text))
    : fail(
        'invalid-number',
        'invalid email alert frequency',
        'Seconds between reminders, e.g. emailalertfreq=3600 (0: none).',
      );

const STATUS_NAMES = ['all', 'none', 'starting', 'running', 'stopping', 'reloading'];

const emailalertstatus: ValueParser<number> = (text) => {
  const items = splitOnComma(text);
  while (items.length > 0 && items[items.length - 1] === '') items.pop(); // Perl split
  const none = items.includes('none');
  let status = 0;
  for (const item of items) {
    if (item === 'none') continue;
    if (item === 'all') status = 15;
    else if (item in EMAIL_STATUS_BITS)
      status |= EMAIL_STATUS_BITS[item as keyof typeof EMAIL_STATUS_BITS];
    else {
      return fail(
        'invalid-emailalertstatus',
        `invalid email alert status at: "${excerpt(item)}"`,
        `A comma-separated list of ${STATUS_NAMES.join(', ')}.`,
      );
    }
    if (none) {
      return fail(
        'invalid-emailalertstatus',
        `invalid email alert status: "${excerpt(item)}" specified with "none"`,
        '"none" cannot be combined with other statuses.',
      );
    }
  }
  return ok(status);
};

function quotedText(message: string, hint: string): ValueParser<string> {
  return nonEmpty(message, hint);
}

function familyChecked<T>(
  name: 'real' | 'real6' | 'fallback' | 'fallback6',
  inner: ValueParser<T>,
): ValueParser<T> {
  const wants = name.endsWith('6') ? 6 : 4;
  const base = name.replace('6', '');
  return (text, ctx) => {
    if (ctx.scope === 'virtual' && ctx.family !== wants) {
      return fail(
        `${base}-family`,
        `cannot specify "${name}" here.  please use "${base}${ctx.family === 6 ? '6' : ''}" instead`,
        ctx.family === 6
          ? `An IPv6 virtual service takes ${base}6=.`
          : `An IPv4 virtual service takes ${base}=.`,
      );
    }
    return inner(text, ctx);
  };
}

const real: ValueParser<RealSpec> = realSpec;
const fallback: ValueParser<FallbackSpec> = (text) => parseFallback(text);

const supervised: ValueParser<boolean> = (rest) => {
  const eq = /^[\t\n\v\f\r ]*=[\t\n\v\f\r ]*(.*)$/s.exec(rest);
  if (eq && (eq[1] === 'yes' || eq[1] === 'no')) return ok(eq[1] === 'yes');
  if (/^[\t\n\v\f\r ]*$/.test(rest)) {
    return ok(true, [
      {
        code: 'supervised-bare',
        category: 'deprecated',
        message: 'please update your config not to use a bare supervised directive',
        hint: 'Write supervised=yes.',
      },
    ]);
  }
  if (eq) {
    const trimmed = cutTrailingComment(eq[1]!).trimEnd();
    if (trimmed === 'yes' || trimmed === 'no') {
      return ok(trimmed === 'yes', [
        {
          code: 'trailing-text-accepted',
          category: 'differs-from-perl',
          message: `trailing text after "${trimmed}" ignored`,
          hint: 'The Perl original compares the whole rest of the line and rejects this value.',
        },
      ]);
    }
  }
  return fail(
    'invalid-yes-no',
    "supervised must be 'yes' or 'no'",
    'Write supervised=yes or supervised=no.',
  );
};

const TIMEOUT_HINT = 'A number of seconds greater than 0.';
const COUNT_HINT = 'A whole number greater than 0.';

/** Captures the type of a directive's value from its parsers. */
function spec<T>(directive: DirectiveSpec<T>): DirectiveSpec<T> {
  return directive;
}

const TABLE = {
  // ---- sections and servers
  virtual: spec({
    name: 'virtual',
    syntax: '<ip|host>:<port|service> | <fwmark>',
    defaultText: '',
    help: `Starts a virtual service; the indented lines that follow configure it. A firewall mark is at most ${RANGES.fwmark.max}.`,
  }),
  virtual6: spec({
    name: 'virtual6',
    syntax: '[<ipv6>]:<port|service> | <host>:<port> | <fwmark>',
    defaultText: '',
    help: 'Starts an IPv6 virtual service.',
    aliasOf: 'virtual',
  }),
  real: spec({
    name: 'real',
    syntax: REAL_SYNTAX_HINT.replace(/^real=/, ''),
    defaultText: '',
    help: `A real server (or an IPv4 range a->b) of the virtual service; port 0 when omitted; weight and thresholds at most ${RANGES.weight.max}.`,
    virtual: { form: 'raw', parse: familyChecked('real', real) },
  }),
  real6: spec({
    name: 'real6',
    syntax: '[<ipv6>|<host>][:<port>] gate|masq|ipip [<weight>] ...',
    defaultText: '',
    help: 'A real server of an IPv6 virtual service.',
    virtual: { form: 'raw', parse: familyChecked('real6', real) },
    aliasOf: 'real',
  }),
  fallback: spec({
    name: 'fallback',
    syntax: FALLBACK_SYNTAX_HINT.replace(/^fallback=/, ''),
    defaultText: 'none',
    help: 'Server put in the table when no real server is up (weight 1); global or per virtual.',
    global: { form: 'raw', parse: familyChecked('fallback', fallback) },
    virtual: { form: 'raw', parse: familyChecked('fallback', fallback) },
  }),
  fallback6: spec({
    name: 'fallback6',
    syntax: '[<ipv6>][:<port>] [gate|masq|ipip]',
    defaultText: 'none',
    help: 'Fallback server of IPv6 virtual services.',
    global: { form: 'raw', parse: familyChecked('fallback6', fallback) },
    virtual: { form: 'raw', parse: familyChecked('fallback6', fallback) },
    aliasOf: 'fallback',
  }),
  // ---- checks
  checktype: spec({
    name: 'checktype',
    syntax: 'connect|negotiate|ping|external|external-perl|on|off|<N>',
    defaultText: 'negotiate',
    help: 'How real servers are checked; N means N connect checks between negotiate checks.',
    virtual: { form: 'raw', parse: checktype },
    defaultValue: { checktype: 'negotiate', combinedCount: 0 },
  }),
  service: spec({
    name: 'service',
    syntax: SERVICES.join('|'),
    defaultText: 'from the virtual port',
    help: 'Protocol spoken by the negotiate check; derived from the virtual port when absent.',
    virtual: { form: 'raw', parse: service },
  }),
  checkport: spec({
    name: 'checkport',
    syntax: '<port>',
    defaultText: "the real server's port",
    help: 'Port the checks connect to, when it differs from the real server port.',
    virtual: { form: 'raw', parse: checkport },
  }),
  request: spec({
    name: 'request',
    syntax: '"<text>"',
    defaultText: '"/"',
    help: 'What the negotiate check asks for: URL path, SQL query, DNS name, LDAP base...',
    virtual: {
      form: 'quoted',
      parse: (text) =>
        text.length > 0
          ? ok(text.startsWith('/') ? text : `/${text}`)
          : fail('empty-value', 'no request string specified', 'request="/index.html"'),
    },
    defaultValue: '/',
  }),
  receive: spec({
    name: 'receive',
    syntax: '"<perl regex>"',
    defaultText: '""',
    help: 'Perl regular expression the answer must match (empty: any answer).',
    virtual: { form: 'quoted', parse: quotedText('invalid receive string', 'receive="<regex>"') },
    defaultValue: '',
  }),
  httpmethod: spec({
    name: 'httpmethod',
    syntax: 'GET|HEAD',
    defaultText: 'GET',
    help: 'HTTP method of http/https checks.',
    virtual: { form: 'raw', parse: httpmethod },
    defaultValue: 'GET',
  }),
  virtualhost: spec({
    name: 'virtualhost',
    syntax: '<host name>',
    defaultText: "the real server's address",
    help: 'Host header sent by http/https checks.',
    virtual: { form: 'raw', parse: virtualhost },
  }),
  login: spec({
    name: 'login',
    syntax: '"<user>"',
    defaultText: '"" (ftp: anonymous, sip: ldirectord@<hostname>)',
    help: 'User name for ftp, imap, pop, ldap, sql, radius and sip checks.',
    virtual: { form: 'quoted', parse: quotedText('invalid login string', 'login="<user>"') },
    defaultValue: '',
  }),
  passwd: spec({
    name: 'passwd',
    syntax: '"<password>"',
    defaultText: '"" (ftp: ldirectord@<hostname>)',
    help: 'Password that goes with login (never shown by ldirectord-ts).',
    virtual: { form: 'quoted', parse: quotedText('invalid password', 'passwd="<password>"') },
    defaultValue: '',
    secret: true,
  }),
  database: spec({
    name: 'database',
    syntax: '"<name>"',
    defaultText: '""',
    help: 'Database of mysql, pgsql and oracle checks.',
    virtual: { form: 'quoted', parse: quotedText('invalid database', 'database="<name>"') },
    defaultValue: '',
  }),
  secret: spec({
    name: 'secret',
    syntax: '"<secret>"',
    defaultText: '""',
    help: 'RADIUS shared secret (never shown by ldirectord-ts).',
    virtual: { form: 'quoted', parse: quotedText('invalid secret', 'secret="<secret>"') },
    defaultValue: '',
    secret: true,
  }),
  checkcommand: spec({
    name: 'checkcommand',
    syntax: '<path>',
    defaultText: '/bin/true',
    help: 'Program run by checktype=external / external-perl with: vip vport rip rport.',
    virtual: {
      form: 'quoted-or-raw',
      parse: nonEmpty('invalid check command', 'checkcommand="/usr/local/bin/check-real"'),
    },
    defaultValue: '/bin/true',
  }),
  checktimeout: spec({
    name: 'checktimeout',
    syntax: '<seconds>',
    defaultText: 'negotiatetimeout, else 5',
    help: 'Deadline of connect, ping and external checks.',
    global: { form: 'raw', parse: digits('invalid check timeout value', 'positive', TIMEOUT_HINT) },
    virtual: { form: 'raw', parse: digits('invalid check timeout', 'nonzero', TIMEOUT_HINT) },
    range: RANGES.seconds,
  }),
  negotiatetimeout: spec({
    name: 'negotiatetimeout',
    syntax: '<seconds>',
    defaultText: 'checktimeout, else 30',
    help: 'Deadline of negotiate checks.',
    global: {
      form: 'raw',
      parse: digits('invalid negotiate timeout value', 'positive', TIMEOUT_HINT),
    },
    virtual: { form: 'raw', parse: digits('invalid negotiate timeout', 'nonzero', TIMEOUT_HINT) },
    range: RANGES.seconds,
  }),
  checkinterval: spec({
    name: 'checkinterval',
    syntax: '<seconds>',
    defaultText: '10',
    help: 'Seconds between two checks of a real server.',
    global: { form: 'raw', parse: digits('invalid check interval value', 'nonzero', COUNT_HINT) },
    virtual: { form: 'raw', parse: digits('invalid checkinterval', 'nonzero', COUNT_HINT) },
    inheritsGlobal: true,
    defaultValue: 10,
    range: RANGES.seconds,
  }),
  failurecount: spec({
    name: 'failurecount',
    syntax: '<n>',
    defaultText: '1',
    help: 'Consecutive failed checks before a real server is taken out.',
    global: { form: 'raw', parse: digits('invalid failure count value', 'nonzero', COUNT_HINT) },
    virtual: { form: 'raw', parse: digits('invalid failure count', 'nonzero', COUNT_HINT) },
    inheritsGlobal: true,
    defaultValue: 1,
    range: RANGES.count,
  }),
  checkcount: spec({
    name: 'checkcount',
    syntax: '<n>',
    defaultText: '1',
    help: 'Deprecated: ping attempts per check; use failurecount.',
    global: { form: 'raw', parse: digits('invalid check count value', 'nonzero', COUNT_HINT) },
    virtual: { form: 'raw', parse: digits('invalid check count', 'nonzero', COUNT_HINT) },
    inheritsGlobal: true,
    defaultValue: 1,
    notice: {
      code: 'checkcount-deprecated',
      category: 'deprecated',
      message: "checkcount option is deprecated and slated for removal.  please see 'failurecount'",
      hint: 'It only sets the number of ping attempts of checktype=ping.',
    },
    range: RANGES.count,
  }),
  connecttimeout: spec({
    name: 'connecttimeout',
    syntax: '',
    defaultText: '',
    help: 'Retired: use negotiatetimeout.',
    global: {
      form: 'raw',
      parse: retired(
        'connecttimeout directive deprecated in favour of negotiatetimeout',
        'Write negotiatetimeout=<seconds>.',
      ),
    },
    virtual: {
      form: 'raw',
      parse: retired(
        'connecttimeout directive deprecated in favour of negotiatetimeout',
        'Write negotiatetimeout=<seconds>.',
      ),
    },
  }),
  timeout: spec({
    name: 'timeout',
    syntax: '',
    defaultText: '',
    help: 'Retired: use checktimeout and negotiatetimeout.',
    global: {
      form: 'raw',
      parse: retired(
        'timeout directive deprecated in favour of checktimeout and negotiatetimeout',
        'Write checktimeout=<seconds> and negotiatetimeout=<seconds>.',
      ),
    },
  }),
  // ---- the IPVS service
  protocol: spec({
    name: 'protocol',
    syntax: 'tcp|udp|fwm',
    defaultText: 'udp for port 53, else tcp; fwm for a firewall mark',
    help: 'Protocol of the virtual service.',
    virtual: { form: 'raw', parse: protocol },
  }),
  scheduler: spec({
    name: 'scheduler',
    syntax: '<ipvs scheduler>',
    defaultText: 'wrr',
    help: 'IPVS scheduler (ipvsadm -s).',
    virtual: { form: 'raw', parse: scheduler },
    defaultValue: 'wrr',
  }),
  persistent: spec({
    name: 'persistent',
    syntax: '<seconds>',
    defaultText: 'none',
    help: 'Persistence timeout (ipvsadm -p).',
    virtual: {
      form: 'raw',
      parse: digits(
        'invalid persistent timeout',
        'any',
        'Seconds of persistence, e.g. persistent=600.',
      ),
    },
    range: RANGES.persistent,
  }),
  netmask: spec({
    name: 'netmask',
    syntax: '<dotted quad> | <prefix length (IPv6)>',
    defaultText: 'none',
    help: 'Persistence granularity (ipvsadm -M); only with persistent.',
    virtual: { form: 'raw', parse: netmask },
  }),
  schedflags: spec({
    name: 'schedflags',
    syntax: '<flag>[,<flag>...]',
    defaultText: 'none',
    help: 'Scheduler flags (ipvsadm -b).',
    virtual: {
      form: 'raw',
      parse: (text) => {
        const word = /[^\t\n\v\f\r ]+/.exec(text)?.[0];
        return word === undefined
          ? fail('invalid-schedflags', 'invalid sched-flags', 'e.g. schedflags=sh-fallback,sh-port')
          : ok(word);
      },
    },
  }),
  ops: spec({
    name: 'ops',
    syntax: 'yes|no',
    defaultText: 'no',
    help: 'One-packet scheduling (ipvsadm -o); UDP services only.',
    virtual: { form: 'raw', parse: yesNo("ops must be 'yes' or 'no'") },
    defaultValue: false,
  }),
  // ---- behaviour
  quiescent: spec({
    name: 'quiescent',
    syntax: 'yes|no',
    defaultText: 'no',
    help: 'yes: a failed real server gets weight 0 instead of being removed.',
    global: { form: 'raw', parse: yesNo("quiescent must be 'yes' or 'no'") },
    virtual: { form: 'raw', parse: yesNo("quiescent must be 'yes' or 'no'") },
    inheritsGlobal: true,
    defaultValue: false,
  }),
  readdquiescent: spec({
    name: 'readdquiescent',
    syntax: 'yes|no',
    defaultText: 'no',
    help: 'yes: re-add a quiesced real server missing from the table with weight 0.',
    global: { form: 'raw', parse: yesNo("readdquiescent must be 'yes' or 'no'") },
    defaultValue: false,
  }),
  cleanstop: spec({
    name: 'cleanstop',
    syntax: 'yes|no',
    defaultText: 'yes',
    help: 'yes: remove the virtual services from the table when stopping.',
    global: { form: 'raw', parse: yesNo("cleanstop must be 'yes' or 'no'") },
    virtual: { form: 'raw', parse: yesNo("cleanstop must be 'yes' or 'no'") },
    inheritsGlobal: true,
    defaultValue: true,
  }),
  fallbackcommand: spec({
    name: 'fallbackcommand',
    syntax: '<command>',
    defaultText: 'none',
    help: 'Run with start|stop <vip>:<vport> <protocol> when the last real goes down or the first comes up.',
    global: {
      form: 'raw',
      parse: nonEmpty('invalid fallback command', 'fallbackcommand=/path/to/script'),
    },
    virtual: {
      form: 'quoted-or-raw',
      parse: nonEmpty('invalid fallback command', 'fallbackcommand="/path/to/script"'),
    },
    inheritsGlobal: true,
  }),
  fork: spec({
    name: 'fork',
    syntax: 'yes|no',
    defaultText: 'no',
    help: 'The original checked each virtual service in its own process; ldirectord-ts always checks concurrently.',
    global: { form: 'raw', parse: yesNo("fork must be 'yes' or 'no'") },
    defaultValue: false,
  }),
  autoreload: spec({
    name: 'autoreload',
    syntax: 'yes|no',
    defaultText: 'no',
    help: 'yes: reload the configuration when the file changes.',
    global: { form: 'raw', parse: yesNo("autoreload must be 'yes' or 'no'") },
    defaultValue: false,
  }),
  callback: spec({
    name: 'callback',
    syntax: '"<command>"',
    defaultText: 'none',
    help: 'Run with the config file name when the file changes.',
    global: { form: 'quoted', parse: anyText },
  }),
  supervised: spec({
    name: 'supervised',
    syntax: 'yes|no',
    defaultText: 'no',
    help: 'yes: stay in the foreground and log to standard output (for a supervisor).',
    global: { form: 'after-name', parse: supervised },
    defaultValue: false,
  }),
  maintenancedir: spec({
    name: 'maintenancedir',
    syntax: '<directory>',
    defaultText: 'none',
    help: 'A file named after a real server (ip, ip:port, host, host:port) here takes it out.',
    global: {
      form: 'raw',
      parse: nonEmpty(
        'maintenance directory not specified',
        'maintenancedir=/etc/ha.d/maintenance',
      ),
    },
  }),
  execute: spec({
    name: 'execute',
    syntax: '<configuration>',
    defaultText: 'none',
    help: 'Another configuration started, stopped and reloaded together with this one.',
    global: { form: 'raw', parse: anyText },
  }),
  // ---- logging and alerts
  logfile: spec({
    name: 'logfile',
    syntax: '"<path>" | "<syslog facility>"',
    defaultText: '"/var/log/ldirectord.log"',
    help: 'Log file (a path starting with /) or syslog facility.',
    global: { form: 'quoted', parse: anyText },
    defaultValue: '/var/log/ldirectord.log',
  }),
  monitorfile: spec({
    name: 'monitorfile',
    syntax: '"<path>"',
    defaultText: 'none',
    help: 'File that gets a line for every check of this virtual service.',
    virtual: { form: 'quoted-or-raw', parse: anyText },
  }),
  emailalert: spec({
    name: 'emailalert',
    syntax: '"<address>"',
    defaultText: 'none',
    help: 'Where alerts about real servers going down and up are mailed.',
    global: { form: 'raw', parse: emailalert },
    virtual: { form: 'raw', parse: emailalert },
    inheritsGlobal: true,
    defaultValue: '',
  }),
  emailalertfreq: spec({
    name: 'emailalertfreq',
    syntax: '<seconds>',
    defaultText: '0 (no reminders)',
    help: 'Seconds between reminders while a real server stays down.',
    global: { form: 'leading-digits', parse: emailalertfreq },
    virtual: { form: 'leading-digits', parse: emailalertfreq },
    inheritsGlobal: true,
    defaultValue: 0,
    range: RANGES.seconds,
  }),
  emailalertstatus: spec({
    name: 'emailalertstatus',
    syntax: 'all|none|starting|running|stopping|reloading[, ...]',
    defaultText: 'all',
    help: 'Daemon states in which alerts are sent.',
    global: { form: 'raw', parse: emailalertstatus },
    virtual: { form: 'raw', parse: emailalertstatus },
    inheritsGlobal: true,
    defaultValue: 15,
  }),
  emailalertfrom: spec({
    name: 'emailalertfrom',
    syntax: '<address>',
    defaultText: '<user>@<hostname>',
    help: 'From header of alerts.',
    global: {
      form: 'raw',
      parse: nonEmpty('no email from address specified', 'emailalertfrom=ldirectord@example.com'),
    },
  }),
  smtp: spec({
    name: 'smtp',
    syntax: '<host>',
    defaultText: 'local sendmail',
    help: 'SMTP server (port 25) for alerts instead of the local mailer.',
    global: { form: 'raw', parse: smtp },
    virtual: { form: 'raw', parse: smtp },
    inheritsGlobal: true,
  }),
  servicename: spec({
    name: 'servicename',
    syntax: '<text>',
    defaultText: 'none',
    help: 'Name used in alert subjects and bodies.',
    virtual: { form: 'raw', parse: anyText },
  }),
  comment: spec({
    name: 'comment',
    syntax: '<text>',
    defaultText: 'none',
    help: 'Comment added to alert bodies.',
    virtual: { form: 'raw', parse: anyText },
  }),
  load: spec({
    name: 'load',
    syntax: '"<text>"',
    defaultText: 'none',
    help: 'Accepted and ignored (the original never used it).',
    virtual: {
      form: 'quoted',
      parse: (text) => {
        const word = /\w+/.exec(text)?.[0];
        return word === undefined
          ? fail('invalid-load', 'invalid string for load testing', 'load="<word>"')
          : ok(word);
      },
    },
    notice: {
      code: 'load-no-effect',
      category: 'no-effect',
      message: 'load has no effect',
      hint: 'The Perl original stores it and never uses it; so does ldirectord-ts.',
    },
  }),
};

type ValueOf<S> = S extends DirectiveSpec<infer T> ? T : never;

/** The type of each directive's checked value, by name. */
export type DirectiveValues = { [N in keyof typeof TABLE]: ValueOf<(typeof TABLE)[N]> };
export type DirectiveName = keyof DirectiveValues;

/** The directive table by name: `DIRECTIVE[name]` knows the type of its value. */
export const DIRECTIVE: { readonly [N in DirectiveName]: DirectiveSpec<DirectiveValues[N]> } =
  TABLE;

/** Every directive, in the order of the man page. */
export const DIRECTIVES: readonly DirectiveSpec[] = Object.values(DIRECTIVE);

export function isDirectiveName(name: string): name is DirectiveName {
  return Object.hasOwn(DIRECTIVE, name);
}

export function rule(name: string, scope: Scope): ScopeRule | undefined {
  if (!isDirectiveName(name)) return undefined;
  const d: DirectiveSpec = DIRECTIVE[name];
  return scope === 'global' ? d.global : d.virtual;
}

/** Names accepted in a scope (virtual/virtual6 are not directives of either scope). */
export function namesIn(scope: Scope): string[] {
  return DIRECTIVES.filter((d) => (scope === 'global' ? d.global : d.virtual)).map((d) => d.name);
}

/** The closest known name, for "did you mean" hints. */
export function suggestName(name: string, scope: Scope): string | undefined {
  const lower = name.toLowerCase();
  const candidates = [...namesIn(scope), ...(scope === 'global' ? ['virtual', 'virtual6'] : [])];
  let best: string | undefined;
  let bestDistance = 3;
  for (const c of candidates) {
    const d = c === lower ? 0 : editDistance(lower, c);
    if (d < bestDistance) {
      bestDistance = d;
      best = c;
    }
  }
  return best;
}

function editDistance(a: string, b: string): number {
  if (Math.abs(a.length - b.length) > 2) return 3;
  let prev = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) {
      cur[j] = Math.min(
        prev[j]! + 1,
        cur[j - 1]! + 1,
        prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1),
      );
    }
    prev = cur;
  }
  return prev[b.length]!;
}

export type { Outcome, ValueContext };
