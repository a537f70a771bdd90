/**
 * Nexthop objects, table-driven, one fresh namespace per case, IPv4 and IPv6: gateways, devices,
 * onlink, blackholes, groups with weights, resilient groups, protocols. For each case: added
 * with routemark, `ip -j nexthop show` shows the expected object; what routemark lists deletes
 * it cleanly; the same object made with `ip nexthop add` is listed by routemark as the same
 * object, which deletes it and adds it back. Then routes that use them (nhid), replace moving
 * traffic, kernel-chosen ids, owners and bad input.
 */
import { release } from 'node:os';
import t from 'tap';
import { ValidationError, open, type NexthopObject } from '../../src/index.js';
import type { TestNetns } from '../helpers/netns.js';
import { freshHandle, messagesSent, plumb, withoutEmpty } from './helpers.js';

interface NexthopCase {
  name: string;
  /** Made first, by ip, so that groups have members. */
  before?: string[][];
  nexthop: NexthopObject;
  /** `ip nexthop add` arguments for the same object. */
  ip: string[];
  /** ip's family option (`ip -6 nexthop add ...`), if any. */
  ipFamily?: '-6';
  /** What `ip -j nexthop show id ID` shows (empty arrays dropped). */
  json: Record<string, unknown>;
  /** What routemark lists. */
  listed: NexthopObject;
}

const MEMBERS = [
  ['nexthop', 'add', 'id', '1', 'via', '192.0.2.1', 'dev', 'v0'],
  ['nexthop', 'add', 'id', '2', 'via', '198.51.100.1', 'dev', 'v2'],
];

const cases: NexthopCase[] = [
  {
    name: 'gateway and dev',
    nexthop: { id: 7, gateway: '192.0.2.1', dev: 'v0' },
    ip: ['id', '7', 'via', '192.0.2.1', 'dev', 'v0'],
    json: { id: 7, gateway: '192.0.2.1', dev: 'v0', scope: 'link' },
    listed: { id: 7, family: 'inet', gateway: '192.0.2.1', dev: 'v0', protocol: 'unspec' },
  },
  {
    name: 'IPv6 gateway',
    nexthop: { id: 8, gateway: '2001:db8:1::1', dev: 'v2' },
    ip: ['id', '8', 'via', '2001:db8:1::1', 'dev', 'v2'],
    json: { id: 8, gateway: '2001:db8:1::1', dev: 'v2', scope: 'link' },
    listed: { id: 8, family: 'inet6', gateway: '2001:db8:1::1', dev: 'v2', protocol: 'unspec' },
  },
  {
    name: 'device only',
    nexthop: { id: 9, dev: 'v0' },
    ip: ['id', '9', 'dev', 'v0'],
    json: { id: 9, dev: 'v0', scope: 'host' },
    listed: { id: 9, family: 'inet', dev: 'v0', protocol: 'unspec' },
  },
  {
    name: 'IPv6 device only',
    nexthop: { id: 9, family: 'inet6', dev: 'v0' },
    ip: ['id', '9', 'dev', 'v0'],
    ipFamily: '-6',
    json: { id: 9, dev: 'v0', scope: 'link' },
    listed: { id: 9, family: 'inet6', dev: 'v0', protocol: 'unspec' },
  },
  {
    name: 'onlink gateway, protocol static',
    nexthop: { id: 10, gateway: '10.255.0.1', dev: 'v0', onlink: true, protocol: 'static' },
    ip: ['id', '10', 'via', '10.255.0.1', 'dev', 'v0', 'onlink', 'proto', 'static'],
    json: { id: 10, gateway: '10.255.0.1', dev: 'v0', scope: 'link', protocol: 'static', flags: ['onlink'] },
    listed: { id: 10, family: 'inet', gateway: '10.255.0.1', dev: 'v0', onlink: true, protocol: 'static' },
  },
  {
    name: 'blackhole',
    nexthop: { id: 11, blackhole: true },
    ip: ['id', '11', 'blackhole'],
    json: { id: 11, blackhole: null },
    listed: { id: 11, family: 'inet', blackhole: true, protocol: 'unspec' },
  },
  {
    name: 'group with weights',
    before: MEMBERS,
    nexthop: { id: 20, group: [{ id: 1, weight: 3 }, { id: 2 }] },
    ip: ['id', '20', 'group', '1,3/2'],
    json: { id: 20, group: [{ id: 1, weight: 3 }, { id: 2 }] },
    listed: { id: 20, group: [{ id: 1, weight: 3 }, { id: 2, weight: 1 }], groupType: 'mpath', protocol: 'unspec' },
  },
  {
    name: 'resilient group',
    before: MEMBERS,
    nexthop: { id: 21, group: [{ id: 1 }, { id: 2, weight: 2 }], groupType: 'resilient', resilient: { buckets: 32, idleTimer: 60, unbalancedTimer: 300 } },
    ip: ['id', '21', 'group', '1/2,2', 'type', 'resilient', 'buckets', '32', 'idle_timer', '60', 'unbalanced_timer', '300'],
    json: {
      id: 21, group: [{ id: 1 }, { id: 2, weight: 2 }], type: 'resilient',
      resilient_args: { buckets: 32, idle_timer: 60, unbalanced_timer: 300, unbalanced_time: 0 },
    },
    listed: { id: 21, group: [{ id: 1, weight: 1 }, { id: 2, weight: 2 }], groupType: 'resilient', resilient: { buckets: 32, idleTimer: 60, unbalancedTimer: 300 }, protocol: 'unspec' },
  },
];

