/**
 * Owner ids on a handle: what it creates carries the owner's protocol (`ip` shows it), list
 * calls filter by it, deletes and flushes without a protocol never reach other tools' objects,
 * and ids that belong to the kernel, `ip` or routing daemons are refused.
 */
import t from 'tap';
import { open, OWNER_ID_RANGE, ValidationError } from '../../src/index.js';
import { listTables, ownerTag, parseOwnerTag } from '../../src/policy/nft-tables.js';
import { policyNetns } from './helpers.js';

t.test('rules and routes made on an owner handle carry its protocol; lists filter by it', async (t) => {
  const { ns, handle } = await policyNetns(t, 230);
  await handle.rules.add({ fwmark: 1, priority: 100, table: 10 });
  await handle.rules.addMany([{ fwmark: 2, priority: 101, table: 10 }, { family: 'inet6', fwmark: 3, priority: 102, table: 10 }]);
  await handle.routes.add({ dst: '10.1.0.0/16', dev: 'v0', table: 10 });
  await handle.routes.addMany([{ dst: '10.2.0.0/16', dev: 'v0', table: 10 }, { dst: '2001:db8:5::/48', dev: 'v0', table: 10 }]); // fast path and general path
  await handle.routes.replace({ dst: '10.3.0.0/16', gateway: '192.0.2.2', table: 10 });
  await handle.rules.add({ fwmark: 4, priority: 103, table: 10, protocol: 'static' }); // an explicit protocol wins
  ns.ip('rule', 'add', 'fwmark', '9', 'priority', '100', 'table', '10');
  ns.ip('route', 'add', '10.9.0.0/16', 'dev', 'v0', 'table', '10');

  t.same(ns.ipJson<{ priority: number; protocol?: string }[]>('rule', 'show', 'table', '10').map((r) => [r.priority, r.protocol]), [[100, '230'], [100, undefined], [101, '230'], [103, 'static']]);
  t.match(ns.ipJson('-6', 'rule', 'show', 'table', '10'), [{ priority: 102, protocol: '230' }]);
  t.same(ns.ipJson<{ dst: string; protocol: string }[]>('-4', 'route', 'show', 'table', '10').map((r) => [r.dst, r.protocol]), [['10.1.0.0/16', '230'], ['10.2.0.0/16', '230'], ['10.3.0.0/16', '230'], ['10.9.0.0/16', undefined]]);
  t.match(ns.ipJson('-6', 'route', 'show', 'table', '10'), [{ dst: '2001:db8:5::/48', protocol: '230' }]);

  t.same((await handle.rules.list({ owned: true })).map((r) => r.fwmark), [1, 2, 3]);
  t.same((await handle.routes.list({ table: 'all', owned: true })).map((r) => r.dst), ['10.1.0.0/16', '10.2.0.0/16', '10.3.0.0/16', '2001:db8:5::/48']);
  await t.rejects(handle.rules.list({ owned: true, protocol: 'boot' }), { name: 'ValidationError', field: 'filter.protocol' });

  // A delete without a protocol matches the owner's objects only: the foreign rule at 100 stays.
  await t.rejects(handle.rules.delete({ fwmark: 9, priority: 100, table: 10 }), { code: 'ENOENT' });
  await t.rejects(handle.routes.delete({ dst: '10.9.0.0/16', table: 10 }), { code: 'ESRCH' });
  await handle.rules.delete({ priority: 100, table: 10 });
  t.same(ns.ipJson<{ priority: number; fwmark?: string }[]>('rule', 'show', 'priority', '100').map((r) => r.fwmark), ['0x9'], 'the owner\'s rule went, the foreign one stayed');
  t.equal(await handle.routes.flush({ table: 10 }), 4, 'a flush takes the owner\'s routes, IPv4 and IPv6');
  t.same(ns.ipJson<{ dst: string }[]>('-4', 'route', 'show', 'table', '10').map((r) => r.dst), ['10.9.0.0/16']);
});

t.test('owner ids that other tools use are refused', async (t) => {
  t.same(OWNER_ID_RANGE, { min: 200, max: 254 });
  for (const owner of [0, 2, 3, 4, 12, 186, 256, -1, 1.5]) {
    await t.rejects(open({ owner }), { name: 'ValidationError', field: 'options.owner' }, `owner ${owner}`);
  }
  const { handle } = await policyNetns(t);
  const plain = await open({ netns: handle.netns });
  t.teardown(() => plain.close());
  await t.rejects(plain.rules.list({ owned: true }), ValidationError, 'owned needs an owner');
});

t.test('nf_tables tables carry the owner in their comment', async (t) => {
  const { ns, handle } = await policyNetns(t);
  t.same(parseOwnerTag(ownerTag(201, '0123456789abcdef', 'steering')), { owner: 201, digest: '0123456789abcdef', comment: 'steering' });
  t.equal(parseOwnerTag('routemark:201:short'), undefined);
  await handle.nft.apply([{ add: { table: { family: 'inet', name: 'mine', comment: ownerTag(201, '0123456789abcdef', undefined) } } }]);
  ns.exec('nft', ['add', 'table', 'ip', 'theirs']);
  t.match(await listTables(handle), [
    { family: 'inet', name: 'mine', owner: 201, digest: '0123456789abcdef' },
    { family: 'ip', name: 'theirs', owner: undefined },
  ]);
});
