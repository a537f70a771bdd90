/**
 * libnftnl is the oracle for writing: for every expression form (each expression kind with all
 * of its attributes, and every rule, set, chain and table of the golden fixtures as routemark
 * compiles them), the bytes TypeScript writes equal the bytes libnftnl builds from the same
 * descriptor. Needs the addon, not root.
 */
import assert from 'node:assert/strict';
import t from 'tap';
import { MessageWriter } from '../../src/netlink/attributes.js';
import { NLM_F_APPEND, NLM_F_CREATE, NLM_F_REQUEST } from '../../src/netlink/constants.js';
import { native } from '../../src/native.js';
import { compileRule, type RuleContext } from '../../src/nft/compile.js';
import { NFT_MSG_NEWCHAIN, NFT_MSG_NEWOBJ, NFT_MSG_NEWRULE, NFT_MSG_NEWSET, NFT_MSG_NEWSETELEM, NFT_MSG_NEWTABLE, NFT_OBJECT_COUNTER, NFT_OBJECT_QUOTA, nftMessageType } from '../../src/nft/constants.js';
import type { ExprDescriptor } from '../../src/nft/expr/index.js';
import { writeChain, writeElements, writeNfgenmsg, writeObject, writeRule, writeSet, writeTable, type ChainMessage, type ElementsMessage, type ObjectMessage, type RuleMessage, type SetMessage, type TableMessage } from '../../src/nft/messages.js';
import { FAMILIES, parseChain, parseObject, parseSet, parseTable } from '../../src/nft/objects.js';
import { encodeElements } from '../../src/nft/sets.js';
import { loadFixtures } from './helpers.js';

type Kind = 'rule' | 'table' | 'chain' | 'set' | 'elements' | 'obj';
const writers = {
  rule: (w: MessageWriter, d: unknown) => writeRule(w, d as RuleMessage),
  table: (w: MessageWriter, d: unknown) => writeTable(w, d as TableMessage),
  chain: (w: MessageWriter, d: unknown) => writeChain(w, d as ChainMessage),
  set: (w: MessageWriter, d: unknown) => writeSet(w, d as SetMessage),
  elements: (w: MessageWriter, d: unknown) => writeElements(w, d as ElementsMessage),
  obj: (w: MessageWriter, d: unknown) => writeObject(w, d as ObjectMessage),
};
const MSG = { rule: NFT_MSG_NEWRULE, table: NFT_MSG_NEWTABLE, chain: NFT_MSG_NEWCHAIN, set: NFT_MSG_NEWSET, elements: NFT_MSG_NEWSETELEM, obj: NFT_MSG_NEWOBJ };

/** The message TypeScript writes and the one libnftnl builds, from the same descriptor. */
function both(kind: Kind, family: number, descriptor: object): [Buffer, Buffer] {
  const type = nftMessageType(MSG[kind]);
  const flags = NLM_F_REQUEST | NLM_F_CREATE | NLM_F_APPEND;
  const w = new MessageWriter();
  w.beginMessage(type, flags, 42);
  writeNfgenmsg(w, family);
  writers[kind](w, descriptor);
  w.endMessage();
  return [Buffer.from(w.bytes()), native().nftBuild(kind, type, family, flags, 42, descriptor)];
}

const b = (...bytes: number[]) => Uint8Array.from(bytes);

