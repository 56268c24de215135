// How long the real-kernel tier's guest takes: boot to ready, an empty job, one ipvsadm
// command, and node starting inside the guest. Boots the guest `runs` times (default 3).
//
//   node bench/qemu-guest.ts [runs]
import { bootGuest } from '../test/support/qemu-guest.ts';

const runs = Number(process.argv[2] ?? 3);
const figures: Record<string, number[]> = {
  'boot to ready': [],
  'empty job': [],
  'ipvsadm command (of 50)': [],
  'node -e 1 in the guest': [],
};

for (let i = 0; i < runs; i++) {
  await using guest = await bootGuest();
  figures['boot to ready']!.push(guest.bootMs);
  figures['empty job']!.push((await guest.run('true')).durationMs);
  const loop = await guest.run(
    'for i in $(seq 1 50); do ipvsadm -A -t 10.0.0.1:$i -s rr; done; ipvsadm -C',
  );
  figures['ipvsadm command (of 50)']!.push(loop.durationMs / 50);
  figures['node -e 1 in the guest']!.push((await guest.run(`${process.execPath} -e 1`)).durationMs);
}

for (const [name, values] of Object.entries(figures)) {
  const sorted = [...values].sort((a, b) => a - b);
  const median = sorted[Math.floor(sorted.length / 2)]!;
  process.stdout.write(
    `${name.padEnd(26)} median ${(median / 1000).toFixed(2)} s ` +
      `(min ${(sorted[0]! / 1000).toFixed(2)}, max ${(sorted.at(-1)! / 1000).toFixed(2)})\n`,
  );
}
