/**
 * Edge cases of routes (src/rtnl/routes.ts, route-api.ts, fast.ts) against the real `ip`:
 * source-specific IPv6 routes, protocol 0 in list/flush filters, metrics ip refuses or locks,
 * the dst filter's spelling, IPv6 append/replace of multipath routes, IPv4 multipath through an
 * IPv6 gateway, bulk calls mixing the fast and the general path, named tables above 255, and
 * bad input refused before I/O. Each test is witnessed by `ip -j` (or `ip -d` where the JSON
 * leaves the detail out), never by routemark's own encoder.
 *
 * The first seven groups found bugs, since fixed (source prefixes, protocol 0 filters, metric
 * ranges, the rto_min lock, the dst and dev filters, realms); each explains what the kernel and
 * `ip` do, and failed before the fix.
 */
import t from 'tap';
import { NetlinkError, ValidationError, type Route } from '../../src/index.js';
import type { TestNetns } from '../helpers/netns.js';
import { freshHandle, ipFails, ipJsonWithTables, messagesSent, oneByOne, plumb, rejection, testTables, withoutEmpty } from './helpers.js';

/**
 * IPv6 routes without the link-local ones the kernel adds by itself once a link is up (fe80::/64
 * and each fe80:: address's local route): they appear whenever addrconf gets to them, so two
 * readings, or two namespaces, may differ in them however a test goes.
 */
function withoutLinkLocal(routes: Record<string, unknown>[]): Record<string, unknown>[] {
  return routes.filter((r) => !(String(r.dst).startsWith('fe80:') && r.protocol === 'kernel'));
}

type Json = Record<string, unknown>;

/** `ip -j -d route show table T`; a table the kernel never made (no route ever went in) is empty. */
function show(ns: TestNetns, family: '-4' | '-6', table: string): Json[] {
  try {
    return ns.ipJson<Json[]>(family, '-d', 'route', 'show', 'table', table).map(withoutEmpty);
  } catch (error) {
    if (/FIB table does not exist/.test(String(error))) return [];
    throw error;
  }
}

// ---------------------------------------------------------------------------------------------
// IPv6 source-specific routes (`ip -6 route add DST from SRC/LEN ...`, RTA_SRC with
// rtm_src_len; CONFIG_IPV6_SUBTREES=y on this kernel). Before the fix decodeRoute read no RTA_SRC
// and encodeRoute always wrote src_len 0, so the listed object of `DST from SRC` was the same
// object as the plain `DST` route's, and passing it to delete removed the plain route instead.
// ---------------------------------------------------------------------------------------------

function sourceSpecificPair(ns: TestNetns): void {
  ns.ip('-6', 'route', 'add', '2001:db8:5::/48', 'from', '2001:db8:1::/64', 'via', '2001:db8::1', 'dev', 'v0', 'table', '9');
  ns.ip('-6', 'route', 'add', '2001:db8:5::/48', 'via', '2001:db8::1', 'dev', 'v0', 'table', '9');
}

t.test('a listed IPv6 source-specific route (from) is told apart and deletes itself, not its neighbour', async (t) => {
  const { ns, handle } = await freshHandle(t);
  plumb(ns);
  sourceSpecificPair(ns);
  const shown = show(ns, '-6', '9');
  t.same(shown.map((r) => r.from), ['2001:db8:1::/64', undefined], 'ip lists the source-specific route first, then the plain one');

  const listed = (await handle.routes.list({ table: 9, family: 'inet6' })).filter((r) => r.dst === '2001:db8:5::/48');
  t.equal(listed.length, 2, 'routemark lists two routes');
  t.notSame(listed[0], listed[1], 'the two listed objects differ (ip shows "from 2001:db8:1::/64" on one)');

  await handle.routes.delete(listed[0]!);
  t.same(show(ns, '-6', '9').map((r) => r.from), [undefined], 'deleting the listed source-specific route leaves the plain route (ip -6 route show table 9)');
});