/** Every expression kind with every attribute libnftnl knows for it. */
const EXPRESSION_FORMS: Record<string, ExprDescriptor[]> = {
  payload: [
    { expr: 'payload', dreg: 1, base: 1, offset: 12, len: 4 },
    { expr: 'payload', sreg: 1, base: 2, offset: 2, len: 2, csumType: 1, csumOffset: 16, csumFlags: 1 },
  ],
  meta: [
    { expr: 'meta', key: 3, dreg: 1 },
    { expr: 'meta', key: 3, sreg: 1 },
  ],
  ct: [
    { expr: 'ct', key: 3, dreg: 1 },
    { expr: 'ct', key: 11, dreg: 9, dir: 1 },
    { expr: 'ct', key: 3, sreg: 1 },
  ],
  cmp: [
    { expr: 'cmp', sreg: 1, op: 0, data: b(6) },
    { expr: 'cmp', sreg: 1, op: 5, data: b(0x65, 0x74, 0x68, 0x30, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0) },
  ],
  range: [{ expr: 'range', sreg: 1, op: 1, from: b(10, 0, 0, 1), to: b(10, 0, 0, 9) }],
  bitwise: [
    { expr: 'bitwise', sreg: 1, dreg: 1, len: 4, mask: b(0xff, 0xff, 0xf0, 0), xor: b(0, 0, 0, 0) },
    { expr: 'bitwise', sreg: 1, dreg: 2, len: 4, op: 1, data: b(0, 0, 0, 8) },
  ],
  immediate: [
    { expr: 'immediate', dreg: 1, data: b(0x41, 0, 0, 0) },
    { expr: 'immediate', dreg: 0, verdict: 1 },
    { expr: 'immediate', dreg: 0, verdict: 0 },
    { expr: 'immediate', dreg: 0, verdict: -3, chain: 'other' },
    { expr: 'immediate', dreg: 0, verdict: -4, chain: 'other' },
    { expr: 'immediate', dreg: 0, verdict: -5 },
  ],
  counter: [{ expr: 'counter', packets: 10, bytes: 2000 }, { expr: 'counter' }],
  lookup: [
    { expr: 'lookup', sreg: 1, set: 'allowed', flags: 0 },
    { expr: 'lookup', sreg: 1, dreg: 1, set: '__map%d', setId: 3, flags: 1 },
  ],
  nat: [
    { expr: 'nat', type: 0, family: 2, regAddrMin: 1 },
    { expr: 'nat', type: 1, family: 10, regAddrMin: 1, regAddrMax: 2, regProtoMin: 3, regProtoMax: 4, flags: 0x1e },
  ],
  masq: [{ expr: 'masq' }, { expr: 'masq', flags: 6, regProtoMin: 1, regProtoMax: 2 }],
  redir: [{ expr: 'redir' }, { expr: 'redir', regProtoMin: 1, regProtoMax: 2, flags: 2 }],
  log: [
    { expr: 'log' },
    { expr: 'log', prefix: 'routemark: ', level: 6, flags: 0x2f },
    { expr: 'log', prefix: 'x', group: 3, snaplen: 128, qthreshold: 10 },
  ],
  limit: [
    { expr: 'limit', rate: 10, unit: 1, burst: 5, type: 0, flags: 0 },
    { expr: 'limit', rate: 1048576, unit: 60, burst: 65536, type: 1, flags: 1 },
  ],
  reject: [
    { expr: 'reject', type: 0, code: 3 },
    { expr: 'reject', type: 1 },
  ],
  exthdr: [
    { expr: 'exthdr', dreg: 1, type: 2, offset: 2, len: 2, op: 1, flags: 0 },
    { expr: 'exthdr', dreg: 1, type: 4, offset: 0, len: 1, op: 1, flags: 1 },
    { expr: 'exthdr', sreg: 1, type: 8, offset: 6, len: 4, op: 1 },
  ],
  rt: [{ expr: 'rt', key: 3, dreg: 1 }],
  quota: [{ expr: 'quota', bytes: 104857600, flags: 0 }, { expr: 'quota', bytes: 1073741824, consumed: 10485760, flags: 1 }],
  notrack: [{ expr: 'notrack' }],
  numgen: [
    { expr: 'numgen', dreg: 1, modulus: 2, type: 0, offset: 10 },
    { expr: 'numgen', dreg: 9, modulus: 4, type: 1, offset: 0 },
  ],
  hash: [
    { expr: 'hash', sreg: 2, dreg: 1, len: 4, modulus: 2, offset: 10, type: 0 },
    { expr: 'hash', sreg: 2, dreg: 1, len: 8, modulus: 2, seed: 0xdead, offset: 0, type: 0 },
    { expr: 'hash', dreg: 1, modulus: 2, offset: 100, type: 1 },
  ],
  socket: [
    { expr: 'socket', key: 0, dreg: 1 },
    { expr: 'socket', key: 3, dreg: 1, level: 1 },
  ],
  tproxy: [
    { expr: 'tproxy', family: 2, regAddr: 1, regPort: 2 },
    { expr: 'tproxy', family: 0, regPort: 1 },
  ],
  dynset: [
    { expr: 'dynset', sregKey: 1, op: 0, set: 'seen' },
    { expr: 'dynset', sregKey: 1, sregData: 2, op: 1, timeout: 60000, set: 'sticky', setId: 3, flags: 0 },
    { expr: 'dynset', sregKey: 1, op: 2, set: 'seen', setId: 1 },
  ],
  connlimit: [{ expr: 'connlimit', count: 4, flags: 1 }, { expr: 'connlimit', count: 0, flags: 0 }],
  dup: [{ expr: 'dup', sregAddr: 1 }, { expr: 'dup', sregAddr: 1, sregDev: 2 }],
  synproxy: [{ expr: 'synproxy', mss: 1460, wscale: 7, flags: 0xf }, { expr: 'synproxy', mss: 0, wscale: 0, flags: 0 }],
  objref: [
    { expr: 'objref', type: 1, name: 'up1' },
    { expr: 'objref', type: 2, name: 'q1' },
    { expr: 'objref', setSreg: 1, set: '__objmap%d', setId: 4 },
  ],
  byteorder: [{ expr: 'byteorder', sreg: 1, dreg: 1, op: 1, len: 2, size: 2 }],
  fib: [
    { expr: 'fib', dreg: 1, result: 1, flags: 0x29 },
    { expr: 'fib', dreg: 1, result: 3, flags: 2 },
  ],
};

