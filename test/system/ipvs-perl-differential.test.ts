// The planner against the Perl original: /usr/sbin/ldirectord -d runs with the fake ipvsadm as
// ./ipvsadm, settles, and is stopped with SIGTERM; the tables it leaves (after start, and after
// stop) must equal what planIpvs' start and stop plans leave, applied to the dry-run backend,
// for the same ldirectord.cf read by our config loader. checktype=on (every real up) and off
// (every real down, unless already in the table with a weight) make the monitor's state known.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { loadConfigText } from '../../src/config/load.ts';
import type { Config, RealServer, VirtualService } from '../../src/config/model.ts';
import { DryRunBackend } from '../../src/ipvs/emulator/dry-run.ts';
import { saveText } from '../../src/ipvs/emulator/ipvsadm-format.ts';
import { runIpvsadm } from '../../src/ipvs/emulator/ipvsadm.ts';
import { fromKernel, IpvsKernel, type KernelService } from '../../src/ipvs/emulator/kernel.ts';
import type { IpvsTable } from '../../src/ipvs/model.ts';
import { planIpvs } from '../../src/ipvs/plan.ts';
import { findReal, tablesEqual } from '../../src/ipvs/table.ts';
import { PerlLdirectord, perlUnavailableReason } from '../support/perl-ldirectord.ts';

const FAKE = new URL('../support/fake-ipvsadm/ipvsadm', import.meta.url).pathname;
const unavailable = perlUnavailableReason();
if (unavailable) process.stdout.write(`# skipping: ${unavailable}\n`);

interface Case {
  name: string;
  cf: string;
  /** Rules the kernel holds before the original starts. */
  initial?: string;
}

const ON = `checktype=on`;
const OFF = `checktype=off`;
const cases: Case[] = [
  {
    name: 'checktype=on, masq and a gate real on another port, fallback',
    cf: `checkinterval=1
virtual=10.1.1.1:80
    real=10.2.2.2:80 masq 2
    real=10.2.2.3:8080 gate
    ${ON}
    scheduler=rr
    fallback=127.0.0.1:80 gate
`,
  },
  {
    name: 'checktype=off, quiescent=no, fallback in',
    cf: `checkinterval=1
virtual=10.1.1.1:80
    real=10.2.2.2:80 masq
    real=10.2.2.3:80 masq 3
    ${OFF}
    fallback=127.0.0.1:80 gate
`,
  },
  {
    name: 'checktype=off, quiescent=yes: down reals end at weight 0',
    cf: `checkinterval=1
quiescent=yes
virtual=10.1.1.1:80
    real=10.2.2.2:80 masq
    real=10.2.2.3:80 gate 4
    ${OFF}
virtual=10.1.1.2:53
    real=10.2.2.4:53 masq
    protocol=udp
    ${OFF}
    persistent=60
    netmask=255.255.255.0
`,
  },
  {
    name: 'a restart over a table left by a killed daemon: untracked reals purged, others kept',
    initial: `-A -t 10.1.1.1:80 -s wrr
-a -t 10.1.1.1:80 -r 10.2.2.2:80 -m -w 1
-a -t 10.1.1.1:80 -r 10.2.2.9:80 -m -w 1
-A -f 7 -s rr
-a -f 7 -r 10.3.3.3:0 -g -w 1
-A -t 10.5.5.5:80 -s rr
`,
    cf: `checkinterval=1
virtual=10.1.1.1:80
    real=10.2.2.2:80 masq
    real=10.2.2.3:80 masq
    ${ON}
virtual=7
    real=10.3.3.3 gate
    ${ON}
    cleanstop=no
`,
  },
  {
    name: 'IPv6 and an IPv6 firewall mark',
    cf: `checkinterval=1
virtual6=[2001:db8::1]:80
    real6=[2001:db8::2]:80 masq
    real6=[2001:db8::3]:8080 gate 2
    ${ON}
    persistent=100
    netmask=64
virtual6=8
    real6=[2001:db8::4] gate
    ${OFF}
    quiescent=yes
`,
  },
  {
    name: 'readdquiescent=yes over quiesced entries with thresholds',
    initial: `-A -t 10.1.1.1:80 -s wrr
-a -t 10.1.1.1:80 -r 10.2.2.2:80 -m -w 0 -x 50 -y 10
-a -t 10.1.1.1:80 -r 10.2.2.3:80 -g -w 0
`,
    cf: `checkinterval=1
quiescent=yes
readdquiescent=yes
virtual=10.1.1.1:80
    real=10.2.2.2:80 masq 3 u:50 l:10
    real=10.2.2.3:80 masq 3
    real=10.2.2.4:80 masq 3
    ${OFF}
`,
  },
];

