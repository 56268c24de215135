// E-mail alerts (§5.3): a mail for every real or fallback server added, restored, quiesced,
// deleted or purged, reminders every emailalertfreq seconds while a real stays down, filtered
// by emailalertstatus, sent through smtp= or the local sendmail — with the original's subject
// and body. Fixed (§6 item 29): a comma-separated emailalert becomes one RCPT per address and
// the SMTP result is checked. Fixed (peers.md §1.2): the fallback server never gets
// "Inaccessible" reminders, and reminders for reals that left the config stop on reload.
import { hostname as osHostname, userInfo } from 'node:os';
import nodemailer from 'nodemailer';
import { virtualString } from '../config/identity.ts';
import {
  type DaemonStatus,
  EMAIL_STATUS_BITS,
  type GlobalConfig,
  type VirtualService,
} from '../config/model.ts';
import type { PlannedCommand } from '../ipvs/types.ts';
import { hostPort } from '../lib/inet.ts';

export interface OutgoingMail {
  /** The header, as configured (emailalertfrom) or user@hostname. */
  from: string;
  /** The envelope sender: always user@hostname, as the original's MAIL FROM. */
  envelopeFrom: string;
  /** The To header, as configured. */
  toHeader: string;
  /** One envelope recipient per address. */
  recipients: string[];
  subject: string;
  text: string;
  /** Send through this SMTP host (port 25, or smtpPort); else through the local sendmail. */
  smtp?: string;
}

export type MailSender = (mail: OutgoingMail) => Promise<void>;

export interface AlertLog {
  info(message: string, fields?: Record<string, unknown>): void;
}

export interface EmailAlerterOptions {
  global: Pick<GlobalConfig, 'emailalertfrom'>;
  log: AlertLog;
  send?: MailSender;
  hostname?: string;
  username?: string;
  /** Seconds since the epoch. */
  now?: () => number;
  smtpPort?: number;
  sendmailPath?: string;
}

interface Reminder {
  virtual: VirtualService;
  server: string;
  since: number;
}

export class EmailAlerter {
  private readonly options: EmailAlerterOptions;
  private readonly hostname: string;
  private readonly username: string;
  private readonly send: MailSender;
  private readonly reminders = new Map<string, Reminder>();
  private global: Pick<GlobalConfig, 'emailalertfrom'>;

  constructor(options: EmailAlerterOptions) {
    this.options = options;
    this.global = options.global;
    this.hostname = options.hostname ?? osHostname();
    this.username = options.username ?? safeUsername();
    this.send = options.send ?? nodemailerSender(options.smtpPort ?? 25, options.sendmailPath);
  }

  /**
   * After an applied ipvsadm command: the alert the original sends for it, if any (none for
   * commands on a virtual service itself).
   */
  async notify(command: PlannedCommand, status: DaemonStatus): Promise<void> {
    if (command.alert === undefined || !command.target) return;
    const virtual = command.virtual;
    const server = hostPort(command.target.address, command.target.port);
    const key = reminderKey(server, virtual);
    const startsReminder =
      command.target.kind === 'real' &&
      (command.event === 'quiescent' ||
        command.event === 'readd-quiescent' ||
        command.event === 'deleted');
    const now = this.now();
    if (startsReminder && virtual.emailalertfreq > 0) {
      this.reminders.set(key, { virtual, server, since: now });
    } else {
      this.reminders.delete(key);
    }
    await this.deliver(command.alert, virtual, status);
  }

  /** Reminders for reals still down: called once per check cycle (the original: after each sleep). */
  async resend(status: DaemonStatus): Promise<void> {
    const now = this.now();
    for (const reminder of this.reminders.values()) {
      if (now - reminder.since < reminder.virtual.emailalertfreq) continue;
      reminder.since = now;
      const id = reminderKey(reminder.server, reminder.virtual);
      await this.deliver(`Inaccessible real server: ${id}`, reminder.virtual, status);
    }
  }

  /** A new config: keep reminders only for reals still configured, with their new settings. */
  reload(global: Pick<GlobalConfig, 'emailalertfrom'>, virtuals: readonly VirtualService[]): void {
    this.global = global;
    const current = new Map<string, VirtualService>();
    for (const v of virtuals) {
      for (const r of v.reals) current.set(reminderKey(hostPort(r.address, r.port), v), v);
    }
    for (const [key, reminder] of this.reminders) {
      const v = current.get(key);
      if (!v || v.emailalertfreq <= 0) this.reminders.delete(key);
      else reminder.virtual = v;
    }
  }

