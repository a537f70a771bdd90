/**
 * Edge cases of links, addresses and neighbours (src/rtnl/links.ts, link-api.ts, addresses.ts,
 * neighbours.ts) against the real `ip` (iproute2 6.1) on kernel 6.18, in namespaces the tests
 * make. Each test is witnessed by `ip -j link`, `ip -j addr`, `ip -j neigh` (or `ip -d`), never by
 * routemark's own encoder.
 *
 * The tests after "Altnames, metrics, flags, labels, names" were found failing in review (and fixed);
 * each explains what the kernel and `ip` do.
 */
import t from 'tap';
import { NetlinkError, ValidationError, type Address } from '../../src/index.js';
import { makeNetns, type TestNetns } from '../helpers/netns.js';
import { freshHandle, ipFails, messagesSent, rejection, type IpLink } from './helpers.js';

type Json = Record<string, unknown>;

interface IpAddr {
  ifname: string;
  addr_info: Json[];
}

/** `ip -j addr show dev DEV`'s addresses, link-local ones left out. */
function ipAddrs(ns: TestNetns, dev: string, ...family: string[]): Json[] {
  return (ns.ipJson<IpAddr[]>(...family, 'addr', 'show', 'dev', dev)[0]?.addr_info ?? []).filter((a) => a.scope !== 'link');
}

/** One address as `ip -j addr` shows it, by its local address. */
function ipAddr(ns: TestNetns, dev: string, local: string): Json | undefined {
  return ipAddrs(ns, dev).find((a) => a.local === local);
}

function veth(ns: TestNetns, a = 'v0', b = 'v1', up = true): void {
  ns.ip('link', 'add', a, 'type', 'veth', 'peer', 'name', b);
  if (up) {
    ns.ip('link', 'set', a, 'up');
    ns.ip('link', 'set', b, 'up');
  }
}

// ---------------------------------------------------------------------------------------------
// Interface names: IFNAMSIZ - 1 = 15 bytes; '/', ':' and whitespace are refused (by the
// kernel's dev_valid_name, and by ip for most). routemark refuses them before anything is sent.
// ---------------------------------------------------------------------------------------------

t.test('interface names: 15 bytes make a link, as with ip; what ip and the kernel refuse is refused before I/O', async (t) => {
  const { ns, handle } = await freshHandle(t);
  const fifteen = 'abcdefghijklmno';
  const fifteenPeer = 'ABCDEFGHIJKLMNO';
  await handle.links.add({ name: fifteen, kind: 'veth', peer: { name: fifteenPeer } });
  t.same(ns.ipJson<IpLink[]>('link', 'show').map((l) => l.ifname).sort(), [fifteenPeer, 'lo', fifteen].sort(), 'ip shows both 15-byte names');
  t.match(await handle.links.get(fifteen), { name: fifteen, link: fifteenPeer });
  // A multi-byte name: 15 bytes of UTF-8 pass, 16 do not.
  await handle.links.add({ name: 'brü0123456789a', kind: 'bridge' });
  t.ok(ns.ipJson<IpLink[]>('link', 'show').some((l) => l.ifname === 'brü0123456789a'), 'ip shows a 15-byte UTF-8 name');

  const bad = ['abcdefghijklmnop', 'brü0123456789ab', 'a/b', 'a b', 'a\tb', '', 'a:b', '.', '..'];
  await handle.links.list();
  const sent = messagesSent(handle);
  for (const name of bad) {
    t.ok(ipFails(ns, 'link', 'add', name, 'type', 'bridge') !== undefined, `ip (or the kernel) refuses ${JSON.stringify(name)}`);
    await t.rejects(handle.links.add({ name, kind: 'bridge' }), { name: 'ValidationError', field: 'link.name', value: name }, `link.name ${JSON.stringify(name)}`);
    await t.rejects(handle.links.add({ name: 'ok0', kind: 'veth', peer: { name } }), { name: 'ValidationError', field: 'link.peer.name', value: name }, `link.peer.name ${JSON.stringify(name)}`);
  }
  t.equal(messagesSent(handle), sent, 'nothing was sent for any of them');
  t.same(ns.ipJson<IpLink[]>('link', 'show').length, 4, 'no link was made');
});

// ---------------------------------------------------------------------------------------------
// Listing links: every field routemark decodes, against `ip -d -j link show`, over the
// operational states a veth pair goes through.
// ---------------------------------------------------------------------------------------------