t.test('flush empties a table holding an IPv6 source-specific route, as ip route flush does', async (t) => {
  const mine = await freshHandle(t);
  const theirs = await freshHandle(t);
  plumb(mine.ns);
  plumb(theirs.ns);
  sourceSpecificPair(mine.ns);
  sourceSpecificPair(theirs.ns);
  theirs.ns.ip('-6', 'route', 'flush', 'table', '9');
  t.same(show(theirs.ns, '-6', '9'), [], 'ip -6 route flush table 9 leaves nothing');
  const flushed = await mine.handle.routes.flush({ table: 9, family: 'inet6' });
  t.same(show(mine.ns, '-6', '9'), [], 'routes.flush({ table: 9 }) leaves nothing either');
  t.equal(flushed, 2, 'and counts two routes deleted');
});

// ---------------------------------------------------------------------------------------------
// protocol 0 ('unspec') as a list/flush filter. encodeRouteDumpRequest puts the protocol
// in rtm_protocol, where 0 means "no filter" to the kernel, and list() did not filter again in
// JavaScript. So list({ protocol: 0 }) returned routes of every protocol, and
// flush({ table, protocol: 'unspec' }) deleted all of them. `ip route show/flush proto 0`
// filters in userspace (protocolmask -1) and takes only routes whose protocol is 0.
// ---------------------------------------------------------------------------------------------

function protocolMix(ns: TestNetns): void {
  ns.ip('route', 'add', '10.1.0.0/16', 'dev', 'v0', 'table', '5', 'proto', '0');
  ns.ip('route', 'add', '10.2.0.0/16', 'dev', 'v0', 'table', '5', 'proto', 'static');
  ns.ip('route', 'add', '10.3.0.0/16', 'dev', 'v0', 'table', '5');
}

t.test('list({ protocol: 0 }) lists what ip route show proto 0 shows', async (t) => {
  const { ns, handle } = await freshHandle(t);
  plumb(ns);
  protocolMix(ns);
  const ip = ns.ipJson<Json[]>('-4', 'route', 'show', 'table', '5', 'proto', '0').map((r) => r.dst);
  t.same(ip, ['10.1.0.0/16'], 'ip route show table 5 proto 0: only the protocol-0 route');
  const mine = (await handle.routes.list({ table: 5, family: 'inet', protocol: 0 })).map((r) => r.dst);
  t.same(mine, ip, 'routemark lists the same');
  const byName = (await handle.routes.list({ table: 5, family: 'inet', protocol: 'unspec' })).map((r) => r.dst);
  t.same(byName, ip, "and the same by the name 'unspec'");
});

t.test("flush({ protocol: 'unspec' }) deletes only protocol-0 routes, as ip route flush proto 0 does", async (t) => {
  const mine = await freshHandle(t);
  const theirs = await freshHandle(t);
  plumb(mine.ns);
  plumb(theirs.ns);
  protocolMix(mine.ns);
  protocolMix(theirs.ns);
  theirs.ns.ip('-4', 'route', 'flush', 'table', '5', 'proto', '0');
  const expected = show(theirs.ns, '-4', '5');
  t.same(expected.map((r) => r.dst), ['10.2.0.0/16', '10.3.0.0/16'], 'ip flushed the protocol-0 route only');
  const count = await mine.handle.routes.flush({ table: 5, family: 'inet', protocol: 'unspec' });
  t.same(show(mine.ns, '-4', '5'), expected, 'routemark leaves what ip leaves');
  t.equal(count, 1, 'one route flushed');
});

// ---------------------------------------------------------------------------------------------
// metrics ip refuses. `ip route add ... hoplimit 300` ("hoplimit" value is invalid),
// `quickack 2` and `fastopen_no_cookie 2` ("value should be 0 or 1"). resolveMetrics only checked
// u32, so routemark sent them: the kernel clamps hoplimit to 255 (ip_metrics_convert) and keeps
// quickack 2, so the route that exists is not the one asked for.
// ---------------------------------------------------------------------------------------------

const refusedMetrics: { name: string; metrics: Route['metrics']; ip: string[]; field: string; value: number }[] = [
  { name: 'hoplimit 300', metrics: { hoplimit: 300 }, ip: ['hoplimit', '300'], field: 'route.metrics.hoplimit', value: 300 },
  { name: 'quickack 2', metrics: { quickack: 2 }, ip: ['quickack', '2'], field: 'route.metrics.quickack', value: 2 },
  { name: 'fastopen_no_cookie 2', metrics: { fastopenNoCookie: 2 }, ip: ['fastopen_no_cookie', '2'], field: 'route.metrics.fastopenNoCookie', value: 2 },
];

