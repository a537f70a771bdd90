/**
 * Set and map statements (the kernel's dynset) with real packets, in the scenario topology.
 *
 * Sticky uplinks: the router remembers each LAN source's uplink mark (`update @sticky { ip saddr
 * timeout 1h : meta mark }`) after numgen picked it for the source's first packet, and marks the
 * source's later packets from the map: every connection of a host leaves by the same uplink
 * (numgen alone would alternate packet by packet, and no connection would hold).
 *
 * A blocklist fed by a rule: a datagram to a trap port puts its source into a set (`add @trapped
 * { ip saddr }`) that a drop rule matches; a datagram to another port takes it out again
 * (`delete @trapped { ip saddr }`).
 */
import t from 'tap';
import { open, type NftExpression, type NftStatement } from '../../src/index.js';
import { askOnce, type Outcome } from '../../examples/lab/traffic.js';
import type { TestNetns } from '../helpers/netns.js';
import { buildScenarioTopology } from '../helpers/scenario-topology.js';
import { sendDatagrams } from '../helpers/traffic.js';
import { netnsFile } from '../helpers/witness.js';
import { withoutHandles } from './helpers.js';

const table = { family: 'ip', table: 'rm' } as const;
const match = (left: NftExpression, right: NftExpression): NftStatement => ({ match: { op: '==', left, right } });
const meta = (key: string): NftExpression => ({ meta: { key } });
const saddr: NftExpression = { payload: { protocol: 'ip', field: 'saddr' } };
const fromLan = match(meta('iifname'), 'lan0');
const server = '203.0.113.10';

/** A set's or map's elements as `nft -j` lists them, and as routemark lists them. */
async function elements(handle: Awaited<ReturnType<typeof open>>, ns: TestNetns, kind: 'set' | 'map', name: string): Promise<[unknown, unknown]> {
  const ours = (await handle.nft.list({ ...table, set: name })).nftables.flatMap((item) => ('set' in item ? [item.set.elem] : 'map' in item ? [item.map.elem] : []));
  const nft = JSON.parse(ns.exec('nft', ['-j', 'list', kind, 'ip', 'rm', name])) as { nftables: { set?: { elem?: unknown }; map?: { elem?: unknown } }[] };
  return [ours[0], nft.nftables.flatMap((item) => (item.set ? [item.set.elem] : item.map ? [item.map.elem] : []))[0]];
}

/** Element lists with the seconds left before expiry removed (they count down between two listings). */
function withoutExpiry(value: unknown): unknown {
  return JSON.parse(JSON.stringify(value, (key, v: unknown) => (key === 'expires' ? undefined : v)));
}

