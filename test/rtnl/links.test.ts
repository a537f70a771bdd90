/**
 * Links and addresses against `ip -j link` and `ip -j addr`: veth pairs (one end in another
 * namespace) and bridges created and deleted, up/down, mtu, master; IPv4 and IPv6 addresses
 * added, listed (also ones ip made), and deleted with what was listed.
 */
import t from 'tap';
import { makeNetns } from '../helpers/netns.js';
import { freshHandle } from './helpers.js';

interface IpLink {
  ifname: string;
  ifindex: number;
  flags: string[];
  mtu: number;
  master?: string;
  operstate: string;
  address?: string;
  linkinfo?: { info_kind?: string };
}

t.test('links: create veth and bridge, up/down, mtu, master, delete', async (t) => {
  const { ns, handle } = await freshHandle(t);
  const guest = makeNetns(t, 'rtnlg');
  await handle.links.add({ name: 'v0', kind: 'veth', peer: { name: 'v1' } });
  await handle.links.add({ name: 'g0', kind: 'veth', peer: { name: 'g1', netns: guest.name }, mtu: 1400 });
  await handle.links.add({ name: 'br0', kind: 'bridge' });
  const ipLinks = () => ns.ipJson<IpLink[]>('-d', 'link', 'show');
  t.same(ipLinks().map((l) => [l.ifname, l.linkinfo?.info_kind]).sort(), [['br0', 'bridge'], ['g0', 'veth'], ['lo', undefined], ['v0', 'veth'], ['v1', 'veth']]);
  t.match(guest.ipJson<IpLink[]>('link', 'show', 'g1'), [{ ifname: 'g1', mtu: 1400 }], 'the peer went into the guest namespace');

  await handle.links.up('v0');
  await handle.links.set('v1', { up: true, mtu: 1300, master: 'br0' });
  await handle.links.up('br0');
  const shown = Object.fromEntries(ipLinks().map((l) => [l.ifname, l]));
  t.ok(shown.v0!.flags.includes('UP'), 'v0 is up');
  t.match(shown.v1, { mtu: 1300, master: 'br0' }, 'v1: mtu 1300, master br0');
  t.ok(shown.v1!.flags.includes('UP'), 'v1 is up');

  const links = await handle.links.list();
  const byName = Object.fromEntries(links.map((l) => [l.name, l]));
  for (const ip of ipLinks()) {
    const mine = byName[ip.ifname]!;
    t.match(mine, { index: ip.ifindex, mtu: ip.mtu, up: ip.flags.includes('UP'), lowerUp: ip.flags.includes('LOWER_UP'), operstate: ip.operstate }, `${ip.ifname} listed as ip shows it`);
    t.equal(mine.master, ip.master, `${ip.ifname}: master`);
    t.equal(mine.kind, ip.linkinfo?.info_kind, `${ip.ifname}: kind`);
    if (ip.address) t.equal(mine.address, ip.address, `${ip.ifname}: address`);
  }
  t.match(await handle.links.get('v1'), { name: 'v1', master: 'br0', mtu: 1300, up: true });
  t.match(await handle.links.get(byName.v0!.index), { name: 'v0' }, 'by index');
  t.equal(await handle.links.get('nope0'), undefined, 'a missing link is undefined');

  await handle.links.set('v1', { master: null });
  await handle.links.down('v0');
  t.equal(ns.ipJson<IpLink[]>('link', 'show', 'v1')[0]!.master, undefined, 'nomaster');
  t.notOk(ns.ipJson<IpLink[]>('link', 'show', 'v0')[0]!.flags.includes('UP'), 'v0 is down');

  await handle.links.delete('v0');
  await handle.links.delete('br0');
  await handle.links.delete('g0');
  t.same(ipLinks().map((l) => l.ifname), ['lo'], 'all deleted (a veth takes its peer along)');
  t.same(guest.ipJson<IpLink[]>('link', 'show').map((l) => l.ifname), ['lo'], 'the guest end went too');
  await t.rejects(handle.links.delete('v0'), { name: 'ValidationError', field: 'link', value: 'v0' });
  await t.rejects(handle.links.add({ name: 'x0', kind: 'veth', peer: { name: 'x1', netns: 'no-such-netns' } }), { name: 'ValidationError', field: 'link.peer.netns' });
  await t.rejects(handle.links.add({ name: 'x0', kind: 'dummy' } as never), { name: 'ValidationError', field: 'link.kind' });
});

