/**
 * tun and tap devices (`ip tuntap`), made through the addon's ioctls: listed as `ip -d -j link`
 * shows them, ones ip made listed the same, an existing name refused, bad input refused before
 * anything exists, the owner enforced by the kernel, and an IP packet routed to tun0 read by the
 * program attached to it.
 */
import { spawn } from 'node:child_process';
import { execFileSync } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import t from 'tap';
import { freshHandle } from './helpers.js';

interface IpTunLink {
  ifname: string;
  mtu: number;
  flags: string[];
  linkinfo?: { info_kind?: string; info_data?: Record<string, unknown> };
}

/** The user or group name ip prints for an id (it prints the number when there is none). */
function accountName(database: 'passwd' | 'group', id: number): string {
  try {
    return execFileSync('getent', [database, String(id)], { encoding: 'utf8' }).split(':')[0]!;
  } catch {
    return String(id);
  }
}

/**
 * Attaches to a tun device as uid `argv[2]` (after opening /dev/net/tun as root, which only
 * root may open), prints {"attached": true} or {"errno": N}; then, on a line on stdin, sends a
 * UDP datagram to 203.0.113.9:5000 and prints the destination and protocol of the IPv4 packet
 * the device hands it.
 */
const TUN_READER = String.raw`
import fcntl, json, os, socket, struct, sys
name, uid = sys.argv[1], int(sys.argv[2])
fd = os.open('/dev/net/tun', os.O_RDWR)
if uid != 0:
    os.setgroups([])
    os.setresgid(uid, uid, uid)
    os.setresuid(uid, uid, uid)
try:
    fcntl.ioctl(fd, 0x400454ca, struct.pack('16sH', name.encode(), 0x0001 | 0x1000))
except OSError as error:
    print(json.dumps({'errno': error.errno}), flush=True)
    sys.exit(0)
print(json.dumps({'attached': True}), flush=True)
sys.stdin.readline()
socket.socket(socket.AF_INET, socket.SOCK_DGRAM).sendto(b'through tun0', ('203.0.113.9', 5000))
while True:
    packet = os.read(fd, 2048)
    if packet[0] >> 4 == 4 and packet[9] == 17:
        print(json.dumps({'dst': socket.inet_ntoa(packet[16:20]), 'payload': packet[28:].decode()}), flush=True)
        break
`;

t.test('tun: tun and tap devices as ip shows them; ones ip made; delete', async (t) => {
  const { ns, handle } = await freshHandle(t);
  await handle.links.add({ name: 'tun0', kind: 'tun' });
  await handle.links.add({ name: 'tap0', kind: 'tun', mode: 'tap', owner: 1000, group: 100, packetInfo: true, vnetHeader: true, multiQueue: true, mtu: 1400 });
  ns.ip('tuntap', 'add', 'dev', 'tun9', 'mode', 'tap', 'user', '0', 'multi_queue');
  const shown = Object.fromEntries(ns.ipJson<IpTunLink[]>('-d', 'link', 'show').map((l) => [l.ifname, l]));
  t.match(shown.tun0, { mtu: 1500, linkinfo: { info_kind: 'tun', info_data: { type: 'tun', pi: false, vnet_hdr: false, multi_queue: false, persist: true } } }, 'tun0 as ip shows it');
  t.notOk('user' in shown.tun0!.linkinfo!.info_data!, 'tun0 has no owner');
  t.match(shown.tap0, {
    mtu: 1400,
    linkinfo: { info_kind: 'tun', info_data: { type: 'tap', pi: true, vnet_hdr: true, multi_queue: true, numqueues: 0, persist: true, user: accountName('passwd', 1000), group: accountName('group', 100) } },
  }, 'tap0 with every option, as ip shows it');

  const byName = Object.fromEntries((await handle.links.list()).map((l) => [l.name, l]));
  t.same(byName.tun0!.tun, { mode: 'tun', packetInfo: false, vnetHeader: false, multiQueue: false, persist: true }, 'tun0 listed');
  t.same(byName.tap0!.tun, { mode: 'tap', packetInfo: true, vnetHeader: true, multiQueue: true, persist: true, queues: 0, owner: 1000, group: 100 }, 'tap0 listed');
  t.same(byName.tun9!.tun, { mode: 'tap', packetInfo: false, vnetHeader: false, multiQueue: true, persist: true, queues: 0, owner: 0 }, 'the one ip made, listed');
  t.match(byName.tap0, { kind: 'tun', mtu: 1400 });
  t.same((await handle.links.get('tun9'))?.tun, byName.tun9!.tun, 'get decodes the same');

  for (const name of ['tun0', 'tap0', 'tun9']) await handle.links.delete(name);
  t.same(ns.ipJson<IpTunLink[]>('link', 'show').map((l) => l.ifname), ['lo'], 'all deleted');
});