function ipShow(ns: TestNetns, id: number): Record<string, unknown>[] {
  return ns.ipJson<Record<string, unknown>[]>('nexthop', 'show').filter((n) => n.id === id).map(withoutEmpty);
}

for (const c of cases) {
  t.test(c.name, async (t) => {
    const { ns, handle } = await freshHandle(t);
    plumb(ns);
    for (const command of c.before ?? []) ns.ip(...command);
    const id = c.listed.id!;

    t.equal(await handle.nexthops.add(c.nexthop), id, 'add resolves with the id');
    t.same(ipShow(ns, id), [c.json], 'ip -j nexthop shows it');
    const listed = (await handle.nexthops.list()).filter((n) => n.id === id);
    t.strictSame(listed, [c.listed], 'routemark lists it');
    t.strictSame(await handle.nexthops.get(id), c.listed, 'get finds it by id');
    await handle.nexthops.delete(listed[0]!);
    t.same(ipShow(ns, id), [], 'what was listed deletes it');

    ns.ip(...(c.ipFamily ? [c.ipFamily] : []), 'nexthop', 'add', ...c.ip);
    const made = (await handle.nexthops.list()).filter((n) => n.id === id);
    t.strictSame(made, [c.listed], 'made with ip, routemark lists the same object');
    await handle.nexthops.delete(made[0]!);
    t.same(ipShow(ns, id), [], 'and deletes it');
    await handle.nexthops.add(made[0]!);
    t.same(ipShow(ns, id), [c.json], 'and adds it back as ip made it');
  });
}

