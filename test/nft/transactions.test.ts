/**
 * Transactions against the kernel, witnessed by nft: all or nothing (a 500th rule the kernel
 * refuses leaves the ruleset as it was, and the error names that command and its index), the
 * generation check against a concurrent change, dry runs the kernel validates without
 * committing, rule positions (insert, add after, replace, delete by handle), flush and delete,
 * create's EEXIST, and 100,000 rules and 100,000 map elements in one transaction.
 */
import t from 'tap';
import { NetlinkError, RulesetChangedError, open, type NftCommand } from '../../src/index.js';
import { makeNetns } from '../helpers/netns.js';

const base = (): NftCommand[] => [
  { add: { table: { family: 'ip', name: 't' } } },
  { add: { chain: { family: 'ip', table: 't', name: 'c' } } },
];
const markRule = (mark: number, verdict: Record<string, unknown> = { accept: null }): NftCommand => ({
  add: { rule: { family: 'ip', table: 't', chain: 'c', expr: [{ match: { op: '==', left: { meta: { key: 'mark' } }, right: mark } }, verdict] } },
});

t.test('all or nothing: the 500th rule is refused, nothing changes, the error names it', async (t) => {
  const ns = makeNetns(t);
  const handle = await open({ netns: ns.name });
  t.teardown(() => handle.close());
  await handle.nft.apply([...base(), markRule(1)]);
  const before = ns.exec('nft', ['-j', 'list', 'ruleset']);
  const generation = await handle.nft.generation();

  const document: NftCommand[] = [{ add: { table: { family: 'ip', name: 'u' } } }];
  for (let i = 1; i <= 600; i++) document.push(markRule(i, i === 500 ? { jump: { target: 'missing' } } : { accept: null }));
  const error = await handle.nft.apply({ nftables: document }).catch((e: unknown) => e);
  t.type(error, NetlinkError);
  t.match(error, { code: 'ENOENT', operation: 'nft add rule', index: 500 }, 'the 500th rule, at index 500 of the document');
  t.match((error as Error).message, /^nft add rule\[500\]: ENOENT/);
  t.equal(ns.exec('nft', ['-j', 'list', 'ruleset']), before, 'nft -j list ruleset is identical to before');
  t.equal(await handle.nft.generation(), generation, 'the generation did not move');
});

t.test('generation check: a concurrent change makes the apply fail with ERESTART, then a fresh read succeeds', async (t) => {
  const ns = makeNetns(t);
  const handle = await open({ netns: ns.name });
  t.teardown(() => handle.close());
  await handle.nft.apply(base());
  const { ruleset, generation } = await handle.nft.snapshot();
  t.ok(ruleset.nftables.some((o) => 'chain' in o), 'the snapshot lists the chain');

  ns.exec('nft', ['add', 'table', 'ip', 'someone_else']); // another process changes the ruleset
  const before = ns.exec('nft', ['-j', 'list', 'ruleset']);
  const error = await handle.nft.apply([markRule(7)], { generation }).catch((e: unknown) => e);
  t.type(error, RulesetChangedError);
  t.type(error, NetlinkError);
  t.match(error, { code: 'ERESTART', errno: 85, operation: 'nft commit', expectedGeneration: generation });
  t.match((error as Error).message, /ruleset changed since generation/);
  t.equal(ns.exec('nft', ['-j', 'list', 'ruleset']), before, 'nothing was applied');

  const fresh = await handle.nft.snapshot();
  t.not(fresh.generation, generation, 'the generation moved');
  await handle.nft.apply([markRule(7)], { generation: fresh.generation });
  t.match(ns.exec('nft', ['list', 'chain', 'ip', 't', 'c']), /meta mark 0x00000007 accept/, 'applied against the fresh generation');
});

t.test('dry run: the kernel validates without committing', async (t) => {
  const ns = makeNetns(t);
  const handle = await open({ netns: ns.name });
  t.teardown(() => handle.close());
  await handle.nft.apply(base());
  const before = ns.exec('nft', ['-j', 'list', 'ruleset']);
  const generation = await handle.nft.generation();

  const valid = await handle.nft.apply([markRule(1), markRule(2)], { dryRun: true });
  t.same(valid.handles, [undefined, undefined], 'no handles: nothing was added');
  t.equal(ns.exec('nft', ['-j', 'list', 'ruleset']), before, 'a valid dry run changes nothing');
  // Only the kernel knows the chain does not exist: this error proves it validated.
  const invalid = await handle.nft.apply([markRule(1), markRule(2, { goto: { target: 'nowhere' } })], { dryRun: true }).catch((e: unknown) => e);
  t.match(invalid, { code: 'ENOENT', operation: 'nft add rule', index: 1 });
  t.equal(ns.exec('nft', ['-j', 'list', 'ruleset']), before, 'an invalid dry run changes nothing either');
  t.equal(await handle.nft.generation(), generation, 'and the generation did not move');
});

