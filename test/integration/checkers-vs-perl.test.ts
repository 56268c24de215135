// Differential test against the Perl original: the same real servers are checked by
// /usr/sbin/ldirectord (in -d mode, results read from its monitorfiles and debug output) and
// by our checkers, and both must agree on up or down, except where docs/compatibility.md says
// the original is wrong; those cases assert both sides, so the difference stays documented.
import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer as createHttpServer } from 'node:http';
import { createServer as createNetServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { checkConnect } from '../../src/checkers/connect.ts';
import { checkExternal } from '../../src/checkers/external.ts';
import { checkExternalPerl } from '../../src/checkers/external-perl.ts';
import { checkHttp } from '../../src/checkers/http.ts';
import { checkSimpletcp } from '../../src/checkers/simpletcp.ts';
import type { Checker, CheckTarget } from '../../src/checkers/types.ts';
import { runCheck, target } from '../support/checkers.ts';
import { PerlLdirectord, perlUnavailableReason } from '../support/perl-ldirectord.ts';

const skip = perlUnavailableReason();
const HTTP = '127.0.1.50';
const TCP = '127.0.1.51';
const CLOSED = '127.0.1.254';
const servers: Server[] = [];
const ports: Record<string, number> = {};
let scripts: string;

interface Case {
  name: string;
  /** Lines of the virtual section (the real= line included), tab-indented by the builder. */
  section: string[];
  checker: Checker;
  target: Partial<CheckTarget>;
  /** Where the original reports: its monitorfile, or its debug output (external-perl). */
  via?: 'debug';
  /** Set when the original is known to be wrong: its verdict, ours being the opposite. */
  perlDiffers?: boolean;
  /** Compare the reason too (the original's monitorfile message). */
  sameReason?: boolean;
}

before(async () => {
  if (skip) return;
  const http = createHttpServer((req, res) => {
    const url = req.url ?? '/';
    const redirect = /^\/r\/(\d+)$/.exec(url);
    if (url === '/') res.end('I am healthy');
    else if (url === '/sick') res.end('I am sick');
    else if (url === '/empty') res.writeHead(204).end();
    else if (url === '/reset') {
      res.writeHead(200, { 'content-length': '100000' });
      res.write('I am healthy, partially');
      setTimeout(() => req.socket.resetAndDestroy(), 50);
    } else if (url === '/stall') {
      res.writeHead(200, { 'content-length': '100000' });
      res.write('I am healthy, partially');
    } else if (url === '/vhost')
      res.writeHead(req.headers.host === 'www.example.org' ? 200 : 404).end('vhost');
    else if (redirect) {
      const n = Number(redirect[1]);
      if (n === 0) res.end('landed');
      else res.writeHead(302, { location: `/r/${n - 1}` }).end();
    } else res.writeHead(404).end('nothing here');
  });
  const listen = (server: Server, name: string, host: string) =>
    new Promise<void>((resolve) => {
      servers.push(server);
      server.listen(0, host, () => {
        ports[name] = (server.address() as { port: number }).port;
        resolve();
      });
    });
  await listen(http, 'http', HTTP);
  await listen(
    createNetServer((s) => {
      s.on('error', () => {});
      s.end('SSH-2.0-OpenSSH_9.2\r\n');
    }),
    'garbage',
    TCP,
  );
  await listen(
    createNetServer((s) => {
      s.on('error', () => {});
      s.on('data', () => {});
      s.on('end', () => s.end('hello\nSTATUS: OK\n'));
    }),
    'lines',
    TCP,
  );
  scripts = mkdtempSync(join(tmpdir(), 'ldts-vs-perl-'));
  const script = (name: string, body: string) => {
    writeFileSync(join(scripts, name), body);
    chmodSync(join(scripts, name), 0o755);
  };
  script('up.sh', '#!/bin/sh\nexit 0\n');
  script('down.sh', '#!/bin/sh\nexit 1\n');
  script('signal.sh', '#!/bin/sh\nkill -KILL $$\n');
  script('args.sh', '#!/bin/sh\nprintf "%s\\n" "$@" > "$ARGS_DIR/args-$4"\n');
  script('end.pl', 'my $x = 1;\n');
  script('die.pl', 'die "no\\n";\n');
});

after(() => {
  for (const s of servers) s.close();
  if (scripts) rmSync(scripts, { recursive: true, force: true });
});

function cases(): Case[] {
  const web = (
    name: string,
    lines: string[],
    t: Partial<CheckTarget>,
    extra: Partial<Case> = {},
  ): Case => ({
    name,
    section: [`real=${HTTP}:${ports.http} masq`, 'service=http', ...lines],
    checker: checkHttp,
    target: { host: HTTP, port: ports.http, ...t },
    sameReason: true,
    ...extra,
  });
  return [
    web('http up', ['request="/"', 'receive="healthy"'], { request: '/', receive: 'healthy' }),
    web('http wrong body', ['request="/sick"', 'receive="healthy"'], {
      request: '/sick',
      receive: 'healthy',
    }),
    web('http 404', ['request="/missing"'], { request: '/missing' }),
    web('http 204', ['request="/empty"'], { request: '/empty' }),
    web('http redirects', ['request="/r/3"', 'receive="landed"'], {
      request: '/r/3',
      receive: 'landed',
    }),
    web('http 8 redirects', ['request="/r/8"'], { request: '/r/8' }),
    web('http HEAD', ['request="/"', 'httpmethod=HEAD'], { httpmethod: 'HEAD' }),
    web(
      'http HEAD with receive',
      ['request="/"', 'receive="healthy"', 'httpmethod=HEAD'],
      { httpmethod: 'HEAD', receive: 'healthy' },
      { sameReason: false },
    ),
    web('http virtualhost', ['request="/vhost"', 'virtualhost=www.example.org'], {
      request: '/vhost',
      virtualhost: 'www.example.org',
    }),
    web('http no virtualhost', ['request="/vhost"'], { request: '/vhost' }),
    web(
      'http reset mid-body (the original matches the partial body: up)',
      ['request="/reset"', 'receive="healthy"'],
      { request: '/reset', receive: 'healthy' },
      { perlDiffers: true, sameReason: false },
    ),
    web(
      'http body stalls after the headers (the original matches the partial body at its alarm: up)',
      ['request="/stall"', 'receive="healthy"', 'negotiatetimeout=1'],
      { request: '/stall', receive: 'healthy', timeoutMs: 1000 },
      { perlDiffers: true, sameReason: false },
    ),
    web('http perl regex', ['request="/"', 'receive="^I am \\w++\\Z"'], {
      request: '/',
      receive: '^I am \\w++\\Z',
    }),
    {
      name: 'http garbage (HTTP/0.9 "200 Assumed OK" in the original)',
      section: [`real=${TCP}:${ports.garbage} masq`, 'service=http'],
      checker: checkHttp,
      target: { host: TCP, port: ports.garbage },
      perlDiffers: true,
    },
    {
      name: 'connect up',
      section: [`real=${HTTP}:${ports.http} masq`, 'checktype=connect'],
      checker: checkConnect,
      target: { host: HTTP, port: ports.http },
    },
    {
      name: 'connect refused',
      section: [`real=${CLOSED}:9 masq`, 'checktype=connect'],
      checker: checkConnect,
      target: { host: CLOSED, port: 9 },
    },
    {
      name: 'simpletcp match',
      section: [
        `real=${TCP}:${ports.lines} masq`,
        'service=simpletcp',
        'request="/STATUS"',
        'receive="^STATUS: OK"',
      ],
      checker: checkSimpletcp,
      target: {
        service: 'simpletcp',
        host: TCP,
        port: ports.lines,
        request: '/STATUS',
        receive: '^STATUS: OK',
      },
    },
    {
      name: 'simpletcp no match',
      section: [
        `real=${TCP}:${ports.lines} masq`,
        'service=simpletcp',
        'request="/STATUS"',
        'receive="^BAD"',
      ],
      checker: checkSimpletcp,
      target: {
        service: 'simpletcp',
        host: TCP,
        port: ports.lines,
        request: '/STATUS',
        receive: '^BAD',
      },
    },
    ...(['up', 'down'] as const).map((s, i) => ({
      name: `external ${s}`,
      section: [
        `real=127.0.1.${70 + i}:80 masq`,
        'checktype=external',
        `checkcommand="${join(scripts, `${s}.sh`)}"`,
      ],
      checker: checkExternal,
      target: { host: `127.0.1.${70 + i}`, realPort: 80, checkcommand: join(scripts, `${s}.sh`) },
    })),
    {
      name: 'external killed by a signal (status 0, "up", in the original)',
      section: [
        'real=127.0.1.72:80 masq',
        'checktype=external',
        `checkcommand="${join(scripts, 'signal.sh')}"`,
      ],
      checker: checkExternal,
      target: { host: '127.0.1.72', realPort: 80, checkcommand: join(scripts, 'signal.sh') },
      perlDiffers: true,
    },
    ...(['end', 'die'] as const).map((s, i) => ({
      name: `external-perl ${s}`,
      section: [
        `real=127.0.1.${73 + i}:80 masq`,
        'checktype=external-perl',
        `checkcommand="${join(scripts, `${s}.pl`)}"`,
      ],
      checker: checkExternalPerl,
      target: { host: `127.0.1.${73 + i}`, realPort: 80, checkcommand: join(scripts, `${s}.pl`) },
      via: 'debug' as const,
    })),
  ];
}

test('our checkers agree with the Perl original', { skip }, async () => {
  const all = cases();
  const config = ['checkinterval=1', 'checktimeout=3', 'negotiatetimeout=3', 'quiescent=no'];
  all.forEach((c, i) => {
    // A distinct weight gives each real its own real-id: the original checks a real-id once
    // per pass and shares the result with every virtual holding the same one
    // (docs/ldirectord-behavior.md §4.1).
    const section = [
      `${c.section[0]} ${i + 1}`,
      ...c.section.slice(1),
      `monitorfile="{{DIR}}/case-${i}.log"`,
    ];
    config.push(`virtual=10.1.1.${i + 1}:80`, ...section.map((l) => `\t${l}`), '');
  });
  const perl = PerlLdirectord.start({ config: config.join('\n') });
  const verdicts: Array<{ up: boolean; reason: string }> = [];
  try {
    for (const [i, c] of all.entries()) {
      if (c.via === 'debug') {
        // external-perl results are not monitor-logged; -d prints them at debug level 3.
        const pattern = new RegExp(
          `^DEBUG3: (Activated|Deactivated) service ${c.target.host!.replaceAll('.', '\\.')}:80\\b`,
          'm',
        );
        for (let n = 0; n < 150 && !pattern.test(perl.log); n++)
          await new Promise((r) => setTimeout(r, 100));
        const m = pattern.exec(perl.log);
        assert.ok(m, `no verdict from the original for ${c.name}:\n${perl.log}`);
        verdicts.push({ up: m[1] === 'Activated', reason: '' });
      } else {
        const entries = await perl.waitForMonitor(
          `{{DIR}}/case-${i}.log`,
          (e) => e.length > 0,
          15_000,
        );
        verdicts.push({ up: entries[0]!.status === 'up', reason: entries[0]!.message });
      }
    }
  } finally {
    await perl.stop();
  }
  const disagreements: string[] = [];
  for (const [i, c] of all.entries()) {
    const ours = await runCheck(c.checker, target({ timeoutMs: 3000, ...c.target }));
    const theirs = verdicts[i]!;
    const expected = c.perlDiffers ? !theirs.up : theirs.up;
    if (ours.up !== expected)
      disagreements.push(
        `${c.name}: perl ${theirs.up ? 'up' : 'down'} (${theirs.reason}), ours ${ours.up ? 'up' : 'down'} (${ours.reason})`,
      );
    else if (c.sameReason && ours.reason !== theirs.reason)
      disagreements.push(`${c.name}: perl says "${theirs.reason}", ours "${ours.reason}"`);
  }
  assert.deepEqual(disagreements, []);
});

test(
  'external: the original and ours pass the same arguments (IPv4, IPv6, fwmark)',
  {
    skip,
  },
  async () => {
    const perlArgs = mkdtempSync(join(tmpdir(), 'ldts-args-perl-'));
    const ourArgs = mkdtempSync(join(tmpdir(), 'ldts-args-ours-'));
    const command = join(scripts, 'args.sh');
    const perl = PerlLdirectord.start({
      env: { ARGS_DIR: perlArgs },
      config: [
        'checkinterval=1',
        'checktimeout=3',
        'virtual=10.1.2.1:80',
        `\treal=127.0.1.80:8080 masq`,
        '\tchecktype=external',
        `\tcheckcommand="${command}"`,
        '',
        'virtual6=[2001:db8::1]:80',
        `\treal6=[::1]:8081 masq`,
        '\tchecktype=external',
        `\tcheckcommand="${command}"`,
        '',
        'virtual=7',
        `\treal=127.0.1.81 masq`,
        '\tchecktype=external',
        `\tcheckcommand="${command}"`,
        '',
      ].join('\n'),
    });
    const read = (d: string, rport: string) => {
      try {
        return readFileSync(join(d, `args-${rport}`), 'utf8');
      } catch {
        return undefined;
      }
    };
    try {
      for (
        let i = 0;
        i < 150 && ['8080', '8081', '0'].some((p) => read(perlArgs, p) === undefined);
        i++
      ) {
        await new Promise((r) => setTimeout(r, 100));
      }
    } finally {
      await perl.stop();
    }
    process.env.ARGS_DIR = ourArgs;
    const ext = (t: Partial<CheckTarget>) =>
      runCheck(checkExternal, target({ checkcommand: command, ...t }));
    await ext({ virtualAddress: '10.1.2.1', virtualPort: 80, host: '127.0.1.80', realPort: 8080 });
    await ext({
      family: 6,
      virtualAddress: '2001:db8::1',
      virtualPort: 80,
      host: '::1',
      realPort: 8081,
    });
    await ext({
      protocol: 'fwm',
      fwmark: 7,
      virtualAddress: '',
      virtualPort: 0,
      host: '127.0.1.81',
      realPort: 0,
    });
    for (const rport of ['8080', '8081', '0']) {
      const theirs = read(perlArgs, rport);
      assert.ok(theirs, `the original never ran the command for rport ${rport}:\n${perl.log}`);
      assert.equal(read(ourArgs, rport), theirs, `arguments for rport ${rport}`);
    }
    rmSync(perlArgs, { recursive: true, force: true });
    rmSync(ourArgs, { recursive: true, force: true });
  },
);

test(
  'external-perl: exit(n) in the script is its verdict, in the original and ours',
  {
    skip,
  },
  async () => {
    const exit = (n: number) => {
      const file = join(scripts, `exit${n}.pl`);
      writeFileSync(file, `exit(${n});\nmy $never = 1;\n`);
      return file;
    };
    const files = [exit(0), exit(3)];
    const perl = PerlLdirectord.start({
      config: [
        'checkinterval=1',
        ...files.flatMap((file, i) => [
          `virtual=10.1.3.${i + 1}:80`,
          `\treal=127.0.1.${83 + i}:80 masq`,
          '\tchecktype=external-perl',
          `\tcheckcommand="${file}"`,
          '',
        ]),
      ].join('\n'),
    });
    const verdict = async (host: string): Promise<boolean> => {
      const pattern = new RegExp(
        `^DEBUG3: (Activated|Deactivated) service ${host.replaceAll('.', '\\.')}:80\\b`,
        'm',
      );
      for (let n = 0; n < 150 && !pattern.test(perl.log); n++)
        await new Promise((r) => setTimeout(r, 100));
      const m = pattern.exec(perl.log);
      assert.ok(m, perl.log);
      return m[1] === 'Activated';
    };
    try {
      assert.equal(await verdict('127.0.1.83'), true);
      assert.equal(await verdict('127.0.1.84'), false);
    } finally {
      await perl.stop();
    }
    const ours = (file: string) =>
      runCheck(checkExternalPerl, target({ host: '127.0.1.83', realPort: 80, checkcommand: file }));
    assert.equal((await ours(files[0]!)).up, true);
    assert.deepEqual(await ours(files[1]!).then((r) => [r.up, r.reason]), [false, 'exit status 3']);
  },
);
