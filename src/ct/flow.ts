import { type FamilyName, formatAddress, parseAddress, type IpAddress } from '../common/ip.js';
import { integerInRange, plainObject, u16 } from '../common/validate.js';
import { Attributes, HOST_IS_LITTLE_ENDIAN, type MessageWriter } from '../netlink/attributes.js';
import { NLA_TYPE_MASK } from '../netlink/constants.js';
import { ValidationError } from '../netlink/errors.js';
import { payloadStart, type NetlinkMessage } from '../netlink/message.js';

function messageAttributesAt(data: Uint8Array, start: number, end: number): Attributes {
  return new Attributes(data, start, end);
}
import { NFGENMSG_LEN } from '../netlink/nfnetlink.js';
import { AF_INET, AF_INET6 } from '../rtnl/constants.js';
import {
  CTA_COUNTERS_BYTES,
  CTA_COUNTERS_ORIG,
  CTA_COUNTERS_PACKETS,
  CTA_COUNTERS_REPLY,
  CTA_ID,
  CTA_IP_V4_DST,
  CTA_IP_V4_SRC,
  CTA_IP_V6_DST,
  CTA_IP_V6_SRC,
  CTA_MARK,
  CTA_PROTOINFO,
  CTA_PROTOINFO_TCP,
  CTA_PROTOINFO_TCP_STATE,
  CTA_PROTO_DST_PORT,
  CTA_PROTO_ICMPV6_CODE,
  CTA_PROTO_ICMPV6_ID,
  CTA_PROTO_ICMPV6_TYPE,
  CTA_PROTO_ICMP_CODE,
  CTA_PROTO_ICMP_ID,
  CTA_PROTO_ICMP_TYPE,
  CTA_PROTO_NUM,
  CTA_PROTO_SRC_PORT,
  CTA_STATUS,
  CTA_TIMEOUT,
  CTA_TUPLE_IP,
  CTA_TUPLE_ORIG,
  CTA_TUPLE_PROTO,
  CTA_TUPLE_REPLY,
  CTA_USE,
  CTA_ZONE,
  IPPROTO_DCCP,
  IPPROTO_GRE,
  IPPROTO_ICMP,
  IPPROTO_ICMPV6,
  IPPROTO_SCTP,
  IPPROTO_TCP,
  IPPROTO_UDP,
  IPPROTO_UDPLITE,
  STATUS_BITS,
  TCP_STATES,
  type FlowStatus,
  type TcpState,
} from './constants.js';

/** Layer-4 protocols by name; any other protocol is given by number. */
export type FlowProtocolName = 'tcp' | 'udp' | 'icmp' | 'icmpv6' | 'sctp' | 'dccp' | 'udplite' | 'gre';

const PROTOCOL_NUMBERS: Record<FlowProtocolName, number> = {
  tcp: IPPROTO_TCP, udp: IPPROTO_UDP, icmp: IPPROTO_ICMP, icmpv6: IPPROTO_ICMPV6,
  sctp: IPPROTO_SCTP, dccp: IPPROTO_DCCP, udplite: IPPROTO_UDPLITE, gre: IPPROTO_GRE,
};
const PROTOCOL_NAMES = new Map<number, FlowProtocolName>(Object.entries(PROTOCOL_NUMBERS).map(([k, v]) => [v, k as FlowProtocolName]));

/** One direction of a flow: addresses and, for port protocols, ports; for ICMP, type/code/id. */
export interface FlowTuple {
  src: string;
  dst: string;
  sport?: number;
  dport?: number;
  icmpType?: number;
  icmpCode?: number;
  icmpId?: number;
}

/** Packet and byte counters of one direction (present when nf_conntrack_acct is on). */
export interface FlowCounters {
  packets: bigint;
  bytes: bigint;
}

/** A conntrack entry, as listed. Absent fields are undefined; `mark: 0` is a real mark. */
export interface Flow {
  family: FamilyName;
  /** Layer-4 protocol: a name, or the number if it has none here. */
  protocol: FlowProtocolName | number;
  /** The direction of the first packet. */
  original: FlowTuple;
  /** The direction of the replies (differs from the inverse of `original` under NAT). */
  reply: FlowTuple;
  mark?: number;
  zone?: number;
  /** Seconds left before the entry expires. */
  timeout?: number;
  status?: FlowStatus[];
  /** TCP state, for TCP flows. */
  tcpState?: TcpState;
  /** The kernel's id of the entry. */
  id?: number;
  use?: number;
  counters?: { original?: FlowCounters; reply?: FlowCounters };
}

