/**
 * Conntrack against the real kernel, witnessed by the conntrack tool in the same namespace.
 */
import t from 'tap';
import { spawnSync } from 'node:child_process';
import { NetlinkError, open, type Flow, type FlowEvent, type FlowSpec } from '../../src/index.js';
import { toolFlowKey, toolFlows } from '../helpers/conntrack.js';
import { addVeth, makeNetns, type TestNetns } from '../helpers/netns.js';
import { echo, ping, startEchoServer } from '../helpers/traffic.js';

/** The same key as toolFlowKey, built from what routemark lists. */
function flowKey(flow: Flow): string {
  const t = (x: Flow['original']) =>
    [x.src, x.dst, x.sport ?? '', x.dport ?? '', x.icmpType ?? '', x.icmpCode ?? '', x.icmpId ?? ''].join(',');
  return `${flow.family} ${flow.protocol} ${t(flow.original)} > ${t(flow.reply)} mark=${flow.mark ?? 0} zone=${flow.zone ?? 0} state=${flow.tcpState ?? ''}`;
}

/** Makes the kernel track connections in `ns` (conntrack is only active where a rule needs it). */
function enableTracking(ns: TestNetns): void {
  ns.exec('nft', ['-f', '-'], `table inet track {
    chain in { type filter hook input priority 0; ct state new,established,related counter; }
    chain out { type filter hook output priority 0; ct state new,established,related counter; }
  }`);
}

function udpFlows(count: number, mark: number, base = 0): FlowSpec[] {
  return Array.from({ length: count }, (_, i) => {
    const n = base + i;
    return { protocol: 'udp', src: `10.${(n >> 16) & 255}.${(n >> 8) & 255}.${n & 255}`, dst: '192.0.2.53', sport: 1024 + (n % 60000), dport: 53, mark, timeout: 300 };
  });
}

t.test('flows made by routemark and by real traffic list the same in routemark and the conntrack tool', async (t) => {
  const server = makeNetns(t);
  const client = makeNetns(t);
  addVeth(server, 'b0', 'a0', { address: '10.1.0.2/24', peerNetns: client, peerAddress: '10.1.0.1/24' });
  server.ip('addr', 'add', '2001:db8:1::2/64', 'dev', 'b0', 'nodad');
  client.ip('addr', 'add', '2001:db8:1::1/64', 'dev', 'a0', 'nodad');
  enableTracking(server);
  await startEchoServer(t, server, 'tcp', 8080);
  await startEchoServer(t, server, 'udp', 5353);
  t.ok(echo(client, 'tcp', '10.1.0.2', 8080), 'tcp echo answered');
  t.ok(echo(client, 'udp', '10.1.0.2', 5353, 40001), 'udp echo answered');
  t.ok(ping(client, '10.1.0.2'), 'ping answered');

  const handle = await open({ netns: server.name });
  t.teardown(() => handle.close());
  await handle.conntrack.create({ protocol: 'tcp', src: '192.0.2.1', dst: '192.0.2.2', sport: 1000, dport: 80, timeout: 600, mark: 5 });
  await handle.conntrack.create({ protocol: 'udp', src: '198.51.100.1', dst: '198.51.100.2', sport: 53, dport: 53, zone: 7, timeout: 600 });
  await handle.conntrack.create({ protocol: 'icmp', src: '203.0.113.1', dst: '203.0.113.2', icmpType: 8, icmpCode: 0, icmpId: 77, timeout: 600, mark: 0 });
  await handle.conntrack.create({ protocol: 'udp', src: '2001:db8::1', dst: '2001:db8::2', sport: 5, dport: 6, timeout: 600, status: ['ASSURED', 'SEEN_REPLY'] });

  const ours = (await handle.conntrack.list()).map(flowKey).sort();
  const theirs = toolFlows(server).map(toolFlowKey).sort();
  t.same(ours, theirs, 'the same flows, field for field');
  t.ok(ours.some((k) => k.startsWith('inet tcp 10.1.0.1,10.1.0.2,') && k.includes(',8080,')), 'the real TCP connection is listed');
  t.ok(ours.some((k) => k.startsWith('inet udp 10.1.0.1,10.1.0.2,40001,5353')), 'the real UDP flow is listed');
  t.ok(ours.some((k) => k.startsWith('inet icmp 10.1.0.1,10.1.0.2,,,8,0,')), 'the real ping is listed');
  t.ok(ours.includes('inet6 udp 2001:db8::1,2001:db8::2,5,6,,, > 2001:db8::2,2001:db8::1,6,5,,, mark=0 zone=0 state='), 'the IPv6 flow made by routemark');

  const [zoned] = await handle.conntrack.list({ zone: 7 });
  t.match(zoned, { protocol: 'udp', zone: 7, original: { src: '198.51.100.1', sport: 53 } }, 'the kernel filters by zone');
  t.equal((await handle.conntrack.list({ zone: 7 })).length, 1);
  const one = await handle.conntrack.get({ protocol: 'tcp', original: { src: '192.0.2.1', dst: '192.0.2.2', sport: 1000, dport: 80 } });
  t.match(one, { mark: 5, tcpState: 'ESTABLISHED', reply: { src: '192.0.2.2', dport: 1000 } }, 'get finds one flow');
  t.equal(await handle.conntrack.get({ protocol: 'tcp', original: { src: '192.0.2.1', dst: '192.0.2.2', sport: 1001, dport: 80 } }), undefined, 'get of nothing is undefined');
  t.equal(await handle.conntrack.count(), Number(server.exec('conntrack', ['-C']).trim()), 'count agrees with conntrack -C');
  t.equal(await handle.conntrack.count({ protocol: 'udp' }), toolFlows(server).filter((f) => f.protocol === 'udp').length, 'a filtered count');
  // Filters the kernel applies alone are counted from the dump without decoding a flow.
  for (const [filter, args] of [
    [{ mark: 5 }, ['--mark', '5']],
    [{ mark: 0 }, ['--mark', '0']],
    [{ zone: 7 }, ['--zone', '7']],
  ] as const) {
    const expected = toolFlows(server, ...args).length;
    t.equal(await handle.conntrack.count(filter), expected, `count(${JSON.stringify(filter)}) agrees with conntrack -L ${args.join(' ')} (${expected})`);
  }
});