t.test('routes by nexthop id: listed with the id alone, passed back, deleted', async (t) => {
  const { ns, handle } = await freshHandle(t);
  plumb(ns);
  await handle.nexthops.add({ id: 1, gateway: '192.0.2.1', dev: 'v0' });
  await handle.nexthops.add({ id: 2, gateway: '2001:db8:1::1', dev: 'v2' });
  await handle.nexthops.add({ id: 10, group: [{ id: 1 }] });
  await handle.routes.add({ dst: '203.0.113.0/24', nexthopId: 10, table: 300, metric: 5 });
  await handle.routes.add({ dst: '2001:db8:77::/48', nexthopId: 2, table: 300 });
  await handle.routes.add({ dst: '10.30.0.0/16', nexthopId: 2, table: 300 }); // IPv4 via an IPv6 nexthop

  const shown = ns.ipJson<Record<string, unknown>[]>('route', 'show', 'table', '300').map(withoutEmpty);
  t.same(shown.map((r) => [r.dst, r.nhid, r.metric]), [['10.30.0.0/16', 2, undefined], ['203.0.113.0/24', 10, 5]], 'ip -j route shows nhid');
  const v4 = await handle.routes.list({ table: 300, family: 'inet' });
  t.strictSame(v4, [
    { family: 'inet', dst: '10.30.0.0/16', table: 300, protocol: 'boot', scope: 'global', type: 'unicast', nexthopId: 2 },
    { family: 'inet', dst: '203.0.113.0/24', table: 300, metric: 5, protocol: 'boot', scope: 'global', type: 'unicast', nexthopId: 10 },
  ]);
  const v6 = await handle.routes.list({ table: 300, family: 'inet6' });
  t.strictSame(v6, [{ family: 'inet6', dst: '2001:db8:77::/48', table: 300, metric: 1024, protocol: 'boot', scope: 'global', type: 'unicast', nexthopId: 2 }]);

  // Made by ip, listed the same.
  ns.ip('route', 'add', '198.51.100.128/25', 'nhid', '1', 'table', '301');
  t.strictSame(await handle.routes.list({ table: 301 }), [{ family: 'inet', dst: '198.51.100.128/25', table: 301, protocol: 'boot', scope: 'global', type: 'unicast', nexthopId: 1 }]);

  for (const route of [...v4, ...v6, ...(await handle.routes.list({ table: 301 }))]) await handle.routes.delete(route);
  t.same(ns.ipJson('route', 'show', 'table', '300'), [], 'what was listed deletes the IPv4 routes');
  t.same(ns.ipJson('-6', 'route', 'show', 'table', '300'), [], 'and the IPv6 one');
  t.same(ns.ipJson('route', 'show', 'table', '301'), [], 'and the one ip made');
  for (const route of [...v4, ...v6]) await handle.routes.add(route);
  t.equal(ns.ipJson<unknown[]>('route', 'show', 'table', '300').length, 2, 'and adds them back');
});

t.test('routes by blackhole and onlink nexthop objects list as the routes they are, and pass back', async (t) => {
  const { ns, handle } = await freshHandle(t);
  plumb(ns);
  await handle.nexthops.add({ id: 1, blackhole: true });
  await handle.nexthops.add({ id: 2, family: 'inet6', blackhole: true });
  await handle.nexthops.add({ id: 3, gateway: '10.255.0.1', dev: 'v0', onlink: true });
  await handle.routes.add({ dst: '203.0.113.0/24', nexthopId: 1, table: 60 });
  await handle.routes.add({ dst: '198.51.100.128/25', nexthopId: 3, table: 60 });
  await handle.routes.add({ dst: '2001:db8:66::/48', nexthopId: 2, table: 60 });
  t.match(ns.ipJson('route', 'show', 'table', '60'), [{ nhid: 3, flags: ['onlink'] }, { type: 'blackhole', nhid: 1 }], 'the kernel shows the objects\' type and flag on the routes');
  const listed = [...(await handle.routes.list({ table: 60, family: 'inet' })), ...(await handle.routes.list({ table: 60, family: 'inet6' }))];
  t.strictSame(listed.map((r) => [r.dst, r.type, r.onlink, r.nexthopId]), [
    ['198.51.100.128/25', 'unicast', undefined, 3],
    ['203.0.113.0/24', 'unicast', undefined, 1],
    ['2001:db8:66::/48', 'unicast', undefined, 2],
  ]);
  for (const route of listed) await handle.routes.delete(route);
  t.same([...ns.ipJson<unknown[]>('route', 'show', 'table', '60'), ...ns.ipJson<unknown[]>('-6', 'route', 'show', 'table', '60')], [], 'what was listed deletes them');
  for (const route of listed) await handle.routes.add(route);
  t.equal(await handle.routes.flush({ table: 60 }), 3, 'and adds them back; a flush finds all three');
});

