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
  CTA_PROTOINFO_SCTP,
  CTA_PROTOINFO_SCTP_STATE,
  CTA_PROTOINFO_SCTP_VTAG_ORIGINAL,
  CTA_PROTOINFO_SCTP_VTAG_REPLY,
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
  CTA_TUPLE_ZONE,
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
  SCTP_STATES,
  STATUS_BITS,
  TCP_STATES,
  type FlowStatus,
  type SctpState,
  type TcpState,
} from './constants.js';

/** Layer-4 protocols by name; any other protocol is given by number. */
export type FlowProtocolName = 'tcp' | 'udp' | 'icmp' | 'icmpv6' | 'sctp' | 'dccp' | 'udplite' | 'gre';

const PROTOCOL_NUMBERS: Record<FlowProtocolName, number> = {
  tcp: IPPROTO_TCP, udp: IPPROTO_UDP, icmp: IPPROTO_ICMP, icmpv6: IPPROTO_ICMPV6,
  sctp: IPPROTO_SCTP, dccp: IPPROTO_DCCP, udplite: IPPROTO_UDPLITE, gre: IPPROTO_GRE,
};
const PROTOCOL_NAMES = new Map<number, FlowProtocolName>(Object.entries(PROTOCOL_NUMBERS).map(([k, v]) => [v, k as FlowProtocolName]));

/**
 * One direction of a flow: addresses and, for port protocols, ports; for ICMP, type/code/id.
 * GRE flows carry their keys (the 16-bit PPTP call ids, `conntrack --srckey/--dstkey`) as
 * sport/dport, as ctnetlink does. DCCP flows have ports only on kernels that track DCCP (before
 * 6.16; later ones list them without ports).
 */
export interface FlowTuple {
  src: string;
  dst: string;
  sport?: number;
  dport?: number;
  icmpType?: number;
  icmpCode?: number;
  icmpId?: number;
}

/** The verification tags of an SCTP association, one per direction. */
export interface SctpVtags {
  original: number;
  reply: number;
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
  /** The conntrack zone (its id, whichever directions it applies to). */
  zone?: number;
  /**
   * Set when the zone applies to one direction only (`conntrack --orig-zone/--reply-zone`,
   * shown as zone-orig=/zone-reply=); absent when it applies to both.
   */
  zoneDirection?: ZoneDirection;
  /** Seconds left before the entry expires. */
  timeout?: number;
  status?: FlowStatus[];
  /** TCP state, for TCP flows. */
  tcpState?: TcpState;
  /** SCTP state, for SCTP flows. */
  sctpState?: SctpState;
  /** SCTP verification tags of both directions, for SCTP flows (what create takes back). */
  sctpVtag?: SctpVtags;
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
  /** The one direction `zone` applies to (`conntrack --orig-zone/--reply-zone`); default both. */
  zoneDirection?: ZoneDirection;
  /** For TCP: the state (default ESTABLISHED). */
  tcpState?: TcpState;
  /** For SCTP: the state (`conntrack --state`); without it the kernel's tracker starts from none. */
  sctpState?: SctpState;
  /** For SCTP with a state: the verification tags (`--orig-vtag`, `--reply-vtag`); default 0 and 0. */
  sctpVtag?: SctpVtags;
  /** Status flags to set, e.g. ['ASSURED', 'SEEN_REPLY']. */
  status?: FlowStatus[];
}

/** Identifies one flow: its original tuple (and zone). A listed Flow works as it is. */
export interface FlowKey {
  family?: FamilyName;
  protocol: FlowProtocolName | number;
  original: FlowTuple;
  zone?: number;
  /** The one direction `zone` applies to, as listed; default both. */
  zoneDirection?: ZoneDirection;
}

/** The one direction a zone applies to: `conntrack --orig-zone` or `--reply-zone`. */
export type ZoneDirection = 'original' | 'reply';

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

/**
 * How a tuple of `protocol` carries ports (CTA_PROTO_SRC_PORT/DST_PORT), which the kernel's
 * trackers read with nf_ct_port_nlattr_to_tuple, requiring both:
 * - 'required': TCP, UDP, SCTP, UDP-Lite.
 * - 'gre-keys': GRE's keys (16-bit PPTP call ids, `conntrack --srckey/--dstkey`) go in the same
 *   attributes; without them a tuple has keys 0, as the kernel tracks GRE that is not PPTP.
 * - 'optional': DCCP, whose tracker kernel 6.16 removed: the generic one keeps no ports (a listed
 *   flow has none) and ignores any sent; older kernels require them.
 * - 'none': any other protocol (ICMP has its own fields).
 */
export function portsOf(protocol: number): 'required' | 'gre-keys' | 'optional' | 'none' {
  switch (protocol) {
    case IPPROTO_TCP: case IPPROTO_UDP: case IPPROTO_SCTP: case IPPROTO_UDPLITE: return 'required';
    case IPPROTO_GRE: return 'gre-keys';
    case IPPROTO_DCCP: return 'optional';
    default: return 'none';
  }
}

