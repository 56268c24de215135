// SIPp (Debian sip-tester) as a SIP user agent server answering OPTIONS with a fixed final
// response, from a scenario written at test time: one process per address, transport and
// response. Its RTP echo ports (-mp, and the one two above) are taken from the free ports.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Daemon } from './daemon.ts';
import { freePort } from './listeners.ts';

export const SIPP = '/usr/bin/sipp';

export interface SippServer {
  host: string;
  port: number;
  daemon: Daemon;
}

function scenario(status: string): string {
  return `<?xml version="1.0" encoding="ISO-8859-1" ?>
<scenario name="answer OPTIONS with ${status}">
  <recv request="OPTIONS" crlf="true"/>
  <send>
    <![CDATA[

SIP/2.0 ${status}
[last_Via:]
[last_From:]
[last_To:];tag=[pid]SIPpTag01[call_number]
[last_Call-ID:]
[last_CSeq:]
Contact: <sip:[local_ip]:[local_port];transport=[transport]>
Content-Length: 0

    ]]>
  </send>
</scenario>
`;
}

/** Starts sipp answering every OPTIONS with `status` (e.g. '200 OK') over udp or tcp. */
export async function startSipp(
  dir: string,
  host: string,
  status: string,
  transport: 'udp' | 'tcp',
): Promise<SippServer> {
  const port = await freePort(host);
  const mediaPort = await freePort(host);
  const file = join(dir, `options-${status.split(' ')[0]}-${transport}.xml`);
  writeFileSync(file, scenario(status));
  const daemon = await Daemon.start(
    SIPP,
    [
      '-sf',
      file,
      '-i',
      host,
      '-p',
      String(port),
      '-t',
      transport === 'udp' ? 'u1' : 't1',
      '-nostdin',
      '-mp',
      String(mediaPort),
    ],
    { cwd: dir, ready: [{ host, port, udp: transport === 'udp' }] },
  );
  return { host, port, daemon };
}
