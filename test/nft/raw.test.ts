/**
 * Expressions routemark does not know (socket cgroupv2, ipsec, meta hour, meta day, the
 * statements of a set statement's element) come back in a clearly marked `raw` statement, never
 * dropped, next to the statements routemark does read; applying that listing with routemark
 * recreates rules nft lists identically.
 */
import t from 'tap';
import { open, type NftStatement } from '../../src/index.js';
import { makeNetns } from '../helpers/netns.js';
import { nftFile, nftObjects } from './helpers.js';

const RULES = `
table ip r {
  chain pre { type filter hook prerouting priority raw; policy accept;
    tcp dport 8080 ipsec in reqid 1
  }
  chain in { type filter hook input priority 0; policy accept;
    socket cgroupv2 level 1 "/" counter accept
    tcp dport 80 meta hour "10:00"-"12:00" accept
    meta day "Monday" accept
    ip saddr 192.0.2.1 meta l4proto tcp accept
  }
  set seen { type ipv4_addr; flags dynamic; }
  chain dyn { type filter hook forward priority 0; policy accept;
    add @seen { ip saddr counter } accept
  }
}
`;

t.test('unknown expressions come back raw, and re-apply to the same rules', async (t) => {
  const source = makeNetns(t, 'rmn-src');
  const copy = makeNetns(t, 'rmn-copy');
  nftFile(source, [], RULES);
  const a = await open({ netns: source.name });
  const b = await open({ netns: copy.name });
  t.teardown(() => {
    a.close();
    b.close();
  });
  const listing = await a.nft.list();
  const rules = listing.nftables.filter((o) => 'rule' in o).map((o) => (o as { rule: { expr: NftStatement[] } }).rule.expr);
  t.equal(rules.length, 6);
  const names = (statement: NftStatement | undefined) => statement?.raw?.map((r) => r.expr);

  t.same(names(rules[0]![1]), ['xfrm', 'cmp'], 'ipsec (xfrm) and the cmp on its register are raw');
  t.same(rules[0]![0], { match: { op: '==', left: { payload: { protocol: 'tcp', field: 'dport' } }, right: 8080 } }, 'beside the match routemark reads');
  t.same(names(rules[1]![0]), ['socket', 'cmp'], 'socket cgroupv2 and the cmp on its register are one raw statement');
  t.same(rules[1]!.slice(1), [{ counter: { packets: 0, bytes: 0 } }, { accept: null }], 'followed by what routemark reads');
  t.same(rules[2]![0], { match: { op: '==', left: { payload: { protocol: 'tcp', field: 'dport' } }, right: 80 } }, 'the match routemark reads');
  t.same(names(rules[2]![1]), ['meta', 'byteorder', 'cmp', 'cmp'], 'then meta hour, its byte order and the two cmps on its register, raw');
  t.same(rules[2]!.slice(2), [{ accept: null }], 'and the verdict');
  t.same(names(rules[3]![0]), ['meta', 'cmp'], 'meta day and the cmp on its register are raw');
  t.same(rules[3]!.slice(1), [{ accept: null }], 'followed by the verdict routemark reads');
  t.same(rules[4], [
    { match: { op: '==', left: { payload: { protocol: 'ip', field: 'saddr' } }, right: '192.0.2.1' } },
    { match: { op: '==', left: { meta: { key: 'l4proto' } }, right: 'tcp' } },
    { accept: null },
  ], 'rules without unknown expressions are plain JSON');
  t.same(names(rules[5]![0]), ['payload', 'dynset'], 'a set statement with a counter in its element is raw, after the load it reads');
  t.same(rules[5]!.slice(1), [{ accept: null }]);
  for (const statement of rules.flat()) {
    for (const raw of statement.raw ?? []) t.match(raw, { expr: /^[a-z]+$/, data: /^([0-9a-f]{2})*$/ }, `raw ${raw.expr} carries its attributes as hex`);
  }

  await b.nft.apply(listing);
  t.same(nftObjects(copy), nftObjects(source), 'applying the listing recreates rules nft lists identically');
});

t.test('a set of a type routemark does not know is listed raw, not dropped', async (t) => {
  const ns = makeNetns(t);
  nftFile(ns, [], 'table ip macs {\n set known { type ipv4_addr; elements = { 192.0.2.1 }; }\n set seen { type ether_addr; elements = { 02:00:00:00:00:01 }; }\n}\n');
  const handle = await open({ netns: ns.name });
  t.teardown(() => handle.close());
  const sets = (await handle.nft.list()).nftables.filter((o) => 'set' in o).map((o) => (o as unknown as { set: Record<string, unknown> }).set);
  t.same(sets.map((s) => s.name), ['known', 'seen'], 'both sets are listed');
  t.match(sets[1], { name: 'seen', raw: { keyType: 9, keyLen: 6, elements: [{ key: '020000000001' }] } }, 'the unknown one with its type id and elements as the kernel holds them');
  t.equal(sets[1]!.type, undefined, 'and no type routemark would have to invent');
});

t.test('elements for a kernel set keyed by a plain integer are refused with a clear error', async (t) => {
  const ns = makeNetns(t);
  // `typeof meta length` gives the set nft's integer type: its width and byte order are only in
  // nft's userdata, so routemark must not guess how to write the elements.
  nftFile(ns, [], 'table ip lens {\n set sizes { typeof meta length; elements = { 64 }; }\n}\n');
  const handle = await open({ netns: ns.name });
  t.teardown(() => handle.close());
  const before = nftObjects(ns);
  await t.rejects(
    handle.nft.apply({ nftables: [{ add: { element: { family: 'ip', table: 'lens', name: 'sizes', elem: [128] } } }] }),
    { name: 'ValidationError', field: 'nftables[0].add.element', message: /set whose key type routemark does not know/ },
    'the error names the command and says why',
  );
  t.same(nftObjects(ns), before, 'and nothing changed');
});