/**
 * Whether a tuple of `protocol` with these fields is written with ports: always where the
 * protocol requires them (a missing one is then refused by name), for GRE and DCCP when either
 * is given (else GRE writes keys 0 and DCCP none).
 */
export function tupleHasPorts(protocol: number, sport: unknown, dport: unknown): boolean {
  const ports = portsOf(protocol);
  return ports === 'required' || (ports !== 'none' && (sport !== undefined || dport !== undefined));
}

function isIcmp(protocol: number): boolean {
  return protocol === IPPROTO_ICMP || protocol === IPPROTO_ICMPV6;
}

// The ICMP types conntrack tracks, each with the type of its replies: the kernel's invmap
// (nf_conntrack_proto_icmp.c, nf_conntrack_proto_icmpv6.c). It refuses a tuple of any other
// type with EINVAL (icmp_nlattr_to_tuple), in create, get and delete alike.
const ICMP_REPLY_TYPES: ReadonlyMap<number, number> = new Map([
  [8, 0], [0, 8], // echo
  [13, 14], [14, 13], // timestamp
  [15, 16], [16, 15], // information
  [17, 18], [18, 17], // address mask
]);
const ICMPV6_REPLY_TYPES: ReadonlyMap<number, number> = new Map([
  [128, 129], [129, 128], // echo
  [139, 140], [140, 139], // node information
]);

/** The type of the replies to an ICMP(v6) flow of `type`, as the kernel inverts it; -1 if it tracks no such flow. */
export function icmpReplyType(protocol: number, type: number): number {
  return (protocol === IPPROTO_ICMPV6 ? ICMPV6_REPLY_TYPES : ICMP_REPLY_TYPES).get(type) ?? -1;
}

/** Checks an ICMP(v6) type: one the kernel tracks (default: echo request). */
export function checkIcmpType(value: unknown, protocol: number, field: string): number {
  const v6 = protocol === IPPROTO_ICMPV6;
  const type = integerInRange(value ?? (v6 ? 128 : 8), field, 0, 255);
  if (icmpReplyType(protocol, type) < 0) {
    const known = [...(v6 ? ICMPV6_REPLY_TYPES : ICMP_REPLY_TYPES).keys()].sort((a, b) => a - b).join(', ');
    throw new ValidationError(field, value, `expected an ${v6 ? 'ICMPv6' : 'ICMP'} type conntrack tracks (${known})`);
  }
  return type;
}

/** Checks a tuple for `protocol`: ports as {@link portsOf} says, ICMP fields for ICMP. */
export function resolveTuple(input: FlowTuple, protocol: number, field: string, family?: 4 | 6): ResolvedTuple {
  const tuple = plainObject(input, field) as unknown as FlowTuple;
  const src = parseAddress(tuple.src, `${field}.src`, family);
  const dst = parseAddress(tuple.dst, `${field}.dst`, src.family);
  const resolved: ResolvedTuple = { src, dst, protocol };
  if (tupleHasPorts(protocol, tuple.sport, tuple.dport)) {
    resolved.sport = u16(tuple.sport, `${field}.sport`);
    resolved.dport = u16(tuple.dport, `${field}.dport`);
  } else if (protocol === IPPROTO_GRE) {
    resolved.sport = 0;
    resolved.dport = 0;
  } else if (isIcmp(protocol)) {
    resolved.icmpType = checkIcmpType(tuple.icmpType, protocol, `${field}.icmpType`);
    resolved.icmpCode = integerInRange(tuple.icmpCode ?? 0, `${field}.icmpCode`, 0, 255);
    resolved.icmpId = u16(tuple.icmpId ?? 0, `${field}.icmpId`);
  }
  return resolved;
}

/**
 * Writes a CTA_TUPLE_* nest in libnetfilter_conntrack's order: ip nest, proto nest, and the zone
 * of this direction only (CTA_TUPLE_ZONE) when `zone` is given.
 */
