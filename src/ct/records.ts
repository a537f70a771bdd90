import { HOST_IS_LITTLE_ENDIAN } from '../netlink/attributes.js';
import { NLA_TYPE_MASK } from '../netlink/constants.js';
import { payloadStart, type NetlinkMessage } from '../netlink/message.js';
import { NFGENMSG_LEN } from '../netlink/nfnetlink.js';
import { CTA_MARK, CTA_TUPLE_ORIG, CTA_ZONE } from './constants.js';
import { decodeFlow, viewOf, type Flow } from './flow.js';

/**
 * What a bulk call needs of a dumped flow, read without decoding it: its family, where its
 * CTA_TUPLE_ORIG attribute lies (copied verbatim into the update or delete, as the C baseline
 * does), its mark and its zone. The full Flow is decoded only when asked for.
 */
export class FlowRecord {
  readonly family: number;
  readonly tupleStart: number;
  readonly tupleEnd: number;
  readonly mark: number;
  readonly zone: number | undefined;
  private decoded: Flow | undefined;

  constructor(readonly message: NetlinkMessage) {
    const data = message.data;
    const view = viewOf(data);
    const base = payloadStart(message);
    this.family = data[base]!;
    let tupleStart = 0;
    let tupleEnd = 0;
    let mark = 0;
    let zone: number | undefined;
    for (let off = base + NFGENMSG_LEN; off + 4 <= message.end; ) {
      const length = view.getUint16(off, HOST_IS_LITTLE_ENDIAN);
      if (length < 4 || off + length > message.end) break;
      const type = view.getUint16(off + 2, HOST_IS_LITTLE_ENDIAN) & NLA_TYPE_MASK;
      if (type === CTA_TUPLE_ORIG) {
        tupleStart = off;
        tupleEnd = off + length;
      } else if (type === CTA_MARK) {
        mark = view.getUint32(off + 4, false);
      } else if (type === CTA_ZONE) {
        zone = view.getUint16(off + 4, false);
      }
      off += (length + 3) & ~3;
    }
    this.tupleStart = tupleStart;
    this.tupleEnd = tupleEnd;
    this.mark = mark;
    this.zone = zone;
  }

  /** The CTA_TUPLE_ORIG attribute, header included. */
  tuple(): Uint8Array {
    return this.message.data.subarray(this.tupleStart, this.tupleEnd);
  }

  /** A key that tells flows apart (the original tuple and zone). */
  identity(): string {
    return `${this.zone ?? 0}:${Buffer.from(this.tuple()).toString('latin1')}`;
  }

  /** The decoded flow, made on first use. */
  get flow(): Flow {
    this.decoded ??= decodeFlow(this.message);
    return this.decoded;
  }
}
