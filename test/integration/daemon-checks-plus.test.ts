// The daemon end to end with the HTTP, TLS and agent directives (issue 12): real HTTPS servers
// on 127.31.13.x with certificates of a CA made by openssl for this run (the right name and
// address, a wrong name, an expired one), real TCP agents, the fake ipvsadm. The table follows
// the certificates as tlsverify says, the status httpstatus accepts with the header httpheader
// sends, and the weight and state the agents report; the header's secret never reaches the
// log, the monitorfile or the status.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import {
  createServer as createHttpServer,
  type IncomingMessage,
  type ServerResponse,
} from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { createServer as createNetServer, type Server } from 'node:net';
import { after, before, test } from 'node:test';
import { DaemonScratch, eventually } from '../support/daemon-harness.ts';
import { BIN } from '../support/ldts.ts';
import { freePort, listenOn } from '../support/listeners.ts';
import { makeCertificates, type TestCertificates } from '../support/tls-certificates.ts';

const GOOD = '127.31.13.10';
const WRONG_NAME = '127.31.13.11';
const EXPIRED = '127.31.13.12';
const ECHO = '127.31.13.13';
const TOKEN = 'e2e-s3cret-t0ken';

const s = new DaemonScratch('daemon-checks-plus');
const servers: Server[] = [];
const ports: Record<string, number> = {};
let certificates: TestCertificates;
let agentPort = 0;
/** What each host's agent replies. */
const agentReply: Record<string, string> = {
  [GOOD]: '50%\n',
  [WRONG_NAME]: 'ready\n',
  [EXPIRED]: 'ready\n',
};

/** 401 (accepted by httpstatus) when the probe header came, 500 otherwise. */
function health(req: IncomingMessage, res: ServerResponse): void {
  if (req.headers['x-probe'] === TOKEN) res.writeHead(401).end('who are you');
  else res.writeHead(500).end('no probe header');
}

function listen(server: Server, host: string, port = 0): Promise<number> {
  servers.push(server);
  return listenOn(server, host, port);
}

/** One agent port number free on every host: the config names one agentport per virtual. */
async function agents(hosts: string[]): Promise<number> {
  for (let attempt = 0; attempt < 10; attempt++) {
    const port = await freePort(hosts[0]!);
    const started: Server[] = [];
    try {
      for (const host of hosts) {
        const server = createNetServer((socket) => {
          socket.on('error', () => {});
          socket.end(agentReply[host] ?? '');
        });
        started.push(server);
        await listen(server, host, port);
      }
      return port;
    } catch {
      for (const server of started) server.close();
    }
  }
  throw new Error('no agent port free on every host');
}

before(async () => {
  certificates = makeCertificates();
  const good = certificates.issue({ name: 'real.example', ips: [GOOD] });
  const wrong = certificates.issue({ name: 'other.example' });
  const expired = certificates.issue({ name: 'real.example', ips: [EXPIRED], expired: true });
  ports.good = await listen(createHttpsServer(good, health), GOOD);
  ports.wrong = await listen(createHttpsServer(wrong, health), WRONG_NAME);
  ports.expired = await listen(createHttpsServer(expired, health), EXPIRED);
  ports.echo = await listen(
    createHttpServer((req, res) => res.end(`you sent ${req.headers['x-probe']}`)),
    ECHO,
  );
  agentPort = await agents([GOOD, WRONG_NAME, EXPIRED]);
  s.write('ca.pem', readFileSync(certificates.caFile, 'utf8'));
});

after(() => {
  s.kill();
  for (const server of servers) server.close();
  certificates.remove();
  s.cleanup();
});

function config(): string {
  return `checkinterval=1
checktimeout=2
negotiatetimeout=2
logfile="{{DIR}}/ldirectord.log"
quiescent=no
tlsca={{DIR}}/ca.pem
httpheader="X-Probe: ${TOKEN}"

virtual=10.31.13.1:443
\treal=${GOOD}:${ports.good} masq 4
\treal=${WRONG_NAME}:${ports.wrong} masq 4
\treal=${EXPIRED}:${ports.expired} masq 4
\tservice=https
\trequest="/health"
\ttlsverify=yes
\thttpstatus=200-299,401
\tagentport=${agentPort}
\tagentinterval=1

virtual=10.31.13.2:443
\treal=${WRONG_NAME}:${ports.wrong} masq
\treal=${EXPIRED}:${ports.expired} masq
\tservice=https
\ttlsverify=no
\thttpstatus=401

virtual=10.31.13.3:80
\treal=${ECHO}:${ports.echo} masq
\tservice=http
\treceive="nothing like this"
\tmonitorfile="{{DIR}}/monitor.log"
`;
}

const entry = (vip: string, host: string, port: number, weight: number): string =>
  `-a -t ${vip} -r ${host}:${port} -m -w ${weight}`;

test('TLS verification, httpstatus with httpheader, and agent weights drive the table', async () => {
  s.config(config());
  const check = spawnSync(process.execPath, [BIN, 'check', s.cf], { encoding: 'utf8' });
  assert.equal(check.status, 0, check.stdout);
  assert.match(check.stdout, /agentport is an ldirectord-ts extension/);
  s.start();
  const vip1 = '10.31.13.1:443';
  await eventually(
    () => s.table().includes(entry(vip1, GOOD, ports.good!, 2)),
    'the good real in at 50% of weight 4',
  );
  const table = s.table();
  assert.doesNotMatch(table, new RegExp(`-t ${vip1} -r ${WRONG_NAME}`), 'wrong name: out');
  assert.doesNotMatch(table, new RegExp(`-t ${vip1} -r ${EXPIRED}`), 'expired: out');
  // tlsverify=no lets both in (401 is accepted there too).
  assert.match(table, new RegExp(`-t 10\\.31\\.13\\.2:443 -r ${WRONG_NAME}:${ports.wrong}`));
  assert.match(table, new RegExp(`-t 10\\.31\\.13\\.2:443 -r ${EXPIRED}:${ports.expired}`));

  agentReply[GOOD] = 'drain\n';
  await eventually(
    () => s.table().includes(entry(vip1, GOOD, ports.good!, 0)),
    'drained: weight 0',
  );
  agentReply[GOOD] = 'maint\n';
  await eventually(() => !s.table().includes(`-t ${vip1} -r ${GOOD}`), 'maint: out');
  agentReply[GOOD] = 'ready 100%\n';
  await eventually(
    () => s.table().includes(entry(vip1, GOOD, ports.good!, 4)),
    'back at full weight',
  );
  await s.waitForLog(
    new RegExp(`^Agent ${GOOD.replaceAll('.', '\\.')}:${agentPort} says "maint": maint`),
  );

  const status = s.run([s.cf, 'status', '--json']);
  assert.equal(status.code, 0);
  assert.match(status.stdout, /"endpoint": "127\.31\.13\.10:\d+"/);

  // The echoing real fails its receive with the header in its body: masked wherever it goes.
  await eventually(() => s.read('monitor.log').includes('you sent'), 'the echo checked');
  const everything = s.log + s.read('monitor.log') + status.stdout;
  assert.doesNotMatch(everything, new RegExp(TOKEN));
  assert.match(s.read('monitor.log'), /you sent \*{8}/);
  assert.equal(s.action('stop').code, 0);
});
