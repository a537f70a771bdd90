import { Attributes, HOST_IS_LITTLE_ENDIAN, align4 } from './attributes.js';
import {
  NLMSGERR_ATTR_COOKIE,
  NLMSGERR_ATTR_MISS_NEST,
  NLMSGERR_ATTR_MISS_TYPE,
  NLMSGERR_ATTR_MSG,
  NLMSGERR_ATTR_OFFS,
  NLMSG_HDRLEN,
  NLM_F_ACK_TLVS,
  NLM_F_CAPPED,
} from './constants.js';
import type { ExtendedAck } from './errors.js';

/** One received netlink message: its header fields and where its payload lies in `data`. */
export interface NetlinkMessage {
  readonly type: number;
  readonly flags: number;
  readonly seq: number;
  readonly portId: number;
  /** The buffer the message was received in. */
  readonly data: Buffer;
  /** Offset of the nlmsghdr in `data`. */
  readonly start: number;
  /** Offset just past the message (start + nlmsg_len). */
  readonly end: number;
}

/** Payload offset of a message (just after its nlmsghdr). */
export function payloadStart(message: NetlinkMessage): number {
  return message.start + NLMSG_HDRLEN;
}

/** The message's bytes, header included, as a view. */
export function messageBytes(message: NetlinkMessage): Buffer {
  return message.data.subarray(message.start, message.end);
}

/** Attributes that follow a fixed family header of `headerLength` bytes. */
export function messageAttributes(message: NetlinkMessage, headerLength: number): Attributes {
  return new Attributes(message.data, message.start + NLMSG_HDRLEN + align4(headerLength), message.end);
}

/** Splits a buffer of back-to-back messages (one or more datagrams) into messages. */
export function parseMessages(data: Buffer): NetlinkMessage[] {
  const messages: NetlinkMessage[] = [];
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  let offset = 0;
  while (offset + NLMSG_HDRLEN <= data.length) {
    const length = view.getUint32(offset, HOST_IS_LITTLE_ENDIAN);
    if (length < NLMSG_HDRLEN || offset + length > data.length) break;
    messages.push({
      type: view.getUint16(offset + 4, HOST_IS_LITTLE_ENDIAN),
      flags: view.getUint16(offset + 6, HOST_IS_LITTLE_ENDIAN),
      seq: view.getUint32(offset + 8, HOST_IS_LITTLE_ENDIAN),
      portId: view.getUint32(offset + 12, HOST_IS_LITTLE_ENDIAN),
      data,
      start: offset,
      end: offset + length,
    });
    offset += align4(length);
  }
  return messages;
}

/** An NLMSG_ERROR decoded: errno 0 is an acknowledgement. */
export interface ErrorPayload {
  /** Positive errno, or 0 for an ACK. */
  errno: number;
  /** Header fields of the request this answers. */
  requestType: number;
  requestFlags: number;
  requestSeq: number;
  extAck: ExtendedAck | undefined;
}

/** Decodes the payload of an NLMSG_ERROR message, including extended-ACK attributes. */
export function parseErrorPayload(message: NetlinkMessage): ErrorPayload {
  const view = new DataView(message.data.buffer, message.data.byteOffset, message.data.byteLength);
  const base = message.start + NLMSG_HDRLEN;
  const error = view.getInt32(base, HOST_IS_LITTLE_ENDIAN);
  const inner = base + 4;
  const requestLength = view.getUint32(inner, HOST_IS_LITTLE_ENDIAN);
  const payload: ErrorPayload = {
    errno: -error,
    requestType: view.getUint16(inner + 4, HOST_IS_LITTLE_ENDIAN),
    requestFlags: view.getUint16(inner + 6, HOST_IS_LITTLE_ENDIAN),
    requestSeq: view.getUint32(inner + 8, HOST_IS_LITTLE_ENDIAN),
    extAck: undefined,
  };
  if (message.flags & NLM_F_ACK_TLVS) {
    // With NETLINK_CAP_ACK the kernel echoes only the request's header; otherwise all of it.
    const echoed = message.flags & NLM_F_CAPPED ? NLMSG_HDRLEN : align4(requestLength);
    const attrs = new Attributes(message.data, inner + echoed, message.end);
    const extAck: ExtendedAck = {};
    const text = attrs.string(NLMSGERR_ATTR_MSG);
    if (text !== undefined) extAck.message = text;
    const offset = attrs.u32(NLMSGERR_ATTR_OFFS);
    if (offset !== undefined) extAck.offset = offset;
    const missingType = attrs.u32(NLMSGERR_ATTR_MISS_TYPE);
    if (missingType !== undefined) extAck.missingType = missingType;
    const missingNest = attrs.u32(NLMSGERR_ATTR_MISS_NEST);
    if (missingNest !== undefined) extAck.missingNest = missingNest;
    const cookie = attrs.bytes(NLMSGERR_ATTR_COOKIE);
    if (cookie !== undefined) extAck.cookie = Uint8Array.from(cookie);
    if (Object.keys(extAck).length > 0) payload.extAck = extAck;
  }
  return payload;
}
