// A TCP port whose SYNs go unanswered, on loopback: a listener that never accepts, with its backlog
// already full, so that a connect() hangs until the client gives up. This is the case undici's
// AbortSignal does not cover. Node always accepts, so python.
import { spawn } from 'node:child_process';

export interface UnansweredListener {
  port: number;
  stop(): void;
}

export async function startUnansweredListener(host: string): Promise<UnansweredListener> {
  const child = spawn(
    'python3',
    [
      '-c',
      `import socket, time
s = socket.socket(); s.bind(('${host}', 0)); s.listen(0)
port = s.getsockname()[1]
fill = [socket.socket() for _ in range(8)]
for c in fill: c.setblocking(False); c.connect_ex(('${host}', port))
print(port, flush=True)
time.sleep(900)`,
    ],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  const port = await new Promise<number>((resolve, reject) => {
    child.stdout.once('data', (d: Buffer) => resolve(Number(d.toString().trim())));
    child.once('error', reject);
    child.once('exit', (code) => reject(new Error(`python3 exited with ${code}`)));
  });
  return {
    port,
    stop: () => {
      if (child.exitCode === null && child.pid !== undefined) process.kill(child.pid);
    },
  };
}