/** Our config loader's view of the same file. */
async function load(cf: string): Promise<Config> {
  const loaded = await loadConfigText(cf, '/tmp/ldirectord.cf', { debug: true });
  if (!loaded.config) throw new Error(JSON.stringify(loaded.diagnostics));
  return loaded.config;
}

/** The fake's table, from its state file. */
function readState(path: string): IpvsTable {
  if (!existsSync(path)) return { services: [] };
  return fromKernel({
    services: (JSON.parse(readFileSync(path, 'utf8')) as { services: KernelService[] }).services,
  });
}

/** Waits until the fake has not been called for `quietMs` (the original has settled). */
async function settle(log: string, quietMs: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let count = -1;
  let since = Date.now();
  while (Date.now() < deadline) {
    const now = existsSync(log) ? readFileSync(log, 'utf8').split('\n').length : 0;
    if (now !== count) {
      count = now;
      since = Date.now();
    } else if (count > 1 && Date.now() - since >= quietMs) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error('the Perl original did not settle');
}

async function ours(
  cfg: Config,
  initial: IpvsTable,
): Promise<{ started: IpvsTable; stopped: IpvsTable }> {
  const dry = new DryRunBackend({ table: initial });
  const isUp = (v: VirtualService, r: RealServer): boolean =>
    v.checktype === 'on' || (v.checktype === 'off' && (findReal(initial, v, r)?.weight ?? 0) > 0);
  const start = planIpvs({
    config: cfg,
    actual: await dry.read(),
    isUp,
    scope: { kind: 'start' },
  });
  const started = (await dry.apply(start)).table;
  const stop = planIpvs({ config: cfg, actual: started, isUp, scope: { kind: 'stop' } });
  const stopped = (await dry.apply(stop)).table;
  return { started, stopped };
}

describe('planIpvs settles where the Perl original settles', { skip: unavailable }, () => {
  for (const c of cases) {
    test(c.name, async () => {
      const dir = mkdtempSync(join(tmpdir(), 'ipvs-perl-'));
      const state = join(dir, 'state.json');
      const log = join(dir, 'ipvsadm.log');
      let initial: IpvsTable = { services: [] };
      if (c.initial) {
        const seed = new IpvsKernel();
        const r = runIpvsadm(['-R'], { kernel: seed, stdin: `${c.initial.trim()}\n` });
        assert.equal(r.exitCode, 0, r.stderr);
        writeFileSync(state, JSON.stringify({ services: seed.snapshot().services }));
        initial = fromKernel(seed.snapshot());
      }
      const want = await ours(await load(c.cf), initial);
      const perl = PerlLdirectord.start({
        config: c.cf,
        ipvsadm: FAKE,
        env: { FAKE_IPVSADM_STATE: state, FAKE_IPVSADM_LOG: log },
      });
      try {
        await perl.waitFor(/Starting Linux Director/, 20_000);
        await settle(log, 3000, 90_000);
        const started = readState(state);
        assert.ok(started.services.length > 0, 'the original built a table');
        assert.ok(
          tablesEqual(started, want.started),
          `after start:\nperl:\n${saveText(started)}ours:\n${saveText(want.started)}\n${perl.messages.join('\n')}`,
        );
      } finally {
        await perl.stop({ timeoutMs: 30_000 });
      }
      const stopped = readState(state);
      assert.ok(
        tablesEqual(stopped, want.stopped),
        `after stop:\nperl:\n${saveText(stopped)}ours:\n${saveText(want.stopped)}`,
      );
    });
  }
});
