/**
 * Routes, table-driven, one fresh namespace per case, IPv4 and IPv6: every attribute and route
 * type. For each case: added with routemark, `ip -j -d route show` shows exactly the expected
 * route; what routemark lists deletes it cleanly; the same route made with `ip route add` is
 * listed by routemark as the same object, which deletes it cleanly and adds it back.
 */
import t from 'tap';
import type { Handle, Route } from '../../src/index.js';
import type { TestNetns } from '../helpers/netns.js';
import { freshHandle, plumb, withoutEmpty } from './helpers.js';

interface RouteCase {
  name: string;
  route: Route;
  /** `ip route add` arguments for the same route. */
  ip: string[];
  /** The table to look in (ip's spelling). */
  table: string;
  /** The entry `ip -j -d route show table T` shows for it (empty arrays dropped). */
  json: Record<string, unknown>;
  /** What routemark lists. */
  listed: Route;
}

const cases: RouteCase[] = [
  {
    name: 'default via gateway dev, table 1',
    route: { dst: 'default', gateway: '192.0.2.1', dev: 'v0', table: 1 },
    ip: ['default', 'via', '192.0.2.1', 'dev', 'v0', 'table', '1'],
    table: '1',
    json: { type: 'unicast', dst: 'default', gateway: '192.0.2.1', dev: 'v0', protocol: 'boot', scope: 'global' },
    listed: { family: 'inet', dst: 'default', gateway: '192.0.2.1', dev: 'v0', table: 1, protocol: 'boot', scope: 'global', type: 'unicast' },
  },
  {
    name: 'connected prefix on a device',
    route: { dst: '10.1.0.0/16', dev: 'v0', table: 2 },
    ip: ['10.1.0.0/16', 'dev', 'v0', 'table', '2'],
    table: '2',
    json: { type: 'unicast', dst: '10.1.0.0/16', dev: 'v0', protocol: 'boot', scope: 'link' },
    listed: { family: 'inet', dst: '10.1.0.0/16', dev: 'v0', table: 2, protocol: 'boot', scope: 'link', type: 'unicast' },
  },
  {
    name: 'src (prefsrc), metric, protocol, table above 255',
    route: { dst: '10.2.0.0/16', gateway: '192.0.2.1', src: '192.0.2.2', table: 300, metric: 10, dev: 'v0', protocol: 'static' },
    ip: ['10.2.0.0/16', 'via', '192.0.2.1', 'src', '192.0.2.2', 'table', '300', 'metric', '10', 'dev', 'v0', 'proto', 'static'],
    table: '300',
    json: { type: 'unicast', dst: '10.2.0.0/16', gateway: '192.0.2.1', dev: 'v0', protocol: 'static', scope: 'global', prefsrc: '192.0.2.2', metric: 10 },
    listed: { family: 'inet', dst: '10.2.0.0/16', gateway: '192.0.2.1', dev: 'v0', src: '192.0.2.2', table: 300, metric: 10, protocol: 'static', scope: 'global', type: 'unicast' },
  },
  {
    name: 'protocol by number',
    route: { dst: '10.9.0.0/16', dev: 'v0', table: 2, protocol: 99 },
    ip: ['10.9.0.0/16', 'dev', 'v0', 'table', '2', 'proto', '99'],
    table: '2',
    json: { type: 'unicast', dst: '10.9.0.0/16', dev: 'v0', protocol: 'openr', scope: 'link' },
    listed: { family: 'inet', dst: '10.9.0.0/16', dev: 'v0', table: 2, protocol: 'openr', scope: 'link', type: 'unicast' },
  },
  {
    name: 'scope host on a unicast route',
    route: { dst: '10.8.0.0/16', dev: 'v0', table: 2, scope: 'host' },
    ip: ['10.8.0.0/16', 'dev', 'v0', 'table', '2', 'scope', 'host'],
    table: '2',
    json: { type: 'unicast', dst: '10.8.0.0/16', dev: 'v0', protocol: 'boot', scope: 'host' },
    listed: { family: 'inet', dst: '10.8.0.0/16', dev: 'v0', table: 2, protocol: 'boot', scope: 'host', type: 'unicast' },
  },
  {
    name: 'type local',
    route: { type: 'local', dst: '192.0.2.77', dev: 'v0', table: 5 },
    ip: ['local', '192.0.2.77', 'dev', 'v0', 'table', '5'],
    table: '5',
    json: { type: 'local', dst: '192.0.2.77', dev: 'v0', protocol: 'boot', scope: 'host' },
    listed: { family: 'inet', type: 'local', dst: '192.0.2.77', dev: 'v0', table: 5, protocol: 'boot', scope: 'host' },
  },
  {
    name: 'type blackhole',
    route: { type: 'blackhole', dst: '203.0.113.0/24', table: 5 },
    ip: ['blackhole', '203.0.113.0/24', 'table', '5'],
    table: '5',
    json: { type: 'blackhole', dst: '203.0.113.0/24', protocol: 'boot', scope: 'global' },
    listed: { family: 'inet', type: 'blackhole', dst: '203.0.113.0/24', table: 5, protocol: 'boot', scope: 'global' },
  },
  {
    name: 'type unreachable',
    route: { type: 'unreachable', dst: '203.0.113.0/25', table: 5 },
    ip: ['unreachable', '203.0.113.0/25', 'table', '5'],
    table: '5',
    json: { type: 'unreachable', dst: '203.0.113.0/25', protocol: 'boot', scope: 'global' },
    listed: { family: 'inet', type: 'unreachable', dst: '203.0.113.0/25', table: 5, protocol: 'boot', scope: 'global' },
  },
  {
    name: 'type prohibit',
    route: { type: 'prohibit', dst: '203.0.113.128/25', table: 5 },
    ip: ['prohibit', '203.0.113.128/25', 'table', '5'],
    table: '5',
    json: { type: 'prohibit', dst: '203.0.113.128/25', protocol: 'boot', scope: 'global' },
    listed: { family: 'inet', type: 'prohibit', dst: '203.0.113.128/25', table: 5, protocol: 'boot', scope: 'global' },
  },
  {
    name: 'type throw',
    route: { type: 'throw', dst: '10.3.0.0/16', table: 5 },
    ip: ['throw', '10.3.0.0/16', 'table', '5'],
    table: '5',
    json: { type: 'throw', dst: '10.3.0.0/16', protocol: 'boot', scope: 'global' },
    listed: { family: 'inet', type: 'throw', dst: '10.3.0.0/16', table: 5, protocol: 'boot', scope: 'global' },
  },
  {
    name: 'onlink',
    route: { dst: '10.4.0.0/16', gateway: '10.255.0.1', dev: 'v0', onlink: true, table: 6 },
    ip: ['10.4.0.0/16', 'via', '10.255.0.1', 'dev', 'v0', 'onlink', 'table', '6'],
    table: '6',
    json: { type: 'unicast', dst: '10.4.0.0/16', gateway: '10.255.0.1', dev: 'v0', protocol: 'boot', scope: 'global', flags: ['onlink'] },
    listed: { family: 'inet', dst: '10.4.0.0/16', gateway: '10.255.0.1', dev: 'v0', onlink: true, table: 6, protocol: 'boot', scope: 'global', type: 'unicast' },
  },
  {
    name: 'mtu and other metrics',
    route: { dst: '10.5.0.0/16', gateway: '192.0.2.1', dev: 'v0', table: 6, metrics: { mtu: 1400, advmss: 1360, initcwnd: 10, initrwnd: 20 } },
    ip: ['10.5.0.0/16', 'via', '192.0.2.1', 'dev', 'v0', 'table', '6', 'mtu', '1400', 'advmss', '1360', 'initcwnd', '10', 'initrwnd', '20'],
    table: '6',
    json: { type: 'unicast', dst: '10.5.0.0/16', gateway: '192.0.2.1', dev: 'v0', protocol: 'boot', scope: 'global', metrics: [{ mtu: 1400, advmss: 1360, initcwnd: 10, initrwnd: 20 }] },
    listed: { family: 'inet', dst: '10.5.0.0/16', gateway: '192.0.2.1', dev: 'v0', table: 6, protocol: 'boot', scope: 'global', type: 'unicast', metrics: { mtu: 1400, advmss: 1360, initcwnd: 10, initrwnd: 20 } },
  },
  {
    name: 'locked mtu and congctl',
    route: { dst: '10.6.0.0/16', dev: 'v0', table: 6, metrics: { mtu: 1300, congctl: 'reno', lock: ['mtu'] } },
    ip: ['10.6.0.0/16', 'dev', 'v0', 'table', '6', 'mtu', 'lock', '1300', 'congctl', 'reno'],
    table: '6',
    json: { type: 'unicast', dst: '10.6.0.0/16', dev: 'v0', protocol: 'boot', scope: 'link', metrics: [{ mtu: 1300, congestion: 'reno' }] },
    listed: { family: 'inet', dst: '10.6.0.0/16', dev: 'v0', table: 6, protocol: 'boot', scope: 'link', type: 'unicast', metrics: { mtu: 1300, congctl: 'reno', lock: ['mtu'] } },
  },
  {
    name: 'tos',
    route: { dst: '10.7.0.0/16', tos: 0x10, gateway: '192.0.2.1', table: 6 },
    ip: ['10.7.0.0/16', 'tos', '0x10', 'via', '192.0.2.1', 'table', '6'],
    table: '6',
    json: { type: 'unicast', dst: '10.7.0.0/16', tos: '0x10', gateway: '192.0.2.1', dev: 'v0', protocol: 'boot', scope: 'global' },
    listed: { family: 'inet', dst: '10.7.0.0/16', tos: 0x10, gateway: '192.0.2.1', dev: 'v0', table: 6, protocol: 'boot', scope: 'global', type: 'unicast' },
  },
  {
    name: 'multipath with weights',
    route: { dst: 'default', table: 7, nexthops: [{ gateway: '192.0.2.1', dev: 'v0', weight: 1 }, { gateway: '198.51.100.1', dev: 'v2', weight: 3 }] },
    ip: ['default', 'table', '7', 'nexthop', 'via', '192.0.2.1', 'dev', 'v0', 'weight', '1', 'nexthop', 'via', '198.51.100.1', 'dev', 'v2', 'weight', '3'],
    table: '7',
    json: {
      type: 'unicast', dst: 'default', protocol: 'boot', scope: 'global',
      nexthops: [{ gateway: '192.0.2.1', dev: 'v0', weight: 1 }, { gateway: '198.51.100.1', dev: 'v2', weight: 3 }],
    },
    listed: {
      family: 'inet', dst: 'default', table: 7, protocol: 'boot', scope: 'global', type: 'unicast',
      nexthops: [{ gateway: '192.0.2.1', dev: 'v0', weight: 1 }, { gateway: '198.51.100.1', dev: 'v2', weight: 3 }],
    },
  },
  {
    name: 'multipath with an onlink nexthop and a metric',
    route: { dst: '10.10.0.0/16', table: 7, metric: 5, nexthops: [{ gateway: '192.0.2.1', dev: 'v0' }, { gateway: '10.255.0.9', dev: 'v2', onlink: true, weight: 2 }] },
    ip: ['10.10.0.0/16', 'table', '7', 'metric', '5', 'nexthop', 'via', '192.0.2.1', 'dev', 'v0', 'nexthop', 'via', '10.255.0.9', 'dev', 'v2', 'onlink', 'weight', '2'],
    table: '7',
    json: {
      type: 'unicast', dst: '10.10.0.0/16', protocol: 'boot', scope: 'global', metric: 5,
      nexthops: [{ gateway: '192.0.2.1', dev: 'v0', weight: 1 }, { gateway: '10.255.0.9', dev: 'v2', weight: 2, flags: ['onlink'] }],
    },
    listed: {
      family: 'inet', dst: '10.10.0.0/16', table: 7, metric: 5, protocol: 'boot', scope: 'global', type: 'unicast',
      nexthops: [{ gateway: '192.0.2.1', dev: 'v0', weight: 1 }, { gateway: '10.255.0.9', dev: 'v2', weight: 2, onlink: true }],
    },
  },
  {
    name: 'IPv4 via an IPv6 gateway (RTA_VIA)',
    route: { dst: '10.11.0.0/16', gateway: '2001:db8::1', dev: 'v0', table: 8 },
    ip: ['10.11.0.0/16', 'via', 'inet6', '2001:db8::1', 'dev', 'v0', 'table', '8'],
    table: '8',
    json: { type: 'unicast', dst: '10.11.0.0/16', via: { family: 'inet6', host: '2001:db8::1' }, dev: 'v0', protocol: 'boot', scope: 'global' },
    listed: { family: 'inet', dst: '10.11.0.0/16', gateway: '2001:db8::1', dev: 'v0', table: 8, protocol: 'boot', scope: 'global', type: 'unicast' },
  },
  // IPv6
  {
    name: 'IPv6 prefix via gateway dev',
    route: { dst: '2001:db8:5::/48', gateway: '2001:db8::1', dev: 'v0', table: 9 },
    ip: ['2001:db8:5::/48', 'via', '2001:db8::1', 'dev', 'v0', 'table', '9'],
    table: '9',
    json: { type: 'unicast', dst: '2001:db8:5::/48', gateway: '2001:db8::1', dev: 'v0', protocol: 'boot', scope: 'global', metric: 1024, pref: 'medium' },
    listed: { family: 'inet6', dst: '2001:db8:5::/48', gateway: '2001:db8::1', dev: 'v0', table: 9, metric: 1024, protocol: 'boot', scope: 'global', type: 'unicast' },
  },
  {
    name: 'IPv6 default, metric, table above 255, mtu',
    route: { dst: 'default', family: 'inet6', gateway: '2001:db8:1::1', dev: 'v2', table: 1000, metric: 20, metrics: { mtu: 1400 } },
    ip: ['default', 'via', '2001:db8:1::1', 'dev', 'v2', 'table', '1000', 'metric', '20', 'mtu', '1400'],
    table: '1000',
    json: { type: 'unicast', dst: 'default', gateway: '2001:db8:1::1', dev: 'v2', protocol: 'boot', scope: 'global', metric: 20, metrics: [{ mtu: 1400 }], pref: 'medium' },
    listed: { family: 'inet6', dst: 'default', gateway: '2001:db8:1::1', dev: 'v2', table: 1000, metric: 20, protocol: 'boot', scope: 'global', type: 'unicast', metrics: { mtu: 1400 } },
  },
  {
    name: 'IPv6 connected, src',
    route: { dst: '2001:db8:6::/64', dev: 'v0', src: '2001:db8::2', table: 9 },
    ip: ['2001:db8:6::/64', 'dev', 'v0', 'src', '2001:db8::2', 'table', '9'],
    table: '9',
    json: { type: 'unicast', dst: '2001:db8:6::/64', dev: 'v0', protocol: 'boot', scope: 'global', prefsrc: '2001:db8::2', metric: 1024, pref: 'medium' },
    listed: { family: 'inet6', dst: '2001:db8:6::/64', dev: 'v0', src: '2001:db8::2', table: 9, metric: 1024, protocol: 'boot', scope: 'global', type: 'unicast' },
  },
  {
    name: 'IPv6 multipath with weights',
    route: { dst: '2001:db8:7::/48', table: 9, nexthops: [{ gateway: '2001:db8::1', dev: 'v0', weight: 2 }, { gateway: '2001:db8:1::1', dev: 'v2' }] },
    ip: ['2001:db8:7::/48', 'table', '9', 'nexthop', 'via', '2001:db8::1', 'dev', 'v0', 'weight', '2', 'nexthop', 'via', '2001:db8:1::1', 'dev', 'v2'],
    table: '9',
    json: {
      type: 'unicast', dst: '2001:db8:7::/48', protocol: 'boot', scope: 'global', metric: 1024, pref: 'medium',
      nexthops: [{ gateway: '2001:db8::1', dev: 'v0', weight: 2 }, { gateway: '2001:db8:1::1', dev: 'v2', weight: 1 }],
    },
    listed: {
      family: 'inet6', dst: '2001:db8:7::/48', table: 9, metric: 1024, protocol: 'boot', scope: 'global', type: 'unicast',
      nexthops: [{ gateway: '2001:db8::1', dev: 'v0', weight: 2 }, { gateway: '2001:db8:1::1', dev: 'v2', weight: 1 }],
    },
  },
  {
    name: 'IPv6 blackhole',
    route: { type: 'blackhole', dst: '2001:db8:dead::/48', table: 9 },
    ip: ['blackhole', '2001:db8:dead::/48', 'table', '9'],
    table: '9',
    json: { type: 'blackhole', dst: '2001:db8:dead::/48', dev: 'lo', protocol: 'boot', scope: 'global', metric: 1024, pref: 'medium' },
    listed: { family: 'inet6', type: 'blackhole', dst: '2001:db8:dead::/48', dev: 'lo', table: 9, metric: 1024, protocol: 'boot', scope: 'global' },
  },
  {
    name: 'IPv6 prohibit',
    route: { type: 'prohibit', dst: '2001:db8:beef::/48', table: 9 },
    ip: ['prohibit', '2001:db8:beef::/48', 'table', '9'],
    table: '9',
    json: { type: 'prohibit', dst: '2001:db8:beef::/48', dev: 'lo', protocol: 'boot', scope: 'global', metric: 1024, pref: 'medium' },
    listed: { family: 'inet6', type: 'prohibit', dst: '2001:db8:beef::/48', dev: 'lo', table: 9, metric: 1024, protocol: 'boot', scope: 'global' },
  },
  {
    name: 'IPv6 unreachable',
    route: { type: 'unreachable', dst: '2001:db8:bad::/48', table: 9 },
    ip: ['unreachable', '2001:db8:bad::/48', 'table', '9'],
    table: '9',
    json: { type: 'unreachable', dst: '2001:db8:bad::/48', dev: 'lo', protocol: 'boot', scope: 'global', metric: 1024, pref: 'medium' },
    listed: { family: 'inet6', type: 'unreachable', dst: '2001:db8:bad::/48', dev: 'lo', table: 9, metric: 1024, protocol: 'boot', scope: 'global' },
  },
  {
    name: 'IPv6 preference high (RFC 4191)',
    route: { dst: '2001:db8:8::/48', gateway: '2001:db8::1', dev: 'v0', table: 9, pref: 'high' },
    ip: ['2001:db8:8::/48', 'via', '2001:db8::1', 'dev', 'v0', 'table', '9', 'pref', 'high'],
    table: '9',
    json: { type: 'unicast', dst: '2001:db8:8::/48', gateway: '2001:db8::1', dev: 'v0', protocol: 'boot', scope: 'global', metric: 1024, pref: 'high' },
    listed: { family: 'inet6', dst: '2001:db8:8::/48', gateway: '2001:db8::1', dev: 'v0', table: 9, metric: 1024, protocol: 'boot', scope: 'global', type: 'unicast', pref: 'high' },
  },
  {
    name: 'IPv6 default with preference low',
    route: { family: 'inet6', dst: 'default', gateway: '2001:db8::1', dev: 'v0', table: 9, pref: 'low' },
    ip: ['default', 'via', '2001:db8::1', 'dev', 'v0', 'table', '9', 'pref', 'low'],
    table: '9',
    json: { type: 'unicast', dst: 'default', gateway: '2001:db8::1', dev: 'v0', protocol: 'boot', scope: 'global', metric: 1024, pref: 'low' },
    listed: { family: 'inet6', dst: 'default', gateway: '2001:db8::1', dev: 'v0', table: 9, metric: 1024, protocol: 'boot', scope: 'global', type: 'unicast', pref: 'low' },
  },
  {
    name: 'IPv6 throw',
    route: { type: 'throw', dst: '2001:db8:f00::/48', table: 9 },
    ip: ['throw', '2001:db8:f00::/48', 'table', '9'],
    table: '9',
    json: { type: 'throw', dst: '2001:db8:f00::/48', dev: 'lo', protocol: 'boot', scope: 'global', metric: 1024, pref: 'medium' },
    listed: { family: 'inet6', type: 'throw', dst: '2001:db8:f00::/48', dev: 'lo', table: 9, metric: 1024, protocol: 'boot', scope: 'global' },
  },
];

