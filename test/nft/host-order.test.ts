/**
 * Host-order integers (marks, user ids) compared by size, with real packets: ranges, `>`, and
 * lookups in interval sets and maps. The kernel compares registers and interval keys as
 * big-endian numbers, so nft converts these values to network order first; a rule that did not
 * would match the wrong packets. Witnessed by nft's own counters and listings.
 */
import t from 'tap';
import { open, type NftExpression, type NftStatement } from '../../src/index.js';
import { makeNetns, type TestNetns } from '../helpers/netns.js';
import { withoutHandles } from './helpers.js';

const table = { family: 'ip', table: 'ho' } as const;
const match = (left: NftExpression, right: NftExpression, op = '=='): NftStatement => ({ match: { op, left, right } });
const meta = (key: string): NftExpression => ({ meta: { key } });
const counter: NftStatement = { counter: { packets: 0, bytes: 0 } };
const range = (low: number, high: number): NftExpression => ({ range: [low, high] });

/** One UDP datagram to 127.0.0.1:9 sent by `uid` in the namespace. */
function sendAs(ns: TestNetns, uid: number): void {
  const send = "const s = require('dgram').createSocket('udp4'); s.send('x', 9, '127.0.0.1', () => s.close())";
  ns.exec('setpriv', [`--reuid=${uid}`, `--regid=${uid}`, '--clear-groups', process.execPath, '-e', send]);
}

/** Packets counted by each rule of chain `out`, by its comment, as `nft -j` lists them. */
function counts(ns: TestNetns): Record<string, number> {
  const out: Record<string, number> = {};
  for (const item of ns.nftJson().nftables) {
    const rule = (item as { rule?: { chain: string; comment?: string; expr: Record<string, { packets?: number }>[] } }).rule;
    if (rule?.chain !== 'out' || rule.comment === undefined) continue;
    out[rule.comment] = rule.expr.find((e) => e.counter !== undefined)?.counter?.packets ?? -1;
  }
  return out;
}

t.test('marks and user ids by range, by order and by interval set match the packets nft would match', async (t) => {
  const ns = makeNetns(t, 'rmho');
  ns.ip('link', 'set', 'lo', 'up');
  const handle = await open({ netns: ns.name });
  t.teardown(() => handle.close());

  const rule = (comment: string, ...expr: NftStatement[]) => ({ add: { rule: { ...table, chain: 'out', comment, expr } } });
  const uidRange = range(1000, 2000);
  await handle.nft.apply({
    nftables: [
      { add: { table: { family: 'ip', name: 'ho' } } },
      { add: { set: { ...table, name: 'users', type: 'uid', flags: ['interval'], elem: [uidRange, 3000] } } },
      { add: { set: { ...table, name: 'marks', type: 'mark', flags: ['interval'], elem: [range(0x10, 0x20), range(0x21, 0x30)] } } },
      { add: { map: { ...table, name: 'classes', type: 'mark', map: 'mark', flags: ['interval'], elem: [[range(0x10, 0x1e), 7], [range(0x100, 0x1fe), 8]] } } },
      { add: { chain: { ...table, name: 'out', type: 'filter', hook: 'output', prio: 0, policy: 'accept' } } },
      // Only the datagram: not the port unreachable the kernel answers it with.
      { add: { rule: { ...table, chain: 'out', expr: [match(meta('l4proto'), 'udp', '!='), { accept: null }] } } },
      rule('uid range', match(meta('skuid'), uidRange), counter),
      rule('uid set', match(meta('skuid'), '@users'), counter),
      rule('uid above 2000', match(meta('skuid'), 2000, '>'), counter),
      rule('uid at most 1500', match(meta('skuid'), 1500, '<='), counter),
      rule('uid not in range', match(meta('skuid'), uidRange, '!='), counter),
      { add: { rule: { ...table, chain: 'out', expr: [match(meta('skuid'), { set: [uidRange, 3000] }), { mangle: { key: meta('mark'), value: 0x1500 } }] } } },
      rule('mark range', match(meta('mark'), range(0x1400, 0x1600)), counter),
      rule('mark masked range', match({ '&': [meta('mark'), 0xff00] }, range(0x1400, 0x1500)), counter),
      rule('mark below', match(meta('mark'), 0x1400, '<'), counter),
      { add: { rule: { ...table, chain: 'out', expr: [{ mangle: { key: meta('mark'), value: 0x21 } }] } } },
      rule('mark set', match(meta('mark'), '@marks'), counter),
      rule('mark anonymous set', match(meta('mark'), { set: [range(0x20, 0x22), 0x40] }), counter),
      { add: { rule: { ...table, chain: 'out', expr: [{ mangle: { key: meta('mark'), value: { map: { key: meta('mark'), data: '@classes' } } } }] } } },
      rule('mark mapped', match(meta('mark'), 7), counter),
    ],
  });

  sendAs(ns, 1500);
  t.same(counts(ns), {
    'uid range': 1,
    'uid set': 1,
    'uid above 2000': 0,
    'uid at most 1500': 1,
    'uid not in range': 0,
    'mark range': 1,
    'mark masked range': 1,
    'mark below': 0,
    'mark set': 1,
    'mark anonymous set': 1,
    // 0x21 is not in the map's intervals: the map lookup finds nothing and ends the rule.
    'mark mapped': 0,
  }, 'uid 1500, marked 0x1500 then 0x21');

  sendAs(ns, 3000);
  t.match(counts(ns), { 'uid range': 1, 'uid set': 2, 'uid above 2000': 1, 'uid at most 1500': 1, 'uid not in range': 1 }, 'uid 3000: in the set, not in the range');

  const nft = withoutHandles(ns.nftJson().nftables);
  const setOf = (name: string) => nft.flatMap((o) => ('set' in o ? [o.set] : 'map' in o ? [o.map] : [])).find((s) => (s as { name: string }).name === name) as { elem: unknown };
  t.same(setOf('users').elem, [uidRange, 3000], 'nft lists the user ids as routemark wrote them');
  t.same(setOf('marks').elem, [range(0x10, 0x20), range(0x21, 0x30)], 'adjacent mark intervals stay two');
  t.same(setOf('classes').elem, [[range(0x10, 0x1e), 7], [range(0x100, 0x1fe), 8]], 'the mark map');
});

