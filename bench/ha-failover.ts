// Two directors under heartbeat v1, real traffic through the VIP (test/support/ha-cluster.ts):
// what the client loses when the master dies and on a manual failover, and how long the new
// master takes from heartbeat's takeover (the VIP on its eth0) to a complete IPVS table.
// ldirectord-ts and the Perl original, one after the other, in the same run.
//
//   node bench/ha-failover.ts [--runs 1] [--programs ldirectord-ts,perl] [--pacemaker]
//
// Per program and run: a fresh cluster (three qemu guests), ld1 serving; ld1 killed (ld2 takes
// over); ld1 booted again; hb_takeover on ld1 (ld2 gives up). --pacemaker adds a corosync +
// Pacemaker cluster per program: `crm resource move` to ld2, then ld2 killed.
// Figures are from software-emulated guests (TCG) on a shared machine: each shell script,
// Perl or Node start in a guest is 10 to 50 times slower than on hardware.
import { parseArgs } from 'node:util';
import {
  crmConfiguration,
  DirectorPair,
  type ClusterManager,
  type DirectorProgram,
} from '../test/support/ha-cluster.ts';
import {
  clusterStarts,
  heartbeatManualFailover,
  heartbeatNodeReturns,
  masterDies,
  pacemakerConfigure,
  pacemakerMove,
  type Takeover,
} from '../test/support/ha-scenarios.ts';
import { loadAverage } from './support/proc-stats.ts';

const { values } = parseArgs({
  options: {
    runs: { type: 'string', default: '1' },
    programs: { type: 'string', default: 'ldirectord-ts,perl' },
    pacemaker: { type: 'boolean', default: false },
  },
});
const programs = values.programs.split(',') as DirectorProgram[];
const managers: ClusterManager[] = values.pacemaker ? ['heartbeat', 'pacemaker'] : ['heartbeat'];

interface Row {
  manager: ClusterManager;
  program: DirectorProgram;
  event: string;
  takeover: Takeover;
  load: string;
}
const rows: Row[] = [];
const say = (line: string): void => void process.stderr.write(`${line}\n`);

async function heartbeatRun(program: DirectorProgram): Promise<void> {
  await withCluster(program, 'heartbeat', async (cluster) => {
    await clusterStarts(cluster, 'ld1', 'ld2');
    record(program, 'heartbeat', 'master killed', await masterDies(cluster, 'ld1', 'ld2'));
    await heartbeatNodeReturns(cluster, 'ld1', 'ld2');
    const manual = await heartbeatManualFailover(cluster, 'ld1', 'ld2');
    record(program, 'heartbeat', 'hb_takeover', manual);
  });
}

async function pacemakerRun(program: DirectorProgram): Promise<void> {
  await withCluster(program, 'pacemaker', async (cluster) => {
    await pacemakerConfigure(cluster, 'ld1', crmConfiguration(program));
    await clusterStarts(cluster, 'ld1', 'ld2');
    record(program, 'pacemaker', 'crm resource move', await pacemakerMove(cluster, 'ld2', 'ld1'));
    record(program, 'pacemaker', 'master killed', await masterDies(cluster, 'ld2', 'ld1'));
  });
}

/** A fresh cluster for `steps`; a failure carries both directors' logs and tables. */
async function withCluster(
  program: DirectorProgram,
  manager: ClusterManager,
  steps: (cluster: DirectorPair) => Promise<void>,
): Promise<void> {
  await using cluster = await DirectorPair.start({ program, manager, note: say });
  try {
    await steps(cluster);
  } catch (error) {
    throw await cluster.failure(error);
  }
}

function record(program: DirectorProgram, manager: ClusterManager, event: string, t: Takeover) {
  const row = { manager, program, event, takeover: t, load: loadAverage() };
  rows.push(row);
  say(
    `${manager} ${program} ${event}: outage ${seconds(t.outage.ms)}, ` +
      `VIP to full table ${seconds(t.vipToTableMs)}, event to full table ${seconds(t.eventToTableMs)}`,
  );
}

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}

for (let run = 1; run <= Number(values.runs); run++) {
  for (const manager of managers) {
    for (const program of programs) {
      say(`run ${run}: ${manager} with ${program}`);
      try {
        await (manager === 'heartbeat' ? heartbeatRun(program) : pacemakerRun(program));
      } catch (error) {
        // One failed cluster run (a deadline under load) must not lose the figures of the others.
        say(`run ${run}: ${manager} with ${program} failed: ${(error as Error).message}`);
        process.exitCode = 1;
      }
    }
  }
}

process.stdout.write(
  '| manager | program | event | client outage | VIP to full table | event to full table | load average |\n' +
    '| --- | --- | --- | ---: | ---: | ---: | ---: |\n',
);
for (const r of rows) {
  process.stdout.write(
    `| ${r.manager} | ${r.program} | ${r.event} | ${seconds(r.takeover.outage.ms)} | ` +
      `${seconds(r.takeover.vipToTableMs)} | ${seconds(r.takeover.eventToTableMs)} | ${r.load} |\n`,
  );
}
