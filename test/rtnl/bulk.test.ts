/**
 * Bulk calls against the same calls made one by one in a second namespace: the outcome of every
 * item (in the caller's order) and the final state `ip` shows must be identical, for rules
 * (reordered and checked for duplicates by routemark) and routes. Also large batches that need
 * several flights, verified by count.
 */
import t from 'tap';
import { NetlinkError, type Handle, type Route, type Rule } from '../../src/index.js';
import type { TeardownHost, TestNetns } from '../helpers/netns.js';
import { freshHandle, oneByOne, plumb } from './helpers.js';

function codes(errors: (NetlinkError | undefined)[]): (string | undefined)[] {
  return errors.map((e) => e?.code);
}

function rulesOf(ns: TestNetns): unknown {
  return [ns.ipJson('-4', 'rule'), ns.ipJson('-6', 'rule')];
}

async function pair(t: TeardownHost): Promise<[Handle, TestNetns, Handle, TestNetns]> {
  const a = await freshHandle(t);
  const b = await freshHandle(t);
  plumb(a.ns);
  plumb(b.ns);
  return [a.handle, a.ns, b.handle, b.ns];
}

const existingRules: Rule[] = [
  { fwmark: 1, priority: 100, table: 10 },
  { from: '192.0.2.0/24', priority: 500, table: 5 },
  { family: 'inet6', fwmark: 1, priority: 100, table: 10 },
];

const bulkRules: Rule[] = [
  { fwmark: 7, priority: 300, table: 7 },
  { fwmark: 1, priority: 100, table: 10 }, // exists: EEXIST
  { fwmark: 8, priority: 50, table: 8 },
  { fwmark: 7, priority: 300, table: 7 }, // same as item 0: EEXIST
  { priority: 500, table: 5 }, // the kernel calls this a duplicate of `from 192.0.2.0/24 priority 500 table 5`
  { from: '198.51.100.0/24', priority: 500, table: 5 }, // not a duplicate
  { tos: 0x10, dscp: 4, priority: 600, table: 6 }, // the kernel refuses tos and dscp together: EINVAL
  { tos: 0x10, dscp: 4, priority: 600, table: 6 }, // the same again: EINVAL again, not EEXIST
  { priority: 600, table: 6 }, // collided only with the refused one: added
  { fwmark: 9, priority: 200, action: 'goto', goto: 100 }, // backward goto: EINVAL
  { family: 'inet6', fwmark: 1, priority: 100, table: 10 }, // exists in IPv6: EEXIST
  { from: '2001:db8::/32', priority: 300, table: 7 },
  { fwmark: 10, priority: 300, table: 7 }, // same priority as item 0: after it, as one by one
  { fwmark: 11, priority: 0, table: 7 },
  { uidrange: 469, priority: 300, table: 7 },
  { fwmark: 0, priority: 700, table: 7 },
  { priority: 700, table: 7 }, // to the kernel, mark 0 is no mark: EEXIST
  { fwmark: 12, priority: 800, table: 8 },
  { fwmark: 12, fwmask: 0xffffffff, priority: 800, table: 8 }, // the mask a mark gets anyway: EEXIST
  { fwmark: 12, fwmask: 0xff, priority: 800, table: 8 }, // another mask: added
];