t.test('tun: a taken name, bad input and a refused MTU leave nothing behind', async (t) => {
  const { ns, handle } = await freshHandle(t);
  await handle.links.add({ name: 'tun0', kind: 'tun', owner: 1000 });
  await handle.links.add({ name: 'v0', kind: 'veth', peer: { name: 'v1' } });
  const before = ns.ip('-d', 'link', 'show');
  // Without IFF_TUN_EXCL, TUNSETIFF would attach to the existing tun0 instead of failing.
  await t.rejects(handle.links.add({ name: 'tun0', kind: 'tun' }), { name: 'NetlinkError', code: 'EEXIST', operation: 'addLink' }, 'a tun of that name exists');
  await t.rejects(handle.links.add({ name: 'v0', kind: 'tun', mode: 'tap' }), { name: 'NetlinkError', code: 'EEXIST' }, 'a veth of that name exists');
  const bad: [Record<string, unknown>, string, unknown][] = [
    [{ mode: 'tan' }, 'link.mode', 'tan'],
    [{ owner: -1 }, 'link.owner', -1],
    [{ owner: 0xffffffff }, 'link.owner', 0xffffffff],
    [{ group: 1.5 }, 'link.group', 1.5],
    [{ packetInfo: 'yes' }, 'link.packetInfo', 'yes'],
    [{ multiQueue: 1 }, 'link.multiQueue', 1],
    [{ peer: { name: 'x' } }, 'link.peer', undefined],
    [{ name: 'a-name-too-long-0' }, 'link.name', 'a-name-too-long-0'],
    [{ mtu: 20 }, 'link.mtu', 20],
  ];
  for (const [change, field, value] of bad) {
    const expected: { name: string; field: string; value?: unknown } = { name: 'ValidationError', field };
    if (value !== undefined) expected.value = value;
    await t.rejects(handle.links.add({ name: 'tun1', kind: 'tun', ...change } as never), expected, `${field}: ${JSON.stringify(change)}`);
  }
  // The kernel caps a tap's MTU below a tun's (65521): the device it made goes again.
  await t.rejects(handle.links.add({ name: 'tap1', kind: 'tun', mode: 'tap', mtu: 65535 }), { name: 'NetlinkError', code: 'EINVAL', operation: 'addLink', message: /setting the MTU/ });
  t.equal(ns.ip('-d', 'link', 'show'), before, 'the namespace holds what it held before');
});

t.test('tun: the kernel enforces the owner; a packet routed to tun0 reaches the program attached', async (t) => {
  const { ns, handle } = await freshHandle(t);
  await handle.links.add({ name: 'tun0', kind: 'tun', owner: 1000 });
  await handle.links.up('tun0'); // carrier (IFF_LOWER_UP) shows on a link that is up

  const attach = (uid: number) => {
    const child = spawn('ip', ['netns', 'exec', ns.name, '/usr/bin/python3', '-c', TUN_READER, 'tun0', String(uid)], { stdio: ['pipe', 'pipe', 'inherit'] });
    t.teardown(() => {
      if (child.exitCode === null && child.signalCode === null) child.kill();
    });
    const lines: Record<string, unknown>[] = [];
    let buffered = '';
    child.stdout.on('data', (chunk: Buffer) => {
      buffered += chunk.toString();
      for (let at = buffered.indexOf('\n'); at >= 0; at = buffered.indexOf('\n')) {
        lines.push(JSON.parse(buffered.slice(0, at)) as Record<string, unknown>);
        buffered = buffered.slice(at + 1);
      }
    });
    const next = async (count: number) => {
      for (let i = 0; i < 200 && lines.length < count; i++) await sleep(25);
      return lines[count - 1];
    };
    return { child, next };
  };

  const stranger = attach(1001);
  t.same(await stranger.next(1), { errno: 1 }, 'uid 1001 may not attach (EPERM)');
  t.notOk((await handle.links.get('tun0'))?.lowerUp, 'nothing attached: no carrier');

  const owner = attach(1000);
  t.same(await owner.next(1), { attached: true }, 'uid 1000 may');
  t.ok((await handle.links.get('tun0'))?.lowerUp, 'a program attached: carrier');

  await handle.addresses.add({ address: '10.9.0.2/32', dev: 'tun0' });
  await handle.routes.add({ dst: '203.0.113.0/24', dev: 'tun0' });
  owner.child.stdin!.write('send\n');
  t.same(await owner.next(2), { dst: '203.0.113.9', payload: 'through tun0' }, 'the datagram for 203.0.113.9 came out of tun0 into the program');
  t.equal(ns.ipJson<{ dev: string }[]>('route', 'get', '203.0.113.9')[0]!.dev, 'tun0', 'ip agrees on the route');
  await handle.links.delete('tun0');
});
