// The original's lexical rules (§2.1) and where ldirectord-ts is lenient about them.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { codes, errors, inVirtual, load, parseText } from '../support/config-helpers.ts';

test('comments and blank lines at top level are skipped, including indented comments', () => {
  const r = parseText('# c\n   # indented comment\n\n   \ncheckinterval=5\n');
  assert.deepEqual(r.diagnostics, []);
  assert.equal(r.tree.globals[0]!.name, 'checkinterval');
  assert.equal(r.tree.globals[0]!.line, 5);
});

test('a global directive must start in column 0', () => {
  const r = parseText('  checkinterval=5\n');
  assert.equal(r.diagnostics.length, 1);
  assert.equal(r.diagnostics[0]!.message, 'Unknown command   checkinterval=5');
  assert.match(r.diagnostics[0]!.hint!, /column 0/);
});

test('a section indented by 2 spaces: one error saying the indentation the original needs', () => {
  const r = parseText(
    [
      'virtual=127.0.0.1:80',
      '  real=127.0.0.2:80 gate',
      '  real=127.0.0.3:80 gate',
      '  # a comment',
      '  service=http',
      'checktimeout=5',
      '  checkinterval=5',
      '',
    ].join('\n'),
  );
  const [first, other, ...rest] = errors(r.diagnostics);
  assert.deepEqual(rest, []);
  assert.equal(first!.line, 2);
  assert.equal(first!.message, 'Unknown command   real=127.0.0.2:80 gate', "the original's words");
  assert.match(first!.hint!, /Indented by 2 spaces/);
  assert.match(first!.hint!, /virtual section of line 1/);
  assert.match(first!.hint!, /at least 4 spaces or a TAB/);
  assert.match(first!.hint!, /lines 2-5/);
  assert.doesNotMatch(first!.hint!, /column 0/, 'not the advice for global lines');
  // A global line ends the run: an indented line after it is another mistake.
  assert.equal(other!.line, 7);
  assert.match(other!.hint!, /column 0/);
});

test('indentation of 4 spaces or a TAB opens a virtual section; 3 spaces do not', () => {
  const ok = parseText(
    'virtual=127.0.0.1:80\n    real=127.0.0.2:80 gate\n\treal=127.0.0.3:80 gate\n',
  );
  assert.deepEqual(ok.diagnostics, []);
  assert.equal(ok.tree.virtuals[0]!.directives.length, 2);
  const three = parseText('virtual=127.0.0.1:80\n   real=127.0.0.2:80 gate\n');
  assert.equal(three.diagnostics[0]!.code, 'unknown-directive');
  assert.equal(three.diagnostics[0]!.line, 2);
});

test('a comment line inside a section does not end it', () => {
  const r = parseText(
    'virtual=127.0.0.1:80\n# top comment\n\t# indented\n\treal=127.0.0.2:80 gate\n',
  );
  assert.deepEqual(r.diagnostics, []);
  assert.equal(r.tree.virtuals[0]!.directives.length, 1);
});

test('a blank line ends a section; indented lines after it continue it with a migration warning', () => {
  const r = parseText(
    'virtual=127.0.0.1:80\n\treal=127.0.0.2:80 gate\n\n\treal=127.0.0.3:80 gate\n',
  );
  assert.deepEqual(errors(r.diagnostics), []);
  assert.equal(r.tree.virtuals[0]!.directives.length, 2);
  const w = r.diagnostics.find((d) => d.code === 'section-continues-after-blank')!;
  assert.equal(w.line, 4);
  assert.equal(w.category, 'differs-from-perl');
  assert.match(w.hint!, /blank line 3/);
});

test('after a blank line a column-0 line is top level again', () => {
  const r = parseText('virtual=127.0.0.1:80\n\treal=127.0.0.2:80 gate\n\nquiescent=yes\n');
  assert.deepEqual(r.diagnostics, []);
  assert.equal(r.tree.globals[0]!.name, 'quiescent');
});

test("inside a section '#' starts a comment anywhere and TABs become 4 spaces", () => {
  const r = parseText(
    'virtual=127.0.0.1:80\n\treal=127.0.0.2:80 gate # a comment\n\tservicename=a\tb\n',
  );
  assert.deepEqual(r.diagnostics, []);
  const [real, name] = r.tree.virtuals[0]!.directives;
  assert.equal((real!.value as { forward: string }).forward, 'gate');
  assert.equal(name!.value, 'a    b');
});

