/**
 * What the decompiler cannot read comes back raw with every expression that fed it, never
 * dropped: sequences of expressions other writers (nft's ordered compares of host-order keys,
 * older routemark rules) put in the kernel. Pure: no kernel needed.
 */
import t from 'tap';
import { decompileRule } from '../../src/nft/decompile.js';
import type { ExprDescriptor } from '../../src/nft/expr/index.js';

const context = { family: 2, interfaces: undefined, setElements: () => undefined };
const rawNames = (expressions: ExprDescriptor[]) => decompileRule(expressions, context).map((s) => (s.raw ? s.raw.map((r) => r.expr) : Object.keys(s)[0]));

t.test('unreadable statements keep the loads and conversions that fed them', async (t) => {
  // meta length > 1000, as nft writes it: meta, byteorder hton, cmp gt
  t.same(rawNames([
    { expr: 'meta', key: 1, dreg: 1 },
    { expr: 'byteorder', sreg: 1, dreg: 1, op: 1, len: 4, size: 4 },
    { expr: 'cmp', sreg: 1, op: 5, data: Uint8Array.of(0, 0, 3, 0xe8) },
  ]), [['meta', 'byteorder', 'cmp']]);
  // meta mark set @th,0,32 with a conversion (as routemark wrote it before nft 1.0.6 showed
  // that it stores a big-endian value into the host-order mark as it is)
  t.same(rawNames([
    { expr: 'payload', dreg: 1, base: 2, offset: 0, len: 4 },
    { expr: 'byteorder', sreg: 1, dreg: 1, op: 0, len: 4, size: 4 },
    { expr: 'meta', key: 3, sreg: 1 },
  ]), [['payload', 'byteorder', 'meta']]);
  // rt mtu, hton, a mask after the conversion, then the MSS write: not what the compiler writes
  t.same(rawNames([
    { expr: 'rt', key: 3, dreg: 1 },
    { expr: 'byteorder', sreg: 1, dreg: 1, op: 1, len: 2, size: 2 },
    { expr: 'bitwise', sreg: 1, dreg: 1, len: 2, mask: Uint8Array.of(0x0f, 0xff), xor: Uint8Array.of(0, 0) },
    { expr: 'exthdr', sreg: 1, type: 2, offset: 2, len: 2, op: 1 },
    { expr: 'counter', packets: 0, bytes: 0 },
  ]), [['rt', 'byteorder', 'bitwise', 'exthdr'], 'counter']);
  // ct zone set numgen inc mod 2, as nft writes it: a 4-byte number into the 2-byte zone, which
  // the compiler refuses
  t.same(rawNames([
    { expr: 'numgen', dreg: 1, modulus: 2, type: 0, offset: 0 },
    { expr: 'ct', key: 17, sreg: 1 },
  ]), [['numgen', 'ct']]);
  // a jhash over fewer bytes than its source holds
  t.same(rawNames([
    { expr: 'payload', dreg: 2, base: 1, offset: 12, len: 4 },
    { expr: 'hash', sreg: 2, dreg: 1, len: 2, modulus: 2, offset: 0, type: 0 },
    { expr: 'meta', key: 3, sreg: 1 },
  ]), [['payload', 'hash', 'meta']]);
  // socket cgroupv2 at level 1 (nft cannot read back the JSON it prints for it)
  t.same(rawNames([
    { expr: 'socket', key: 3, dreg: 1, level: 1 },
    { expr: 'cmp', sreg: 1, op: 0, data: Uint8Array.of(1, 0, 0, 0, 0, 0, 0, 0) },
  ]), [['socket', 'cmp']]);
});

t.test('what the compiler writes reads back', async (t) => {
  t.same(decompileRule([
    { expr: 'rt', key: 3, dreg: 1 },
    { expr: 'byteorder', sreg: 1, dreg: 1, op: 1, len: 2, size: 2 },
    { expr: 'exthdr', sreg: 1, type: 2, offset: 2, len: 2, op: 1 },
  ], context), [{ mangle: { key: { 'tcp option': { name: 'maxseg', field: 'size' } }, value: { rt: { key: 'mtu' } } } }]);
  // meta mark set @th,0,32 as nft 1.0.6 writes it: no conversion (`nft --debug=netlink`)
  t.same(decompileRule([
    { expr: 'payload', dreg: 1, base: 2, offset: 0, len: 4 },
    { expr: 'meta', key: 3, sreg: 1 },
  ], context), [{ mangle: { key: { meta: { key: 'mark' } }, value: { payload: { base: 'th', offset: 0, len: 32 } } } }]);
});
