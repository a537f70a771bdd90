import { HOST_IS_LITTLE_ENDIAN, networkWord, type MessageWriter } from '../netlink/attributes.js';
import { NLA_TYPE_MASK } from '../netlink/constants.js';
import type { NetlinkMessage } from '../netlink/message.js';
import { NFGENMSG_LEN } from '../netlink/nfnetlink.js';
import { CTA_MARK, CTA_TUPLE_ORIG, CTA_ZONE } from './constants.js';
import { decodeFlow, viewOf, type Flow } from './flow.js';
import { keepShape } from '../shapes.js';

/** One dumped flow as an object: its message, decoded into a Flow on first use. */
export class FlowRecord {
  private decoded: Flow | undefined;

  constructor(readonly message: NetlinkMessage) {}

  /** The decoded flow, made on first use. */
  get flow(): Flow {
    this.decoded ??= decodeFlow(this.message);
    return this.decoded;
  }
}

/**
 * Dumped flows kept as numbers in parallel typed arrays: which received buffer each flow's
 * message lies in, where it and its original tuple lie there, its family, mark and zone. A dump
 * of 100k flows makes no object per flow ({@link record} makes one when someone asks), and no
 * growing array of boxed numbers: typed arrays double as needed.
 */
export class FlowRecords {
  private count = 0;
  /** The received buffers, each once in a row, and their host-order word views. */
  private readonly chunks: Buffer[] = [];
  private readonly chunkWords: (Uint32Array | undefined)[] = [];
  private chunkOf = new Int32Array(0);
  private starts = new Int32Array(0);
  private ends = new Int32Array(0);
  private tupleStarts = new Int32Array(0);
  private tupleEnds = new Int32Array(0);
  /** 1 where the original tuple can be copied as whole words (see tupleWords). */
  private wordAligned = new Uint8Array(0);
  private familyOf = new Uint8Array(0);
  private markOf = new Uint32Array(0);
  private zoneOf = new Int32Array(0);
  private lastData: Buffer | undefined;
  private lastWords: Uint32Array | undefined;

  get length(): number {
    return this.count;
  }

  /** Each flow's address family, by index (valid below {@link length}). */
  get families(): Uint8Array {
    return this.familyOf;
  }

  /** Each flow's mark (0 where the kernel sent none), by index. */
  get marks(): Uint32Array {
    return this.markOf;
  }

  /** Each flow's zone, or -1 where the kernel sent none, by index. */
  get zones(): Int32Array {
    return this.zoneOf;
  }

  /** Reads a flow message (bytes [start, end) of `data`) and keeps what bulk calls need. */
  add(data: Buffer, start: number, end: number): void {
    if (data !== this.lastData) {
      this.lastData = data;
      this.lastWords = data.byteOffset % 4 === 0 ? new Uint32Array(data.buffer, data.byteOffset, data.byteLength >>> 2) : undefined;
      this.chunks.push(data);
      this.chunkWords.push(this.lastWords);
    }
    const base = start + 16; // nlmsghdr
    let tupleStart = 0;
    let tupleEnd = 0;
    let mark = 0;
    let zone = -1;
    // On a little-endian host with the message on a word boundary (always, for the addon's
    // copies), an attribute header is one word read (its length in the low half); else DataView.
    const words = HOST_IS_LITTLE_ENDIAN && start % 4 === 0 ? this.lastWords : undefined;
    const view = words === undefined ? viewOf(data) : undefined;
    for (let off = base + NFGENMSG_LEN; off + 4 <= end; ) {
      const header = words !== undefined ? words[off >>> 2]! : 0;
      const length = words !== undefined ? header & 0xffff : view!.getUint16(off, HOST_IS_LITTLE_ENDIAN);
      if (length < 4 || off + length > end) break;
      const type = (words !== undefined ? header >>> 16 : view!.getUint16(off + 2, HOST_IS_LITTLE_ENDIAN)) & NLA_TYPE_MASK;
      if (type === CTA_TUPLE_ORIG) {
        tupleStart = off;
        tupleEnd = off + length;
      } else if (type === CTA_MARK) {
        mark = words !== undefined ? networkWord(words[(off >>> 2) + 1]!) >>> 0 : view!.getUint32(off + 4, false);
      } else if (type === CTA_ZONE) {
        zone = words !== undefined ? networkWord(words[(off >>> 2) + 1]!) >>> 16 : view!.getUint16(off + 4, false);
      }
      off += (length + 3) & ~3;
    }
    if (this.count === this.starts.length) this.grow();
    const i = this.count++;
    this.chunkOf[i] = this.chunks.length - 1;
    this.starts[i] = start;
    this.ends[i] = end;
    this.tupleStarts[i] = tupleStart;
    this.tupleEnds[i] = tupleEnd;
    // A tuple that is whole words can be copied as words (it always is: attributes are aligned).
    this.wordAligned[i] = this.lastWords !== undefined && tupleStart % 4 === 0 && (tupleEnd - tupleStart) % 4 === 0 && tupleEnd > tupleStart ? 1 : 0;
    this.familyOf[i] = data[base]!;
    this.markOf[i] = mark;
    this.zoneOf[i] = zone;
  }

