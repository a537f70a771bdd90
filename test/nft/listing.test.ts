/**
 * Listing and table options against the kernel: filters by family, table, chain and set;
 * interface names for iif/oif; comments on tables, chains and rules; owner tables that live as
 * long as the handle (and persist ones that outlive it); the top-level functions.
 */
import t from 'tap';
import { spawnSync } from 'node:child_process';
import { open, type NftCommand } from '../../src/index.js';
import { addVeth, makeNetns } from '../helpers/netns.js';
import { withoutHandles } from './helpers.js';
import { REPO_ROOT } from '../helpers/paths.js';

const root = REPO_ROOT;

const DOCUMENT: NftCommand[] = [
  { add: { table: { family: 'ip', name: 'a', comment: 'table a' } } },
  { add: { chain: { family: 'ip', table: 'a', name: 'in', type: 'filter', hook: 'input', prio: 0, policy: 'accept', comment: 'inbound' } } },
  { add: { chain: { family: 'ip', table: 'a', name: 'other' } } },
  { add: { set: { family: 'ip', table: 'a', name: 'hosts', type: 'ipv4_addr', elem: ['192.0.2.1'] } } },
  { add: { rule: { family: 'ip', table: 'a', chain: 'in', comment: 'from v0', expr: [{ match: { op: '==', left: { meta: { key: 'iif' } }, right: 'v0' } }, { accept: null }] } } },
  { add: { rule: { family: 'ip', table: 'a', chain: 'other', expr: [{ match: { op: '==', left: { payload: { protocol: 'ip', field: 'saddr' } }, right: '@hosts' } }, { drop: null }] } } },
  { add: { table: { family: 'inet', name: 'b' } } },
  { add: { chain: { family: 'inet', table: 'b', name: 'c' } } },
];

t.test('filters, interface names and comments', async (t) => {
  const ns = makeNetns(t);
  addVeth(ns, 'v0', 'v1');
  const handle = await open({ netns: ns.name });
  t.teardown(() => handle.close());
  await handle.nft.apply(DOCUMENT);
  const text = ns.exec('nft', ['list', 'ruleset']);
  t.match(text, /comment "table a"/, 'nft shows the table comment');
  t.match(text, /comment "inbound"/, 'and the chain comment');
  t.match(text, /iif "v0" accept comment "from v0"/, 'and the rule, with its interface by name, and comment');

  const all = withoutHandles((await handle.nft.list()).nftables);
  t.same(all[0], { metainfo: { version: 'routemark', json_schema_version: 1 } });
  t.same(all.slice(1), [
    { table: { family: 'ip', name: 'a', comment: 'table a' } },
    { set: { family: 'ip', name: 'hosts', table: 'a', type: 'ipv4_addr', elem: ['192.0.2.1'] } },
    { chain: { family: 'ip', table: 'a', name: 'in', type: 'filter', hook: 'input', prio: 0, policy: 'accept', comment: 'inbound' } },
    { chain: { family: 'ip', table: 'a', name: 'other' } },
    { rule: { family: 'ip', table: 'a', chain: 'in', comment: 'from v0', expr: [{ match: { op: '==', left: { meta: { key: 'iif' } }, right: 'v0' } }, { accept: null }] } },
    { rule: { family: 'ip', table: 'a', chain: 'other', expr: [{ match: { op: '==', left: { payload: { protocol: 'ip', field: 'saddr' } }, right: '@hosts' } }, { drop: null }] } },
    { table: { family: 'inet', name: 'b' } },
    { chain: { family: 'inet', table: 'b', name: 'c' } },
  ], 'the whole ruleset, in nft order');
  const kinds = (listing: { nftables: object[] }) => listing.nftables.slice(1).map((o) => Object.keys(o)[0]);
  t.same(kinds(await handle.nft.list({ family: 'inet' })), ['table', 'chain'], 'by family');
  t.same(kinds(await handle.nft.list({ table: 'a' })), ['table', 'set', 'chain', 'chain', 'rule', 'rule'], 'by table');
  t.same(withoutHandles((await handle.nft.list({ family: 'ip', table: 'a', chain: 'other' })).nftables.slice(1)), all.slice(4, 5).concat(all.slice(6, 7)), 'by chain: the chain and its rules');
  t.same(withoutHandles((await handle.nft.list({ family: 'ip', table: 'a', set: 'hosts' })).nftables.slice(1)), [all[2]], 'by set');

  ns.ip('link', 'del', 'v0');
  const orphan = (await handle.nft.list({ table: 'a', chain: 'in' })).nftables.find((o) => 'rule' in o) as { rule: { expr: { match: { right: unknown } }[] } };
  t.type(orphan.rule.expr[0]!.match.right, 'number', 'an interface that is gone is listed by index, as nft does');
});

