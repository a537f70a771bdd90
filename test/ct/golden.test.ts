/**
 * The ctnetlink encoders against golden bytes recorded from the real conntrack tool
 * (test/fixtures/ct/*.json, made by scripts/record-ct-fixtures.mjs), and decode round trips.
 */
import t from 'tap';
import { readFileSync, readdirSync } from 'node:fs';
import { Batch } from '../../src/netlink/batch.js';
import { NLA_F_NESTED, NLM_F_ACK } from '../../src/netlink/constants.js';
import { parseMessages } from '../../src/netlink/message.js';
import { CT_REQUESTS, encodeDump } from '../../src/ct/messages.js';
import { writeCreateRequest } from '../../src/ct/create.js';
import { decodeFlow, type FlowSpec } from '../../src/ct/flow.js';
import { compileFlowFilter, type FlowFilter } from '../../src/ct/filter.js';
import { repoUrl } from '../helpers/paths.js';

interface Fixture {
  name: string;
  command: string;
  kind: 'create' | 'dump';
  input: Record<string, unknown>;
  hex: string;
}

const dir = repoUrl('test/fixtures/ct/');
const fixtures = readdirSync(dir).filter((f) => f.endsWith('.json')).sort()
  .map((f) => JSON.parse(readFileSync(new URL(f, dir), 'utf8')) as Fixture);

/** Zeroes the padding after every attribute, recursing into nests (NLA_F_NESTED). */
function zeroPadding(bytes: Buffer, start: number, end: number): void {
  let offset = start;
  while (offset + 4 <= end) {
    const length = bytes.readUInt16LE(offset);
    const type = bytes.readUInt16LE(offset + 2);
    if (length < 4 || offset + length > end) return;
    if (type & NLA_F_NESTED) zeroPadding(bytes, offset + 4, offset + length);
    const padded = Math.min((offset + length + 3) & ~3, end);
    bytes.fill(0, offset + length, padded);
    offset = padded;
  }
}

function normalize(bytes: Buffer): Buffer {
  const copy = Buffer.from(bytes);
  copy.writeUInt16LE(copy.readUInt16LE(6) & ~NLM_F_ACK, 6);
  copy.writeUInt32LE(0, 8);
  zeroPadding(copy, 20, copy.length); // after nlmsghdr (16) and nfgenmsg (4)
  return copy;
}

function encode(fixture: Fixture): Buffer {
  const batch = new Batch();
  if (fixture.kind === 'create') {
    batch.add({ operation: 'test' }, CT_REQUESTS.create.type, CT_REQUESTS.create.flags, (w) => writeCreateRequest(w, fixture.input as unknown as FlowSpec, 'flow'));
  } else {
    const { kernel } = compileFlowFilter(fixture.input as FlowFilter);
    batch.add({ operation: 'test' }, CT_REQUESTS.dump.type, CT_REQUESTS.dump.flags, (w) => encodeDump(w, kernel));
  }
  return Buffer.from(batch.bytes());
}

t.ok(fixtures.length >= 5, 'fixtures are present');
for (const fixture of fixtures) {
  t.test(`${fixture.name}: ${fixture.command}`, async (t) => {
    const expected = normalize(Buffer.from(fixture.hex.replace(/\s+/g, ''), 'hex'));
    t.equal(normalize(encode(fixture)).toString('hex'), expected.toString('hex'), 'same bytes as the conntrack tool');
  });
}

t.test('a created flow decodes back to what was asked', async (t) => {
  for (const fixture of fixtures.filter((f) => f.kind === 'create')) {
    const flow = decodeFlow(parseMessages(encode(fixture))[0]!);
    const input = fixture.input as unknown as FlowSpec;
    t.equal(flow.protocol, input.protocol, `${fixture.name}: protocol`);
    t.match(flow.original, { src: input.src, dst: input.dst }, `${fixture.name}: original tuple`);
    t.match(flow.reply, { src: input.dst, dst: input.src }, `${fixture.name}: reply tuple is the inverse`);
    t.equal(flow.mark, input.mark, `${fixture.name}: mark`);
    t.equal(flow.zone, input.zone, `${fixture.name}: zone`);
    t.equal(flow.timeout, input.timeout, `${fixture.name}: timeout`);
    if (input.tcpState) t.equal(flow.tcpState, input.tcpState, `${fixture.name}: tcp state`);
    if (input.status) t.same(flow.status, [...input.status, 'CONFIRMED'], `${fixture.name}: status (CONFIRMED added)`);
  }
});

