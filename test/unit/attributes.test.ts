import t from 'tap';
import { Attributes, MessageWriter } from '../../src/netlink/attributes.js';
import { NLA_F_NESTED } from '../../src/netlink/constants.js';
import { parseMessages, messageAttributes } from '../../src/netlink/message.js';

t.test('attributes round trip, in host and network byte order, with nesting', async (t) => {
  const w = new MessageWriter(8); // tiny, to exercise growth
  w.beginMessage(100, 0x5, 77, 9);
  w.u32(0xdeadbeef); // a 4-byte family header
  w.attrU8(1, 0xab);
  w.attrU16(2, 0x1234);
  w.attrU32(3, 0xffffffff);
  w.attrBe16(4, 443);
  w.attrBe32(5, 0x0a000001);
  w.attrU64(6, 2n ** 63n + 5n);
  w.attrString(7, 'v0');
  w.attrFlag(8);
  w.beginNest(9, true);
  w.attrU32(1, 10);
  w.beginNest(2);
  w.attrString(1, 'inner');
  w.endNest();
  w.endNest();
  w.attrBytes(10, Uint8Array.from([1, 2, 3]));
  const length = w.endMessage();
  t.equal(length % 4, 0, 'message padded to 4 bytes');

  const [message] = parseMessages(Buffer.from(w.bytes()));
  t.ok(message);
  t.equal(message!.type, 100);
  t.equal(message!.flags, 5);
  t.equal(message!.seq, 77);
  t.equal(message!.portId, 9);
  const attrs = messageAttributes(message!, 4);
  t.equal(attrs.u8(1), 0xab);
  t.equal(attrs.u16(2), 0x1234);
  t.equal(attrs.u32(3), 0xffffffff);
  t.equal(attrs.be16(4), 443);
  t.equal(attrs.be32(5), 0x0a000001);
  t.equal(attrs.u64(6), 2n ** 63n + 5n);
  t.equal(attrs.string(7), 'v0');
  t.ok(attrs.has(8));
  t.notOk(attrs.has(11));
  t.equal(attrs.u32(11), undefined, 'absent is undefined');
  const nest = attrs.nested(9)!;
  t.equal(nest.u32(1), 10, 'nested attribute; NLA_F_NESTED masked from the type');
  t.equal(nest.nested(2)!.string(1), 'inner');
  t.same([...attrs.bytes(10)!], [1, 2, 3]);
  const raw = Buffer.from(w.bytes());
  const nestTypeOffset = raw.indexOf(Buffer.from([0x09, 0x80])); // type 9 | NLA_F_NESTED, little-endian
  t.ok(nestTypeOffset > 0 && (raw.readUInt16LE(nestTypeOffset) & NLA_F_NESTED) !== 0, 'NLA_F_NESTED is on the wire');
  t.equal(raw.readUInt16BE(raw.indexOf(Buffer.from([0x06, 0x00, 0x04, 0x00])) + 4), 443, 'be16 is big-endian on the wire');
});

t.test('truncated attributes are ignored, not read past the end', async (t) => {
  const data = Buffer.from([8, 0, 1, 0, 1, 0, 0, 0, 200, 0, 2, 0, 0, 0]);
  const attrs = new Attributes(data, 0, data.length);
  t.equal(attrs.u32(1), 1);
  t.notOk(attrs.has(2), 'an attribute claiming 200 bytes in a 14-byte buffer is dropped');
});

t.test('repeated attributes are all visible', async (t) => {
  const w = new MessageWriter();
  w.beginMessage(16, 0, 0);
  for (const n of [1, 2, 3]) {
    w.beginNest(1);
    w.attrU32(1, n);
    w.endNest();
  }
  w.endMessage();
  const attrs = messageAttributes(parseMessages(Buffer.from(w.bytes()))[0]!, 0);
  t.same(attrs.nestedAll(1).map((a) => a.u32(1)), [1, 2, 3]);
});

t.test('errno names cover what netlink families return, libuv knowing them or not', async (t) => {
  const { errnoName, errnoNumber } = await import('../../src/netlink/errno.js');
  t.equal(errnoName(17), 'EEXIST');
  t.equal(errnoName(85), 'ERESTART', 'nf_tables answers a stale generation with ERESTART');
  t.equal(errnoNumber('ERESTART'), 85);
  t.equal(errnoName(9999), 'E9999', 'unknown numbers keep their number');
});

t.test('every byte of a message is written: padding is zero even in reused, dirty memory', async (t) => {
  const w = new MessageWriter(256);
  w.raw(Buffer.alloc(256, 0xff)); // dirty the writer's memory
  w.reset();
  w.beginMessage(16, 1, 2);
  w.u8(7); // a 4-byte family header
  w.zeros(3);
  for (let size = 0; size <= 7; size++) w.attrBytes(size + 1, Uint8Array.from({ length: size }, () => 0x11));
  w.attrString(20, 'odd');
  w.attrU8(21, 1);
  w.attrU16(22, 2);
  w.attrBe16(23, 3);
  w.beginNest(24, true);
  w.attrString(1, 'nested-odd');
  w.endNest();
  w.endMessage();
  const bytes = Buffer.from(w.bytes());
  // Walk the attributes and check that everything between an attribute's end and the next
  // 4-byte boundary is zero.
  const check = (start: number, end: number) => {
    let offset = start;
    while (offset + 4 <= end) {
      const length = bytes.readUInt16LE(offset);
      const type = bytes.readUInt16LE(offset + 2);
      if (type & 0x8000) check(offset + 4, offset + length);
      for (let i = offset + length; i < ((offset + length + 3) & ~3); i++) t.equal(bytes[i], 0, `pad byte ${i} is zero`);
      offset = (offset + length + 3) & ~3;
    }
  };
  check(20, bytes.length);
  t.notOk(bytes.includes(0xff), 'no byte of the dirty memory survives');
});
