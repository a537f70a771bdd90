/**
 * Rule templates: rules of one shape are compiled once and patched per rule. Whatever the
 * cache does, every NEWRULE message must equal the one a full compile writes, including for
 * rules that look alike but are not (a protocol match that changes dependencies, a prefix
 * written as a string, another address family).
 */
import t from 'tap';
import { parseCommands, buildTransaction } from '../../src/nft/transaction.js';
import { RuleTemplates } from '../../src/nft/template.js';
import type { Batch } from '../../src/netlink/batch.js';
import { MessageWriter } from '../../src/netlink/attributes.js';
import { writeElement, writeElements } from '../../src/nft/messages.js';
import { elementLayout, encodeElements, parseMapData, parseSetKey, writePlainElements } from '../../src/nft/sets.js';

/** NEWRULE messages of a batch, as hex. */
function ruleMessages(batch: Batch): string[] {
  const out: string[] = [];
  const bytes = batch.bytes();
  for (let i = 0; i < batch.messageCount; i++) {
    const message = bytes.subarray(batch.messageStart(i), batch.messageEnd(i));
    if (message.readUInt16LE(4) === ((10 << 8) | 6)) out.push(message.toString('hex'));
  }
  return out;
}

function rule(expr: unknown[], family = 'ip') {
  return { add: { rule: { family, table: 't', chain: 'c', expr } } };
}

/** Builds `rules` in one transaction (templates shared) and each alone (fresh cache each). */
function compare(rules: unknown[]): { shared: string[]; alone: string[]; hits: number } {
  const templates = new RuleTemplates();
  const commands = parseCommands(rules);
  const shared = ruleMessages(buildTransaction(commands, {}, { interfaces: undefined, knownSets: new Map(), templates }).batch);
  const alone = commands.toArray().flatMap((command) => ruleMessages(buildTransaction([command], {}, { interfaces: undefined, knownSets: new Map(), templates: new RuleTemplates() }).batch));
  return { shared, alone, hits: templates.hits };
}

const mark = (value: unknown) => ({ mangle: { key: { meta: { key: 'mark' } }, value } });
const match = (left: unknown, right: unknown, op = '==') => ({ match: { op, left, right } });
const saddr = { payload: { protocol: 'ip', field: 'saddr' } };
const dport = { payload: { protocol: 'tcp', field: 'dport' } };
const udpDport = { payload: { protocol: 'udp', field: 'dport' } };
const l4proto = { meta: { key: 'l4proto' } };

t.test('the bulk shape: ip saddr X meta mark set Y', async (t) => {
  const rules = Array.from({ length: 300 }, (_, i) => rule([match(saddr, `10.${i >> 8}.${i & 255}.1`), mark(i * 7)]));
  const { shared, alone, hits } = compare(rules);
  t.equal(shared.length, 300);
  t.equal(hits, 299, 'compiled once, then patched 299 times');
  t.same(shared, alone, 'every templated rule equals its full compile');
  t.equal(new Set(shared).size, 300, 'and they all differ');
});

t.test('shapes that look alike but compile differently fall back to a full compile', async (t) => {
  const rules = [
    rule([match(saddr, '10.0.0.1'), { accept: null }]),
    rule([match(saddr, '10.0.0.0/8'), { accept: null }]), // a prefix in a string: another shape of expressions
    rule([match(saddr, '10.0.0.2'), { accept: null }]),
    rule([match(l4proto, 'tcp'), match(dport, 22), { accept: null }]),
    // (`meta l4proto udp` before `tcp dport` is refused, as nft refuses it: compile-edge.test.ts.)
    rule([match(l4proto, 'udp'), match(udpDport, 22), { accept: null }]),
    rule([match(l4proto, 17), match(udpDport, 22), { accept: null }]),
    rule([match(saddr, { prefix: { addr: '10.1.0.0', len: 16 } }), { snat: { addr: '192.0.2.1' } }]),
    rule([match(saddr, { prefix: { addr: '10.2.0.0', len: 16 } }), { snat: { addr: '192.0.2.2' } }]),
    rule([match(saddr, { prefix: { addr: '10.2.0.0', len: 20 } }), { snat: { addr: '192.0.2.2' } }]),
    rule([match(saddr, { prefix: { addr: '10.2.16.0', len: 20 } }), { snat: { addr: '192.0.2.2' } }]),
    rule([match(dport, { range: [1, 1024] }), { dnat: { addr: '192.0.2.9', port: 22 } }]),
    rule([match(dport, { range: [2000, 3000] }), { dnat: { addr: '192.0.2.8', port: 23 } }]),
    rule([{ snat: { addr: '192.0.2.1' } }], 'inet'),
    rule([{ snat: { addr: '2001:db8::1' } }], 'inet'), // another family of NAT
    rule([match(saddr, '10.0.0.3'), mark('0x41')]),
    rule([match(saddr, '10.0.0.4'), mark(65)]),
    rule([match(saddr, '@allowed'), mark(1)]),
    rule([match(saddr, '@blocked'), mark(2)]),
    rule([match({ meta: { key: 'iifname' } }, 'eth0'), { accept: null }]),
    rule([match({ meta: { key: 'iifname' } }, 'eth*'), { accept: null }]),
  ];
  const { shared, alone } = compare(rules);
  t.same(shared, alone, 'every rule equals its full compile');
});