for (const c of refusedMetrics) {
  t.test(`metric ${c.name}, which ip refuses, is refused before I/O`, async (t) => {
    const { ns, handle } = await freshHandle(t);
    plumb(ns);
    t.match(ipFails(ns, 'route', 'add', '10.1.0.0/16', 'dev', 'v0', 'table', '5', ...c.ip), /invalid|should be 0 or 1/, `ip route add ... ${c.ip.join(' ')} is refused`);
    const error = await rejection(() => handle.routes.add({ dst: '10.1.0.0/16', dev: 'v0', table: 5, metrics: c.metrics }));
    t.type(error, ValidationError, 'routemark refuses it too');
    t.match(error, { field: c.field, value: c.value }, 'naming the field and value');
    t.same(show(ns, '-4', '5'), [], `and no route is made (ip -j -d route show table 5; got ${JSON.stringify(show(ns, '-4', '5'))})`);
  });
}

// ---------------------------------------------------------------------------------------------
// (disagreement with ip) `ip route add ... rto_min 50ms` always sets the RTAX_RTO_MIN
// bit of RTAX_LOCK (iproute2 ip/iproute.c: mxlock |= 1 << RTAX_RTO_MIN), because TCP uses a
// route's rto_min only when it is locked (tcp_rto_min: dst_metric_locked(dst, RTAX_RTO_MIN)).
// routemark's { rtoMin: 50 } sent no lock, so the route's rto_min had no effect.
// ---------------------------------------------------------------------------------------------

t.test('metrics { rtoMin } makes the route ip route add ... rto_min makes (locked, so TCP uses it)', async (t) => {
  const mine = await freshHandle(t);
  const theirs = await freshHandle(t);
  plumb(mine.ns);
  plumb(theirs.ns);
  theirs.ns.ip('route', 'add', '10.1.0.0/16', 'dev', 'v0', 'table', '5', 'rto_min', '50ms');
  const expected = theirs.ns.ip('-d', 'route', 'show', 'table', '5').trim();
  t.match(expected, /rto_min lock 50ms/, 'ip -d route show: ip locked rto_min');
  await mine.handle.routes.add({ dst: '10.1.0.0/16', dev: 'v0', table: 5, metrics: { rtoMin: 50 } });
  t.equal(mine.ns.ip('-d', 'route', 'show', 'table', '5').trim(), expected, 'routemark made the same route');
});

// ---------------------------------------------------------------------------------------------
// (minor; the README says "a prefix as listed") the dst filter compared strings, so a host
// route asked for as 10.0.0.1/32, or an IPv6 prefix in another spelling, was not found, and
// flush({ dst }) silently deleted nothing. `ip route show/flush PREFIX` compares addresses.
// ---------------------------------------------------------------------------------------------

t.test('the dst filter finds what ip route show PREFIX finds, however the prefix is spelled', async (t) => {
  const { ns, handle } = await freshHandle(t);
  plumb(ns);
  ns.ip('route', 'add', '10.0.0.1', 'dev', 'v0', 'table', '5');
  ns.ip('-6', 'route', 'add', '2001:db8:7::/48', 'dev', 'v0', 'table', '5');
  for (const [family, spelling] of [['-4', '10.0.0.1/32'], ['-6', '2001:DB8:7:0::/48']] as const) {
    const ip = ns.ipJson<Json[]>(family, 'route', 'show', 'table', '5', spelling).map((r) => r.dst);
    t.equal(ip.length, 1, `ip route show table 5 ${spelling}: ${JSON.stringify(ip)}`);
    const mine = (await handle.routes.list({ table: 5, dst: spelling })).map((r) => r.dst);
    t.same(mine, ip, `routes.list({ dst: '${spelling}' }) finds it too`);
  }
  t.equal(await handle.routes.flush({ table: 5, dst: '10.0.0.1/32' }), 1, "flush({ dst: '10.0.0.1/32' }) deletes the host route");
  t.same(show(ns, '-4', '5'), [], 'as ip route flush table 5 10.0.0.1/32 would');
});

