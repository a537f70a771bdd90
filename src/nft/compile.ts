/**
 * The compiler from nftables JSON rule statements to expression descriptors, producing what
 * nft produces for the same rule (the same expressions, registers and dependencies), so that
 * `nft list` prints routemark's rules exactly as the JSON that made them.
 */
import { integerInRange, shortString } from '../common/validate.js';
import { Attributes, align4 } from '../netlink/attributes.js';
import { NLA_HDRLEN } from '../netlink/constants.js';
import { ValidationError } from '../netlink/errors.js';
import { IP_CT_DIR_ORIGINAL, IP_CT_DIR_REPLY, NFT_CT_L3PROTOCOL } from './expr/ct.js';
import { booleanOfSize, integerOfSize, isHostOrderInteger, isWildcardInterfaceName, networkOrder, type Datatype, type ValueContext } from './datatypes.js';
import { NFPROTO_INET, NFPROTO_IPV4, NFPROTO_IPV6, NFPROTO_UNSPEC, NFT_REG32_00, NFT_REG_1, NFT_REG_2, NFT_REG_4, NFT_REG_SIZE, NFT_REG_VERDICT, NFT_SET_ANONYMOUS, NFT_SET_CONCAT, NFT_SET_CONSTANT, NFT_SET_INTERVAL, NFT_SET_TIMEOUT, NFT_OBJECT_COUNTER, NFT_OBJECT_QUOTA, NFTNL_UDATA_RULE_COMMENT } from './constants.js';
import { isRawExpr, type ExprDescriptor } from './expr/index.js';
import { NFT_BITWISE_BOOL } from './expr/bitwise.js';
import { NFTA_DYNSET_SET_NAME, NFTA_DYNSET_TIMEOUT, NFT_DYNSET_OP_ADD, NFT_DYNSET_OP_DELETE, NFT_DYNSET_OP_UPDATE } from './expr/dynset.js';
import { NFT_CONNLIMIT_F_INV } from './expr/connlimit.js';
import { NFT_CMP_EQ, NFT_CMP_GT, NFT_CMP_GTE, NFT_CMP_LT, NFT_CMP_LTE, NFT_CMP_NEQ } from './expr/cmp.js';
import { NFT_LIMIT_F_INV, NFT_LIMIT_PKTS, NFT_LIMIT_PKT_BYTES } from './expr/limit.js';
import { NFT_QUOTA_F_INV } from './expr/quota.js';
import { NFT_HASH_JENKINS, NFT_HASH_SYM } from './expr/hash.js';
import { NFT_LOOKUP_F_INV } from './expr/lookup.js';
import { NF_LOG_IPOPT, NF_LOG_MACDECODE, NF_LOG_TCPOPT, NF_LOG_TCPSEQ, NF_LOG_UID } from './expr/log.js';
import { NFT_META_L4PROTO, NFT_META_NFPROTO } from './expr/meta.js';
import { NF_NAT_RANGE_PERSISTENT, NF_NAT_RANGE_PROTO_RANDOM, NF_NAT_RANGE_PROTO_RANDOM_FULLY, NF_NAT_RANGE_PROTO_SPECIFIED, NFT_NAT_DNAT, NFT_NAT_SNAT } from './expr/nat.js';
import { NFT_RANGE_NEQ } from './expr/range.js';
import { NFT_REJECT_ICMPX_UNREACH, NFT_REJECT_ICMP_UNREACH, NFT_REJECT_TCP_RST } from './expr/reject.js';
import { NFT_BYTEORDER_HTON } from './expr/byteorder.js';
import { NFT_EXTHDR_F_PRESENT, NFT_EXTHDR_OP_TCPOPT } from './expr/exthdr.js';
import { NF_SYNPROXY_OPT_MSS, NF_SYNPROXY_OPT_WSCALE, SYNPROXY_FLAGS } from './expr/synproxy.js';
import { NFTA_FIB_F_DADDR, NFTA_FIB_F_IIF, NFTA_FIB_F_OIF, NFTA_FIB_F_PRESENT, NFTA_FIB_F_SADDR, NFT_FIB_RESULT_ADDRTYPE, NFT_FIB_RESULT_OIF } from './expr/fib.js';
import { CT_KEYS, FIB_FLAGS, FIB_RESULTS, GENERATED_NUMBER, META_KEYS, NUMGEN_MODES, PAYLOAD_BASES, PAYLOAD_PROTOCOLS, RT_KEYS, SOCKET_KEYS, TCP_OPTIONS, type KeyInfo, namesNextProtocol, type PayloadField, type PayloadProtocol, type TcpOption } from './fields.js';
import type { ElementMessage, SetMessage } from './messages.js';
import { automergeElements, commentUserdata, encodeElements, objectTypeName, parseVerdict, setMapData, setKeyOf, setUserdata, type MapData, type SetKey } from './sets.js';
import { asObject, onlyKeys, parseFlags, parseIntervalValue, parsePrefixValue, prefixMask, singleKey } from './values.js';

/** What a rule that writes to or looks up in a named set or map must know of it. */
export interface NamedSetInfo {
  readonly key: SetKey;
  /** What a map maps to; undefined for a set. */
  readonly data: MapData | undefined;
  /** NFT_SET_* flags. */
  readonly flags: number;
}

/** Where a rule is compiled: its table, and what values may consult. */
export interface RuleContext extends ValueContext {
  /** NFPROTO_* of the table. */
  readonly family: number;
  readonly table: string;
  /** Allocates an NFTA_SET_ID for an anonymous set of this transaction. */
  nextSetId(): number;
  /**
   * The definition of a named set or map of the table: one a statement adds to, updates or
   * deletes from (`add @seen { ip saddr }`, use `update`), or one a match looks a host-order
   * key up in (`meta mark @marks`, use `lookup`: its interval flag decides the key's byte
   * order). `field` names the reference in errors. Throws when the definition has to be read
   * from the kernel first.
   */
  namedSet(name: string, field: string, use: 'update' | 'lookup'): NamedSetInfo;
  /**
   * The definition of a named set or map of the table if it is at hand without reading the
   * kernel (defined in this transaction, or read already), for checks that are no reason to
   * read it: undefined otherwise, or without this method.
   */
  knownSet?(name: string): NamedSetInfo | undefined;
}

/**
 * Writes the register bytes of another value of the same JSON leaf into `target` at `offset`.
 * Returns false if that value does not fit the shape (the rule is then compiled in full, which
 * also reports any error).
 */
export type ConstantWriter = (value: unknown, target: Buffer, offset: number, context: ValueContext) => boolean;

/**
 * Told about every register constant that came from one JSON leaf alone, so that a rule of the
 * same shape can reuse the compiled bytes with other constants (see template.ts).
 */
export interface ConstantRecorder {
  constant(path: string, bytes: Uint8Array, write: ConstantWriter): void;
}

/** A ConstantWriter from a function giving the bytes (or undefined) for a value. */
function writerFrom(length: number, bytesOf: (value: unknown, context: ValueContext) => Uint8Array | undefined): ConstantWriter {
  return (value, target, offset, context) => {
    let bytes: Uint8Array | undefined;
    try {
      bytes = bytesOf(value, context);
    } catch {
      return false;
    }
    if (bytes === undefined || bytes.length !== length) return false;
    target.set(bytes, offset);
    return true;
  };
}

/** ConstantWriters by datatype and length, made once: see typeWriter. */
const TYPE_WRITERS = new WeakMap<Datatype, Map<number, ConstantWriter>>();

/**
 * The ConstantWriter of a datatype: its fast `into`, or its parser. One function per datatype and
 * length for the process: templates of every handle then call the same ones, whose optimized
 * code outlives any handle (see shapes.ts).
 */
function typeWriter(type: Datatype, length: number): ConstantWriter {
  let byLength = TYPE_WRITERS.get(type);
  if (byLength === undefined) TYPE_WRITERS.set(type, (byLength = new Map()));
  let writer = byLength.get(length);
  if (writer === undefined) {
    const into = type.into;
    writer = into !== undefined && length === type.size ? (value, target, offset, context) => into(value, target, offset, context) : writerFrom(length, (value, context) => type.parse(value, '', context));
    byLength.set(length, writer);
  }
  return writer;
}

/** ConstantWriters of host-order integers in network order (ordered compares), made once: see typeWriter. */
const NETWORK_WRITERS = new WeakMap<Datatype, ConstantWriter>();

/** The ConstantWriter of a host-order integer type that writes its values in network order. */
function networkWriter(type: Datatype): ConstantWriter {
  let writer = NETWORK_WRITERS.get(type);
  if (writer === undefined) {
    writer = writerFrom(type.size, (value, context) => networkOrder(type, type.parse(value, '', context)));
    NETWORK_WRITERS.set(type, writer);
  }
  return writer;
}

/** An anonymous set a rule needs, created in the same transaction just before the rule. */
export interface AnonymousSet {
  set: SetMessage;
  elements: ElementMessage[];
}

/** A compiled rule. */
export interface CompiledRule {
  expressions: ExprDescriptor[];
  anonymousSets: AnonymousSet[];
  userdata: Uint8Array | undefined;
  /**
   * Named sets and maps whose definitions the rule was compiled against (those it writes to,
   * and those it looks host-order keys up in), which a later rule of the same shape cannot
   * assume unchanged.
   */
  setsConsulted: string[];
}

/** A match of a whole header field against one value: its load and its compare. */
interface PayloadMatch {
  load: Extract<ExprDescriptor, { expr: 'payload' }> & { base: number; offset: number; len: number };
  cmp: Extract<ExprDescriptor, { expr: 'cmp' }>;
  /** Statements other than matches before it in the rule: matches merge only within a run. */
  run: number;
  /** A field that names the next header's protocol (`ip protocol`, `ip6 nexthdr`). */
  protocolField: boolean;
}

/** What a register holds after the left-hand side of a match is loaded. */
interface Loaded {
  type: Datatype;
  /** Register bytes (the key length for concatenations). */
  length: number;
  /** For concatenations, the field types. */
  fields?: Datatype[];
  /** For concatenations, where each field's load ends (an expression index) and its register. */
  fieldEnds?: { at: number; reg: number }[];
  /** The payload load (to shorten it for byte-aligned prefixes), when the left side is one field. */
  payload?: { descriptor: Extract<ExprDescriptor, { expr: 'payload' }>; fieldLength: number };
  /** The fib lookup, when the left side is one (`exists`/`missing` turn it into a presence test). */
  fib?: Extract<ExprDescriptor, { expr: 'fib' }>;
}

const CMP_OPS: ReadonlyMap<string, number> = new Map([
  ['==', NFT_CMP_EQ],
  ['!=', NFT_CMP_NEQ],
  ['<', NFT_CMP_LT],
  ['<=', NFT_CMP_LTE],
  ['⇐', NFT_CMP_LTE],
  ['>', NFT_CMP_GT],
  ['>=', NFT_CMP_GTE],
]);

/** Dynset operations by nft name: a set statement takes all three, a map statement add and update. */
const SET_OPS: ReadonlyMap<string, number> = new Map([
  ['add', NFT_DYNSET_OP_ADD],
  ['update', NFT_DYNSET_OP_UPDATE],
  ['delete', NFT_DYNSET_OP_DELETE],
]);
const MAP_OPS: ReadonlyMap<string, number> = new Map([...SET_OPS].filter(([name]) => name !== 'delete'));

/** The longest element timeout, in seconds, whose milliseconds stay exact in a double. */
const MAX_ELEMENT_TIMEOUT = Math.floor(Number.MAX_SAFE_INTEGER / 1000);

const LIMIT_UNITS: ReadonlyMap<string, number> = new Map([
  ['second', 1],
  ['minute', 60],
  ['hour', 3600],
  ['day', 86400],
  ['week', 604800],
]);

const BYTE_UNITS: ReadonlyMap<string, number> = new Map([
  ['bytes', 1],
  ['kbytes', 1024],
  ['mbytes', 1024 * 1024],
]);

const LOG_LEVELS: ReadonlyMap<string, number> = new Map([
  ['emerg', 0],
  ['alert', 1],
  ['crit', 2],
  ['err', 3],
  ['warn', 4],
  ['notice', 5],
  ['info', 6],
  ['debug', 7],
  ['audit', 8],
]);

