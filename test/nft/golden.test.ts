/**
 * Golden tests, one fixture per expression form (test/fixtures/nft, recorded from nft 1.0.6):
 *  - the fixture's JSON applied by routemark is listed by `nft -j list ruleset` as that JSON;
 *  - the same rule loaded with `nft -f` decodes through routemark to that JSON, and
 *    routemark's whole listing, fed to `nft -j -f` in a fresh namespace, lists identically;
 *  - routemark's rule holds exactly the expressions nft's rule holds (as the kernel keeps them).
 * Where nft 1.0.6 lists a statement as text (the map statement: it has no JSON for it), the
 * fixture keeps that listing (`nftRule`) beside the JSON, nft must list routemark's rule the same
 * way, and routemark's listing of such tables is fed back to routemark instead of to nft.
 */
import t from 'tap';
import { open } from '../../src/index.js';
import { makeNetns } from '../helpers/netns.js';
import { kernelRules, loadFixtures, nftFile, nftObjects, tableObjects, withoutHandles } from './helpers.js';

const fixtures = loadFixtures();

t.test('golden fixtures: routemark and nft agree on every expression form', async (t) => {
  t.ok(fixtures.length >= 100, `${fixtures.length} fixtures`);
  const applied = makeNetns(t, 'rmn-a'); // routemark applies the fixtures' JSON here
  const loaded = makeNetns(t, 'rmn-b'); // nft -f loads the fixtures' text here
  const replayed = makeNetns(t, 'rmn-c'); // nft -j -f loads routemark's listing of `loaded` here
  for (const ns of [applied, loaded]) {
    ns.ip('link', 'add', 'eth0', 'type', 'veth', 'peer', 'name', 'eth0p');
    ns.ip('link', 'add', 'tun0', 'type', 'veth', 'peer', 'name', 'tun0p');
  }
  const a = await open({ netns: applied.name });
  const b = await open({ netns: loaded.name });
  t.teardown(() => {
    a.close();
    b.close();
  });

  const applyErrors = new Map<string, unknown>();
  for (const fixture of fixtures) {
    const { family, name } = fixture.table;
    try {
      await a.nft.apply({
        nftables: [
          { add: { table: { family: family as 'ip', name } } },
          ...fixture.objects.map((o) => ({ add: o })),
          { add: { chain: fixture.chain } },
          { add: { rule: fixture.rule } },
        ] as never,
      });
    } catch (error) {
      applyErrors.set(fixture.name, error);
    }
  }
  nftFile(loaded, [], fixtures.map((f) => f.nft).join('\n'));

  const nftApplied = nftObjects(applied);
  const nftLoaded = nftObjects(loaded);
  const routemarkLoaded = await b.nft.list();
  const nftCannotRead = new Set(fixtures.filter((f) => f.nftRule !== undefined).map((f) => `${f.table.family}|${f.table.name}`));
  const forRoutemark = (item: object) => {
    if ('metainfo' in item) return false;
    const [kind, body] = Object.entries(item)[0] as [string, { family: string; table?: string; name?: string }];
    return nftCannotRead.has(`${body.family}|${kind === 'table' ? body.name : body.table}`);
  };
  nftFile(replayed, ['-j'], JSON.stringify({ nftables: routemarkLoaded.nftables.filter((o) => !forRoutemark(o)) }));
  const c = await open({ netns: replayed.name });
  t.teardown(() => c.close());
  await c.nft.apply({ nftables: routemarkLoaded.nftables.filter(forRoutemark) as never });
  const nftReplayed = nftObjects(replayed);
  const routemarkObjects = withoutHandles(routemarkLoaded.nftables.filter((o) => !("metainfo" in o))) as unknown as Record<string, Record<string, unknown>>[];

  for (const fixture of fixtures) {
    await t.test(`${fixture.name}: ${fixture.description}`, async (t) => {
      const { family, name } = fixture.table;
      t.equal(applyErrors.get(fixture.name), undefined, 'routemark applied the JSON');
      const ruleOf = (objects: Record<string, Record<string, unknown>>[]) => tableObjects(objects, family, name).filter((o) => 'rule' in o && o.rule!.chain === 'c');
      const named = (o: object) => 'set' in o || 'map' in o || 'counter' in o || 'quota' in o;
      const setsOf = (objects: Record<string, Record<string, unknown>>[]) => tableObjects(objects, family, name).filter(named);
      const expectedSets = fixture.objects.filter(named);

      t.same(ruleOf(nftApplied), [{ rule: fixture.nftRule ?? fixture.rule }], fixture.nftRule ? 'nft lists the rule routemark applied as it lists its own (as text)' : 'nft lists the rule routemark applied as the fixture JSON');
      t.same(setsOf(nftApplied), expectedSets, 'and its sets, maps, counters and quotas');

      t.same(ruleOf(routemarkObjects), [{ rule: fixture.rule }], 'routemark decodes the rule nft loaded to the fixture JSON');
      t.same(setsOf(routemarkObjects), expectedSets, 'and its sets, maps, counters and quotas');
      t.same(tableObjects(nftReplayed, family, name), tableObjects(nftLoaded, family, name), fixture.nftRule ? "routemark's listing, applied back by routemark, lists identically" : "nft -j -f accepts routemark's listing, and it lists identically");

      const chainC = (rules: Record<string, unknown>[]) => rules.filter((r) => r.chain === 'c');
      const ours = chainC(await kernelRules(a, name));
      t.equal(ours.length, 1, 'one rule in chain c');
      t.same(ours, chainC(await kernelRules(b, name)), 'the kernel holds the same expressions for both rules');
    });
  }
});