t.test('every expression kind with every attribute: TypeScript bytes == libnftnl bytes', async (t) => {
  for (const [kind, forms] of Object.entries(EXPRESSION_FORMS)) {
    forms.forEach((expr, i) => {
      const [ours, theirs] = both('rule', 2, { table: 't', chain: 'c', expr: [expr] });
      t.equal(ours.toString('hex'), theirs.toString('hex'), `${kind} form ${i}: ${JSON.stringify(expr, (_k, v: unknown) => (v instanceof Uint8Array ? Buffer.from(v).toString('hex') : v))}`);
    });
  }
  const [ours, theirs] = both('rule', 1, { table: 't', chain: 'c', handle: 7, position: 3, userdata: b(0, 3, 0x61, 0x62, 0), id: 9, positionId: 4, expr: Object.values(EXPRESSION_FORMS).flat() });
  t.equal(ours.toString('hex'), theirs.toString('hex'), 'a rule with every form, handle, position, userdata and ids');
  t.equal(ours.length > 1000, true, 'and it is not trivially short');
});

t.test('counter and quota objects with every attribute, and as delete names them: TypeScript bytes == libnftnl bytes', async (t) => {
  const forms: ObjectMessage[] = [
    { table: 't', name: 'up1', type: NFT_OBJECT_COUNTER, counter: { packets: 5, bytes: 300 } },
    { table: 't', name: 'up1', type: NFT_OBJECT_COUNTER, handle: 7, userdata: b(0, 3, 0x61, 0x62, 0), counter: { packets: 0, bytes: 0 } },
    { table: 't', name: 'q1', type: NFT_OBJECT_QUOTA, quota: { bytes: 10485760, consumed: 1048576, flags: 1 } },
    { table: 't', name: 'q1', type: NFT_OBJECT_QUOTA },
    { table: 't', type: NFT_OBJECT_COUNTER, handle: 9 },
  ];
  forms.forEach((form, i) => {
    const [ours, theirs] = both('obj', 2, form);
    t.equal(ours.toString('hex'), theirs.toString('hex'), `object form ${i}`);
  });
});

t.test('every golden fixture as routemark compiles it: TypeScript bytes == libnftnl bytes', async (t) => {
  const interfaces = { index: (name: string) => (name === 'lo' ? 1 : undefined), name: (index: number) => (index === 1 ? 'lo' : undefined) };
  for (const fixture of loadFixtures()) {
    const family = FAMILIES.get(fixture.table.family)!;
    let setId = 0;
    const namedSets = new Map(fixture.objects.filter((o) => 'set' in o || 'map' in o).map((o) => {
      const [key, body] = Object.entries(o)[0]!;
      return [body.name as string, parseSet(body, key, key === 'map')];
    }));
    const namedSet = (name: string) => namedSets.get(name) ?? assert.fail(`${fixture.name}: no set ${name}`);
    const context: RuleContext = { family, table: fixture.table.name, interfaces, nextSetId: () => ++setId, namedSet };
    const compiled = compileRule(fixture.rule, context, 'rule');
    const rule = { table: fixture.table.name, chain: 'c', expr: compiled.expressions, userdata: compiled.userdata };
    const messages: [string, Kind, object][] = [[`rule`, 'rule', rule]];
    for (const { set, elements } of compiled.anonymousSets) {
      messages.push(['anonymous set', 'set', set], ['anonymous set elements', 'elements', { table: set.table, set: set.name, setId: set.id, elements }]);
    }
    const table = parseTable(fixture.table, 'table');
    messages.push(['table', 'table', table.message], ['chain', 'chain', parseChain(fixture.chain, 'chain').message]);
    for (const object of fixture.objects) {
      const [key, body] = Object.entries(object)[0]!;
      if (key === 'chain') continue;
      if (key === 'counter' || key === 'quota') {
        messages.push([`${key} ${String(body.name)}`, 'obj', parseObject(key, body, key).message]);
        continue;
      }
      const definition = parseSet(body, key, key === 'map');
      messages.push([`${key} ${String(body.name)}`, 'set', definition.message]);
      if (definition.elements) {
        const elements = encodeElements(definition.elements, definition.key, definition.data, definition.interval, 'elem', context);
        messages.push([`${key} ${String(body.name)} elements`, 'elements', { table: definition.message.table, set: definition.message.name, elements }]);
      }
    }
    for (const [what, kind, descriptor] of messages) {
      const [ours, theirs] = both(kind, family, descriptor);
      t.equal(ours.toString('hex'), theirs.toString('hex'), `${fixture.name}: ${what}`);
    }
  }
});
