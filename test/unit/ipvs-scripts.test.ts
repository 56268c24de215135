// The ipvsadm command scripts, their recorded kernel transcripts, and the transcript diff used
// by the real-kernel tier (test/support/ipvs-scripts.ts). Runs without root or qemu.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import {
  diffTranscripts,
  IPVS_KERNEL_DIR,
  type IpvsTranscript,
  loadIpvsScripts,
  parseIpvsScript,
} from '../support/ipvs-scripts.ts';

test('a script is commands, quoted words and here-documents', () => {
  const script = parseIpvsScript(
    'x.sh',
    [
      '# comment',
      '',
      "ipvsadm -A -t 10.0.0.1:80 -s ''",
      "  ipvsadm -a -r 'a b'c  -w 1",
      "ipvsadm -R <<'EOF'",
      '-A -t 10.0.0.2:80',
      '  # kept as is',
      'EOF',
      'ipvsadm -L -n',
    ].join('\n'),
  );
  assert.deepEqual(script.steps, [
    { line: 3, argv: ['-A', '-t', '10.0.0.1:80', '-s', ''], stdin: null },
    { line: 4, argv: ['-a', '-r', 'a bc', '-w', '1'], stdin: null },
    { line: 5, argv: ['-R'], stdin: '-A -t 10.0.0.2:80\n  # kept as is\n' },
    { line: 9, argv: ['-L', '-n'], stdin: null },
  ]);
});

test('a script line that is not an ipvsadm command is refused with its position', () => {
  assert.throws(() => parseIpvsScript('x.sh', 'ipvsadm -C\nrm -rf /'), /x\.sh:2: .*ipvsadm/);
  assert.throws(() => parseIpvsScript('x.sh', "ipvsadm -s 'rr"), /x\.sh:1: unbalanced quote/);
  assert.throws(() => parseIpvsScript('x.sh', 'ipvsadm -R <<EOF\n-C'), /x\.sh:1: no line EOF/);
});

test('every script has a recorded transcript of exactly its commands', () => {
  const scripts = loadIpvsScripts();
  assert.ok(scripts.length >= 10);
  for (const script of scripts) {
    const file = join(IPVS_KERNEL_DIR, script.name.replace(/\.sh$/, '.json'));
    const recorded = JSON.parse(readFileSync(file, 'utf8')) as IpvsTranscript;
    assert.deepEqual(
      recorded.steps.map(({ line, argv, stdin }) => ({ line, argv, stdin })),
      script.steps,
      `${file} is stale: re-record with scripts/record-ipvs-kernel.ts`,
    );
  }
});

const base: IpvsTranscript = {
  script: 's.sh',
  steps: [
    {
      line: 1,
      argv: ['-A', '-t', '10.0.0.1:80'],
      stdin: null,
      stdout: '',
      stderr: '',
      exitCode: 0,
    },
    {
      line: 2,
      argv: ['-L', '-n'],
      stdin: null,
      stdout: 'head\nTCP  10.0.0.1:80 wlc\ntail\n',
      stderr: '',
      exitCode: 0,
    },
  ],
  finalTable: '-A -t 10.0.0.1:80 -s wlc\n',
};

test('identical transcripts have no differences', () => {
  assert.deepEqual(diffTranscripts(base, structuredClone(base)), []);
});

test('differences name the command and show exit status and changed lines', () => {
  const other = structuredClone(base);
  other.steps[0]!.exitCode = 2;
  other.steps[0]!.stderr = 'oops\n';
  other.steps[1]!.stdout = 'head\nTCP  10.0.0.1:80 rr\ntail\n';
  other.finalTable = '';
  assert.deepEqual(diffTranscripts(base, other), [
    's.sh:1 ipvsadm -A -t 10.0.0.1:80\n  exit status: kernel 0, fake 2\n  stderr:\n    + oops',
    's.sh:2 ipvsadm -L -n\n  stdout:\n    - TCP  10.0.0.1:80 wlc\n    + TCP  10.0.0.1:80 rr',
    's.sh: table after the last step (-S -n)\n    - -A -t 10.0.0.1:80 -s wlc',
  ]);
});

test('transcripts of different commands are reported as such', () => {
  const other = structuredClone(base);
  other.steps[1]!.argv = ['-S', '-n'];
  assert.match(diffTranscripts(base, other)[0]!, /step 2: the transcripts run different commands/);
});