t.test('creates written from templates are byte for byte the general encoder\'s', async (t) => {
  const { CreateTemplates, checkCreate, writeChecked } = await import('../../src/ct/create.js');
  const shapes: FlowSpec[] = [
    { protocol: 'udp', src: '192.0.2.1', dst: '192.0.2.2', sport: 1, dport: 53 },
    { protocol: 'tcp', src: '10.0.0.1', dst: '10.0.0.2', sport: 40000, dport: 443, mark: 7, tcpState: 'SYN_SENT' },
    { protocol: 'icmp', src: '203.0.113.1', dst: '203.0.113.2', icmpType: 8, icmpCode: 0, icmpId: 9, zone: 3 },
    { protocol: 'icmpv6', src: '2001:db8::1', dst: '2001:db8::2', icmpType: 128, icmpId: 4 },
    { protocol: 'udp', src: '2001:db8::1', dst: '2001:db8::2', sport: 5, dport: 6, mark: 0, status: ['ASSURED'] },
    { protocol: 'gre', src: '198.51.100.1', dst: '198.51.100.2', timeout: 30 },
    { protocol: 'tcp', src: '10.0.0.1', dst: '10.0.0.2', sport: 1, dport: 2, reply: { src: '10.9.9.9', dst: '10.0.0.1', sport: 80, dport: 1 } },
  ];
  // Several flows of every shape, interleaved, with values that differ from the template's.
  const flows: FlowSpec[] = [];
  for (let i = 0; i < 40; i++) {
    const base = shapes[i % shapes.length]!;
    const flow: FlowSpec = { ...base, timeout: 10 + i };
    if (base.src.includes(':')) flow.src = `2001:db8::${(i + 1).toString(16)}`;
    else flow.src = `10.1.${i}.${(i * 7) % 256}`;
    if (base.sport !== undefined) flow.sport = 1000 + i;
    if (base.mark !== undefined) flow.mark = i * 1000;
    if (base.zone !== undefined) flow.zone = i;
    if (base.icmpId !== undefined) flow.icmpId = i;
    if (base.tcpState !== undefined) flow.tcpState = i % 2 ? 'ESTABLISHED' : 'TIME_WAIT';
    if (base.reply !== undefined) flow.reply = { ...base.reply, dport: 2000 + i, dst: flow.src };
    flows.push(flow);
  }
  const fromTemplates = new Batch();
  const templates = new CreateTemplates(CT_REQUESTS.create.type, CT_REQUESTS.create.flags);
  const general = new Batch();
  flows.forEach((flow, i) => {
    const checked = checkCreate(flow, `flows[${i}]`);
    templates.append(fromTemplates, fromTemplates.operation({ operation: 't', index: i }), checked);
    general.add({ operation: 'g', index: i }, CT_REQUESTS.create.type, CT_REQUESTS.create.flags, (w) => writeChecked(w, checked));
  });
  t.equal(fromTemplates.messageCount, flows.length);
  t.equal(Buffer.from(fromTemplates.bytes()).toString('hex'), Buffer.from(general.bytes()).toString('hex'), 'the same bytes for every flow');
  const decoded = parseMessages(Buffer.from(fromTemplates.bytes())).map(decodeFlow);
  t.equal(decoded[7]!.original.sport, 1007, 'constants are those of each flow, not the template\'s');
  t.equal(decoded[8]!.mark, 8000);
});

