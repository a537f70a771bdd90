import { parseAddress, parseIPv4Number } from '../common/ip.js';
import { integerInRange, isIntegerIn, knownKeys, plainObject, u16, u32 } from '../common/validate.js';
import { HOST_IS_LITTLE_ENDIAN, MessageWriter, hostBytes4, networkHalfWord, networkWord } from '../netlink/attributes.js';
import type { Batch } from '../netlink/batch.js';
import { NLA_F_NESTED, NLA_TYPE_MASK, NLMSG_HDRLEN } from '../netlink/constants.js';
import { ValidationError } from '../netlink/errors.js';
import { NFGENMSG_LEN, writeNfgenmsg } from '../netlink/nfnetlink.js';
import { AF_INET, AF_INET6 } from '../rtnl/constants.js';
import { keepShape } from '../shapes.js';
import {
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
  CTA_TUPLE_ZONE,
  CTA_ZONE,
  IPPROTO_GRE,
  IPPROTO_ICMP,
  IPPROTO_ICMPV6,
  IPPROTO_TCP,
  IPPROTO_SCTP,
  IPS_CONFIRMED,
  SCTP_STATES,
  TCP_STATES,
} from './constants.js';
import { checkIcmpType, checkZoneDirection, icmpReplyType, protocolNumber, statusWord, tupleHasPorts, type FlowSpec, type FlowTuple, type ZoneDirection } from './flow.js';

const SPEC_KEYS: ReadonlySet<string> = new Set([
  'family', 'protocol', 'src', 'dst', 'sport', 'dport', 'icmpType', 'icmpCode', 'icmpId', 'reply', 'timeout', 'mark', 'zone', 'zoneDirection', 'tcpState', 'sctpState', 'sctpVtag', 'status',
]);

// struct nf_ct_tcp_flags { flags, mask }: SACK_PERM | BE_LIBERAL. A flow injected from user space
// has no window-tracking history; without "be liberal" the kernel may call its packets invalid.
// libnetfilter_conntrack sets the same.
const TCP_INJECTED_FLAGS = Uint8Array.of(0x0a, 0x0a);

/** An address as written: a number for IPv4 (no array per address), bytes for IPv6. */
type Address = number | Uint8Array;

// Field names (`flows[57].src`) are only built when a value is refused: bulk calls check
// 100k flows, and building six strings per flow would cost more than the checks.
function address(text: unknown, field: string, key: string, family: 4 | 6 | undefined): Address {
  if (family !== 6 && typeof text === 'string') {
    const v4 = parseIPv4Number(text);
    if (v4 >= 0) return v4;
  }
  const parsed = parseAddress(text, `${field}.${key}`, family);
  return parsed.bytes;
}

function port(value: unknown, field: string, key: string): number {
  if (typeof value === 'number' && value >= 0 && value <= 0xffff && Number.isInteger(value)) return value;
  return u16(value, `${field}.${key}`);
}

function familyOf(address: Address): 4 | 6 {
  return typeof address === 'number' ? 4 : 6;
}

interface Ends {
  src: Address;
  dst: Address;
  /** The ports (GRE: keys); -1 in a tuple without them. */
  sport: number;
  dport: number;
  icmpType: number;
  icmpCode: number;
  icmpId: number;
}

function checkEnds(tuple: FlowTuple, protocol: number, field: string, family: 4 | 6 | undefined): Ends {
  const src = address(tuple.src, field, 'src', family);
  const dst = address(tuple.dst, field, 'dst', familyOf(src));
  const ends: Ends = { src, dst, sport: -1, dport: -1, icmpType: 0, icmpCode: 0, icmpId: 0 };
  if (tupleHasPorts(protocol, tuple.sport, tuple.dport)) {
    ends.sport = port(tuple.sport, field, 'sport');
    ends.dport = port(tuple.dport, field, 'dport');
  } else if (protocol === IPPROTO_GRE) {
    ends.sport = 0;
    ends.dport = 0;
  } else if (protocol === IPPROTO_ICMP || protocol === IPPROTO_ICMPV6) {
    ends.icmpType = checkIcmpType(tuple.icmpType, protocol, `${field}.icmpType`);
    ends.icmpCode = integerInRange(tuple.icmpCode ?? 0, `${field}.icmpCode`, 0, 255);
    ends.icmpId = u16(tuple.icmpId ?? 0, `${field}.icmpId`);
  }
  return ends;
}