test("at top level '#' is part of the value (raw values are not comment-stripped)", () => {
  const r = parseText('execute=other.cf # not a comment\n');
  assert.equal(r.tree.globals[0]!.value, 'other.cf # not a comment');
});

test("'#' inside quotes: kept when the line is invalid otherwise, with a migration warning", () => {
  const r = parseText(inVirtual('request="/page#top"'));
  assert.deepEqual(errors(r.diagnostics), []);
  const request = r.tree.virtuals[0]!.directives.find((d) => d.name === 'request')!;
  assert.equal(request.value, '/page#top');
  assert.ok(codes(r.diagnostics).includes('hash-inside-quotes'));
});

test("'#' after a closed quote is still a comment, as in the original", () => {
  const r = parseText(inVirtual('receive="a" # "b"'));
  assert.deepEqual(r.diagnostics, []);
  assert.equal(r.tree.virtuals[0]!.directives.at(-1)!.value, 'a');
});

test('quoted values: greedy up to the last quote, no escapes, trailing text ignored', () => {
  const r = parseText(inVirtual('request="x" "y"', 'receive="a\\"b" junk'));
  const d = r.tree.virtuals[0]!.directives;
  assert.equal(d.find((n) => n.name === 'request')!.value, '/x" "y');
  assert.equal(d.find((n) => n.name === 'receive')!.value, 'a\\"b');
});

test('an unquoted value of a quoted directive is accepted with a migration warning', () => {
  const r = parseText(inVirtual('receive=OK  '));
  assert.equal(r.tree.virtuals[0]!.directives.at(-1)!.value, 'OK');
  const w = r.diagnostics.find((d) => d.code === 'unquoted-value')!;
  assert.equal(w.category, 'differs-from-perl');
  assert.match(w.message, /read as "OK"$/, 'says the value as it is used');
});

test('typographic quotes around a quoted value are read as quotes, and the warning shows the value used', () => {
  const r = parseText(
    inVirtual(
      'receive=\u201cTest Ldirectord"',
      'request=\u201c/index.html\u201d',
      'passwd=\u201eDo not show\u201d',
      'checkcommand=\u201c/bin/check\u201d',
    ),
  );
  assert.deepEqual(errors(r.diagnostics), []);
  const value = (name: string) =>
    r.tree.virtuals[0]!.directives.find((d) => d.name === name)!.value;
  assert.equal(value('receive'), 'Test Ldirectord');
  assert.equal(value('request'), '/index.html');
  assert.equal(value('passwd'), 'Do not show');
  assert.equal(value('checkcommand'), '/bin/check');
  const notes = r.diagnostics.filter((d) => d.code === 'typographic-quotes');
  assert.equal(notes.length, 4);
  assert.match(notes[0]!.message, /^receive in typographic quotes read as "Test Ldirectord"$/);
  assert.equal(notes[0]!.line, 3);
  assert.equal(notes[0]!.category, 'differs-from-perl', 'the original rejects the line');
  assert.ok(!notes.some((n) => n.message.includes('Do not show')), 'a password is never shown');
});

test('a raw value in typographic quotes keeps them, and the warning says so', () => {
  const r = parseText(inVirtual('virtualhost=\u201cwww.example.com\u201d'));
  const node = r.tree.virtuals[0]!.directives.find((d) => d.name === 'virtualhost')!;
  assert.equal(node.value, '\u201cwww.example.com\u201d', 'as the original reads it');
  const w = r.diagnostics.find((d) => d.code === 'typographic-quotes')!;
  assert.match(w.message, /virtualhost is used as "\u201cwww\.example\.com\u201d"/);
  assert.equal(w.category, undefined, 'both programs read it so');
});

test('CR LF line ends are ignored, with one migration warning', () => {
  const r = parseText(
    'quiescent=yes\r\nfork=no\r\nvirtual=127.0.0.1:80\r\n\treal=127.0.0.2:80 gate\r\n',
  );
  assert.deepEqual(errors(r.diagnostics), []);
  assert.deepEqual(codes(r.diagnostics), ['crlf-line-ends']);
  assert.equal(r.tree.globals[0]!.value, true);
});

