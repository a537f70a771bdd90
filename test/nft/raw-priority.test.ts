/**
 * ct zone, notrack and quota with real packets. A LAN host sends UDP through the router, whose
 * rules routemark applies: a chain at priority raw puts one port's flows in conntrack zone 5 and
 * leaves another port's untracked, as the `conntrack` tool sees; a forward rule drops a port's
 * traffic once 100 bytes have passed, as isp1's counters (written with the `nft` tool) see.
 */
import t from 'tap';
import { open, type NftStatement } from '../../src/index.js';
import { toolFlows } from '../helpers/conntrack.js';
import type { TestNetns } from '../helpers/netns.js';
import { buildScenarioTopology } from '../helpers/scenario-topology.js';
import { sendDatagrams } from '../helpers/traffic.js';
import { nftCounters } from '../helpers/witness.js';

/** `count` UDP datagrams of one byte (29 bytes of IP) from the LAN host to 203.0.113.10:port. */
const send = (ns: TestNetns, port: number, count = 1): void => sendDatagrams(ns, '10.10.0.2', '203.0.113.10', port, count);

const udp = (port: number) => ({ match: { op: '==', left: { payload: { protocol: 'udp', field: 'dport' } }, right: port } });

t.test('ct zone set and notrack in a raw chain, quota over in forward: what conntrack and isp1 see', async (t) => {
  const { router, lan, isp1 } = await buildScenarioTopology(t);
  const handle = await open({ netns: router.name });
  t.teardown(() => handle.close());
  const seen = nftCounters(isp1, 'prerouting', 'raw', [81, 82, 83].map((port) => `udp dport ${port}`));

  const table = { family: 'ip', table: 'rm' } as const;
  await handle.nft.apply([
    { add: { table: { family: 'ip', name: 'rm' } } },
    { add: { chain: { ...table, name: 'raw', type: 'filter', hook: 'prerouting', prio: -300, policy: 'accept' } } },
    { add: { chain: { ...table, name: 'metered', type: 'filter', hook: 'forward', prio: 0, policy: 'accept' } } },
    { add: { rule: { ...table, chain: 'raw', expr: [udp(81), { mangle: { key: { ct: { key: 'zone' } }, value: 5 } }] } } },
    { add: { rule: { ...table, chain: 'raw', expr: [udp(82), { notrack: null }] } } },
    { add: { rule: { ...table, chain: 'metered', expr: [udp(83), { quota: { val: 100, val_unit: 'bytes', inv: true } }, { drop: null }] } } },
  ]);
  t.match(router.exec('nft', ['list', 'table', 'ip', 'rm']), /udp dport 81 ct zone set 5[^]*udp dport 82 notrack[^]*udp dport 83 quota over 100 bytes drop/, 'nft lists the rules routemark applied');

  send(lan, 81);
  send(lan, 82);
  const flows = toolFlows(router, '-p', 'udp');
  const byPort = (port: number) => flows.filter((f) => f.original.dport === String(port));
  t.match(byPort(81), [{ zone: 5 }], 'conntrack: the flow to port 81 is in zone 5');
  t.equal(byPort(82).length, 0, 'conntrack: the flow to port 82 is not tracked');
  const zoned = await handle.conntrack.list({ zone: 5 });
  t.equal(zoned.length, 1, 'routemark lists that one flow in zone 5');

  // 29 bytes each: the fourth brings the count to 116, over the quota, and it and the rest drop.
  send(lan, 83, 6);
  await new Promise((resolve) => setTimeout(resolve, 200));
  t.same(seen.read(), [1, 1, 3], 'isp1 saw ports 81 and 82 once, and three datagrams to 83');

  const listing = await handle.nft.list({ family: 'ip', table: 'rm', chain: 'metered' });
  const rule = listing.nftables.flatMap((item) => ('rule' in item && item.rule ? [item.rule] : []))[0];
  // The kernel reports the count capped at the quota.
  const quota = { quota: { val: 100, val_unit: 'bytes', used: 100, used_unit: 'bytes', inv: true } } satisfies NftStatement;
  t.same(rule?.expr?.[1], quota, 'routemark lists what the quota counted');
  const nftJson = JSON.parse(router.exec('nft', ['-j', 'list', 'chain', 'ip', 'rm', 'metered'])) as { nftables: { rule?: { expr: unknown[] } }[] };
  t.same(nftJson.nftables.find((item) => item.rule)?.rule?.expr[1], quota, 'as nft -j lists it');
  const raw = await handle.nft.list({ family: 'ip', table: 'rm', chain: 'raw' });
  const statements = raw.nftables.flatMap((item) => ('rule' in item && item.rule ? [item.rule.expr?.[1]] : []));
  t.same(statements, [{ mangle: { key: { ct: { key: 'zone' } }, value: 5 } }, { notrack: null }], 'and the raw chain as nft -j does');
});