function familyFlag(route: Route): string {
  return route.family === 'inet6' || (route.dst ?? '').includes(':') || (route.nexthops?.[0]?.gateway ?? '').includes(':') ? '-6' : '-4';
}

function ipShow(ns: TestNetns, c: RouteCase): Record<string, unknown>[] {
  return ns
    .ipJson<Record<string, unknown>[]>(familyFlag(c.route), '-d', 'route', 'show', 'table', c.table)
    .filter((r) => r.dst === c.json.dst)
    .map(withoutEmpty);
}

async function listed(handle: Handle, c: RouteCase): Promise<Route[]> {
  return (await handle.routes.list({ table: c.listed.table as number, family: c.listed.family })).filter((r) => r.dst === c.listed.dst);
}

for (const c of cases) {
  t.test(`route: ${c.name}`, async (t) => {
    const { ns, handle } = await freshHandle(t);
    plumb(ns);

    await handle.routes.add(c.route);
    t.same(ipShow(ns, c), [c.json], `ip -j -d route shows: ${JSON.stringify(c.json)}`);
    const mine = await listed(handle, c);
    t.same(mine, [c.listed], 'routemark lists the same object');
    await handle.routes.delete(mine[0]!);
    t.same(ipShow(ns, c), [], 'deleted cleanly');

    ns.ip(familyFlag(c.route), 'route', 'add', ...c.ip);
    t.same(ipShow(ns, c), [c.json], 'ip made the same route');
    const fromIp = await listed(handle, c);
    t.same(fromIp, [c.listed], 'routemark lists the route ip made as the same object');
    await handle.routes.delete(fromIp[0]!);
    t.same(ipShow(ns, c), [], 'what was listed deletes cleanly');

    await handle.routes.add(fromIp[0]!);
    t.same(ipShow(ns, c), [c.json], 'the listed object adds back the same route');
  });
}

