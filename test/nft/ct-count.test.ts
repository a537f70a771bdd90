/**
 * `ct count` (the kernel's connlimit) with real connections: the router lets at most two TCP
 * connections from the LAN to port 80 be open at once, resets a third, and lets a new one in once
 * an open one has closed.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import t from 'tap';
import { open, type NftExpression, type NftStatement } from '../../src/index.js';
import { askOnce } from '../../examples/lab/traffic.js';
import { buildScenarioTopology } from '../helpers/scenario-topology.js';
import { netnsFile, session } from '../helpers/witness.js';

const table = { family: 'ip', table: 'rm' } as const;
const match = (left: NftExpression, right: NftExpression, op = '=='): NftStatement => ({ match: { op, left, right } });
const server = '203.0.113.10';

t.test('ct count over 2 resets the third open connection, and a new one once one closed', async (t) => {
  const { router, lan } = await buildScenarioTopology(t);
  const handle = await open({ netns: router.name });
  t.teardown(() => handle.close());
  const limit: NftStatement[] = [
    match({ meta: { key: 'iifname' } }, 'lan0'),
    match({ payload: { protocol: 'tcp', field: 'dport' } }, 80),
    match({ ct: { key: 'state' } }, 'new', 'in'),
    { 'ct count': { val: 2, inv: true } },
    { reject: { type: 'tcp reset' } },
  ];
  await handle.nft.apply([
    { add: { table: { family: 'ip', name: 'rm' } } },
    { add: { chain: { ...table, name: 'fwd', type: 'filter', hook: 'forward', prio: 0, policy: 'accept' } } },
    { add: { rule: { ...table, chain: 'fwd', expr: limit } } },
    { add: { chain: { ...table, name: 'post', type: 'nat', hook: 'postrouting', prio: 100, policy: 'accept' } } },
    { add: { rule: { ...table, chain: 'post', expr: [match({ meta: { key: 'oifname' } }, 'up1'), { masquerade: null }] } } },
  ]);
  const listed = (await handle.nft.list({ ...table, chain: 'fwd' })).nftables.flatMap((item) => ('rule' in item ? [item.rule.expr] : []));
  t.same(listed, [limit], 'routemark lists the rule as written');

  const first = session(t, lan, { protocol: 'tcp', host: server, port: 80 });
  const second = session(t, lan, { protocol: 'tcp', host: server, port: 80 });
  t.match(await first.ask(), { server: 'isp1' }, 'a first connection');
  t.match(await second.ask(), { server: 'isp1' }, 'a second one, both open');
  const third = await askOnce(netnsFile(lan), { protocol: 'tcp', host: server, port: 80 });
  t.match(third, { error: /ECONNRESET|ECONNREFUSED/ }, `a third is reset (${JSON.stringify(third)})`);
  t.match(await first.ask(), { server: 'isp1' }, 'the open ones still work');

  first.close();
  let fourth = await askOnce(netnsFile(lan), { protocol: 'tcp', host: server, port: 80 });
  for (let tries = 0; tries < 20 && !('server' in fourth); tries++) {
    await sleep(100);
    fourth = await askOnce(netnsFile(lan), { protocol: 'tcp', host: server, port: 80 });
  }
  t.match(fourth, { server: 'isp1' }, 'after one closed, a new connection gets through');
});
