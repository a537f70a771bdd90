/**
 * Base chains of the netdev and arp families, whose hooks each family numbers apart from inet's
 * (netdev: ingress 0, egress 1; arp: input 0, output 1). Found in review and fixed: routemark
 * used the inet numbers for every family, so a netdev chain made by nft listed as "prerouting"
 * (its number 0 is NF_INET_PRE_ROUTING), and one routemark made was sent hook 5 (inet's
 * ingress), which the netdev family does not have.
 */
import t from 'tap';
import { open, type NftChain } from '../../src/index.js';
import { makeNetns } from '../helpers/netns.js';
import { nftFile, nftObjects } from './helpers.js';

const CHAINS = `
table netdev n {
  chain in { type filter hook ingress device "v0" priority 0; policy accept; }
  chain out { type filter hook egress device "v0" priority 0; policy accept; }
}
table arp a {
  chain in { type filter hook input priority 0; policy accept; }
  chain out { type filter hook output priority 0; policy drop; }
}
`;

/** type, hook, prio and policy of each base chain, as listed. */
const hooks = (objects: readonly Record<string, unknown>[]) =>
  objects.flatMap((o) => {
    const chain = (o as { chain?: NftChain }).chain;
    return chain?.hook === undefined ? [] : [`${chain.family} ${chain.table} ${chain.name}: ${chain.type} hook ${chain.hook} prio ${chain.prio} ${chain.policy}`];
  });

t.test('netdev and arp chains made by nft list with their own hooks', async (t) => {
  const ns = makeNetns(t);
  ns.ip('link', 'add', 'v0', 'type', 'veth', 'peer', 'name', 'v1');
  nftFile(ns, [], CHAINS);
  const handle = await open({ netns: ns.name });
  t.teardown(() => handle.close());
  const witness = hooks(nftObjects(ns));
  t.same(witness, ['netdev n in: filter hook ingress prio 0 accept', 'netdev n out: filter hook egress prio 0 accept', 'arp a in: filter hook input prio 0 accept', 'arp a out: filter hook output prio 0 drop'], 'witness: nft -j list');
  t.same(hooks((await handle.nft.list()).nftables as Record<string, unknown>[]), witness, 'routemark lists them as nft does');
});

t.test('netdev and arp chains made by routemark are the chains nft makes', async (t) => {
  const ns = makeNetns(t);
  ns.ip('link', 'add', 'v0', 'type', 'veth', 'peer', 'name', 'v1');
  const handle = await open({ netns: ns.name });
  t.teardown(() => handle.close());
  const base = (family: 'netdev' | 'arp', table: string, name: string, hook: NftChain['hook'], policy: 'accept' | 'drop', dev?: string) =>
    ({ add: { chain: { family, table, name, type: 'filter', hook, prio: 0, policy, ...(dev ? { dev } : {}) } } }) as const;
  await handle.nft.apply({
    nftables: [
      { add: { table: { family: 'netdev', name: 'n' } } },
      base('netdev', 'n', 'in', 'ingress', 'accept', 'v0'),
      base('netdev', 'n', 'out', 'egress', 'accept', 'v0'),
      { add: { table: { family: 'arp', name: 'a' } } },
      base('arp', 'a', 'in', 'input', 'accept'),
      base('arp', 'a', 'out', 'output', 'drop'),
    ],
  });
  t.same(hooks(nftObjects(ns)), ['netdev n in: filter hook ingress prio 0 accept', 'netdev n out: filter hook egress prio 0 accept', 'arp a in: filter hook input prio 0 accept', 'arp a out: filter hook output prio 0 drop'], 'nft -j list shows the hooks asked for');
  t.match(ns.exec('nft', ['list', 'table', 'netdev', 'n']), /hook ingress device "v0"/, 'nft: the ingress chain is on v0');

  await t.rejects(handle.nft.apply({ nftables: [{ add: { chain: { family: 'netdev', table: 'n', name: 'x', type: 'filter', hook: 'prerouting', prio: 0, dev: 'v0' } } }] }), { name: 'ValidationError', field: 'nftables[0].add.chain.hook', message: /ingress, egress/ }, 'a hook the family lacks is refused, naming the family\'s hooks');
});