t.test('routes: replace, append, list filters and flush', async (t) => {
  const { ns, handle } = await freshHandle(t);
  plumb(ns);
  await handle.routes.replace({ dst: '10.20.0.0/16', gateway: '192.0.2.1', table: 20 });
  await handle.routes.replace({ dst: '10.20.0.0/16', gateway: '198.51.100.1', table: 20 });
  t.same(ns.ipJson<Record<string, unknown>[]>('route', 'show', 'table', '20').map((r) => withoutEmpty(r as Record<string, unknown>)), [
    { dst: '10.20.0.0/16', gateway: '198.51.100.1', dev: 'v2' },
  ], 'replace swapped the gateway in place');
  await handle.routes.append({ dst: '10.20.0.0/16', gateway: '192.0.2.1', table: 20 });
  t.same(ns.ipJson<Record<string, unknown>[]>('route', 'show', 'table', '20').map((r) => withoutEmpty(r as Record<string, unknown>)), [
    { dst: '10.20.0.0/16', gateway: '198.51.100.1', dev: 'v2' },
    { dst: '10.20.0.0/16', gateway: '192.0.2.1', dev: 'v0' },
  ], 'append added a second route to the destination, after the first');
  await handle.routes.add({ dst: '10.21.0.0/16', dev: 'v0', table: 20, protocol: 99 });
  await handle.routes.add({ type: 'blackhole', dst: '10.22.0.0/16', table: 20, protocol: 99 });
  await handle.routes.add({ dst: '2001:db8:20::/48', dev: 'v0', table: 20, protocol: 99 });
  t.same((await handle.routes.list({ table: 20, dev: 'v0' })).map((r) => r.dst), ['10.20.0.0/16', '10.21.0.0/16', '2001:db8:20::/48'], 'filter by dev');
  t.same((await handle.routes.list({ table: 20, protocol: 99, family: 'inet' })).map((r) => r.dst), ['10.21.0.0/16', '10.22.0.0/16'], 'filter by protocol and family');
  t.same((await handle.routes.list({ table: 20, type: 'blackhole' })).map((r) => r.dst), ['10.22.0.0/16'], 'filter by type');
  t.same((await handle.routes.list({ table: 20, scope: 'link' })).map((r) => r.dst), ['10.21.0.0/16'], 'filter by scope');
  t.same((await handle.routes.list({ table: 'all', dst: '10.21.0.0/16' })).map((r) => r.table), [20], 'filter by dst in every table');
  t.same((await handle.routes.list({ table: 'main', family: 'inet', tableNames: true })).map((r) => r.table), ['main', 'main'], 'tables by name');
  t.same(await handle.routes.list({ table: 4242 }), [], 'a table that does not exist lists empty');
  t.equal(await handle.routes.flush({ table: 'all', protocol: 99 }), 3, 'flush by protocol across tables');
  t.equal(await handle.routes.flush({ table: 20 }), 2, 'flush a table');
  t.same(ns.ipJson('route', 'show', 'table', '20'), [], 'table 20 is empty');
  t.ok(ns.ipJson<unknown[]>('route', 'show').length > 0, 'main is untouched');
  await t.rejects(handle.routes.flush({} as never), { name: 'ValidationError', field: 'filter.table' }, 'flush needs a table');
});