/** Log flags by nft name (`all` last: every other one). */
export const LOG_FLAGS: ReadonlyMap<string, number> = new Map([
  ['tcp sequence', NF_LOG_TCPSEQ],
  ['tcp options', NF_LOG_TCPOPT],
  ['ip options', NF_LOG_IPOPT],
  ['skuid', NF_LOG_UID],
  ['ether', NF_LOG_MACDECODE],
  ['all', NF_LOG_TCPSEQ | NF_LOG_TCPOPT | NF_LOG_IPOPT | NF_LOG_UID | NF_LOG_MACDECODE],
]);

/** NAT flags by nft name, in the order nft lists them. */
export const NAT_FLAGS: ReadonlyMap<string, number> = new Map([
  ['random', NF_NAT_RANGE_PROTO_RANDOM],
  ['fully-random', NF_NAT_RANGE_PROTO_RANDOM_FULLY],
  ['persistent', NF_NAT_RANGE_PERSISTENT],
]);

/** ICMP codes by reject type, as nft names them. */
export const REJECT_CODES: ReadonlyMap<string, ReadonlyMap<string, number>> = new Map([
  ['icmp', new Map([['net-unreachable', 0], ['host-unreachable', 1], ['prot-unreachable', 2], ['port-unreachable', 3], ['net-prohibited', 9], ['host-prohibited', 10], ['admin-prohibited', 13]])],
  ['icmpv6', new Map([['no-route', 0], ['admin-prohibited', 1], ['addr-unreachable', 3], ['port-unreachable', 4], ['policy-fail', 5], ['reject-route', 6]])],
  ['icmpx', new Map([['no-route', 0], ['port-unreachable', 1], ['host-unreachable', 2], ['admin-prohibited', 3]])],
]);

/** Chain-name rules the kernel enforces (NFT_CHAIN_MAXNAMELEN - 1 bytes). */
function chainName(value: unknown, field: string): string {
  if (typeof value !== 'string' || value.length === 0 || Buffer.byteLength(value) > 255) throw new ValidationError(field, value, 'expected a chain name');
  return value;
}

/** The datatype of an address of NFPROTO_IPV4 or NFPROTO_IPV6. */
function addressType(family: number): Datatype {
  return family === NFPROTO_IPV6 ? PAYLOAD_PROTOCOLS.get('ip6')!.fields[3]!.type : PAYLOAD_PROTOCOLS.get('ip')!.fields[5]!.type;
}

/** A transport protocol by its /etc/protocols name (`udp`), or its number. */
function protocolName(l4proto: number): string | number {
  return PAYLOAD_PROTOCOLS.get('ip')!.fields[3]!.type.format(Uint8Array.of(l4proto), { interfaces: undefined }) as string | number;
}

function nfprotoOf(protocol: PayloadProtocol): number | undefined {
  return protocol.nfproto === 'ipv4' ? NFPROTO_IPV4 : protocol.nfproto === 'ipv6' ? NFPROTO_IPV6 : undefined;
}

/**
 * Whether the right side of a match is a set (or list) of two or more different plain values;
 * a range counts as one, as in nft.
 */
function severalValues(right: unknown): boolean {
  const elements = singleKey(right) === 'set' ? (right as Record<string, unknown>).set : right;
  if (!Array.isArray(elements)) return false;
  const plain = new Set(elements.filter((e) => typeof e === 'string' || typeof e === 'number').map(String));
  return plain.size > 1;
}

/**
 * The element of a one-element anonymous set (`{"set": [x]}`) when it is a value, a prefix or a
 * range; undefined otherwise.
 */
function onlyElement(right: unknown): unknown {
  if (singleKey(right) !== 'set') return undefined;
  const elements = (right as Record<string, unknown>).set;
  if (!Array.isArray(elements) || elements.length !== 1) return undefined;
  const element: unknown = elements[0];
  if (typeof element === 'string' || typeof element === 'number') return element;
  const key = singleKey(element);
  return key === 'prefix' || key === 'range' ? element : undefined;
}

/** Compiles the statements of one rule. */
class RuleCompiler {
  readonly expressions: ExprDescriptor[] = [];
  readonly anonymousSets: AnonymousSet[] = [];
  readonly setsConsulted: string[] = [];
  /** Matches of one header field against one value, in rule order: what nft may merge (see mergePayloadMatches). */
  private readonly payloadMatches: PayloadMatch[] = [];
  /** How many statements other than matches the rule has had so far. */
  private otherStatements = 0;
  /** The network protocol established so far (a dependency or an explicit match). */
  private nfproto: number | undefined;
  /** The transport protocol established so far. */
  private l4proto: number | undefined;
  /** Whether a match named the transport protocol, maybe as one of a set (what tproxy needs, as in nft). */
  private transportMatched = false;
  /**
   * Whether a match let the packet be one of several transport (network) protocols, as in
   * `meta l4proto { tcp, udp }`. nft then refuses any header of one of them for the rest of the
   * rule ("conflicting protocols specified"), even after a narrower match: a user who wrote
   * `tcp dport` there most likely meant `th dport`, and would get TCP only.
   */
  private l4protoChoices = false;
  private nfprotoChoices = false;

  constructor(
    private readonly context: RuleContext,
    private recorder: ConstantRecorder | undefined,
  ) {
    if (context.family === NFPROTO_IPV4 || context.family === NFPROTO_IPV6) this.nfproto = context.family;
  }

  private constant(path: string, bytes: Uint8Array, write: ConstantWriter): Uint8Array {
    this.recorder?.constant(path, bytes, write);
    return bytes;
  }

  /** `bytes` parsed from the leaf at `field` by `type`, recorded as a patchable constant. */
  private parseConstant(type: Datatype, value: unknown, field: string): Uint8Array {
    const bytes = type.parse(value, field, this.context);
    this.recorder?.constant(field, bytes, typeWriter(type, bytes.length));
    return bytes;
  }

  private cmp(op: number, data: Uint8Array, sreg = NFT_REG_1): void {
    this.expressions.push({ expr: 'cmp', sreg, op, data });
  }

  private dependMeta(key: number, value: number): void {
    this.expressions.push({ expr: 'meta', key, dreg: NFT_REG_1 });
    this.cmp(NFT_CMP_EQ, Uint8Array.of(value));
  }

  /**
   * A reject's dependency (`meta l4proto tcp` for `reject with tcp reset`, `meta nfproto` for
   * icmp or icmpv6 in an inet table): nft puts it at the start of the rule, not before the
   * reject (stmt_reject_gen_dependency), so that `log ... reject with tcp reset` logs only what
   * it rejects.
   */
  private dependAtStart(key: number, value: number): void {
    this.expressions.unshift({ expr: 'meta', key, dreg: NFT_REG_1 }, { expr: 'cmp', sreg: NFT_REG_1, op: NFT_CMP_EQ, data: Uint8Array.of(value) });
  }

  /**
   * Inserts what `protocol`'s fields need first: `meta nfproto` in inet tables, `meta l4proto`.
   * Refuses, as nft does ("conflicting protocols specified"), a header of another protocol than
   * an earlier match or dependency established: the rule could never match.
   */
  private dependencies(protocol: PayloadProtocol, field: string): void {
    const nfproto = nfprotoOf(protocol);
    if ((nfproto !== undefined && this.nfprotoChoices) || (protocol.l4proto !== undefined && this.l4protoChoices)) {
      const which = protocol.l4proto !== undefined && this.l4protoChoices ? 'transport' : 'network';
      throw new ValidationError(field, protocol.name, `conflicting protocols: an earlier match lets the packet be one of several ${which} protocols, and ${protocol.name} header fields would take only one (nft refuses it too)${which === 'transport' ? '; th (transport header) fields match them all' : ''}`);
    }
    if (nfproto !== undefined && this.nfproto !== nfproto) {
      if (this.context.family !== NFPROTO_INET) {
        throw new ValidationError(field, protocol.name, `${protocol.name} header fields never match in a ${this.context.family === NFPROTO_IPV4 ? 'ip' : 'ip6'} table`);
      }
      this.requireNetworkProtocol(nfproto, field, protocol.name);
      this.dependMeta(NFT_META_NFPROTO, nfproto);
      this.nfproto = nfproto;
    }
    if (protocol.l4proto !== undefined && this.l4proto !== protocol.l4proto) {
      if (this.l4proto !== undefined) throw new ValidationError(field, protocol.name, `conflicting protocols: an earlier match makes the packet ${protocolName(this.l4proto)}, not ${protocol.name} (nft refuses it too)`);
      this.dependMeta(NFT_META_L4PROTO, protocol.l4proto);
      this.l4proto = protocol.l4proto;
    }
  }

  /**
   * Refuses what needs IP version `nfproto` (NFPROTO_IPV4/6) after a match or dependency that
   * made the packet the other one, as nft does ("conflicting protocols specified").
   */
  private requireNetworkProtocol(nfproto: number, field: string, value: unknown): void {
    if (this.nfproto === undefined || this.nfproto === nfproto) return;
    const name = (family: number) => (family === NFPROTO_IPV4 ? 'ip' : 'ip6');
    throw new ValidationError(field, value, `conflicting protocols: an earlier match makes the packet ${name(this.nfproto)}, not ${name(nfproto)} (nft refuses it too)`);
  }

  /** Whether an earlier match made the packet TCP, UDP or the like (what NAT ports and tproxy need, as in nft). */
  private hasTransportMatch(): boolean {
    return this.l4proto !== undefined || this.transportMatched;
  }

  /** Refuses a NAT port (`field`) without a match that made the packet TCP, UDP or the like first, as nft does. */
  private requireTransportMatch(port: unknown, field: string): void {
    if (this.hasTransportMatch()) return;
    throw new ValidationError(field, port, 'a port needs a transport protocol match before it (e.g. meta l4proto tcp), as in nft ("transport protocol mapping is only valid after transport protocol match"): the kernel would map the ids of ICMP and other protocols with it');
  }

