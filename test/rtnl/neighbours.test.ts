/**
 * Neighbour entries written (`ip neigh add/replace/del`) against `ip -j neigh show nud all` and
 * `ip -j neigh show proxy`: each form made by ip and by routemark must look the same to ip, list
 * the same in routemark, go back unchanged to replace (no change) and delete (gone), and fail
 * on a duplicate add or an absent delete exactly as ip does.
 */
import t from 'tap';
import { spawnSync } from 'node:child_process';
import { open } from '../../src/index.js';
import type { Handle, Neighbour, NeighbourEntry, NeighbourFlushFilter } from '../../src/index.js';
import { addVeth, makeNetns, type TeardownHost, type TestNetns } from '../helpers/netns.js';
import { freshHandle, messagesSent } from './helpers.js';

/** What `ip -j -d neigh show` prints for one entry. */
interface IpNeigh {
  dst: string;
  dev: string;
  lladdr?: string;
  state?: string[];
  router?: null;
  proxy?: null;
  extern_learn?: null;
  protocol?: string;
}

/** One form of entry: routemark's object and the ip arguments that make the same entry. */
interface Form {
  name: string;
  entry: NeighbourEntry;
  ip: string[];
}

const MAC1 = '02:00:00:00:00:01';
const FORMS: Form[] = [
  { name: 'IPv4 permanent (the default state)', entry: { address: '192.0.2.1', lladdr: MAC1, dev: 'v0' }, ip: ['192.0.2.1', 'lladdr', MAC1, 'dev', 'v0'] },
  { name: 'IPv4 stale', entry: { address: '192.0.2.3', lladdr: '02:00:00:00:00:03', dev: 'v0', state: 'stale' }, ip: ['192.0.2.3', 'lladdr', '02:00:00:00:00:03', 'dev', 'v0', 'nud', 'stale'] },
  { name: 'IPv4 noarp', entry: { address: '192.0.2.5', lladdr: '02:00:00:00:00:05', dev: 'v0', state: 'NOARP' }, ip: ['192.0.2.5', 'lladdr', '02:00:00:00:00:05', 'dev', 'v0', 'nud', 'noarp'] },
  { name: 'IPv4 reachable', entry: { address: '192.0.2.6', lladdr: '02:00:00:00:00:06', dev: 'v0', state: 'reachable' }, ip: ['192.0.2.6', 'lladdr', '02:00:00:00:00:06', 'dev', 'v0', 'nud', 'reachable'] },
  {
    name: 'IPv4 protocol static, extern_learn',
    entry: { address: '192.0.2.4', lladdr: '02:00:00:00:00:04', dev: 'v0', protocol: 'static', externLearn: true },
    ip: ['192.0.2.4', 'lladdr', '02:00:00:00:00:04', 'dev', 'v0', 'protocol', 'static', 'extern_learn'],
  },
  { name: 'IPv4 numeric protocol', entry: { address: '192.0.2.7', lladdr: '02:00:00:00:00:07', dev: 'v0', protocol: 99 }, ip: ['192.0.2.7', 'lladdr', '02:00:00:00:00:07', 'dev', 'v0', 'protocol', '99'] },
  { name: 'IPv6 router', entry: { address: '2001:db8::1', lladdr: '02:00:00:00:00:11', dev: 'v0', router: true }, ip: ['2001:db8::1', 'lladdr', '02:00:00:00:00:11', 'dev', 'v0', 'router'] },
  { name: 'IPv4 router (the kernel keeps the flag for ARP entries too)', entry: { address: '192.0.2.8', lladdr: '02:00:00:00:00:08', dev: 'v0', router: true, state: 'permanent' }, ip: ['192.0.2.8', 'lladdr', '02:00:00:00:00:08', 'dev', 'v0', 'router', 'nud', 'permanent'] },
  { name: 'IPv6 extern_learn, stale', entry: { address: '2001:db8::2', lladdr: '02:00:00:00:00:13', dev: 'v0', externLearn: true, state: 'STALE' }, ip: ['2001:db8::2', 'lladdr', '02:00:00:00:00:13', 'dev', 'v0', 'extern_learn', 'nud', 'stale'] },
  { name: 'IPv6 on an altname', entry: { family: 'inet6', address: 'fe80::1', lladdr: '02:00:00:00:00:12', dev: 'uplink-alt' }, ip: ['fe80::1', 'lladdr', '02:00:00:00:00:12', 'dev', 'uplink-alt'] },
  { name: 'IPv4 proxy', entry: { address: '192.0.2.9', dev: 'v0', proxy: true }, ip: ['proxy', '192.0.2.9', 'dev', 'v0'] },
  { name: 'IPv6 proxy router', entry: { address: '2001:db8::9', dev: 'v0', proxy: true, router: true }, ip: ['proxy', '2001:db8::9', 'dev', 'v0', 'router'] },
];