t.test('a chain listed alone: rules that use sets decode as in the whole listing', async (t) => {
  const ns = makeNetns(t);
  const handle = await open({ netns: ns.name });
  t.teardown(() => handle.close());
  ns.exec('nft', ['-f', '-'], 'table ip t {\n  set hosts { type ipv4_addr; elements = { 192.0.2.1 }; }\n  chain c { tcp dport { 22, 80 } accept; ip saddr @hosts drop; }\n  chain d { accept; }\n}\n');
  const rules = (listing: Awaited<ReturnType<typeof handle.nft.list>>) => withoutHandles(listing.nftables.filter((o) => 'rule' in o));
  const whole = rules(await handle.nft.list({ table: 't' })).filter((o) => (o as { rule: { chain: string } }).rule.chain === 'c');
  t.equal(whole.length, 2);
  t.same(rules(await handle.nft.list({ family: 'ip', table: 't', chain: 'c' })), whole, 'the same rules, the anonymous set inlined');
  const kinds = (await handle.nft.list({ table: 't', chain: 'c' })).nftables.slice(1).map((o) => Object.keys(o)[0]);
  t.same(kinds, ['chain', 'rule', 'rule'], 'and no set of the table');
});

t.test('owner tables go away with their handle; owner+persist tables stay', async (t) => {
  const ns = makeNetns(t);
  const handle = await open({ netns: ns.name });
  await handle.nft.apply([
    { add: { table: { family: 'ip', name: 'mine', flags: 'owner' } } },
    { add: { table: { family: 'ip', name: 'kept', flags: ['owner', 'persist'] } } },
  ]);
  const tables = () => ns.exec('nft', ['list', 'tables']).trim().split('\n').sort();
  t.same(tables(), ['table ip kept', 'table ip mine'], 'both exist while the handle is open');
  const flags = (await handle.nft.list()).nftables.filter((o) => 'table' in o).map((o) => (o as { table: { name: string; flags?: string[] } }).table);
  t.same(flags.map((f) => [f.name, f.flags]), [['mine', ['owner']], ['kept', ['owner', 'persist']]], 'routemark lists the flags');
  handle.close();
  // The kernel drops an owner table when the socket is released; give a loaded machine time.
  for (const deadline = Date.now() + 5000; tables().length > 1 && Date.now() < deadline; ) await new Promise((resolve) => setTimeout(resolve, 50));
  t.same(tables(), ['table ip kept'], 'after close only the persist table is left');
});

t.test('top-level functions work on the current namespace (ESM)', async (t) => {
  const ns = makeNetns(t);
  const result = spawnSync('ip', ['netns', 'exec', ns.name, process.execPath, '--input-type=module', '-e', `
    import { applyNftables, listNftables, snapshotNftables } from 'routemark';
    const { handles } = await applyNftables([
      { add: { table: { family: 'ip', name: 'top' } } },
      { add: { chain: { family: 'ip', table: 'top', name: 'c' } } },
      { add: { rule: { family: 'ip', table: 'top', chain: 'c', expr: [{ counter: null }] } } },
    ]);
    const listing = await listNftables({ table: 'top' });
    const { generation } = await snapshotNftables();
    console.log(JSON.stringify({ handles, rules: listing.nftables.filter((o) => o.rule).length, generation }));
  `], { cwd: root, encoding: 'utf8' });
  t.equal(result.status, 0, result.stderr);
  const out = JSON.parse(result.stdout) as { handles: (number | null)[]; rules: number; generation: number };
  t.equal(out.rules, 1);
  t.type(out.handles[2], 'number', 'the rule handle came back');
  t.type(out.generation, 'number');
  t.match(ns.exec('nft', ['list', 'chain', 'ip', 'top', 'c']), /counter packets 0 bytes 0/, 'nft sees it in that namespace');
});

t.test('tables alone, like nft list tables', async (t) => {
  const ns = makeNetns(t);
  ns.exec('nft', ['-f', '-'], 'table ip made_by_nft { comment "theirs"; }\ntable inet other { }\ntable ip6 six { flags dormant; }\n');
  const handle = await open({ netns: ns.name });
  t.teardown(() => handle.close());
  await handle.nft.apply([{ add: { table: { family: 'ip', name: 'ours', comment: 'mine' } } }]);
  const tables = await handle.nft.tables();
  const nftTables = (JSON.parse(ns.exec('nft', ['-j', 'list', 'tables'])) as { nftables: { table?: { family: string; name: string; handle: number } }[] }).nftables
    .flatMap((entry) => (entry.table ? [entry.table] : []));
  t.same(
    tables.map((x) => `${x.family} ${x.name} ${x.handle}`).sort(),
    nftTables.map((x) => `${x.family} ${x.name} ${x.handle}`).sort(),
    'the same tables and handles as nft lists',
  );
  t.match(tables.find((x) => x.name === 'made_by_nft'), { family: 'ip', comment: 'theirs' });
  t.match(tables.find((x) => x.name === 'ours'), { comment: 'mine' });
  t.same(tables.find((x) => x.name === 'six')?.flags, ['dormant']);
});
