/**
 * Addresses in policy documents, against the kernel and witnessed by `ip -j addr`: applied with
 * their labels, peers and flags before the routes that use them, applied again without a change,
 * deleted when left out (secondaries first); foreign addresses are never changed, and are found
 * as the kernel finds them (an IPv4 peer by its subnet); deletes that would take or change more
 * than the document says (an IPv4 primary's secondaries, a renumbering's new address among them;
 * routes of others; the document's own routes) are refused, and `ip` shows that the kernel
 * would indeed have taken or changed them; a new IPv6 source address is waited for until
 * duplicate address detection ends; a failed apply takes its addresses back.
 */
import t from 'tap';
import { applyPolicy, planPolicy, PolicyApplyError, PolicyConflictError, type PolicyDocument } from '../../src/index.js';
import { addVeth, type TestNetns } from '../helpers/netns.js';
import { policyNetns } from './helpers.js';

interface IpAddressInfo {
  family: string;
  local: string;
  prefixlen: number;
  address?: string;
  broadcast?: string;
  label?: string;
  scope: string;
  nodad?: boolean;
  noprefixroute?: boolean;
  secondary?: boolean;
}

/** Every address `ip -j addr` shows on `dev`, as `local/prefixlen`, with its details. */
function ipAddresses(ns: TestNetns, dev: string): Map<string, IpAddressInfo> {
  const [link] = ns.ipJson<{ addr_info: IpAddressInfo[] }[]>('addr', 'show', 'dev', dev);
  return new Map((link?.addr_info ?? []).map((a) => [`${a.local}/${a.prefixlen}`, a]));
}

function routesOf(ns: TestNetns, table: string): string[] {
  return ns.ipJson<{ dst: string }[]>('route', 'show', 'table', table).map((r) => r.dst);
}

t.test('addresses are applied as ip shows them, before the routes that use them; again, nothing changes; left out, they go', async (t) => {
  const { ns, handle } = await policyNetns(t);
  const document: PolicyDocument = {
    addresses: [
      { address: '203.0.113.1/24', dev: 'v0', label: 'v0:app', broadcast: '203.0.113.255' },
      { address: '10.9.0.1/32', peer: '10.9.0.2', dev: 'v2' },
      { address: '2001:db8:5::1/64', dev: 'v2', nodad: true, noprefixroute: true },
    ],
    routes: [{ dst: '10.70.0.0/16', dev: 'v0', src: '203.0.113.1', table: 100 }],
  };
  const { plan, changed } = await applyPolicy(handle, document);
  t.ok(changed);
  t.same(
    plan.changes.map((c) => `${c.action} ${c.object}`),
    ['add address', 'add address', 'add address', 'add route'],
    'addresses come first',
  );
  const v0 = ipAddresses(ns, 'v0');
  t.match(v0.get('203.0.113.1/24'), { family: 'inet', label: 'v0:app', broadcast: '203.0.113.255', scope: 'global' });
  t.ok(v0.has('192.0.2.1/24'), 'the foreign address is still there');
  const v2 = ipAddresses(ns, 'v2');
  t.match(v2.get('10.9.0.1/32'), { address: '10.9.0.2' });
  t.match(v2.get('2001:db8:5::1/64'), { family: 'inet6', nodad: true, noprefixroute: true });
  t.same(routesOf(ns, '100'), ['10.70.0.0/16'], 'the route using the new source address');
  t.same((await handle.addresses.list({ owned: true })).map((a) => a.address).sort(), ['10.9.0.1/32', '2001:db8:5::1/64', '203.0.113.1/24'], "tagged with the owner's protocol");

  const again = await applyPolicy(handle, document);
  t.same([again.changed, again.plan.changes], [false, []], 'applied again, nothing changes');

  const smaller = await applyPolicy(handle, { addresses: [document.addresses![2]!] });
  t.same(
    smaller.plan.changes.map((c) => `${c.action} ${c.object}`),
    ['delete route', 'delete address', 'delete address'],
    'the route goes before the address it uses',
  );
  t.same([...ipAddresses(ns, 'v0').keys()].filter((a) => !a.startsWith('fe80')), ['192.0.2.1/24', '2001:db8::1/64'], 'only the foreign addresses are left on v0');
  t.same([...ipAddresses(ns, 'v2').keys()].filter((a) => !a.startsWith('fe80')), ['198.51.100.1/24', '2001:db8:5::1/64']);
});