function writeAddress(writer: MessageWriter, type4: number, type6: number, value: Address): void {
  if (typeof value === 'number') writer.attrBe32(type4, value);
  else writer.attrBytes(type6, value);
}

/** Writes a tuple nest; `zone` (CTA_TUPLE_ZONE) when the flow's zone applies to this direction only. */
function writeTuple(writer: MessageWriter, type: number, protocol: number, src: Address, dst: Address, sport: number, dport: number, icmp: { type: number; code: number; id: number } | undefined, zone: number | undefined): void {
  writer.beginNest(type, true);
  writer.beginNest(CTA_TUPLE_IP, true);
  writeAddress(writer, CTA_IP_V4_SRC, CTA_IP_V6_SRC, src);
  writeAddress(writer, CTA_IP_V4_DST, CTA_IP_V6_DST, dst);
  writer.endNest();
  writer.beginNest(CTA_TUPLE_PROTO, true);
  writer.attrU8(CTA_PROTO_NUM, protocol);
  if (sport >= 0) {
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
  // After the proto nest, as libnetfilter_conntrack writes --orig-zone / --reply-zone.
  if (zone !== undefined) writer.attrBe16(CTA_TUPLE_ZONE, zone);
  writer.endNest();
}

/**
 * hasOnlyKnownKeys for a flow the fast path read: when its keys are exactly the fields read
 * (counted without a lookup per key), no key needs checking.
 */
function onlyKnownKeys(spec: FlowSpec): boolean {
  const present =
    +(spec.family !== undefined) + +(spec.protocol !== undefined) + +(spec.src !== undefined) + +(spec.dst !== undefined) + +(spec.sport !== undefined) +
    +(spec.dport !== undefined) + +(spec.timeout !== undefined) + +(spec.mark !== undefined) + +(spec.zone !== undefined) + +(spec.tcpState !== undefined);
  let keys = 0;
  for (const _key in spec) keys++;
  return keys === present || hasOnlyKnownKeys(spec);
}

function hasOnlyKnownKeys(spec: object): boolean {
  for (const key in spec) {
    if (!SPEC_KEYS.has(key) && (spec as Record<string, unknown>)[key] !== undefined) return false;
  }
  return true;
}

/** A flow to create, checked: what is written, in kernel terms. */
export interface CheckedFlow {
  family: 4 | 6;
  protocol: number;
  original: Ends;
  /** The reply tuple when given; else the inverse of the original is written. */
  reply: Ends | undefined;
  timeout: number;
  mark: number | undefined;
  zone: number | undefined;
  /** The one direction the zone applies to (written inside that tuple); undefined: both (CTA_ZONE). */
  zoneDirection: ZoneDirection | undefined;
  tcpState: number | undefined;
  /** The SCTP state and tags, written only when a state is given (the kernel needs all three). */
  sctp: { state: number; vtagOriginal: number; vtagReply: number } | undefined;
  status: number | undefined;
}

/** Checks a flow to create; throws a ValidationError naming `field` on bad input. */
export function checkCreate(input: FlowSpec, field: string): CheckedFlow {
  const spec = plainObject(input, field) as unknown as FlowSpec;
  knownKeys(spec as unknown as Record<string, unknown>, field, SPEC_KEYS);
  const protocol = spec.protocol === 'udp' ? 17 : spec.protocol === 'tcp' ? 6 : protocolNumber(spec.protocol, `${field}.protocol`);
  let family: 4 | 6 | undefined;
  if (spec.family !== undefined) {
    if (spec.family !== 'inet' && spec.family !== 'inet6') throw new ValidationError(`${field}.family`, spec.family, "expected 'inet' or 'inet6'");
    family = spec.family === 'inet' ? 4 : 6;
  }
  const original = checkEnds(spec, protocol, field, family);
  const reply = spec.reply !== undefined ? checkEnds(plainObject(spec.reply, `${field}.reply`) as unknown as FlowTuple, protocol, `${field}.reply`, familyOf(original.src)) : undefined;
  const timeout = spec.timeout === undefined ? 120 : isIntegerIn(spec.timeout, 1, 0x7fffffff) ? spec.timeout : integerInRange(spec.timeout, `${field}.timeout`, 1, 0x7fffffff);
  const mark = spec.mark === undefined ? undefined : isIntegerIn(spec.mark, 0, 0xffffffff) ? spec.mark : u32(spec.mark, `${field}.mark`);
  const zone = spec.zone === undefined ? undefined : isIntegerIn(spec.zone, 0, 0xffff) ? spec.zone : u16(spec.zone, `${field}.zone`);
  const zoneDirection = checkZoneDirection(spec.zoneDirection, spec.zone, `${field}.zoneDirection`);
  let tcpState: number | undefined;
  if (protocol === IPPROTO_TCP) {
    tcpState = TCP_STATES.indexOf(spec.tcpState ?? 'ESTABLISHED');
    if (tcpState < 0) throw new ValidationError(`${field}.tcpState`, spec.tcpState, `expected one of ${TCP_STATES.join(', ')}`);
  } else if (spec.tcpState !== undefined) {
    throw new ValidationError(`${field}.tcpState`, spec.tcpState, 'only TCP flows have a TCP state');
  }
  const sctp = checkSctp(spec, protocol, field);
  let status: number | undefined;
  if (spec.status !== undefined) {
    if (!Array.isArray(spec.status)) throw new ValidationError(`${field}.status`, spec.status, 'expected an array of status names');
    // The kernel treats CONFIRMED as unchangeable and a created flow is confirmed: a status
    // without it is refused with EBUSY. libnetfilter_conntrack adds it the same way.
    status = statusWord(spec.status, `${field}.status`) | IPS_CONFIRMED;
  }
  return { family: familyOf(original.src), protocol, original, reply, timeout, mark, zone, zoneDirection, tcpState, sctp, status };
}

/** The SCTP state and verification tags of a flow to create (nlattr_to_sctp needs all three). */
function checkSctp(spec: FlowSpec, protocol: number, field: string): CheckedFlow['sctp'] {
  if (spec.sctpState === undefined) {
    if (spec.sctpVtag !== undefined) throw new ValidationError(`${field}.sctpVtag`, spec.sctpVtag, 'verification tags need sctpState');
    return undefined;
  }
  if (protocol !== IPPROTO_SCTP) throw new ValidationError(`${field}.sctpState`, spec.sctpState, 'only SCTP flows have an SCTP state');
  const state = SCTP_STATES.indexOf(spec.sctpState);
  if (state < 0) throw new ValidationError(`${field}.sctpState`, spec.sctpState, `expected one of ${SCTP_STATES.join(', ')}`);
  if (spec.sctpVtag === undefined) return { state, vtagOriginal: 0, vtagReply: 0 };
  const vtag = plainObject(spec.sctpVtag, `${field}.sctpVtag`) as Record<string, unknown>;
  knownKeys(vtag, `${field}.sctpVtag`, SCTP_VTAG_KEYS);
  return { state, vtagOriginal: u32(vtag.original ?? 0, `${field}.sctpVtag.original`), vtagReply: u32(vtag.reply ?? 0, `${field}.sctpVtag.reply`) };
}

const SCTP_VTAG_KEYS: ReadonlySet<string> = new Set(['original', 'reply']);

/** The reply direction actually written: the given one, or the inverse of the original. */
function replyEnds(flow: CheckedFlow): Ends {
  if (flow.reply) return flow.reply;
  const o = flow.original;
  return { src: o.dst, dst: o.src, sport: o.dport, dport: o.sport, icmpType: icmpReplyType(flow.protocol, o.icmpType), icmpCode: o.icmpCode, icmpId: o.icmpId };
}

/**
 * Writes a checked flow's create request body (after the caller began the message), in
 * libnetfilter_conntrack's attribute order: original and reply tuples (each with its own zone,
 * for a zone of one direction), status, timeout, mark, TCP state, zone (of both directions).
 */
export function writeChecked(writer: MessageWriter, flow: CheckedFlow): void {
  const icmp = flow.protocol === IPPROTO_ICMP || flow.protocol === IPPROTO_ICMPV6;
  const o = flow.original;
  const r = replyEnds(flow);
  writeNfgenmsg(writer, flow.family === 4 ? AF_INET : AF_INET6);
  const originalZone = flow.zoneDirection === 'original' ? flow.zone : undefined;
  const replyZone = flow.zoneDirection === 'reply' ? flow.zone : undefined;
  writeTuple(writer, CTA_TUPLE_ORIG, flow.protocol, o.src, o.dst, o.sport, o.dport, icmp ? { type: o.icmpType, code: o.icmpCode, id: o.icmpId } : undefined, originalZone);
  writeTuple(writer, CTA_TUPLE_REPLY, flow.protocol, r.src, r.dst, r.sport, r.dport, icmp ? { type: r.icmpType, code: r.icmpCode, id: r.icmpId } : undefined, replyZone);
  if (flow.status !== undefined) writer.attrBe32(CTA_STATUS, flow.status);
  writer.attrBe32(CTA_TIMEOUT, flow.timeout);
  if (flow.mark !== undefined) writer.attrBe32(CTA_MARK, flow.mark);
  if (flow.tcpState !== undefined) {
    writer.beginNest(CTA_PROTOINFO, true);
    writer.beginNest(CTA_PROTOINFO_TCP, true);
    writer.attrU8(CTA_PROTOINFO_TCP_STATE, flow.tcpState);
    writer.attrBytes(CTA_PROTOINFO_TCP_FLAGS_ORIGINAL, TCP_INJECTED_FLAGS);
    writer.attrBytes(CTA_PROTOINFO_TCP_FLAGS_REPLY, TCP_INJECTED_FLAGS);
    writer.endNest();
    writer.endNest();
  }
  if (flow.sctp !== undefined) {
    writer.beginNest(CTA_PROTOINFO, true);
    writer.beginNest(CTA_PROTOINFO_SCTP, true);
    writer.attrU8(CTA_PROTOINFO_SCTP_STATE, flow.sctp.state);
    writer.attrBe32(CTA_PROTOINFO_SCTP_VTAG_ORIGINAL, flow.sctp.vtagOriginal);
    writer.attrBe32(CTA_PROTOINFO_SCTP_VTAG_REPLY, flow.sctp.vtagReply);
    writer.endNest();
    writer.endNest();
  }
  if (flow.zone !== undefined && flow.zoneDirection === undefined) writer.attrBe16(CTA_ZONE, flow.zone);
}

/**
 * Checks a flow to create and writes its request body (after the caller began the message).
 * Throws a ValidationError naming `field` on bad input; nothing is sent until the whole batch
 * is written, so a bad item sends nothing.
 */
export function writeCreateRequest(writer: MessageWriter, input: FlowSpec, field: string): void {
  writeChecked(writer, checkCreate(input, field));
}

/** Where a tuple's constants lie in a template (offsets from the message start; -1: absent). */
interface TupleOffsets {
  src: number;
  dst: number;
  sport: number;
  dport: number;
  icmpType: number;
  icmpCode: number;
  icmpId: number;
}

interface Template {
  /** Its place in {@link CreateTemplates.list}. */
  position: number;
  message: Uint8Array;
  original: TupleOffsets;
  reply: TupleOffsets;
  status: number;
  timeout: number;
  mark: number;
  zone: number;
  tcpState: number;
  /**
   * The message as host-order words, for the bulk path's word runs, with the word of each field
   * it patches (WORD_* indexes; -1 where the shape has none). Undefined if a field it patches
   * does not start a word, or its word holds other nonzero bytes.
   */
  words: Uint32Array | undefined;
  patchWords: Int32Array;
}

// Fields a word run patches, by their index in Template.patchWords.
const WORD_SRC = 0;
const WORD_DST = 1;
const WORD_SPORT = 2;
const WORD_DPORT = 3;
const WORD_REPLY_SRC = 4;
const WORD_REPLY_DST = 5;
const WORD_REPLY_SPORT = 6;
const WORD_REPLY_DPORT = 7;
const WORD_TIMEOUT = 8;
const WORD_MARK = 9;
const WORD_ZONE = 10;
const WORD_TCP_STATE = 11;

/** Template.words and patchWords for `template` (see there). */
function wordLayout(template: Template): { words: Uint32Array | undefined; patchWords: Int32Array } {
  const message = template.message;
  const o = template.original;
  const r = template.reply;
  // Each field with its size in bytes: the rest of its word must be zero (padding).
  const fields: [offset: number, size: number][] = [
    [o.src, 4], [o.dst, 4], [o.sport, 2], [o.dport, 2], [r.src, 4], [r.dst, 4], [r.sport, 2], [r.dport, 2],
    [template.timeout, 4], [template.mark, 4], [template.zone, 2], [template.tcpState, 1],
  ];
  const patchWords = new Int32Array(fields.length).fill(-1);
  let aligned = message.length % 4 === 0;
  fields.forEach(([offset, size], i) => {
    if (offset < 0) return;
    if (offset % 4 !== 0 || message.subarray(offset + size, offset + 4).some((byte) => byte !== 0)) aligned = false;
    patchWords[i] = offset >>> 2;
  });
  const words = aligned ? new Uint32Array(Uint8Array.from(message).buffer) : undefined;
  return { words, patchWords };
}

function emptyTupleOffsets(): TupleOffsets {
  return { src: -1, dst: -1, sport: -1, dport: -1, icmpType: -1, icmpCode: -1, icmpId: -1 };
}

/** Visits the attributes in [start, end) of `bytes`, recursing into nests, with their path of types. */
function walk(bytes: Uint8Array, start: number, end: number, path: number[], visit: (path: number[], value: number) => void): void {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  for (let off = start; off + 4 <= end; ) {
    const length = view.getUint16(off, HOST_IS_LITTLE_ENDIAN);
    const type = view.getUint16(off + 2, HOST_IS_LITTLE_ENDIAN);
    const here = [...path, type & NLA_TYPE_MASK];
    visit(here, off + 4);
    if (type & NLA_F_NESTED) walk(bytes, off + 4, off + length, here, visit);
    off += (length + 3) & ~3;
  }
}

function compileTemplate(flow: CheckedFlow, type: number, flags: number): Template {
  const writer = new MessageWriter(256);
  writer.beginMessage(type, flags, 0);
  writeChecked(writer, flow);
  writer.endMessage();
  const message = Uint8Array.from(writer.bytes());
  const template: Template = { position: -1, message, original: emptyTupleOffsets(), reply: emptyTupleOffsets(), status: -1, timeout: -1, mark: -1, zone: -1, tcpState: -1, words: undefined, patchWords: new Int32Array(0) };
  walk(message, NLMSG_HDRLEN + NFGENMSG_LEN, message.length, [], (path, value) => {
    const [top, nest, leaf] = path;
    if ((top === CTA_TUPLE_ORIG || top === CTA_TUPLE_REPLY) && path.length === 2 && nest === CTA_TUPLE_ZONE) {
      template.zone = value;
    } else if ((top === CTA_TUPLE_ORIG || top === CTA_TUPLE_REPLY) && leaf !== undefined) {
      const tuple = top === CTA_TUPLE_ORIG ? template.original : template.reply;
      if (nest === CTA_TUPLE_IP) {
        if (leaf === CTA_IP_V4_SRC || leaf === CTA_IP_V6_SRC) tuple.src = value;
        else if (leaf === CTA_IP_V4_DST || leaf === CTA_IP_V6_DST) tuple.dst = value;
      } else if (nest === CTA_TUPLE_PROTO) {
        if (leaf === CTA_PROTO_SRC_PORT) tuple.sport = value;
        else if (leaf === CTA_PROTO_DST_PORT) tuple.dport = value;
        else if (leaf === CTA_PROTO_ICMP_TYPE || leaf === CTA_PROTO_ICMPV6_TYPE) tuple.icmpType = value;
        else if (leaf === CTA_PROTO_ICMP_CODE || leaf === CTA_PROTO_ICMPV6_CODE) tuple.icmpCode = value;
        else if (leaf === CTA_PROTO_ICMP_ID || leaf === CTA_PROTO_ICMPV6_ID) tuple.icmpId = value;
      }
    } else if (path.length === 1) {
      if (top === CTA_STATUS) template.status = value;
      else if (top === CTA_TIMEOUT) template.timeout = value;
      else if (top === CTA_MARK) template.mark = value;
      else if (top === CTA_ZONE) template.zone = value;
    } else if (top === CTA_PROTOINFO && path.length === 3 && leaf === CTA_PROTOINFO_TCP_STATE) {
      template.tcpState = value;
    }
  });
  const layout = wordLayout(template);
  template.words = layout.words;
  template.patchWords = layout.patchWords;
  return template;
}

function patchAddress(writer: MessageWriter, offset: number, address: Address): void {
  if (typeof address === 'number') writer.patchBe32(offset, address);
  else writer.patchBytes(offset, address);
}

function patchTuple(writer: MessageWriter, at: number, offsets: TupleOffsets, ends: Ends): void {
  patchAddress(writer, at + offsets.src, ends.src);
  patchAddress(writer, at + offsets.dst, ends.dst);
  if (offsets.sport >= 0) writer.patchBe16(at + offsets.sport, ends.sport);
  if (offsets.dport >= 0) writer.patchBe16(at + offsets.dport, ends.dport);
  if (offsets.icmpType >= 0) writer.patchU8(at + offsets.icmpType, ends.icmpType);
  if (offsets.icmpCode >= 0) writer.patchU8(at + offsets.icmpCode, ends.icmpCode);
  if (offsets.icmpId >= 0) writer.patchBe16(at + offsets.icmpId, ends.icmpId);
}

/**
 * Create requests written from templates: flows of one shape (family, protocol, which optional
 * fields are present) have the same layout, so the message is encoded once per shape and then
 * copied and patched per flow. A bulk create of 100k flows writes no attribute twice. The bytes
 * are the general encoder's, which the golden tests hold against the conntrack tool's.
 */
export class CreateTemplates {
  private readonly templates = new Map<number, Template>();
  /** Every template made, in order: a checked flow refers to its template by position. */
  readonly list: Template[] = [];

  constructor(
    private readonly type: number,
    private readonly flags: number,
  ) {}

  /** The position in {@link list} of a shape's template, or -1 before it is made. */
  positionOf(shape: number): number {
    return this.templates.get(shape)?.position ?? -1;
  }

  /** The position of a shape's template, compiled from `flow` (which has that shape) the first time. */
  templateFor(shape: number, flow: CheckedFlow): number {
    let template = this.templates.get(shape);
    if (template === undefined) {
      template = compileTemplate(flow, this.type, this.flags);
      template.position = this.list.length;
      this.templates.set(shape, template);
      this.list.push(template);
    }
    return template.position;
  }

  /**
   * Checks every flow, before anything is written or sent; throws a ValidationError naming
   * `flows[index]...` at the first bad one. The result writes each flow's create request.
   */
  check(flows: readonly FlowSpec[]): CheckedCreates {
    return new CheckedCreates(this, flows);
  }

  /** Appends the create request of a checked flow to the batch, for operation `op`. */
  append(batch: Batch, op: number, flow: CheckedFlow): void {
    if (flow.sctp !== undefined) {
      // Rare, and its state and tags are not among the fields a template patches.
      batch.begin(op, this.type, this.flags);
      writeChecked(batch.writer, flow);
      batch.end();
      return;
    }
    const shape =
      (flow.family === 6 ? 1 : 0) | (flow.protocol << 1) | (flow.reply ? 1 << 9 : 0) | (flow.mark !== undefined ? 1 << 10 : 0) |
      (flow.zone !== undefined ? 1 << 11 : 0) | (flow.status !== undefined ? 1 << 12 : 0) | (flow.tcpState !== undefined ? 1 << 13 : 0) |
      // A DCCP tuple may lack ports; a zone may sit in either tuple instead of CTA_ZONE.
      (flow.original.sport < 0 ? 1 << 14 : 0) | (flow.reply !== undefined && flow.reply.sport < 0 ? 1 << 15 : 0) |
      (flow.zoneDirection === 'original' ? 1 << 16 : 0) | (flow.zoneDirection === 'reply' ? 1 << 17 : 0);
    const template = this.list[this.templateFor(shape, flow)]!;
    const at = batch.appendMessage(op, template.message);
    const writer = batch.writer;
    patchTuple(writer, at, template.original, flow.original);
    if (flow.reply) {
      patchTuple(writer, at, template.reply, flow.reply);
    } else {
      // The inverse of the original, written without making it.
      const o = flow.original;
      const r = template.reply;
      patchAddress(writer, at + r.src, o.dst);
      patchAddress(writer, at + r.dst, o.src);
      if (r.sport >= 0) writer.patchBe16(at + r.sport, o.dport);
      if (r.dport >= 0) writer.patchBe16(at + r.dport, o.sport);
      if (r.icmpType >= 0) writer.patchU8(at + r.icmpType, icmpReplyType(flow.protocol, o.icmpType));
      if (r.icmpCode >= 0) writer.patchU8(at + r.icmpCode, o.icmpCode);
      if (r.icmpId >= 0) writer.patchBe16(at + r.icmpId, o.icmpId);
    }
    if (template.status >= 0) writer.patchBe32(at + template.status, flow.status!);
    writer.patchBe32(at + template.timeout, flow.timeout);
    if (template.mark >= 0) writer.patchBe32(at + template.mark, flow.mark!);
    if (template.zone >= 0) writer.patchBe16(at + template.zone, flow.zone!);
    if (template.tcpState >= 0) writer.patchU8(at + template.tcpState, flow.tcpState!);
  }
}

/** Marks a flow of {@link CheckedCreates} that went through the general checks. */
const GENERAL = 0xffff;

/**
 * Flows checked for a bulk create, kept until they are written: the common shape (IPv4, tcp or
 * udp, optional mark, zone and TCP state) in typed arrays, without any object per flow; anything
 * else as a {@link CheckedFlow}. Checking all before writing any lets a bulk create send its
 * first chunk while later ones are still being written, and still send nothing on bad input.
 */
export class CheckedCreates {
  readonly count: number;
  private readonly template: Uint16Array;
  private readonly src: Uint32Array;
  private readonly dst: Uint32Array;
  private readonly ports: Uint32Array;
  private readonly timeout: Uint32Array;
  private readonly mark: Uint32Array;
  private readonly zone: Uint16Array;
  private readonly tcpState: Uint8Array;
  private readonly general = new Map<number, CheckedFlow>();

  constructor(
    private readonly templates: CreateTemplates,
    flows: readonly FlowSpec[],
  ) {
    const n = flows.length;
    this.count = n;
    this.template = new Uint16Array(n);
    this.src = new Uint32Array(n);
    this.dst = new Uint32Array(n);
    this.ports = new Uint32Array(n);
    this.timeout = new Uint32Array(n);
    this.mark = new Uint32Array(n);
    this.zone = new Uint16Array(n);
    this.tcpState = new Uint8Array(n);
    // Bulk creates often share an address (one server, many clients): parsed once per run.
    let lastSrc: unknown;
    let lastSrcNumber = -1;
    let lastDst: unknown;
    let lastDstNumber = -1;
    let lastShape = -1;
    let lastPosition = 0;
    for (let index = 0; index < n; index++) {
      const spec = flows[index]!;
      if (
        typeof spec !== 'object' || spec === null || Array.isArray(spec) ||
        spec.reply !== undefined || spec.status !== undefined || spec.zoneDirection !== undefined || (spec.family !== undefined && spec.family !== 'inet')
      ) {
        this.keepGeneral(index, checkCreate(spec, `flows[${index}]`));
        continue;
      }
      const protocol = spec.protocol === 'udp' ? 17 : spec.protocol === 'tcp' ? 6 : -1;
      const srcText = spec.src;
      const dstText = spec.dst;
      if (srcText !== lastSrc) {
        lastSrc = srcText;
        lastSrcNumber = typeof srcText === 'string' ? parseIPv4Number(srcText) : -1;
      }
      if (dstText !== lastDst) {
        lastDst = dstText;
        lastDstNumber = typeof dstText === 'string' ? parseIPv4Number(dstText) : -1;
      }
      const src = lastSrcNumber;
      const dst = lastDstNumber;
      const { sport, dport, timeout, mark, zone } = spec;
      let tcpState = -1;
      if (protocol === 6) tcpState = spec.tcpState === undefined ? 3 /* ESTABLISHED */ : TCP_STATES.indexOf(spec.tcpState);
      if (
        protocol < 0 || src < 0 || dst < 0 || !isIntegerIn(sport, 0, 0xffff) || !isIntegerIn(dport, 0, 0xffff) ||
        (timeout !== undefined && !isIntegerIn(timeout, 1, 0x7fffffff)) || (mark !== undefined && !isIntegerIn(mark, 0, 0xffffffff)) ||
        (zone !== undefined && !isIntegerIn(zone, 0, 0xffff)) || (protocol === 6 ? tcpState < 0 : spec.tcpState !== undefined) ||
        !onlyKnownKeys(spec)
      ) {
        // Not the common shape, or a bad value: the general checks name the field.
        this.keepGeneral(index, checkCreate(spec, `flows[${index}]`));
        continue;
      }
      const shape = (protocol << 1) | (mark !== undefined ? 1 << 10 : 0) | (zone !== undefined ? 1 << 11 : 0) | (protocol === 6 ? 1 << 13 : 0);
      if (shape !== lastShape) {
        lastShape = shape;
        lastPosition = templates.positionOf(shape);
        if (lastPosition < 0) lastPosition = templates.templateFor(shape, checkCreate(spec, `flows[${index}]`));
      }
      this.template[index] = lastPosition;
      this.src[index] = src;
      this.dst[index] = dst;
      this.ports[index] = ((sport << 16) | dport) >>> 0;
      this.timeout[index] = timeout ?? 120;
      if (mark !== undefined) this.mark[index] = mark;
      if (zone !== undefined) this.zone[index] = zone;
      if (tcpState >= 0) this.tcpState[index] = tcpState;
    }
  }

  private keepGeneral(index: number, flow: CheckedFlow): void {
    this.template[index] = GENERAL;
    this.general.set(index, flow);
  }

  /**
   * Appends the create requests of flows from..to-1 to the batch, as operations (`operation`,
   * index): runs of fast-path flows as word runs (a copy of the template's words and a store per
   * field), any other flow one by one.
   */
  writeRun(batch: Batch, from: number, to: number, operation: string): void {
    for (let k = from; k < to; ) {
      if (!this.inWords(k)) {
        this.write(batch, batch.operationAt(operation, k), k);
        k++;
        continue;
      }
      let end = k + 1;
      while (end < to && this.inWords(end)) end++;
      this.writeWords(batch, k, end, operation);
      k = end;
    }
  }

  /** Whether flow `index` can be written as words (a fast-path flow whose template allows it). */
  private inWords(index: number): boolean {
    const position = this.template[index]!;
    return position !== GENERAL && this.templates.list[position]!.words !== undefined;
  }

  /** Writes fast-path flows from..to-1 (each inWords) as one word run: the bytes {@link write} writes. */
  private writeWords(batch: Batch, from: number, to: number, operation: string): void {
    const list = this.templates.list;
    let maxBytes = 0;
    for (const template of list) maxBytes = Math.max(maxBytes, template.message.length);
    const run = batch.beginWords(operation, to - from, (to - from) * maxBytes);
    const { words, starts, indexes, first } = run;
    let at = run.at;
    for (let index = from; index < to; index++) {
      const template = list[this.template[index]!]!;
      const source = template.words!;
      const p = template.patchWords;
      const message = first + (index - from);
      starts[message] = at * 4;
      indexes[message] = index;
      words.set(source, at);
      const src = networkWord(this.src[index]!);
      const dst = networkWord(this.dst[index]!);
      const ports = this.ports[index]!;
      const sport = networkHalfWord(ports >>> 16);
      const dport = networkHalfWord(ports);
      words[at + p[WORD_SRC]!] = src;
      words[at + p[WORD_DST]!] = dst;
      words[at + p[WORD_SPORT]!] = sport;
      words[at + p[WORD_DPORT]!] = dport;
      words[at + p[WORD_REPLY_SRC]!] = dst;
      words[at + p[WORD_REPLY_DST]!] = src;
      words[at + p[WORD_REPLY_SPORT]!] = dport;
      words[at + p[WORD_REPLY_DPORT]!] = sport;
      words[at + p[WORD_TIMEOUT]!] = networkWord(this.timeout[index]!);
      if (p[WORD_MARK]! >= 0) words[at + p[WORD_MARK]!] = networkWord(this.mark[index]!);
      if (p[WORD_ZONE]! >= 0) words[at + p[WORD_ZONE]!] = networkHalfWord(this.zone[index]!);
      if (p[WORD_TCP_STATE]! >= 0) words[at + p[WORD_TCP_STATE]!] = hostBytes4(this.tcpState[index]!, 0, 0, 0);
      at += source.length;
    }
    batch.endWords(at);
  }

  /** Appends flow `index`'s create request to the batch, for operation `op`. */
  write(batch: Batch, op: number, index: number): void {
    const position = this.template[index]!;
    if (position === GENERAL) {
      this.templates.append(batch, op, this.general.get(index)!);
      return;
    }
    const template = this.templates.list[position]!;
    const at = batch.appendMessage(op, template.message);
    const writer = batch.writer;
    const o = template.original;
    const r = template.reply;
    const src = this.src[index]!;
    const dst = this.dst[index]!;
    const sport = this.ports[index]! >>> 16;
    const dport = this.ports[index]! & 0xffff;
    writer.patchBe32(at + o.src, src);
    writer.patchBe32(at + o.dst, dst);
    writer.patchBe16(at + o.sport, sport);
    writer.patchBe16(at + o.dport, dport);
    writer.patchBe32(at + r.src, dst);
    writer.patchBe32(at + r.dst, src);
    writer.patchBe16(at + r.sport, dport);
    writer.patchBe16(at + r.dport, sport);
    writer.patchBe32(at + template.timeout, this.timeout[index]!);
    if (template.mark >= 0) writer.patchBe32(at + template.mark, this.mark[index]!);
    if (template.zone >= 0) writer.patchBe16(at + template.zone, this.zone[index]!);
    if (template.tcpState >= 0) writer.patchU8(at + template.tcpState, this.tcpState[index]!);
  }
}

keepShape(new CreateTemplates(0, 0).check([]));
