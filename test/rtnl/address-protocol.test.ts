/**
 * Address protocols (IFA_PROTO, Linux 6.1+). iproute2 6.1 cannot set or show them, so the
 * witness is the kernel itself, read by a small independent netlink reader in python3: what
 * routemark sends is what the kernel keeps, what the kernel puts on its own addresses
 * (kernel_lo on ::1, kernel_ll on link-local ones) is what routemark lists, and an owner's
 * addresses are found by `owned: true`.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import t from 'tap';
import { open } from '../../src/index.js';
import { freshHandle } from './helpers.js';

/** Dumps every address with RTM_GETADDR and prints [{index, local, prefixlen, proto}] (proto 0 when absent). */
const ADDRESS_DUMP = String.raw`
import json, socket, struct
s = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, socket.NETLINK_ROUTE)
s.bind((0, 0))
s.send(struct.pack('=IHHII', 24, 22, 0x301, 1, 0) + struct.pack('=BBBBI', 0, 0, 0, 0, 0))
out, done = [], False
while not done:
    data = s.recv(1 << 16)
    at = 0
    while at < len(data):
        length, kind = struct.unpack_from('=IH', data, at)
        if kind == 3:
            done = True
            break
        family, prefixlen, flags, scope, index = struct.unpack_from('=BBBBI', data, at + 16)
        attrs, pos, entry = {}, at + 24, {'index': index, 'prefixlen': prefixlen, 'proto': 0}
        while pos + 4 <= at + length:
            alen, atype = struct.unpack_from('=HH', data, pos)
            attrs[atype] = data[pos + 4:pos + alen]
            pos += (alen + 3) & ~3
        raw = attrs.get(2, attrs.get(1))
        entry['local'] = socket.inet_ntop(socket.AF_INET if family == 2 else socket.AF_INET6, raw)
        if 11 in attrs:
            entry['proto'] = attrs[11][0]
        out.append(entry)
        at += (length + 3) & ~3
print(json.dumps(out))
`;

interface KernelAddress {
  index: number;
  local: string;
  prefixlen: number;
  proto: number;
}

t.test('address protocols: kept by the kernel as sent, listed as the kernel reports them, owned ones found', async (t) => {
  const { ns, handle } = await freshHandle(t);
  const kernel = () => JSON.parse(ns.exec('/usr/bin/python3', ['-c', ADDRESS_DUMP])) as KernelAddress[];
  const protoOf = (local: string) => kernel().find((a) => a.local === local)?.proto;
  await handle.links.add({ name: 'v0', kind: 'veth', peer: { name: 'v1' } });
  await handle.links.up('lo');
  await handle.links.up('v0');
  await handle.links.up('v1');

  await handle.addresses.add({ address: '192.0.2.2/24', dev: 'v0', protocol: 99 });
  await handle.addresses.add({ address: '2001:db8::2/64', dev: 'v0', nodad: true, protocol: 'kernel_ra' });
  await handle.addresses.add({ address: '198.51.100.2/24', dev: 'v0' });
  t.equal(protoOf('192.0.2.2'), 99, 'the kernel keeps protocol 99');
  t.equal(protoOf('2001:db8::2'), 2, "and 'kernel_ra' as 2");
  t.equal(protoOf('198.51.100.2'), 0, 'none when none was given');

  // The kernel's own: ::1 (kernel_lo) and, once v0 is up, its link-local address (kernel_ll).
  let linkLocal: KernelAddress | undefined;
  for (let i = 0; i < 100 && linkLocal === undefined; i++) {
    linkLocal = kernel().find((a) => a.local.startsWith('fe80:') && a.index === ns.ifindex('v0'));
    if (linkLocal === undefined) await sleep(20);
  }
  t.equal(linkLocal?.proto, 3, 'the kernel tags link-local addresses kernel_ll');
  const listed = await handle.addresses.list();
  for (const address of kernel()) {
    const mine = listed.find((a) => a.address === `${address.local}/${address.prefixlen}`);
    const names: Record<number, string> = { 1: 'kernel_lo', 2: 'kernel_ra', 3: 'kernel_ll' };
    t.equal(mine?.protocol, address.proto === 0 ? undefined : (names[address.proto] ?? address.proto), `${address.local}: protocol listed as the kernel reports it`);
  }
  t.same((await handle.addresses.list({ protocol: 99 })).map((a) => a.address), ['192.0.2.2/24'], 'filtered by protocol');
  t.same((await handle.addresses.list({ protocol: 'kernel_ll', dev: 'v0' })).map((a) => a.address), [`${linkLocal!.local}/64`], 'by name');

  // Replace carries the new protocol (the kernel updates it in place).
  await handle.addresses.replace({ address: '192.0.2.2/24', dev: 'v0', protocol: 77 });
  t.equal(protoOf('192.0.2.2'), 77, 'replace changed it');

  // A listed address passes back unchanged: delete, then add again with its protocol.
  const again = listed.find((a) => a.address === '2001:db8::2/64')!;
  await handle.addresses.delete(again);
  t.equal(protoOf('2001:db8::2'), undefined, 'deleted');
  await handle.addresses.add(again);
  t.equal(protoOf('2001:db8::2'), 2, 'added back with its protocol');

  const owner = await open({ netns: ns.name, owner: 231 });
  t.teardown(() => owner.close());
  await owner.addresses.add({ address: '203.0.113.2/24', dev: 'v1' });
  await owner.addresses.add({ address: '203.0.113.3/24', dev: 'v1', protocol: 5 });
  t.equal(protoOf('203.0.113.2'), 231, "an owner's address carries the owner id");
  t.equal(protoOf('203.0.113.3'), 5, 'unless it names a protocol');
  t.same((await owner.addresses.list({ owned: true })).map((a) => a.address), ['203.0.113.2/24'], 'owned: true finds exactly it');
  t.same(await owner.addresses.list({ owned: true, family: 'inet6' }), [], 'and no IPv6 address');

  await t.rejects(handle.addresses.list({ owned: true }), { name: 'ValidationError', field: 'filter.owned' }, 'owned needs an owner');
  await t.rejects(owner.addresses.list({ owned: true, protocol: 5 }), { name: 'ValidationError', field: 'filter.protocol', value: 5 });
  await t.rejects(handle.addresses.list({ proto: 5 } as never), { name: 'ValidationError', field: 'filter.proto' });
  await t.rejects(handle.addresses.add({ address: '192.0.2.9/24', dev: 'v0', protocol: 256 }), { name: 'ValidationError', field: 'address.protocol', value: 256 });
  await t.rejects(handle.addresses.add({ address: '192.0.2.9/24', dev: 'v0', protocol: 'boot' as never }), { name: 'ValidationError', field: 'address.protocol', value: 'boot' });
  t.equal(protoOf('192.0.2.9'), undefined, 'nothing added by refused input');
});