t.test('positions and handles: insert, add after, insert before, replace, delete', async (t) => {
  const ns = makeNetns(t);
  const handle = await open({ netns: ns.name });
  t.teardown(() => handle.close());
  const { handles } = await handle.nft.apply([...base(), markRule(1), markRule(2)]);
  const [h1, h2] = [handles[2]!, handles[3]!];
  const rule = (mark: number, extra: Record<string, unknown> = {}) => ({ family: 'ip', table: 't', chain: 'c', ...extra, expr: [{ match: { op: '==', left: { meta: { key: 'mark' } }, right: mark } }, { accept: null }] });
  const r = await handle.nft.apply([
    { insert: { rule: rule(0) } },
    { add: { rule: rule(15, { handle: h1 }) } },
    { insert: { rule: rule(17, { handle: h2 }) } },
    { replace: { rule: rule(20, { handle: h2 }) } },
  ] as NftCommand[]);
  const marks = () => ns.nftJson().nftables.filter((o) => 'rule' in o).map((o) => ((o.rule as { expr: { match: { right: number } }[] }).expr[0]!.match.right));
  t.same(marks(), [0, 1, 15, 17, 20], 'insert at the top, after and before handles, replace in place');
  const listed = ns.nftJson().nftables.filter((o) => 'rule' in o).map((o) => (o.rule as { handle: number }).handle);
  t.same([r.handles[0], h1, r.handles[1], r.handles[2], r.handles[3]], listed, 'apply returned the handles nft lists');
  t.equal(r.handles[3], h2, 'replace keeps the handle');
  await handle.nft.apply([{ delete: { rule: { family: 'ip', table: 't', chain: 'c', handle: h1 } } }]);
  t.same(marks(), [0, 15, 17, 20], 'delete by handle');
});

t.test('flush and delete, create and EEXIST', async (t) => {
  const ns = makeNetns(t);
  const handle = await open({ netns: ns.name });
  t.teardown(() => handle.close());
  await handle.nft.apply([
    ...base(),
    markRule(1),
    { add: { set: { family: 'ip', table: 't', name: 's', type: 'ipv4_addr', elem: ['192.0.2.1', '192.0.2.2'] } } },
    { add: { table: { family: 'inet', name: 'other' } } },
  ]);
  const missing = await handle.nft.addElements({ family: 'ip', table: 't', name: 'nope' }, ['192.0.2.1']).catch((e: unknown) => e);
  t.match(missing, { code: 'ENOENT', operation: 'nft add element', index: 0 }, 'elements for a set that does not exist');
  const exists = await handle.nft.apply([{ create: { table: { family: 'ip', name: 't' } } }]).catch((e: unknown) => e);
  t.match(exists, { code: 'EEXIST', operation: 'nft create table', index: 0 });
  await handle.nft.apply([{ add: { table: { family: 'ip', name: 't' } } }]);
  t.pass('add of an existing table is fine');

  await handle.nft.apply([{ flush: { chain: { family: 'ip', table: 't', name: 'c' } } }, { flush: { set: { family: 'ip', table: 't', name: 's' } } }]);
  t.equal(ns.exec('nft', ['list', 'chain', 'ip', 't', 'c']).includes('meta mark'), false, 'flush chain removed its rules');
  t.equal(ns.exec('nft', ['list', 'set', 'ip', 't', 's']).includes('192.0.2.1'), false, 'flush set removed its elements');
  await handle.nft.apply([{ delete: { set: { family: 'ip', table: 't', name: 's' } } }, { delete: { chain: { family: 'ip', table: 't', name: 'c' } } }]);
  t.same(ns.exec('nft', ['list', 'table', 'ip', 't']).trim().split('\n').map((l) => l.trim()), ['table ip t {', '}'], 'set and chain deleted');
  await handle.nft.apply([{ delete: { table: { family: 'ip', name: 't' } } }]);
  t.same(ns.nftJson().nftables.filter((o) => 'table' in o).map((o) => (o.table as { name: string }).name), ['other']);
  await handle.nft.apply([{ flush: { ruleset: null } }]);
  t.same(ns.nftJson().nftables.filter((o) => !('metainfo' in o)), [], 'flush ruleset');
});

t.test('100,000 rules and a 100,000-element map in one transaction each, without ENOBUFS', async (t) => {
  const ns = makeNetns(t);
  const handle = await open({ netns: ns.name });
  t.teardown(() => handle.close());
  const document: NftCommand[] = [...base()];
  for (let i = 0; i < 100_000; i++) {
    document.push({
      add: {
        rule: {
          family: 'ip',
          table: 't',
          chain: 'c',
          expr: [
            { match: { op: '==', left: { payload: { protocol: 'ip', field: 'saddr' } }, right: `10.${i >> 16}.${(i >> 8) & 255}.${i & 255}` } },
            { mangle: { key: { meta: { key: 'mark' } }, value: i } },
          ],
        },
      },
    });
  }
  const { handles } = await handle.nft.apply(document);
  const ruleHandles = handles.slice(2);
  t.equal(new Set(ruleHandles).size, 100_000, '100,000 distinct handles came back');
  t.ok(ruleHandles.every((h) => typeof h === 'number'));
  const listed = ns.exec('nft', ['-a', 'list', 'chain', 'ip', 't', 'c']).split('\n').filter((l) => l.includes('meta mark set'));
  t.equal(listed.length, 100_000, 'nft lists 100,000 rules');
  t.match(listed[99_999], /ip saddr 10\.1\.134\.159 meta mark set 0x0001869f # handle \d+/, 'the last one is the last one');

  const elements = Array.from({ length: 100_000 }, (_, i) => [`10.${i >> 16}.${(i >> 8) & 255}.${i & 255}`, i + 1]);
  await handle.nft.apply([{ add: { map: { family: 'ip', table: 't', name: 'm', type: 'ipv4_addr', map: 'mark' } } }]);
  await handle.nft.addElements({ family: 'ip', table: 't', name: 'm' }, elements as never);
  const map = ns.nftJson().nftables.find((o) => 'map' in o)!.map as { elem: unknown[] };
  t.equal(map.elem.length, 100_000, 'nft lists 100,000 elements');
  await handle.nft.deleteElements({ family: 'ip', table: 't', name: 'm' }, elements.slice(0, 50_000).map(([key]) => key) as never);
  const after = ns.nftJson().nftables.find((o) => 'map' in o)!.map as { elem: unknown[] };
  t.equal(after.elem.length, 50_000, 'bulk delete removed 50,000');
});
