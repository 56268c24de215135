// Normalized views of a resolved config — ours (model.ts) and the Perl original's dump — so the
// differential test compares the values that matter, field by field.
import { effectiveRequest } from '../../src/config/identity.ts';
import type { Config, FallbackServer } from '../../src/config/model.ts';

type Json = Record<string, unknown>;

export interface NormalVirtual {
  id: string;
  fields: Record<string, unknown>;
  reals: string[];
}

export interface Normal {
  global: Record<string, unknown>;
  virtuals: NormalVirtual[];
}

const str = (v: unknown): string | undefined =>
  v === undefined || v === null ? undefined : String(v);
const num = (v: unknown): number | undefined =>
  v === undefined || v === null ? undefined : Number(v);
const yes = (v: unknown): boolean | undefined =>
  v === undefined || v === null ? undefined : v === 'yes';
const unbracket = (a: unknown): string => String(a ?? '').replace(/^\[(.*)\]$/, '$1');

function fallbackText(
  f: { address: string; port: number | string; forward: string } | undefined,
): string | undefined {
  return f === undefined ? undefined : `${f.address}:${Number(f.port)} ${f.forward}`;
}

function realText(r: {
  address: string;
  port: number;
  forward: string;
  weight: number;
  request: string;
  receive: string;
  lower: number;
  upper: number;
}): string {
  return `${r.address}:${r.port} ${r.forward} w=${r.weight} req=${JSON.stringify(r.request)} recv=${JSON.stringify(r.receive)} l=${r.lower} u=${r.upper}`;
}

export function normalizeOurs(config: Config): Normal {
  const g = config.global;
  const pair = (p: { tcp: FallbackServer; udp: FallbackServer } | undefined) =>
    p === undefined
      ? undefined
      : `${p.tcp.address}:${p.tcp.portUnset ? '-' : p.tcp.port}/${p.udp.portUnset ? '-' : p.udp.port} ${p.tcp.forward}`;
  return {
    global: {
      checktimeout: g.checktimeout,
      negotiatetimeout: g.negotiatetimeout,
      checkinterval: g.checkinterval,
      checkcount: g.checkcount,
      failurecount: g.failurecount,
      fallback: pair(g.fallback),
      fallback6: pair(g.fallback6),
      fallbackcommand: g.fallbackcommand,
      autoreload: g.autoreload,
      callback: g.callback,
      logfile: g.logfile,
      execute: [...g.execute].sort(),
      fork: g.fork,
      supervised: g.supervised,
      quiescent: g.quiescent,
      readdquiescent: g.readdquiescent,
      emailalert: g.emailalert,
      emailalertfreq: g.emailalertfreq,
      emailalertstatus: g.emailalertstatus,
      emailalertfrom: g.emailalertfrom,
      cleanstop: g.cleanstop,
      smtp: g.smtp,
      maintenancedir: g.maintenancedir,
    },
    virtuals: config.virtuals.map((v) => ({
      id:
        v.protocol === 'fwm'
          ? `fwm${v.family === 6 ? '6' : ''}:${v.fwmark}`
          : `${v.protocol}:${v.address}:${v.port}`,
      fields: {
        family: v.family,
        scheduler: v.scheduler,
        persistent: v.persistent,
        netmask: v.netmask,
        schedflags: v.schedflags,
        ops: v.ops,
        checktype: v.checktype,
        combinedCount: v.checktype === 'combined' ? v.combinedCount : undefined,
        service: v.service,
        checkcommand: v.checkcommand,
        request: v.request,
        receive: v.receive,
        login: v.login,
        passwd: v.passwd,
        database: v.database,
        secret: v.secret,
        httpmethod: v.httpmethod,
        virtualhost: v.virtualhost,
        checkport: v.checkport,
        checktimeout: v.checktimeout,
        negotiatetimeout: v.negotiatetimeout,
        checkcount: v.checkcount,
        failurecount: v.failurecount,
        checkinterval: v.checkinterval,
        quiescent: v.quiescent,
        cleanstop: v.cleanstop,
        fallback: fallbackText(v.fallback),
        fallbackcommand: v.fallbackcommand,
        emailalert: v.emailalert,
        emailalertfreq: v.emailalertfreq,
        emailalertstatus: v.emailalertstatus,
        smtp: v.smtp,
        monitorfile: v.monitorfile,
        servicename: v.servicename,
        comment: v.comment,
      },
      reals: v.reals.map((r) => {
        const { request, receive } = effectiveRequest(v, r);
        return realText({
          address: r.address,
          port: r.port,
          forward: r.forward,
          weight: r.weight,
          request,
          receive,
          lower: r.lowerThreshold,
          upper: r.upperThreshold,
        });
      }),
    })),
  };
}