t.test('route: IPv6 expires, as ip shows it, listed as the time left, passed back', async (t) => {
  const { ns, handle } = await freshHandle(t);
  plumb(ns);
  const within = (value: unknown, high: number) => typeof value === 'number' && value <= high && value >= high - 5;
  const shown = () => ns.ipJson<Record<string, unknown>[]>('-6', 'route', 'show', 'table', '9').filter((r) => r.dst === '2001:db8:e::/48');
  await handle.routes.add({ dst: '2001:db8:e::/48', dev: 'v0', table: 9, expires: 300 });
  t.ok(within(shown()[0]?.expires, 300), `ip shows expires about 300 (${JSON.stringify(shown())})`);
  const [listed] = (await handle.routes.list({ table: 9, family: 'inet6' })).filter((r) => r.dst === '2001:db8:e::/48');
  t.ok(listed !== undefined && within(listed.expires, 300), `routemark lists the seconds left (${JSON.stringify(listed)})`);
  await handle.routes.delete(listed!);
  t.same(shown(), [], 'what was listed deletes cleanly');
  ns.ip('-6', 'route', 'add', '2001:db8:e::/48', 'dev', 'v0', 'table', '9', 'expires', '120');
  const [fromIp] = (await handle.routes.list({ table: 9, family: 'inet6' })).filter((r) => r.dst === '2001:db8:e::/48');
  t.ok(fromIp !== undefined && within(fromIp.expires, 120), `the route ip made lists its time left (${JSON.stringify(fromIp)})`);
  await handle.routes.delete(fromIp!);
  await handle.routes.add(fromIp!);
  t.ok(within(shown()[0]?.expires, 120), 'and adds back with about the same deadline');
  await t.rejects(handle.routes.add({ dst: '10.77.0.0/16', dev: 'v0', expires: 60 }), { name: 'ValidationError', field: 'route.expires' }, 'IPv4 routes do not expire');
  await t.rejects(handle.routes.add({ dst: '2001:db8:f::/48', dev: 'v0', pref: 'highest' as never }), { name: 'ValidationError', field: 'route.pref' }, 'an unknown preference');
});