/** A namespace with v0 (altname uplink-alt) up, a handle in it. */
async function setup(t: TeardownHost): Promise<{ ns: TestNetns; handle: Handle }> {
  const { ns, handle } = await freshHandle(t);
  addVeth(ns, 'v0', 'v1', { address: '192.0.2.2/24' });
  ns.ip('link', 'property', 'add', 'dev', 'v0', 'altname', 'uplink-alt');
  return { ns, handle };
}

/** ip's view of the entry for `form` (undefined if there is none): proxies live in their own table. */
function ipShows(ns: TestNetns, form: Form): IpNeigh | undefined {
  const table = form.entry.proxy ? ['proxy'] : ['nud', 'all'];
  return ns.ipJson<IpNeigh[]>('-d', 'neigh', 'show', ...table).find((n) => n.dst === form.entry.address);
}

/** What routemark should list for an entry ip shows. */
function fromIp(ns: TestNetns, ip: IpNeigh): Neighbour {
  const expected: Neighbour = {
    family: ip.dst.includes(':') ? 'inet6' : 'inet',
    address: ip.dst,
    dev: ip.dev,
    ifindex: ns.ifindex(ip.dev),
    state: (ip.state?.[0] ?? 'NONE') as Neighbour['state'],
  };
  if (ip.lladdr !== undefined) expected.lladdr = ip.lladdr;
  if ('proxy' in ip) expected.proxy = true;
  if ('router' in ip) expected.router = true;
  if ('extern_learn' in ip) expected.externLearn = true;
  if (ip.protocol !== undefined) expected.protocol = /^\d+$/.test(ip.protocol) ? Number(ip.protocol) : (ip.protocol as Neighbour['protocol']);
  return expected;
}

/** routemark's listed entry for `form`. */
async function listed(handle: Handle, form: Form): Promise<Neighbour | undefined> {
  return (await handle.neighbours.list({ proxy: form.entry.proxy === true })).find((n) => n.address === form.entry.address);
}

/** `ip neigh ARGS` as 'ok' or the errno name its message stands for. */
function ipOutcome(ns: TestNetns, args: string[]): string {
  const result = spawnSync('ip', ['-n', ns.name, 'neigh', ...args], { encoding: 'utf8' });
  if (result.status === 0) return 'ok';
  if (result.stderr.includes('File exists')) return 'EEXIST';
  if (result.stderr.includes('No such file or directory')) return 'ENOENT';
  return result.stderr.trim();
}

/** A routemark call as 'ok' or its error's code. */
async function outcome(call: Promise<void>): Promise<string> {
  try {
    await call;
    return 'ok';
  } catch (error) {
    return (error as { code?: string }).code ?? String(error);
  }
}

