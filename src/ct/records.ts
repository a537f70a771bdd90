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
 * Dumped flows kept as numbers in parallel arrays: where each flow's message and original
 * tuple lie in the received bytes, its family, mark and zone. A dump of 100k flows makes no
 * object per flow; {@link record} makes one when someone asks.
 */
export class FlowRecords {
  private readonly buffers: Buffer[] = [];
  private readonly starts: number[] = [];
  private readonly ends: number[] = [];
  private readonly tupleStarts: number[] = [];
  private readonly tupleEnds: number[] = [];
  readonly families: number[] = [];
  readonly marks: number[] = [];
  /** The zone, or -1 where the kernel sent none. */
  readonly zones: number[] = [];
  /** Each flow's received bytes as host-order words, if they lie on a word boundary (see tupleWords). */
  private readonly words: (Uint32Array | undefined)[] = [];
  private lastData: Buffer | undefined;
  private lastWords: Uint32Array | undefined;

  get length(): number {
    return this.starts.length;
  }

  /** Reads a flow message (bytes [start, end) of `data`) and keeps what bulk calls need. */
  add(data: Buffer, start: number, end: number): void {
    if (data !== this.lastData) {
      this.lastData = data;
      this.lastWords = data.byteOffset % 4 === 0 ? new Uint32Array(data.buffer, data.byteOffset, data.byteLength >>> 2) : undefined;
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
    // A tuple that is whole words can be copied as words (it always is: attributes are aligned).
    this.words.push(tupleStart % 4 === 0 && (tupleEnd - tupleStart) % 4 === 0 && tupleEnd > tupleStart ? this.lastWords : undefined);
    this.buffers.push(data);
    this.starts.push(start);
    this.ends.push(end);
    this.tupleStarts.push(tupleStart);
    this.tupleEnds.push(tupleEnd);
    this.families.push(data[base]!);
    this.marks.push(mark);
    this.zones.push(zone);
  }

  /** Forgets every flow (a dump that starts over). */
  clear(): void {
    for (const list of [this.buffers, this.starts, this.ends, this.tupleStarts, this.tupleEnds, this.families, this.marks, this.zones, this.words] as unknown[][]) list.length = 0;
    this.lastData = undefined;
    this.lastWords = undefined;
  }

  /** Appends flow `i`'s CTA_TUPLE_ORIG attribute, header included, to a message being written. */
  copyTuple(writer: MessageWriter, i: number): void {
    writer.copyFrom(this.buffers[i]!, this.tupleStarts[i]!, this.tupleEnds[i]!);
  }

  /**
   * The words flow `i`'s CTA_TUPLE_ORIG attribute (header included) lies in, from word
   * {@link tupleWord} for {@link tupleWordCount} words; undefined if it cannot be copied as words.
   */
  tupleWords(i: number): Uint32Array | undefined {
    return this.words[i];
  }

  tupleWord(i: number): number {
    return this.tupleStarts[i]! >>> 2;
  }

  tupleWordCount(i: number): number {
    return (this.tupleEnds[i]! - this.tupleStarts[i]!) >>> 2;
  }

  /** Flow `i` as an object (its Flow decoded on first use). */
  record(i: number): FlowRecord {
    return new FlowRecord({ type: 0, flags: 0, seq: 0, portId: 0, data: this.buffers[i]!, start: this.starts[i]!, end: this.ends[i]! });
  }

  /** A key that tells flows apart (the original tuple and zone). */
  identity(i: number): string {
    return `${this.zones[i]}:${this.buffers[i]!.toString('latin1', this.tupleStarts[i]!, this.tupleEnds[i]!)}`;
  }
}

keepShape(new FlowRecords());
keepShape(new FlowRecord({ type: 0, flags: 0, seq: 0, portId: 0, data: Buffer.alloc(0), start: 0, end: 0 }));