t.test('replacing a nexthop object moves every route that uses it, as routes.get and ip route get see', async (t) => {
  const { ns, handle } = await freshHandle(t);
  plumb(ns);
  await handle.nexthops.add({ id: 1, gateway: '192.0.2.1', dev: 'v0' });
  await handle.routes.add({ dst: '203.0.113.0/24', nexthopId: 1 });
  await handle.routes.add({ dst: '10.40.0.0/16', nexthopId: 1 });
  const lookup = async (to: string) => {
    const found = await handle.routes.get({ to });
    const ip = ns.ipJson<Record<string, unknown>[]>('route', 'get', to)[0]!;
    return { routemark: [found.gateway, found.dev], ip: [ip.gateway, ip.dev] };
  };
  t.same(await lookup('203.0.113.9'), { routemark: ['192.0.2.1', 'v0'], ip: ['192.0.2.1', 'v0'] });

  const before = messagesSent(handle);
  await handle.nexthops.replace({ id: 1, gateway: '198.51.100.1', dev: 'v2' });
  t.equal(messagesSent(handle) - before, 2, 'the lookup of v2 and one change message move both routes');
  t.same(await lookup('203.0.113.9'), { routemark: ['198.51.100.1', 'v2'], ip: ['198.51.100.1', 'v2'] });
  t.same(await lookup('10.40.0.9'), { routemark: ['198.51.100.1', 'v2'], ip: ['198.51.100.1', 'v2'] });

  // A group's members change in one message too.
  await handle.nexthops.add({ id: 2, gateway: '192.0.2.1', dev: 'v0' });
  await handle.nexthops.add({ id: 10, group: [{ id: 1 }] });
  await handle.routes.replace({ dst: '203.0.113.0/24', nexthopId: 10 });
  await handle.nexthops.replace({ id: 10, group: [{ id: 2 }] });
  t.same(await lookup('203.0.113.9'), { routemark: ['192.0.2.1', 'v0'], ip: ['192.0.2.1', 'v0'] });
  t.same((await handle.nexthops.get(10))?.group, [{ id: 2, weight: 1 }]);
});

t.test('the kernel picks the id when none is given; add returns it', async (t) => {
  const { ns, handle } = await freshHandle(t);
  plumb(ns);
  const first = await handle.nexthops.add({ gateway: '192.0.2.1', dev: 'v0' });
  const second = await handle.nexthops.add({ blackhole: true });
  t.ok(first > 0 && second > 0 && first !== second, `two ids: ${first}, ${second}`);
  t.same(ns.ipJson<Record<string, unknown>[]>('nexthop', 'show').map((n) => n.id).sort(), [first, second].sort(), 'ip shows those ids');
  const group = await handle.nexthops.add({ group: [{ id: first }] });
  t.same((await handle.nexthops.get(group))?.group, [{ id: first, weight: 1 }]);
  // Weights above 255 come back from kernels 6.12 and later as given (ip 6.1 cannot show them);
  // older kernels refuse them.
  const third = await handle.nexthops.add({ gateway: '192.0.2.3', dev: 'v0' });
  const [major = 0, minor = 0] = release().split('.').map(Number);
  const heavy = handle.nexthops.add({ group: [{ id: first, weight: 300 }, { id: third, weight: 255 }] });
  if (major > 6 || (major === 6 && minor >= 12)) {
    t.same((await handle.nexthops.get(await heavy))?.group, [{ id: first, weight: 300 }, { id: third, weight: 255 }], `kernel ${release()}: weight 300 kept`);
  } else {
    await t.rejects(heavy, { name: 'NetlinkError', code: 'EINVAL' }, `kernel ${release()} refuses weight 300`);
  }
});