t.test('a map a rule fills keeps every connection of a LAN host on the uplink its first packet took', async (t) => {
  const { router, lan } = await buildScenarioTopology(t);
  const handle = await open({ netns: router.name });
  t.teardown(() => handle.close());
  // Replies come in by either uplink without a mark: loose reverse-path checks.
  router.exec('sysctl', ['-qw', 'net.ipv4.conf.all.rp_filter=2']);
  for (const [mark, dev, gateway] of [[1, 'up1', '10.1.0.1'], [2, 'up2', '10.2.0.1']] as const) {
    await handle.rules.add({ fwmark: mark, priority: 1000 + mark, table: 100 + mark });
    await handle.routes.add({ dst: 'default', gateway, dev, table: 100 + mark });
  }
  await handle.nft.apply([
    { add: { table: { family: 'ip', name: 'rm' } } },
    // No `dynamic` flag: routemark sets it, as nft does, because a rule below updates the map.
    { add: { map: { ...table, name: 'sticky', type: 'ipv4_addr', map: 'mark', flags: ['timeout'] } } },
    { add: { chain: { ...table, name: 'pre', type: 'filter', hook: 'prerouting', prio: -150, policy: 'accept' } } },
    { add: { rule: { ...table, chain: 'pre', expr: [fromLan, { mangle: { key: meta('mark'), value: { map: { key: saddr, data: '@sticky' } } } }] } } },
    { add: { rule: { ...table, chain: 'pre', expr: [fromLan, match(meta('mark'), 0), { mangle: { key: meta('mark'), value: { numgen: { mode: 'inc', mod: 2, offset: 1 } } } }] } } },
    { add: { rule: { ...table, chain: 'pre', expr: [fromLan, { map: { op: 'update', elem: { elem: { val: saddr, timeout: 3600 } }, data: meta('mark'), map: '@sticky' } }] } } },
    { add: { chain: { ...table, name: 'post', type: 'nat', hook: 'postrouting', prio: 100, policy: 'accept' } } },
    { add: { rule: { ...table, chain: 'post', expr: [match(meta('oifname'), 'up1'), { masquerade: null }] } } },
    { add: { rule: { ...table, chain: 'post', expr: [match(meta('oifname'), 'up2'), { masquerade: null }] } } },
  ]);

  const uplinkOf = (outcome: Outcome) => ('server' in outcome ? `${outcome.server} ${outcome.address}` : `error ${outcome.error}`);
  const seen = new Map<string, string[]>();
  for (let round = 0; round < 3; round++) {
    for (const host of ['10.10.0.2', '10.10.0.3']) {
      const outcome = await askOnce(netnsFile(lan), { protocol: 'tcp', host: server, port: 80, localAddress: host });
      seen.set(host, [...(seen.get(host) ?? []), uplinkOf(outcome)]);
    }
  }
  const [first, second] = [seen.get('10.10.0.2')!, seen.get('10.10.0.3')!];
  t.ok(first.every((u) => u === first[0]) && !first[0]!.startsWith('error'), `every connection of 10.10.0.2 by one uplink (${first.join(', ')})`);
  t.ok(second.every((u) => u === second[0]) && !second[0]!.startsWith('error'), `every connection of 10.10.0.3 by one uplink (${second.join(', ')})`);
  t.not(first[0], second[0], 'numgen gave the two hosts different uplinks');

  const [ours, nft] = await elements(handle, router, 'map', 'sticky');
  const markOf = (uplink: string) => (uplink.startsWith('isp1') ? 1 : 2);
  t.same(
    withoutExpiry(ours),
    [
      [{ elem: { val: '10.10.0.2', timeout: 3600 } }, markOf(first[0]!)],
      [{ elem: { val: '10.10.0.3', timeout: 3600 } }, markOf(second[0]!)],
    ],
    'the map holds each host with the mark of its uplink, for an hour',
  );
  t.same(withoutExpiry(ours), withoutExpiry(nft), 'nft lists the same elements');
  const expires = (ours as [{ elem: { expires: number } }, number][]).map(([key]) => key.elem.expires);
  t.ok(expires.every((s) => s > 3500 && s <= 3600), `and they expire within the hour (${expires.join(', ')} s)`);

  const rule = (await handle.nft.list({ ...table, chain: 'pre' })).nftables.flatMap((item) => ('rule' in item ? [item.rule.expr] : []))[2];
  t.same(withoutHandles(rule), [fromLan, { map: { op: 'update', elem: { elem: { val: saddr, timeout: 3600 } }, data: meta('mark'), map: '@sticky' } }], 'routemark lists the map statement as it was written');
});

t.test('a set a rule fills and empties: a blocklist of sources that touched a trap port', async (t) => {
  const { router, lan } = await buildScenarioTopology(t);
  const handle = await open({ netns: router.name });
  t.teardown(() => handle.close());
  const udpTo = (port: number) => match({ payload: { protocol: 'udp', field: 'dport' } }, port);
  await handle.nft.apply([
    { add: { table: { family: 'ip', name: 'rm' } } },
    { add: { set: { ...table, name: 'trapped', type: 'ipv4_addr' } } },
    { add: { chain: { ...table, name: 'fwd', type: 'filter', hook: 'forward', prio: 0, policy: 'accept' } } },
    { add: { rule: { ...table, chain: 'fwd', expr: [fromLan, udpTo(9998), { set: { op: 'delete', elem: saddr, set: '@trapped' } }, { drop: null }] } } },
    { add: { rule: { ...table, chain: 'fwd', expr: [match(saddr, '@trapped'), { drop: null }] } } },
    { add: { rule: { ...table, chain: 'fwd', expr: [fromLan, udpTo(9999), { set: { op: 'add', elem: saddr, set: '@trapped' } }, { drop: null }] } } },
    { add: { chain: { ...table, name: 'post', type: 'nat', hook: 'postrouting', prio: 100, policy: 'accept' } } },
    { add: { rule: { ...table, chain: 'post', expr: [match(meta('oifname'), 'up1'), { masquerade: null }] } } },
  ]);
  const reaches = async (host: string) => 'server' in (await askOnce(netnsFile(lan), { protocol: 'tcp', host: server, port: 80, localAddress: host, timeoutMs: 1000 }));

  t.same(await elements(handle, router, 'set', 'trapped'), [undefined, undefined], 'the set starts empty');
  t.ok(await reaches('10.10.0.2'), '10.10.0.2 reaches the server');
  sendDatagrams(lan, '10.10.0.2', server, 9999);
  t.same(await elements(handle, router, 'set', 'trapped'), [['10.10.0.2'], ['10.10.0.2']], 'after a datagram to the trap port, the set holds its source (routemark and nft list it)');
  t.notOk(await reaches('10.10.0.2'), '10.10.0.2 is blocked');
  t.ok(await reaches('10.10.0.3'), '10.10.0.3 still reaches the server');
  sendDatagrams(lan, '10.10.0.2', server, 9998);
  t.same(await elements(handle, router, 'set', 'trapped'), [undefined, undefined], 'a datagram to the other port deletes it again');
  t.ok(await reaches('10.10.0.2'), '10.10.0.2 reaches the server again');
});