  private payloadField(value: Record<string, unknown>, field: string): { protocol: PayloadProtocol | undefined; base: number; offset: number; length: number; type: Datatype } {
    if (value.protocol !== undefined || value.field !== undefined) {
      const protocol = typeof value.protocol === 'string' ? PAYLOAD_PROTOCOLS.get(value.protocol) : undefined;
      if (protocol === undefined) throw new ValidationError(`${field}.protocol`, value.protocol, `expected one of ${[...PAYLOAD_PROTOCOLS.keys()].join(', ')}`);
      const header = protocol.fields.find((f) => f.name === value.field);
      if (header === undefined) throw new ValidationError(`${field}.field`, value.field, `expected one of ${protocol.fields.map((f) => f.name).join(', ')}`);
      return { protocol, base: protocol.base, offset: header.offset, length: header.length, type: header.type };
    }
    const base = typeof value.base === 'string' ? PAYLOAD_BASES.get(value.base) : undefined;
    if (base === undefined) throw new ValidationError(`${field}.base`, value.base, 'expected "ll", "nh" or "th"');
    const bits = (key: string, max: number) => {
      const v = value[key];
      if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v > max || v % 8 !== 0) throw new ValidationError(`${field}.${key}`, v, `expected a multiple of 8 bits in 0..${max}`);
      return v / 8;
    };
    const offset = bits('offset', 0xffff * 8);
    const length = bits('len', 16 * 8);
    if (length === 0) throw new ValidationError(`${field}.len`, value.len, 'expected at least 8 bits');
    return { protocol: undefined, base, offset, length, type: integerOfSize(length) };
  }

  /** Loads a left-hand expression into `dreg`; returns what it holds. */
  private load(expression: unknown, field: string, dreg = NFT_REG_1, deps = true): Loaded {
    const key = singleKey(expression);
    const body = key === undefined ? undefined : (expression as Record<string, unknown>)[key];
    switch (key) {
      case 'payload': {
        const object = asObject(body);
        if (object === undefined) break;
        const f = this.payloadField(object, `${field}.payload`);
        if (deps && f.protocol) this.dependencies(f.protocol, `${field}.payload.protocol`);
        const descriptor = { expr: 'payload' as const, dreg, base: f.base, offset: f.offset, len: f.length };
        this.expressions.push(descriptor);
        return { type: f.type, length: f.length, payload: { descriptor, fieldLength: f.length } };
      }
      case 'meta': {
        const name = asObject(body)?.key;
        const meta = knownKey(META_KEYS, name, `${field}.meta.key`);
        // An ip or ip6 table sees only its own version; nft refuses the test there.
        if (meta.key === NFT_META_NFPROTO && this.context.family !== NFPROTO_INET) throw new ValidationError(`${field}.meta.key`, name, 'meta nfproto is only useful in the inet family (nft refuses it in ip and ip6 tables)');
        if (meta.setOnly === true) throw new ValidationError(`${field}.meta.key`, name, `the kernel only sets meta ${meta.name} (a match on it is EOPNOTSUPP): use it in a mangle statement`);
        this.expressions.push({ expr: 'meta', key: meta.key, dreg });
        return { type: meta.type, length: meta.type.size };
      }
      case 'ct': {
        const object = asObject(body);
        const ct = knownKey(CT_KEYS, object?.key, `${field}.ct.key`);
        if (ct.directed) {
          const dir = object!.dir === 'original' ? IP_CT_DIR_ORIGINAL : object!.dir === 'reply' ? IP_CT_DIR_REPLY : undefined;
          if (dir === undefined) throw new ValidationError(`${field}.ct.dir`, object!.dir, `ct ${ct.name} needs dir 'original' or 'reply'`);
          this.expressions.push({ expr: 'ct', dreg, key: ct.key, dir });
          return { type: ct.type, length: ct.type.size };
        }
        if (object!.dir !== undefined) throw new ValidationError(`${field}.ct.dir`, object!.dir, `ct ${ct.name} takes no direction`);
        this.expressions.push({ expr: 'ct', dreg, key: ct.key });
        return { type: ct.type, length: ct.type.size };
      }
      case 'rt': {
        const object = asObject(body);
        const rt = knownKey(RT_KEYS, object?.key, `${field}.rt.key`);
        onlyKeys(object!, ['key'], `${field}.rt`, 'unknown rt property');
        this.expressions.push({ expr: 'rt', key: rt.key, dreg });
        return { type: rt.type, length: rt.type.size };
      }
      case 'fib': {
        const { descriptor, type } = this.fib(body, `${field}.fib`, dreg);
        this.expressions.push(descriptor);
        return { type, length: type.size, fib: descriptor };
      }
      case 'socket': {
        const object = asObject(body);
        const socket = knownKey(SOCKET_KEYS, object?.key, `${field}.socket.key`);
        if (object!.level !== undefined) throw new ValidationError(`${field}.socket.level`, object!.level, 'a level goes only with cgroupv2, which routemark does not support');
        onlyKeys(object!, ['key'], `${field}.socket`, 'unknown socket property');
        this.expressions.push({ expr: 'socket', key: socket.key, dreg });
        return { type: socket.type, length: socket.type.size };
      }
      case 'numgen': {
        const object = asObject(body);
        if (object === undefined) throw new ValidationError(`${field}.numgen`, body, 'expected {"mode", "mod", "offset"}');
        onlyKeys(object, ['mode', 'mod', 'offset'], `${field}.numgen`, 'unknown numgen property');
        const mode = typeof object.mode === 'string' ? NUMGEN_MODES.get(object.mode) : undefined;
        if (mode === undefined) throw new ValidationError(`${field}.numgen.mode`, object.mode, `expected one of ${[...NUMGEN_MODES.keys()].join(', ')}`);
        const { modulus, offset } = this.modulo(object, `${field}.numgen`);
        this.expressions.push({ expr: 'numgen', dreg, modulus, type: mode, offset });
        return { type: GENERATED_NUMBER, length: GENERATED_NUMBER.size };
      }
      case 'jhash':
      case 'symhash':
        this.hash(key, body, `${field}.${key}`, dreg);
        return { type: GENERATED_NUMBER, length: GENERATED_NUMBER.size };
      case 'tcp option': {
        // nft adds no `meta l4proto tcp` here. In other packets the kernel finds no option: they
        // match `missing` and never match a value.
        const { option, optionField } = this.tcpOption(body, `${field}.tcp option`, false);
        if (optionField === undefined) {
          this.expressions.push({ expr: 'exthdr', dreg, type: option.kind, offset: 0, len: 1, op: NFT_EXTHDR_OP_TCPOPT, flags: NFT_EXTHDR_F_PRESENT });
          return { type: booleanOfSize(1), length: 1 };
        }
        this.expressions.push({ expr: 'exthdr', dreg, type: option.kind, offset: optionField.offset, len: optionField.length, op: NFT_EXTHDR_OP_TCPOPT, flags: 0 });
        return { type: optionField.type, length: optionField.length };
      }
      case '&':
      case '|':
      case '^': {
        if (!Array.isArray(body) || body.length !== 2) throw new ValidationError(`${field}.${key}`, body, 'expected [EXPRESSION, VALUE]');
        return this.binop(expression as Record<string, unknown>, field, dreg);
      }
      case 'concat': {
        if (!Array.isArray(body) || body.length < 2) throw new ValidationError(`${field}.concat`, body, 'expected at least two expressions');
        if (dreg < NFT_REG_1 || dreg > NFT_REG_4) throw new ValidationError(`${field}.concat`, body, 'a concatenation cannot be used here');
        // nft inserts every field's dependency first, then loads the fields into consecutive
        // 32-bit registers, from the first word of `dreg` on.
        body.forEach((part, i) => {
          const object = asObject(asObject(part)?.payload);
          if (object !== undefined) {
            const f = this.payloadField(object, `${field}.concat[${i}].payload`);
            if (f.protocol) this.dependencies(f.protocol, `${field}.concat[${i}].payload.protocol`);
          }
        });
        const fields: Datatype[] = [];
        const fieldEnds: { at: number; reg: number }[] = [];
        let words = 0;
        body.forEach((part, i) => {
          const reg = i === 0 ? dreg : NFT_REG32_00 + (dreg - NFT_REG_1) * 4 + words;
          const loaded = this.load(part, `${field}.concat[${i}]`, reg, false);
          if (loaded.fields) throw new ValidationError(`${field}.concat[${i}]`, part, 'concatenations do not nest');
          fields.push(loaded.type);
          fieldEnds.push({ at: this.expressions.length, reg });
          words += Math.ceil(loaded.length / 4);
        });
        const key = setKeyOf(fields);
        return { type: integerOfSize(key.length), length: key.length, fields, fieldEnds };
      }
    }
    throw new ValidationError(field, expression, 'expected a payload, meta, ct, rt, fib, socket, numgen, jhash, symhash, "tcp option", concat or binary (&, |, ^) expression');
  }

  /** `mod` and `offset` of numgen and the hashes, checked as the kernel checks them. */
  private modulo(object: Record<string, unknown>, field: string): { modulus: number; offset: number } {
    if (object.mod === undefined) throw new ValidationError(`${field}.mod`, undefined, 'expected the modulus');
    const modulus = integerInRange(object.mod, `${field}.mod`, 1, 0xffffffff);
    const offset = integerInRange(object.offset ?? 0, `${field}.offset`, 0, 0xffffffff);
    // The kernel refuses results that wrap around (EOVERFLOW).
    if (offset + modulus - 1 > 0xffffffff) throw new ValidationError(`${field}.offset`, offset, 'offset + mod - 1 exceeds 4294967295');
    return { modulus, offset };
  }

  /**
   * `jhash EXPR mod N seed S offset O` (EXPR loaded into the next register, as nft does) or
   * `symhash mod N offset O` (the kernel's flow hash, needing no data).
   */
  private hash(kind: 'jhash' | 'symhash', body: unknown, field: string, dreg: number): void {
    const object = asObject(body);
    const keys = kind === 'jhash' ? ['mod', 'offset', 'expr', 'seed'] : ['mod', 'offset'];
    if (object === undefined) throw new ValidationError(field, body, `expected {${keys.map((k) => `"${k}"`).join(', ')}}`);
    onlyKeys(object, keys, field, `unknown ${kind} property`);
    const { modulus, offset } = this.modulo(object, field);
    if (kind === 'symhash') {
      this.expressions.push({ expr: 'hash', dreg, modulus, offset, type: NFT_HASH_SYM });
      return;
    }
    if (object.expr === undefined) throw new ValidationError(`${field}.expr`, undefined, 'expected the expression to hash');
    // nft loads the data into the next free register: NFT_REG_2 wherever the result goes to
    // NFT_REG_1. Inside a concatenation (or another jhash) it depends on what came before,
    // which routemark does not follow.
    if (dreg !== NFT_REG_1) throw new ValidationError(field, body, 'jhash cannot be part of a concatenation, of another jhash or of the value of a set statement');
    const source = this.load(object.expr, `${field}.expr`, NFT_REG_2);
    const d: Extract<ExprDescriptor, { expr: 'hash' }> = { expr: 'hash', sreg: NFT_REG_2, dreg, len: source.length, modulus, offset, type: NFT_HASH_JENKINS };
    // Without a seed the kernel draws a random one: the same packet hashes differently per rule.
    if (object.seed !== undefined) d.seed = integerInRange(object.seed, `${field}.seed`, 0, 0xffffffff);
    this.expressions.push(d);
  }

  /** `{"result": "oif", "flags": ["saddr", "iif"]}`: a routing lookup, checked as the kernel checks it. */
  private fib(body: unknown, field: string, dreg: number): { descriptor: Extract<ExprDescriptor, { expr: 'fib' }>; type: Datatype } {
    const object = asObject(body);
    if (object === undefined) throw new ValidationError(field, body, 'expected {"result", "flags"}');
    onlyKeys(object, ['result', 'flags'], field, 'unknown fib property');
    const result = typeof object.result === 'string' ? FIB_RESULTS.get(object.result) : undefined;
    if (result === undefined) throw new ValidationError(`${field}.result`, object.result, `expected one of ${[...FIB_RESULTS.keys()].join(', ')}`);
    const flags = parseFlags(object.flags, FIB_FLAGS, `${field}.flags`);
    const addresses = flags & (NFTA_FIB_F_SADDR | NFTA_FIB_F_DADDR);
    if (addresses === 0 || addresses === (NFTA_FIB_F_SADDR | NFTA_FIB_F_DADDR)) throw new ValidationError(`${field}.flags`, object.flags, 'expected exactly one of saddr and daddr');
    if ((flags & NFTA_FIB_F_IIF) !== 0 && (flags & NFTA_FIB_F_OIF) !== 0) throw new ValidationError(`${field}.flags`, object.flags, 'iif and oif exclude each other');
    if ((flags & NFTA_FIB_F_OIF) !== 0 && result.result !== NFT_FIB_RESULT_ADDRTYPE) throw new ValidationError(`${field}.flags`, object.flags, 'oif goes only with result "type"');
    return { descriptor: { expr: 'fib', dreg, result: result.result, flags }, type: result.type };
  }

  /** `{"name": "maxseg", "field": "size"}`: the option and its field (none: whether it is present). */
  private tcpOption(body: unknown, field: string, needField: boolean): { option: TcpOption; optionField: PayloadField | undefined } {
    const object = asObject(body);
    const option = typeof object?.name === 'string' ? TCP_OPTIONS.get(object.name) : undefined;
    if (option === undefined) throw new ValidationError(`${field}.name`, object?.name, `expected one of ${[...TCP_OPTIONS.keys()].join(', ')}`);
    onlyKeys(object!, ['name', 'field'], field, 'unknown tcp option property');
    if (object!.field === undefined && !needField) return { option, optionField: undefined };
    const optionField = option.fields.find((f) => f.name === object!.field);
    if (optionField === undefined) throw new ValidationError(`${field}.field`, object!.field, `expected one of ${option.fields.map((f) => f.name).join(', ')}`);
    return { option, optionField };
  }

  /** `X & m`, `X | v`, `X ^ v` and `(X & m) | v`: one bitwise expression (mask, xor). */
  private binop(expression: Record<string, unknown>, field: string, dreg: number): Loaded {
    const op = singleKey(expression)!;
    const [inner, value] = expression[op] as [unknown, unknown];
    let source = inner;
    let andMask: { value: unknown; field: string } | undefined;
    if (op === '|' && singleKey(inner) === '&') {
      const pair = (inner as Record<string, unknown>)['&'];
      if (!Array.isArray(pair) || pair.length !== 2) throw new ValidationError(`${field}.|[0].&`, pair, 'expected [EXPRESSION, VALUE]');
      source = pair[0];
      andMask = { value: pair[1], field: `${field}.|[0].&[1]` };
    }
    const loaded = this.load(source, op === '|' && andMask ? `${field}.|[0].&[0]` : `${field}.${op}[0]`, dreg);
    if (loaded.fields) throw new ValidationError(`${field}.${op}[0]`, source, 'binary operations on concatenations are not supported');
    const size = loaded.length;
    const parse = (v: unknown, f: string) => loaded.type.parse(v, f, this.context);
    const ones = new Uint8Array(size).fill(0xff);
    let mask: Uint8Array;
    let xor: Uint8Array;
    if (op === '&') {
      mask = parse(value, `${field}.&[1]`);
      xor = new Uint8Array(size);
    } else if (op === '^') {
      mask = ones;
      xor = parse(value, `${field}.^[1]`);
    } else {
      const v = parse(value, `${field}.|[1]`);
      const m = andMask ? parse(andMask.value, andMask.field) : ones;
      mask = m.map((byte, i) => byte & ~v[i]! & 0xff);
      xor = v;
    }
    this.expressions.push({ expr: 'bitwise', sreg: dreg, dreg, len: size, mask, xor });
    return { type: loaded.type, length: size };
  }

  /** A `match` statement. */
  private match(body: unknown, field: string): void {
    const object = asObject(body);
    if (object === undefined) throw new ValidationError(field, body, 'expected {"op", "left", "right"}');
    const op = object.op;
    if (typeof op !== 'string' || !(CMP_OPS.has(op) || op === 'in' || op === '!')) throw new ValidationError(`${field}.op`, op, 'expected ==, !=, <, <=, >, >=, in or !');
    let left = this.load(object.left, `${field}.left`);
    let right = object.right;
    if (left.fib !== undefined && typeof right === 'boolean') {
      // `fib saddr . iif oif exists|missing`: whether a route was found (compared as nft does,
      // in the result's 32-bit register).
      if (left.fib.result !== NFT_FIB_RESULT_OIF) throw new ValidationError(`${field}.right`, right, 'true (exists) and false (missing) go only with result "oif"');
      left.fib.flags = (left.fib.flags ?? 0) | NFTA_FIB_F_PRESENT;
      left = { type: booleanOfSize(4), length: 4 };
    }
    // nft compares with the element of a one-element anonymous set itself (`ip saddr { 1.1.1.1 }`
    // is `ip saddr 1.1.1.1`; `ct state { established }` with "in" a bit test), and lists it so.
    const only = left.fields ? undefined : onlyElement(right);
    if (only !== undefined) right = only;
    const rightField = only !== undefined ? `${field}.right.set[0]` : `${field}.right`;
    const compareOp = this.implicitOperator(left, op, right, rightField);
    // A protocol match changes which dependencies later statements get, so its value is part
    // of the rule's shape, never a patchable constant.
    const setsContext = this.isContextMatch(object.left);
    const recorder = this.recorder;
    if (setsContext) this.recorder = undefined;
    try {
      this.compare(left, compareOp, right, rightField);
    } finally {
      this.recorder = recorder;
    }
    // A whole field compared with one value (not a prefix, which nft does not merge).
    const load = left.payload?.descriptor;
    const last = this.expressions[this.expressions.length - 1];
    const cmp = last !== undefined && !isRawExpr(last) && last.expr === 'cmp' ? last : undefined;
    const whole = load !== undefined && load.len === left.payload!.fieldLength && singleKey(right) !== 'prefix' && !(typeof right === 'string' && right.includes('/'));
    if (whole && cmp !== undefined && left.fields === undefined && this.expressions[this.expressions.length - 2] === load && cmp.op === NFT_CMP_EQ && cmp.data?.length === load.len) {
      const protocolField = namesNextProtocol(asObject(asObject(object.left)?.payload));
      this.payloadMatches.push({ load: load as PayloadMatch['load'], cmp, run: this.otherStatements, protocolField });
    }
    if (setsContext) this.noteContext(compareOp, right);
    const network = this.isNetworkMatch(object.left);
    if (setsContext && compareOp === '==' && severalValues(right)) {
      if (network) this.nfprotoChoices = true;
      else this.l4protoChoices = true;
    }
    if (setsContext && compareOp === '==' && !network) this.transportMatched = true;
  }

  /** Whether a context match says which network protocol (`meta nfproto`, `ct l3proto`), not which transport one. */
  private isNetworkMatch(left: unknown): boolean {
    return asObject(asObject(left)?.meta)?.key === 'nfproto' || asObject(asObject(left)?.ct)?.key === 'l3proto';
  }

  /**
   * The operator a match's `op` stands for. nft reads "in" as its implicit operator (the one of
   * `tcp dport 22`): the bit test `(x & v) != 0` for a value or list of flags (`ct state
   * established,related`), and equality for everything else: `tcp dport in 22` is `==`, and
   * with a set a lookup. A list of values that are not flags it refuses with "in".
   */
  private implicitOperator(left: Loaded, op: string, right: unknown, field: string): string {
    if (op !== 'in') return op;
    const key = singleKey(right);
    const isLookup = key === 'set' || (typeof right === 'string' && right.startsWith('@'));
    if (left.type.flags !== undefined && !isLookup) return op;
    if (Array.isArray(right)) throw new ValidationError(field, right, `"in" with a list goes with flag types (ct state, ct status, tcp flags), not ${left.type.name}: use {"set": [...]}`);
    return '==';
  }

  private isContextMatch(left: unknown): boolean {
    const meta = asObject(asObject(left)?.meta)?.key;
    const payload = asObject(asObject(left)?.payload);
    const ct = asObject(asObject(left)?.ct);
    // nft takes the conntrack's protocols as protocol context too (ct_expr_pctx_update):
    // `ct protocol tcp tcp dport 22` gets no `meta l4proto tcp`, and `ct l3proto ipv4 ip
    // saddr 1.1.1.1` in an inet table no `meta nfproto ipv4`. `ct l3proto` says something only
    // in inet tables, and `ct protocol` only once the network protocol is known (always in ip
    // and ip6 tables; in inet ones after `meta nfproto`, `ct l3proto` or an address match).
    const ctContext = ct !== undefined && ct.dir === undefined && ((ct.key === 'l3proto' && this.context.family === NFPROTO_INET) || (ct.key === 'protocol' && this.nfproto !== undefined));
    return meta === 'l4proto' || meta === 'nfproto' || ctContext || namesNextProtocol(payload);
  }

  /** Explicit protocol matches satisfy later dependencies, as in nft. */
  private noteContext(op: string, right: unknown): void {
    if (op !== '==' || (typeof right !== 'string' && typeof right !== 'number')) return;
    const last = this.expressions[this.expressions.length - 1] as { expr: string; data?: Uint8Array } | undefined;
    const load = this.expressions[this.expressions.length - 2] as { expr: string; key?: number } | undefined;
    if (last?.expr !== 'cmp' || last.data === undefined || last.data.length !== 1) return;
    if ((load?.expr === 'meta' && load.key === NFT_META_NFPROTO) || (load?.expr === 'ct' && load.key === NFT_CT_L3PROTOCOL)) this.nfproto = last.data[0];
    else this.l4proto = last.data[0];
  }

  private compare(left: Loaded, op: string, right: unknown, field: string): void {
    const type = left.type;
    if (typeof right === 'string' && right.startsWith('@')) {
      if (op !== '==' && op !== '!=') throw new ValidationError(field, right, 'set lookups take == or !=');
      this.lookupInNamedSet(left, right.slice(1), field);
      this.expressions.push({ expr: 'lookup', sreg: NFT_REG_1, set: right.slice(1), flags: op === '!=' ? NFT_LOOKUP_F_INV : 0 });
      return;
    }
    const key = singleKey(right);
    if (key === 'set' || (Array.isArray(right) && type.flags === undefined)) {
      if (op !== '==' && op !== '!=') throw new ValidationError(field, right, 'set lookups take == or !=');
      const elements = key === 'set' ? (right as Record<string, unknown>).set : right;
      const { setId, interval } = this.anonymousSet(left, elements, undefined, key === 'set' ? `${field}.set` : field);
      if (interval) this.convertToNetworkOrder(left);
      this.expressions.push({ expr: 'lookup', sreg: NFT_REG_1, set: '__set%d', setId, flags: op === '!=' ? NFT_LOOKUP_F_INV : 0 });
      return;
    }
    if (left.fields) throw new ValidationError(field, right, 'a concatenation can only be looked up in a set');
    if (type.name === 'boolean' && op !== '==' && op !== '!=') throw new ValidationError(field, right, 'true and false take == or !=');
    if (type.flags !== undefined && (op === 'in' || op === '!' || Array.isArray(right) || key === '|')) {
      const bits = type.parse(key === '|' ? orOperands(right, `${field}.|`) : right, key === '|' ? `${field}.|` : field, this.context);
      if (op === 'in' || op === '!') {
        // "in" tests that some of the bits are set; "!" that none is, as nft's `ct status &
        // assured == 0`.
        this.expressions.push({ expr: 'bitwise', sreg: NFT_REG_1, dreg: NFT_REG_1, len: bits.length, mask: bits, xor: new Uint8Array(bits.length) });
        this.cmp(op === 'in' ? NFT_CMP_NEQ : NFT_CMP_EQ, new Uint8Array(bits.length));
        return;
      }
      // With == and != nft ORs the flags of a list into one value and compares the whole
      // (`ct state != established | new`; it lists the value as {"|": [...]}).
      if (op !== '==' && op !== '!=') throw new ValidationError(field, right, 'a list of flags takes "in", "!", "==" or "!="');
      this.cmp(CMP_OPS.get(op)!, bits);
      return;
    }
    if (op === '!') throw new ValidationError(field.replace(/\.right$/, '.op'), op, '"!" (none of these bits) goes with flag types such as ct state, ct status, tcp flags');
    const cmpOp = CMP_OPS.get(op)!;
    if (key === 'prefix' || (typeof right === 'string' && right.includes('/'))) {
      if (op !== '==' && op !== '!=') throw new ValidationError(field, right, 'prefixes take == or !=');
      this.prefix(left, cmpOp, right, field);
      return;
    }
    if (key === 'range') {
      if (op !== '==' && op !== '!=') throw new ValidationError(field, right, 'ranges take == or !=');
      const parsed = parseIntervalValue(right, type, field, this.context);
      // Range bounds stay part of the shape: a template could not check LOW <= HIGH.
      const low = parsed.low;
      const high = parsed.high!;
      // The bounds are in network order; so must the value be.
      this.convertToNetworkOrder(left);
      if (op === '==') {
        this.cmp(NFT_CMP_GTE, low);
        this.cmp(NFT_CMP_LTE, high);
      } else {
        this.expressions.push({ expr: 'range', sreg: NFT_REG_1, op: NFT_RANGE_NEQ, from: low, to: high });
      }
      return;
    }
    if (key !== undefined || Array.isArray(right)) throw new ValidationError(field, right, 'expected a value, a prefix, a range, a set or "@set"');
    if (type.byteorder === 'host' && left.length > 1 && cmpOp !== NFT_CMP_EQ && cmpOp !== NFT_CMP_NEQ) {
      // The kernel compares registers as big-endian numbers: nft converts host-order integers.
      if (!isHostOrderInteger(type) || left.length !== type.size) throw new ValidationError(field, right, `${type.name} values take only == and != here`);
      this.convertToNetworkOrder(left);
      const bytes = networkOrder(type, type.parse(right, field, this.context));
      this.cmp(cmpOp, this.constant(field, bytes, networkWriter(type)));
      return;
    }
    this.cmp(cmpOp, this.parseConstant(type, right, field));
  }

  private reencoder(type: Datatype, length: number): ConstantWriter {
    return typeWriter(type, length);
  }

  /**
   * `ip saddr 10.0.0.0/8`: a shorter load when the prefix ends on a byte, else a mask.
   * `meta mark 0x10000/16`: always a mask (see below).
   */
  private prefix(left: Loaded, cmpOp: number, right: unknown, field: string): void {
    const type = left.type;
    if (type.name !== 'ipv4_addr' && type.name !== 'ipv6_addr' && type.name !== 'mark') throw new ValidationError(field, right, `prefixes need an address or a mark, not ${type.name}`);
    const prefixField = singleKey(right) === 'prefix' ? `${field}.prefix` : field;
    const parsed = singleKey(right) === 'prefix' ? parsePrefixValue((right as Record<string, unknown>).prefix, type, prefixField, this.context) : parseIntervalValue(right, type, field, this.context);
    const length = parsed.prefixLength!;
    const size = left.length;
    const addrField = singleKey(right) === 'prefix' ? `${prefixField}.addr` : field;
    if (type.name === 'mark') {
      // Marks have prefix notation in nft (DTYPE_F_PREFIX): it lists `meta mark & 0xffff0000 ==
      // 0x10000` as 0x10000/16, and compiles that back to the mask and a compare of the whole
      // register, in host byte order, whatever the length (a meta or ct load cannot be
      // shortened), the value masked. parsePrefixValue gives both in network order.
      const networkMask = prefixMask(length, size);
      const hostMasked = (network: Uint8Array) => networkOrder(type, network.map((byte, i) => byte & networkMask[i]!));
      this.expressions.push({ expr: 'bitwise', sreg: NFT_REG_1, dreg: NFT_REG_1, len: size, mask: networkOrder(type, networkMask), xor: new Uint8Array(size) });
      const writer: ConstantWriter = singleKey(right) !== 'prefix' ? () => false : writerFrom(size, (next, context) => hostMasked(networkOrder(type, type.parse(next, '', context))));
      this.cmp(cmpOp, this.constant(addrField, hostMasked(parsed.low), writer));
      return;
    }
    if (length === size * 8) {
      this.cmp(cmpOp, this.constant(addrField, parsed.low, this.reencoder(type, size)));
      return;
    }
    const mask = prefixMask(length, size);
    const masked = (bytes: Uint8Array) => bytes.map((byte, i) => byte & mask[i]!);
    const reencodeMasked = (count: number): ConstantWriter =>
      // "a/b" strings carry the length in the leaf itself: no template for them.
      singleKey(right) !== 'prefix' ? () => false : writerFrom(count, (next, context) => masked(type.parse(next, '', context)).subarray(0, count));
    if (length % 8 === 0 && length > 0 && (left.payload === undefined || left.payload.fieldLength === size)) {
      // A payload load is shortened to the prefix; one that cannot be (`ct original ip saddr`)
      // is compared on its first bytes only, as nft does.
      if (left.payload !== undefined) left.payload.descriptor.len = length / 8;
      const data = parsed.low.subarray(0, length / 8);
      this.cmp(cmpOp, this.constant(addrField, Uint8Array.from(data), reencodeMasked(length / 8)));
      return;
    }
    this.expressions.push({ expr: 'bitwise', sreg: NFT_REG_1, dreg: NFT_REG_1, len: size, mask, xor: new Uint8Array(size) });
    this.cmp(cmpOp, this.constant(addrField, Uint8Array.from(parsed.low), reencodeMasked(size)));
  }

  /** Declares an anonymous set (or map) holding `elements`; returns its set id, and whether it holds intervals. */
  private anonymousSet(left: Loaded, elements: unknown, data: MapData | undefined, field: string): { setId: number; interval: boolean } {
    const list = Array.isArray(elements) ? elements : [elements];
    if (list.length === 0) throw new ValidationError(field, elements, 'expected at least one element');
    const key: SetKey = setKeyOf(left.fields ?? [left.type]);
    // Prefixes, ranges and wildcard interface names (`eth*`) make it an interval set, as in nft.
    const isInterval = (value: unknown, type: Datatype | undefined) => {
      const k = singleKey(value);
      return k === 'prefix' || k === 'range' || (type?.name === 'ifname' && isWildcardInterfaceName(value));
    };
    const interval = list.some((element) => {
      const value = data ? (Array.isArray(element) ? element[0] : undefined) : element;
      if (singleKey(value) === 'concat') return ((value as Record<string, unknown>).concat as unknown[]).some((part, i) => isInterval(part, key.types[i]));
      return isInterval(value, key.types.length === 1 ? key.types[0] : undefined) || (typeof value === 'string' && value.includes('/'));
    });
    const id = this.context.nextSetId();
    const name = data?.object !== undefined ? '__objmap%d' : data ? '__map%d' : '__set%d';
    let flags = NFT_SET_ANONYMOUS | NFT_SET_CONSTANT;
    if (interval) flags |= NFT_SET_INTERVAL;
    // The kernel takes a concatenation of intervals only in a set that says so (pipapo).
    if (interval && key.types.length > 1) flags |= NFT_SET_CONCAT;
    const set: SetMessage = { table: this.context.table, name, flags, keyType: key.typeId, keyLen: key.length, id, size: list.length, userdata: setUserdata(key, data, undefined) };
    if (data) setMapData(set, data);
    if (key.fieldLengths.length > 0 && interval) set.fieldLengths = [...key.fieldLengths];
    // nft gives an anonymous interval set of one field auto-merge (implicit_set_declaration):
    // it joins overlapping and adjacent elements (`{ 192.0.2.1, 192.0.2.2 }` holds the range
    // 192.0.2.1-192.0.2.2), and lists the joined intervals. Maps are not merged, as in nft.
    const encoded =
      interval && data === undefined && key.types.length === 1 ? automergeElements(list, key, [], field, this.context, false).add : encodeElements(list, key, data, interval, field, this.context);
    this.anonymousSets.push({ set, elements: encoded });
    return { setId: id, interval };
  }

  /**
   * Converts the host-order integers among the loaded fields to network order, as nft does
   * before a range compare or an interval set lookup: a `byteorder` right after each one's load.
   */
  private convertToNetworkOrder(left: Loaded): void {
    const ends = left.fieldEnds ?? [{ at: this.expressions.length, reg: NFT_REG_1 }];
    const types = left.fields ?? [left.type];
    // From the last field back, so that the earlier insertion points stay where they are.
    for (let i = types.length - 1; i >= 0; i--) {
      const type = types[i]!;
      if (!isHostOrderInteger(type)) continue;
      const { at, reg } = ends[i]!;
      this.expressions.splice(at, 0, { expr: 'byteorder', sreg: reg, dreg: reg, op: NFT_BYTEORDER_HTON, len: type.size, size: type.size });
    }
  }

  /**
   * Before a lookup in the named set or map `name` (`field` holds the reference): a key with
   * host-order integers is converted if the set holds intervals, so that the set's definition
   * must be known; and the key must be of the set's key type, as nft requires ("datatype
   * mismatch"; the kernel checks only the length). The type is checked against the definition
   * wherever it is at hand; a set only in the kernel is not read for the check alone. Returns
   * the definition, if known.
   */
  private lookupInNamedSet(left: Loaded, name: string, field: string): NamedSetInfo | undefined {
    const loadedTypes = left.fields ?? [left.type];
    let set: NamedSetInfo | undefined;
    if (loadedTypes.some(isHostOrderInteger)) {
      set = this.context.namedSet(name, field, 'lookup');
      this.setsConsulted.push(name);
      if ((set.flags & NFT_SET_INTERVAL) !== 0) this.convertToNetworkOrder(left);
    } else {
      // The check does not change the compiled rule: a rule of the same shape may reuse it.
      set = this.context.knownSet?.(name);
    }
    if (set !== undefined && !typesFit(loadedTypes, set.key.types)) throw new ValidationError(field, `@${name}`, `${name} holds ${typeNames(set.key.types)}, not ${typeNames(loadedTypes)} (nft: datatype mismatch)`);
    return set;
  }

  /**
   * Loads the value of a `mangle` or of a dynamic map's element (a constant, meta/ct load,
   * bitwise on one, or a map lookup) into `dreg`.
   */
  private value(value: unknown, type: Datatype, field: string, dreg = NFT_REG_1): void {
    const key = singleKey(value);
    if (key === 'map') {
      // The lookup's key goes to the first register, where a dynset's key already is.
      if (dreg !== NFT_REG_1) throw new ValidationError(field, value, 'a map lookup cannot be the value of a set statement');
      const map = asObject((value as Record<string, unknown>).map);
      if (map === undefined) throw new ValidationError(`${field}.map`, value, 'expected {"key", "data"}');
      const left = this.load(map.key, `${field}.map.key`);
      const data: MapData = { verdict: false, type, length: type.size, typeId: type.id };
      this.lookupMap(left, map.data, data, `${field}.map.data`, NFT_REG_1);
      return;
    }
    if (key === 'meta' || key === 'ct' || key === 'payload' || key === 'rt' || key === 'tcp option' || key === 'socket' || key === 'numgen' || key === 'jhash' || key === 'symhash' || key === '&' || key === '|' || key === '^') {
      const loaded = this.load(value, field, dreg);
      if (loaded.length !== type.size) throw new ValidationError(field, value, `expected a ${type.size}-byte value, got ${loaded.length} bytes`);
      if (loaded.type.name !== type.name && loaded.type.name !== 'integer' && type.name !== 'integer') {
        throw new ValidationError(field, value, `expected a ${type.name} value, got ${loaded.type.name}`);
      }
      // As nft does: a host-order value stored into a big-endian field (rt mtu into the MSS
      // option) is converted first. Not the other way round: nft stores a big-endian value
      // into a host-order key as it is (`meta mark set tcp sequence`).
      if (loaded.type.byteorder === 'host' && type.byteorder === 'big' && type.size > 1) {
        this.expressions.push({ expr: 'byteorder', sreg: dreg, dreg, op: NFT_BYTEORDER_HTON, len: type.size, size: type.size });
      }
      return;
    }
    this.expressions.push({ expr: 'immediate', dreg, data: this.parseConstant(type, value, field) });
  }

  /**
   * `{"set": {"op", "elem", "set": "@s"}}` and `{"map": {"op", "elem", "data", "map": "@m"}}`:
   * the element's key loaded into register 1 and a map's value into the next free register, as
   * nft loads them, and checked against the set's definition where the kernel would refuse.
   */
  private dynset(kind: 'set' | 'map', body: unknown, field: string): void {
    const object = asObject(body);
    const keys = kind === 'set' ? ['op', 'elem', 'set'] : ['op', 'elem', 'data', 'map'];
    if (object === undefined) throw new ValidationError(field, body, `expected {${keys.map((k) => `"${k}"`).join(', ')}}`);
    onlyKeys(object, keys, field, `unknown ${kind} statement property (stateful statements in the element are not supported)`);
    const ops = kind === 'set' ? SET_OPS : MAP_OPS;
    const op = typeof object.op === 'string' ? ops.get(object.op) : undefined;
    if (op === undefined) throw new ValidationError(`${field}.op`, object.op, `expected ${[...ops.keys()].join(', ')}`);
    const referenceField = `${field}.${kind}`;
    const reference = object[kind];
    if (typeof reference !== 'string' || !reference.startsWith('@')) throw new ValidationError(referenceField, reference, `expected "@NAME" of a named ${kind}`);
    const name = shortString(reference.slice(1), referenceField, 255);
    const set = this.context.namedSet(name, referenceField, 'update');
    if (kind === 'set' && set.data !== undefined) throw new ValidationError(referenceField, reference, `${name} is a map: write to it with {"map": {"op", "elem", "data", "map"}}`);
    if (kind === 'map' && set.data === undefined) throw new ValidationError(referenceField, reference, `${name} is a set: write to it with {"set": {"op", "elem", "set"}}`);
    if (set.data?.verdict) throw new ValidationError(referenceField, reference, 'the kernel does not write to verdict maps from the packet path');
    if ((set.flags & NFT_SET_CONSTANT) !== 0) throw new ValidationError(referenceField, reference, `${name} is constant: the kernel refuses to change it (EBUSY)`);
    if ((set.flags & NFT_SET_INTERVAL) !== 0) throw new ValidationError(referenceField, reference, `${name} has the interval flag: the kernel cannot write to interval sets from the packet path`);
    this.setsConsulted.push(name);

    let element = object.elem;
    let elementField = `${field}.elem`;
    let timeout: number | undefined;
    if (singleKey(element) === 'elem') {
      elementField = `${elementField}.elem`;
      const wrapped = asObject((element as Record<string, unknown>).elem);
      if (wrapped === undefined) throw new ValidationError(elementField, (element as Record<string, unknown>).elem, 'expected {"val", "timeout"}');
      onlyKeys(wrapped, ['val', 'timeout'], elementField, 'unknown element property (an element written from the packet path takes val and timeout)');
      if (wrapped.timeout !== undefined) {
        const seconds = integerInRange(wrapped.timeout, `${elementField}.timeout`, 1, MAX_ELEMENT_TIMEOUT, 'seconds');
        if ((set.flags & NFT_SET_TIMEOUT) === 0) throw new ValidationError(`${elementField}.timeout`, wrapped.timeout, `${name} has no timeout flag: the kernel refuses element timeouts there`);
        timeout = seconds * 1000;
      }
      element = wrapped.val;
      elementField = `${elementField}.val`;
    }
    if (element === undefined) throw new ValidationError(elementField, element, 'expected the element: an expression such as {"payload": {...}} or a concat of them');
    const loaded = this.load(element, elementField, NFT_REG_1);
    const loadedTypes = loaded.fields ?? [loaded.type];
    if (!typesFit(loadedTypes, set.key.types)) throw new ValidationError(elementField, element, `${name} holds ${typeNames(set.key.types)}, not ${typeNames(loadedTypes)}`);

    const d: Extract<ExprDescriptor, { expr: 'dynset' }> = { expr: 'dynset', sregKey: NFT_REG_1, op, set: name };
    if (kind === 'map') {
      if (object.data === undefined) throw new ValidationError(`${field}.data`, undefined, 'expected the value to map the element to');
      // The register after those the key takes (a concatenation may fill more than one).
      const dataReg = NFT_REG_1 + Math.ceil(set.key.length / NFT_REG_SIZE);
      this.value(object.data, set.data!.type!, `${field}.data`, dataReg);
      d.sregData = dataReg;
    }
    if (timeout !== undefined) d.timeout = timeout;
    this.expressions.push(d);
  }

  /** A lookup in a named map (`"@m"`) or an anonymous one (`{"set": [[k, v], ...]}`). */
  private lookupMap(left: Loaded, mapData: unknown, data: MapData, field: string, dreg: number): void {
    const map = this.mapOf(left, mapData, data, field);
    this.expressions.push({ expr: 'lookup', sreg: NFT_REG_1, dreg, ...map, flags: 0 });
  }

  /**
   * The map a key loaded into NFT_REG_1 is looked up in: a named one, or an anonymous one
   * declared here; the key converted as the map's keys are stored.
   */
  private mapOf(left: Loaded, mapData: unknown, data: MapData, field: string): { set: string; setId?: number } {
    if (typeof mapData === 'string' && mapData.startsWith('@')) {
      const name = mapData.slice(1);
      const map = this.lookupInNamedSet(left, name, field);
      if (map !== undefined) {
        const wanted = data.verdict ? 'verdicts' : data.object !== undefined ? `${objectTypeName(data.object)} objects` : data.type!.name;
        const held = map.data === undefined ? undefined : map.data.verdict ? 'verdicts' : map.data.object !== undefined ? `${objectTypeName(map.data.object)} objects` : map.data.type!.name;
        const fits = map.data !== undefined && map.data.verdict === data.verdict && map.data.object === data.object && (data.type === undefined || (map.data.type !== undefined && typesFit([map.data.type], [data.type])));
        if (!fits) throw new ValidationError(field, mapData, held === undefined ? `${name} is a set, not a map of ${wanted}` : `${name} maps to ${held}, not ${wanted} (nft: datatype mismatch)`);
      }
      return { set: name };
    }
    const elements = singleKey(mapData) === 'set' ? (mapData as Record<string, unknown>).set : mapData;
    if (!Array.isArray(elements)) throw new ValidationError(field, mapData, 'expected "@map" or {"set": [[KEY, VALUE], ...]}');
    const { setId, interval } = this.anonymousSet(left, elements, data, singleKey(mapData) === 'set' ? `${field}.set` : field);
    if (interval) this.convertToNetworkOrder(left);
    return { set: data.object !== undefined ? '__objmap%d' : '__map%d', setId };
  }

  /**
   * `counter name ip saddr map @m`, `quota name meta mark map { 1 : "q1" }`: the named object
   * of the table an object map gives for the key (one rule counting per source, per uplink).
   */
  private objrefMap(type: number, body: Record<string, unknown>, field: string): void {
    const map = asObject(body.map);
    if (map === undefined) throw new ValidationError(`${field}.map`, body.map, 'expected {"key", "data"}');
    onlyKeys(map, ['key', 'data'], `${field}.map`, 'unknown map property');
    const left = this.load(map.key, `${field}.map.key`, NFT_REG_1);
    const data: MapData = { verdict: false, type: undefined, length: 0, typeId: 0, object: type };
    this.expressions.push({ expr: 'objref', setSreg: NFT_REG_1, ...this.mapOf(left, map.data, data, `${field}.map.data`) });
  }

  private mangle(body: unknown, field: string): void {
    const object = asObject(body);
    if (object === undefined) throw new ValidationError(field, body, 'expected {"key", "value"}');
    const key = singleKey(object.key);
    const name = asObject(asObject(object.key)?.[key ?? ''])?.key;
    if (key === 'meta') {
      const meta = typeof name === 'string' ? META_KEYS.get(name) : undefined;
      if (meta === undefined || !meta.settable) throw new ValidationError(`${field}.key.meta.key`, name, 'routemark sets only the meta mark, priority and nftrace');
      this.value(object.value, meta.type, `${field}.value`);
      this.expressions.push({ expr: 'meta', key: meta.key, sreg: NFT_REG_1 });
      return;
    }
    if (key === 'ct') {
      const ct = typeof name === 'string' ? CT_KEYS.get(name) : undefined;
      if (ct === undefined || !ct.settable) throw new ValidationError(`${field}.key.ct.key`, name, 'routemark sets only the ct mark and zone');
      this.value(object.value, ct.type, `${field}.value`);
      this.expressions.push({ expr: 'ct', key: ct.key, sreg: NFT_REG_1 });
      return;
    }
    if (key === 'tcp option') {
      const keyField = `${field}.key.tcp option`;
      const { option, optionField } = this.tcpOption((object.key as Record<string, unknown>)[key], keyField, true);
      // The kernel rewrites (and fixes the checksum of) 2- and 4-byte option fields only.
      if (optionField!.length !== 2 && optionField!.length !== 4) throw new ValidationError(`${keyField}.field`, optionField!.name, 'the kernel can set only 2- and 4-byte option fields (maxseg size, timestamp tsval/tsecr)');
      this.value(object.value, optionField!.type, `${field}.value`);
      this.expressions.push({ expr: 'exthdr', sreg: NFT_REG_1, type: option.kind, offset: optionField!.offset, len: optionField!.length, op: NFT_EXTHDR_OP_TCPOPT });
      return;
    }
    throw new ValidationError(`${field}.key`, object.key, 'expected {"meta": {"key": "mark"}}, {"ct": {"key": "mark"}} or {"tcp option": {"name", "field"}}');
  }

  /** `counter name "NAME"` / `quota name "NAME"`: the named object of the table, by an objref. */
  private objref(type: number, name: string, field: string): void {
    this.expressions.push({ expr: 'objref', type, name: shortString(name, field, 255) });
  }

  private counter(body: unknown, field: string): void {
    if (typeof body === 'string') return this.objref(NFT_OBJECT_COUNTER, body, field);
    const object = body === null ? {} : asObject(body);
    if (object !== undefined && singleKey(object) === 'map') return this.objrefMap(NFT_OBJECT_COUNTER, object, field);
    if (object === undefined) throw new ValidationError(field, body, 'expected null, {"packets", "bytes"} or the name of a counter');
    const count = (key: 'packets' | 'bytes') => {
      const v = object[key] ?? 0;
      if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) throw new ValidationError(`${field}.${key}`, v, 'expected a non-negative integer');
      return v;
    };
    this.expressions.push({ expr: 'counter', packets: count('packets'), bytes: count('bytes') });
  }

  private log(body: unknown, field: string): void {
    const object = body === null ? {} : asObject(body);
    if (object === undefined) throw new ValidationError(field, body, 'expected null or {"prefix", "level", "group", ...}');
    const d: Extract<ExprDescriptor, { expr: 'log' }> = { expr: 'log' };
    if (object.prefix !== undefined) {
      if (typeof object.prefix !== 'string' || Buffer.byteLength(object.prefix) > 127 || object.prefix.includes('\0')) {
        throw new ValidationError(`${field}.prefix`, object.prefix, 'expected a string of at most 127 bytes');
      }
      d.prefix = object.prefix;
    }
    if (object.group !== undefined) {
      if (typeof object.group !== 'number' || !Number.isInteger(object.group) || object.group < 0 || object.group > 0xffff) {
        throw new ValidationError(`${field}.group`, object.group, 'expected a group number 0..65535');
      }
      if (object.level !== undefined) throw new ValidationError(`${field}.level`, object.level, 'level and group are mutually exclusive');
      // The kernel's nfnetlink_log takes no flags; nft refuses them with a group too.
      if (object.flags !== undefined) throw new ValidationError(`${field}.flags`, object.flags, 'flags and group are mutually exclusive');
      d.group = object.group;
    }
    if (object.snaplen !== undefined) {
      if (typeof object.snaplen !== 'number' || !Number.isInteger(object.snaplen) || object.snaplen < 0 || object.snaplen > 0xffffffff) throw new ValidationError(`${field}.snaplen`, object.snaplen, 'expected a length');
      d.snaplen = object.snaplen;
    }
    const threshold = object['queue-threshold'];
    if (threshold !== undefined) {
      if (typeof threshold !== 'number' || !Number.isInteger(threshold) || threshold < 0 || threshold > 0xffff) throw new ValidationError(`${field}.queue-threshold`, threshold, 'expected 0..65535');
      d.qthreshold = threshold;
    }
    if (object.level !== undefined) {
      const level = typeof object.level === 'string' ? LOG_LEVELS.get(object.level) : undefined;
      if (level === undefined) throw new ValidationError(`${field}.level`, object.level, `expected one of ${[...LOG_LEVELS.keys()].join(', ')}`);
      d.level = level;
    }
    if (object.flags !== undefined) d.flags = parseFlags(object.flags, LOG_FLAGS, `${field}.flags`);
    onlyKeys(object, ['prefix', 'group', 'snaplen', 'queue-threshold', 'level', 'flags'], field, 'unknown log property');
    this.expressions.push(d);
  }

  private limit(body: unknown, field: string): void {
    const object = asObject(body);
    if (object === undefined) throw new ValidationError(field, body, typeof body === 'string' ? 'named limits are not supported' : 'expected {"rate", "per", ...}');
    const rate = object.rate;
    if (typeof rate !== 'number' || !Number.isSafeInteger(rate) || rate <= 0) throw new ValidationError(`${field}.rate`, rate, 'expected a positive integer');
    const per = object.per ?? 'second';
    const unit = typeof per === 'string' ? LIMIT_UNITS.get(per) : undefined;
    if (unit === undefined) throw new ValidationError(`${field}.per`, per, `expected one of ${[...LIMIT_UNITS.keys()].join(', ')}`);
    const rateUnit = object.rate_unit ?? 'packets';
    let type = NFT_LIMIT_PKTS;
    let rateValue = rate;
    let burst = object.burst ?? 5;
    if (rateUnit !== 'packets') {
      const factor = typeof rateUnit === 'string' ? BYTE_UNITS.get(rateUnit) : undefined;
      if (factor === undefined) throw new ValidationError(`${field}.rate_unit`, rateUnit, 'expected packets, bytes, kbytes or mbytes');
      type = NFT_LIMIT_PKT_BYTES;
      rateValue = rate * factor;
      const burstUnit = object.burst_unit ?? 'bytes';
      const burstFactor = typeof burstUnit === 'string' ? BYTE_UNITS.get(burstUnit) : undefined;
      if (burstFactor === undefined) throw new ValidationError(`${field}.burst_unit`, burstUnit, 'expected bytes, kbytes or mbytes');
      burst = (object.burst ?? 0) as number;
      if (typeof burst === 'number') burst *= burstFactor;
    }
    if (typeof burst !== 'number' || !Number.isInteger(burst) || burst < 0 || burst > 0xffffffff) throw new ValidationError(`${field}.burst`, object.burst, 'expected a non-negative integer');
    if (object.inv !== undefined && typeof object.inv !== 'boolean') throw new ValidationError(`${field}.inv`, object.inv, 'expected a boolean');
    this.expressions.push({ expr: 'limit', rate: rateValue, unit, burst, type, flags: object.inv ? NFT_LIMIT_F_INV : 0 });
  }

  private quota(body: unknown, field: string): void {
    const object = asObject(body);
    if (typeof body === 'string') return this.objref(NFT_OBJECT_QUOTA, body, field);
    if (object !== undefined && singleKey(object) === 'map') return this.objrefMap(NFT_OBJECT_QUOTA, object, field);
    if (object === undefined) throw new ValidationError(field, body, 'expected {"val", "val_unit", "used", "used_unit", "inv"} or the name of a quota');
    const bytes = (valueKey: 'val' | 'used', unitKey: 'val_unit' | 'used_unit'): number => {
      const value = object[valueKey] ?? 0;
      if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) throw new ValidationError(`${field}.${valueKey}`, value, 'expected a non-negative integer');
      const unit = object[unitKey] ?? 'bytes';
      const factor = typeof unit === 'string' ? BYTE_UNITS.get(unit) : undefined;
      if (factor === undefined) throw new ValidationError(`${field}.${unitKey}`, unit, `expected one of ${[...BYTE_UNITS.keys()].join(', ')}`);
      const total = value * factor;
      if (!Number.isSafeInteger(total)) throw new ValidationError(`${field}.${valueKey}`, value, 'too large');
      return total;
    };
    if (object.val === undefined) throw new ValidationError(`${field}.val`, undefined, 'expected the quota');
    if (object.inv !== undefined && typeof object.inv !== 'boolean') throw new ValidationError(`${field}.inv`, object.inv, 'expected a boolean');
    onlyKeys(object, ['val', 'val_unit', 'used', 'used_unit', 'inv'], field, 'unknown quota property');
    this.expressions.push({ expr: 'quota', bytes: bytes('val', 'val_unit'), consumed: bytes('used', 'used_unit'), flags: object.inv ? NFT_QUOTA_F_INV : 0 });
  }

  /** `ct count [over] N`: at most N (or more) open connections have reached this statement. */
  private connlimit(body: unknown, field: string): void {
    const object = asObject(body);
    if (object === undefined) throw new ValidationError(field, body, 'expected {"val", "inv"}');
    onlyKeys(object, ['val', 'inv'], field, 'unknown ct count property');
    if (object.val === undefined) throw new ValidationError(`${field}.val`, undefined, 'expected the connection count');
    const count = integerInRange(object.val, `${field}.val`, 0, 0xffffffff, 'a connection count');
    if (object.inv !== undefined && typeof object.inv !== 'boolean') throw new ValidationError(`${field}.inv`, object.inv, 'expected a boolean');
    this.expressions.push({ expr: 'connlimit', count, flags: object.inv ? NFT_CONNLIMIT_F_INV : 0 });
  }

  /**
   * `dup to ADDR [device DEV]`: the address into register 1 and the interface's index into
   * register 2, as nft loads them. The kernel has dup for ip and ip6 tables (and netdev), none
   * for inet tables, and no copy without an address there.
   */
  private dup(body: unknown, field: string): void {
    const object = asObject(body);
    if (object === undefined) throw new ValidationError(field, body, 'expected {"addr", "dev"}');
    onlyKeys(object, ['addr', 'dev'], field, 'unknown dup property');
    if (this.context.family === NFPROTO_INET) throw new ValidationError(field, body, 'the kernel has no dup for inet tables (nft refuses it too): use an ip or ip6 table');
    if (object.addr === undefined) throw new ValidationError(`${field}.addr`, undefined, 'expected the address to send the copy to');
    if (typeof object.addr !== 'string' || object.addr.includes('/')) throw new ValidationError(`${field}.addr`, object.addr, 'expected one address');
    this.expressions.push({ expr: 'immediate', dreg: NFT_REG_1, data: this.parseConstant(addressType(this.context.family), object.addr, `${field}.addr`) });
    const d: Extract<ExprDescriptor, { expr: 'dup' }> = { expr: 'dup', sregAddr: NFT_REG_1 };
    if (object.dev !== undefined) {
      // An interface that is gone is listed by its index, as for oif: that is taken back too.
      this.expressions.push({ expr: 'immediate', dreg: NFT_REG_2, data: this.parseConstant(META_KEYS.get('oif')!.type, object.dev, `${field}.dev`) });
      d.sregDev = NFT_REG_2;
    }
    this.expressions.push(d);
  }

  /**
   * `synproxy [mss N] [wscale N] [timestamp] [sack-perm]`: the options the server would send,
   * each flagged as given (nft sends mss and wscale as 0 when they are not).
   */
  private synproxy(body: unknown, field: string): void {
    const object = body === null ? {} : asObject(body);
    if (object === undefined) throw new ValidationError(field, body, 'expected null or {"mss", "wscale", "flags"}');
    onlyKeys(object, ['mss', 'wscale', 'flags'], field, 'unknown synproxy property');
    let flags = parseFlags(object.flags, SYNPROXY_FLAGS, `${field}.flags`);
    const mss = object.mss === undefined ? 0 : integerInRange(object.mss, `${field}.mss`, 0, 0xffff, 'an MSS (0..65535)');
    const wscale = object.wscale === undefined ? 0 : integerInRange(object.wscale, `${field}.wscale`, 0, 255, 'a window scale (0..255)');
    if (object.mss !== undefined) flags |= NF_SYNPROXY_OPT_MSS;
    if (object.wscale !== undefined) flags |= NF_SYNPROXY_OPT_WSCALE;
    this.expressions.push({ expr: 'synproxy', mss, wscale, flags });
  }

  /** Loads a port or port range into registers; returns [min, max]. */
  private ports(port: unknown, field: string, firstReg: number): [number, number | undefined] {
    const type = PAYLOAD_PROTOCOLS.get('th')!.fields[0]!.type;
    if (singleKey(port) === 'range') {
      const parsed = parseIntervalValue(port, type, field, this.context);
      this.expressions.push({ expr: 'immediate', dreg: firstReg, data: parsed.low });
      this.expressions.push({ expr: 'immediate', dreg: firstReg + 1, data: parsed.high! });
      return [firstReg, firstReg + 1];
    }
    this.expressions.push({ expr: 'immediate', dreg: firstReg, data: this.parseConstant(type, port, field) });
    return [firstReg, undefined];
  }

  private nat(kind: 'snat' | 'dnat', body: unknown, field: string): void {
    const object = asObject(body);
    if (object === undefined || object.addr === undefined) throw new ValidationError(`${field}.addr`, object?.addr, `${kind} needs an address`);
    onlyKeys(object, ['addr', 'port', 'family', 'flags'], field, `unknown ${kind} property`);
    const family = this.addressFamily(object, field)!;
    if (this.context.family === NFPROTO_INET) this.requireNetworkProtocol(family, object.family !== undefined ? `${field}.family` : `${field}.addr`, object.family ?? object.addr);
    const type = addressType(family);
    const d: Extract<ExprDescriptor, { expr: 'nat' }> = { expr: 'nat', type: kind === 'snat' ? NFT_NAT_SNAT : NFT_NAT_DNAT, family };
    let reg = NFT_REG_1;
    const addrKey = singleKey(object.addr);
    if (addrKey === 'range' || addrKey === 'prefix') {
      const parsed = parseIntervalValue(object.addr, type, `${field}.addr`, this.context);
      this.expressions.push({ expr: 'immediate', dreg: reg, data: parsed.low });
      this.expressions.push({ expr: 'immediate', dreg: reg + 1, data: parsed.high! });
      d.regAddrMin = reg;
      d.regAddrMax = reg + 1;
      reg += 2;
    } else {
      this.expressions.push({ expr: 'immediate', dreg: reg, data: this.parseConstant(type, object.addr, `${field}.addr`) });
      d.regAddrMin = reg;
      reg += 1;
    }
    let flags = parseFlags(object.flags, NAT_FLAGS, `${field}.flags`);
    if (object.port !== undefined) {
      this.requireTransportMatch(object.port, `${field}.port`);
      const [min, max] = this.ports(object.port, `${field}.port`, reg);
      d.regProtoMin = min;
      if (max !== undefined) d.regProtoMax = max;
      flags |= NF_NAT_RANGE_PROTO_SPECIFIED;
    }
    if (flags !== 0) d.flags = flags;
    this.expressions.push(d);
  }

  /**
   * The family of a nat or tproxy statement's address: the table's, or its `family`; in an inet
   * table without one, the address's (nft requires `ip to`/`ip6 to` there; the address tells
   * which). Undefined in an inet table without either.
   */
  private addressFamily(object: Record<string, unknown>, field: string): number | undefined {
    let family = this.context.family;
    if (object.family !== undefined) {
      if (object.family !== 'ip' && object.family !== 'ip6') throw new ValidationError(`${field}.family`, object.family, 'expected "ip" or "ip6"');
      const wanted = object.family === 'ip' ? NFPROTO_IPV4 : NFPROTO_IPV6;
      if (family !== NFPROTO_INET && family !== wanted) throw new ValidationError(`${field}.family`, object.family, 'does not match the table family');
      family = wanted;
    }
    if (family !== NFPROTO_INET) return family;
    if (object.addr === undefined) return undefined;
    const sample = singleKey(object.addr) === 'range' ? ((object.addr as Record<string, unknown>).range as unknown[])[0] : singleKey(object.addr) === 'prefix' ? asObject((object.addr as Record<string, unknown>).prefix)?.addr : object.addr;
    return typeof sample === 'string' && sample.includes(':') ? NFPROTO_IPV6 : NFPROTO_IPV4;
  }

  /**
   * `tproxy to ADDR:PORT`: the packet goes to the local socket bound there (either part may be
   * left to the packet's own destination), as nft writes it: the address, then the port, in
   * consecutive registers.
   */
  private tproxy(body: unknown, field: string): void {
    const object = asObject(body);
    if (object === undefined) throw new ValidationError(field, body, 'expected {"family", "addr", "port"}');
    onlyKeys(object, ['family', 'addr', 'port'], field, 'unknown tproxy property');
    if (object.addr === undefined && object.port === undefined) throw new ValidationError(field, body, 'tproxy needs an address, a port or both');
    // The kernel passes over packets that are neither TCP nor UDP; nft insists on a match that says which.
    if (!this.hasTransportMatch()) throw new ValidationError(field, body, 'tproxy needs a transport protocol match before it (e.g. meta l4proto tcp), as in nft');
    const family = this.addressFamily(object, field);
    if (family !== undefined && this.context.family === NFPROTO_INET) this.requireNetworkProtocol(family, object.family !== undefined ? `${field}.family` : `${field}.addr`, object.family ?? object.addr);
    // A port alone serves both IP versions only while the rule has not said which one.
    if (family === undefined && this.nfproto !== undefined) {
      throw new ValidationError(field, body, `an earlier match makes the packet ${this.nfproto === NFPROTO_IPV4 ? 'ip' : 'ip6'}: say the family ("family": "${this.nfproto === NFPROTO_IPV4 ? 'ip' : 'ip6'}"), as nft requires (conflicting protocols specified: ip vs. unknown)`);
    }
    // In an inet table, a port alone redirects both IPv4 and IPv6 (NFPROTO_UNSPEC).
    const d: Extract<ExprDescriptor, { expr: 'tproxy' }> = { expr: 'tproxy', family: family ?? NFPROTO_UNSPEC };
    let reg = NFT_REG_1;
    if (object.addr !== undefined) {
      if (typeof object.addr !== 'string') throw new ValidationError(`${field}.addr`, object.addr, 'expected one address');
      this.expressions.push({ expr: 'immediate', dreg: reg, data: this.parseConstant(addressType(family!), object.addr, `${field}.addr`) });
      d.regAddr = reg++;
    }
    if (object.port !== undefined) {
      if (singleKey(object.port) === 'range') throw new ValidationError(`${field}.port`, object.port, 'expected one port');
      d.regPort = this.ports(object.port, `${field}.port`, reg)[0];
    }
    this.expressions.push(d);
  }

  private portNat(kind: 'masq' | 'redir', body: unknown, field: string): void {
    const object = body === null ? {} : asObject(body);
    if (object === undefined) throw new ValidationError(field, body, 'expected null or {"port", "flags"}');
    onlyKeys(object, ['port', 'flags'], field, 'unknown property');
    let flags = parseFlags(object.flags, NAT_FLAGS, `${field}.flags`);
    const d: Record<string, unknown> = { expr: kind };
    if (object.port !== undefined) {
      this.requireTransportMatch(object.port, `${field}.port`);
      const [min, max] = this.ports(object.port, `${field}.port`, NFT_REG_1);
      d.regProtoMin = min;
      if (max !== undefined) d.regProtoMax = max;
      flags |= NF_NAT_RANGE_PROTO_SPECIFIED;
    }
    if (flags !== 0) d.flags = flags;
    this.expressions.push(d as unknown as ExprDescriptor);
  }

  private reject(body: unknown, field: string): void {
    const object = body === null ? {} : asObject(body);
    if (object === undefined) throw new ValidationError(field, body, 'expected null or {"type", "expr"}');
    const family = this.context.family;
    // In an inet table nft picks icmp or icmpv6 once a match has said which IP version the
    // packet is (`meta nfproto ipv6 reject` is `reject with icmpv6 port-unreachable`), icmpx only
    // while it may be either.
    const known = family === NFPROTO_INET ? this.nfproto : family;
    let type = object.type ?? (known === NFPROTO_IPV4 ? 'icmp' : known === NFPROTO_IPV6 ? 'icmpv6' : 'icmpx');
    if (type === 'tcp reset') {
      if (object.expr !== undefined) throw new ValidationError(`${field}.expr`, object.expr, 'tcp reset takes no code');
      if (this.l4proto !== undefined && this.l4proto !== 6) throw new ValidationError(`${field}.type`, type, `an earlier match makes the packet ${protocolName(this.l4proto)}: tcp reset needs tcp (nft: you cannot use tcp reset with this protocol)`);
      if (this.l4protoChoices) throw new ValidationError(`${field}.type`, type, 'an earlier match lets the packet be one of several protocols: tcp reset needs tcp (nft: you cannot use tcp reset with this protocol)');
      if (this.l4proto !== 6) {
        this.dependAtStart(NFT_META_L4PROTO, 6);
        this.l4proto = 6;
      }
      this.expressions.push({ expr: 'reject', type: NFT_REJECT_TCP_RST });
      return;
    }
    const codes = typeof type === 'string' ? REJECT_CODES.get(type) : undefined;
    if (codes === undefined) throw new ValidationError(`${field}.type`, type, 'expected "tcp reset", "icmp", "icmpv6" or "icmpx"');
    if ((type === 'icmp' && family === NFPROTO_IPV6) || (type === 'icmpv6' && family === NFPROTO_IPV4)) {
      throw new ValidationError(`${field}.type`, type, 'does not match the table family');
    }
    // The kernel's ip and ip6 reject know no icmpx: it would drop the packet without an answer.
    if (type === 'icmpx' && family !== NFPROTO_INET) throw new ValidationError(`${field}.type`, type, `icmpx goes only in inet tables (nft: abstracted ICMP unreachable not supported): use ${family === NFPROTO_IPV6 ? 'icmpv6' : 'icmp'}`);
    const codeName = object.expr ?? (type === 'icmpx' || type === 'icmpv6' || type === 'icmp' ? 'port-unreachable' : undefined);
    const code = typeof codeName === 'string' ? codes.get(codeName) : typeof codeName === 'number' ? codeName : undefined;
    if (code === undefined || code < 0 || code > 255) throw new ValidationError(`${field}.expr`, object.expr, `expected one of ${[...codes.keys()].join(', ')}`);
    if (family === NFPROTO_INET && type !== 'icmpx') {
      const nfproto = type === 'icmp' ? NFPROTO_IPV4 : NFPROTO_IPV6;
      this.requireNetworkProtocol(nfproto, `${field}.type`, type);
      if (this.nfproto !== nfproto) {
        this.dependAtStart(NFT_META_NFPROTO, nfproto);
        this.nfproto = nfproto;
      }
    }
    type = type === 'icmpx' ? NFT_REJECT_ICMPX_UNREACH : NFT_REJECT_ICMP_UNREACH;
    this.expressions.push({ expr: 'reject', type: type as number, code });
  }

  private vmap(body: unknown, field: string): void {
    const object = asObject(body);
    if (object === undefined) throw new ValidationError(field, body, 'expected {"key", "data"}');
    const left = this.load(object.key, `${field}.key`);
    this.lookupMap(left, object.data, { verdict: true, type: undefined, length: 0, typeId: 1 }, `${field}.data`, NFT_REG_VERDICT);
  }

  private raw(body: unknown, field: string): void {
    if (!Array.isArray(body) || body.length === 0) throw new ValidationError(field, body, 'expected [{"expr", "data"}, ...]');
    body.forEach((item, i) => {
      const object = asObject(item);
      if (typeof object?.expr !== 'string' || object.expr.length === 0) throw new ValidationError(`${field}[${i}].expr`, object?.expr, 'expected an expression name');
      if (typeof object.data !== 'string' || !/^([0-9a-f]{2})*$/i.test(object.data)) throw new ValidationError(`${field}[${i}].data`, object.data, 'expected hex bytes');
      let data: Uint8Array = Buffer.from(object.data, 'hex');
      if (object.expr === 'dynset') {
        // A raw set statement (one whose element carries statements) still writes to its set,
        // which must become dynamic as for a set statement routemark reads.
        const set = new Attributes(data, 0, data.length).string(NFTA_DYNSET_SET_NAME);
        if (set !== undefined) {
          this.context.namedSet(set, `${field}[${i}].data`, 'update');
          this.setsConsulted.push(set);
        }
        data = withoutZeroTimeout(data);
      }
      this.expressions.push({ expr: object.expr, raw: data });
    });
  }

  /** The rule's expressions, with the matches nft merges merged (see mergePayloadMatches). */
  mergedExpressions(): ExprDescriptor[] {
    return mergePayloadMatches(this.expressions, this.payloadMatches);
  }

  /** Compiles one statement. */
  statement(statement: unknown, field: string): void {
    const key = singleKey(statement);
    if (key === undefined) throw new ValidationError(field, statement, 'expected a statement object with one key');
    if (key !== 'match') this.otherStatements++;
    const body = (statement as Record<string, unknown>)[key];
    const path = `${field}.${key}`;
    const verdict = parseVerdict(statement, field);
    if (verdict !== undefined) {
      if (verdict.chain !== undefined) chainName(verdict.chain, `${path}.target`);
      const d: Extract<ExprDescriptor, { expr: 'immediate' }> = { expr: 'immediate', dreg: NFT_REG_VERDICT, verdict: verdict.verdict };
      if (verdict.chain !== undefined) d.chain = verdict.chain;
      this.expressions.push(d);
      return;
    }
    switch (key) {
      case 'match':
        return this.match(body, path);
      case 'mangle':
        return this.mangle(body, path);
      case 'counter':
        return this.counter(body, path);
      case 'log':
        return this.log(body, path);
      case 'limit':
        return this.limit(body, path);
      case 'snat':
      case 'dnat':
        return this.nat(key, body, path);
      case 'masquerade':
        return this.portNat('masq', body, path);
      case 'redirect':
        return this.portNat('redir', body, path);
      case 'reject':
        return this.reject(body, path);
      case 'vmap':
        return this.vmap(body, path);
      case 'raw':
        return this.raw(body, path);
      case 'quota':
        return this.quota(body, path);
      case 'tproxy':
        return this.tproxy(body, path);
      case 'set':
      case 'map':
        return this.dynset(key, body, path);
      case 'ct count':
        return this.connlimit(body, path);
      case 'dup':
        return this.dup(body, path);
      case 'synproxy':
        return this.synproxy(body, path);
      case 'notrack':
        if (body !== null) throw new ValidationError(path, body, 'expected null');
        this.expressions.push({ expr: 'notrack' });
        return;
    }
    throw new ValidationError(field, statement, `unsupported statement "${key}" (supported: match, mangle, counter, log, limit, quota, snat, dnat, masquerade, redirect, tproxy, reject, notrack, synproxy, vmap, set, map, ct count, dup, accept, drop, continue, return, jump, goto, raw)`);
  }
}