t.test('list filters, get of a missing id, flush; the kernel removes a deleted member from its group', async (t) => {
  const { ns, handle } = await freshHandle(t);
  plumb(ns);
  await handle.nexthops.add({ id: 1, gateway: '192.0.2.1', dev: 'v0' });
  await handle.nexthops.add({ id: 2, gateway: '2001:db8:1::1', dev: 'v2', protocol: 'static' });
  await handle.nexthops.add({ id: 3, dev: 'v2' });
  await handle.nexthops.add({ id: 10, group: [{ id: 1 }, { id: 3 }] });
  const ids = (list: NexthopObject[]) => list.map((n) => n.id);
  t.same(ids(await handle.nexthops.list()), [1, 2, 3, 10]);
  t.same(ids(await handle.nexthops.list({ family: 'inet6' })), [2]);
  t.same(ids(await handle.nexthops.list({ dev: 'v2' })), [2, 3]);
  t.same(ids(await handle.nexthops.list({ groups: true })), [10]);
  t.same(ids(await handle.nexthops.list({ protocol: 'static' })), [2]);
  t.equal(await handle.nexthops.get(99), undefined);
  await t.rejects(handle.nexthops.delete(99), { name: 'NetlinkError', code: 'ENOENT', operation: 'deleteNexthop' });

  await handle.nexthops.delete(3);
  t.same((await handle.nexthops.get(10))?.group, [{ id: 1, weight: 1 }], 'the group lost the deleted member');
  await handle.nexthops.add({ id: 11, group: [{ id: 3 - 2 }] });
  await handle.routes.add({ dst: '203.0.113.0/24', nexthopId: 11, table: 50 });
  await handle.nexthops.add({ id: 4, dev: 'v0' });
  await handle.nexthops.add({ id: 12, group: [{ id: 4 }] });
  await handle.nexthops.delete(4);
  t.equal(await handle.nexthops.get(12), undefined, 'a group left without members goes too');
  t.equal(ns.ipJson<unknown[]>('route', 'show', 'table', '50').length, 1, 'a route of another group stays');
  t.equal(await handle.nexthops.flush({ family: 'inet6' }), 1);
  t.same(ids(await handle.nexthops.list()), [1, 10, 11]);
  t.equal(await handle.nexthops.flush(), 3);
  t.same(ns.ipJson('route', 'show', 'table', '50'), [], 'the routes went with their nexthops');
  t.same(ns.ipJson('nexthop', 'show'), [], 'ip shows none left');
});

t.test("an owner's nexthops carry its id; flush({ owned }) takes only those", async (t) => {
  const { ns, handle } = await freshHandle(t);
  plumb(ns);
  const owner = await open({ netns: ns.name, owner: 230 });
  t.teardown(() => owner.close());
  await owner.nexthops.add({ id: 1, gateway: '192.0.2.1', dev: 'v0' });
  await handle.nexthops.add({ id: 2, gateway: '192.0.2.1', dev: 'v0' });
  t.same(ns.ipJson<Record<string, unknown>[]>('nexthop', 'show').map((n) => [n.id, n.protocol]), [[1, '230'], [2, undefined]]);
  t.same((await owner.nexthops.list({ owned: true })).map((n) => n.id), [1]);
  t.equal(await owner.nexthops.flush({ owned: true }), 1);
  t.same(ns.ipJson<Record<string, unknown>[]>('nexthop', 'show').map((n) => n.id), [2], 'the other one stays');
  await owner.nexthops.add({ id: 3, dev: 'v0' });
  t.equal(await owner.nexthops.flush(), 1, "without a filter, an owner's flush takes its own");
  t.same(ns.ipJson<Record<string, unknown>[]>('nexthop', 'show').map((n) => n.id), [2], 'and leaves the rest');
  await t.rejects(handle.nexthops.list({ owned: true }), { name: 'ValidationError', field: 'filter.owned' });
});