t.test('elements added to and deleted from interval sets of user ids and of addresses, as nft sees them', async (t) => {
  const ns = makeNetns(t, 'rmho');
  const handle = await open({ netns: ns.name });
  t.teardown(() => handle.close());
  await handle.nft.apply({
    nftables: [
      { add: { table: { family: 'ip', name: 'ho' } } },
      { add: { set: { ...table, name: 'users', type: 'uid', flags: ['interval'], elem: [range(1000, 1999)] } } },
      { add: { set: { ...table, name: 'nets', type: 'ipv4_addr', flags: ['interval'], elem: ['10.0.0.0/24'] } } },
    ],
  });
  // Each touching an interval already there: the kernel needs the end elements nft sends.
  await handle.nft.apply({
    nftables: [
      { add: { element: { ...table, name: 'users', elem: [range(2000, 2999), 5000] } } },
      { add: { element: { ...table, name: 'nets', elem: ['10.0.1.0/24'] } } },
    ],
  });
  t.equal(ns.exec('nft', ['get', 'element', 'ip', 'ho', 'users', '{ 2500 }']).includes('2000-2999'), true, 'nft finds 2500 in 2000-2999');
  t.equal(ns.exec('nft', ['get', 'element', 'ip', 'ho', 'nets', '{ 10.0.1.7 }']).includes('10.0.1.0/24'), true, 'nft finds 10.0.1.7 in 10.0.1.0/24');

  await handle.nft.apply({ nftables: [{ delete: { element: { ...table, name: 'users', elem: [range(1000, 1999)] } } }] });
  const listed = await handle.nft.list({ ...table, set: 'users' });
  const ours = listed.nftables.flatMap((o) => ('set' in o ? [o.set.elem] : []))[0];
  const theirs = (JSON.parse(ns.exec('nft', ['-j', 'list', 'set', 'ip', 'ho', 'users'])) as { nftables: { set?: { elem: unknown } }[] }).nftables.find((o) => o.set)!.set!.elem;
  t.same(theirs, [range(2000, 2999), 5000], 'nft lists what is left');
  t.same(ours, theirs, 'routemark lists the same');
});

t.test('an aligned interval of marks is a prefix, as nft lists it, and routemark applies it back', async (t) => {
  const ns = makeNetns(t, 'rmho');
  const handle = await open({ netns: ns.name });
  t.teardown(() => handle.close());
  const prefix: NftExpression = { prefix: { addr: 0x10, len: 28 } };
  await handle.nft.apply({
    nftables: [
      { add: { table: { family: 'ip', name: 'ho' } } },
      { add: { set: { ...table, name: 'marks', type: 'mark', flags: ['interval'], elem: [prefix, range(0x20, 0x2f)] } } },
    ],
  });
  const theirs = (JSON.parse(ns.exec('nft', ['-j', 'list', 'set', 'ip', 'ho', 'marks'])) as { nftables: { set?: { elem: unknown } }[] }).nftables.find((o) => o.set)!.set!.elem;
  t.same(theirs, [prefix, { prefix: { addr: 0x20, len: 28 } }], 'nft lists both as prefixes');
  t.match(ns.exec('nft', ['get', 'element', 'ip', 'ho', 'marks', '{ 0x1f }']), /0x00000010\/28/, 'nft finds 0x1f in 0x10/28');
  const listed = await handle.nft.list({ ...table, set: 'marks' });
  t.same(listed.nftables.flatMap((o) => ('set' in o ? [o.set.elem] : []))[0], theirs, 'routemark lists the same');
});