for (const form of FORMS) {
  t.test(`neighbours: ${form.name}`, async (t) => {
    const { ns, handle } = await setup(t);

    // Made by ip: routemark lists what ip shows, and deleting the listed object removes it.
    ns.ip('neigh', 'add', ...form.ip);
    const byIp = ipShows(ns, form);
    if (!byIp) throw new Error(`ip neigh add ${form.ip.join(' ')} made nothing`);
    const mine = await listed(handle, form);
    t.same(mine, fromIp(ns, byIp), 'routemark lists the entry ip made as ip shows it');
    await handle.neighbours.delete(mine!);
    t.equal(ipShows(ns, form), undefined, 'the listed object deleted it');

    // Made by routemark: ip shows exactly what it showed for its own.
    await handle.neighbours.add(form.entry);
    t.same(ipShows(ns, form), byIp, 'ip shows what routemark added as it showed its own');
    const again = await listed(handle, form);
    t.same(again, fromIp(ns, byIp), 'and routemark lists it the same');

    // What list returns replaces to no change.
    await handle.neighbours.replace(again!);
    t.same(ipShows(ns, form), byIp, 'replace with the listed object changes nothing ip sees');
    t.same(await listed(handle, form), again, 'nor what routemark lists');

    // A duplicate add fails (or not) as ip's does: EEXIST in the cache, an update for proxies.
    const ipDuplicate = ipOutcome(ns, ['add', ...form.ip]);
    t.equal(await outcome(handle.neighbours.add(form.entry)), ipDuplicate, `a duplicate add: ${ipDuplicate}, as ip`);
    t.equal(ipDuplicate, form.entry.proxy ? 'ok' : 'EEXIST', 'the kernel answers a duplicate as expected');

    // Delete, then deleting what is absent is ENOENT, as for ip.
    await handle.neighbours.delete(again!);
    t.equal(ipShows(ns, form), undefined, 'deleted');
    const ipAbsent = ipOutcome(ns, ['del', ...(form.entry.proxy ? ['proxy'] : []), form.entry.address, 'dev', 'v0']);
    t.equal(ipAbsent, 'ENOENT', 'ip: deleting what is absent is ENOENT');
    t.equal(await outcome(handle.neighbours.delete(again!)), ipAbsent, 'routemark too');
  });
}

t.test('neighbours: replace overwrites lladdr and state; list keeps cache and proxies apart', async (t) => {
  const { ns, handle } = await setup(t);
  await handle.neighbours.replace({ address: '192.0.2.1', lladdr: MAC1, dev: 'v0' });
  await handle.neighbours.replace({ address: '192.0.2.1', lladdr: '02:00:00:00:00:aa', dev: 'v0', state: 'stale' });
  t.same(
    ns.ipJson<IpNeigh[]>('neigh', 'show', 'nud', 'all', '192.0.2.1'),
    [{ dst: '192.0.2.1', dev: 'v0', lladdr: '02:00:00:00:00:aa', state: ['STALE'] }],
    'the second replace overwrote the first',
  );
  await handle.neighbours.add({ address: '192.0.2.9', dev: 'v0', proxy: true });
  t.notOk((await handle.neighbours.list()).some((n) => n.address === '192.0.2.9'), 'the cache listing has no proxies (ip neigh show nud all has none)');
  t.same(
    (await handle.neighbours.list({ proxy: true })).map((n) => n.address),
    ns.ipJson<IpNeigh[]>('neigh', 'show', 'proxy').map((n) => n.dst),
    'the proxy listing is what ip neigh show proxy shows',
  );
  t.same((await handle.neighbours.list({ proxy: true, family: 'inet6' })).length, 0, 'no IPv6 proxies');

  // A well-formed lladdr shorter than the device's is the kernel's to refuse, as for ip.
  t.not(ipOutcome(ns, ['add', '192.0.2.10', 'lladdr', '02:00:00', 'dev', 'v0']), 'ok', 'ip: a 3-byte lladdr on Ethernet is refused');
  t.equal(await outcome(handle.neighbours.add({ address: '192.0.2.10', lladdr: '02:00:00', dev: 'v0' })), 'EINVAL', 'routemark: EINVAL from the kernel');
  t.notOk(ns.ipJson<IpNeigh[]>('neigh', 'show', 'nud', 'all').some((n) => n.dst === '192.0.2.10' && n.lladdr !== undefined), 'no entry with that lladdr');
});

