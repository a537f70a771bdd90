import { endianness } from 'node:os';
import { NLA_HDRLEN, NLA_F_NESTED, NLA_TYPE_MASK, NLMSG_HDRLEN } from './constants.js';

/** Netlink's own fields are in host order; nf_tables and ctnetlink values are big-endian. */
export const HOST_IS_LITTLE_ENDIAN = endianness() === 'LE';

/** The 32-bit word that holds two host-order u16 fields, `first` at the lower address. */
export function hostPair16(first: number, second: number): number {
  return HOST_IS_LITTLE_ENDIAN ? (first & 0xffff) | (second << 16) : (first << 16) | (second & 0xffff);
}

/** The 32-bit word that holds four bytes, `a` at the lowest address (read as a host-order word). */
export function hostBytes4(a: number, b: number, c: number, d: number): number {
  return HOST_IS_LITTLE_ENDIAN ? (a & 0xff) | ((b & 0xff) << 8) | ((c & 0xff) << 16) | (d << 24) : (a << 24) | ((b & 0xff) << 16) | ((c & 0xff) << 8) | (d & 0xff);
}

/** The host-order word whose bytes are `value` in network (big-endian) order. */
export function networkWord(value: number): number {
  return HOST_IS_LITTLE_ENDIAN ? ((value & 0xff) << 24) | ((value & 0xff00) << 8) | ((value >>> 8) & 0xff00) | (value >>> 24) : value;
}

/** The host-order word whose first two bytes are `value` (16 bits) in network order, then two zero bytes: a padded be16 attribute value. */
export function networkHalfWord(value: number): number {
  return networkWord((value & 0xffff) << 16);
}

/** Rounds up to netlink's 4-byte alignment (NLMSG_ALIGN / NLA_ALIGN). */
export function align4(n: number): number {
  return (n + 3) & ~3;
}

const textEncoder = new TextEncoder();

/**
 * Writes netlink messages back to back into one growing buffer: headers, fixed family headers
 * and attributes (nested, in host or network byte order). One writer builds a whole batch, so
 * the batch is sent with one system call and no copying.
 */
export class MessageWriter {
  private buffer: Buffer;
  private dataView: DataView;
  /** The buffer as host-order words, made on demand (see {@link words}). */
  private wordView: Uint32Array | undefined;
  private position = 0;
  private messageStart = -1;
  private readonly nestStarts: number[] = [];

  constructor(initialCapacity = 4096) {
    // Not zero-filled: every byte up to `length` is written explicitly (padding included), and
    // nothing past it is ever sent. Zero-filling a 20 MB batch first was a pass over memory.
    this.buffer = Buffer.allocUnsafe(initialCapacity);
    this.dataView = new DataView(this.buffer.buffer, this.buffer.byteOffset, this.buffer.byteLength);
  }

  /** Bytes written so far. */
  get length(): number {
    return this.position;
  }

  /** The bytes written so far (a view, not a copy). */
  bytes(): Buffer {
    return this.buffer.subarray(0, this.position);
  }

  /** Forgets everything written, keeping the memory. */
  reset(): void {
    this.position = 0;
    this.messageStart = -1;
    this.nestStarts.length = 0;
  }

  /** Makes room for n more bytes. */
  reserve(n: number): void {
    const needed = this.position + n;
    if (needed <= this.buffer.length) return;
    let capacity = this.buffer.length * 2;
    while (capacity < needed) capacity *= 2;
    const next = Buffer.allocUnsafe(capacity);
    this.buffer.copy(next, 0, 0, this.position);
    this.setBuffer(next);
  }

  /**
   * The buffer as host-order 32-bit words, with room for `n` more bytes: for bulk writers of
   * fixed-layout messages, which write whole words (a typed-array store each, several times
   * cheaper than DataView calls). Start at word `length / 4`, then {@link advanceTo} the end.
   * Valid until the next write that grows the buffer.
   */
  words(n: number): Uint32Array {
    if (this.messageStart >= 0) throw new Error('MessageWriter: a message is open');
    if ((this.position & 3) !== 0) throw new Error('MessageWriter: not at a word boundary');
    this.reserve(n);
    if ((this.buffer.byteOffset & 3) !== 0) {
      // Pooled buffers are 8-aligned in Node; should that ever change, leave the pool.
      const next = Buffer.allocUnsafeSlow(this.buffer.length);
      this.buffer.copy(next, 0, 0, this.position);
      this.setBuffer(next);
    }
    let words = this.wordView;
    if (words === undefined || words.buffer !== this.buffer.buffer || words.byteOffset !== this.buffer.byteOffset) {
      words = this.wordView = new Uint32Array(this.buffer.buffer, this.buffer.byteOffset, this.buffer.length >>> 2);
    }
    return words;
  }