t.test('links: list and get match ip -d link show through DOWN, LOWERLAYERDOWN, UP; by name, index and altname', async (t) => {
  const { ns, handle } = await freshHandle(t);
  await handle.links.add({ name: 'v0', kind: 'veth', peer: { name: 'v1' }, mtu: 9000 });
  await handle.links.add({ name: 'br0', kind: 'bridge' });
  await handle.links.add({ name: 'mv0', kind: 'macvlan', link: 'v0', mode: 'private' });
  ns.ip('link', 'property', 'add', 'dev', 'v0', 'altname', 'up0');

  // Operational states settle a moment after a change (linkwatch): compare once ip shows no change for 300 ms.
  const settle = async () => {
    let last = '';
    for (const deadline = Date.now() + 5000; Date.now() < deadline; await new Promise((r) => setTimeout(r, 300))) {
      const now = JSON.stringify(ns.ipJson<IpLink[]>('link', 'show').map((l) => [l.ifname, l.operstate, l.flags]));
      if (now === last) return;
      last = now;
    }
  };
  const compare = async (label: string) => {
    await settle();
    const shown = ns.ipJson<IpLink[]>('-d', 'link', 'show');
    const mine = await handle.links.list();
    t.same(mine.map((l) => l.name), shown.map((l) => l.ifname), `${label}: the same links in the same order`);
    for (const ip of shown) {
      const link = mine.find((l) => l.name === ip.ifname)!;
      t.match(link, { index: ip.ifindex, mtu: ip.mtu, operstate: ip.operstate, up: ip.flags.includes('UP'), lowerUp: ip.flags.includes('LOWER_UP') }, `${label}: ${ip.ifname}`);
      t.equal(link.kind, ip.linkinfo?.info_kind, `${label}: ${ip.ifname} kind`);
      t.equal(link.master, ip.master, `${label}: ${ip.ifname} master`);
      t.equal(link.link, ip.link, `${label}: ${ip.ifname} link`);
      t.equal(link.address, ip.address, `${label}: ${ip.ifname} address`);
      t.same(await handle.links.get(ip.ifname), link, `${label}: get(${ip.ifname}) is what list gives`);
      t.same(await handle.links.get(ip.ifindex), link, `${label}: get(${ip.ifindex}) too`);
    }
  };
  await compare('all down');
  await handle.links.up('v0');
  t.equal(ns.ipJson<IpLink[]>('link', 'show', 'v0')[0]!.operstate, 'LOWERLAYERDOWN', 'ip: v0 up, peer down: LOWERLAYERDOWN');
  await compare('v0 up');
  await handle.links.set('v1', { up: true, master: 'br0' });
  await handle.links.up('br0');
  await handle.links.up('mv0');
  // The bridge's carrier comes up once its port forwards, reported a little later (linkwatch).
  for (const deadline = Date.now() + 5000; ns.ipJson<IpLink[]>('link', 'show', 'br0')[0]!.operstate !== 'UP' && Date.now() < deadline; ) await new Promise((r) => setTimeout(r, 100));
  await compare('all up, v1 in br0');
  t.same(await handle.links.get('up0'), await handle.links.get('v0'), 'get by altname is the link, as ip link show up0');
  t.equal(await handle.links.get(99999), undefined, 'an index that is not there: undefined');
  t.equal(await handle.links.get('nope0'), undefined, 'a name that is not there: undefined');
});

t.test('links: set mtu, up/down, master/nomaster as ip shows them; set by altname', async (t) => {
  const { ns, handle } = await freshHandle(t);
  veth(ns, 'v0', 'v1', false);
  ns.ip('link', 'add', 'br0', 'type', 'bridge');
  ns.ip('link', 'property', 'add', 'dev', 'v0', 'altname', 'up0');
  await handle.links.set('up0', { mtu: 1280, up: true, master: 'br0' });
  const set = ns.ipJson<IpLink[]>('link', 'show', 'v0')[0]!;
  t.match(set, { mtu: 1280, master: 'br0' }, 'ip: mtu 1280, master br0');
  t.ok(set.flags.includes('UP'), 'ip: up');
  await handle.links.set('v0', { master: null, up: false });
  const shown = ns.ipJson<IpLink[]>('link', 'show', 'v0')[0]!;
  t.equal(shown.master, undefined, 'ip: nomaster');
  t.notOk(shown.flags.includes('UP'), 'ip: down');
  // Bounds the kernel enforces for a veth (68..65535), refused by both.
  t.ok(ipFails(ns, 'link', 'set', 'v0', 'mtu', '67'), 'ip: mtu 67 refused on a veth');
  t.ok(ipFails(ns, 'link', 'add', 'x0', 'mtu', '65536', 'type', 'veth', 'peer', 'name', 'x1'), 'ip: a veth of mtu 65536 refused');
  await t.rejects(handle.links.add({ name: 'x0', kind: 'veth', peer: { name: 'x1' }, mtu: 65536 }), { name: 'ValidationError', field: 'link.mtu', value: 65536 });
  const error = await rejection(() => handle.links.set('v0', { mtu: 67 }));
  t.ok(error instanceof ValidationError || error instanceof NetlinkError, 'routemark refuses mtu 67 on a veth');
  await handle.links.delete('up0');
  t.same(ns.ipJson<IpLink[]>('link', 'show').map((l) => l.ifname).sort(), ['br0', 'lo'], 'delete by altname took v0 (and its peer)');
});

