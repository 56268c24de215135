// The hand-written scanners that replace the original's backtracking patterns (issue 17,
// item 2) must give exactly the match those patterns give. The patterns are kept here, as the
// oracle, and both run on many short random strings built from the characters that matter
// (seeded, so a failure is reproducible).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { cutTrailingComment, splitOnComma, trimTrailingSpace, WS } from '../../src/lib/perl.ts';
import { lastWords } from '../../src/parser/fallback.ts';
import {
  firstWord,
  matchRealAddress,
  requestReceivePair,
  spacedNumber,
  strictRealFlags,
} from '../../src/parser/real-scan.ts';
import { prng } from '../support/parse-fuzz.ts';

// The original's patterns, as src/parser/real.ts and fallback.ts ran them before.
const HOST = '\\d+\\.\\d+\\.\\d+\\.\\d+|[A-Za-z0-9.-]+|\\[[0-9A-fa-f:]+\\]';
const REAL_RE = new RegExp(`(${HOST})(->(${HOST}))?(:(\\d+|[A-Za-z0-9_-]+))?${WS}+(.*)`, 's');
const FORWARD_RE = /(\w+)(.*)/s;
const WEIGHT_RE = new RegExp(`${WS}+(\\d+)(.*)`, 's');
const REQUEST_RECEIVE_RE = new RegExp(`${WS}+"(.*)"[, ]${WS}*"(.*)"(.*)`, 's');
const LOWER_RE = new RegExp(`${WS}+l:(\\d+)(.*)`, 's');
const UPPER_RE = new RegExp(`${WS}+u:(\\d+)(.*)`, 's');
const STRICT_RE = new RegExp(
  `^${WS}*(gate|masq|ipip)(?:${WS}+(\\d+))?(?:${WS}+"(.*)"[, ]${WS}*"(.*)")?` +
    `(?:${WS}+"?([lu]):(\\d+)"?)?(?:${WS}+"?([lu]):(\\d+)"?)?${WS}*$`,
  's',
);
const WORDS_RE = new RegExp(`([^\\t\\n\\v\\f\\r ]+)(${WS}+([^\\t\\n\\v\\f\\r ]+))?${WS}*$`, 's');

const RUNS = 30_000;

function generator(seed: number, pieces: readonly string[], maxPieces = 14): () => string {
  const random = prng(seed);
  return () => {
    const count = Math.floor(random() * maxPieces);
    let out = '';
    for (let i = 0; i < count; i++) out += pieces[Math.floor(random() * pieces.length)];
    return out;
  };
}

const ADDRESS_PIECES = [
  ...'0123456789.-[]>:_ \t\nagzAG^`\\"#',
  '->',
  '10.0.0.1',
  '1.2.3',
  '[::1]',
  '[a:b]',
  ':80',
  ':http',
  ' gate',
  ']:',
];

test('matchRealAddress reads the address as the original pattern does', () => {
  const next = generator(1, ADDRESS_PIECES);
  for (let i = 0; i < RUNS; i++) {
    const text = next();
    const m = REAL_RE.exec(text);
    const ours = matchRealAddress(text);
    const slice = (s?: { start: number; end: number }) => s && text.slice(s.start, s.end);
    const got = ours && {
      index: ours.index,
      host: slice(ours.host),
      hostEnd: slice(ours.hostEnd),
      port: slice(ours.port),
      flagsStart: ours.flagsStart,
    };
    const want = m && {
      index: m.index,
      host: m[1],
      hostEnd: m[3],
      port: m[5],
      flagsStart: m.index + m[0].length - m[6]!.length,
    };
    assert.deepEqual(got, want ?? undefined, JSON.stringify(text));
  }
});

const FLAG_PIECES = [
  ...' \t"\',lu:0123456789x/',
  ' ',
  ' ',
  '"',
  '"',
  ', ',
  'l:',
  'u:',
  ' l:5',
  ' u:9',
  ' "l:2"',
  'gate',
  'masq',
  ' 5',
  '"a"',
  ' "/x", "y"',
];