  /** Moves the end of what is written to byte `end` (a word boundary inside the room {@link words} made). */
  advanceTo(end: number): void {
    if ((end & 3) !== 0 || end < this.position || end > this.buffer.length) throw new Error(`MessageWriter: cannot advance to ${end}`);
    this.position = end;
  }

  private setBuffer(next: Buffer): void {
    this.buffer = next;
    this.dataView = new DataView(next.buffer, next.byteOffset, next.byteLength);
  }

  /** Starts a message; returns its offset. End it with {@link endMessage}. */
  beginMessage(type: number, flags: number, seq: number, portId = 0): number {
    if (this.messageStart >= 0) throw new Error('MessageWriter: previous message not ended');
    this.reserve(NLMSG_HDRLEN);
    const start = this.position;
    this.putHeader(start, 0, type, flags, seq, portId);
    this.position += NLMSG_HDRLEN;
    this.messageStart = start;
    return start;
  }

  /** Writes an nlmsghdr at `start` (room reserved by the caller). */
  private putHeader(start: number, length: number, type: number, flags: number, seq: number, portId: number): void {
    const v = this.dataView;
    v.setUint32(start, length, HOST_IS_LITTLE_ENDIAN);
    v.setUint16(start + 4, type, HOST_IS_LITTLE_ENDIAN);
    v.setUint16(start + 6, flags, HOST_IS_LITTLE_ENDIAN);
    v.setUint32(start + 8, seq >>> 0, HOST_IS_LITTLE_ENDIAN);
    v.setUint32(start + 12, portId >>> 0, HOST_IS_LITTLE_ENDIAN);
  }

  /**
   * Starts a message from pre-built header bytes (nlmsghdr, then whatever fixed header the
   * family has): for bulk writers whose every message starts the same. The length and sequence
   * number are filled in later, as for {@link beginMessage}.
   */
  beginMessageRaw(header: Uint8Array): number {
    if (this.messageStart >= 0) throw new Error('MessageWriter: previous message not ended');
    const start = this.position;
    this.raw(header);
    this.messageStart = start;
    return start;
  }

  /** Ends the current message: writes its length and pads it to 4 bytes. Returns the length. */
  endMessage(): number {
    if (this.messageStart < 0) throw new Error('MessageWriter: no message started');
    if (this.nestStarts.length > 0) throw new Error('MessageWriter: unclosed nested attribute');
    this.pad();
    const length = this.position - this.messageStart;
    this.dataView.setUint32(this.messageStart, length, HOST_IS_LITTLE_ENDIAN);
    this.messageStart = -1;
    return length;
  }

  /** Appends already-encoded bytes (a whole message or part of one). */
  raw(bytes: Uint8Array): void {
    this.reserve(bytes.length);
    this.buffer.set(bytes, this.position);
    this.position += bytes.length;
  }

  /**
   * Overwrites bytes already written, at `offset` from the start of the buffer: for templates,
   * where a message is copied whole and only its constants change.
   */
  patchU8(offset: number, value: number): void {
    this.buffer[offset] = value;
  }
  patchBe16(offset: number, value: number): void {
    this.dataView.setUint16(offset, value, false);
  }
  patchBe32(offset: number, value: number): void {
    this.dataView.setUint32(offset, value >>> 0, false);
  }
  patchU32(offset: number, value: number): void {
    this.dataView.setUint32(offset, value >>> 0, HOST_IS_LITTLE_ENDIAN);
  }
  patchBytes(offset: number, bytes: Uint8Array): void {
    this.buffer.set(bytes, offset);
  }

  /** Appends bytes [start, end) of `source`, without making a view of them. */
  copyFrom(source: Buffer, start: number, end: number): void {
    this.reserve(end - start);
    this.position += source.copy(this.buffer, this.position, start, end);
  }

  /** Fixed-header fields, written in host order. */
  u8(value: number): void {
    this.reserve(1);
    this.dataView.setUint8(this.position, value);
    this.position += 1;
  }
  u16(value: number): void {
    this.reserve(2);
    this.dataView.setUint16(this.position, value, HOST_IS_LITTLE_ENDIAN);
    this.position += 2;
  }
  u32(value: number): void {
    this.reserve(4);
    this.dataView.setUint32(this.position, value >>> 0, HOST_IS_LITTLE_ENDIAN);
    this.position += 4;
  }
  s32(value: number): void {
    this.reserve(4);
    this.dataView.setInt32(this.position, value | 0, HOST_IS_LITTLE_ENDIAN);
    this.position += 4;
  }
  be16(value: number): void {
    this.reserve(2);
    this.dataView.setUint16(this.position, value, false);
    this.position += 2;
  }
  be32(value: number): void {
    this.reserve(4);
    this.dataView.setUint32(this.position, value >>> 0, false);
    this.position += 4;
  }
  zeros(count: number): void {
    this.reserve(count);
    const buffer = this.buffer;
    let position = this.position;
    // Padding is 1-3 bytes: a loop costs a fraction of Buffer.fill's fixed cost per call.
    if (count <= 16) {
      for (const end = position + count; position < end; position++) buffer[position] = 0;
    } else {
      buffer.fill(0, position, position + count);
      position += count;
    }
    this.position = position;
  }