t.test('rules.addMany and deleteMany: outcomes and state identical to one by one', async (t) => {
  const [bulk, bulkNs, single, singleNs] = await pair(t);
  for (const handle of [bulk, single]) for (const rule of existingRules) await handle.rules.add(rule);

  const result = await bulk.rules.addMany(bulkRules);
  const expected = await oneByOne(bulkRules, (rule) => single.rules.add(rule));
  t.same(codes(result.errors), expected, `per-item outcomes: ${JSON.stringify(expected)}`);
  t.same(expected, [undefined, 'EEXIST', undefined, 'EEXIST', 'EEXIST', undefined, 'EINVAL', 'EINVAL', undefined, 'EINVAL', 'EEXIST', undefined, undefined, undefined, undefined, undefined, 'EEXIST', undefined, 'EEXIST', undefined], 'the cases are the ones meant');
  t.same(rulesOf(bulkNs), rulesOf(singleNs), 'ip shows the same rules, in the same order');
  t.equal(result.succeeded, 11);
  t.equal(result.failed, 9);
  t.match(result.errors[1], { operation: 'addRules', index: 1, code: 'EEXIST' }, 'errors name the operation and the caller index');
  t.match(result.errors[6], { operation: 'addRules', index: 6, code: 'EINVAL' }, 'kernel refusals keep their index after reordering');

  // Rules without a priority: the kernel picks them from what is there; the caller's order decides.
  const unprioritized: Rule[] = [{ fwmark: 21, table: 21 }, { fwmark: 22, table: 22 }, { fwmark: 21, table: 21 }];
  const result2 = await bulk.rules.addMany(unprioritized);
  t.same(codes(result2.errors), await oneByOne(unprioritized, (rule) => single.rules.add(rule)), 'without priorities: same outcomes');
  t.same(rulesOf(bulkNs), rulesOf(singleNs), 'without priorities: same rules');

  const toDelete: Rule[] = [
    { fwmark: 7, priority: 300, table: 7 },
    { fwmark: 99, priority: 301, table: 7 }, // missing: ENOENT
    { fwmark: 7, priority: 300, table: 7 }, // deleted already: ENOENT
    { fwmark: 8, priority: 50 },
    { family: 'inet6', priority: 300 }, // matches the IPv6 rule at 300
    { priority: 600, table: 6 },
    ...unprioritized,
  ];
  const deleted = await bulk.rules.deleteMany(toDelete);
  t.same(codes(deleted.errors), await oneByOne(toDelete, (rule) => single.rules.delete(rule)), 'deleteMany: same outcomes as one by one');
  t.same(rulesOf(bulkNs), rulesOf(singleNs), 'deleteMany: same rules remain');
  await t.rejects(bulk.rules.addMany([{ fwmark: 1, priority: 100, table: 10 }], { throwOnError: true }), { code: 'EEXIST', index: 0 }, 'throwOnError rejects with the first error');
});

t.test('rules.addMany with every priority its own (no duplicate check due): mixed plain and general rules, refusals, as one by one', async (t) => {
  const [bulk, bulkNs, single, singleNs] = await pair(t);
  for (const handle of [bulk, single]) for (const rule of existingRules) await handle.rules.add(rule);
  const rules: Rule[] = [
    { fwmark: 31, priority: 1003, table: 31 },
    { from: '198.51.100.0/24', priority: 1001, table: 32 }, // general path, between plain ones
    { fwmark: 33, fwmask: 0xff, priority: 1005, table: 300, protocol: 99 },
    { fwmark: 34, priority: 1002, action: 'goto', goto: 90 }, // backward goto: EINVAL
    { family: 'inet6', fwmark: 35, priority: 1004, table: 35 },
    { iif: 'lo', priority: 1000, table: 36 }, // general, lowest priority: sent last
    { fwmark: 37, priority: 99, table: 37 }, // below the existing rules' priorities
  ];
  const result = await bulk.rules.addMany(rules);
  const expected = await oneByOne(rules, (rule) => single.rules.add(rule));
  t.same(codes(result.errors), expected, `per-item outcomes: ${JSON.stringify(expected)}`);
  t.same(expected, [undefined, undefined, undefined, 'EINVAL', undefined, undefined, undefined], 'the cases are the ones meant');
  t.match(result.errors[3], { operation: 'addRules', index: 3, code: 'EINVAL' }, 'the refusal keeps its index');
  t.same(rulesOf(bulkNs), rulesOf(singleNs), 'ip shows the same rules, in the same order');
  const deleted = await bulk.rules.deleteMany(rules);
  t.same(codes(deleted.errors), await oneByOne(rules, (rule) => single.rules.delete(rule)), 'deleteMany: same outcomes');
  t.same(rulesOf(bulkNs), rulesOf(singleNs), 'deleteMany: same rules remain');
});

