/**
 * The monitor against the kernel: its snapshot equals what `ip -j` shows (links, addresses,
 * routes of every table, rules); changes made by `ip` and `nft` arrive as events; a flood made
 * by another process while the monitor cannot read overflows its receive buffer, and the
 * monitor reports a resync whose snapshot, and the state after it, match `ip -j` exactly.
 */
import { spawnSync } from 'node:child_process';
import { writeFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { startMonitor, type MonitorEvent, type NetworkMonitor, type NetworkSnapshot } from '../../src/index.js';
import type { TestNetns } from '../helpers/netns.js';
import { nextEvent, policyNetns } from './helpers.js';

const TABLE_IDS: Record<string, number> = { local: 255, main: 254, default: 253 };
const tableId = (table: unknown) => (typeof table === 'string' && table in TABLE_IDS ? TABLE_IDS[table] : Number(table ?? 254));
const text = (value: unknown) => (value === undefined ? '' : String(value));

/** Routes, rules, links and addresses as `ip -j` shows them, each reduced to one comparable line. */
function fromTools(ns: TestNetns) {
  type IpRoute = { type?: string; dst: string; dev?: string; gateway?: string; table?: string; protocol?: string; metric?: number; nexthops?: { gateway: string; dev: string }[] };
  const routes = ['-4', '-6'].flatMap((f) =>
    ns.ipJson<IpRoute[]>(f, 'route', 'show', 'table', 'all').map((r) =>
      [f, tableId(r.table), r.dst, text(r.dev), text(r.gateway), text(r.protocol ?? 'boot'), r.metric ?? 0, r.type ?? 'unicast', (r.nexthops ?? []).map((n) => n.gateway).join(',')].join('|'),
    ),
  );
  type IpRule = { priority: number; src?: string; srclen?: number; table?: string; fwmark?: string; action?: string };
  const rules = ['-4', '-6'].flatMap((f) =>
    ns.ipJson<IpRule[]>(f, 'rule', 'show').map((r) => [f, r.priority, r.src === 'all' || r.src === undefined ? '' : `${r.src}/${r.srclen ?? (f === '-4' ? 32 : 128)}`, tableId(r.table), r.fwmark === undefined ? '' : Number(r.fwmark)].join('|')),
  );
  type IpLink = { ifindex: number; ifname: string; flags: string[]; mtu: number; operstate: string; address?: string };
  const links = ns.ipJson<IpLink[]>('link', 'show').map((l) => [l.ifindex, l.ifname, l.flags.includes('UP'), l.flags.includes('LOWER_UP'), l.mtu, l.operstate, text(l.address)].join('|'));
  type IpAddr = { ifname: string; addr_info: { family: string; local: string; prefixlen: number; scope: string }[] };
  const addresses = ns.ipJson<IpAddr[]>('addr', 'show').flatMap((l) => l.addr_info.map((a) => [l.ifname, a.family, `${a.local}/${a.prefixlen}`, a.scope].join('|')));
  return { routes: routes.sort(), rules: rules.sort(), links: links.sort(), addresses: addresses.sort() };
}

/** The same lines from a monitor's snapshot. */
function fromSnapshot(snapshot: NetworkSnapshot) {
  const bare = (dst: string | undefined, family: string) => (dst?.endsWith(family === 'inet' ? '/32' : '/128') ? dst.slice(0, dst.lastIndexOf('/')) : text(dst));
  const routes = snapshot.routes.map((r) =>
    [r.family === 'inet' ? '-4' : '-6', tableId(r.table), bare(r.dst, r.family!), text(r.dev), text(r.gateway), text(r.protocol), r.metric ?? 0, r.type ?? 'unicast', (r.nexthops ?? []).map((n) => n.gateway).join(',')].join('|'),
  );
  const rules = snapshot.rules.map((r) => [r.family === 'inet' ? '-4' : '-6', r.priority, text(r.from), tableId(r.table), r.fwmark ?? ''].join('|'));
  const links = snapshot.links.map((l) => [l.index, l.name, l.up, l.lowerUp, l.mtu, l.operstate, text(l.address)].join('|'));
  const addresses = snapshot.addresses.map((a) => [a.dev, a.family, a.address, a.scope === 'global' ? 'global' : a.scope].join('|'));
  return { routes: routes.sort(), rules: rules.sort(), links: links.sort(), addresses: addresses.sort() };
}

/**
 * Waits until the kernel is done setting up the veths on its own: each has its IPv6 link-local
 * address, done with DAD, and that address's local route (the kernel adds them up to seconds
 * after the link comes up, and a snapshot compared with ip must not race with that).
 */
async function settle(ns: TestNetns): Promise<void> {
  const deadline = Date.now() + 10000;
  for (;;) {
    const local = ns.ipJson<{ dst: string }[]>('-6', 'route', 'show', 'table', 'local').filter((r) => r.dst.startsWith('fe80::')).length;
    const tentative = ns.ip('-6', 'addr', 'show').includes('tentative');
    if (local >= 4 && !tentative) return;
    if (Date.now() > deadline) throw new Error('the namespace did not settle');
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

t.test('the first snapshot is what ip shows; changes arrive as events', async (t) => {
  const { ns, handle } = await policyNetns(t);
  await settle(ns);
  ns.ip('route', 'add', '10.1.0.0/16', 'via', '192.0.2.2', 'table', '100');
  ns.ip('rule', 'add', 'from', '192.0.2.0/24', 'priority', '100', 'table', '100');
  const monitor = await startMonitor(handle, { timeoutMs: 10000 });
  t.teardown(() => monitor.close());
  const snapshot = await monitor.snapshot();
  t.same(fromSnapshot(snapshot), fromTools(ns));
  t.ok(snapshot.nft && snapshot.nft.generation >= 0 && snapshot.nft.ruleset.nftables.length === 1, 'an empty ruleset, with its generation');

  const events = monitor[Symbol.asyncIterator]();
  ns.ip('route', 'add', '10.2.0.0/16', 'dev', 'v2', 'table', '100', 'metric', '5');
  t.match(await nextEvent(events, (e) => e.type === 'route'), { type: 'route', action: 'new', route: { dst: '10.2.0.0/16', dev: 'v2', table: 100, metric: 5 } });
  ns.ip('rule', 'del', 'priority', '100');
  t.match(await nextEvent(events, (e) => e.type === 'rule'), { action: 'delete', rule: { priority: 100, from: '192.0.2.0/24' } });
  ns.ip('link', 'set', 'v3', 'down');
  t.match(await nextEvent(events, (e) => e.type === 'link' && e.link.name === 'v2'), { action: 'new', link: { name: 'v2', lowerUp: false } });
  ns.ip('addr', 'add', '203.0.113.1/24', 'dev', 'v0');
  t.match(await nextEvent(events, (e) => e.type === 'address'), { action: 'new', address: { address: '203.0.113.1/24', dev: 'v0' } });
  ns.exec('nft', ['-f', '-'], 'table ip t {\n set s {\n  type ipv4_addr\n }\n}\n');
  const nft = await nextEvent(events, (e) => e.type === 'nft');
  t.match(nft, { type: 'nft', changes: [{ action: 'new', object: 'table', family: 'ip', table: 't' }, { action: 'new', object: 'set', table: 't', set: 's' }] });
  t.match((await monitor.snapshot()).nft!.ruleset.nftables, [{ metainfo: {} }, { table: { name: 't' } }, { set: { name: 's' } }]);
  t.same(fromSnapshot(await monitor.snapshot()), fromTools(ns), 'the snapshot follows the events');

  monitor.close();
  t.same(await events.next(), { value: undefined, done: true }, 'closing ends the iterator');
});

t.test('a flood that overflows the receive buffer brings a resync whose snapshot matches ip -j', async (t) => {
  const { ns, handle } = await policyNetns(t);
  await settle(ns);
  const monitor: NetworkMonitor = await startMonitor(handle, { kinds: ['link', 'address', 'route', 'rule'], receiveBufferSize: 16 * 1024 });
  t.teardown(() => monitor.close());
  const resyncs: MonitorEvent[] = [];
  monitor.on('resync', (e: MonitorEvent) => resyncs.push(e));
  const events = monitor[Symbol.asyncIterator]();

  // Another process makes 6,000 changes while this one is blocked in spawnSync and reads nothing.
  const dir = mkdtempSync(join(tmpdir(), 'routemark-flood-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const lines: string[] = [];
  for (let i = 0; i < 4000; i++) lines.push(`route add 10.${(i >> 8) & 255}.${i & 255}.0/24 via 192.0.2.2 table ${100 + (i % 3)}`);
  for (let i = 0; i < 1000; i++) lines.push(`route del 10.${(i >> 8) & 255}.${i & 255}.0/24 table ${100 + (i % 3)}`);
  for (let i = 0; i < 500; i++) lines.push(`rule add fwmark ${i + 1} priority ${1000 + i} table ${100 + (i % 3)}`);
  for (let i = 0; i < 500; i++) lines.push(`route add 2001:db8:${i.toString(16)}::/48 via 2001:db8::2 table 200`);
  writeFileSync(join(dir, 'batch'), `${lines.join('\n')}\n`);
  const flood = spawnSync('ip', ['-n', ns.name, '-batch', join(dir, 'batch')], { encoding: 'utf8' });
  t.equal(flood.status, 0, flood.stderr);

  const resync = await nextEvent(events, (e) => e.type === 'resync', 20000);
  t.equal(resyncs.length >= 1, true, 'the EventEmitter saw it too');
  t.match(resync, { type: 'resync', reason: 'overrun' });
  const snapshot = (resync as Extract<MonitorEvent, { type: 'resync' }>).snapshot;
  t.equal(snapshot.routes.filter((r) => r.protocol === 'boot').length, 3500, 'every route of the flood that is still there');
  t.same(fromSnapshot(snapshot), fromTools(ns), 'the resync snapshot matches ip -j exactly');

  // And it goes on: later changes arrive and keep the snapshot equal to ip's view.
  ns.ip('route', 'del', '10.15.158.0/24', 'table', '102');
  t.match(await nextEvent(events, (e) => e.type === 'route' && e.action === 'delete'), { route: { dst: '10.15.158.0/24', table: 102 } });
  t.same(fromSnapshot(await monitor.snapshot()), fromTools(ns));
  t.notOk(monitor.isClosed, 'never closed by the overrun');
});

t.test('IPv4 routes that vanish with their link (the kernel sends no event) are reported deleted', async (t) => {
  const { ns, handle } = await policyNetns(t);
  await settle(ns);
  ns.ip('route', 'add', '10.50.0.0/16', 'via', '198.51.100.2', 'table', '100');
  ns.ip('route', 'add', '10.51.0.0/16', 'dev', 'v2', 'table', '100');
  ns.ip('route', 'add', '10.52.0.0/16', 'dev', 'v0', 'table', '100');
  const monitor = await startMonitor(handle, { kinds: ['route'] });
  t.teardown(() => monitor.close());
  const events = monitor[Symbol.asyncIterator]();
  ns.ip('link', 'set', 'v2', 'down');
  const deleted = new Set<string>();
  while (!['10.50.0.0/16', '10.51.0.0/16', '198.51.100.0/24'].every((d) => deleted.has(d))) {
    const event = await nextEvent(events, (e) => e.type === 'route' && e.action === 'delete' && e.route.family === 'inet');
    deleted.add((event as Extract<MonitorEvent, { type: 'route' }>).route.dst!);
  }
  t.pass('the routes through v2 were reported deleted');
  t.same(fromSnapshot(await monitor.snapshot()).routes, fromTools(ns).routes);
  ns.ip('addr', 'del', '192.0.2.1/24', 'dev', 'v0');
  // v0's last IPv4 address goes: so do its connected route and the route through it.
  await nextEvent(events, (e) => e.type === 'route' && e.action === 'delete' && e.route.dst === '10.52.0.0/16');
  t.same(fromSnapshot(await monitor.snapshot()).routes, fromTools(ns).routes, 'and those that went with an address');
});

t.test('family: addresses, routes and rules of one family, in the snapshot and in events', async (t) => {
  const { ns, handle } = await policyNetns(t);
  await settle(ns);
  ns.ip('route', 'add', '10.60.0.0/16', 'via', '192.0.2.2', 'table', '100');
  ns.ip('route', 'add', '2001:db8:60::/48', 'via', '2001:db8::2', 'table', '100');
  ns.ip('-6', 'rule', 'add', 'from', '2001:db8::/32', 'priority', '60', 'table', '100');
  const tools = fromTools(ns);
  for (const [family, flag] of [['inet', '-4'], ['inet6', '-6']] as const) {
    const monitor = await startMonitor(handle, { kinds: ['link', 'address', 'route', 'rule'], family });
    t.teardown(() => monitor.close());
    const seen = fromSnapshot(await monitor.snapshot());
    t.same(seen.routes, tools.routes.filter((r) => r.startsWith(`${flag}|`)), `${family}: the snapshot's routes are ip ${flag}'s`);
    t.same(seen.rules, tools.rules.filter((r) => r.startsWith(`${flag}|`)), `${family}: the snapshot's rules are ip ${flag}'s`);
    t.same(seen.addresses, tools.addresses.filter((a) => a.split('|')[1] === family), `${family}: the snapshot's addresses are ip ${flag}'s`);
    t.same(seen.links, tools.links, `${family}: links are not per family`);
    const events = monitor[Symbol.asyncIterator]();
    // The other family's change comes first: the first event must still be this family's.
    const [own, other] = family === 'inet' ? ['10.61.0.0/16', '2001:db8:61::/48'] : ['2001:db8:61::/48', '10.61.0.0/16'];
    ns.ip('route', 'add', other, 'dev', 'v0', 'table', '101');
    ns.ip('route', 'add', own, 'dev', 'v0', 'table', '101');
    t.match(await nextEvent(events, () => true), { type: 'route', action: 'new', route: { dst: own, family, table: 101 } }, `${family}: a route event`);
    const [ownRule, otherRule] = family === 'inet' ? [['-4', '61'], ['-6', '62']] : [['-6', '63'], ['-4', '64']];
    ns.ip(otherRule[0]!, 'rule', 'add', 'priority', otherRule[1]!, 'table', '101');
    ns.ip(ownRule[0]!, 'rule', 'add', 'priority', ownRule[1]!, 'table', '101');
    t.match(await nextEvent(events, () => true), { type: 'rule', action: 'new', rule: { priority: Number(ownRule[1]), family } }, `${family}: a rule event`);
    monitor.close();
    ns.ip('route', 'del', own, 'table', '101');
    ns.ip('route', 'del', other, 'table', '101');
    ns.ip(ownRule[0]!, 'rule', 'del', 'priority', ownRule[1]!);
    ns.ip(otherRule[0]!, 'rule', 'del', 'priority', otherRule[1]!);
  }
  await t.rejects(startMonitor(handle, { family: 'ipv4' as never }), { name: 'ValidationError', field: 'options.family' });
});

t.test('an iterator that falls maxQueued behind gets one resync instead of the events it missed', async (t) => {
  const { ns, handle } = await policyNetns(t);
  await settle(ns);
  const monitor = await startMonitor(handle, { kinds: ['route'], maxQueued: 20 });
  t.teardown(() => monitor.close());
  const events = monitor[Symbol.asyncIterator]();
  const lines = Array.from({ length: 100 }, (_, i) => `route add 10.7.${i}.0/24 dev v0 table 7`).join('\n');
  ns.exec('ip', ['-batch', '-'], `${lines}\n`);
  await new Promise((resolve) => setTimeout(resolve, 500)); // a consumer busy elsewhere
  const first = await nextEvent(events, () => true);
  t.match(first, { type: 'resync', reason: 'queue' }, 'the consumer gets a resync first');
  t.equal((first as Extract<MonitorEvent, { type: 'resync' }>).snapshot.routes.filter((r) => r.table === 7).length, 100);
  t.same(fromSnapshot(await monitor.snapshot()).routes, fromTools(ns).routes, 'routes only: the monitor watches nothing else');
});

t.test('an aborted signal closes the monitor; a timeout rejects a slow start', async (t) => {
  const { handle } = await policyNetns(t);
  const controller = new AbortController();
  const monitor = await startMonitor(handle, { signal: controller.signal, kinds: ['route'] });
  const closed = new Promise((resolve) => monitor.once('close', resolve));
  controller.abort();
  await closed;
  t.ok(monitor.isClosed);
  await t.rejects(startMonitor(handle, { signal: AbortSignal.abort() }), { name: 'AbortError' });
  await t.rejects(startMonitor(handle, { timeoutMs: 0 }), { name: 'ValidationError', field: 'options.timeoutMs' });
});

t.test('nexthop objects: the snapshot is what ip nexthop shows; made, replaced and deleted by ip, and by the kernel when their link goes down', async (t) => {
  const { ns, handle } = await policyNetns(t);
  ns.ip('nexthop', 'add', 'id', '1', 'via', '192.0.2.2', 'dev', 'v0');
  const monitor = await startMonitor(handle, { kinds: ['nexthop', 'route'] });
  t.teardown(() => monitor.close());
  const events = monitor[Symbol.asyncIterator]();
  const fromIp = () => ns.ipJson<{ id: number; gateway?: string; dev?: string; group?: { id: number }[] }[]>('nexthop', 'show').map((n) => [n.id, text(n.gateway), text(n.dev), (n.group ?? []).map((m) => m.id).join('/')].join('|'));
  const fromMonitor = async () => (await monitor.snapshot()).nexthops.map((n) => [n.id, text(n.gateway), text(n.dev), (n.group ?? []).map((m) => m.id).join('/')].join('|'));
  t.same(await fromMonitor(), fromIp(), 'the first snapshot: what ip nexthop shows');

  ns.ip('nexthop', 'add', 'id', '2', 'via', '198.51.100.2', 'dev', 'v2');
  ns.ip('nexthop', 'add', 'id', '10', 'group', '1/2');
  ns.ip('route', 'add', '10.60.0.0/16', 'nhid', '10', 'table', '100');
  const made = await nextEvent(events, (e) => e.type === 'nexthop' && e.nexthop.id === 10);
  t.match(made, { type: 'nexthop', action: 'new', nexthop: { id: 10, group: [{ id: 1 }, { id: 2 }] } }, 'ip made a group: a new event');
  await nextEvent(events, (e) => e.type === 'route' && e.route.dst === '10.60.0.0/16');
  ns.ip('nexthop', 'replace', 'id', '1', 'via', '192.0.2.3', 'dev', 'v0');
  t.match(await nextEvent(events, (e) => e.type === 'nexthop' && e.nexthop.id === 1), { action: 'new', nexthop: { gateway: '192.0.2.3' } }, 'a replace: a new event with the new gateway');
  t.same(await fromMonitor(), fromIp(), 'the snapshot follows');

  // The kernel deletes nexthop 2 when v2 goes down, the group loses it, and no route goes yet.
  ns.ip('link', 'set', 'v2', 'down');
  t.match(await nextEvent(events, (e) => e.type === 'nexthop' && e.action === 'delete'), { nexthop: { id: 2 } }, 'the kernel deleted nexthop 2: a delete event');
  ns.ip('nexthop', 'del', 'id', '1');
  // The group lost its last member and went, and its route with it, without a route event of its own.
  await nextEvent(events, (e) => e.type === 'route' && e.action === 'delete' && e.route.dst === '10.60.0.0/16');
  t.same(await fromMonitor(), fromIp(), 'the snapshot is what ip shows');
  t.same(fromIp(), [], 'nothing is left');
  t.same(fromSnapshot(await monitor.snapshot()).routes, fromTools(ns).routes, 'the routes too');
});