/** What {@link ConntrackApi.create} takes: the original direction, and optionally the rest. */
export interface FlowSpec {
  family?: FamilyName;
  protocol: FlowProtocolName | number;
  src: string;
  dst: string;
  sport?: number;
  dport?: number;
  icmpType?: number;
  icmpCode?: number;
  icmpId?: number;
  /** The reply direction; default: the inverse of the original (no NAT). */
  reply?: FlowTuple;
  /** Lifetime in seconds (required by the kernel; default 120). */
  timeout?: number;
  mark?: number;
  zone?: number;
  /** For TCP: the state (default ESTABLISHED). */
  tcpState?: TcpState;
  /** Status flags to set, e.g. ['ASSURED', 'SEEN_REPLY']. */
  status?: FlowStatus[];
}

/** Identifies one flow: its original tuple (and zone). A listed Flow works as it is. */
export interface FlowKey {
  family?: FamilyName;
  protocol: FlowProtocolName | number;
  original: FlowTuple;
  zone?: number;
}

/** A tuple checked and converted for encoding. */
export interface ResolvedTuple {
  src: IpAddress;
  dst: IpAddress;
  protocol: number;
  sport?: number;
  dport?: number;
  icmpType?: number;
  icmpCode?: number;
  icmpId?: number;
}

/** The protocol number of a protocol name or number. */
export function protocolNumber(protocol: unknown, field: string): number {
  if (typeof protocol === 'string' && Object.prototype.hasOwnProperty.call(PROTOCOL_NUMBERS, protocol)) {
    return PROTOCOL_NUMBERS[protocol as FlowProtocolName];
  }
  if (typeof protocol === 'number') return integerInRange(protocol, field, 0, 255);
  throw new ValidationError(field, protocol, `expected one of ${Object.keys(PROTOCOL_NUMBERS).join(', ')} or 0..255`);
}

/** The readable name of a protocol number (or the number). */
export function protocolName(protocol: number): FlowProtocolName | number {
  return PROTOCOL_NAMES.get(protocol) ?? protocol;
}

function hasPorts(protocol: number): boolean {
  return protocol === IPPROTO_TCP || protocol === IPPROTO_UDP || protocol === IPPROTO_SCTP || protocol === IPPROTO_DCCP || protocol === IPPROTO_UDPLITE;
}

function isIcmp(protocol: number): boolean {
  return protocol === IPPROTO_ICMP || protocol === IPPROTO_ICMPV6;
}

/** Checks a tuple for `protocol`; ports are required for port protocols, ICMP fields for ICMP. */
export function resolveTuple(input: FlowTuple, protocol: number, field: string, family?: 4 | 6): ResolvedTuple {
  const tuple = plainObject(input, field) as unknown as FlowTuple;
  const src = parseAddress(tuple.src, `${field}.src`, family);
  const dst = parseAddress(tuple.dst, `${field}.dst`, src.family);
  const resolved: ResolvedTuple = { src, dst, protocol };
  if (hasPorts(protocol)) {
    resolved.sport = u16(tuple.sport, `${field}.sport`);
    resolved.dport = u16(tuple.dport, `${field}.dport`);
  } else if (isIcmp(protocol)) {
    resolved.icmpType = integerInRange(tuple.icmpType ?? 8, `${field}.icmpType`, 0, 255);
    resolved.icmpCode = integerInRange(tuple.icmpCode ?? 0, `${field}.icmpCode`, 0, 255);
    resolved.icmpId = u16(tuple.icmpId ?? 0, `${field}.icmpId`);
  }
  return resolved;
}

/** Writes a CTA_TUPLE_* nest in libnetfilter_conntrack's order (ip nest, then proto nest). */
export function encodeTuple(writer: MessageWriter, type: number, tuple: ResolvedTuple): void {
  writer.beginNest(type, true);
  writer.beginNest(CTA_TUPLE_IP, true);
  writer.attrBytes(tuple.src.family === 4 ? CTA_IP_V4_SRC : CTA_IP_V6_SRC, tuple.src.bytes);
  writer.attrBytes(tuple.dst.family === 4 ? CTA_IP_V4_DST : CTA_IP_V6_DST, tuple.dst.bytes);
  writer.endNest();
  writer.beginNest(CTA_TUPLE_PROTO, true);
  writer.attrU8(CTA_PROTO_NUM, tuple.protocol);
  if (tuple.sport !== undefined) writer.attrBe16(CTA_PROTO_SRC_PORT, tuple.sport);
  if (tuple.dport !== undefined) writer.attrBe16(CTA_PROTO_DST_PORT, tuple.dport);
  if (tuple.icmpType !== undefined) {
    // libnetfilter_conntrack's order: code, type, id.
    const v6 = tuple.protocol === IPPROTO_ICMPV6;
    writer.attrU8(v6 ? CTA_PROTO_ICMPV6_CODE : CTA_PROTO_ICMP_CODE, tuple.icmpCode ?? 0);
    writer.attrU8(v6 ? CTA_PROTO_ICMPV6_TYPE : CTA_PROTO_ICMP_TYPE, tuple.icmpType);
    writer.attrBe16(v6 ? CTA_PROTO_ICMPV6_ID : CTA_PROTO_ICMP_ID, tuple.icmpId ?? 0);
  }
  writer.endNest();
  writer.endNest();
}

