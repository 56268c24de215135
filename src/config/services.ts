// The original's port rules over the services' well-known ports (each service's descriptor in
// src/checkers holds its port): ld_port_to_service, ld_service_to_port (§2.8) and the check
// port rule (ld_checkport); and a reader for /etc/services (getservbyname).
import { SERVICE_DESCRIPTORS } from '../checkers/index.ts';
import { SERVICES, type Service } from '../model/domain.ts';
import type { RealServer, VirtualService } from './model.ts';

const SERVICE_BY_PORT = new Map<number, Service>();
for (const service of SERVICES) {
  const port = SERVICE_DESCRIPTORS[service].port;
  if (port !== undefined) SERVICE_BY_PORT.set(port, service);
}

/** ld_port_to_service: the service negotiated on a virtual port; 'none' if unknown. */
export function serviceForPort(port: number): Service {
  return SERVICE_BY_PORT.get(port) ?? 'none';
}

/** ld_service_to_port: the well-known port of a service; undefined for none. */
export function portForService(service: Service): number | undefined {
  return SERVICE_DESCRIPTORS[service].port;
}

/**
 * ld_checkport: the port a check connects to: the virtual's checkport, else the real's port
 * when it is not 0, else the service's well-known port (undefined for service none).
 */
export function effectiveCheckPort(v: VirtualService, r: RealServer): number | undefined {
  if (v.checkport !== undefined) return v.checkport;
  if (r.port > 0) return r.port;
  return portForService(v.service);
}

export type ServiceProtocol = 'tcp' | 'udp' | '';

/** getservbyname(name, protocol); protocol '' means any (the first entry of that name). */
export type ServiceLookup = (name: string, protocol: ServiceProtocol) => number | undefined;

/** A ServiceLookup over the text of an /etc/services file (names and aliases). */
export function servicesLookup(text: string): ServiceLookup {
  const byName = new Map<string, Array<{ port: number; protocol: string }>>();
  for (const line of text.split('\n')) {
    const fields = line.replace(/#.*/, '').trim().split(/\s+/);
    if (fields.length < 2) continue;
    const m = /^(\d+)\/(\w+)$/.exec(fields[1]!);
    if (!m) continue;
    const entry = { port: Number(m[1]), protocol: m[2]! };
    for (const name of [fields[0]!, ...fields.slice(2)]) {
      const list = byName.get(name) ?? [];
      list.push(entry);
      byName.set(name, list);
    }
  }
  return (name, protocol) =>
    byName.get(name)?.find((e) => protocol === '' || e.protocol === protocol)?.port;
}

/** ld_getservbyname: a number 0..65535 as is, else the service name looked up. */
export function resolvePort(
  text: string,
  protocol: ServiceProtocol,
  lookup: ServiceLookup,
): number | undefined {
  if (/^[0-9]+$/.test(text)) {
    const n = Number(text);
    return n >= 0 && n < 65536 ? n : undefined;
  }
  return lookup(text, protocol);
}