t.test('a mark update on 10,000 flows reaches all 10,000', async (t) => {
  const ns = makeNetns(t);
  const handle = await open({ netns: ns.name });
  t.teardown(() => handle.close());
  const created = await handle.conntrack.createMany(udpFlows(10_000, 1));
  t.equal(created.failed, 0, 'created 10,000 flows');
  await handle.conntrack.createMany(udpFlows(50, 9, 20_000)); // bystanders with another mark

  const result = await handle.conntrack.updateMarkWhere({ mark: 1 }, 2);
  t.match(result, { matched: 10_000, changed: 10_000, gone: 0, failed: 0, remaining: 0 });
  t.equal(result.outcomes.length, 10_000, 'one outcome per flow');
  const marks = new Map<number, number>();
  for (const flow of toolFlows(ns)) marks.set(flow.mark, (marks.get(flow.mark) ?? 0) + 1);
  t.same(Object.fromEntries(marks), { 2: 10_000, 9: 50 }, 'the conntrack tool sees every flow remarked, and the others untouched');

  // For the record: the tool's own bulk update of the same flows, on this kernel.
  const tool = spawnSync('ip', ['netns', 'exec', ns.name, 'conntrack', '-U', '-m', '2', '--mark', '3'], { encoding: 'utf8' });
  const reached = toolFlows(ns).filter((f) => f.mark === 3).length;
  t.comment(`conntrack -U -m 2 --mark 3: exit ${tool.status}, reached ${reached} of 10000 flows (${tool.stderr.trim().split('\n').pop()})`);
});

t.test('delete by mark removes exactly the matching flows (mark 0 is a mark)', async (t) => {
  const ns = makeNetns(t);
  const handle = await open({ netns: ns.name });
  t.teardown(() => handle.close());
  await handle.conntrack.createMany([...udpFlows(100, 7, 0), ...udpFlows(100, 8, 1000), ...udpFlows(100, 0, 2000)]);
  const removed = await handle.conntrack.deleteWhere({ mark: 7 });
  t.match(removed, { matched: 100, changed: 100, failed: 0, remaining: 0 });
  let left = toolFlows(ns);
  t.equal(left.length, 200);
  t.notOk(left.some((f) => f.mark === 7), 'no mark-7 flow is left');
  const zero = await handle.conntrack.deleteWhere({ mark: 0 });
  t.equal(zero.changed, 100, 'mark 0 selected exactly the unmarked flows');
  left = toolFlows(ns);
  t.same([...new Set(left.map((f) => f.mark))], [8], 'only mark-8 flows are left');
  t.equal(left.length, 100);
  const byTuple = await handle.conntrack.deleteWhere({ mark: 8, src: '10.0.3.0/24' });
  t.equal(byTuple.changed, 24, 'kernel mark filter plus a library prefix filter (10.0.3.232-255 of the mark-8 flows)');
});