/**
 * nft merges the equality matches of a rule on adjacent fields of one header into one load and
 * compare of up to 4 bytes (payload_try_merge, payload_do_merge): `tcp dport 22 tcp sport 1024`
 * is one 4-byte load at the transport header. Among the matches between two other statements
 * (a counter, a mangle, ...) it sorts those by header and offset and joins neighbours while the
 * total stays within 4 bytes; the joined match stands where the match of its lowest field
 * stood, or, once it takes in a field that names the next protocol (`ip6 length 1121 ip6
 * nexthdr udp`), where that one stood. Done here the same way, after the whole rule is compiled,
 * so that the kernel holds the same expressions for routemark's rule as for nft's.
 *
 * Not done as nft 1.0.6 does it where that changes what the rule matches: it also merges two
 * `!=` matches (`tcp sport != 1 tcp dport != 2` into one compare that any difference passes), a
 * flag test with an equality (`tcp flags syn tcp window 1` into `tcp flags == syn`), and a
 * lone match before another statement with one after it (`tcp sport 1 counter tcp dport 2`
 * counts only port 2).
 */
function mergePayloadMatches(expressions: ExprDescriptor[], matches: readonly PayloadMatch[]): ExprDescriptor[] {
  if (matches.length < 2) return expressions;
  const sorted = [...matches].sort((a, b) => a.run - b.run || a.load.base - b.load.base || a.load.offset - b.load.offset);
  const removed = new Set<ExprDescriptor>();
  // The match that holds the joined fields so far, and where they start and end.
  let keeper = sorted[0]!;
  let start = keeper.load.offset;
  let end = start + keeper.load.len;
  let data = keeper.cmp.data!;
  for (const match of sorted.slice(1)) {
    const adjacent = match.run === keeper.run && match.load.base === keeper.load.base && match.load.offset === end;
    if (!adjacent || end - start + match.load.len > 4) {
      keeper = match;
      start = match.load.offset;
      end = start + match.load.len;
      data = match.cmp.data!;
      continue;
    }
    data = Uint8Array.from([...data, ...match.cmp.data!]);
    end += match.load.len;
    // The joined match moves to a protocol field's place, and stays there.
    const [kept, dropped] = match.protocolField && !keeper.protocolField ? [match, keeper] : [keeper, match];
    removed.add(dropped.load);
    removed.add(dropped.cmp);
    kept.load.offset = start;
    kept.load.len = end - start;
    kept.cmp.data = data;
    keeper = kept;
  }
  return removed.size === 0 ? expressions : expressions.filter((e) => !removed.has(e));
}