test('UTF-8 in comments and values is fine', () => {
  const r = parseText(
    '# ldirectord用于检查\nvirtual=127.0.0.1:80\n\t# 注释\n\tservicename=Café\n\treal=127.0.0.2:80 gate\n',
  );
  assert.deepEqual(r.diagnostics, []);
  assert.equal(r.tree.virtuals[0]!.directives[0]!.value, 'Café');
});

test('directive names are case-sensitive, with a suggestion', () => {
  const r = parseText('Quiescent=yes\n');
  assert.equal(r.diagnostics[0]!.message, 'Unknown command Quiescent=yes');
  assert.match(r.diagnostics[0]!.hint!, /Did you mean quiescent\?/);
});

test('a global-only directive inside a section, and a virtual-only one at top level, say so', () => {
  const r = parseText(`${inVirtual('readdquiescent=yes')}scheduler=rr\n`);
  const [inside, outside] = r.diagnostics;
  assert.equal(inside!.message, 'Unknown command "\\treaddquiescent=yes"');
  assert.match(inside!.hint!, /global directive/);
  assert.equal(outside!.message, 'Unknown command scheduler=rr');
  assert.match(outside!.hint!, /only valid inside a virtual section/);
});

test('messages never contain raw TABs or newlines', () => {
  const r = parseText('virtual=127.0.0.1:80\n\tbogus=\tx\n');
  for (const d of r.diagnostics) assert.doesNotMatch(d.message, /[\t\n\r]/);
});

test('a misspelt password directive is not echoed', () => {
  const r = parseText(inVirtual('pasword="hunter2"'));
  assert.equal(r.diagnostics[0]!.message, 'Unknown command "\\tpasword=********"');
  assert.doesNotMatch(JSON.stringify(r.diagnostics), /hunter2/);
});

test('columns point at the value, counting a TAB as one column', () => {
  const r = parseText('virtual=127.0.0.1:80\n\tquiescent=maybe\n');
  assert.equal(r.diagnostics[0]!.line, 2);
  assert.equal(r.diagnostics[0]!.column, 12);
  const top = parseText('checkinterval = often\n');
  assert.equal(top.diagnostics[0]!.column, 17);
});

test('every error is collected, not only the first', () => {
  const r = parseText(
    'quiescent=x\nfork=y\nvirtual=127.0.0.1:80\n\tops=z\n\treal=127.0.0.2:80 gate\n',
  );
  assert.deepEqual(
    r.diagnostics.map((d) => d.line),
    [1, 2, 4],
  );
});

test('virtual= on the last line is accepted (the original reports a duplicate)', async () => {
  const r = await load('virtual=127.0.0.1:80\n\treal=127.0.0.2:80 gate\nvirtual=127.0.0.1:81');
  assert.ok(r.config);
  assert.equal(r.config.virtuals.length, 2);
  assert.ok(codes(r.diagnostics).includes('virtual-last-line'));
});

test('duplicate virtual services point at the second virtual= line (not the end of its section)', async () => {
  const r = await load(
    'virtual=127.0.0.1:80\n\treal=127.0.0.2:80 gate\nvirtual=127.0.0.1:80\n\treal=127.0.0.3:80 gate\nquiescent=no\n',
  );
  const e = errors(r.diagnostics);
  assert.equal(e.length, 1);
  assert.equal(e[0]!.message, 'duplicate virtual server');
  assert.equal(e[0]!.line, 3);
  assert.match(e[0]!.hint!, /line 1/);
});

test('a byte order mark is ignored with a migration warning', () => {
  const r = parseText('\uFEFFcheckinterval=5\n');
  assert.deepEqual(codes(r.diagnostics), ['byte-order-mark']);
  assert.equal(r.tree.globals[0]!.value, 5);
});

test('lines of 5+ spaces inside a section are ignored with a migration warning', () => {
  const r = parseText('virtual=127.0.0.1:80\n\treal=127.0.0.2:80 gate\n        \n\tchecktype=on\n');
  assert.deepEqual(codes(r.diagnostics), ['whitespace-only-line']);
  assert.equal(r.tree.virtuals[0]!.directives.length, 2);
});
