// E-mail alerts against a real SMTP server (smtp-server, in this process) on 127.0.0.1.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { SMTPServer } from 'smtp-server';
import { EmailAlerter, nodemailerSender } from '../../src/daemon/email-alerts.ts';
import type { PlannedCommand } from '../../src/ipvs/types.ts';
import type { VirtualService } from '../../src/config/model.ts';
import { makeVirtual } from '../support/model-builders.ts';

interface Received {
  from: string;
  to: string[];
  data: string;
}
const received: Received[] = [];
const server = new SMTPServer({
  authOptional: true,
  disabledCommands: ['STARTTLS'],
  logger: false,
  onRcptTo(address, _session, callback) {
    if (address.address.startsWith('nobody@')) callback(new Error('550 no such user'));
    else callback();
  },
  onData(stream, session, callback) {
    let data = '';
    stream.on('data', (b: Buffer) => {
      data += b.toString();
    });
    stream.on('end', () => {
      received.push({
        from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
        to: session.envelope.rcptTo.map((r) => r.address),
        data,
      });
      callback();
    });
  },
});
let port = 0;
before(async () => {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.server.address() as { port: number }).port;
});
after(() => new Promise<void>((resolve) => server.close(() => resolve())));

/** A command on a real (or the fallback) of `virtual` whose alert is its log line. */
function command(
  virtual: VirtualService,
  event: PlannedCommand['event'],
  message: string,
  kind: 'real' | 'fallback' = 'real',
): PlannedCommand {
  const address = kind === 'real' ? '10.6.6.2' : '127.0.0.1';
  return {
    args: [],
    line: '',
    message,
    alert: message,
    event,
    virtual,
    virtualId: 'tcp:10.6.6.1:80',
    service: 'tcp4|10.6.6.1|80',
    destination: `4|${address}|80`,
    target: { kind, address, port: 80 },
    serves: [],
  };
}

function alerter(logLines: string[], now: () => number = () => 1000): EmailAlerter {
  return new EmailAlerter({
    global: { emailalertfrom: '"LD Alerts" <ld@example.com>' },
    log: { info: (m) => logLines.push(m) },
    hostname: 'vm',
    username: 'root',
    now,
    send: nodemailerSender(port),
  });
}

const web = makeVirtual({
  address: '10.6.6.1',
  emailalert: 'ops@example.com, oncall@example.com',
  smtp: '127.0.0.1',
  servicename: 'Web Site',
  comment: 'Call Bob',
});

test('a quiesced real sends the original subject and body to every recipient', async () => {
  received.length = 0;
  const log: string[] = [];
  await alerter(log).notify(
    command(web, 'quiescent', 'Quiescent real server: 10.6.6.2:80 (10.6.6.1:80) (Weight set to 0)'),
    'running',
  );
  assert.deepEqual(log, [
    'emailalert: Quiescent real server: 10.6.6.2:80 (10.6.6.1:80) (Weight set to 0)',
  ]);
  assert.equal(received.length, 1);
  const mail = received[0]!;
  assert.equal(mail.from, 'root@vm');
  assert.deepEqual(mail.to, ['ops@example.com', 'oncall@example.com']);
  assert.match(mail.data, /^From: "LD Alerts" <ld@example\.com>\r?$/m);
  assert.match(mail.data, /^To: ops@example\.com, oncall@example\.com\r?$/m);
  assert.match(
    mail.data,
    /^Subject: \[Web Site\] Quiescent real server: 10\.6\.6\.2:80 \(10\.6\.6\.1:80\) \(Weight set to 0\)\r?$/m,
  );
  const body = mail.data
    .split(/\r?\n\r?\n/)
    .slice(1)
    .join('\n\n')
    .replace(/\r\n/g, '\n');
  assert.equal(
    body,
    'ldirectord host: vm\n' +
      'Log-Message: [Web Site] Quiescent real server: 10.6.6.2:80 (10.6.6.1:80) (Weight set to 0)\n' +
      'Daemon-Status: running\n' +
      '\nService name: Web Site\nComment: Call Bob\n\n',
  );
});

test('a rejected recipient is reported, not ignored', async () => {
  received.length = 0;
  const log: string[] = [];
  const v = makeVirtual({ ...web, emailalert: 'nobody@example.com' });
  await alerter(log).notify(
    command(v, 'deleted', 'Deleted real server: 10.6.6.2:80 (10.6.6.1:80)'),
    'running',
  );
  assert.equal(received.length, 0);
  assert.match(log[1]!, /^failed to send SMTP email message: /);
});

test('emailalertstatus filters by daemon status; virtual events send nothing', async () => {
  received.length = 0;
  const log: string[] = [];
  const onlyRunning = makeVirtual({ ...web, emailalertstatus: 2 });
  const a = alerter(log);
  await a.notify(
    command(onlyRunning, 'added', 'Added real server: 10.6.6.2:80 (10.6.6.1:80) (Weight set to 1)'),
    'starting',
  );
  await a.notify(
    {
      ...command(web, 'virtual-added', 'Added virtual server: 10.6.6.1:80'),
      alert: undefined,
      target: undefined,
    },
    'running',
  );
  assert.equal(received.length, 0);
  assert.deepEqual(log, []);
});

test('reminders repeat every emailalertfreq while a real stays down, never for the fallback', async () => {
  received.length = 0;
  const log: string[] = [];
  let now = 1000;
  const v = makeVirtual({ ...web, emailalertfreq: 60 });
  const a = alerter(log, () => now);
  await a.notify(
    command(v, 'deleted', 'Deleted real server: 10.6.6.2:80 (10.6.6.1:80)'),
    'running',
  );
  await a.notify(
    command(v, 'deleted', 'Deleted fallback server: 127.0.0.1:80 (10.6.6.1:80)', 'fallback'),
    'running',
  );
  now += 30;
  await a.resend('running');
  assert.equal(received.length, 2, 'nothing before the frequency has passed');
  now += 31;
  await a.resend('running');
  assert.equal(received.length, 3);
  assert.match(
    received[2]!.data,
    /Subject: \[Web Site\] Inaccessible real server: 10\.6\.6\.2:80 \(10\.6\.6\.1:80\)/,
  );
  await a.notify(
    command(v, 'added', 'Added real server: 10.6.6.2:80 (10.6.6.1:80) (Weight set to 1)'),
    'running',
  );
  now += 120;
  await a.resend('running');
  assert.equal(received.length, 4, 'the real came back: no more reminders');
});

test('reload drops reminders for reals that left the config', async () => {
  received.length = 0;
  let now = 0;
  const v = makeVirtual({ ...web, emailalertfreq: 10 });
  const a = alerter([], () => now);
  await a.notify(
    command(v, 'deleted', 'Deleted real server: 10.6.6.2:80 (10.6.6.1:80)'),
    'running',
  );
  assert.deepEqual(a.pendingReminders, ['10.6.6.2:80 (10.6.6.1:80)']);
  a.reload({}, [makeVirtual({ ...v, reals: [] })]);
  assert.deepEqual(a.pendingReminders, []);
  now += 100;
  await a.resend('running');
  assert.equal(received.length, 1);
});