/**
 * Compiles a rule's statements (`rule.expr`) and comment. `path` names the rule in errors
 * (e.g. `nftables[3].add.rule`). Throws ValidationError for anything it cannot compile, and
 * InterfacesNeeded when iif/oif names must be resolved first.
 */
export function compileRule(rule: { expr?: unknown; comment?: unknown }, context: RuleContext, path: string, recorder?: ConstantRecorder): CompiledRule {
  // An empty list is a rule that does nothing, as nft takes it (a placeholder to insert others at).
  if (!Array.isArray(rule.expr)) throw new ValidationError(`${path}.expr`, rule.expr, 'expected a list of statements');
  const compiler = new RuleCompiler(context, recorder);
  const statements = rule.expr;
  for (let i = 0; i < statements.length; i++) compiler.statement(statements[i], `${path}.expr[${i}]`);
  const userdata = rule.comment === undefined ? undefined : commentUserdata(NFTNL_UDATA_RULE_COMMENT, rule.comment as string, `${path}.comment`);
  return { expressions: compiler.mergedExpressions(), anonymousSets: compiler.anonymousSets, userdata, setsConsulted: compiler.setsConsulted };
}

/**
 * A dynset's attributes without a zero NFTA_DYNSET_TIMEOUT: the kernel lists one for every set
 * statement, and refuses any timeout, even 0 ("none"), for a set without the timeout flag.
 */