export function normalizePerl(dump: { global: Json; virtual: Json[] }): Normal {
  const g = dump.global;
  const timeout = (v: unknown) => (Number(v) < 0 ? undefined : Number(v));
  const pair = (p: unknown) => {
    if (!p) return undefined;
    const { tcp, udp } = p as { tcp: Json; udp: Json };
    const port = (e: Json) => (e.port === undefined || e.port === null ? '-' : Number(e.port));
    return `${unbracket(tcp.server)}:${port(tcp)}/${port(udp)} ${tcp.forward}`;
  };
  return {
    global: {
      checktimeout: timeout(g.checktimeout),
      negotiatetimeout: timeout(g.negotiatetimeout),
      checkinterval: num(g.checkinterval),
      checkcount: num(g.checkcount),
      failurecount: num(g.failurecount),
      fallback: pair(g.fallback),
      fallback6: pair(g.fallback6),
      fallbackcommand: str(g.fallbackcommand),
      autoreload: yes(g.autoreload),
      callback: str(g.callback),
      logfile: str(g.logfile),
      execute: [...(g.execute as string[])].sort(),
      fork: yes(g.fork),
      supervised: yes(g.supervised),
      quiescent: yes(g.quiescent),
      readdquiescent: yes(g.readdquiescent),
      emailalert: str(g.emailalert),
      emailalertfreq: num(g.emailalertfreq),
      emailalertstatus: num(g.emailalertstatus),
      emailalertfrom: str(g.emailalertfrom),
      cleanstop: yes(g.cleanstop),
      smtp: str(g.smtp),
      maintenancedir: str(g.maintenancedir),
    },
    virtuals: dump.virtual.map((v) => {
      const family = v.addressfamily === 10 ? 6 : 4;
      const protocol = String(v.protocol);
      const id =
        protocol === 'fwm'
          ? `fwm${family === 6 ? '6' : ''}:${v.fwm}`
          : `${protocol}:${unbracket(v.server)}:${Number(v.port)}`;
      // fallback_find
      let fallback: string | undefined;
      if (v.fallback) {
        const f = v.fallback as Json;
        fallback = fallbackText({
          address: unbracket(f.server),
          port: f.port as number,
          forward: String(f.forward),
        });
      } else {
        const global = (family === 6 ? g.fallback6 : g.fallback) as Record<string, Json> | null;
        const entry = global?.[protocol];
        if (global) {
          fallback = entry
            ? `${unbracket(entry.server)}:${Number(entry.port ?? v.port)} ${entry.forward}`
            : `:${Number(v.port)} undefined`;
        }
      }
      const inherit = (name: string, globalValue: unknown) => v[name] ?? globalValue;
      return {
        id,
        fields: {
          family,
          scheduler: str(v.scheduler),
          persistent: num(v.persistent),
          netmask: str(v.netmask),
          schedflags: str(v.schedflags),
          ops: yes(v.ops),
          checktype: str(v.checktype),
          combinedCount: v.checktype === 'combined' ? num(v.num_connects) : undefined,
          service: str(v.service),
          checkcommand: str(v.checkcommand),
          request: str(v.request),
          receive: str(v.receive),
          login: str(v.login),
          passwd: str(v.passwd),
          database: str(v.database),
          secret: str(v.secret),
          httpmethod: str(v.httpmethod),
          virtualhost: str(v.virtualhost),
          checkport: num(v.checkport),
          checktimeout: num(v.checktimeout),
          negotiatetimeout: num(v.negotiatetimeout),
          checkcount: num(v.checkcount),
          failurecount: num(v.failurecount),
          checkinterval: num(inherit('checkinterval', g.checkinterval)),
          quiescent: yes(inherit('quiescent', g.quiescent)),
          cleanstop: yes(inherit('cleanstop', g.cleanstop)),
          fallback,
          fallbackcommand: str(inherit('fallbackcommand', g.fallbackcommand)),
          emailalert: str(inherit('emailalert', g.emailalert)),
          emailalertfreq: num(inherit('emailalertfreq', g.emailalertfreq)),
          emailalertstatus: num(inherit('emailalertstatus', g.emailalertstatus)),
          smtp: str(inherit('smtp', g.smtp)),
          monitorfile: str(v.monitorfile),
          servicename: str(v.servicename),
          comment: str(v.comment),
        },
        reals: (v.real as Json[]).map((r) =>
          realText({
            address: unbracket(r.server),
            port: Number(r.port),
            forward: String(r.forward),
            weight: Number(r.weight),
            request: String(r.request ?? ''),
            receive: String(r.receive ?? ''),
            lower: Number(r['l-threshold'] ?? 0),
            upper: Number(r['u-threshold'] ?? 0),
          }),
        ),
      };
    }),
  };
}