t.test('links: unknown interfaces and bad changes name the field and value, before anything changes', async (t) => {
  const { ns, handle } = await freshHandle(t);
  veth(ns);
  const before = JSON.stringify(ns.ipJson('-d', 'link', 'show'));
  const cases: [string, () => Promise<unknown>, Json][] = [
    ['set on a missing link', () => handle.links.set('nope0', { up: true }), { field: 'link', value: 'nope0' }],
    ['delete a missing link', () => handle.links.delete('nope0'), { field: 'link', value: 'nope0' }],
    ['a missing master', () => handle.links.set('v0', { master: 'nope1' }), { field: 'changes.master', value: 'nope1' }],
    ['a bad master name', () => handle.links.set('v0', { master: 'a/b' }), { field: 'changes.master', value: 'a/b' }],
    ['an unknown change', () => handle.links.set('v0', { nmae: 'w0' } as never), { field: 'changes.nmae', value: 'w0' }],
    ['a bad new name', () => handle.links.set('v0', { name: 'w 0' }), { field: 'changes.name', value: 'w 0' }],
    ['up not a boolean', () => handle.links.set('v0', { up: 1 } as never), { field: 'changes.up', value: 1 }],
    ['a fractional mtu', () => handle.links.set('v0', { mtu: 1500.5 }), { field: 'changes.mtu', value: 1500.5 }],
    ['a missing parent', () => handle.links.add({ name: 'mv0', kind: 'macvlan', link: 'nope2' }), { field: 'link.link', value: 'nope2' }],
    ['a missing namespace', () => handle.links.set('v0', { netns: 'no-such-netns-x' }), { field: 'changes.netns', value: 'no-such-netns-x' }],
    ['index 0', () => handle.links.get(0), { field: 'link', value: 0 }],
    ['an address on a missing link', () => handle.addresses.add({ address: '192.0.2.2/24', dev: 'nope3' }), { field: 'address.dev', value: 'nope3' }],
    ['addresses of a missing link', () => handle.addresses.list({ dev: 'nope4' }), { field: 'filter.dev', value: 'nope4' }],
  ];
  for (const [name, call, expected] of cases) {
    const error = await rejection(call);
    t.type(error, ValidationError, `${name}: a ValidationError`);
    t.match(error, expected, `${name}: names ${String(expected.field)}`);
  }
  t.equal(JSON.stringify(ns.ipJson('-d', 'link', 'show')), before, 'nothing changed');
  t.match(ipFails(ns, 'link', 'set', 'nope0', 'up'), /Cannot find device|does not exist/, 'ip too refuses a missing link');
  await t.rejects(handle.links.add({ name: 'v0', kind: 'bridge' }), { name: 'NetlinkError', code: 'EEXIST', operation: 'addLink' }, 'a name in use: EEXIST, as ip says "File exists"');
  t.match(ipFails(ns, 'link', 'add', 'v0', 'type', 'bridge'), /File exists/);
});

// ---------------------------------------------------------------------------------------------
// Addresses: round trips of what list returns, peers, prefixes, labels.
// ---------------------------------------------------------------------------------------------

t.test('addresses: peers (IPv4 with a peer prefix, IPv6), two prefixes of one address; listed objects delete and re-add exactly', async (t) => {
  const { ns, handle } = await freshHandle(t);
  veth(ns);
  ns.ip('addr', 'add', '10.9.0.1', 'peer', '10.9.0.0/30', 'dev', 'v0');
  ns.ip('addr', 'add', '10.9.1.1', 'peer', '10.9.1.2', 'dev', 'v0');
  ns.ip('-6', 'addr', 'add', '2001:db8:9::1', 'peer', '2001:db8:9::2', 'dev', 'v0', 'nodad');
  ns.ip('-6', 'addr', 'add', '2001:db8:8::1', 'peer', '2001:db8:8::/64', 'dev', 'v0', 'nodad');
  ns.ip('addr', 'add', '192.0.2.2/24', 'dev', 'v0');
  ns.ip('addr', 'add', '192.0.2.2/25', 'dev', 'v0');
  ns.ip('addr', 'add', '203.0.113.5/24', 'brd', '+', 'dev', 'v0', 'label', 'v0:abcdefghijk', 'scope', 'site');
  ns.ip('addr', 'add', '198.51.100.5/24', 'dev', 'v0', 'noprefixroute', 'scope', '100');
  ns.ip('addr', 'add', '10.7.0.1/8', 'dev', 'v0', 'scope', 'host', 'preferred_lft', '0');
  const before = ipAddrs(ns, 'v0');
  t.equal(before.length, 9, 'ip shows nine addresses');
  const listed = (await handle.addresses.list({ dev: 'v0' })).filter((a) => a.scope !== 'link');
  t.equal(listed.length, 9, 'routemark lists nine');
  t.equal(new Set(listed.map((a) => JSON.stringify(a))).size, 9, 'nine different objects');
  t.match(listed.find((a) => a.address === '198.51.100.5/24'), { noprefixroute: true, scope: 100 }, 'IPv4 noprefixroute, a scope without a name');
  t.match(listed.find((a) => a.address === '10.7.0.1/8'), { scope: 'host', preferredLifetime: 0 }, 'deprecated, scope host');
  t.match(listed.find((a) => a.address === '10.9.0.1/30'), { peer: '10.9.0.0' }, 'the peer prefix is the address prefix');
  t.match(listed.find((a) => a.address === '2001:db8:8::1/64'), { peer: '2001:db8:8::' });
  t.match(listed.find((a) => a.address === '203.0.113.5/24'), { broadcast: '203.0.113.255', label: 'v0:abcdefghijk', scope: 'site' });

  // Re-added in another namespace, each address is what ip showed.
  const other = await freshHandle(t);
  veth(other.ns);
  for (const a of listed) await other.handle.addresses.add(a);
  const strip = (list: Json[]) => list.map((a) => JSON.stringify({ ...a, valid_life_time: undefined, preferred_life_time: undefined })).sort();
  t.same(strip(ipAddrs(other.ns, 'v0')), strip(before), 'added back, ip shows the same addresses');

  // Deleting each listed object takes exactly that one (the /25 is left by the /24's delete).
  for (const a of listed) {
    await handle.addresses.delete(a);
    const left = ipAddrs(ns, 'v0');
    t.notOk(left.some((s) => s.local === a.address.split('/')[0] && s.prefixlen === Number(a.address.split('/')[1]) && (a.peer === undefined || s.address === a.peer)), `${a.address} is gone`);
  }
  t.same(ipAddrs(ns, 'v0'), [], 'all gone');
});