  /** Reals with pending reminders, for status output. */
  get pendingReminders(): string[] {
    return [...this.reminders.keys()];
  }

  private async deliver(logText: string, v: VirtualService, status: DaemonStatus): Promise<void> {
    if ((v.emailalertstatus & EMAIL_STATUS_BITS[status]) === 0) return;
    const recipients = v.emailalert
      .split(',')
      .map((a) => a.trim())
      .filter(Boolean);
    if (recipients.length === 0) return;
    this.options.log.info(`emailalert: ${logText}`);
    const subject = v.servicename ? `[${v.servicename}] ${logText}` : logText;
    let text =
      `ldirectord host: ${this.hostname}\n` +
      `Log-Message: ${subject}\n` +
      `Daemon-Status: ${status}\n`;
    let details = '';
    if (v.servicename) details += `Service name: ${v.servicename}\n`;
    if (v.comment) details += `Comment: ${v.comment}\n`;
    if (details) text += `\n${details}\n`;
    const envelopeFrom = `${this.username}@${this.hostname}`;
    try {
      await this.send({
        from: this.global.emailalertfrom ?? envelopeFrom,
        envelopeFrom,
        toHeader: v.emailalert,
        recipients,
        subject,
        text,
        smtp: v.smtp,
      });
    } catch (error) {
      const what = v.smtp ? 'failed to send SMTP email message' : 'failed to send email message';
      this.options.log.info(`${what}: ${(error as Error).message}`);
    }
  }

  private now(): number {
    return this.options.now?.() ?? Math.floor(Date.now() / 1000);
  }
}

function reminderKey(server: string, v: VirtualService): string {
  return `${server} (${virtualString(v)})`;
}

function safeUsername(): string {
  try {
    return userInfo().username;
  } catch {
    return 'root';
  }
}

/** Sends through nodemailer: SMTP to `smtp` (no authentication, as the original), else sendmail. */
export function nodemailerSender(smtpPort = 25, sendmailPath = '/usr/sbin/sendmail'): MailSender {
  return async (mail) => {
    const transport = mail.smtp
      ? nodemailer.createTransport({
          host: mail.smtp,
          port: smtpPort,
          secure: false,
          // Opportunistic STARTTLS without verification: an internal relay's certificate is
          // rarely trusted, and the original sent in plain text.
          tls: { rejectUnauthorized: false },
          connectionTimeout: 10_000,
          greetingTimeout: 10_000,
          socketTimeout: 20_000,
        })
      : nodemailer.createTransport({ sendmail: true, newline: 'unix', path: sendmailPath });
    try {
      // A raw message keeps the original's plain layout (no quoted-printable soft breaks in the
      // body, no folding surprises); nodemailer still runs the SMTP dialogue or sendmail.
      const info = await transport.sendMail({
        envelope: { from: mail.envelopeFrom, to: mail.recipients },
        raw: rawMessage(mail),
      });
      const rejected = (info as { rejected?: unknown[] }).rejected ?? [];
      if (rejected.length > 0) throw new Error(`recipients rejected: ${rejected.join(', ')}`);
    } finally {
      transport.close();
    }
  };
}

function encodeHeader(value: string): string {
  // RFC 2047 for non-ASCII (a servicename in another language); ASCII stays readable.
  return /^[\x20-\x7e]*$/.test(value)
    ? value
    : `=?UTF-8?B?${Buffer.from(value).toString('base64')}?=`;
}

function rawMessage(mail: OutgoingMail): string {
  const headers = [
    `From: ${encodeHeader(mail.from)}`,
    `To: ${mail.toHeader}`,
    `Subject: ${encodeHeader(mail.subject)}`,
    `Date: ${new Date().toUTCString().replace('GMT', '+0000')}`,
    `Message-ID: <${Date.now().toString(36)}.${process.pid}.${Math.random().toString(36).slice(2)}@${mail.envelopeFrom.split('@')[1]}>`,
    'MIME-Version: 1.0',
    'Content-Type: text/plain; charset=utf-8',
    'Content-Transfer-Encoding: 8bit',
  ];
  return `${headers.join('\r\n')}\r\n\r\n${mail.text.replace(/\r?\n/g, '\r\n')}`;
}
