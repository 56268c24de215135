// dnsmasq as an authoritative-only DNS server for tests: no upstream, no /etc/hosts, answering
// the given host records (A and the matching PTR) over UDP and TCP on one address and port.
import { join } from 'node:path';
import { Daemon, freePort, missingProgram, scratchDir, tcpAccepts } from './daemon.ts';

export const DNSMASQ = '/usr/sbin/dnsmasq';

export function dnsmasqUnavailable(): string | undefined {
  return missingProgram(DNSMASQ, 'dnsmasq-base');
}

export interface DnsmasqServer {
  host: string;
  port: number;
  daemon: Daemon;
  stop(): Promise<void>;
}

/** Starts dnsmasq on host (a free port) answering `name → address` for each host record. */
export async function startDnsmasq(
  host: string,
  hostRecords: Record<string, string>,
): Promise<DnsmasqServer> {
  const dir = scratchDir('dnsmasq');
  const port = await freePort(host);
  const args = [
    '--no-daemon',
    '--conf-file=/dev/null',
    `--listen-address=${host}`,
    `--port=${port}`,
    '--bind-interfaces',
    '--no-resolv',
    '--no-hosts',
    `--pid-file=${join(dir, 'dnsmasq.pid')}`,
    ...Object.entries(hostRecords).map(([name, address]) => `--host-record=${name},${address}`),
  ];
  const daemon = new Daemon('dnsmasq', dir, DNSMASQ, args);
  await daemon.waitUntil(() => tcpAccepts(host, port));
  return { host, port, daemon, stop: () => daemon.stop() };
}