/**
 * Counts the dump requests of a handle's ctnetlink socket (each is a walk of the kernel's whole
 * conntrack table), to see whether a bulk call walked it again.
 */
function countDumps(handle: Awaited<ReturnType<typeof open>>): () => number {
  const connection = handle.connection(12);
  const original = connection.dumpEach.bind(connection);
  let dumps = 0;
  connection.dumpEach = (...args: Parameters<typeof connection.dumpEach>) => {
    dumps++;
    return original(...args);
  };
  return () => dumps;
}

/** A library-side filter that makes one flow (with the tool) the first time it is asked. */
function makesFlowOnce(ns: TestNetns, mark: number, sport: number): (flow: Flow) => boolean {
  let made = false;
  return () => {
    if (!made) {
      made = true;
      // After the call's first dump (the filter runs on what it returned), before its batches.
      ns.exec('conntrack', ['-I', '-p', 'udp', '-s', '10.200.0.1', '-d', '192.0.2.53', '--sport', String(sport), '--dport', '53', '--timeout', '300', '--mark', String(mark)]);
    }
    return true;
  };
}

t.test('bulk calls reach flows made while they run, and walk the table once when none are', async (t) => {
  t.test('no flow made meanwhile: one dump, one round', async (t) => {
    const ns = makeNetns(t);
    const handle = await open({ netns: ns.name });
    t.teardown(() => handle.close());
    await handle.conntrack.createMany(udpFlows(300, 1));
    const dumps = countDumps(handle);
    const result = await handle.conntrack.updateMarkWhere({ mark: 1 }, 2);
    t.match(result, { matched: 300, changed: 300, remaining: 0, rounds: 1 });
    t.equal(dumps(), 1, 'the table was walked once');
    t.equal(toolFlows(ns).filter((f) => f.mark === 2).length, 300);
  });

  t.test('a flow that does not match is made meanwhile: still one dump', async (t) => {
    const ns = makeNetns(t);
    const handle = await open({ netns: ns.name });
    t.teardown(() => handle.close());
    await handle.conntrack.createMany(udpFlows(300, 1));
    const dumps = countDumps(handle);
    const makeOne = makesFlowOnce(ns, 9, 999);
    const result = await handle.conntrack.updateMarkWhere({ mark: 1, where: (flow) => makeOne(flow) && flow.mark === 1 }, 2);
    t.match(result, { matched: 300, changed: 300, remaining: 0, rounds: 1 });
    t.equal(dumps(), 1, 'a new flow with another mark does not send the call round again');
    t.equal(toolFlows(ns).filter((f) => f.mark === 9).length, 1, 'the bystander was made, and left alone');
  });

  t.test('two bulk calls at once on one handle: only the one whose flow was made meanwhile goes round again', async (t) => {
    const ns = makeNetns(t);
    const handle = await open({ netns: ns.name });
    t.teardown(() => handle.close());
    await handle.conntrack.createMany([...udpFlows(200, 1), ...udpFlows(200, 5, 1000)]);
    const [updated, removed] = await Promise.all([
      handle.conntrack.updateMarkWhere({ mark: 1 }, 2),
      handle.conntrack.deleteWhere({ mark: 5, where: makesFlowOnce(ns, 5, 997) }),
    ]);
    t.match(updated, { matched: 200, changed: 200, rounds: 1 });
    t.match(removed, { matched: 201, changed: 201, rounds: 2 });
    t.same([...new Set(toolFlows(ns).map((f) => f.mark))], [2], 'mark-5 flows, the late one too, are gone; the rest remarked');
    const again = await handle.conntrack.updateMarkWhere({ mark: 2, where: makesFlowOnce(ns, 2, 996) }, 3);
    t.match(again, { matched: 201, changed: 201, rounds: 2 }, 'the watch socket is used again by a later call');
  });

  for (const events of ['2', '0']) {
    t.test(`a matching flow is made meanwhile (nf_conntrack_events=${events}): a second round reaches it`, async (t) => {
      const ns = makeNetns(t);
      const handle = await open({ netns: ns.name });
      t.teardown(() => handle.close());
      await handle.sysctl.set('net.netfilter.nf_conntrack_events', events);
      await handle.conntrack.createMany(udpFlows(300, 1));
      const dumps = countDumps(handle);
      const updated = await handle.conntrack.updateMarkWhere({ mark: 1, where: makesFlowOnce(ns, 1, 999) }, 2);
      t.match(updated, { matched: 301, changed: 301, remaining: 0, rounds: 2 });
      t.same([...new Set(toolFlows(ns).map((f) => f.mark))], [2], 'every flow has the new mark, the late one too');
      t.ok(dumps() >= 2, `the table was walked again (${dumps()} dumps)`);

      const removed = await handle.conntrack.deleteWhere({ mark: 2, where: makesFlowOnce(ns, 2, 998) });
      t.match(removed, { matched: 302, changed: 302, remaining: 0, rounds: 2 });
      t.equal(toolFlows(ns).length, 0, 'the flow made during the delete is gone too');
    });
  }
  t.end();
});

