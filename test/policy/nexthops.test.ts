/**
 * Nexthop objects in a policy document, against the kernel and `ip`: objects are added before
 * the routes that use them and deleted after; a changed object is replaced in place (its routes
 * stay and follow it); applied again nothing changes; conflicts (another owner's id, a group
 * against a single nexthop) reject before anything is sent; a refused change undoes the objects
 * already added.
 */
import t from 'tap';
import { applyPolicy, planPolicy, PolicyApplyError, PolicyConflictError, type PolicyDocument } from '../../src/index.js';
import { countMessages, policyNetns } from './helpers.js';

interface IpNexthop {
  id: number;
  gateway?: string;
  dev?: string;
  group?: { id: number; weight?: number }[];
  protocol?: string;
}

const uplinks = (group: { id: number; weight?: number }[]): PolicyDocument => ({
  nexthops: [
    { id: 10, group },
    { id: 1, gateway: '192.0.2.2', dev: 'v0' },
    { id: 2, gateway: '198.51.100.2', dev: 'v2' },
  ],
  routes: [{ dst: 'default', nexthopId: 10, table: 100 }],
  rules: [{ fwmark: 66, priority: 1000, table: 100 }],
});

t.test('nexthop objects: applied before their routes, replaced in place, deleted after; applied again, no change', async (t) => {
  const { ns, handle } = await policyNetns(t);
  const nexthops = () => ns.ipJson<IpNexthop[]>('nexthop', 'show').map((n) => ({ id: n.id, gateway: n.gateway, dev: n.dev, group: n.group, protocol: n.protocol }));

  const first = await applyPolicy(handle, uplinks([{ id: 1 }, { id: 2, weight: 3 }]));
  t.same(
    first.plan.changes.map((c) => `${c.action} ${c.object}${c.object === 'nexthop' ? ` ${c.nexthop.id}` : ''}`),
    ['add nexthop 1', 'add nexthop 2', 'add nexthop 10', 'add route', 'add rule'],
    'single objects first, then the group, then the route that uses it',
  );
  t.same(nexthops(), [
    { id: 1, gateway: '192.0.2.2', dev: 'v0', group: undefined, protocol: '201' },
    { id: 2, gateway: '198.51.100.2', dev: 'v2', group: undefined, protocol: '201' },
    { id: 10, gateway: undefined, dev: undefined, group: [{ id: 1 }, { id: 2, weight: 3 }], protocol: '201' },
  ], 'ip nexthop shows the three, tagged with the owner');
  t.match(ns.ipJson('route', 'show', 'table', '100'), [{ dst: 'default', nhid: 10, protocol: '201' }], 'the route uses group 10');

  const sent = countMessages(handle);
  const again = await applyPolicy(handle, uplinks([{ id: 2, weight: 3 }, { id: 1 }]));
  t.equal(again.changed, false, 'applied again (members in another order): nothing to do');
  t.equal(sent.changes, 0, 'no changing message reached the kernel');

  // Group 10 loses uplink 2, which goes: a replace (the route stays), then a delete.
  const second = await applyPolicy(handle, { ...uplinks([{ id: 1 }]), nexthops: [{ id: 10, group: [{ id: 1 }] }, { id: 1, gateway: '192.0.2.2', dev: 'v0' }] });
  t.same(
    second.plan.changes.map((c) => `${c.action} ${c.object}${c.object === 'nexthop' ? ` ${c.nexthop.id}` : ''}`),
    ['replace nexthop 10', 'delete nexthop 2'],
    'a replace of the group, then the delete of the object it no longer uses',
  );
  t.same(nexthops().map((n) => [n.id, n.group]), [[1, undefined], [10, [{ id: 1 }]]], 'ip: group 10 holds uplink 1 only; 2 is gone');
  t.match(ns.ipJson('route', 'show', 'table', '100'), [{ dst: 'default', nhid: 10 }], 'the route stayed, moved with its group');
  t.match(ns.ipJson('route', 'get', '203.0.113.9', 'mark', '66'), [{ gateway: '192.0.2.2', dev: 'v0' }], 'ip route get: marked traffic leaves by uplink 1');

  // The route goes with the document's routes; then its objects.
  const third = await applyPolicy(handle, {});
  t.same(third.plan.changes.map((c) => `${c.action} ${c.object}${c.object === 'nexthop' ? ` ${c.nexthop.id}` : ''}`), ['delete rule', 'delete route', 'delete nexthop 10', 'delete nexthop 1'], 'routes first, then the group, then its member');
  t.same(nexthops(), [], 'nothing of the owner is left');
});

t.test('nexthop objects: conflicts and bad documents reject before anything is sent; a refusal undoes what was added', async (t) => {
  const { ns, handle } = await policyNetns(t);
  ns.ip('nexthop', 'add', 'id', '7', 'via', '192.0.2.3', 'dev', 'v0');
  const before = ns.exec('ip', ['-j', 'nexthop', 'show']);

  await t.rejects(applyPolicy(handle, { nexthops: [{ id: 7, gateway: '192.0.2.2', dev: 'v0' }] }), PolicyConflictError, 'an id another owner (ip, protocol unspec) holds');
  await t.rejects(applyPolicy(handle, { nexthops: [{ gateway: '192.0.2.2', dev: 'v0' }] }), { name: 'ValidationError', field: 'nexthops[0].id' }, 'a policy nexthop needs an id');
  await t.rejects(
    applyPolicy(handle, { nexthops: [{ id: 1, gateway: '192.0.2.2', dev: 'v0' }, { id: 1, blackhole: true }] }),
    { name: 'ValidationError', field: 'nexthops[1].id' },
    'two objects with one id',
  );

  await applyPolicy(handle, { nexthops: [{ id: 1, gateway: '192.0.2.2', dev: 'v0' }] });
  await t.rejects(applyPolicy(handle, { nexthops: [{ id: 1, group: [{ id: 7 }] }] }), PolicyConflictError, 'a group cannot replace a single nexthop');
  await t.rejects(
    planPolicy(handle, { routes: [{ dst: '10.9.0.0/16', nexthopId: 1, table: 100 }] }),
    { name: 'ValidationError', field: 'routes[0].nexthopId' },
    'a route using an object of the owner that the document drops',
  );
  t.ok((await planPolicy(handle, { nexthops: [{ id: 1, gateway: '192.0.2.2', dev: 'v0' }], routes: [{ dst: '10.9.0.0/16', nexthopId: 7, table: 100 }] })).changes.length === 1, "a route may use another owner's object");

  // The kernel refuses the route (its gateway is on no link): the objects added first go again.
  const snapshot = ns.exec('ip', ['-j', 'nexthop', 'show']);
  const error = await applyPolicy(handle, {
    nexthops: [{ id: 1, gateway: '192.0.2.2', dev: 'v0' }, { id: 2, gateway: '198.51.100.2', dev: 'v2' }, { id: 3, group: [{ id: 1 }, { id: 2 }] }],
    routes: [{ dst: '10.8.0.0/16', nexthopId: 3, table: 100 }, { dst: '10.7.0.0/16', gateway: '203.0.113.1', table: 100 }],
  }).catch((e: unknown) => e);
  t.type(error, PolicyApplyError, 'the refused route fails the apply');
  t.match(error, { operation: 'addRoute' });
  t.equal(ns.exec('ip', ['-j', 'nexthop', 'show']), snapshot, 'ip nexthop: as before the apply (objects 2 and 3 removed again)');
  t.not(snapshot, before, 'object 1 of the earlier apply is still there');
});