// ---------------------------------------------------------------------------------------------
// (minor, disagreement with ip) list({ dev }) sends RTA_OIF to the kernel, whose dump
// filter (fib_info_nh_uses_dev) also passes multipath routes with one nexthop on the device;
// `ip route show/flush dev X` filters on the route's RTA_OIF in userspace and so leaves
// multipath routes alone. flush({ table, dev }) therefore deleted a multipath route (both paths,
// the other device's included) that `ip route flush table T dev X` keeps.
// ---------------------------------------------------------------------------------------------

function devMix(ns: TestNetns): void {
  ns.ip('route', 'add', '10.3.0.0/16', 'table', '5', 'nexthop', 'via', '192.0.2.1', 'dev', 'v0', 'nexthop', 'via', '198.51.100.1', 'dev', 'v2');
  ns.ip('route', 'add', '10.4.0.0/16', 'table', '5', 'dev', 'v0');
}

t.test('list/flush({ dev }) select what ip route show/flush dev selects (not multipath routes)', async (t) => {
  const mine = await freshHandle(t);
  const theirs = await freshHandle(t);
  plumb(mine.ns);
  plumb(theirs.ns);
  devMix(mine.ns);
  devMix(theirs.ns);
  const ip = theirs.ns.ipJson<Json[]>('-4', 'route', 'show', 'table', '5', 'dev', 'v0').map((r) => r.dst);
  t.same(ip, ['10.4.0.0/16'], 'ip route show table 5 dev v0');
  t.same((await mine.handle.routes.list({ table: 5, family: 'inet', dev: 'v0' })).map((r) => r.dst), ip, 'routes.list({ dev: "v0" })');
  theirs.ns.ip('-4', 'route', 'flush', 'table', '5', 'dev', 'v0');
  await mine.handle.routes.flush({ table: 5, family: 'inet', dev: 'v0' });
  t.same(show(mine.ns, '-4', '5'), show(theirs.ns, '-4', '5'), 'flush({ dev }) leaves what ip route flush dev leaves (the multipath route)');
});

t.test('list({ dev }) by an altname lists what ip route show dev ALTNAME lists', async (t) => {
  const { ns, handle } = await freshHandle(t);
  plumb(ns);
  devMix(ns);
  ns.ip('link', 'property', 'add', 'dev', 'v0', 'altname', 'uplink:a-very-long-alternative-name');
  const ip = ns.ipJson<Json[]>('-4', 'route', 'show', 'table', '5', 'dev', 'uplink:a-very-long-alternative-name').map((r) => r.dst);
  t.same(ip, ['10.4.0.0/16'], 'ip route show dev ALTNAME');
  t.same((await handle.routes.list({ table: 5, family: 'inet', dev: 'uplink:a-very-long-alternative-name' })).map((r) => r.dst), ip, 'routes.list({ dev: ALTNAME })');
});

// ---------------------------------------------------------------------------------------------
// (fidelity) IPv4 realms (`realm N`, RTA_FLOW) were neither decoded nor encodable. Two
// routes that differ only by realm (ip route add ... realm 5; ip route append ... realm 6) listed
// as one and the same object, and deleting the listed second route removed the first: the
// README's "a listed route deletes exactly that route" did not hold, and add(listed) dropped the
// realm.
// ---------------------------------------------------------------------------------------------

t.test('routes differing only by realm list apart, and a listed one deletes itself', async (t) => {
  const { ns, handle } = await freshHandle(t);
  plumb(ns);
  ns.ip('route', 'add', '10.2.0.0/16', 'dev', 'v0', 'realm', '5', 'table', '5');
  ns.ip('route', 'append', '10.2.0.0/16', 'dev', 'v0', 'realm', '6', 'table', '5');
  t.same(show(ns, '-4', '5').map((r) => r.flow), [{ to: '5' }, { to: '6' }], 'ip -d shows realms 5 then 6');
  const listed = await handle.routes.list({ table: 5, family: 'inet' });
  t.equal(listed.length, 2);
  t.notSame(listed[0], listed[1], 'the two listed objects differ');
  await handle.routes.delete(listed[1]!);
  t.same(show(ns, '-4', '5').map((r) => r.flow), [{ to: '5' }], 'deleting the second listed route leaves realm 5');
});