t.test('neighbours: bad input is a ValidationError naming the field, and nothing is made', async (t) => {
  const { ns, handle } = await setup(t);
  const good = { address: '192.0.2.1', lladdr: MAC1, dev: 'v0' };
  const cases: [string, unknown, string, unknown, boolean][] = [
    // name, entry, field, value, whether the dev lookup (the only I/O) happens first
    ['bad MAC', { ...good, lladdr: '02:00:00:00:00:zz' }, 'neighbour.lladdr', '02:00:00:00:00:zz', false],
    ['MAC with a 3-digit byte', { ...good, lladdr: '02:00:00:00:00:001' }, 'neighbour.lladdr', '02:00:00:00:00:001', false],
    ['MAC of 33 bytes', { ...good, lladdr: Array(33).fill('aa').join(':') }, 'neighbour.lladdr', Array(33).fill('aa').join(':'), false],
    ['bad address', { ...good, address: '192.0.2.300' }, 'neighbour.address', '192.0.2.300', false],
    ['a prefix, not an address', { ...good, address: '192.0.2.0/24' }, 'neighbour.address', '192.0.2.0/24', false],
    ['family mismatch', { ...good, family: 'inet6' }, 'neighbour.address', '192.0.2.1', false],
    ['bad family', { ...good, family: 'ipx' }, 'neighbour.family', 'ipx', false],
    ['unknown key', { ...good, nud: 'stale' }, 'neighbour.nud', 'stale', false],
    ['bad state', { ...good, state: 'asleep' }, 'neighbour.state', 'asleep', false],
    ['bad protocol', { ...good, protocol: 256 }, 'neighbour.protocol', 256, false],
    ['proxy not a boolean', { ...good, proxy: 'yes' }, 'neighbour.proxy', 'yes', false],
    ['no dev', { address: '192.0.2.1', lladdr: MAC1 }, 'neighbour.dev', undefined, false],
    ['unknown dev', { ...good, dev: 'nope0' }, 'neighbour.dev', 'nope0', true],
    ['ifindex of another link', { ...good, ifindex: 1 }, 'neighbour.ifindex', 1, true],
  ];
  for (const [name, entry, field, value, lookup] of cases) {
    for (const method of ['add', 'replace', 'delete'] as const) {
      const before = messagesSent(handle);
      await t.rejects(handle.neighbours[method](entry as NeighbourEntry), { name: 'ValidationError', field, value }, `${method}: ${name}`);
      if (!lookup) t.equal(messagesSent(handle), before, `${method}: ${name}: refused before any I/O`);
    }
  }
  t.same(ns.ipJson<IpNeigh[]>('neigh', 'show', 'nud', 'all').filter((n) => n.dev === 'v0' && !n.dst.startsWith('ff02')), [], 'nothing was made');
  await t.rejects(handle.neighbours.list({ proxy: 1 } as never), { name: 'ValidationError', field: 'filter.proxy' });
});

