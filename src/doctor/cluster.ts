// What heartbeat's haresources and Pacemaker's CIB say about this director: which addresses
// they bring up and whether they start ldirectord. Pure text reading.
import { canonicalAddress } from '../lib/inet.ts';

/**
 * The resources of haresources: one line per node group (`node1 IPaddr::10.0.0.1/24/eth0
 * ldirectord::ldirectord.cf`), `\` continues a line, `#` starts a comment.
 */
export function haresourcesResources(text: string): string[] {
  const joined = text.replace(/\\\n/g, ' ');
  const resources: string[] = [];
  for (const raw of joined.split('\n')) {
    const line = raw.replace(/#.*/, '').trim();
    if (line === '') continue;
    resources.push(...line.split(/\s+/).slice(1));
  }
  return resources;
}

/** The address of an IP resource (`10.0.0.1`, `IPaddr::10.0.0.1/24/eth0`, `IPv6addr::...`). */
function resourceAddress(resource: string): string | undefined {
  const argument = resource.includes('::') ? resource.slice(resource.indexOf('::') + 2) : resource;
  return canonicalAddress(argument.split('/')[0]!);
}

export interface ClusterView {
  /** Which cluster manager brings this address up, if any says so. */
  managerOf(address: string): 'heartbeat' | 'pacemaker' | undefined;
  /** Which cluster manager starts ldirectord, if any. */
  ldirectordManager: 'heartbeat' | 'pacemaker' | undefined;
  /** A cluster manager is configured here at all. */
  present: boolean;
}

export function clusterView(haresources?: string, cib?: string): ClusterView {
  const resources = haresources === undefined ? [] : haresourcesResources(haresources);
  const heartbeatAddresses = new Set(
    resources.map(resourceAddress).filter((a): a is string => a !== undefined),
  );
  const cibAddresses = new Set(
    [...(cib ?? '').matchAll(/value="([0-9a-fA-F.:]+)"/g)]
      .map((m) => canonicalAddress(m[1]!))
      .filter((a): a is string => a !== undefined),
  );
  const heartbeatLdirectord = resources.some(
    (r) => r === 'ldirectord' || r.startsWith('ldirectord::'),
  );
  const pacemakerLdirectord = /type="ldirectord"/.test(cib ?? '');
  return {
    managerOf: (address) =>
      heartbeatAddresses.has(address)
        ? 'heartbeat'
        : cibAddresses.has(address)
          ? 'pacemaker'
          : undefined,
    ldirectordManager: heartbeatLdirectord
      ? 'heartbeat'
      : pacemakerLdirectord
        ? 'pacemaker'
        : undefined,
    present: haresources !== undefined || cib !== undefined,
  };
}