// ---------------------------------------------------------------------------------------------
// Paths no other test covers.
// ---------------------------------------------------------------------------------------------

t.test('IPv6 append makes a multipath route (as ip -6 route append does); listed once, deleted whole, added back, replaced whole', async (t) => {
  const mine = await freshHandle(t);
  const theirs = await freshHandle(t);
  plumb(mine.ns);
  plumb(theirs.ns);
  const { handle, ns } = mine;
  await handle.routes.add({ dst: '2001:db8:9::/48', gateway: '2001:db8::1', dev: 'v0', table: 9 });
  await handle.routes.append({ dst: '2001:db8:9::/48', gateway: '2001:db8:1::1', dev: 'v2', table: 9 });
  theirs.ns.ip('-6', 'route', 'add', '2001:db8:9::/48', 'via', '2001:db8::1', 'dev', 'v0', 'table', '9');
  theirs.ns.ip('-6', 'route', 'append', '2001:db8:9::/48', 'via', '2001:db8:1::1', 'dev', 'v2', 'table', '9');
  const expected = show(theirs.ns, '-6', '9');
  t.equal((expected[0]?.nexthops as unknown[] | undefined)?.length, 2, 'ip: the kernel merged the two into one multipath route');
  t.same(show(ns, '-6', '9'), expected, 'routemark add + append: the same as ip add + append');

  const listed = await handle.routes.list({ table: 9, family: 'inet6' });
  t.same(listed, [{
    family: 'inet6', dst: '2001:db8:9::/48', table: 9, metric: 1024, protocol: 'boot', scope: 'global', type: 'unicast',
    nexthops: [{ gateway: '2001:db8::1', dev: 'v0', weight: 1 }, { gateway: '2001:db8:1::1', dev: 'v2', weight: 1 }],
  }], 'listed as one route with both nexthops');
  await handle.routes.delete(listed[0]!);
  t.same(show(ns, '-6', '9'), [], 'the listed route deletes both paths');
  await handle.routes.add(listed[0]!);
  t.same(show(ns, '-6', '9'), expected, 'and adds back the same multipath route');

  await handle.routes.replace({ dst: '2001:db8:9::/48', gateway: '2001:db8::3', dev: 'v0', table: 9 });
  theirs.ns.ip('-6', 'route', 'replace', '2001:db8:9::/48', 'via', '2001:db8::3', 'dev', 'v0', 'table', '9');
  t.same(show(ns, '-6', '9'), show(theirs.ns, '-6', '9'), 'replace swaps the whole multipath route for one path, as ip route replace');
  t.equal(show(ns, '-6', '9').length, 1);

  await handle.routes.append({ dst: '2001:db8:9::/48', gateway: '2001:db8:1::1', dev: 'v2', table: 9 });
  await handle.routes.delete({ dst: '2001:db8:9::/48', gateway: '2001:db8::3', table: 9 });
  theirs.ns.ip('-6', 'route', 'append', '2001:db8:9::/48', 'via', '2001:db8:1::1', 'dev', 'v2', 'table', '9');
  theirs.ns.ip('-6', 'route', 'del', '2001:db8:9::/48', 'via', '2001:db8::3', 'table', '9');
  t.same(show(ns, '-6', '9'), show(theirs.ns, '-6', '9'), 'deleting one path by its gateway leaves the other, as ip route del does');
});

t.test('IPv4 multipath with an IPv6 (RTA_VIA) nexthop: as ip makes it, listed, deleted, added back', async (t) => {
  const { ns, handle } = await freshHandle(t);
  plumb(ns);
  const route: Route = { dst: '10.3.0.0/16', table: 5, nexthops: [{ gateway: '2001:db8::1', dev: 'v0' }, { gateway: '198.51.100.1', dev: 'v2', weight: 4 }] };
  ns.ip('route', 'add', '10.3.0.0/16', 'table', '5', 'nexthop', 'via', 'inet6', '2001:db8::1', 'dev', 'v0', 'nexthop', 'via', '198.51.100.1', 'dev', 'v2', 'weight', '4');
  const expected = show(ns, '-4', '5');
  t.same((expected[0]?.nexthops as Json[])[0]?.via, { family: 'inet6', host: '2001:db8::1' }, 'ip: the first nexthop is via inet6');
  const listed = await handle.routes.list({ table: 5, family: 'inet' });
  t.same(listed, [{ family: 'inet', dst: '10.3.0.0/16', table: 5, protocol: 'boot', scope: 'global', type: 'unicast', nexthops: [{ gateway: '2001:db8::1', dev: 'v0', weight: 1 }, { gateway: '198.51.100.1', dev: 'v2', weight: 4 }] }]);
  await handle.routes.delete(listed[0]!);
  t.same(show(ns, '-4', '5'), [], 'the listed route deletes it');
  await handle.routes.add(route);
  t.same(show(ns, '-4', '5'), expected, 'routemark makes what ip made');
});