t.test('the unchecked fast path (IPv4 tcp/udp) writes the general encoder\'s bytes and refuses what it refuses', async (t) => {
  const { CreateTemplates, checkCreate, writeChecked } = await import('../../src/ct/create.js');
  const flows: FlowSpec[] = [];
  for (let i = 0; i < 30; i++) {
    const flow: FlowSpec = { protocol: i % 3 ? 'udp' : 'tcp', src: `10.2.${i}.1`, dst: `198.51.100.${i + 1}`, sport: 2000 + i, dport: 53 + i };
    if (i % 2) flow.mark = i;
    if (i % 5 === 0) flow.zone = i;
    if (i % 4 === 0) flow.timeout = 60 + i;
    if (i % 6 === 0) flow.tcpState = 'SYN_RECV';
    if (i === 7) flow.family = 'inet';
    if (i === 9) flow.status = ['ASSURED']; // a shape the fast path hands to the general one
    flows.push(flow);
  }
  // Runs of flows that share addresses (parsed once per run), with other shapes in between.
  for (let i = 0; i < 6; i++) flows.push({ protocol: i === 3 ? 'tcp' : 'udp', src: '10.9.9.9', dst: '192.0.2.53', sport: 3000 + i, dport: 53, mark: i });
  flows.push({ protocol: 'udp', src: '2001:db8::9', dst: '2001:db8::53', sport: 1, dport: 53 }, { protocol: 'udp', src: '10.9.9.9', dst: '192.0.2.54', sport: 1, dport: 53 });
  const fast = new Batch();
  const templates = new CreateTemplates(CT_REQUESTS.create.type, CT_REQUESTS.create.flags);
  const general = new Batch();
  const checked = templates.check(flows);
  t.equal(checked.count, flows.length);
  flows.forEach((flow, i) => {
    checked.write(fast, fast.operation({ operation: 'f', index: i }), i);
    general.add({ operation: 'g', index: i }, CT_REQUESTS.create.type, CT_REQUESTS.create.flags, (w) => writeChecked(w, checkCreate(flow, `flows[${i}]`)));
  });
  t.equal(Buffer.from(fast.bytes()).toString('hex'), Buffer.from(general.bytes()).toString('hex'), 'the same bytes');
  // The bulk path writes runs of fast-path flows as words, the others one by one, in chunks
  // that start anywhere: the same bytes again, each message with its flow's index.
  t.ok(templates.list.filter((template) => (template as { words?: Uint32Array }).words !== undefined).length >= 4, 'the fast-path shapes have a word layout (and so take the word path)');
  const runs = new Batch();
  for (const [from, to] of [[0, 5], [5, 9], [9, 10], [10, 31], [31, flows.length]] as const) checked.writeRun(runs, from, to, 'r');
  t.equal(Buffer.from(runs.bytes()).toString('hex'), Buffer.from(general.bytes()).toString('hex'), 'word runs write the same bytes');
  t.same(runs.operations.map((op) => op.index), flows.map((_, i) => i), 'each message is its flow\'s operation');
  const refused: [FlowSpec, string][] = [
    [{ protocol: 'udp', src: '10.0.0.1', dst: '10.0.0.2', sport: 70000, dport: 1 }, 'flows[4].sport'],
    [{ protocol: 'udp', src: '10.0.0.300', dst: '10.0.0.2', sport: 1, dport: 1 }, 'flows[4].src'],
    [{ protocol: 'tcp', src: '10.0.0.1', dst: '10.0.0.2', sport: 1, dport: 1, tcpState: 'NOPE' as never }, 'flows[4].tcpState'],
    [{ protocol: 'udp', src: '10.0.0.1', dst: '10.0.0.2', sport: 1, dport: 1, mark: 2 ** 32 }, 'flows[4].mark'],
    [{ protocol: 'udp', src: '10.0.0.1', dst: '10.0.0.2', sport: 1, dport: 1, srcc: 1 } as unknown as FlowSpec, 'flows[4].srcc'],
    [{ protocol: 'udp', src: '10.0.0.1', dst: '10.0.0.2', sport: 1, dport: 1, tcpState: 'ESTABLISHED' }, 'flows[4].tcpState'],
  ];
  for (const [flow, field] of refused) {
    t.throws(() => templates.check([...flows.slice(0, 4), flow, ...flows.slice(4)]), { name: 'ValidationError', field }, field);
  }
});