  /** Pads with zeros to the next 4-byte boundary. */
  pad(): void {
    const padded = align4(this.position);
    if (padded !== this.position) this.zeros(padded - this.position);
  }

  private attrHeader(type: number, payloadLength: number): void {
    this.reserve(NLA_HDRLEN + align4(payloadLength));
    this.dataView.setUint16(this.position, NLA_HDRLEN + payloadLength, HOST_IS_LITTLE_ENDIAN);
    this.dataView.setUint16(this.position + 2, type, HOST_IS_LITTLE_ENDIAN);
    this.position += NLA_HDRLEN;
  }

  /** An attribute with no payload (a flag). */
  attrFlag(type: number): void {
    this.attrHeader(type, 0);
  }
  attrU8(type: number, value: number): void {
    this.attrHeader(type, 1);
    this.dataView.setUint8(this.position, value);
    this.position += 1;
    this.pad();
  }
  attrU16(type: number, value: number): void {
    this.attrHeader(type, 2);
    this.dataView.setUint16(this.position, value, HOST_IS_LITTLE_ENDIAN);
    this.position += 2;
    this.pad();
  }
  attrU32(type: number, value: number): void {
    this.attrHeader(type, 4);
    this.dataView.setUint32(this.position, value >>> 0, HOST_IS_LITTLE_ENDIAN);
    this.position += 4;
  }
  attrS32(type: number, value: number): void {
    this.attrHeader(type, 4);
    this.dataView.setInt32(this.position, value | 0, HOST_IS_LITTLE_ENDIAN);
    this.position += 4;
  }
  attrU64(type: number, value: bigint): void {
    this.attrHeader(type, 8);
    this.dataView.setBigUint64(this.position, value, HOST_IS_LITTLE_ENDIAN);
    this.position += 8;
  }
  attrBe16(type: number, value: number): void {
    this.attrHeader(type, 2);
    this.dataView.setUint16(this.position, value, false);
    this.position += 2;
    this.pad();
  }
  attrBe32(type: number, value: number): void {
    this.attrHeader(type, 4);
    this.dataView.setUint32(this.position, value >>> 0, false);
    this.position += 4;
  }
  attrBe64(type: number, value: bigint): void {
    this.attrHeader(type, 8);
    this.dataView.setBigUint64(this.position, value, false);
    this.position += 8;
  }
  /** A NUL-terminated string (NLA_NUL_STRING / NLA_STRING as iproute2 sends them). */
  attrString(type: number, value: string): void {
    const encoded = textEncoder.encode(value);
    this.attrHeader(type, encoded.length + 1);
    this.buffer.set(encoded, this.position);
    this.dataView.setUint8(this.position + encoded.length, 0);
    this.position += encoded.length + 1;
    this.pad();
  }
  /** Raw bytes as the payload. */
  attrBytes(type: number, value: Uint8Array): void {
    this.attrHeader(type, value.length);
    this.buffer.set(value, this.position);
    this.position += value.length;
    this.pad();
  }

  /** Opens a nested attribute; close it with {@link endNest}. NLA_F_NESTED is set if asked. */
  beginNest(type: number, markNested = false): void {
    this.reserve(NLA_HDRLEN);
    this.nestStarts.push(this.position);
    this.dataView.setUint16(this.position + 2, markNested ? type | NLA_F_NESTED : type, HOST_IS_LITTLE_ENDIAN);
    this.position += NLA_HDRLEN;
  }
  /** Closes the innermost nested attribute. */
  endNest(): void {
    const start = this.nestStarts.pop();
    if (start === undefined) throw new Error('MessageWriter: no nested attribute open');
    this.dataView.setUint16(start, this.position - start, HOST_IS_LITTLE_ENDIAN);
  }
}

/**
 * The attributes of one message (or one nest), indexed by type on first use. Values are read
 * straight from the received buffer; nothing is copied until asked for.
 */
export class Attributes {
  /** Flat list: type, value start, value end for each attribute in order. */
  private readonly entries: number[] = [];
  private readonly view: DataView;