t.test('routes.addMany, replaceMany and deleteMany: outcomes and state identical to one by one', async (t) => {
  const [bulk, bulkNs, single, singleNs] = await pair(t);
  const routes: Route[] = [
    { dst: '10.1.0.0/16', gateway: '192.0.2.1', table: 100 },
    { dst: '10.2.0.0/16', gateway: '10.99.0.1', table: 100 }, // gateway not on-link: ENETUNREACH
    { dst: '10.1.0.0/16', gateway: '192.0.2.1', table: 100 }, // again: EEXIST
    { dst: '2001:db8:5::/48', gateway: '2001:db8::1', dev: 'v0', table: 100 },
    { type: 'blackhole', dst: '10.3.0.0/16', table: 1000 },
    { dst: 'default', nexthops: [{ gateway: '192.0.2.1', dev: 'v0' }, { gateway: '198.51.100.1', dev: 'v2' }], table: 100 },
  ];
  const result = await bulk.routes.addMany(routes);
  t.same(codes(result.errors), await oneByOne(routes, (route) => single.routes.add(route)), 'addMany: same outcomes');
  t.same(codes(result.errors), [undefined, 'ENETUNREACH', 'EEXIST', undefined, undefined, undefined]);
  const state = (ns: TestNetns) => [ns.ipJson('-4', 'route', 'show', 'table', 'all'), ns.ipJson('-6', 'route', 'show', 'table', 'all')];
  t.same(state(bulkNs), state(singleNs), 'same routes');
  t.match(result.errors[1], { operation: 'addRoutes', index: 1, extAckMessage: 'Nexthop has invalid gateway' });

  const replaced = await bulk.routes.replaceMany([{ dst: '10.1.0.0/16', gateway: '198.51.100.1', table: 100 }]);
  await single.routes.replace({ dst: '10.1.0.0/16', gateway: '198.51.100.1', table: 100 });
  t.equal(replaced.failed, 0);
  t.same(state(bulkNs), state(singleNs), 'replaceMany: same routes');

  const toDelete: Route[] = [...routes, { dst: '10.9.0.0/16', table: 100 }];
  const deleted = await bulk.routes.deleteMany(toDelete);
  t.same(codes(deleted.errors), await oneByOne(toDelete, (route) => single.routes.delete(route)), 'deleteMany: same outcomes');
  t.same(state(bulkNs), state(singleNs), 'deleteMany: same routes remain');
});

t.test('large batches: 3,000 rules and 20,000 routes in and out, verified by count', async (t) => {
  const { ns, handle } = await freshHandle(t);
  plumb(ns);
  const rules: Rule[] = Array.from({ length: 3000 }, (_, i) => ({ fwmark: i + 1, priority: 1000 + ((i * 7919) % 3000), table: 100 }));
  const added = await handle.rules.addMany(rules);
  t.equal(added.failed, 0, 'all rules added');
  t.equal(ns.ipJson<unknown[]>('rule').length, 3003, 'ip counts them');
  t.same((await handle.rules.list({ table: 100 })).map((r) => r.priority), [...rules.map((r) => r.priority!)].sort((a, b) => a - b), 'in priority order');
  const removed = await handle.rules.deleteMany(rules);
  t.equal(removed.failed, 0, 'all rules deleted');
  t.equal(ns.ipJson<unknown[]>('rule').length, 3, 'only the defaults remain');

  const routes: Route[] = Array.from({ length: 20000 }, (_, i) => ({ dst: `10.${i >> 16}.${(i >> 8) & 255}.${i & 255}/32`, dev: 'v0', table: 200 }));
  const sendsBefore = handle.connection(0).sendCount;
  const routesAdded = await handle.routes.addMany(routes);
  t.equal(routesAdded.failed, 0, 'all routes added');
  t.ok(handle.connection(0).sendCount - sendsBefore < 200, 'in batched sendmsg calls, not one per route');
  t.equal(ns.exec('sh', ['-c', 'ip route show table 200 | wc -l']).trim(), '20000', 'ip counts them');
  const again = await handle.routes.addMany(routes.slice(0, 10));
  t.same(codes(again.errors), new Array(10).fill('EEXIST'), 'adding them again: EEXIST each');
  const routesRemoved = await handle.routes.deleteMany(routes);
  t.equal(routesRemoved.failed, 0, 'all routes deleted');
  t.equal(ns.exec('sh', ['-c', 'ip route show table 200 | wc -l']).trim(), '0', 'table 200 is empty');
});