t.test('mark masks, single-flow updates, and errors', async (t) => {
  const ns = makeNetns(t);
  const handle = await open({ netns: ns.name });
  t.teardown(() => handle.close());
  const key = { protocol: 'tcp' as const, original: { src: '192.0.2.1', dst: '192.0.2.2', sport: 1000, dport: 80 } };
  await handle.conntrack.create({ protocol: 'tcp', src: '192.0.2.1', dst: '192.0.2.2', sport: 1000, dport: 80, mark: 0x1234 });
  await handle.conntrack.updateMark(key, 0x50, { mask: 0xf0 });
  t.equal(toolFlows(ns)[0]!.mark, 0x1254, 'only the masked bits changed');
  await handle.conntrack.updateMark(key, 0);
  t.equal(toolFlows(ns)[0]!.mark, 0, 'mark 0 is set, not ignored');

  const duplicate = await handle.conntrack.create({ protocol: 'tcp', src: '192.0.2.1', dst: '192.0.2.2', sport: 1000, dport: 80 }).catch((e: unknown) => e);
  t.match(duplicate, { name: 'NetlinkError', code: 'EEXIST', operation: 'createFlow' });
  const missing = await handle.conntrack.updateMark({ ...key, original: { ...key.original, sport: 999 } }, 1).catch((e: unknown) => e);
  t.type(missing, NetlinkError);
  t.match(missing, { code: 'ENOENT', operation: 'updateMark' });
  await t.rejects(handle.conntrack.updateMarkWhere({}, 0x100, { mask: 0xff }), { name: 'ValidationError', field: 'mark' });
  await t.rejects(handle.conntrack.createMany([{ protocol: 'udp', src: '192.0.2.1', dst: '192.0.2.2', sport: 1, dport: 2 }, { protocol: 'udp', src: '10.0.0.1/8', dst: '192.0.2.2', sport: 1, dport: 2 }]), { name: 'ValidationError', field: 'flows[1].src' });
  t.equal(toolFlows(ns).length, 1, 'nothing of the refused batch was sent');
  await t.rejects(handle.conntrack.list({ markMask: 1 }), { name: 'ValidationError', field: 'filter.markMask' });
});

t.test('bulk updates and deletes reach zoned, IPv6 and tcp flows alike, and keep to the mask', async (t) => {
  const ns = makeNetns(t);
  const handle = await open({ netns: ns.name });
  t.teardown(() => handle.close());
  const flows: FlowSpec[] = [
    ...udpFlows(20, 0x1201),
    ...udpFlows(20, 0x1201, 100).map((flow, i) => ({ ...flow, zone: 5 + (i % 2) })),
    ...Array.from({ length: 10 }, (_, i): FlowSpec => ({ protocol: 'udp', src: `2001:db8::${i + 1}`, dst: '2001:db8::53', sport: 2000 + i, dport: 53, mark: 0x1201, zone: i % 3 === 0 ? 9 : undefined })),
    ...Array.from({ length: 10 }, (_, i): FlowSpec => ({ protocol: 'tcp', src: '198.51.100.1', dst: '198.51.100.2', sport: 3000 + i, dport: 80, mark: 0x1201 })),
    ...udpFlows(5, 0x77, 500), // bystanders
  ];
  t.equal((await handle.conntrack.createMany(flows)).failed, 0);
  const before = new Map(toolFlows(ns).map((flow) => [toolFlowKey(flow).replace(/ mark=\d+/, ''), flow]));
  t.equal(before.size, 65);

  const updated = await handle.conntrack.updateMarkWhere({ mark: 0x1201 }, 0x30, { mask: 0xf0 });
  t.match(updated, { matched: 60, changed: 60, failed: 0, gone: 0 });
  const after = toolFlows(ns);
  t.same(after.filter((flow) => flow.mark === 0x1231).length, 60, 'every matching flow got the masked bits, and kept the others');
  t.same(after.filter((flow) => flow.mark === 0x77).length, 5, 'the bystanders kept theirs');
  t.same(new Set(after.map((flow) => toolFlowKey(flow).replace(/ mark=\d+/, ''))), new Set(before.keys()), 'the same flows, zones and tuples as before');

  const zoned = await handle.conntrack.deleteWhere({ zone: 5 });
  t.match(zoned, { matched: 10, changed: 10, failed: 0 });
  const v6 = await handle.conntrack.deleteWhere({ family: 'inet6' });
  t.match(v6, { matched: 10, changed: 10, failed: 0 });
  const left = toolFlows(ns);
  t.equal(left.length, 45);
  t.notOk(left.some((flow) => flow.zone === 5 || flow.family === 'inet6'), 'exactly the zone-5 and IPv6 flows are gone');
  t.equal(left.filter((flow) => flow.zone === 6).length, 10, 'zone 6 is untouched');
});