t.test('IPv6 type local: made by ip, listed, deleted, made again by routemark', async (t) => {
  const { ns, handle } = await freshHandle(t);
  plumb(ns);
  ns.ip('-6', 'route', 'add', 'local', '2001:db8::99', 'dev', 'v0', 'table', '5');
  const expected = show(ns, '-6', '5');
  t.equal(expected[0]?.type, 'local', 'ip made a local IPv6 route');
  const listed = await handle.routes.list({ table: 5, family: 'inet6' });
  t.equal(listed.length, 1);
  t.equal(listed[0]?.type, 'local');
  await handle.routes.delete(listed[0]!);
  t.same(show(ns, '-6', '5'), [], 'deleted');
  await handle.routes.add({ type: 'local', dst: '2001:db8::99', dev: 'v0', table: 5 });
  t.same(show(ns, '-6', '5'), expected, 'routemark makes the same route');
});

t.test('addMany/deleteMany mixing fast-path and general routes, duplicates and refusals: as one by one, in the caller order', async (t) => {
  const a = await freshHandle(t);
  const b = await freshHandle(t);
  plumb(a.ns);
  plumb(b.ns);
  const routes: Route[] = [
    { dst: '10.1.0.0/16', dev: 'v0', table: 100 }, // plain
    { dst: '10.1.0.0/16', dev: 'v0', table: 100, type: 'unicast' }, // general, the same route: EEXIST
    { dst: '10.2.0.0/16', gateway: '10.99.0.1', table: 100 }, // plain, gateway not on-link: ENETUNREACH
    { dst: '10.3.0.0/16', gateway: '192.0.2.1', table: 70000, metric: 7 }, // plain, table above 255
    { dst: '10.3.0.0/16', gateway: '192.0.2.1', table: 70000, metric: 7, family: 'inet' }, // plain again: EEXIST
    { dst: '2001:db8:3::/48', gateway: '2001:db8::1', dev: 'v0', table: 100 }, // general (IPv6)
    { dst: '10.4.0.0/16', table: 100, metrics: { mtu: 1400 }, dev: 'v2' }, // general
    { dst: '10.4.0.0/16', dev: 'v2', table: 100 }, // plain, the same prefix/table/tos/priority: EEXIST
    { dst: '10.5.0.0/16', table: 100, nexthops: [{ gateway: '192.0.2.1' }, { gateway: '198.51.100.1' }] }, // general
    { dst: '10.6.0.0/16', dev: 'v0', src: '203.0.113.1', table: 100 }, // plain, src not local: EINVAL
    { dst: '2001:db8:3::/48', gateway: '2001:db8::1', dev: 'v0', table: 100 }, // general duplicate: EEXIST
    { dst: '10.7.0.0/16', dev: 'v0', table: 100, protocol: 99 }, // plain
  ];
  const result = await a.handle.routes.addMany(routes);
  const expected = await oneByOne(routes, (r) => b.handle.routes.add(r));
  t.same(expected, [undefined, 'EEXIST', 'ENETUNREACH', undefined, 'EEXIST', undefined, undefined, 'EEXIST', undefined, 'EINVAL', 'EEXIST', undefined], `one by one: ${JSON.stringify(expected)}`);
  t.same(result.errors.map((e) => e?.code), expected, 'addMany: the same outcome per item, in the caller order');
  result.errors.forEach((e, i) => {
    if (e) t.match(e, { index: i, operation: 'addRoutes' }, `error ${i} names its item`);
  });
  t.equal(result.succeeded, 6);
  const state = (ns: TestNetns) => [ns.ipJson('-4', '-d', 'route', 'show', 'table', 'all'), withoutLinkLocal(ns.ipJson<Record<string, unknown>[]>('-6', '-d', 'route', 'show', 'table', 'all'))];
  t.same(state(a.ns), state(b.ns), 'ip shows the same routes in both namespaces');

  const toDelete: Route[] = [
    ...routes,
    { dst: '10.9.0.0/16', table: 100 }, // never there: ESRCH
    { dst: '2001:db8:9::/48', table: 100 }, // IPv6, never there: ESRCH
    { dst: '10.9.0.0/16', table: 4242 }, // a table that does not exist
  ];
  const deleted = await a.handle.routes.deleteMany(toDelete);
  const expectedDeletes = await oneByOne(toDelete, (r) => b.handle.routes.delete(r));
  t.same(deleted.errors.map((e) => e?.code), expectedDeletes, `deleteMany: the same outcome per item (${JSON.stringify(expectedDeletes)})`);
  t.same(expectedDeletes.slice(-3), ['ESRCH', 'ESRCH', 'ESRCH'], 'missing routes: ESRCH each');
  t.same(state(a.ns), state(b.ns), 'the same routes remain');
  t.same(a.ns.ipJson('route', 'show', 'table', '100'), [], 'table 100 is empty');
});