  constructor(
    readonly data: Uint8Array,
    start: number,
    end: number,
  ) {
    this.view = new DataView(data.buffer, data.byteOffset, data.byteLength);
    let offset = start;
    while (offset + NLA_HDRLEN <= end) {
      const length = this.view.getUint16(offset, HOST_IS_LITTLE_ENDIAN);
      if (length < NLA_HDRLEN || offset + length > end) break; // truncated or malformed
      const type = this.view.getUint16(offset + 2, HOST_IS_LITTLE_ENDIAN) & NLA_TYPE_MASK;
      this.entries.push(type, offset + NLA_HDRLEN, offset + length);
      offset += align4(length);
    }
  }

  private find(type: number): number {
    const e = this.entries;
    for (let i = 0; i < e.length; i += 3) if (e[i] === type) return i;
    return -1;
  }

  /** Whether an attribute of this type is present. */
  has(type: number): boolean {
    return this.find(type) >= 0;
  }

  /** The number of attributes. */
  get size(): number {
    return this.entries.length / 3;
  }

  /** [type, valueStart, valueEnd] of every attribute, in order (repeated types included). */
  *[Symbol.iterator](): IterableIterator<[number, number, number]> {
    const e = this.entries;
    for (let i = 0; i < e.length; i += 3) yield [e[i]!, e[i + 1]!, e[i + 2]!];
  }

  /** The types present, in order. */
  types(): number[] {
    const out: number[] = [];
    for (let i = 0; i < this.entries.length; i += 3) out.push(this.entries[i]!);
    return out;
  }

  private span(type: number, minLength: number): number {
    const i = this.find(type);
    if (i < 0) return -1;
    const start = this.entries[i + 1]!;
    if (this.entries[i + 2]! - start < minLength) return -1;
    return start;
  }

  u8(type: number): number | undefined {
    const at = this.span(type, 1);
    return at < 0 ? undefined : this.view.getUint8(at);
  }
  u16(type: number): number | undefined {
    const at = this.span(type, 2);
    return at < 0 ? undefined : this.view.getUint16(at, HOST_IS_LITTLE_ENDIAN);
  }
  u32(type: number): number | undefined {
    const at = this.span(type, 4);
    return at < 0 ? undefined : this.view.getUint32(at, HOST_IS_LITTLE_ENDIAN);
  }
  s32(type: number): number | undefined {
    const at = this.span(type, 4);
    return at < 0 ? undefined : this.view.getInt32(at, HOST_IS_LITTLE_ENDIAN);
  }
  u64(type: number): bigint | undefined {
    const at = this.span(type, 8);
    return at < 0 ? undefined : this.view.getBigUint64(at, HOST_IS_LITTLE_ENDIAN);
  }
  be16(type: number): number | undefined {
    const at = this.span(type, 2);
    return at < 0 ? undefined : this.view.getUint16(at, false);
  }
  be32(type: number): number | undefined {
    const at = this.span(type, 4);
    return at < 0 ? undefined : this.view.getUint32(at, false);
  }
  be64(type: number): bigint | undefined {
    const at = this.span(type, 8);
    return at < 0 ? undefined : this.view.getBigUint64(at, false);
  }
  /** A string attribute, without its terminating NUL. */
  string(type: number): string | undefined {
    const i = this.find(type);
    if (i < 0) return undefined;
    let end = this.entries[i + 2]!;
    const start = this.entries[i + 1]!;
    while (end > start && this.data[end - 1] === 0) end--;
    return Buffer.from(this.data.buffer, this.data.byteOffset + start, end - start).toString('utf8');
  }
  /** The payload as a view into the received buffer. */
  bytes(type: number): Uint8Array | undefined {
    const i = this.find(type);
    if (i < 0) return undefined;
    return this.data.subarray(this.entries[i + 1]!, this.entries[i + 2]!);
  }
  /** The attributes nested inside this attribute. */
  nested(type: number): Attributes | undefined {
    const i = this.find(type);
    if (i < 0) return undefined;
    return new Attributes(this.data, this.entries[i + 1]!, this.entries[i + 2]!);
  }
  /** Every nest of this type, in order (for repeated attributes such as list elements). */
  nestedAll(type: number): Attributes[] {
    const out: Attributes[] = [];
    const e = this.entries;
    for (let i = 0; i < e.length; i += 3) {
      if (e[i] === type) out.push(new Attributes(this.data, e[i + 1]!, e[i + 2]!));
    }
    return out;
  }
  /** The nested attributes of an attribute found by {@link [Symbol.iterator]}. */
  nestedAt(valueStart: number, valueEnd: number): Attributes {
    return new Attributes(this.data, valueStart, valueEnd);
  }
}