t.test('neighbours: a handle with an owner tags what it adds, and owned: true lists exactly those', async (t) => {
  const { ns, handle } = await setup(t);
  const agent = await open({ netns: ns.name, owner: 201 });
  t.teardown(() => agent.close());

  ns.ip('neigh', 'add', '192.0.2.20', 'lladdr', '02:00:00:00:00:20', 'dev', 'v0');
  ns.ip('neigh', 'add', '192.0.2.21', 'lladdr', '02:00:00:00:00:21', 'dev', 'v0', 'protocol', 'static');
  await agent.neighbours.add({ address: '192.0.2.22', lladdr: '02:00:00:00:00:22', dev: 'v0' });
  await agent.neighbours.replace({ address: '2001:db8::22', lladdr: '02:00:00:00:00:23', dev: 'v0', state: 'stale' });
  await agent.neighbours.add({ address: '192.0.2.23', lladdr: '02:00:00:00:00:24', dev: 'v0', protocol: 'static' });
  await agent.neighbours.add({ address: '192.0.2.29', dev: 'v0', proxy: true });

  const ipCache = ns.ipJson<IpNeigh[]>('-d', 'neigh', 'show', 'nud', 'all').filter((n) => n.dev === 'v0' && !n.dst.startsWith('ff02'));
  const ipProxies = ns.ipJson<IpNeigh[]>('-d', 'neigh', 'show', 'proxy');
  const ipProtocol = (dst: string) => [...ipCache, ...ipProxies].find((n) => n.dst === dst)?.protocol;
  t.equal(ipProtocol('192.0.2.22'), '201', 'ip shows protocol 201 on an entry the agent added');
  t.equal(ipProtocol('2001:db8::22'), '201', 'and on one it replaced into being');
  t.equal(ipProtocol('192.0.2.29'), '201', 'and on its proxy entry');
  t.equal(ipProtocol('192.0.2.23'), 'static', 'a protocol given by the caller wins');
  t.equal(ipProtocol('192.0.2.20'), undefined, "ip's own entry has none");

  const ownedByIp = (entries: IpNeigh[]) => entries.filter((n) => n.protocol === '201').map((n) => n.dst).sort();
  t.same((await agent.neighbours.list({ owned: true })).map((n) => n.address).sort(), ownedByIp(ipCache), 'owned: true lists the cache entries ip shows with protocol 201');
  t.same((await agent.neighbours.list({ owned: true, proxy: true })).map((n) => n.address), ownedByIp(ipProxies), 'and the proxy entries');
  t.same((await handle.neighbours.list({ protocol: 201 })).map((n) => n.address).sort(), ownedByIp(ipCache), 'protocol: 201 on a handle without an owner lists the same');
  t.same((await handle.neighbours.list({ protocol: 'static' })).map((n) => n.address).sort(), ['192.0.2.21', '192.0.2.23'], 'protocol static: the entries ip and the agent made with it');
  t.same(
    (await handle.neighbours.list({ protocol: 0, dev: 'v0' })).map((n) => n.address).filter((a) => !a.startsWith('ff02')).sort(),
    ipCache.filter((n) => n.protocol === undefined).map((n) => n.dst).sort(),
    'protocol 0: the entries without one',
  );

  // A delete is by address and device: the owner does not narrow it (the kernel compares no protocol).
  for (const entry of await agent.neighbours.list({ owned: true })) await agent.neighbours.delete(entry);
  for (const entry of await agent.neighbours.list({ owned: true, proxy: true })) await agent.neighbours.delete(entry);
  const left = ns.ipJson<IpNeigh[]>('-d', 'neigh', 'show', 'nud', 'all').filter((n) => n.dev === 'v0' && !n.dst.startsWith('ff02'));
  t.same(left.map((n) => n.dst).sort(), ['192.0.2.20', '192.0.2.21', '192.0.2.23'], "deleting the owned entries leaves everyone else's");
  t.same(ns.ipJson<IpNeigh[]>('neigh', 'show', 'proxy'), [], 'the proxy entry is gone too');

  await t.rejects(handle.neighbours.list({ owned: true }), { name: 'ValidationError', field: 'filter.owned' }, 'owned: true on a handle without an owner');
  await t.rejects(agent.neighbours.list({ owned: true, protocol: 'static' }), { name: 'ValidationError', field: 'filter.protocol' }, 'owned: true and another protocol contradict');
  await t.rejects(agent.neighbours.list({ protocol: 256 }), { name: 'ValidationError', field: 'filter.protocol', value: 256 });
});

/** Entries of every kind flush tells apart, made by ip in `ns` (v0 up there). */
const FLUSH_ENTRIES: string[][] = [
  ['192.0.2.1', 'lladdr', MAC1, 'dev', 'v0'],
  ['192.0.2.2', 'lladdr', '02:00:00:00:00:02', 'dev', 'v0', 'nud', 'noarp'],
  ['192.0.2.3', 'lladdr', '02:00:00:00:00:03', 'dev', 'v0', 'nud', 'stale'],
  ['192.0.2.4', 'lladdr', '02:00:00:00:00:04', 'dev', 'v0', 'nud', 'reachable'],
  ['192.0.2.5', 'lladdr', '02:00:00:00:00:05', 'dev', 'v0', 'extern_learn'],
  ['192.0.2.6', 'lladdr', '02:00:00:00:00:06', 'dev', 'v0', 'nud', 'stale', 'extern_learn'],
  ['192.0.2.7', 'dev', 'v0', 'nud', 'none'],
  ['192.0.2.8', 'lladdr', '02:00:00:00:00:08', 'dev', 'v0', 'nud', 'delay', 'router'],
  ['2001:db8::3', 'lladdr', '02:00:00:00:00:13', 'dev', 'v0', 'nud', 'stale'],
  ['2001:db8::4', 'lladdr', '02:00:00:00:00:14', 'dev', 'v0'],
  ['proxy', '192.0.2.9', 'dev', 'v0'],
  ['proxy', '2001:db8::9', 'dev', 'v0'],
  ['198.51.100.1', 'lladdr', '02:00:00:00:00:21', 'dev', 'w0', 'nud', 'stale'],
  ['198.51.100.2', 'lladdr', '02:00:00:00:00:22', 'dev', 'w0'],
];

