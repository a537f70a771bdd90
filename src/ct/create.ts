import { parseAddress, parseIPv4Number } from '../common/ip.js';
import { integerInRange, knownKeys, plainObject, u16, u32 } from '../common/validate.js';
import type { MessageWriter } from '../netlink/attributes.js';
import { ValidationError } from '../netlink/errors.js';
import { writeNfgenmsg } from '../netlink/nfnetlink.js';
import { AF_INET, AF_INET6 } from '../rtnl/constants.js';
import {
  CTA_IP_V4_DST,
  CTA_IP_V4_SRC,
  CTA_IP_V6_DST,
  CTA_IP_V6_SRC,
  CTA_MARK,
  CTA_PROTOINFO,
  CTA_PROTOINFO_TCP,
  CTA_PROTOINFO_TCP_FLAGS_ORIGINAL,
  CTA_PROTOINFO_TCP_FLAGS_REPLY,
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
  CTA_ZONE,
  IPPROTO_ICMP,
  IPPROTO_ICMPV6,
  IPPROTO_TCP,
  IPS_CONFIRMED,
  TCP_STATES,
} from './constants.js';
import { protocolNumber, statusWord, type FlowSpec, type FlowTuple } from './flow.js';

const SPEC_KEYS: ReadonlySet<string> = new Set([
  'family', 'protocol', 'src', 'dst', 'sport', 'dport', 'icmpType', 'icmpCode', 'icmpId', 'reply', 'timeout', 'mark', 'zone', 'tcpState', 'status',
]);

// struct nf_ct_tcp_flags { flags, mask }: SACK_PERM | BE_LIBERAL. A flow injected from user space
// has no window-tracking history; without "be liberal" the kernel may call its packets invalid.
// libnetfilter_conntrack sets the same.
const TCP_INJECTED_FLAGS = Uint8Array.of(0x0a, 0x0a);

/** An address as written: a number for IPv4 (no array per address), bytes for IPv6. */
type Address = number | Uint8Array;

function address(text: unknown, field: string, family: 4 | 6 | undefined): Address {
  if (family !== 6 && typeof text === 'string') {
    const v4 = parseIPv4Number(text);
    if (v4 >= 0) return v4;
  }
  const parsed = parseAddress(text, field, family);
  return parsed.bytes;
}

function familyOf(address: Address): 4 | 6 {
  return typeof address === 'number' ? 4 : 6;
}

function hasPorts(protocol: number): boolean {
  return protocol === 6 || protocol === 17 || protocol === 132 || protocol === 33 || protocol === 136;
}

interface Ends {
  src: Address;
  dst: Address;
  sport: number;
  dport: number;
  icmpType: number;
  icmpCode: number;
  icmpId: number;
}

function checkEnds(tuple: FlowTuple, protocol: number, field: string, family: 4 | 6 | undefined): Ends {
  const src = address(tuple.src, `${field}.src`, family);
  const dst = address(tuple.dst, `${field}.dst`, familyOf(src));
  const ends: Ends = { src, dst, sport: 0, dport: 0, icmpType: 0, icmpCode: 0, icmpId: 0 };
  if (hasPorts(protocol)) {
    ends.sport = u16(tuple.sport, `${field}.sport`);
    ends.dport = u16(tuple.dport, `${field}.dport`);
  } else if (protocol === IPPROTO_ICMP || protocol === IPPROTO_ICMPV6) {
    ends.icmpType = integerInRange(tuple.icmpType ?? 8, `${field}.icmpType`, 0, 255);
    ends.icmpCode = integerInRange(tuple.icmpCode ?? 0, `${field}.icmpCode`, 0, 255);
    ends.icmpId = u16(tuple.icmpId ?? 0, `${field}.icmpId`);
  }
  return ends;
}

function writeAddress(writer: MessageWriter, type4: number, type6: number, value: Address): void {
  if (typeof value === 'number') writer.attrBe32(type4, value);
  else writer.attrBytes(type6, value);
}

function writeTuple(writer: MessageWriter, type: number, protocol: number, src: Address, dst: Address, sport: number, dport: number, icmp: { type: number; code: number; id: number } | undefined): void {
  writer.beginNest(type, true);
  writer.beginNest(CTA_TUPLE_IP, true);
  writeAddress(writer, CTA_IP_V4_SRC, CTA_IP_V6_SRC, src);
  writeAddress(writer, CTA_IP_V4_DST, CTA_IP_V6_DST, dst);
  writer.endNest();
  writer.beginNest(CTA_TUPLE_PROTO, true);
  writer.attrU8(CTA_PROTO_NUM, protocol);
  if (hasPorts(protocol)) {
    writer.attrBe16(CTA_PROTO_SRC_PORT, sport);
    writer.attrBe16(CTA_PROTO_DST_PORT, dport);
  } else if (icmp) {
    // libnetfilter_conntrack's order: code, type, id.
    const v6 = protocol === IPPROTO_ICMPV6;
    writer.attrU8(v6 ? CTA_PROTO_ICMPV6_CODE : CTA_PROTO_ICMP_CODE, icmp.code);
    writer.attrU8(v6 ? CTA_PROTO_ICMPV6_TYPE : CTA_PROTO_ICMP_TYPE, icmp.type);
    writer.attrBe16(v6 ? CTA_PROTO_ICMPV6_ID : CTA_PROTO_ICMP_ID, icmp.id);
  }
  writer.endNest();
  writer.endNest();
}

