/**
 * Named counters and quotas with real packets, in the scenario topology: per-uplink byte
 * accounting that an agent reads and resets, and a metered uplink's quota.
 *
 * The router counts what leaves by each uplink in a named counter (`oifname "up1" counter name
 * "up1"`); the agent reads the counters (routemark's listing and nft's agree), resets them and
 * gets the values from before the reset, and counting starts again from zero. A quota on up2
 * (`quota name "cap2"`, over 100 bytes: drop) lets three 29-byte datagrams through, drops the
 * rest (an nft counter in isp2 sees what arrived), and lets three more through after a reset.
 */
import t from 'tap';
import { open, type NftExpression, type NftStatement } from '../../src/index.js';
import { makeNetns, type TestNetns } from '../helpers/netns.js';
import { buildScenarioTopology } from '../helpers/scenario-topology.js';
import { sendDatagrams } from '../helpers/traffic.js';
import { nftCounters } from '../helpers/witness.js';
import { withoutHandles } from './helpers.js';

const ip = { family: 'ip', table: 'rm' } as const;
const match = (left: NftExpression, right: NftExpression): NftStatement => ({ match: { op: '==', left, right } });
const oifname = (name: string) => match({ meta: { key: 'oifname' } }, name);
/** One datagram of sendDatagrams: 20 bytes of IP header, 8 of UDP, 1 of payload. */
const DATAGRAM = 29;

/** The counters and quotas of table rm as `nft -j list table` lists them, handles left out. */
function nftObjects(router: TestNetns): unknown[] {
  const listing = JSON.parse(router.exec('nft', ['-j', 'list', 'table', 'ip', 'rm'])) as { nftables: Record<string, unknown>[] };
  return withoutHandles(listing.nftables.filter((o) => 'counter' in o || 'quota' in o));
}

t.test('named counters count each uplink; a reset returns the counts and starts again from zero', async (t) => {
  const { router, lan, isp2 } = await buildScenarioTopology(t);
  const handle = await open({ netns: router.name });
  t.teardown(() => handle.close());
  const arrived = nftCounters(isp2, 'prerouting', 'raw', ['ip saddr 10.10.0.2 udp dport 5000']);
  await handle.nft.apply([
    { add: { table: { family: 'ip', name: 'rm' } } },
    { add: { counter: { ...ip, name: 'up1', comment: 'isp1 bytes' } } },
    { add: { counter: { ...ip, name: 'up2' } } },
    { add: { quota: { ...ip, name: 'cap2', bytes: 100, inv: true } } },
    { add: { chain: { ...ip, name: 'fwd', type: 'filter', hook: 'forward', prio: 0, policy: 'accept' } } },
    { add: { rule: { ...ip, chain: 'fwd', expr: [oifname('up1'), { counter: 'up1' }] } } },
    { add: { rule: { ...ip, chain: 'fwd', expr: [oifname('up2'), { counter: 'up2' }] } } },
    { add: { rule: { ...ip, chain: 'fwd', expr: [oifname('up2'), { quota: 'cap2' }, { drop: null }] } } },
  ]);
  const objects = async () => withoutHandles((await handle.nft.list(ip)).nftables.filter((o) => 'counter' in o || 'quota' in o));
  const counter = (name: string, packets: number, comment?: string) => ({ counter: { family: 'ip', name, table: 'rm', ...(comment ? { comment } : {}), packets, bytes: packets * DATAGRAM } });
  const quota = (used: number) => ({ quota: { family: 'ip', name: 'cap2', table: 'rm', bytes: 100, used, inv: true } });

  sendDatagrams(lan, '10.10.0.2', '203.0.113.10', 5000, 5); // by up1 (the main table's default)
  sendDatagrams(lan, '10.10.0.2', '10.2.0.1', 5000, 5); // by up2 (isp2's own address)
  // The kernel lists a quota's use up to the quota (it counts on, and drops, past it).
  const counted = [counter('up1', 5, 'isp1 bytes'), counter('up2', 5), quota(100)];
  t.same(await objects(), counted, 'routemark lists each uplink counter with 5 packets, and the quota used up');
  t.same(nftObjects(router), counted, 'nft lists the same');
  t.same(arrived.read(), [3], 'the quota let 3 datagrams (87 bytes) reach isp2 and dropped the 2 over 100 bytes');
  t.same(withoutHandles((await handle.nft.list({ ...ip, counter: 'up2' })).nftables.slice(1)), [counter('up2', 5)], 'one counter alone');

  t.same(withoutHandles(await handle.nft.reset({ counter: { family: 'ip', table: 'rm' } })), counted.slice(0, 2), 'resetting the counters returns their counts');
  t.same(withoutHandles(await handle.nft.reset({ quota: { family: 'ip', table: 'rm', name: 'cap2' } })), [quota(100)], 'and the quota what it had used');
  t.same(await objects(), [counter('up1', 0, 'isp1 bytes'), counter('up2', 0), quota(0)], 'after the reset they are zero');
  t.same(nftObjects(router), [counter('up1', 0, 'isp1 bytes'), counter('up2', 0), quota(0)], 'for nft too');

  sendDatagrams(lan, '10.10.0.2', '203.0.113.10', 5000, 2);
  sendDatagrams(lan, '10.10.0.2', '10.2.0.1', 5000, 4);
  t.same(arrived.read(), [6], 'the reset quota lets 3 more through');
  t.same(withoutHandles(await handle.nft.reset({ counter: { family: 'ip', table: 'rm', name: 'up1' } })), [counter('up1', 2, 'isp1 bytes')], 'counting started again: up1 has the 2 new packets');
  t.same(await objects(), [counter('up1', 0, 'isp1 bytes'), counter('up2', 4), quota(100)], 'only up1 was reset this time');

  const rules = (await handle.nft.list({ ...ip, chain: 'fwd' })).nftables.flatMap((item) => ('rule' in item ? [item.rule.expr] : []));
  t.same(rules, [[oifname('up1'), { counter: 'up1' }], [oifname('up2'), { counter: 'up2' }], [oifname('up2'), { quota: 'cap2' }, { drop: null }]], 'the rules list their objects by name');
  await handle.nft.apply([{ delete: { table: { family: 'ip', name: 'rm' } } }]);
  const gone = await handle.nft.reset({ counter: { family: 'ip', table: 'rm', name: 'up1' } }).catch((e: unknown) => e);
  t.match(gone, { code: 'ENOENT', operation: 'nft reset counter' }, 'resetting a counter that is gone: ENOENT, naming the operation');
});