t.test('a named table above 255: add, list by name (ids and names), flush by name, as ip with the same rt_tables sees it', async (t) => {
  const { ns, handle } = await freshHandle(t);
  plumb(ns);
  const dir = testTables(t, handle, { wide: 70000 });
  await handle.routes.add({ dst: 'default', gateway: '192.0.2.1', dev: 'v0', table: 'wide' });
  await handle.routes.addMany([{ dst: '10.1.0.0/16', dev: 'v0', table: 70000 }, { dst: '2001:db8:4::/48', dev: 'v0', table: 'wide' }]);
  const ip = ipJsonWithTables<Json[]>(ns, dir, '-4', 'route', 'show', 'table', 'wide').map((r) => r.dst);
  t.same(ip, ['default', '10.1.0.0/16'], 'ip route show table wide');
  t.same((await handle.routes.list({ table: 'wide', family: 'inet' })).map((r) => r.dst), ip, 'routes.list({ table: "wide" })');
  t.same((await handle.routes.list({ table: 'wide', tableNames: true })).map((r) => r.table), ['wide', 'wide', 'wide'], 'listed by name');
  const all = ipJsonWithTables<Json[]>(ns, dir, '-6', 'route', 'show', 'table', 'all').filter((r) => r.table === 'wide').map((r) => r.dst);
  t.same(all, ['2001:db8:4::/48'], 'ip -6 route show table all names the table');
  t.equal(await handle.routes.flush({ table: 'wide' }), 3, 'flush by name');
  t.same(ipJsonWithTables(ns, dir, 'route', 'show', 'table', 'wide'), [], 'ip: the table is empty');
  t.same(ipJsonWithTables(ns, dir, '-6', 'route', 'show', 'table', 'wide'), [], 'in both families');
});