/** v0 and w0 up in `ns`, and FLUSH_ENTRIES on them. */
function addFlushEntries(ns: TestNetns): TestNetns {
  addVeth(ns, 'v0', 'v1');
  addVeth(ns, 'w0', 'w1');
  for (const entry of FLUSH_ENTRIES) ns.ip('neigh', 'add', ...entry);
  return ns;
}

/** What is left, as ip shows it (the kernel's own multicast entries aside: they come and go). */
function leftAfterFlush(ns: TestNetns): string[] {
  const cache = ns.ipJson<IpNeigh[]>('neigh', 'show', 'nud', 'all').filter((n) => !n.dst.startsWith('ff02') && n.dev !== 'v1' && n.dev !== 'w1');
  const proxies = ns.ipJson<IpNeigh[]>('neigh', 'show', 'proxy');
  return [...cache.map((n) => `${n.dst} ${n.dev} ${n.state?.[0] ?? 'NONE'}`), ...proxies.map((n) => `proxy ${n.dst} ${n.dev}`)].sort();
}

const FLUSHES: { filter: NeighbourFlushFilter; ip: string[] }[] = [
  { filter: { dev: 'v0' }, ip: ['flush', 'dev', 'v0'] },
  { filter: { dev: 'v0', states: ['stale'] }, ip: ['flush', 'dev', 'v0', 'nud', 'stale'] },
  { filter: { dev: 'v0', states: ['PERMANENT', 'reachable'] }, ip: ['flush', 'dev', 'v0', 'nud', 'permanent', 'nud', 'reachable'] },
  { filter: { dev: 'v0', states: ['noarp'] }, ip: ['flush', 'dev', 'v0', 'nud', 'noarp'] },
  { filter: { dev: 'v0', states: ['none'] }, ip: ['flush', 'dev', 'v0', 'nud', 'none'] },
  { filter: { dev: 'v0', states: 'all' }, ip: ['flush', 'dev', 'v0', 'nud', 'all'] },
  { filter: { family: 'inet6', dev: 'v0' }, ip: ['-6', 'flush', 'dev', 'v0'] },
  { filter: { family: 'inet', states: 'all' }, ip: ['-4', 'flush', 'nud', 'all'] },
  { filter: { proxy: true }, ip: ['flush', 'proxy'] },
  { filter: { proxy: true, family: 'inet6' }, ip: ['-6', 'flush', 'proxy'] },
];

for (const { filter, ip } of FLUSHES) {
  t.test(`neighbours: flush(${JSON.stringify(filter)}) leaves what ip neigh ${ip.join(' ')} leaves`, async (t) => {
    const { ns, handle } = await freshHandle(t);
    addFlushEntries(ns);
    const witness = addFlushEntries(makeNetns(t, 'rtnlw'));
    const before = leftAfterFlush(ns);
    t.same(before, leftAfterFlush(witness), 'both namespaces start alike');
    const family = ip[0] === '-4' || ip[0] === '-6' ? [ip[0]] : [];
    witness.ip(...family, 'neigh', ...ip.slice(family.length));
    const deleted = await handle.neighbours.flush(filter);
    t.same(leftAfterFlush(ns), leftAfterFlush(witness), 'the same entries are left');
    const gone = before.length - leftAfterFlush(ns).length;
    // A NOARP flush also takes the kernel's multicast entries, which come back on their own.
    if (Array.isArray(filter.states) && filter.states.includes('noarp')) t.ok(deleted >= gone, `it counts what it deleted (${deleted}, the multicast entries too)`);
    else t.equal(deleted, gone, `it counts what it deleted (${deleted})`);
  });
}