/** The reply ICMP type of a request type without NAT: echo request -> echo reply. */
function replyIcmpType(protocol: number, type: number): number {
  if (protocol === IPPROTO_ICMPV6) return type === 128 ? 129 : type;
  return type === 8 ? 0 : type;
}

/**
 * Checks a flow to create and writes its request body (after the caller began the message),
 * in one pass and in libnetfilter_conntrack's attribute order: original and reply tuples,
 * status, timeout, mark, TCP state, zone. Throws a ValidationError naming `field` on bad input;
 * nothing is sent until the whole batch is written, so a bad item sends nothing.
 */
export function writeCreateRequest(writer: MessageWriter, input: FlowSpec, field: string): void {
  const spec = plainObject(input, field) as unknown as FlowSpec;
  knownKeys(spec as unknown as Record<string, unknown>, field, SPEC_KEYS);
  const protocol = protocolNumber(spec.protocol, `${field}.protocol`);
  let family: 4 | 6 | undefined;
  if (spec.family !== undefined) {
    if (spec.family !== 'inet' && spec.family !== 'inet6') throw new ValidationError(`${field}.family`, spec.family, "expected 'inet' or 'inet6'");
    family = spec.family === 'inet' ? 4 : 6;
  }
  const original = checkEnds(spec, protocol, field, family);
  const reply = spec.reply !== undefined ? checkEnds(plainObject(spec.reply, `${field}.reply`) as unknown as FlowTuple, protocol, `${field}.reply`, familyOf(original.src)) : undefined;
  const timeout = spec.timeout !== undefined ? integerInRange(spec.timeout, `${field}.timeout`, 1, 0x7fffffff) : 120;
  const mark = spec.mark !== undefined ? u32(spec.mark, `${field}.mark`) : undefined;
  const zone = spec.zone !== undefined ? u16(spec.zone, `${field}.zone`) : undefined;
  let tcpState: number | undefined;
  if (protocol === IPPROTO_TCP) {
    tcpState = TCP_STATES.indexOf(spec.tcpState ?? 'ESTABLISHED');
    if (tcpState < 0) throw new ValidationError(`${field}.tcpState`, spec.tcpState, `expected one of ${TCP_STATES.join(', ')}`);
  } else if (spec.tcpState !== undefined) {
    throw new ValidationError(`${field}.tcpState`, spec.tcpState, 'only TCP flows have a TCP state');
  }
  let status: number | undefined;
  if (spec.status !== undefined) {
    if (!Array.isArray(spec.status)) throw new ValidationError(`${field}.status`, spec.status, 'expected an array of status names');
    // The kernel treats CONFIRMED as unchangeable and a created flow is confirmed: a status
    // without it is refused with EBUSY. libnetfilter_conntrack adds it the same way.
    status = statusWord(spec.status, `${field}.status`) | IPS_CONFIRMED;
  }

  const icmp = protocol === IPPROTO_ICMP || protocol === IPPROTO_ICMPV6;
  writeNfgenmsg(writer, familyOf(original.src) === 4 ? AF_INET : AF_INET6);
  writeTuple(writer, CTA_TUPLE_ORIG, protocol, original.src, original.dst, original.sport, original.dport,
    icmp ? { type: original.icmpType, code: original.icmpCode, id: original.icmpId } : undefined);
  if (reply) {
    writeTuple(writer, CTA_TUPLE_REPLY, protocol, reply.src, reply.dst, reply.sport, reply.dport,
      icmp ? { type: reply.icmpType, code: reply.icmpCode, id: reply.icmpId } : undefined);
  } else {
    writeTuple(writer, CTA_TUPLE_REPLY, protocol, original.dst, original.src, original.dport, original.sport,
      icmp ? { type: replyIcmpType(protocol, original.icmpType), code: original.icmpCode, id: original.icmpId } : undefined);
  }
  if (status !== undefined) writer.attrBe32(CTA_STATUS, status);
  writer.attrBe32(CTA_TIMEOUT, timeout);
  if (mark !== undefined) writer.attrBe32(CTA_MARK, mark);
  if (tcpState !== undefined) {
    writer.beginNest(CTA_PROTOINFO, true);
    writer.beginNest(CTA_PROTOINFO_TCP, true);
    writer.attrU8(CTA_PROTOINFO_TCP_STATE, tcpState);
    writer.attrBytes(CTA_PROTOINFO_TCP_FLAGS_ORIGINAL, TCP_INJECTED_FLAGS);
    writer.attrBytes(CTA_PROTOINFO_TCP_FLAGS_REPLY, TCP_INJECTED_FLAGS);
    writer.endNest();
    writer.endNest();
  }
  if (zone !== undefined) writer.attrBe16(CTA_ZONE, zone);
}
