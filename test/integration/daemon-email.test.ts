// E-mail alerts through the running daemon (docs/ldirectord-behavior.md §5.3), to a real SMTP
// server (smtp-server) on 127.0.5.60, reached through LDIRECTORD_TS_SMTP_PORT: a mail when a real
// goes down and when it comes back, reminders every emailalertfreq while it stays down,
// emailalertstatus choosing the daemon states that send, one RCPT per comma-separated recipient
// (§6 item 29, fixed).
// Real servers: TCP listeners on 127.0.5.61-69 (checktype=connect); IPVS: the fake ipvsadm.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { SMTPServer } from 'smtp-server';
import { alive, DaemonScratch, eventually, Switchable } from '../support/daemon-harness.ts';

interface Mail {
  from: string;
  to: string[];
  subject: string;
  status: string;
  data: string;
  at: number;
}
const mails: Mail[] = [];
const smtp = new SMTPServer({
  authOptional: true,
  disabledCommands: ['STARTTLS'],
  logger: false,
  // A slow relay for the stop mail: the daemon must not exit before it is through.
  onRcptTo(address, _session, callback) {
    if (address.address === 'dba@example.com') setTimeout(() => callback(), 1500);
    else callback();
  },
  onData(stream, session, callback) {
    let data = '';
    stream.on('data', (b: Buffer) => (data += b.toString()));
    stream.on('end', () => {
      mails.push({
        from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
        to: session.envelope.rcptTo.map((r) => r.address),
        subject: /^Subject: (.*)\r?$/m.exec(data)?.[1] ?? '',
        status: /^Daemon-Status: (.*)\r?$/m.exec(data)?.[1] ?? '',
        data,
        at: Date.now(),
      });
      callback();
    });
  },
});
let port = 0;
const s = new DaemonScratch('daemon-email');
const web = new Switchable('127.0.5.61', 8080);
const db = new Switchable('127.0.5.62', 8080);

before(async () => {
  await new Promise<void>((resolve) => smtp.listen(0, '127.0.5.60', resolve));
  port = (smtp.server.address() as { port: number }).port;
  await web.up();
  await db.up();
});
after(async () => {
  s.kill();
  await web.down();
  await db.down();
  await new Promise<void>((resolve) => smtp.close(() => resolve()));
  s.cleanup();
});

const CONFIG = `checkinterval=1
logfile="{{DIR}}/ldirectord.log"
smtp=127.0.5.60
emailalertfrom="LD Alerts" <ld@example.com>
virtual=10.5.6.1:80
\treal=127.0.5.61:8080 masq
\tchecktype=connect
\temailalert="ops@example.com, oncall@example.com"
\temailalertfreq=2
\tservicename=Web Site
\tcomment=Call Bob

virtual=10.5.6.2:3306
\treal=127.0.5.62:8080 masq
\tchecktype=connect
\temailalert="dba@example.com"
\temailalertstatus=stopping
`;

const subjects = (from = 0): string[] => mails.slice(from).map((m) => m.subject);

test('alerts, reminders, status filtering and recipients, through the daemon', async () => {
  s.config(CONFIG);
  const env = { LDIRECTORD_TS_SMTP_PORT: String(port) };
  // start without blocking this process: the SMTP server here must answer meanwhile.
  const start = await s.runAsync([s.cf, 'start'], { env });
  assert.equal(start.code, 0, start.stderr);
  const pid = s.daemonPid!;

  await eventually(
    () =>
      subjects().includes(
        '[Web Site] Added real server: 127.0.5.61:8080 (10.5.6.1:80) (Weight set to 1)',
      ),
    () => `the start-up mail; got: ${subjects().join(' | ')}`,
  );
  const added = mails.find((m) => m.subject.includes('Added real server'))!;
  assert.equal(added.status, 'starting', 'sent while the daemon was starting');
  assert.deepEqual(added.to, ['ops@example.com', 'oncall@example.com'], 'one RCPT each');
  assert.match(added.data, /^From: "LD Alerts" <ld@example\.com>\r?$/m);
  assert.match(added.data, /^To: ops@example\.com, oncall@example\.com\r?$/m);
  assert.match(added.data, /\nService name: Web Site\r?\nComment: Call Bob\r?\n/);
  assert.match(s.log, /emailalert: Added real server: 127\.0\.5\.61:8080 \(10\.5\.6\.1:80\)/);

  // Down: one alert, then a reminder every 2 s while it stays down.
  const mark = mails.length;
  await web.down();
  await eventually(
    () => subjects(mark).includes('[Web Site] Deleted real server: 127.0.5.61:8080 (10.5.6.1:80)'),
    () => `the down mail; got: ${subjects(mark).join(' | ')}`,
  );
  const down = mails.slice(mark).find((m) => m.subject.includes('Deleted real server'))!;
  assert.equal(down.status, 'running');
  await eventually(
    () => subjects(mark).filter((x) => x.includes('Inaccessible real server')).length >= 2,
    () => `two reminders; got: ${subjects(mark).join(' | ')}`,
  );
  const reminders = mails
    .slice(mark)
    .filter(
      (m) => m.subject === '[Web Site] Inaccessible real server: 127.0.5.61:8080 (10.5.6.1:80)',
    );
  assert.ok(reminders.length >= 2);
  const gap = reminders[1]!.at - reminders[0]!.at;
  assert.ok(gap >= 1500, `reminders about emailalertfreq=2 s apart, not ${gap} ms`);

  // Back: one alert, and no more reminders.
  await web.up();
  await eventually(
    () => mails.slice(mark).some((m) => m.subject.startsWith('[Web Site] Added real server')),
    'the up mail',
  );
  const upAt = mails.length;
  await new Promise((r) => setTimeout(r, 3000));
  assert.deepEqual(
    subjects(upAt).filter((x) => x.includes('Inaccessible')),
    [],
    'reminders stop once the real is back',
  );

  // emailalertstatus=stopping: the database virtual sent nothing while starting or running...
  assert.ok(!mails.some((m) => m.to.includes('dba@example.com')), 'nothing for dba yet');
  await db.down();
  await eventually(() => !s.table().includes('127.0.5.62'), 'db deleted');
  await db.up();
  await eventually(() => s.table().includes('127.0.5.62'), 'db back');
  assert.ok(!mails.some((m) => m.to.includes('dba@example.com')), 'nothing for dba while running');

  // ...and mails when the clean stop purges its real.
  const stop = await s.runAsync([s.cf, 'stop']);
  assert.equal(stop.code, 0, stop.stderr);
  assert.ok(!alive(pid));
  const dba = mails.filter((m) => m.to.includes('dba@example.com'));
  assert.deepEqual(
    dba.map((m) => [m.subject, m.status]),
    [['Purged real server (stop): 127.0.5.62:8080 (10.5.6.2:3306)', 'stopping']],
    'the stop mail was sent before the daemon exited',
  );
});