t.test('addresses: labels up to 15 bytes, as ip takes them', async (t) => {
  const { ns, handle } = await freshHandle(t);
  veth(ns);
  await handle.addresses.add({ address: '192.0.2.2/24', dev: 'v0', label: 'v0:123456789012' });
  t.equal(ipAddr(ns, 'v0', '192.0.2.2')!.label, 'v0:123456789012', 'ip: a 15-byte label');
  t.ok(ipFails(ns, 'addr', 'add', '192.0.2.3/24', 'dev', 'v0', 'label', 'v0:1234567890123'), 'ip (the kernel) refuses a 16-byte label');
  await t.rejects(handle.addresses.add({ address: '192.0.2.3/24', dev: 'v0', label: 'v0:1234567890123' }), { name: 'ValidationError', field: 'address.label' });
  // Whitespace and '/' are no trouble in a label (it is no interface name): ip and the kernel take them.
  await handle.addresses.add({ address: '192.0.2.4/24', dev: 'v0', label: 'v0 a/b' });
  t.equal(ipAddr(ns, 'v0', '192.0.2.4')!.label, 'v0 a/b', 'ip: label "v0 a/b"');
  // An IPv6 label ip sends and the kernel drops without a word: routemark refuses it.
  ns.ip('-6', 'addr', 'add', '2001:db8::4/64', 'dev', 'v0', 'label', 'v0:6', 'nodad');
  t.equal(ipAddr(ns, 'v0', '2001:db8::4')!.label, undefined, 'ip: the kernel kept no label on an IPv6 address');
  await t.rejects(handle.addresses.add({ address: '2001:db8::5/64', dev: 'v0', label: 'v0:6', nodad: true }), { name: 'ValidationError', field: 'address.label', value: 'v0:6' });
  t.same(ipAddrs(ns, 'v0').map((a) => a.local), ['192.0.2.2', '192.0.2.4', '2001:db8::4'], 'nothing else was added');
});

t.test('addresses: EEXIST on a duplicate, EADDRNOTAVAIL on a delete of what is not there, as ip', async (t) => {
  const { ns, handle } = await freshHandle(t);
  veth(ns);
  await handle.addresses.add({ address: '192.0.2.2/24', dev: 'v0' });
  await handle.addresses.add({ address: '2001:db8::2/64', dev: 'v0', nodad: true });
  t.match(ipFails(ns, 'addr', 'add', '192.0.2.2/24', 'dev', 'v0'), /already assigned|File exists/);
  t.match(ipFails(ns, '-6', 'addr', 'add', '2001:db8::2/64', 'dev', 'v0'), /already assigned|File exists/);
  t.match(ipFails(ns, '-6', 'addr', 'add', '2001:db8::2/80', 'dev', 'v0'), /already assigned|File exists/, 'ip: an IPv6 address on a link once, whatever the prefix');
  await t.rejects(handle.addresses.add({ address: '192.0.2.2/24', dev: 'v0' }), { name: 'NetlinkError', code: 'EEXIST', operation: 'addAddress' });
  await t.rejects(handle.addresses.add({ address: '2001:db8::2/80', dev: 'v0' }), { name: 'NetlinkError', code: 'EEXIST' });
  t.match(ipFails(ns, 'addr', 'del', '192.0.2.2/25', 'dev', 'v0'), /Address not found|Cannot assign requested address/);
  await t.rejects(handle.addresses.delete({ address: '192.0.2.2/25', dev: 'v0' }), { name: 'NetlinkError', code: 'EADDRNOTAVAIL', operation: 'deleteAddress' });
  await t.rejects(handle.addresses.delete({ address: '2001:db8::2/80', dev: 'v0' }), { name: 'NetlinkError', code: 'EADDRNOTAVAIL' });
  t.same(ipAddrs(ns, 'v0').map((a) => `${String(a.local)}/${String(a.prefixlen)}`), ['192.0.2.2/24', '2001:db8::2/64'], 'both still there');
});

