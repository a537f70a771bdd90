/**
 * SCTP flows: their state and verification tags, listed, filtered and created, against the
 * kernel (6.18) and the conntrack tool (1.4.7). The tool shows the state; the tags it does not
 * show are witnessed by what the kernel's SCTP tracker does with real packets that carry them
 * (a DATA chunk whose tag is not the flow's is invalid).
 */
import t from 'tap';
import { ValidationError, open, type FlowSpec } from '../../src/index.js';
import { toolFlows } from '../helpers/conntrack.js';
import { addVeth, makeNetns, type TeardownHost, type TestNetns } from '../helpers/netns.js';
import { rejection } from '../helpers/rejection.js';

async function fresh(t: TeardownHost) {
  const ns = makeNetns(t, 'rmct');
  const handle = await open({ netns: ns.name });
  t.teardown(() => handle.close());
  return { ns, handle };
}

const association: FlowSpec = { protocol: 'sctp', src: '192.0.2.1', dst: '192.0.2.2', sport: 5000, dport: 6000, timeout: 300 };

t.test('created SCTP flows list with their state in the tool and in routemark, and filter by it', async (t) => {
  const { ns, handle } = await fresh(t);
  await handle.conntrack.create({ ...association, sctpState: 'ESTABLISHED', sctpVtag: { original: 0x11223344, reply: 0x55667788 } });
  await handle.conntrack.create({ ...association, sport: 5001, sctpState: 'COOKIE_WAIT' });
  ns.exec('conntrack', ['-I', '-p', 'sctp', '-s', '192.0.2.1', '-d', '192.0.2.2', '--sport', '5002', '--dport', '6000', '--state', 'SHUTDOWN_SENT', '--orig-vtag', '7', '--reply-vtag', '8', '-t', '300']);
  const tool = toolFlows(ns, '-p', 'sctp').map((f) => `${f.original.sport} ${f.state}`).sort();
  t.same(tool, ['5000 ESTABLISHED', '5001 COOKIE_WAIT', '5002 SHUTDOWN_SENT'], 'conntrack -L shows each state');
  const listed = (await handle.conntrack.list({ protocol: 'sctp' })).sort((a, b) => a.original.sport! - b.original.sport!);
  t.same(listed.map((f) => `${f.original.sport} ${f.sctpState}`), tool, 'routemark lists the same states');
  t.same(listed[0]!.sctpVtag, { original: 0x11223344, reply: 0x55667788 }, 'and the tags given');
  t.same(listed[1]!.sctpVtag, { original: 0, reply: 0 }, 'tags default to 0');
  t.same((await handle.conntrack.list({ sctpState: 'COOKIE_WAIT' })).map((f) => f.original.sport), [5001], 'a filter by state');
  t.equal((await handle.conntrack.deleteWhere({ sctpState: 'SHUTDOWN_SENT' })).changed, 1, 'delete by state');
  t.same(toolFlows(ns, '-p', 'sctp').map((f) => f.original.sport).sort(), ['5000', '5001'], 'the tool sees it gone');
});

t.test("a created flow's verification tag is the one real SCTP packets must carry", async (t) => {
  const { ns, handle } = await fresh(t);
  addVeth(ns, 'v0', 'v1', { address: '192.0.2.1/24' });
  ns.exec('nft', ['-f', '-'], [
    'table inet count {',
    '  chain out {',
    '    type filter hook output priority 0;',
    '    meta l4proto sctp ct state established counter',
    '    meta l4proto sctp ct state invalid counter',
    '  }',
    '}',
  ].join('\n'));
  const counters = () =>
    (ns.nftJson().nftables as { rule?: { expr: { counter?: { packets: number } }[] } }[])
      .filter((o) => o.rule)
      .map((o) => o.rule!.expr.find((e) => e.counter)!.counter!.packets);
  // One DATA chunk from 192.0.2.1:5000 to 192.0.2.2:6000 with the given tag (checksum 0: the
  // tracker checks it only in prerouting).
  const send = (vtag: number) =>
    ns.exec('python3', ['-c', [
      'import socket, struct, sys',
      's = socket.socket(socket.AF_INET, socket.SOCK_RAW, 132)',
      "s.bind(('192.0.2.1', 0))",
      "chunk = struct.pack('!BBHIHHI', 0, 3, 20, 1, 0, 0, 0) + b'abcd'",
      "s.sendto(struct.pack('!HHII', 5000, 6000, int(sys.argv[1]), 0) + chunk, ('192.0.2.2', 0))",
    ].join('\n'), String(vtag)]);
  // Seen in both directions, so that a packet the tracker takes counts as established, not new.
  await handle.conntrack.create({ ...association, sctpState: 'ESTABLISHED', sctpVtag: { original: 0x01020304, reply: 9 }, status: ['SEEN_REPLY'] });
  send(0x01020304);
  t.same(counters(), [1, 0], 'a packet with the tag given (0x01020304 in the header): established');
  send(0x04030201);
  t.same(counters(), [1, 1], 'the same bytes swapped: invalid');
  const flow = (await handle.conntrack.list({ protocol: 'sctp' }))[0]!;
  t.same(flow.sctpVtag, { original: 0x01020304, reply: 9 }, 'listed with the tag as the header carries it');
});

t.test('bad SCTP states and tags are refused before any I/O', async (t) => {
  const { ns, handle } = await fresh(t);
  const cases: [FlowSpec, string][] = [
    [{ ...association, sctpState: 'OPEN' as never }, 'flow.sctpState'],
    [{ ...association, protocol: 'udp', sctpState: 'ESTABLISHED' }, 'flow.sctpState'],
    [{ ...association, sctpVtag: { original: 1, reply: 2 } }, 'flow.sctpVtag'],
    [{ ...association, sctpState: 'ESTABLISHED', sctpVtag: { original: 2 ** 32, reply: 2 } }, 'flow.sctpVtag.original'],
    [{ ...association, sctpState: 'ESTABLISHED', sctpVtag: { original: 1, peer: 2 } as never }, 'flow.sctpVtag.peer'],
  ];
  for (const [spec, field] of cases) {
    const error = await rejection(() => handle.conntrack.create(spec));
    t.ok(error instanceof ValidationError, `${JSON.stringify(spec)}: a ValidationError`);
    t.match(error, { field }, `naming ${field}`);
  }
  t.match(await rejection(() => handle.conntrack.list({ sctpState: 'OPEN' as never })), { field: 'filter.sctpState' }, 'list: a bad state');
  t.same(toolFlows(ns), [], 'no flow was made');
});
