// Network namespaces made by a test (root only): sysctls such as arp_ignore, ip_forward and
// rp_filter, addresses and routes are per namespace, so a test can set a host up wrong and
// right without touching the machine. Names are unique per test run; remove() deletes the
// namespace and every device in it (veth peers in other namespaces go with it).
import { runCommand } from '../../src/lib/run-command.ts';

let counter = 0;

export interface NsRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

export class Netns {
  readonly name: string;

  private constructor(name: string) {
    this.name = name;
  }

  /** `ip netns add ldts-<label>-<pid>-<n>`, with lo left down as a new namespace has it. */
  static async create(label: string): Promise<Netns> {
    const name = `ldts-${label}-${process.pid}-${++counter}`;
    await must('ip', ['netns', 'add', name]);
    return new Netns(name);
  }

  /** Runs argv inside the namespace (`ip netns exec`), without a shell. */
  async exec(argv: readonly string[], env?: NodeJS.ProcessEnv): Promise<NsRun> {
    const r = await runCommand('ip', ['netns', 'exec', this.name, ...argv], {
      timeoutMs: 120_000,
      ...(env ? { env } : {}),
    });
    if (r.spawnError) throw r.spawnError;
    return { code: r.code, stdout: r.stdout, stderr: r.stderr };
  }

  /** `ip -n <ns> <args>`; throws with ip's message when it fails. */
  async ip(...args: string[]): Promise<void> {
    await must('ip', ['-n', this.name, ...args]);
  }

  async sysctl(name: string, value: number): Promise<void> {
    const r = await this.exec(['sysctl', '-q', '-w', `${name}=${value}`]);
    if (r.code !== 0) throw new Error(`sysctl ${name}=${value} in ${this.name}: ${r.stderr}`);
  }

  /** A veth pair: `local` here, `remote` in `peer`. */
  async veth(local: string, peer: Netns, remote: string): Promise<void> {
    await this.ip('link', 'add', local, 'type', 'veth', 'peer', 'name', remote, 'netns', peer.name);
  }

  async remove(): Promise<void> {
    await runCommand('ip', ['netns', 'del', this.name], { timeoutMs: 30_000 });
  }
}

async function must(file: string, args: string[]): Promise<void> {
  const r = await runCommand(file, args, { timeoutMs: 30_000 });
  if (r.code !== 0) {
    throw new Error(`${file} ${args.join(' ')}: ${r.spawnError?.message ?? r.stderr.trim()}`);
  }
}
