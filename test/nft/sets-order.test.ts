/**
 * The order in which elements of concatenated interval sets are listed, witnessed by nft 1.0.6 in
 * the same namespace: nft does not sort them (the kernel dumps them in the order they were added),
 * so routemark must list them in the kernel's order too, whatever shapes their fields have.
 */
import t from 'tap';
import { open, type NftCommand } from '../../src/index.js';
import { makeNetns, type TestNetns } from '../helpers/netns.js';
import { nftFile, nftTable, oursAndWitness, withoutHandles } from './helpers.js';

/** `nft -j list table FAMILY NAME` without metainfo and handles. */
/** The `val`s of a set's elements in a listing, in the order listed (map values left out). */
function elementKeys(listing: unknown[], set: string): unknown[] {
  for (const object of listing as Record<string, { name?: string; elem?: unknown[] }>[]) {
    const body = object.set ?? object.map;
    if (body?.name === set) return (body.elem ?? []).map((e) => (Array.isArray(e) ? e[0] : e));
  }
  return [];
}

// Found in review and fixed: routemark sorted the elements of concatenated interval sets; nft lists them in the kernel's order.
t.test('concatenated interval sets list their elements in the order nft lists them', async (t) => {
  const ns = makeNetns(t);
  // Not in sorted order, and every shape of field: prefixes, ranges, single values, mixed.
  nftFile(
    ns,
    [],
    `table inet t {
  chain c1 { }
  set mixed { type ipv4_addr . inet_service; flags interval;
    elements = { 10.0.2.5 . 80, 10.0.0.0/24 . 1-100, 192.168.0.1-192.168.0.9 . 22, 1.2.3.4 . 443, 10.0.1.0/25 . 53, 9.0.0.0-9.0.0.255 . 1000-2000 } }
  set six { type ipv6_addr . mark . inet_service; flags interval;
    elements = { 2001:db8::/64 . 7 . 1-2, ::1 . 1-5 . 22, 2001:db8:1::1-2001:db8:1::ff . 3 . 443, fe80::/10 . 0x10/28 . 80 } }
  map marks { type ipv4_addr . inet_service : mark; flags interval;
    elements = { 10.0.0.0/8 . 80 : 1, 1.1.1.1 . 1-1023 : 2, 172.16.0.0-172.16.0.3 . 5 : 3 } }
  map verdicts { type ifname . ipv4_addr : verdict; flags interval;
    elements = { "lo" . 10.0.0.0/8 : accept, "eth*" . 1.2.3.4 : drop, "a" . 0.0.0.0-0.0.0.9 : jump c1 } }
  chain c2 { ip saddr . tcp dport { 10.0.2.0/24 . 80, 1.0.0.1 . 1-100, 5.5.5.5-5.5.5.7 . 9 } accept; }
}`,
  );
  // Added later, and one deleted: the kernel's order is the order of adding, with gaps closed.
  ns.exec('nft', ['add', 'element', 'inet', 't', 'mixed', '{ 0.0.0.1 . 1, 200.0.0.0/8 . 8-9 }']);
  ns.exec('nft', ['delete', 'element', 'inet', 't', 'mixed', '{ 1.2.3.4 . 443 }']);
  const handle = await open({ netns: ns.name });
  t.teardown(() => handle.close());
  const nft = nftTable(ns, 'inet', 't');
  t.same(
    elementKeys(nft, 'mixed').slice(0, 2),
    [{ concat: ['10.0.2.5', 80] }, { concat: [{ prefix: { addr: '10.0.0.0', len: 24 } }, { range: [1, 100] }] }],
    'nft lists the first elements as they were added, not sorted',
  );
  const ours = withoutHandles((await handle.nft.list({ family: 'inet', table: 't' })).nftables.slice(1));
  t.same(ours, nft, 'routemark lists the table as nft does, the elements of every concatenated interval set in the same order');
  t.same(withoutHandles((await handle.nft.list({ family: 'inet', table: 't', set: 'mixed' })).nftables.slice(1)), withoutHandles((JSON.parse(ns.exec('nft', ['-j', 'list', 'set', 'inet', 't', 'mixed'])) as { nftables: unknown[] }).nftables.slice(1)), 'and one set as nft -j list set does');
});

t.test('elements routemark adds to a concatenated interval set list in the same order as those nft -j -f adds', async (t) => {
  const { ours, witness, handle } = await oursAndWitness(t);
  const set = { family: 'ip', table: 't', name: 's' } as const;
  const document: NftCommand[] = [
    { add: { table: { family: 'ip', name: 't' } } },
    { add: { set: { ...set, type: ['ipv4_addr', 'inet_service'], flags: ['interval'], elem: [{ concat: ['192.0.2.9', 9] }, { concat: [{ prefix: { addr: '10.0.0.0', len: 8 } }, 80] }] } } },
    { add: { element: { ...set, elem: [{ concat: ['198.51.100.1', { range: [1, 1023] }] }, { concat: [{ range: ['1.0.0.0', '1.0.0.7'] }, 53] }, { concat: ['0.0.0.1', 1] }] } } },
  ];
  await handle.nft.apply(document);
  nftFile(witness, ['-j'], JSON.stringify({ nftables: document }));
  const nftListing = nftTable(witness, 'ip', 't');
  t.same(nftTable(ours, 'ip', 't'), nftListing, 'nft lists what routemark added as it lists what nft -j -f added, in the same order');
  t.same(withoutHandles((await handle.nft.list({ family: 'ip', table: 't' })).nftables.slice(1)), nftListing, 'and routemark lists it so too');
});