// The decoder walks each message once with a DataView per received buffer: a dump of 100k flows
// makes no per-nest objects (the generic Attributes reader would).
const views = new WeakMap<Uint8Array, DataView>();

/** A DataView over a received buffer, made once per buffer. */
export function viewOf(data: Uint8Array): DataView {
  let view = views.get(data);
  if (view === undefined) {
    view = new DataView(data.buffer, data.byteOffset, data.byteLength);
    views.set(data, view);
  }
  return view;
}

function decodeTuple(data: Uint8Array, view: DataView, start: number, end: number, protocolOut: { protocol: number }): FlowTuple {
  const tuple: FlowTuple = { src: '', dst: '' };
  for (let off = start; off + 4 <= end; ) {
    const length = view.getUint16(off, HOST_IS_LITTLE_ENDIAN);
    if (length < 4 || off + length > end) break;
    const type = view.getUint16(off + 2, HOST_IS_LITTLE_ENDIAN) & NLA_TYPE_MASK;
    const value = off + 4;
    const valueEnd = off + length;
    if (type === CTA_TUPLE_IP) {
      for (let ip = value; ip + 4 <= valueEnd; ) {
        const ipLength = view.getUint16(ip, HOST_IS_LITTLE_ENDIAN);
        if (ipLength < 4 || ip + ipLength > valueEnd) break;
        const ipType = view.getUint16(ip + 2, HOST_IS_LITTLE_ENDIAN) & NLA_TYPE_MASK;
        const text = formatAddress(data.subarray(ip + 4, ip + ipLength));
        if (ipType === CTA_IP_V4_SRC || ipType === CTA_IP_V6_SRC) tuple.src = text;
        else if (ipType === CTA_IP_V4_DST || ipType === CTA_IP_V6_DST) tuple.dst = text;
        ip += (ipLength + 3) & ~3;
      }
    } else if (type === CTA_TUPLE_PROTO) {
      for (let p = value; p + 4 <= valueEnd; ) {
        const pLength = view.getUint16(p, HOST_IS_LITTLE_ENDIAN);
        if (pLength < 4 || p + pLength > valueEnd) break;
        const pType = view.getUint16(p + 2, HOST_IS_LITTLE_ENDIAN) & NLA_TYPE_MASK;
        const at = p + 4;
        switch (pType) {
          case CTA_PROTO_NUM: protocolOut.protocol = data[at]!; break;
          case CTA_PROTO_SRC_PORT: tuple.sport = view.getUint16(at, false); break;
          case CTA_PROTO_DST_PORT: tuple.dport = view.getUint16(at, false); break;
          case CTA_PROTO_ICMP_TYPE: case CTA_PROTO_ICMPV6_TYPE: tuple.icmpType = data[at]!; break;
          case CTA_PROTO_ICMP_CODE: case CTA_PROTO_ICMPV6_CODE: tuple.icmpCode = data[at]!; break;
          case CTA_PROTO_ICMP_ID: case CTA_PROTO_ICMPV6_ID: tuple.icmpId = view.getUint16(at, false); break;
        }
        p += (pLength + 3) & ~3;
      }
    }
    off += (length + 3) & ~3;
  }
  if (tuple.icmpType !== undefined) {
    tuple.icmpCode ??= 0;
    tuple.icmpId ??= 0;
  }
  return tuple;
}

function decodeCounters(view: DataView, start: number, end: number): FlowCounters | undefined {
  let packets: bigint | undefined;
  let bytes: bigint | undefined;
  for (let off = start; off + 4 <= end; ) {
    const length = view.getUint16(off, HOST_IS_LITTLE_ENDIAN);
    if (length < 4 || off + length > end) break;
    const type = view.getUint16(off + 2, HOST_IS_LITTLE_ENDIAN) & NLA_TYPE_MASK;
    if (length >= 12 && type === CTA_COUNTERS_PACKETS) packets = view.getBigUint64(off + 4, false);
    else if (length >= 12 && type === CTA_COUNTERS_BYTES) bytes = view.getBigUint64(off + 4, false);
    off += (length + 3) & ~3;
  }
  return packets === undefined && bytes === undefined ? undefined : { packets: packets ?? 0n, bytes: bytes ?? 0n };
}