t.test('conflicts: an address of another owner, or the owner\'s with attributes the kernel cannot change in place', async (t) => {
  const { ns, handle } = await policyNetns(t);
  const before = ns.ip('addr', 'show');
  await t.rejects(applyPolicy(handle, { addresses: [{ address: '192.0.2.1/24', dev: 'v0' }] }), { name: 'PolicyConflictError', field: 'addresses[0]', message: /not owner 201's/ });
  await t.rejects(applyPolicy(handle, { addresses: [{ address: '2001:db8::1/48', dev: 'v0' }] }), PolicyConflictError, 'an IPv6 address is itself, whatever its prefix length');
  await t.rejects(applyPolicy(handle, { addresses: [{ address: '203.0.113.1/24', dev: 'nosuch0' }] }), { name: 'ValidationError', field: 'addresses[0].dev' });
  t.equal(ns.ip('addr', 'show'), before, 'nothing changed');

  await applyPolicy(handle, { addresses: [{ address: '203.0.113.1/24', dev: 'v0', label: 'v0:a' }] });
  await t.rejects(applyPolicy(handle, { addresses: [{ address: '203.0.113.1/24', dev: 'v0', label: 'v0:b' }] }), { name: 'PolicyConflictError', field: 'addresses[0]', message: /label v0:a/ });
  await t.rejects(applyPolicy(handle, { addresses: [{ address: '203.0.113.1/24', dev: 'v0', label: 'v0:a', scope: 'link' }] }), { message: /scope 0/ });
  t.match(ipAddresses(ns, 'v0').get('203.0.113.1/24'), { label: 'v0:a', scope: 'global' }, 'unchanged');
});

t.test("deleting an IPv4 primary that has another owner's secondaries is refused unless the device promotes them", async (t) => {
  const { ns, handle } = await policyNetns(t);
  await applyPolicy(handle, { addresses: [{ address: '203.0.113.1/24', dev: 'v0' }] });
  ns.ip('addr', 'add', '203.0.113.2/24', 'dev', 'v0');
  t.match(ipAddresses(ns, 'v0').get('203.0.113.2/24'), { secondary: true }, 'made by ip, a secondary');
  await t.rejects(applyPolicy(handle, {}), { name: 'PolicyConflictError', field: 'addresses', message: /secondaries 203\.0\.113\.2\/24/ });
  t.ok(ipAddresses(ns, 'v0').has('203.0.113.1/24'), 'refused: both are still there');
  // The kernel promotes when either the device or `all` says so.
  ns.exec('sysctl', ['-qw', 'net.ipv4.conf.all.promote_secondaries=1']);
  await applyPolicy(handle, {});
  const v0 = ipAddresses(ns, 'v0');
  t.notOk(v0.has('203.0.113.1/24'), 'with promote_secondaries, the primary goes');
  t.ok(v0.has('203.0.113.2/24') && !v0.get('203.0.113.2/24')!.secondary, 'and the secondary stays, promoted');
});

t.test("a delete that would take the document's routes with it is refused, and ip shows the kernel would have", async (t) => {
  const { ns, handle } = await policyNetns(t);
  addVeth(ns, 'v4', 'v5');
  await applyPolicy(handle, {
    addresses: [{ address: '10.80.0.1/24', dev: 'v4' }],
    routes: [
      { dst: '10.81.0.0/16', gateway: '10.80.0.2', table: 100 },
      { dst: '10.82.0.0/16', dev: 'v0', src: '10.80.0.1' },
      { dst: '10.83.0.0/16', dev: 'v0', src: '10.80.0.1', table: 100 },
    ],
  });
  const routes = () => [...routesOf(ns, '100'), ...routesOf(ns, 'main')].filter((dst) => /^10\.8[1-3]\./.test(dst)).sort();
  t.same(routes(), ['10.81.0.0/16', '10.82.0.0/16', '10.83.0.0/16']);
  await t.rejects(applyPolicy(handle, { routes: [{ dst: '10.81.0.0/16', gateway: '10.80.0.2', table: 100 }] }), { name: 'ValidationError', field: 'routes[0].dev', message: /last IPv4 address/ });
  await t.rejects(applyPolicy(handle, { routes: [{ dst: '10.82.0.0/16', dev: 'v0', src: '10.80.0.1' }] }), { name: 'ValidationError', field: 'routes[0].src' });
  t.same(routes(), ['10.81.0.0/16', '10.82.0.0/16', '10.83.0.0/16'], 'refused: nothing changed');
  // Another table keeps a route whose source address goes: that delete is allowed.
  const kept = await planPolicy(handle, { routes: [{ dst: '10.83.0.0/16', dev: 'v0', src: '10.80.0.1', table: 100 }] });
  t.same(kept.changes.map((c) => `${c.action} ${c.object}`), ['delete route', 'delete route', 'delete address']);
  // What the refusals protect, and what they allow: ip deleting the address takes the first two.
  ns.ip('addr', 'del', '10.80.0.1/24', 'dev', 'v4');
  t.same(routes(), ['10.83.0.0/16'], 'the kernel deleted the route through v4 and the main-table route using the address');
});

t.test("a delete that would make the kernel delete another owner's routes is refused", async (t) => {
  const { ns, handle } = await policyNetns(t);
  addVeth(ns, 'v4', 'v5');
  await applyPolicy(handle, { addresses: [{ address: '10.80.0.1/24', dev: 'v4' }] });
  ns.ip('route', 'add', '10.84.0.0/16', 'via', '10.80.0.2', 'table', '300');
  ns.ip('route', 'add', '10.87.0.0/16', 'dev', 'v0', 'src', '10.80.0.1');
  await t.rejects(applyPolicy(handle, {}), { name: 'PolicyConflictError', field: 'addresses', message: /2 object\(s\) of others \(route 10\.84\.0\.0\/16 table 300 proto boot; route 10\.87\.0\.0\/16 table 254 proto boot\)/ });
  t.ok(ipAddresses(ns, 'v4').has('10.80.0.1/24'), 'refused: the address is still there');
  ns.ip('route', 'del', '10.84.0.0/16', 'table', '300');
  await t.rejects(applyPolicy(handle, {}), { message: /1 object\(s\) of others \(route 10\.87\.0\.0\/16 table 254/ }, 'a main-table route using it as its source counts too');
  ns.ip('route', 'del', '10.87.0.0/16');
  const { plan } = await applyPolicy(handle, {});
  t.same(plan.changes.map((c) => `${c.action} ${c.object}`), ['delete address']);
  t.notOk(ipAddresses(ns, 'v4').has('10.80.0.1/24'), 'once they are gone, so is the address');
});

t.test('renumbering within a subnet: the new address is a secondary of the old one, which would take it along', async (t) => {
  const { ns, handle } = await policyNetns(t);
  addVeth(ns, 'v4', 'v5');
  await applyPolicy(handle, { addresses: [{ address: '10.80.0.1/24', dev: 'v4' }] });
  ns.ip('route', 'add', '10.84.0.0/16', 'via', '10.80.0.9', 'table', '300');
  const renumbered = { addresses: [{ address: '10.80.0.2/24', dev: 'v4' }] };
  await t.rejects(applyPolicy(handle, renumbered), { name: 'PolicyConflictError', field: 'addresses', message: /secondaries 10\.80\.0\.2\/24/ });
  t.same([...ipAddresses(ns, 'v4').keys()].filter((a) => a.startsWith('10.')), ['10.80.0.1/24'], 'refused: nothing changed');
  ns.exec('sysctl', ['-qw', 'net.ipv4.conf.v4.promote_secondaries=1']);
  const { plan } = await applyPolicy(handle, renumbered);
  t.same(plan.changes.map((c) => `${c.action} ${c.object}`), ['add address', 'delete address']);
  t.same([...ipAddresses(ns, 'v4').keys()].filter((a) => a.startsWith('10.')), ['10.80.0.2/24'], 'with promote_secondaries, the new address stays');
  t.same(routesOf(ns, '300'), ['10.84.0.0/16'], "and so does another owner's route through v4");
});

t.test("an owned primary and its owned secondary go together: the secondary first", async (t) => {
  const { ns, handle } = await policyNetns(t);
  await applyPolicy(handle, { addresses: [{ address: '203.0.113.1/24', dev: 'v0' }, { address: '203.0.113.2/24', dev: 'v0' }] });
  t.match(ipAddresses(ns, 'v0').get('203.0.113.2/24'), { secondary: true });
  const { plan } = await applyPolicy(handle, {});
  t.same(plan.changes.map((c) => c.object === 'address' && c.address.address), ['203.0.113.2/24', '203.0.113.1/24']);
  t.notOk([...ipAddresses(ns, 'v0').keys()].some((a) => a.startsWith('203.')), 'both are gone');
});

t.test('an IPv6 address that routes use as their source: the kernel would strip it from them', async (t) => {
  const { ns, handle } = await policyNetns(t);
  const address = { address: '2001:db8:9::1/64', dev: 'v2', nodad: true };
  await applyPolicy(handle, { addresses: [address], routes: [{ dst: '2001:db8:99::/48', dev: 'v2', src: '2001:db8:9::1', table: 100 }] });
  await t.rejects(applyPolicy(handle, { routes: [{ dst: '2001:db8:99::/48', dev: 'v2', src: '2001:db8:9::1', table: 100 }] }), { name: 'ValidationError', field: 'routes[0].src' });
  await applyPolicy(handle, { addresses: [address] });
  ns.ip('route', 'add', '2001:db8:98::/48', 'dev', 'v2', 'src', '2001:db8:9::1', 'table', '300');
  await t.rejects(applyPolicy(handle, {}), { name: 'PolicyConflictError', field: 'addresses', message: /1 object\(s\) of others \(route 2001:db8:98::\/48 table 300/ });
  // What the refusal protects: ip deleting the address strips the source from that route.
  ns.ip('addr', 'del', '2001:db8:9::1/64', 'dev', 'v2');
  t.match(ns.ipJson('-6', 'route', 'show', 'table', '300'), [{ dst: '2001:db8:98::/48' }]);
  t.equal(ns.ipJson<{ prefsrc?: string }[]>('-6', 'route', 'show', 'table', '300')[0]?.prefsrc, undefined, 'the kernel stripped the source');
});

t.test('a new IPv6 address that a route uses as its source: the apply waits out duplicate address detection', async (t) => {
  const { ns, handle } = await policyNetns(t);
  addVeth(ns, 'v4', 'v5');
  ns.exec('sysctl', ['-qw', 'net.ipv6.conf.v4.accept_dad=1']);
  // Why: ip's own route add fails while an address is tentative.
  ns.ip('addr', 'add', '2001:db8:6::1/64', 'dev', 'v4');
  t.throws(() => ns.ip('route', 'add', '2001:db8:66::/48', 'dev', 'v4', 'src', '2001:db8:6::1', 'table', '100'), /Invalid source address/);
  const route = { dst: '2001:db8:77::/48', dev: 'v4', src: '2001:db8:7::1', table: 100 };
  const { changed } = await applyPolicy(handle, { addresses: [{ address: '2001:db8:7::1/64', dev: 'v4' }], routes: [route] });
  t.ok(changed);
  t.match(ns.ipJson('-6', 'route', 'show', 'table', '100'), [{ dst: '2001:db8:77::/48', prefsrc: '2001:db8:7::1' }], 'the route, once the address was usable');
  // The same address already on the other end of the link: DAD fails, and the apply is undone.
  ns.ip('addr', 'add', '2001:db8:8::1/64', 'dev', 'v5', 'nodad');
  const error = await applyPolicy(handle, {
    addresses: [{ address: '2001:db8:7::1/64', dev: 'v4' }, { address: '2001:db8:8::1/64', dev: 'v4' }],
    routes: [route, { dst: '2001:db8:88::/48', dev: 'v4', src: '2001:db8:8::1', table: 100 }],
  }).catch((e: unknown) => e);
  t.match(error, { name: 'PolicyApplyError', code: 'EADDRNOTAVAIL', operation: 'addAddress', index: 0, message: /duplicate address detection failed/, cause: { message: /duplicate address detection failed/ }, rolledBack: true, rollbackErrors: [] });
  t.notOk(ipAddresses(ns, 'v4').has('2001:db8:8::1/64'), 'the address whose DAD failed is gone again');
});

t.test('an apply that times out while it waits out DAD is undone, and rejects with the timeout', async (t) => {
  const { ns, handle } = await policyNetns(t);
  addVeth(ns, 'v4', 'v5');
  // Three probes a second apart: the address stays tentative for about three seconds.
  ns.exec('sysctl', ['-qw', 'net.ipv6.conf.v4.accept_dad=1', 'net.ipv6.conf.v4.dad_transmits=3']);
  const started = Date.now();
  const error = await applyPolicy(handle, { addresses: [{ address: '2001:db8:7::1/64', dev: 'v4' }], routes: [{ dst: '2001:db8:77::/48', dev: 'v4', src: '2001:db8:7::1', table: 100 }] }, { timeoutMs: 600 }).catch((e: unknown) => e);
  t.match(error, { name: 'TimeoutError' }, "the signal's reason");
  t.ok(Date.now() - started < 2500, 'it did not wait for DAD to end');
  t.notOk(ipAddresses(ns, 'v4').has('2001:db8:7::1/64'), 'the address is gone again');
  t.notMatch(ns.ip('-6', 'route', 'show', 'table', 'all'), /2001:db8:77::/, 'and no route was made');
});

t.test('a peer is found by its subnet, as the kernel finds it', async (t) => {
  const { ns, handle } = await policyNetns(t);
  await applyPolicy(handle, { addresses: [{ address: '10.2.0.1/24', peer: '10.2.0.2', dev: 'v2' }] });
  t.match(ipAddresses(ns, 'v2').get('10.2.0.1/24'), { address: '10.2.0.2' });
  t.same((await applyPolicy(handle, { addresses: [{ address: '10.2.0.1/24', peer: '10.2.0.2', dev: 'v2' }] })).changed, false, 'again: nothing');
  await t.rejects(applyPolicy(handle, { addresses: [{ address: '10.2.0.1/24', peer: '10.2.0.3', dev: 'v2' }] }), { name: 'PolicyConflictError', message: /with peer 10\.2\.0\.2/ });
  ns.ip('addr', 'add', '10.3.0.1', 'peer', '10.3.0.2/24', 'dev', 'v2');
  await t.rejects(applyPolicy(handle, { addresses: [{ address: '10.3.0.1/24', peer: '10.3.0.5', dev: 'v2' }] }), { name: 'PolicyConflictError', message: /not owner 201's/ }, "another's address with a peer in the same subnet");
  // The kernel agrees that both are the address it holds.
  t.throws(() => ns.ip('addr', 'add', '10.3.0.1', 'peer', '10.3.0.5/24', 'dev', 'v2'), /exists|assigned/i);
});

t.test("a route of the document whose gateway a deleted address's subnet reached is refused", async (t) => {
  const { ns, handle } = await policyNetns(t);
  addVeth(ns, 'v4', 'v5');
  ns.ip('addr', 'add', '10.95.0.1/24', 'dev', 'v4'); // the device keeps another subnet
  await applyPolicy(handle, { addresses: [{ address: '10.80.0.1/24', dev: 'v4' }], routes: [{ dst: '10.81.0.0/16', gateway: '10.80.0.2', table: 100 }] });
  await t.rejects(applyPolicy(handle, { routes: [{ dst: '10.81.0.0/16', gateway: '10.80.0.2', table: 100 }] }), { name: 'ValidationError', field: 'routes[0].gateway' });
  t.same(routesOf(ns, '100'), ['10.81.0.0/16']);
});

t.test("deleting an IPv6 address: the kernel deletes a gateway-less main-table route to its prefix, whoever's", async (t) => {
  const { ns, handle } = await policyNetns(t);
  await applyPolicy(handle, { addresses: [{ address: '2001:db8:41::1/64', dev: 'v2', nodad: true }] });
  ns.ip('-6', 'route', 'add', '2001:db8:41::/64', 'dev', 'v2', 'proto', '99', 'metric', '100');
  await t.rejects(applyPolicy(handle, {}), { name: 'PolicyConflictError', field: 'addresses', message: /route 2001:db8:41::\/64 table 254 proto/ });
  ns.ip('-6', 'route', 'del', '2001:db8:41::/64', 'dev', 'v2', 'proto', '99', 'metric', '100');
  await applyPolicy(handle, { addresses: [{ address: '2001:db8:41::1/64', dev: 'v2', nodad: true }], routes: [{ dst: '2001:db8:41::/64', dev: 'v2', metric: 100 }] });
  await t.rejects(applyPolicy(handle, { routes: [{ dst: '2001:db8:41::/64', dev: 'v2', metric: 100 }] }), { name: 'ValidationError', field: 'routes[0].dst' });
  // What the refusals protect: ip deleting the address takes the route.
  ns.ip('addr', 'del', '2001:db8:41::1/64', 'dev', 'v2');
  t.same(ns.ipJson<{ protocol: string }[]>('-6', 'route', 'show', '2001:db8:41::/64').filter((r) => r.protocol !== 'kernel'), [], 'the kernel deleted the route to the prefix');
});

t.test("a device left without IPv4 addresses loses its permanent neighbours: refused", async (t) => {
  const { ns, handle } = await policyNetns(t);
  addVeth(ns, 'v4', 'v5');
  await applyPolicy(handle, { addresses: [{ address: '10.80.0.1/24', dev: 'v4' }] });
  ns.ip('neigh', 'add', '10.80.0.7', 'lladdr', '02:00:00:00:00:07', 'dev', 'v4', 'nud', 'permanent');
  await t.rejects(applyPolicy(handle, {}), { name: 'PolicyConflictError', message: /permanent neighbour 10\.80\.0\.7 dev v4/ });
  ns.ip('addr', 'del', '10.80.0.1/24', 'dev', 'v4');
  t.same(ns.ipJson('-4', 'neigh', 'show', 'dev', 'v4'), [], 'what it protects: the kernel deleted the neighbour with the address');
});

t.test('promote_secondaries of a device with a dot in its name; a peer equal to the address', async (t) => {
  const { ns, handle } = await policyNetns(t);
  addVeth(ns, 'a.b', 'a.c');
  await applyPolicy(handle, { addresses: [{ address: '203.0.113.1/24', dev: 'a.b' }, { address: '10.5.0.1/24', peer: '10.5.0.1', dev: 'a.b' }] });
  t.same((await applyPolicy(handle, { addresses: [{ address: '203.0.113.1/24', dev: 'a.b' }, { address: '10.5.0.1/24', peer: '10.5.0.1', dev: 'a.b' }] })).changed, false, 'a peer equal to the address is found again');
  ns.ip('addr', 'add', '203.0.113.2/24', 'dev', 'a.b');
  await t.rejects(applyPolicy(handle, {}), { name: 'PolicyConflictError', message: /secondaries/ });
  ns.exec('sysctl', ['-qw', 'net.ipv4.conf.a/b.promote_secondaries=1']);
  await applyPolicy(handle, {});
  t.same([...ipAddresses(ns, 'a.b').keys()].filter((a) => !a.startsWith('fe80')), ['203.0.113.2/24'], "the device's own setting counts, under its sysctl name a/b");
});

t.test('a rollback re-adds a deleted IPv6 source address and waits until it is usable before the routes', async (t) => {
  const { ns, handle } = await policyNetns(t);
  ns.exec('sysctl', ['-qw', 'net.ipv6.conf.v2.accept_dad=1']);
  const address = { address: '2001:db8:42::1/64', dev: 'v2' };
  const route = { dst: '2001:db8:43::/48', dev: 'v2', src: '2001:db8:42::1', table: 100 };
  await applyPolicy(handle, { addresses: [address] });
  await handle.addresses.usable(address);
  await applyPolicy(handle, { addresses: [address], routes: [route] });
  const before = [ns.ip('-6', 'addr', 'show', 'dev', 'v2'), ns.ip('-6', 'route', 'show', 'table', '100')];
  // A port range that ends before it starts: the last step fails, after the route and the address went.
  const error = await applyPolicy(handle, { sysctls: { 'net.ipv4.ip_local_port_range': '40000 30000' } }).catch((e: unknown) => e);
  t.match(error, { name: 'PolicyApplyError', operation: 'setSysctl', rolledBack: true, rollbackErrors: [] });
  t.same([ns.ip('-6', 'addr', 'show', 'dev', 'v2'), ns.ip('-6', 'route', 'show', 'table', '100')], before, 'the address and the route are back');
  await t.rejects(handle.addresses.usable({ address: '2001:db8:44::1/64', dev: 'v2' }), { code: 'EADDRNOTAVAIL' });
});

t.test("a rollback leaves an added address when deleting it would take others' routes", async (t) => {
  const { ns, handle } = await policyNetns(t);
  addVeth(ns, 'v4', 'v5');
  ns.ip('route', 'add', '10.9.0.0/16', 'dev', 'v4', 'table', '300');
  const error = await applyPolicy(handle, {
    addresses: [{ address: '10.80.0.1/24', dev: 'v4' }],
    sysctls: { 'net.ipv4.ip_local_port_range': '40000 30000' },
  }).catch((e: unknown) => e);
  t.match(error, { name: 'PolicyApplyError', operation: 'setSysctl', rollbackErrors: [{ message: /rollback left 10\.80\.0\.1\/24 on v4/ }] });
  t.same(routesOf(ns, '300'), ['10.9.0.0/16'], "the other owner's route is still there");
  t.ok(ipAddresses(ns, 'v4').has('10.80.0.1/24'), 'and so is the address, reported');
});

t.test('a failed apply takes the addresses it added back', async (t) => {
  const { ns, handle } = await policyNetns(t);
  const before = ns.ip('addr', 'show');
  // 198.51.100.0/24 is connected; 203.0.113.0/24 is not, so the second route's gateway is unreachable.
  const error = await applyPolicy(handle, {
    addresses: [{ address: '10.85.0.1/24', dev: 'v2' }],
    routes: [{ dst: '10.86.0.0/16', gateway: '203.0.113.99', table: 100 }],
  }).catch((e: unknown) => e);
  t.type(error, PolicyApplyError);
  t.match(error, { operation: 'addRoute' });
  t.equal(ns.ip('addr', 'show'), before, 'the address is gone again');
  t.same((await planPolicy(handle, {})).changes, [], 'the owner holds nothing');
});