export function encodeTuple(writer: MessageWriter, type: number, tuple: ResolvedTuple, zone?: number): void {
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
  if (zone !== undefined) writer.attrBe16(CTA_TUPLE_ZONE, zone);
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

/** What a tuple nest says besides the tuple: the protocol, and the zone of its direction only (-1: none). */
interface TupleExtras {
  protocol: number;
  zone: number;
}

function decodeTuple(data: Uint8Array, view: DataView, start: number, end: number, extras: TupleExtras): FlowTuple {
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
          case CTA_PROTO_NUM: extras.protocol = data[at]!; break;
          case CTA_PROTO_SRC_PORT: tuple.sport = view.getUint16(at, false); break;
          case CTA_PROTO_DST_PORT: tuple.dport = view.getUint16(at, false); break;
          case CTA_PROTO_ICMP_TYPE: case CTA_PROTO_ICMPV6_TYPE: tuple.icmpType = data[at]!; break;
          case CTA_PROTO_ICMP_CODE: case CTA_PROTO_ICMPV6_CODE: tuple.icmpCode = data[at]!; break;
          case CTA_PROTO_ICMP_ID: case CTA_PROTO_ICMPV6_ID: tuple.icmpId = view.getUint16(at, false); break;
        }
        p += (pLength + 3) & ~3;
      }
    } else if (type === CTA_TUPLE_ZONE && length >= 6) {
      extras.zone = view.getUint16(value, false);
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
  const original: TupleExtras = { protocol: 0, zone: -1 };
  const reply: TupleExtras = { protocol: 0, zone: -1 };
  const end = message.end;
  for (let off = base + NFGENMSG_LEN; off + 4 <= end; ) {
    const length = view.getUint16(off, HOST_IS_LITTLE_ENDIAN);
    if (length < 4 || off + length > end) break;
    const type = view.getUint16(off + 2, HOST_IS_LITTLE_ENDIAN) & NLA_TYPE_MASK;
    const at = off + 4;
    const valueEnd = off + length;
    switch (type) {
      case CTA_TUPLE_ORIG: flow.original = decodeTuple(data, view, at, valueEnd, original); break;
      case CTA_TUPLE_REPLY: flow.reply = decodeTuple(data, view, at, valueEnd, reply); break;
      case CTA_MARK: flow.mark = view.getUint32(at, false); break;
      case CTA_ZONE: flow.zone = view.getUint16(at, false); break;
      case CTA_TIMEOUT: flow.timeout = view.getUint32(at, false); break;
      case CTA_STATUS: flow.status = statusNames(view.getUint32(at, false)); break;
      case CTA_ID: flow.id = view.getUint32(at, false); break;
      case CTA_USE: flow.use = view.getUint32(at, false); break;
      case CTA_PROTOINFO: {
        const protoinfo = messageAttributesAt(data, at, valueEnd);
        const tcp = protoinfo.nested(CTA_PROTOINFO_TCP)?.u8(CTA_PROTOINFO_TCP_STATE);
        if (tcp !== undefined) flow.tcpState = TCP_STATES[tcp] ?? 'NONE';
        const sctp = protoinfo.nested(CTA_PROTOINFO_SCTP);
        const sctpState = sctp?.u8(CTA_PROTOINFO_SCTP_STATE);
        if (sctpState !== undefined) flow.sctpState = SCTP_STATES[sctpState] ?? 'NONE';
        const vtagOriginal = sctp?.be32(CTA_PROTOINFO_SCTP_VTAG_ORIGINAL);
        const vtagReply = sctp?.be32(CTA_PROTOINFO_SCTP_VTAG_REPLY);
        if (vtagOriginal !== undefined && vtagReply !== undefined) flow.sctpVtag = { original: vtagOriginal, reply: vtagReply };
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
  flow.protocol = protocolName(original.protocol);
  // A zone of one direction comes inside that direction's tuple, instead of CTA_ZONE
  // (ctnetlink_dump_zone_id): the kernel has one zone per flow, with the directions it applies to.
  if (original.zone >= 0) {
    flow.zone = original.zone;
    flow.zoneDirection = 'original';
  } else if (reply.zone >= 0) {
    flow.zone = reply.zone;
    flow.zoneDirection = 'reply';
  }
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
  /** The zone to send with the original tuple: CTA_ZONE (both directions). */
  zone?: number;
  /** The zone to send inside the original tuple: CTA_TUPLE_ZONE (the original direction only). */
  originalZone?: number;
}

/** Checks a zone direction; a direction needs a zone. */
export function checkZoneDirection(direction: unknown, zone: unknown, field: string): ZoneDirection | undefined {
  if (direction === undefined) return undefined;
  if (direction !== 'original' && direction !== 'reply') throw new ValidationError(field, direction, "expected 'original' or 'reply'");
  if (zone === undefined) throw new ValidationError(field, direction, 'a zone direction needs a zone');
  return direction;
}

/** Checks a flow key (a listed Flow is one). */
export function resolveFlowKey(input: FlowKey, field = 'flow'): ResolvedFlowKey {
  const key = plainObject(input, field) as unknown as FlowKey;
  const protocol = protocolNumber(key.protocol, `${field}.protocol`);
  const original = resolveTuple(key.original, protocol, `${field}.original`, familyOf(key.family, `${field}.family`));
  const resolved: ResolvedFlowKey = { family: original.src.family === 4 ? AF_INET : AF_INET6, original };
  const direction = checkZoneDirection(key.zoneDirection, key.zone, `${field}.zoneDirection`);
  if (key.zone !== undefined) {
    const zone = u16(key.zone, `${field}.zone`);
    // The kernel finds a flow by its original tuple and the zone id of the original direction
    // (nf_ct_zone_equal): a zone of the reply direction only is not part of that (the flow's
    // original direction is in the default zone), so it is not sent.
    if (direction === 'original') resolved.originalZone = zone;
    else if (direction === undefined) resolved.zone = zone;
  }
  return resolved;
}