/** Status flag names of a status word. */
export function statusNames(status: number): FlowStatus[] {
  return STATUS_BITS.filter(([, bit]) => status & bit).map(([name]) => name);
}

/** The status word of flag names. */
export function statusWord(names: readonly FlowStatus[], field: string): number {
  let word = 0;
  for (const [i, name] of names.entries()) {
    const entry = STATUS_BITS.find(([n]) => n === name);
    if (!entry) throw new ValidationError(`${field}[${i}]`, name, `expected one of ${STATUS_BITS.map(([n]) => n).join(', ')}`);
    word |= entry[1];
  }
  return word;
}

const EMPTY_TUPLE: FlowTuple = Object.freeze({ src: '', dst: '' }) as FlowTuple;

/** Decodes a ctnetlink flow message (a dump entry, a GET answer or an event). */
export function decodeFlow(message: NetlinkMessage): Flow {
  const data = message.data;
  const view = viewOf(data);
  const base = payloadStart(message);
  const flow: Flow = { family: data[base] === AF_INET6 ? 'inet6' : 'inet', protocol: 0, original: EMPTY_TUPLE, reply: EMPTY_TUPLE };
  const protocol = { protocol: 0 };
  const end = message.end;
  for (let off = base + NFGENMSG_LEN; off + 4 <= end; ) {
    const length = view.getUint16(off, HOST_IS_LITTLE_ENDIAN);
    if (length < 4 || off + length > end) break;
    const type = view.getUint16(off + 2, HOST_IS_LITTLE_ENDIAN) & NLA_TYPE_MASK;
    const at = off + 4;
    const valueEnd = off + length;
    switch (type) {
      case CTA_TUPLE_ORIG: flow.original = decodeTuple(data, view, at, valueEnd, protocol); break;
      case CTA_TUPLE_REPLY: flow.reply = decodeTuple(data, view, at, valueEnd, { protocol: 0 }); break;
      case CTA_MARK: flow.mark = view.getUint32(at, false); break;
      case CTA_ZONE: flow.zone = view.getUint16(at, false); break;
      case CTA_TIMEOUT: flow.timeout = view.getUint32(at, false); break;
      case CTA_STATUS: flow.status = statusNames(view.getUint32(at, false)); break;
      case CTA_ID: flow.id = view.getUint32(at, false); break;
      case CTA_USE: flow.use = view.getUint32(at, false); break;
      case CTA_PROTOINFO: {
        const tcp = messageAttributesAt(data, at, valueEnd).nested(CTA_PROTOINFO_TCP)?.u8(CTA_PROTOINFO_TCP_STATE);
        if (tcp !== undefined) flow.tcpState = TCP_STATES[tcp] ?? 'NONE';
        break;
      }
      case CTA_COUNTERS_ORIG: case CTA_COUNTERS_REPLY: {
        const counters = decodeCounters(view, at, valueEnd);
        if (counters) {
          flow.counters ??= {};
          if (type === CTA_COUNTERS_ORIG) flow.counters.original = counters;
          else flow.counters.reply = counters;
        }
        break;
      }
    }
    off += (length + 3) & ~3;
  }
  flow.protocol = protocolName(protocol.protocol);
  return flow;
}

function familyOf(family: unknown, field: string): 4 | 6 | undefined {
  if (family === undefined) return undefined;
  if (family === 'inet') return 4;
  if (family === 'inet6') return 6;
  throw new ValidationError(field, family, "expected 'inet' or 'inet6'");
}

/** A flow key checked and converted. */
export interface ResolvedFlowKey {
  family: number;
  original: ResolvedTuple;
  zone?: number;
}

/** Checks a flow key (a listed Flow is one). */
export function resolveFlowKey(input: FlowKey, field = 'flow'): ResolvedFlowKey {
  const key = plainObject(input, field) as unknown as FlowKey;
  const protocol = protocolNumber(key.protocol, `${field}.protocol`);
  const original = resolveTuple(key.original, protocol, `${field}.original`, familyOf(key.family, `${field}.family`));
  const resolved: ResolvedFlowKey = { family: original.src.family === 4 ? AF_INET : AF_INET6, original };
  if (key.zone !== undefined) resolved.zone = u16(key.zone, `${field}.zone`);
  return resolved;
}
