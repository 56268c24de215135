// Real HTTP servers for daemon tests, each switched at run time between answering
// "status: OK" (200), a 500, a 200 whose body lacks "OK", and a closed port; each records when
// it was asked, so a test can see how often the daemon checks it.
import { createServer, type Server } from 'node:http';

export type HttpMode = 'ok' | 'error' | 'wrong-body' | 'closed';

export class HttpReal {
  readonly host: string;
  readonly port: number;
  mode: HttpMode = 'closed';
  /** Date.now() of every request, with the mode it was answered in. */
  readonly requests: Array<{ at: number; mode: HttpMode }> = [];
  #server: Server | undefined;

  constructor(host: string, port: number) {
    this.host = host;
    this.port = port;
  }

  /** Answer in `mode` from now on (listening, or closing the port, as needed). */
  async set(mode: HttpMode): Promise<void> {
    this.mode = mode;
    if (mode === 'closed' && this.#server) {
      const server = this.#server;
      this.#server = undefined;
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    } else if (mode !== 'closed' && !this.#server) {
      const server = createServer((_req, res) => {
        this.requests.push({ at: Date.now(), mode: this.mode });
        if (this.mode === 'error') res.writeHead(500).end('broken');
        else res.writeHead(200).end(this.mode === 'wrong-body' ? 'maintenance' : 'status: OK');
      });
      server.keepAliveTimeout = 100;
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(this.port, this.host, resolve);
      });
      this.#server = server;
    }
  }

  /** Request times (ms) since `from`. */
  since(from: number): number[] {
    return this.requests.filter((r) => r.at >= from).map((r) => r.at);
  }
}
