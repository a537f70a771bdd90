/**
 * `dup` with real packets, in the scenario topology: the router copies LAN datagrams to isp2's
 * address on the second uplink (by a named device, or wherever the route to that gateway goes)
 * while the originals still leave by isp1. Counters written with the `nft` tool in the ISPs see
 * the originals and the copies.
 */
import t from 'tap';
import { open, type NftExpression, type NftStatement } from '../../src/index.js';
import { buildScenarioTopology } from '../helpers/scenario-topology.js';
import { sendDatagrams } from '../helpers/traffic.js';
import { nftCounters } from '../helpers/witness.js';
import { withoutHandles } from './helpers.js';

const table = { family: 'ip', table: 'rm' } as const;
const match = (left: NftExpression, right: NftExpression): NftStatement => ({ match: { op: '==', left, right } });
const fromLan = match({ meta: { key: 'iifname' } }, 'lan0');
const udpTo = (port: number) => match({ payload: { protocol: 'udp', field: 'dport' } }, port);

t.test('dup sends a copy of each LAN datagram to a second uplink; the originals go on by the first', async (t) => {
  const { router, lan, isp1, isp2 } = await buildScenarioTopology(t);
  const handle = await open({ netns: router.name });
  t.teardown(() => handle.close());
  const counted = ['ip saddr 10.10.0.2 udp dport 5000', 'ip saddr 10.10.0.2 udp dport 5001'];
  const seen1 = nftCounters(isp1, 'prerouting', 'raw', counted);
  const seen2 = nftCounters(isp2, 'prerouting', 'raw', counted);
  const rules: NftStatement[][] = [
    [fromLan, udpTo(5000), { dup: { addr: '10.2.0.1', dev: 'up2' } }],
    [fromLan, udpTo(5001), { dup: { addr: '10.2.0.1' } }],
  ];
  await handle.nft.apply([
    { add: { table: { family: 'ip', name: 'rm' } } },
    { add: { chain: { ...table, name: 'pre', type: 'filter', hook: 'prerouting', prio: -150, policy: 'accept' } } },
    ...rules.map((expr) => ({ add: { rule: { ...table, chain: 'pre', expr } } })),
  ]);

  sendDatagrams(lan, '10.10.0.2', '203.0.113.10', 5000, 5);
  sendDatagrams(lan, '10.10.0.2', '203.0.113.10', 5001, 3);
  t.same(seen1.read(), [5, 3], 'isp1 gets the originals (the router routes them by the main table)');
  t.same(seen2.read(), [5, 3], 'isp2 gets a copy of each: by device up2, and by the route to 10.2.0.1');

  const listed = (await handle.nft.list({ ...table, chain: 'pre' })).nftables.flatMap((item) => ('rule' in item ? [item.rule.expr] : []));
  t.same(withoutHandles(listed), rules, 'routemark lists the rules as written');
  const nft = JSON.parse(router.exec('nft', ['-j', 'list', 'chain', 'ip', 'rm', 'pre'])) as { nftables: { rule?: { expr: unknown[] } }[] };
  t.same(nft.nftables.flatMap((item) => (item.rule ? [item.rule.expr] : [])), rules, 'and so does nft');
});