t.test('bad input is refused before any I/O, naming the field and value', async (t) => {
  const { ns, handle } = await freshHandle(t);
  plumb(ns);
  const bad: [unknown, string, unknown][] = [
    [{ id: 0, dev: 'v0' }, 'nexthop.id', 0],
    [{ id: 2 ** 32, dev: 'v0' }, 'nexthop.id', 2 ** 32],
    [{ id: 1, gateway: '192.0.2.1' }, 'nexthop.dev', undefined],
    [{ id: 1 }, 'nexthop.dev', undefined],
    [{ id: 1, gateway: '192.0.2.1/24', dev: 'v0' }, 'nexthop.gateway', '192.0.2.1/24'],
    [{ id: 1, family: 'inet6', gateway: '192.0.2.1', dev: 'v0' }, 'nexthop.gateway', '192.0.2.1'],
    [{ id: 1, blackhole: true, dev: 'v0' }, 'nexthop.dev', 'v0'],
    [{ id: 1, group: [] }, 'nexthop.group', []],
    [{ id: 1, group: [{ id: 2 }], gateway: '192.0.2.1' }, 'nexthop.gateway', '192.0.2.1'],
    [{ id: 1, group: [{ id: 2, weight: 0 }] }, 'nexthop.group[0].weight', 0],
    [{ id: 1, group: [{ id: 2, weight: 65536 }] }, 'nexthop.group[0].weight', 65536],
    [{ id: 1, group: [{ id: 2 }], groupType: 'resilient' }, 'nexthop.resilient.buckets', undefined],
    [{ id: 1, dev: 'v0', onlink: true }, 'nexthop.onlink', true],
    [{ id: 1, group: [{ id: 2 }, { id: 2 }] }, 'nexthop.group[1].id', 2],
    [{ id: 1, group: [{ id: 1 }] }, 'nexthop.group[0].id', 1],
    [{ id: 1, group: [{ id: 2 }], groupType: 'roundrobin' }, 'nexthop.groupType', 'roundrobin'],
    [{ id: 1, group: [{ id: 2 }], resilient: { buckets: 8 } }, 'nexthop.resilient', { buckets: 8 }],
    [{ id: 1, group: [{ id: 2 }], groupType: 'resilient', resilient: { buckets: 0 } }, 'nexthop.resilient.buckets', 0],
    [{ id: 1, dev: 'v0', groupType: 'mpath' }, 'nexthop.groupType', 'mpath'],
    [{ id: 1, dev: 'v0', gatway: '192.0.2.1' }, 'nexthop.gatway', '192.0.2.1'],
    [{ id: 1, dev: 'v0', protocol: 'nosuch' }, 'nexthop.protocol', 'nosuch'],
  ];
  const before = messagesSent(handle);
  for (const [input, field, value] of bad) {
    await t.rejects(handle.nexthops.add(input as NexthopObject), { name: 'ValidationError', field, value }, `${field}: ${JSON.stringify(value)}`);
  }
  await t.rejects(handle.nexthops.replace({ gateway: '192.0.2.1', dev: 'v0' }), { name: 'ValidationError', field: 'nexthop.id' }, 'a replace names its id');
  t.equal(messagesSent(handle), before, 'nothing was sent');
  await t.rejects(handle.nexthops.add({ id: 1, gateway: '192.0.2.1', dev: 'nosuch0' }), ValidationError, 'an unknown interface');
  await t.rejects(handle.routes.add({ dst: '10.0.0.0/8', nexthopId: 1, gateway: '192.0.2.1' }), { name: 'ValidationError', field: 'route.gateway' });
  await t.rejects(handle.routes.add({ dst: '10.0.0.0/8', nexthopId: 0 }), { name: 'ValidationError', field: 'route.nexthopId', value: 0 });
  await t.rejects(handle.nexthops.delete(-1), { name: 'ValidationError', field: 'nexthop', value: -1 });
  t.same(ns.ipJson('nexthop', 'show'), [], 'the kernel holds none');

  // The kernel's own refusals name the operation.
  await t.rejects(handle.nexthops.add({ id: 5, group: [{ id: 77 }] }), { name: 'NetlinkError', operation: 'addNexthop' });
  await handle.nexthops.add({ id: 1, dev: 'v0' });
  await t.rejects(handle.nexthops.add({ id: 1, dev: 'v0' }), { name: 'NetlinkError', code: 'EEXIST', operation: 'addNexthop' });
});