t.test('addresses: on a down link an IPv6 address stays tentative (usable times out); DAD failure is EADDRNOTAVAIL', async (t) => {
  const { ns, handle } = await freshHandle(t);
  veth(ns, 'v0', 'v1', false);
  const down: Address = { address: '2001:db8::2/64', dev: 'v0' };
  await handle.addresses.add(down);
  t.equal(ipAddr(ns, 'v0', '2001:db8::2')!.tentative, true, 'ip: tentative on a down link');
  await t.rejects(handle.addresses.usable(down, 300), { name: 'NetlinkError', code: 'ETIMEDOUT' });
  t.ok((await handle.addresses.list({ dev: 'v0' })).some((a) => a.address === '2001:db8::2/64'), 'listed all the same, as ip shows it');

  // The same address on both ends of a veth: the second one's duplicate address detection fails.
  const guest = makeNetns(t, 'rtnlg');
  ns.ip('link', 'set', 'v1', 'netns', guest.name);
  guest.ip('link', 'set', 'v1', 'up');
  guest.ip('-6', 'addr', 'add', '2001:db8::9/64', 'dev', 'v1', 'nodad');
  ns.ip('link', 'set', 'v0', 'up');
  await handle.addresses.usable(down, 5000);
  t.notOk(ipAddr(ns, 'v0', '2001:db8::2')!.tentative, 'ip: no longer tentative once usable resolved');
  ns.exec('sysctl', ['-qw', 'net.ipv6.conf.v0.dad_transmits=1']);
  const dup: Address = { address: '2001:db8::9/64', dev: 'v0' };
  await handle.addresses.add(dup);
  const deadline = Date.now() + 5000;
  while (ipAddr(ns, 'v0', '2001:db8::9')?.dadfailed !== true && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
  t.equal(ipAddr(ns, 'v0', '2001:db8::9')!.dadfailed, true, 'ip: dadfailed');
  await t.rejects(handle.addresses.usable(dup, 1000), { name: 'NetlinkError', code: 'EADDRNOTAVAIL' });
});

// ---------------------------------------------------------------------------------------------
// Neighbours against `ip -j neigh show`.
// ---------------------------------------------------------------------------------------------

t.test('neighbours: entries ip made are listed with the state and lladdr ip shows', async (t) => {
  const { ns, handle } = await freshHandle(t);
  veth(ns);
  ns.ip('addr', 'add', '192.0.2.2/24', 'dev', 'v0');
  ns.ip('neigh', 'add', '192.0.2.9', 'lladdr', '02:00:00:00:00:09', 'dev', 'v0', 'nud', 'permanent');
  ns.ip('neigh', 'add', '192.0.2.10', 'lladdr', '02:00:00:00:00:0a', 'dev', 'v0', 'nud', 'stale');
  ns.ip('neigh', 'add', '192.0.2.11', 'lladdr', '02:00:00:00:00:0b', 'dev', 'v0', 'nud', 'noarp');
  ns.ip('neigh', 'add', '192.0.2.12', 'lladdr', '02:00:00:00:00:0c', 'dev', 'v1', 'nud', 'reachable');
  ns.ip('-6', 'neigh', 'add', '2001:db8::9', 'lladdr', '02:00:00:00:00:19', 'dev', 'v0', 'nud', 'permanent');
  ns.ip('-6', 'neigh', 'add', '2001:db8::a', 'lladdr', '02:00:00:00:00:1a', 'dev', 'v1', 'nud', 'stale', 'router');
  // `ip neigh show` hides NOARP entries unless asked (nud all); routemark lists them all.
  const shown = ns.ipJson<Json[]>('neigh', 'show', 'nud', 'all').filter((n) => !String(n.dst).startsWith('ff'));
  const mine = (await handle.neighbours.list()).filter((n) => !n.address.startsWith('ff'));
  const key = (dst: unknown, dev: unknown) => `${String(dst)}%${String(dev)}`;
  t.same(mine.map((n) => key(n.address, n.dev)).sort(), shown.map((n) => key(n.dst, n.dev)).sort(), 'the same entries');
  for (const n of shown) {
    const m = mine.find((x) => x.address === n.dst && x.dev === n.dev)!;
    t.same([m.state], n.state, `${String(n.dst)}: state`);
    t.equal(m.lladdr, n.lladdr, `${String(n.dst)}: lladdr`);
    t.equal(m.ifindex, ns.ifindex(String(n.dev)), `${String(n.dst)}: ifindex`);
  }
  t.same((await handle.neighbours.list({ family: 'inet6', dev: 'v1' })).filter((n) => !n.address.startsWith('ff')).map((n) => n.address), ['2001:db8::a'], 'filtered by family and dev');
});

// =============================================================================================
// Altnames, metrics, flags, labels, names
// =============================================================================================

// ---------------------------------------------------------------------------------------------
// An altname as a list filter. The kernel resolves IFLA_IFNAME lookups through altnames too:
//   ip link property add dev v0 altname up0; ip addr show dev up0   -> v0's addresses
// Listed addresses and neighbours carry the link's real name, so the filter compares ifindexes
// (a comparison by name listed nothing for an altname, though addresses.add({ dev: 'up0' }) worked).
// ---------------------------------------------------------------------------------------------

t.test('addresses.list({ dev }) by an altname lists the addresses ip addr show dev ALTNAME shows', async (t) => {
  const { ns, handle } = await freshHandle(t);
  veth(ns);
  ns.ip('link', 'property', 'add', 'dev', 'v0', 'altname', 'up0');
  await handle.addresses.add({ address: '192.0.2.2/24', dev: 'up0' });
  const shown = ns.ipJson<IpAddr[]>('-4', 'addr', 'show', 'dev', 'up0');
  t.match(shown, [{ ifname: 'v0', addr_info: [{ local: '192.0.2.2', prefixlen: 24 }] }], 'ip addr show dev up0: the address routemark added with dev up0');
  const listed = await handle.addresses.list({ dev: 'up0', family: 'inet' });
  t.same(listed.map((a) => a.address), ['192.0.2.2/24'], 'routemark lists it too');
});

t.test('neighbours.list({ dev }) by an altname lists what ip neigh show dev ALTNAME shows', async (t) => {
  const { ns, handle } = await freshHandle(t);
  veth(ns);
  ns.ip('link', 'property', 'add', 'dev', 'v0', 'altname', 'up0');
  ns.ip('neigh', 'add', '192.0.2.9', 'lladdr', '02:00:00:00:00:09', 'dev', 'v0', 'nud', 'permanent');
  t.match(ns.ipJson<Json[]>('-4', 'neigh', 'show', 'dev', 'up0'), [{ dst: '192.0.2.9', lladdr: '02:00:00:00:00:09' }], 'ip neigh show dev up0');
  t.same((await handle.neighbours.list({ family: 'inet', dev: 'up0' })).map((n) => n.address), ['192.0.2.9'], 'routemark lists it too');
});

// ---------------------------------------------------------------------------------------------
// neighbours.list({ dev }) with a device the namespace lacks. `ip neigh show dev nope0` fails
// ('Cannot find device "nope0"'); like every other list filter of routemark (addresses.list's
// filter.dev, routes), neighbours.list refuses a missing interface with a ValidationError naming
// the field, as the README promises. (Resolving to [] would read a typo as "no neighbours": a
// failover check would see a gateway without a neighbour entry.)
// ---------------------------------------------------------------------------------------------

t.test('neighbours.list({ dev }) refuses a device the namespace lacks, as ip neigh show dev does', async (t) => {
  const { ns, handle } = await freshHandle(t);
  veth(ns);
  t.match(ipFails(ns, 'neigh', 'show', 'dev', 'nope0'), /Cannot find device/, 'ip: Cannot find device "nope0"');
  await t.rejects(handle.addresses.list({ dev: 'nope0' }), { name: 'ValidationError', field: 'filter.dev', value: 'nope0' }, 'addresses.list does');
  await t.rejects(handle.neighbours.list({ dev: 'nope0' }), { name: 'ValidationError', field: 'filter.dev', value: 'nope0' }, 'neighbours.list does too');
});

// ---------------------------------------------------------------------------------------------
// The prefix route metric of an address (IFA_RT_PRIORITY: `ip addr add 192.0.2.2/24 dev v0
// metric 100`, what systemd-networkd's RouteMetric= sets). `ip -j addr` shows "metric": 100 and
// the prefix route has metric 100. A listed address carries it as `metric`, so replace(listed),
// which the README calls idempotent, keeps it (the kernel's IPv4 replace takes the message's
// IFA_RT_PRIORITY, 0 when absent, and would move the prefix route to metric 0), and an address
// added back (another namespace, a rollback) has it again.
// ---------------------------------------------------------------------------------------------

t.test('addresses: replace with a listed address keeps its prefix route metric (IFA_RT_PRIORITY) as ip shows it', async (t) => {
  const { ns, handle } = await freshHandle(t);
  veth(ns);
  ns.ip('addr', 'add', '192.0.2.2/24', 'dev', 'v0', 'metric', '100');
  ns.ip('-6', 'addr', 'add', '2001:db8::2/64', 'dev', 'v0', 'metric', '200', 'nodad');
  t.equal(ipAddr(ns, 'v0', '192.0.2.2')!.metric, 100, 'ip: metric 100');
  t.equal(ipAddr(ns, 'v0', '2001:db8::2')!.metric, 200, 'ip: metric 200');
  for (const a of await handle.addresses.list({ dev: 'v0' })) if (a.scope !== 'link') await handle.addresses.replace(a);
  t.equal(ipAddr(ns, 'v0', '192.0.2.2')!.metric, 100, 'ip: still metric 100 after replace(listed)');
  // (The IPv6 replace keeps a metric the message does not name: inet6_addr_modify changes it only when given.)
  t.equal(ipAddr(ns, 'v0', '2001:db8::2')!.metric, 200, 'ip: still metric 200 after replace(listed)');
  t.match(ns.ipJson<Json[]>('-4', 'route', 'show', '192.0.2.0/24'), [{ dst: '192.0.2.0/24', metric: 100 }], 'ip: the prefix route keeps metric 100');
});

t.test('addresses: a listed address with a metric, added back, has the metric ip showed', async (t) => {
  const { ns, handle } = await freshHandle(t);
  veth(ns);
  ns.ip('addr', 'add', '192.0.2.2/24', 'dev', 'v0', 'metric', '100');
  ns.ip('-6', 'addr', 'add', '2001:db8::2/64', 'dev', 'v0', 'metric', '200', 'nodad');
  const listed = (await handle.addresses.list({ dev: 'v0' })).filter((a) => a.scope !== 'link');
  t.equal(listed.length, 2);
  for (const a of listed) await handle.addresses.delete(a);
  t.same(ipAddrs(ns, 'v0'), [], 'deleted');
  for (const a of listed) await handle.addresses.add(a);
  t.equal(ipAddr(ns, 'v0', '192.0.2.2')?.metric, 100, 'ip: metric 100 again');
  t.equal(ipAddr(ns, 'v0', '2001:db8::2')?.metric, 200, 'ip: metric 200 again');
});

// ---------------------------------------------------------------------------------------------
// IPv6 address flags beyond nodad and noprefixroute: `home` (IFA_F_HOMEADDRESS, 0x10) and
// `mngtmpaddr` (IFA_F_MANAGETEMPADDR, 0x100, the address privacy extensions make temporary
// addresses from). ip shows "home": true and "mngtmpaddr": true. The kernel's replace
// (inet6_addr_modify) sets the address's flags to the message's, so a listed address must carry
// both for replace(listed) to keep them (with mngtmpaddr cleared the kernel deletes the temporary
// addresses made from it).
// ---------------------------------------------------------------------------------------------

t.test('addresses: replace with a listed IPv6 address keeps home and mngtmpaddr, as ip shows them', async (t) => {
  const { ns, handle } = await freshHandle(t);
  veth(ns);
  ns.ip('-6', 'addr', 'add', '2001:db8::5/64', 'dev', 'v0', 'home', 'nodad');
  ns.ip('-6', 'addr', 'add', '2001:db8:1::6/64', 'dev', 'v0', 'mngtmpaddr', 'nodad');
  t.match(ipAddr(ns, 'v0', '2001:db8::5'), { home: true, nodad: true }, 'ip: home');
  t.match(ipAddr(ns, 'v0', '2001:db8:1::6'), { mngtmpaddr: true, nodad: true }, 'ip: mngtmpaddr');
  const listed = (await handle.addresses.list({ dev: 'v0', family: 'inet6' })).filter((a) => a.scope !== 'link');
  t.equal(listed.length, 2);
  for (const a of listed) await handle.addresses.replace(a);
  t.match(ipAddr(ns, 'v0', '2001:db8::5'), { home: true }, 'ip: still home after replace(listed)');
  t.match(ipAddr(ns, 'v0', '2001:db8:1::6'), { mngtmpaddr: true }, 'ip: still mngtmpaddr after replace(listed)');
  // ip sets them on IPv6 addresses only, and the kernel keeps neither on an IPv4 one.
  t.match(ns.ip('addr', 'add', '192.0.2.5/24', 'dev', 'v0', 'home'), '', 'ip (with a warning) adds 192.0.2.5 without home');
  t.notOk(ipAddr(ns, 'v0', '192.0.2.5')!.home, 'ip: no home on the IPv4 address');
  await t.rejects(handle.addresses.add({ address: '192.0.2.6/24', dev: 'v0', home: true }), { name: 'ValidationError', field: 'address.home', value: true });
  await t.rejects(handle.addresses.add({ address: '192.0.2.6/24', dev: 'v0', mngtmpaddr: true }), { name: 'ValidationError', field: 'address.mngtmpaddr', value: true });
});

// ---------------------------------------------------------------------------------------------
// MTU bounds. The minimum is the device's (dev->min_mtu): loopback's is 0, and `ip link set lo
// mtu 60` succeeds (the kernel then drops lo's IPv4 and IPv6, as it would for any link). So
// links.set leaves the lower bound to the kernel instead of refusing below 68 for every link.
// ---------------------------------------------------------------------------------------------

t.test('links.set takes an MTU below 68 where the device takes it (lo), as ip link set lo mtu 60', async (t) => {
  const { ns, handle } = await freshHandle(t);
  const other = makeNetns(t, 'rtnlo');
  other.ip('link', 'set', 'lo', 'mtu', '60');
  t.equal(other.ipJson<IpLink[]>('link', 'show', 'lo')[0]!.mtu, 60, 'ip link set lo mtu 60 succeeds');
  await handle.links.set('lo', { mtu: 60 });
  t.equal(ns.ipJson<IpLink[]>('link', 'show', 'lo')[0]!.mtu, 60, 'routemark sets it too');
});

// ---------------------------------------------------------------------------------------------
// Interface names with Unicode whitespace. The kernel's dev_valid_name refuses only bytes that
// are isspace in its ctype table (ASCII whitespace and 0xa0), and ip's check_ifname the ASCII
// ones; JavaScript's /\s/ is Unicode whitespace, which refused more. A name with U+2003 (EM SPACE,
// bytes e2 80 83) is a valid name to both: ip makes the link and shows it, and routemark looks
// it up, sets and deletes it. A name with the byte 0xa0 ('Š' is c5 a0) the kernel refuses.
// ---------------------------------------------------------------------------------------------

t.test('links: a link whose name has a Unicode space (valid to the kernel and ip) can be looked up and deleted', async (t) => {
  const { ns, handle } = await freshHandle(t);
  const name = 'a\u2003b';
  ns.ip('link', 'add', name, 'type', 'veth', 'peer', 'name', 'x1');
  t.ok(ns.ipJson<IpLink[]>('link', 'show').some((l) => l.ifname === name), 'ip made it and shows it');
  t.ok((await handle.links.list()).some((l) => l.name === name), 'routemark lists it');
  const got = await rejection(() => handle.links.get(name));
  t.notOk(got instanceof Error, `get does not throw (${String(got)})`);
  t.match(await handle.links.get(name).catch(() => undefined), { name });
  await handle.links.delete(name).catch((e: unknown) => t.fail(`delete: ${String(e)}`));
  t.notOk(ns.ipJson<IpLink[]>('link', 'show').some((l) => l.ifname === name), 'ip: gone');
  // The byte 0xa0 is whitespace to the kernel (NO-BREAK SPACE is c2 a0; 'Š' is c5 a0).
  for (const bad of ['a\u00a0b', 'a\u0160b']) {
    t.match(ipFails(ns, 'link', 'add', bad, 'type', 'bridge'), /Invalid argument/, `the kernel refuses ${JSON.stringify(bad)}`);
    await t.rejects(handle.links.add({ name: bad, kind: 'bridge' }), { name: 'ValidationError', field: 'link.name', value: bad });
  }
});

// ---------------------------------------------------------------------------------------------
// Altnames the kernel takes that no interface name could be: up to 127 bytes (ALTIFNAMSIZ - 1),
// with ':' (the kernel checks an altname for its length only). ip looks a name that cannot be an
// IFLA_IFNAME (over 15 bytes) up by IFLA_ALT_IFNAME; so does routemark, wherever a link is named.
// ---------------------------------------------------------------------------------------------

t.test('links: altnames of up to 127 bytes, and with a colon, name links as in ip link show ALTNAME', async (t) => {
  const { ns, handle } = await freshHandle(t);
  veth(ns);
  const long = 'x'.repeat(100);
  ns.ip('link', 'property', 'add', 'dev', 'v0', 'altname', long);
  ns.ip('link', 'property', 'add', 'dev', 'v0', 'altname', 'co:lon');
  t.equal(ns.ipJson<IpLink[]>('link', 'show', long)[0]!.ifname, 'v0', 'ip link show by the 100-byte altname');
  for (const altname of [long, 'co:lon']) {
    t.match(await handle.links.get(altname), { name: 'v0' }, `get(${altname.slice(0, 10)}...)`);
  }
  await handle.links.set(long, { mtu: 1400 });
  t.equal(ns.ipJson<IpLink[]>('link', 'show', 'v0')[0]!.mtu, 1400, 'set by the altname');
  await handle.addresses.add({ address: '192.0.2.2/24', dev: long });
  t.same((await handle.addresses.list({ dev: 'co:lon', family: 'inet' })).map((a) => `${a.address} ${a.dev}`), ['192.0.2.2/24 v0'], 'added and listed by altnames');
  ns.ip('neigh', 'add', '192.0.2.9', 'lladdr', '02:00:00:00:00:09', 'dev', 'v0', 'nud', 'permanent');
  t.same((await handle.neighbours.list({ family: 'inet', dev: long })).map((n) => n.address), ['192.0.2.9'], 'neighbours by the altname');
  await t.rejects(handle.links.get('x'.repeat(128)), { name: 'ValidationError', field: 'link' }, '128 bytes: longer than any altname');
  t.equal(await handle.links.get('y'.repeat(100)), undefined, 'a long name no link has: undefined');
});

// ---------------------------------------------------------------------------------------------
// IPv4 labels that do not start with the device name. Neither ip 6.1 nor the kernel (which
// checks the length only, IFNAMSIZ - 1) asks a label to:
//   ip addr add 192.0.2.3/24 dev v0 label v1:1      (succeeds; ip -j addr shows "label": "v1:1")
// The listed object, label and all, deletes (replaces, adds back) as ip addr del does; the same
// after `ip link set v0 name <15 bytes>` with a label the kernel had to cut.
// ---------------------------------------------------------------------------------------------

t.test('addresses: a listed address whose label ip set to another prefix deletes, as ip addr del does', async (t) => {
  const { ns, handle } = await freshHandle(t);
  veth(ns);
  ns.ip('addr', 'add', '192.0.2.2/24', 'dev', 'v0');
  ns.ip('addr', 'add', '192.0.2.3/24', 'dev', 'v0', 'label', 'v1:1');
  t.equal(ipAddr(ns, 'v0', '192.0.2.3')!.label, 'v1:1', 'ip and the kernel took label v1:1 on v0');
  const listed = (await handle.addresses.list({ dev: 'v0', family: 'inet' })).find((a) => a.address === '192.0.2.3/24')!;
  t.match(listed, { label: 'v1:1' }, 'routemark lists the label');
  const error = await rejection(() => handle.addresses.delete(listed));
  t.equal(error, undefined, `delete(listed) resolves (${String(error)})`);
  t.same(ipAddrs(ns, 'v0').map((a) => a.local), ['192.0.2.2'], 'ip: the labelled address is gone');
});

// ---------------------------------------------------------------------------------------------
// The same, with nothing unusual asked of ip: a rename. When a link is renamed the kernel renames
// its IPv4 labels (inetdev_changename): 'v0:1' becomes NEWNAME + ':1', and when that is longer
// than 15 bytes it cuts the name to make room for ':1'. After
//   ip addr add 192.0.2.3/24 dev v0 label v0:1; ip link set v0 name abcdefghijklmno
// ip -j addr shows "label": "abcdefghijklm:1" on abcdefghijklmno, which routemark lists and
// deletes, though the label no longer starts with the name.
// ---------------------------------------------------------------------------------------------

t.test('addresses: a listed address whose label the kernel cut on a rename deletes, as ip addr del does', async (t) => {
  const { ns, handle } = await freshHandle(t);
  veth(ns, 'v0', 'v1', false);
  ns.ip('addr', 'add', '192.0.2.2/24', 'dev', 'v0');
  ns.ip('addr', 'add', '192.0.2.3/24', 'dev', 'v0', 'label', 'v0:1');
  const name = 'abcdefghijklmno';
  ns.ip('link', 'set', 'v0', 'name', name);
  t.equal(ipAddr(ns, name, '192.0.2.3')!.label, 'abcdefghijklm:1', 'ip: the kernel renamed the label, cut to 15 bytes');
  const listed = (await handle.addresses.list({ dev: name, family: 'inet' })).find((a) => a.address === '192.0.2.3/24')!;
  t.match(listed, { dev: name, label: 'abcdefghijklm:1' }, 'routemark lists it so');
  const error = await rejection(() => handle.addresses.delete(listed));
  t.equal(error, undefined, `delete(listed) resolves (${String(error)})`);
  t.same(ipAddrs(ns, name).map((a) => a.local), ['192.0.2.2'], 'ip: the labelled address is gone, the primary stays');
});

// ---------------------------------------------------------------------------------------------
// neighbours.list's filter is checked like addresses.list's: an unknown key (a typo such as
// `device`, which would otherwise list every neighbour) is a ValidationError naming it, as
// `ip neigh show device v0` fails ('an inet prefix is expected rather than "device"').
// ---------------------------------------------------------------------------------------------

t.test('neighbours.list refuses an unknown filter key, as addresses.list and ip neigh show do', async (t) => {
  const { ns, handle } = await freshHandle(t);
  veth(ns);
  t.ok(ipFails(ns, 'neigh', 'show', 'device', 'v0'), 'ip neigh show device v0 fails');
  await t.rejects(handle.addresses.list({ device: 'v0' } as never), { name: 'ValidationError', field: 'filter.device', value: 'v0' }, 'addresses.list refuses it');
  await t.rejects(handle.neighbours.list({ device: 'v0' } as never), { name: 'ValidationError', field: 'filter.device', value: 'v0' }, 'neighbours.list refuses it too');
  await t.rejects(handle.neighbours.list(null as never), { name: 'ValidationError', field: 'filter', value: null }, 'a filter that is no object');
  // links.list takes no filter: one given is refused rather than ignored (which would list every link).
  await t.rejects(handle.links.list({ kind: 'veth' } as never), { name: 'ValidationError', field: 'filter.kind', value: 'veth' });
  t.ok((await handle.links.list({})).some((l) => l.name === 'v0'), 'an empty filter lists every link');
});