t.test('objects are added, listed, deleted by name or handle, and fed back from a listing', async (t) => {
  const { router } = await buildScenarioTopology(t);
  const handle = await open({ netns: router.name });
  t.teardown(() => handle.close());
  await handle.nft.apply([
    { add: { table: { family: 'ip', name: 'rm' } } },
    { add: { counter: { ...ip, name: 'a', packets: 7, bytes: 700 } } },
    { create: { quota: { ...ip, name: 'q', bytes: 1000, used: 10 } } },
  ]);
  const listing = await handle.nft.list(ip);
  const [a, q] = listing.nftables.filter((o) => 'counter' in o || 'quota' in o) as unknown as [{ counter: { handle: number } }, { quota: { handle: number } }];
  t.same(withoutHandles([a, q]), [
    { counter: { family: 'ip', name: 'a', table: 'rm', packets: 7, bytes: 700 } },
    { quota: { family: 'ip', name: 'q', table: 'rm', bytes: 1000, used: 10, inv: false } },
  ], 'as given, with the values they start from');
  const twice = await handle.nft.apply([{ create: { quota: { ...ip, name: 'q', bytes: 1000 } } }]).catch((e: unknown) => e);
  t.match(twice, { code: 'EEXIST', operation: 'nft create quota', index: 0 }, 'create refuses an existing quota');

  await handle.nft.apply([{ delete: { counter: { ...ip, name: 'a' } } }, { delete: { quota: { ...ip, handle: q.quota.handle } } }] as never);
  t.same(nftObjects(router), [], 'deleted by name and by handle');
  await handle.nft.apply(listing);
  t.same(nftObjects(router), withoutHandles([a, q]), 'the listing fed back recreates them');
});

t.test('one rule counts each mark into the counter an object map names for it', async (t) => {
  const ns = makeNetns(t, 'rmobj');
  ns.ip('link', 'set', 'lo', 'up');
  const handle = await open({ netns: ns.name });
  t.teardown(() => handle.close());
  const mark = { meta: { key: 'mark' } };
  const rule = (...expr: NftStatement[]) => ({ add: { rule: { ...ip, chain: 'out', expr } } });
  await handle.nft.apply([
    { add: { table: { family: 'ip', name: 'rm' } } },
    ...['up1', 'up2', 'n1', 'n2'].map((name) => ({ add: { counter: { ...ip, name } } })),
    { add: { map: { ...ip, name: 'uplinks', type: 'mark', map: 'counter', flags: ['interval'], elem: [[1, 'n1'], [{ range: [2, 3] }, 'n2']] } } },
    { add: { chain: { ...ip, name: 'out', type: 'filter', hook: 'output', prio: 0, policy: 'accept' } } },
    rule({ match: { op: '!=', left: { meta: { key: 'l4proto' } }, right: 'udp' } }, { accept: null }),
    rule(match({ payload: { protocol: 'udp', field: 'dport' } }, 9), { mangle: { key: mark, value: 1 } }),
    rule(match({ payload: { protocol: 'udp', field: 'dport' } }, 10), { mangle: { key: mark, value: 3 } }),
    rule({ counter: { map: { key: mark, data: { set: [[1, 'up1'], [3, 'up2']] } } } }),
    rule({ counter: { map: { key: mark, data: '@uplinks' } } }),
  ]);
  const send = (port: number) => ns.exec(process.execPath, ['-e', `const s = require('dgram').createSocket('udp4'); s.send('x', ${port}, '127.0.0.1', () => s.close())`]);
  send(9);
  send(9);
  send(10);
  const packets = (name: string) => (nftObjects(ns) as { counter?: { name: string; packets: number } }[]).find((o) => o.counter?.name === name)?.counter?.packets;
  t.same(['up1', 'up2', 'n1', 'n2'].map(packets), [2, 1, 2, 1], 'nft counts two datagrams marked 1 and one marked 3, by each map');
  const listed = (await handle.nft.list({ ...ip, chain: 'out' })).nftables.filter((o) => 'rule' in o).slice(-2);
  t.same(withoutHandles(listed).map((o) => (o as { rule: { expr: unknown } }).rule.expr), [
    [{ counter: { map: { key: mark, data: { set: [[1, 'up1'], [3, 'up2']] } } } }],
    [{ counter: { map: { key: mark, data: '@uplinks' } } }],
  ], 'routemark lists the rules as written');
});
