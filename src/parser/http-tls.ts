// Value parsers of the HTTP and TLS check directives (ldirectord-ts extensions: no Perl idiom
// to keep, so values are read strictly): httpstatus, httpheader, tlsca, tlsservername; and
// how `check` shows a status set and a header (its value masked).
import { isIP } from 'node:net';
import { excerpt } from '../lib/printable.ts';
import { MASK } from '../lib/secrets.ts';
import type { HttpHeader, StatusRange, StatusRanges } from '../model/domain.ts';
import { fail, ok } from './outcome.ts';
import { extensionText, type ValueParser } from './values.ts';

const STATUS_HINT =
  'Statuses from 100 to 599 and ranges of them, separated by commas, e.g. httpstatus=200-299,301,401.';

/** Sorted, with ranges that overlap or touch merged. */
function merged(ranges: StatusRange[]): StatusRanges {
  const sorted = [...ranges].sort((a, b) => a[0] - b[0]);
  const out: Array<[number, number]> = [];
  for (const [low, high] of sorted) {
    const last = out.at(-1);
    if (last && low <= last[1] + 1) last[1] = Math.max(last[1], high);
    else out.push([low, high]);
  }
  return out;
}

export const httpstatus: ValueParser<StatusRanges> = (text, ctx) => {
  const value = extensionText(text, ctx);
  const ranges: StatusRange[] = [];
  let offset = text.length - text.trimStart().length;
  for (const item of value.split(',')) {
    const trimmed = item.trim();
    const at = offset + (item.length - item.trimStart().length);
    offset += item.length + 1;
    const m = /^(\d{3})(?:[\t ]*-[\t ]*(\d{3}))?$/.exec(trimmed);
    if (!m) {
      const what =
        trimmed === ''
          ? 'httpstatus has an empty item'
          : `httpstatus: "${excerpt(trimmed)}" is not an HTTP status or a range of them`;
      return fail('invalid-httpstatus', what, STATUS_HINT, at);
    }
    const low = Number(m[1]);
    const high = Number(m[2] ?? m[1]);
    if (low < 100 || high > 599) {
      return fail(
        'invalid-httpstatus',
        `httpstatus: ${excerpt(trimmed)} is not from 100 to 599`,
        STATUS_HINT,
        at,
      );
    }
    if (low > high) {
      return fail(
        'invalid-httpstatus',
        `httpstatus: the range ${trimmed} runs backwards`,
        `Write the lower status first, e.g. ${high}-${low}.`,
        at,
      );
    }
    ranges.push([low, high]);
  }
  return ok(merged(ranges));
};

export function formatStatus(ranges: StatusRanges): string {
  return ranges.map(([low, high]) => (low === high ? `${low}` : `${low}-${high}`)).join(',');
}

/** RFC 9110 token characters. */
const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

/** Headers a check must not set: they belong to the request's framing or to another directive. */
const RESERVED: Readonly<Record<string, string>> = {
  host: 'The Host header is virtualhost=: write virtualhost=<name>.',
  'content-length': 'The check sends no body; the HTTP client frames the request itself.',
  'transfer-encoding': 'The check sends no body; the HTTP client frames the request itself.',
  connection: 'The HTTP client manages the connection (one per check, as the original).',
  'keep-alive': 'The HTTP client manages the connection (one per check, as the original).',
  upgrade: 'A check cannot switch protocols.',
  expect: 'The check sends no body to expect a 100 Continue for.',
  te: 'The HTTP client sets its own transfer codings.',
  trailer: 'The check sends no body to trail.',
};

const HEADER_HINT = 'httpheader="Name: value", e.g. httpheader="X-Health-Check: ldirectord".';

/** `Name: value`. The value is a secret: no message quotes it. */
export const httpheader: ValueParser<HttpHeader> = (text, ctx) => {
  const value = extensionText(text, ctx);
  const colon = value.indexOf(':');
  const name = colon < 0 ? value : value.slice(0, colon);
  if (colon <= 0 || !TOKEN.test(name)) {
    return fail(
      'invalid-httpheader',
      colon <= 0
        ? 'httpheader must be "Name: value"'
        : `httpheader: "${excerpt(name)}" is not a header name`,
      `${HEADER_HINT} A name is letters, digits and !#$%&'*+.^_\`|~- with no space before the colon.`,
    );
  }
  const reserved = RESERVED[name.toLowerCase()];
  if (reserved !== undefined) {
    return fail('invalid-httpheader', `httpheader cannot set ${name}`, reserved);
  }
  const headerValue = value.slice(colon + 1).trim();
  if (/[\x00-\x08\x0a-\x1f\x7f]/.test(headerValue)) {
    return fail(
      'invalid-httpheader',
      `httpheader ${name}: the value holds a control character`,
      HEADER_HINT,
    );
  }
  return ok({ name, value: headerValue });
};

export function formatHeader(header: HttpHeader): string {
  return `${header.name}: ${MASK}`;
}

export const tlsca: ValueParser<string> = (text, ctx) => {
  const value = extensionText(text, ctx);
  return value.startsWith('/')
    ? ok(value)
    : fail(
        'invalid-tlsca',
        'tlsca must be the absolute path of a PEM file',
        'e.g. tlsca=/etc/ldirectord/real-servers-ca.pem',
      );
};

const HOST_NAME =
  /^(?=.{1,253}$)[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,62})(?:\.[A-Za-z0-9_][A-Za-z0-9_-]{0,62})*\.?$/;

export const tlsservername: ValueParser<string> = (text, ctx) => {
  const value = extensionText(text, ctx);
  if (isIP(value) !== 0) {
    return fail(
      'invalid-tlsservername',
      'tlsservername must be a host name, not an address',
      'SNI carries names only; without tlsservername, tlsverify=yes checks the certificate against the address the check connects to.',
    );
  }
  return HOST_NAME.test(value)
    ? ok(value)
    : fail(
        'invalid-tlsservername',
        `tlsservername "${excerpt(value)}" is not a host name`,
        'e.g. tlsservername=www.example.com',
      );
};