const badInput: { name: string; route: Route; field: string; value: unknown; ip?: string[] }[] = [
  { name: 'weight 257', route: { dst: '10.1.0.0/16', table: 5, nexthops: [{ gateway: '192.0.2.1', weight: 257 }] }, field: 'route.nexthops[0].weight', value: 257, ip: ['10.1.0.0/16', 'table', '5', 'nexthop', 'via', '192.0.2.1', 'weight', '257'] },
  { name: 'metric -1', route: { dst: '10.1.0.0/16', dev: 'v0', table: 5, metric: -1 }, field: 'route.metric', value: -1, ip: ['10.1.0.0/16', 'dev', 'v0', 'table', '5', 'metric', '-1'] },
  { name: 'an IPv4 nexthop gateway on an IPv6 route', route: { dst: '2001:db8:5::/48', table: 5, nexthops: [{ gateway: '2001:db8::1' }, { gateway: '192.0.2.1' }] }, field: 'route.nexthops[1].gateway', value: '192.0.2.1', ip: ['-6', '2001:db8:5::/48', 'table', '5', 'nexthop', 'via', '2001:db8::1', 'nexthop', 'via', '192.0.2.1'] },
  { name: 'table 0 (ip would put the route in main)', route: { dst: '10.1.0.0/16', dev: 'v0', table: 0 }, field: 'route.table', value: 0 },
  { name: 'a table id above 2^32-1', route: { dst: '10.1.0.0/16', dev: 'v0', table: 2 ** 32 }, field: 'route.table', value: 2 ** 32, ip: ['10.1.0.0/16', 'dev', 'v0', 'table', String(2 ** 32)] },
  { name: 'an IPv4 src on an IPv6 route', route: { dst: '2001:db8:5::/48', dev: 'v0', src: '192.0.2.2', table: 5 }, field: 'route.src', value: '192.0.2.2', ip: ['-6', '2001:db8:5::/48', 'dev', 'v0', 'src', '192.0.2.2', 'table', '5'] },
  { name: 'nexthopId with a gateway', route: { dst: '10.1.0.0/16', nexthopId: 1, gateway: '192.0.2.1', table: 5 }, field: 'route.gateway', value: '192.0.2.1' },
  { name: 'pref on an IPv4 route', route: { dst: '10.1.0.0/16', dev: 'v0', pref: 'high', table: 5 }, field: 'route.pref', value: 'high' },
];

for (const c of badInput) {
  t.test(`refused before I/O (bulk and single): ${c.name}`, async (t) => {
    const { ns, handle } = await freshHandle(t);
    plumb(ns);
    if (c.ip) t.ok(ipFails(ns, 'route', 'add', ...c.ip) !== undefined, `ip route add ${c.ip.join(' ')} fails too`);
    await handle.routes.list({ table: 5 });
    const before = JSON.stringify([ns.ipJson('-4', 'route', 'show', 'table', 'all'), withoutLinkLocal(ns.ipJson<Record<string, unknown>[]>('-6', 'route', 'show', 'table', 'all'))]);
    const sent = messagesSent(handle);
    const single = await rejection(() => handle.routes.add(c.route));
    t.type(single, ValidationError);
    t.match(single, { field: c.field, code: 'ERR_ROUTEMARK_INVALID' }, `names ${c.field}`);
    t.same((single as ValidationError).value, c.value, 'and the value');
    const bulk = await rejection(() => handle.routes.addMany([{ dst: '10.8.0.0/16', dev: 'v0', table: 5 }, c.route]));
    t.type(bulk, ValidationError);
    t.match(bulk, { field: c.field.replace(/^route/, 'routes[1]') }, 'the bulk call names the item');
    t.ok(messagesSent(handle) - sent <= 2, 'nothing but interface lookups was sent');
    t.equal(JSON.stringify([ns.ipJson('-4', 'route', 'show', 'table', 'all'), withoutLinkLocal(ns.ipJson<Record<string, unknown>[]>('-6', 'route', 'show', 'table', 'all'))]), before, 'ip: nothing changed');
  });
}

t.test('routes.get and match on an IPv6 route agree with ip -j route get', async (t) => {
  const { ns, handle } = await freshHandle(t);
  plumb(ns);
  ns.ip('-6', 'route', 'add', '2001:db8:9::/48', 'via', '2001:db8::1', 'dev', 'v0', 'metric', '5');
  const [ip] = ns.ipJson<Json[]>('-6', 'route', 'get', '2001:db8:9::7');
  const got = await handle.routes.get({ to: '2001:db8:9::7' });
  t.match(got, { family: 'inet6', dst: ip!.dst, gateway: ip!.gateway, dev: ip!.dev, src: ip!.prefsrc, metric: ip!.metric }, `ip -6 route get: ${JSON.stringify(ip)}`);
  const [fib] = ns.ipJson<Json[]>('-6', '-d', 'route', 'get', 'fibmatch', '2001:db8:9::7');
  const matched = await handle.routes.match({ to: '2001:db8:9::7' });
  t.match(matched, { dst: fib!.dst, gateway: fib!.gateway, dev: fib!.dev, metric: fib!.metric, table: 254 }, `ip -6 route get fibmatch: ${JSON.stringify(fib)}`);
  await handle.routes.delete(matched);
  t.same(ns.ipJson<Json[]>('-6', 'route', 'show', '2001:db8:9::/48'), [], 'the matched route deletes itself');
});