function withoutZeroTimeout(data: Uint8Array): Uint8Array {
  const attributes = new Attributes(data, 0, data.length);
  if (attributes.be64(NFTA_DYNSET_TIMEOUT) !== 0n) return data;
  const parts: Uint8Array[] = [];
  for (const [type, start, end] of attributes) {
    if (type !== NFTA_DYNSET_TIMEOUT) parts.push(data.subarray(start - NLA_HDRLEN, Math.min(data.length, align4(end))));
  }
  return Buffer.concat(parts);
}

/**
 * Whether values of `types` fit a key (or data) of `wanted`: the same types field by field, a
 * plain integer (a raw payload, a hash) standing for any type of its size.
 */
function typesFit(types: readonly Datatype[], wanted: readonly Datatype[]): boolean {
  return (
    types.length === wanted.length &&
    types.every((type, i) => {
      const other = wanted[i]!;
      return type.size === other.size && (type.name === other.name || type.name === 'integer' || other.name === 'integer');
    })
  );
}

/** Types as nft writes a concatenation of them (`ipv4_addr . inet_service`). */
function typeNames(types: readonly Datatype[]): string {
  return types.map((type) => type.name).join(' . ');
}

/**
 * The operands of `{"|": [a, b]}` on the right of a flag type, as one list: nft lists a value
 * of several flags so, nesting the operator for more than two (`{"|": [{"|": [a, b]}, c]}`).
 */
function orOperands(value: unknown, field: string): unknown[] {
  const operands = (value as Record<string, unknown>)['|'];
  if (!Array.isArray(operands) || operands.length < 2) throw new ValidationError(field, operands, 'expected [FLAG, FLAG, ...]');
  return operands.flatMap((operand, i) => (singleKey(operand) === '|' ? orOperands(operand, `${field}[${i}].|`) : [operand]));
}

/** The key `name` names in `keys` (meta, ct, rt, socket); a ValidationError naming `field` otherwise. */
function knownKey(keys: ReadonlyMap<string, KeyInfo>, name: unknown, field: string): KeyInfo {
  const info = typeof name === 'string' ? keys.get(name) : undefined;
  if (info === undefined) throw new ValidationError(field, name, `expected one of ${[...keys.keys()].join(', ')}`);
  return info;
}
