// Database servers that refuse every login with an error quoting the password: the worst case
// for a daemon that must never log a password. MySQL refuses at once with an ERR packet that
// quotes `password` (the server knows it from the test); PostgreSQL asks for the password in
// clear text (AuthenticationCleartextPassword) and quotes back what the client sent.
import { createServer, type Server } from 'node:net';

export interface EchoingServer {
  host: string;
  port: number;
  /** Logins seen (connections that got as far as the refusal). */
  readonly refusals: number;
  close(): Promise<void>;
}

async function listen(server: Server, host: string): Promise<number> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, host, resolve);
  });
  return (server.address() as { port: number }).port;
}

function closer(server: Server): () => Promise<void> {
  return () => new Promise<void>((resolve) => server.close(() => resolve()));
}

/** MySQL: an ERR packet (1045, 28000) instead of the handshake. */
export async function mysqlEchoingPassword(host: string, password: string): Promise<EchoingServer> {
  let refusals = 0;
  const server = createServer((socket) => {
    socket.on('error', () => {});
    refusals++;
    const message = Buffer.from(`Access denied for user (using password '${password}')`);
    const body = Buffer.concat([Buffer.from([0xff, 0x15, 0x04]), Buffer.from('#28000'), message]);
    const header = Buffer.alloc(4);
    header.writeUIntLE(body.length, 0, 3);
    socket.end(Buffer.concat([header, body]));
  });
  const port = await listen(server, host);
  return {
    host,
    port,
    get refusals() {
      return refusals;
    },
    close: closer(server),
  };
}

/** PostgreSQL: asks for the password in clear text, answers FATAL 28P01 quoting it. */
export async function pgsqlEchoingPassword(host: string): Promise<EchoingServer> {
  let refusals = 0;
  const server = createServer((socket) => {
    socket.on('error', () => {});
    let buffer = Buffer.alloc(0);
    let startupDone = false;
    socket.on('data', (chunk: Buffer) => {
      buffer = Buffer.concat([buffer, chunk]);
      if (!startupDone) {
        if (buffer.length < 8 || buffer.length < buffer.readInt32BE(0)) return;
        const length = buffer.readInt32BE(0);
        const code = buffer.readInt32BE(4);
        buffer = buffer.subarray(length);
        if (code === 80877103) {
          socket.write('N'); // SSLRequest: no TLS here
          return;
        }
        startupDone = true;
        const ask = Buffer.alloc(9);
        ask.write('R');
        ask.writeInt32BE(8, 1);
        ask.writeInt32BE(3, 5); // AuthenticationCleartextPassword
        socket.write(ask);
        return;
      }
      if (buffer.length < 5 || buffer.length < 1 + buffer.readInt32BE(1)) return;
      const sent = buffer.subarray(5, buffer.readInt32BE(1)).toString('utf8');
      refusals++;
      const fields = Buffer.from(
        `SFATAL\0C28P01\0Mpassword authentication failed: got "${sent}"\0\0`,
        'utf8',
      );
      const header = Buffer.alloc(5);
      header.write('E');
      header.writeInt32BE(4 + fields.length, 1);
      socket.end(Buffer.concat([header, fields]));
    });
  });
  const port = await listen(server, host);
  return {
    host,
    port,
    get refusals() {
      return refusals;
    },
    close: closer(server),
  };
}
