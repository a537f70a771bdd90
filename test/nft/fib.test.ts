/**
 * fib with real packets: a reverse-path filter that respects marks, the nf_tables way to do what
 * rp_filter does without breaking policy routing. A LAN host sends UDP from its own address and
 * from one the router has no route back to by the LAN; isp1 counts what arrives, with rules
 * written by the `nft` tool. routemark's `fib saddr . mark . iif oif missing drop` on the router
 * drops the spoofed source only, and lets it through once a mark routes it back by the LAN.
 */
import { spawnSync } from 'node:child_process';
import t from 'tap';
import { open } from '../../src/index.js';
import { buildScenarioTopology } from '../helpers/scenario-topology.js';
import type { TestNetns } from '../helpers/netns.js';
import { nftCounters } from '../helpers/witness.js';

const SPOOFED = '198.51.100.99';
const LAN_HOST = '10.10.0.2';

/** One UDP datagram from `source` to 203.0.113.10:80, sent from `ns`. */
function sendFrom(ns: TestNetns, source: string): void {
  const code = `const s = require('node:dgram').createSocket('udp4'); s.bind(0, process.argv[1], () => s.send('x', 80, '203.0.113.10', () => s.close()));`;
  const result = spawnSync('ip', ['netns', 'exec', ns.name, process.execPath, '-e', code, source], { encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`send from ${source}: ${result.stderr}`);
}

/** Counters in isp1's prerouting (before its own source checks), by source address. */
function arrivals(ns: TestNetns): () => Promise<number[]> {
  const counters = nftCounters(ns, 'prerouting', 'raw', [LAN_HOST, SPOOFED].map((source) => `ip saddr ${source} udp dport 80`));
  return async () => {
    await new Promise((resolve) => setTimeout(resolve, 200));
    return counters.read();
  };
}

t.test('fib saddr . mark . iif oif missing drop: a reverse-path filter that follows marks', async (t) => {
  const { router, lan, isp1 } = await buildScenarioTopology(t);
  // rp_filter off, so that only the nf_tables rule decides.
  for (const key of ['all', 'default', 'lan0']) router.exec('sysctl', ['-qw', `net.ipv4.conf.${key}.rp_filter=0`]);
  lan.ip('addr', 'add', `${SPOOFED}/32`, 'dev', 'lo');
  const seen = arrivals(isp1);
  const handle = await open({ netns: router.name });
  t.teardown(() => handle.close());

  sendFrom(lan, LAN_HOST);
  sendFrom(lan, SPOOFED);
  t.same(await seen(), [1, 1], 'without a filter the router forwards both sources');

  const rpf = { family: 'inet', table: 'rpf' } as const;
  await handle.nft.apply([
    { add: { table: { family: 'inet', name: 'rpf' } } },
    { add: { chain: { ...rpf, name: 'mark', type: 'filter', hook: 'prerouting', prio: -200, policy: 'accept' } } },
    { add: { chain: { ...rpf, name: 'check', type: 'filter', hook: 'prerouting', prio: -150, policy: 'accept' } } },
    { add: { rule: { ...rpf, chain: 'check', expr: [{ match: { op: '==', left: { fib: { result: 'oif', flags: ['saddr', 'mark', 'iif'] } }, right: false } }, { drop: null }] } } },
  ]);
  t.match(router.exec('nft', ['list', 'chain', 'inet', 'rpf', 'check']), /fib saddr \. mark \. iif oif missing drop/, 'nft lists the rule routemark applied');
  sendFrom(lan, LAN_HOST);
  sendFrom(lan, SPOOFED);
  t.same(await seen(), [2, 1], 'the LAN source passes; the source with no route back by lan0 is dropped');

  // A mark whose table routes the address back by the LAN makes it pass: the lookup used the mark.
  await handle.rules.add({ fwmark: 7, priority: 1000, table: 107 });
  await handle.routes.add({ dst: `${SPOOFED}/32`, dev: 'lan0', table: 107 });
  await handle.nft.apply([{ add: { rule: { ...rpf, chain: 'mark', expr: [{ match: { op: '==', left: { payload: { protocol: 'ip', field: 'saddr' } }, right: SPOOFED } }, { mangle: { key: { meta: { key: 'mark' } }, value: 7 } }] } } }]);
  sendFrom(lan, SPOOFED);
  t.same(await seen(), [2, 2], 'marked 7, its reverse lookup finds table 107 and it passes');

  const listing = await handle.nft.list({ family: 'inet', table: 'rpf', chain: 'check' });
  const rule = listing.nftables.flatMap((item) => ('rule' in item && item.rule ? [item.rule] : []))[0];
  t.same(rule?.expr?.[0], { match: { op: '==', left: { fib: { result: 'oif', flags: ['saddr', 'mark', 'iif'] } }, right: false } }, 'routemark lists it as nft -j does');
});
