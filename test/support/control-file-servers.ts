// Real servers for the daemon scenarios, run as a program (in the qemu guest or on the host):
//
//   node control-file-servers.ts <control-dir> <host:port>... ([v6]:port for IPv6)
//
// One HTTP listener per endpoint, answering every request with `ldts-ok <host>:<port>`. Files in
// <control-dir> switch an endpoint's health from a shell, without signals or pids:
//   <host>_<port>.down   the listener is closed (connection refused) until the file is removed;
//   <host>_<port>.wrong  it keeps listening but answers `maintenance` (no receive string).
// Prints `up <host>:<port>` and `down <host>:<port>` as listeners change, and `ready` once all
// are first reconciled. Runs until killed. The control folder must exist.
import { existsSync, watch } from 'node:fs';
import { createServer, type Server } from 'node:http';

/** A safety net: changes in the control folder are seen at once through fs.watch. */
const POLL_MS = 1000;

interface Endpoint {
  host: string;
  port: number;
  control: string;
  server: Server;
  listening: boolean;
}

const [controlDir, ...specs] = process.argv.slice(2);
if (!controlDir || specs.length === 0) {
  process.stderr.write('usage: control-file-servers.ts <control-dir> <host:port>...\n');
  process.exit(2);
}

const endpoints: Endpoint[] = specs.map((spec) => {
  const colon = spec.lastIndexOf(':');
  const host = spec.slice(0, colon).replace(/^\[(.*)\]$/, '$1');
  const port = Number(spec.slice(colon + 1));
  const control = `${controlDir}/${host}_${port}`;
  const server = createServer((_request, response) => {
    response.end(existsSync(`${control}.wrong`) ? 'maintenance\n' : `ldts-ok ${host}:${port}\n`);
  });
  return { host, port, control, server, listening: false };
});

async function reconcile(endpoint: Endpoint): Promise<void> {
  const wanted = !existsSync(`${endpoint.control}.down`);
  if (wanted === endpoint.listening) return;
  if (wanted) {
    await new Promise<void>((resolve, reject) => {
      endpoint.server.once('error', reject);
      endpoint.server.listen(endpoint.port, endpoint.host, () => {
        endpoint.server.off('error', reject);
        resolve();
      });
    });
  } else {
    endpoint.server.closeAllConnections();
    await new Promise<void>((resolve) => endpoint.server.close(() => resolve()));
  }
  endpoint.listening = wanted;
  process.stdout.write(`${wanted ? 'up' : 'down'} ${endpoint.host}:${endpoint.port}\n`);
}

async function reconcileAll(): Promise<void> {
  for (const endpoint of endpoints) await reconcile(endpoint);
}

// One pass at a time (a slow listen() must not overlap the next), and one more after a pass
// when something changed meanwhile.
let running: Promise<void> | undefined;
let again = false;
function pass(): void {
  if (running) {
    again = true;
    return;
  }
  running = reconcileAll()
    .catch((error: unknown) => {
      process.stderr.write(`${(error as Error).message}\n`);
    })
    .finally(() => {
      running = undefined;
      if (again) {
        again = false;
        pass();
      }
    });
}

await reconcileAll();
watch(controlDir, () => pass());
setInterval(pass, POLL_MS);
process.stdout.write('ready\n');