test('the steps of add_real_server (forward, weight, request/receive, thresholds) match', () => {
  const next = generator(2, FLAG_PIECES);
  for (let i = 0; i < RUNS; i++) {
    const text = next();
    const fwd = FORWARD_RE.exec(text);
    const word = firstWord(text);
    assert.deepEqual(
      word && { index: word.start, word: text.slice(word.start, word.end) },
      fwd ? { index: fwd.index, word: fwd[1] } : undefined,
      JSON.stringify(text),
    );
    for (const [re, prefix] of [
      [WEIGHT_RE, ''],
      [LOWER_RE, 'l:'],
      [UPPER_RE, 'u:'],
    ] as const) {
      const m = re.exec(text);
      const ours = spacedNumber(text, prefix);
      assert.deepEqual(
        ours && { index: ours.index, digits: text.slice(ours.digits.start, ours.digits.end) },
        m ? { index: m.index, digits: m[1] } : undefined,
        `${prefix} ${JSON.stringify(text)}`,
      );
      if (ours) assert.equal(ours.digits.end, m!.index + m![0].length - m![2]!.length);
    }
    const rr = REQUEST_RECEIVE_RE.exec(text);
    const pair = requestReceivePair(text);
    assert.deepEqual(
      pair && {
        index: pair.index,
        request: text.slice(pair.request.start, pair.request.end),
        receive: text.slice(pair.receive.start, pair.receive.end),
        rest: pair.rest,
      },
      rr
        ? {
            index: rr.index,
            request: rr[1],
            receive: rr[2],
            rest: rr.index + rr[0].length - rr[3]!.length,
          }
        : undefined,
      JSON.stringify(text),
    );
  }
});

test('strictRealFlags reads the documented syntax as the anchored pattern does', () => {
  const next = generator(3, FLAG_PIECES, 10);
  const forwards = ['gate', 'masq', ' ipip', 'gate ', 'gat'];
  for (let i = 0; i < RUNS; i++) {
    const text = forwards[i % forwards.length]! + next();
    const m = STRICT_RE.exec(text);
    const want = m && {
      forward: m[1],
      weight: m[2],
      request: m[3],
      receive: m[4],
      thresholds: [
        [m[5], m[6]],
        [m[7], m[8]],
      ]
        .filter(([kind]) => kind !== undefined)
        .map(([kind, digits]) => ({ kind, digits })),
    };
    const ours = strictRealFlags(text);
    const got = ours && {
      forward: ours.forward,
      weight: ours.weight,
      request: ours.request,
      receive: ours.receive,
      thresholds: ours.thresholds,
    };
    assert.deepEqual(got, want ?? undefined, JSON.stringify(text));
  }
});

test('fallback: the last one or two words, as the unanchored pattern reads them', () => {
  const next = generator(4, [...'ab:1 \t\u00a0[]', '  ', 'gate', 'host:80']);
  for (let i = 0; i < RUNS; i++) {
    const text = next();
    const m = WORDS_RE.exec(text);
    assert.deepEqual(
      lastWords(text),
      m
        ? { index: m.index, first: m[1], ...(m[3] !== undefined ? { second: m[3] } : {}) }
        : undefined,
      JSON.stringify(text),
    );
  }
});

test('trailing spaces, trailing comments and the emailalertstatus split match the patterns', () => {
  const next = generator(5, [...' \t\r#a,\u00a0', '  ', ' #', ', ']);
  for (let i = 0; i < RUNS; i++) {
    const text = next();
    const where = JSON.stringify(text);
    assert.equal(trimTrailingSpace(text), text.replace(new RegExp(`${WS}+$`), ''), where);
    assert.equal(cutTrailingComment(text), text.replace(new RegExp(`${WS}+#.*$`, 's'), ''), where);
    assert.deepEqual(splitOnComma(text), text.split(new RegExp(`${WS}*,${WS}*`)), where);
  }
});