t.test('rules with comments or anonymous sets are compiled in full, and still come out right', async (t) => {
  const rules = [
    { add: { rule: { family: 'ip', table: 't', chain: 'c', comment: 'one', expr: [match(saddr, '10.0.0.1'), { accept: null }] } } },
    { add: { rule: { family: 'ip', table: 't', chain: 'c', comment: 'two', expr: [match(saddr, '10.0.0.2'), { accept: null }] } } },
    rule([match(dport, { set: [22, 80] }), { accept: null }]),
    rule([match(dport, { set: [23, 81] }), { accept: null }]),
  ];
  const { shared, alone, hits } = compare(rules);
  t.equal(hits, 0, 'no template was used');
  // Anonymous sets are numbered per transaction: the second one's lookup names set id 2 when
  // both share a transaction, 1 when alone; everything else is equal.
  t.same(shared.slice(0, 3), alone.slice(0, 3));
  // NFTA_LOOKUP_SET_ID: length 8, type 4, big-endian id.
  t.equal(shared[3], alone[3]!.replace('0800040000000001', '0800040000000002'), 'the last rule differs only in its set id');
});

t.test('bulk elements written as one block equal elements written one by one', async (t) => {
  const context = { interfaces: undefined };
  const cases: [string, unknown, string | undefined, unknown[]][] = [
    ['ipv4_addr : mark map', 'ipv4_addr', 'mark', Array.from({ length: 5000 }, (_, i) => [`10.0.${i >> 8}.${i & 255}`, i])],
    ['inet_service set', 'inet_service', undefined, Array.from({ length: 3000 }, (_, i) => i + 1)],
    ['mark : ipv4_addr map', 'mark', 'ipv4_addr', Array.from({ length: 100 }, (_, i) => [i, `192.0.2.${i}`])],
  ];
  for (const [what, type, map, values] of cases) {
    const key = parseSetKey(type, 'type');
    const data = map === undefined ? undefined : parseMapData(map, 'map');
    const layout = elementLayout(key, data, false)!;
    t.ok(layout, `${what}: has a fast layout`);
    const fast = writePlainElements(values, layout, data !== undefined, context)!;
    const doc = [{ add: { [map ? 'map' : 'set']: { family: 'ip', table: 't', name: 's', type, ...(map ? { map } : {}) } } }, { add: { element: { family: 'ip', table: 't', name: 's', elem: values } } }];
    const messages = (batch: Batch) => {
      const out: string[] = [];
      for (let i = 0; i < batch.messageCount; i++) {
        const bytes = batch.bytes().subarray(batch.messageStart(i), batch.messageEnd(i));
        if (bytes.readUInt16LE(4) === ((10 << 8) | 12)) out.push(bytes.toString('hex'));
      }
      return out;
    };
    const viaFast = messages(buildTransaction(parseCommands(doc), {}, { interfaces: undefined, knownSets: new Map(), templates: new RuleTemplates() }).batch);
    // The general path, element by element, as writeElement writes them.
    const elements = encodeElements(values, key, data, false, 'elem', context);
    const general: string[] = [];
    let i = 0;
    while (i < elements.length) {
      const chunk: typeof elements = [];
      let size = 0;
      while (i < elements.length && (chunk.length === 0 || size < 60000)) {
        const w = new MessageWriter(64);
        writeElement(w, elements[i]!, chunk.length);
        size += w.length;
        chunk.push(elements[i]!);
        i++;
      }
      const w = new MessageWriter();
      w.beginMessage((10 << 8) | 12, 0x401, 0);
      w.u8(2);
      w.u8(0);
      w.be16(0);
      writeElements(w, { set: 's', setId: 1, table: 't', elements: chunk });
      w.endMessage();
      general.push(Buffer.from(w.bytes()).toString('hex'));
    }
    t.equal(fast.length, values.length * layout.size);
    t.same(viaFast, general, `${what}: the same messages, split the same way (${general.length})`);
  }
});