t.test('links: move one into another namespace', async (t) => {
  const { ns, handle } = await freshHandle(t);
  const guest = makeNetns(t, 'rtnlg');
  await handle.links.add({ name: 'm0', kind: 'veth', peer: { name: 'm1' } });
  await handle.links.set('m1', { netns: guest.name });
  t.same(ns.ipJson<IpLink[]>('link', 'show').map((l) => l.ifname).sort(), ['lo', 'm0']);
  t.same(guest.ipJson<IpLink[]>('link', 'show').map((l) => l.ifname).sort(), ['lo', 'm1']);
});

interface IpAddr { ifname: string; addr_info: Record<string, unknown>[] }

t.test('addresses: add, list, delete; IPv4 and IPv6; what ip made too', async (t) => {
  const { ns, handle } = await freshHandle(t);
  ns.ip('link', 'add', 'v0', 'type', 'veth', 'peer', 'name', 'v1');
  ns.ip('link', 'set', 'v0', 'up');
  await handle.addresses.add({ address: '192.0.2.2/24', dev: 'v0' });
  await handle.addresses.add({ address: '192.0.2.3/24', dev: 'v0', label: 'v0:1', broadcast: '192.0.2.255' });
  await handle.addresses.add({ address: '10.9.0.1/32', peer: '10.9.0.2', dev: 'v0' });
  await handle.addresses.add({ address: '2001:db8::2/64', dev: 'v0', nodad: true });
  await handle.addresses.add({ address: '2001:db8:1::2/64', dev: 'v0', nodad: true, noprefixroute: true });
  const order = (x: string, y: string) => (x < y ? -1 : x > y ? 1 : 0);
  const byLocal = (a: Record<string, unknown>, b: Record<string, unknown>) => order(String(a.local), String(b.local));
  const info = () => ns.ipJson<IpAddr[]>('addr', 'show', 'dev', 'v0')[0]!.addr_info.filter((a) => a.scope !== 'link').sort(byLocal);
  t.match(info(), [
    { family: 'inet', local: '10.9.0.1', address: '10.9.0.2', prefixlen: 32, scope: 'global', label: 'v0' },
    { family: 'inet', local: '192.0.2.2', prefixlen: 24, scope: 'global', label: 'v0' },
    { family: 'inet', local: '192.0.2.3', prefixlen: 24, broadcast: '192.0.2.255', scope: 'global', secondary: true, label: 'v0:1' },
    { family: 'inet6', local: '2001:db8:1::2', prefixlen: 64, scope: 'global', nodad: true, noprefixroute: true },
    { family: 'inet6', local: '2001:db8::2', prefixlen: 64, scope: 'global', nodad: true },
  ], 'ip shows them');
  t.ok(ns.ipJson<{ dst: string }[]>('-6', 'route').every((r) => r.dst !== '2001:db8:1::/64'), 'noprefixroute: no prefix route');

  ns.ip('addr', 'add', '198.51.100.2/24', 'dev', 'v0');
  const listed = (await handle.addresses.list({ dev: 'v0' })).filter((a) => a.scope !== 'link');
  t.same([...listed].sort((a, b) => order(a.address, b.address)), [
    { family: 'inet', address: '10.9.0.1/32', dev: 'v0', peer: '10.9.0.2', scope: 'global' },
    { family: 'inet', address: '192.0.2.2/24', dev: 'v0', scope: 'global' },
    { family: 'inet', address: '192.0.2.3/24', dev: 'v0', broadcast: '192.0.2.255', label: 'v0:1', scope: 'global' },
    { family: 'inet', address: '198.51.100.2/24', dev: 'v0', scope: 'global' },
    { family: 'inet6', address: '2001:db8:1::2/64', dev: 'v0', scope: 'global', nodad: true, noprefixroute: true },
    { family: 'inet6', address: '2001:db8::2/64', dev: 'v0', scope: 'global', nodad: true },
  ], 'routemark lists them, the one ip made included');
  t.same((await handle.addresses.list({ family: 'inet6', dev: 'v0' })).filter((a) => a.scope !== 'link').length, 2, 'filter by family');
  t.ok((await handle.addresses.list()).some((a) => a.dev === 'lo' && a.address === '127.0.0.1/8' && a.scope === 'host'), 'lo has 127.0.0.1/8, scope host');
  await t.rejects(handle.addresses.add(listed[0]!), { name: 'NetlinkError', code: 'EEXIST', operation: 'addAddress' }, 'adding it again: EEXIST');
  await handle.addresses.replace(listed[0]!);
  // Secondaries come last and go first: deleting a primary takes its secondaries along.
  for (const address of [...listed].reverse()) await handle.addresses.delete(address);
  t.same(info(), [], 'what was listed deletes cleanly');
});