t.test('neighbours: flush on a handle with an owner takes only its own entries; bad filters are refused', async (t) => {
  const { ns, handle } = await setup(t);
  const agent = await open({ netns: ns.name, owner: 202 });
  t.teardown(() => agent.close());
  ns.ip('neigh', 'add', '192.0.2.30', 'lladdr', '02:00:00:00:00:30', 'dev', 'v0', 'nud', 'stale');
  ns.ip('neigh', 'add', '192.0.2.31', 'lladdr', '02:00:00:00:00:31', 'dev', 'v0');
  await agent.neighbours.add({ address: '192.0.2.32', lladdr: '02:00:00:00:00:32', dev: 'v0', state: 'stale' });
  await agent.neighbours.add({ address: '192.0.2.33', lladdr: '02:00:00:00:00:33', dev: 'v0' });
  const shown = () => ns.ipJson<IpNeigh[]>('neigh', 'show', 'nud', 'all', 'dev', 'v0').map((n) => n.dst).filter((d) => !d.startsWith('ff02')).sort();
  t.equal(await agent.neighbours.flush({ dev: 'v0' }), 1, "the agent's flush takes its own stale entry");
  t.same(shown(), ['192.0.2.30', '192.0.2.31', '192.0.2.33'], "and leaves ip's stale entry and its own permanent one");
  t.equal(await agent.neighbours.flush({ states: 'all' }), 1, "states 'all': its permanent entry too");
  t.same(shown(), ['192.0.2.30', '192.0.2.31'], "ip's entries are all still there");
  t.equal(await agent.neighbours.flush({ protocol: 0, dev: 'v0' }), 1, 'naming a protocol (0: none) reaches the entries of others');
  t.same(shown(), ['192.0.2.31'], 'as a flush on a handle without an owner would');

  const sent = messagesSent(handle);
  await t.rejects(handle.neighbours.flush({ states: [] }), { name: 'ValidationError', field: 'filter.states' });
  await t.rejects(handle.neighbours.flush({ states: ['asleep' as never] }), { name: 'ValidationError', field: 'filter.states[0]', value: 'asleep' });
  await t.rejects(handle.neighbours.flush({ state: 'stale' } as never), { name: 'ValidationError', field: 'filter.state' });
  await t.rejects(handle.neighbours.flush({ owned: true }), { name: 'ValidationError', field: 'filter.owned' });
  t.equal(messagesSent(handle), sent, 'refused before any I/O');
  t.same(shown(), ['192.0.2.31'], 'nothing was deleted');
});

t.test('neighbours: a flush of 1500 entries (several batches) takes exactly those ip added, and counts them', async (t) => {
  const { ns, handle } = await freshHandle(t);
  addVeth(ns, 'v0', 'v1', { address: '10.1.0.1/16' });
  addVeth(ns, 'w0', 'w1');
  const address = (i: number) => `10.1.${(i >> 8) + 1}.${i & 255}`;
  const lladdr = (i: number) => `02:00:00:00:${((i >> 8) & 255).toString(16).padStart(2, '0')}:${(i & 255).toString(16).padStart(2, '0')}`;
  // Permanent entries: the kernel's garbage collector, whose thresholds all namespaces share,
  // never takes them, so all 1500 stay until the flush.
  const lines = Array.from({ length: 1500 }, (_, i) => `neigh add ${address(i)} lladdr ${lladdr(i)} dev v0 nud permanent`);
  // Kept: a stale entry on v0 (not in the flush's states) and a permanent one on another link.
  lines.push('neigh add 10.1.200.1 lladdr 02:00:00:00:99:01 dev v0 nud stale', 'neigh add 198.51.100.7 lladdr 02:00:00:00:99:02 dev w0');
  ns.exec('ip', ['-batch', '-'], `${lines.join('\n')}\n`);
  const shown = () => ns.ipJson<IpNeigh[]>('neigh', 'show', 'nud', 'all').filter((n) => !n.dst.startsWith('ff02')).map((n) => `${n.dst} ${n.dev} ${n.state?.[0] ?? 'NONE'}`);
  t.equal(shown().length, 1502, 'ip added the 1502 entries');
  t.equal(await handle.neighbours.flush({ dev: 'v0', states: ['permanent'] }), 1500, 'the flush counts each entry it deleted');
  t.same(shown().sort(), ['10.1.200.1 v0 STALE', '198.51.100.7 w0 PERMANENT'], 'only the two entries outside the filter are left');
});