t.test('flow events: new, update and destroy as an async iterator, and overrun when the kernel drops events', async (t) => {
  const ns = makeNetns(t);
  const handle = await open({ netns: ns.name });
  t.teardown(() => handle.close());
  const events = handle.conntrack.events();
  const flow = { protocol: 'udp' as const, src: '192.0.2.1', dst: '192.0.2.2', sport: 4000, dport: 53 };
  await handle.conntrack.create({ ...flow, mark: 1 });
  await handle.conntrack.updateMark({ protocol: 'udp', original: flow }, 2);
  await handle.conntrack.delete({ protocol: 'udp', original: flow });
  const seen: FlowEvent[] = [];
  for await (const event of events) {
    seen.push(event);
    if (seen.length === 3) break;
  }
  t.same(seen.map((e) => e.type), ['new', 'update', 'destroy']);
  t.match(seen[0], { flow: { original: { sport: 4000 }, mark: 1 } });
  t.match(seen[1], { flow: { mark: 2 } });

  const small = handle.conntrack.events({ receiveBufferSize: 4096, types: ['new'] });
  await handle.conntrack.createMany(udpFlows(3000, 0));
  const kinds = new Set<string>();
  let count = 0;
  const timer = setTimeout(() => small.close(), 2000);
  for await (const event of small) {
    kinds.add(event.type);
    count++;
    if (kinds.has('overrun') && count > 10) break;
  }
  clearTimeout(timer);
  t.ok(kinds.has('overrun'), `an overrun was reported (${count} events read)`);
  t.ok(kinds.has('new'), 'and events still flow after it');
  small.close();

  // Events come unfiltered from the kernel: the mark and zone of a filter are checked on them too.
  const marked = handle.conntrack.events({ types: ['new'], filter: { mark: 65, zone: 3 } });
  await handle.conntrack.create({ protocol: 'udp', src: '198.51.100.1', dst: '198.51.100.2', sport: 1, dport: 53, mark: 1, zone: 3 });
  await handle.conntrack.create({ protocol: 'udp', src: '198.51.100.1', dst: '198.51.100.2', sport: 2, dport: 53, mark: 65 });
  await handle.conntrack.create({ protocol: 'udp', src: '198.51.100.1', dst: '198.51.100.2', sport: 3, dport: 53, mark: 65, zone: 3 });
  const first = await marked[Symbol.asyncIterator]().next();
  marked.close();
  t.match(first.value, { type: 'new', flow: { mark: 65, zone: 3, original: { sport: 3 } } }, 'the first event is the one flow with mark 65 in zone 3');
});

t.test('connmark: an nft rule saves the packet mark into the flow, routemark reads it back', async (t) => {
  const server = makeNetns(t);
  const client = makeNetns(t);
  addVeth(server, 'b0', 'a0', { address: '10.2.0.2/24', peerNetns: client, peerAddress: '10.2.0.1/24' });
  server.exec('nft', ['-f', '-'], `table ip connmark {
    chain out { type filter hook output priority 0; meta mark set 0x2a ct mark set meta mark; }
  }`);
  await startEchoServer(t, server, 'udp', 7000);
  t.ok(echo(client, 'udp', '10.2.0.2', 7000, 41000), 'the server answered');
  const handle = await open({ netns: server.name });
  t.teardown(() => handle.close());
  const flows = await handle.conntrack.list({ protocol: 'udp', dport: 7000 });
  t.equal(flows.length, 1);
  t.match(flows[0], { mark: 0x2a, original: { src: '10.2.0.1', sport: 41000 }, status: ['SEEN_REPLY', 'CONFIRMED'] });
  t.equal(toolFlows(server)[0]!.mark, 0x2a, 'the conntrack tool agrees');
  t.equal((await handle.conntrack.list({ mark: 0x2a })).length, 1, 'and the kernel-side mark filter finds it');
});