  private grow(): void {
    const capacity = Math.max(1024, this.starts.length * 2);
    const grown = <T extends Int32Array | Uint32Array | Uint8Array>(old: T, next: T): T => {
      next.set(old);
      return next;
    };
    this.chunkOf = grown(this.chunkOf, new Int32Array(capacity));
    this.starts = grown(this.starts, new Int32Array(capacity));
    this.ends = grown(this.ends, new Int32Array(capacity));
    this.tupleStarts = grown(this.tupleStarts, new Int32Array(capacity));
    this.tupleEnds = grown(this.tupleEnds, new Int32Array(capacity));
    this.wordAligned = grown(this.wordAligned, new Uint8Array(capacity));
    this.familyOf = grown(this.familyOf, new Uint8Array(capacity));
    this.markOf = grown(this.markOf, new Uint32Array(capacity));
    this.zoneOf = grown(this.zoneOf, new Int32Array(capacity));
  }

  /** Forgets every flow (a dump that starts over). */
  clear(): void {
    this.count = 0;
    this.chunks.length = 0;
    this.chunkWords.length = 0;
    this.lastData = undefined;
    this.lastWords = undefined;
  }

  /** Appends flow `i`'s CTA_TUPLE_ORIG attribute, header included, to a message being written. */
  copyTuple(writer: MessageWriter, i: number): void {
    writer.copyFrom(this.chunks[this.chunkOf[i]!]!, this.tupleStarts[i]!, this.tupleEnds[i]!);
  }

  /**
   * The words flow `i`'s CTA_TUPLE_ORIG attribute (header included) lies in, from word
   * {@link tupleWord} for {@link tupleWordCount} words; undefined if it cannot be copied as words.
   */
  tupleWords(i: number): Uint32Array | undefined {
    return this.wordAligned[i] === 1 ? this.chunkWords[this.chunkOf[i]!] : undefined;
  }

  tupleWord(i: number): number {
    return this.tupleStarts[i]! >>> 2;
  }

  tupleWordCount(i: number): number {
    return (this.tupleEnds[i]! - this.tupleStarts[i]!) >>> 2;
  }

  /** Flow `i` as an object (its Flow decoded on first use). */
  record(i: number): FlowRecord {
    return new FlowRecord({ type: 0, flags: 0, seq: 0, portId: 0, data: this.chunks[this.chunkOf[i]!]!, start: this.starts[i]!, end: this.ends[i]! });
  }

  /** A key that tells flows apart (the original tuple and zone). */
  identity(i: number): string {
    return `${this.zoneOf[i]}:${this.chunks[this.chunkOf[i]!]!.toString('latin1', this.tupleStarts[i]!, this.tupleEnds[i]!)}`;
  }
}

keepShape(new FlowRecords());
keepShape(new FlowRecord({ type: 0, flags: 0, seq: 0, portId: 0, data: Buffer.alloc(0), start: 0, end: 0 }));
