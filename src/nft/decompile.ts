/**
 * The way back: expression descriptors (from the addon's libnftnl parser) to nftables JSON
 * statements, printed as `nft -j` prints them: header fields by name, dependencies that nft
 * inserts removed again, byte-aligned prefixes and cmp pairs turned back into prefixes and
 * ranges, anonymous sets inlined. Whatever it cannot read comes back as a `raw` statement
 * holding the expressions as the kernel sent them, never dropped.
 */
import { HOST_IS_LITTLE_ENDIAN, MessageWriter } from '../netlink/attributes.js';
import { BYTEORDER_HOST_ENDIAN, booleanOfSize, datatype, datatypeById, integerOfSize, isHostOrderInteger, networkOrder, readUint, type Datatype, type ValueContext } from './datatypes.js';
import { NFPROTO_INET, NFPROTO_IPV4, NFPROTO_IPV6, NFPROTO_UNSPEC, NFT_CONTINUE, NFT_GOTO, NFT_JUMP, NFT_REG32_00, NFT_REG_1, NFT_REG_VERDICT, NFT_RETURN, NF_ACCEPT, NF_DROP, NFT_SET_INTERVAL, NFT_SET_ELEM_INTERVAL_END, NFT_DATA_VERDICT, NFT_OBJECT_COUNTER, NFT_OBJECT_QUOTA, NFTNL_UDATA_SET_DATABYTEORDER } from './constants.js';
import { exprKind, isRawExpr, type ExprDescriptor } from './expr/index.js';
import type { CounterExpr } from './expr/counter.js';
import { writeAttributes } from './expr/spec.js';
import { NFT_BITWISE_BOOL } from './expr/bitwise.js';
import { NFT_DYNSET_OP_ADD, NFT_DYNSET_OP_DELETE, NFT_DYNSET_OP_UPDATE } from './expr/dynset.js';
import { NFT_CONNLIMIT_F_INV } from './expr/connlimit.js';
import { NFT_CMP_EQ, NFT_CMP_GT, NFT_CMP_GTE, NFT_CMP_LT, NFT_CMP_LTE, NFT_CMP_NEQ } from './expr/cmp.js';
import { NFT_LIMIT_F_INV, NFT_LIMIT_PKT_BYTES } from './expr/limit.js';
import { NFT_QUOTA_F_INV } from './expr/quota.js';
import { IP_CT_DIR_ORIGINAL, IP_CT_DIR_REPLY } from './expr/ct.js';
import { NFT_HASH_JENKINS, NFT_HASH_SYM } from './expr/hash.js';
import { NFT_LOOKUP_F_INV } from './expr/lookup.js';
import { NFT_NAT_SNAT } from './expr/nat.js';
import { NFT_PAYLOAD_NETWORK_HEADER, NFT_PAYLOAD_TRANSPORT_HEADER, NFT_PAYLOAD_LL_HEADER } from './expr/payload.js';
import { NFT_RANGE_EQ } from './expr/range.js';
import { NFT_REJECT_ICMPX_UNREACH, NFT_REJECT_TCP_RST } from './expr/reject.js';
import { LOG_FLAGS, NAT_FLAGS, REJECT_CODES } from './compile.js';
import { NFT_BYTEORDER_HTON, NFT_BYTEORDER_NTOH } from './expr/byteorder.js';
import { NFT_EXTHDR_F_PRESENT, NFT_EXTHDR_OP_TCPOPT } from './expr/exthdr.js';
import { NFTA_FIB_F_PRESENT, NFT_FIB_RESULT_ADDRTYPE } from './expr/fib.js';
import { NF_SYNPROXY_OPT_MSS, NF_SYNPROXY_OPT_SACK_PERM, NF_SYNPROXY_OPT_TIMESTAMP, NF_SYNPROXY_OPT_WSCALE, SYNPROXY_FLAGS } from './expr/synproxy.js';
import { CT_KEYS, FIB_FLAGS, FIB_RESULTS, GENERATED_NUMBER, META_KEYS, NUMGEN_MODES, PAYLOAD_PROTOCOLS, RT_KEYS, SOCKET_KEYS, keyByNumber, namesNextProtocol, tcpOptionByKind, type PayloadField, type PayloadProtocol } from './fields.js';
import type { NftExpression, NftExpressionObject, NftStatement } from './json.js';
import { fieldSize, objectTypeName, userdataU32 } from './sets.js';
import { decrementBytes, flagNames, maskPrefixLength } from './values.js';

const BYTE_UNITS = ['bytes', 'kbytes', 'mbytes'] as const;

/** A byte count as nft prints it (limits, quotas): in the largest unit, up to mbytes, that divides it. */
function byteAmount(bytes: number): [number, (typeof BYTE_UNITS)[number]] {
  let value = bytes;
  let unit = 0;
  while (unit < BYTE_UNITS.length - 1 && value >= 1024 && value % 1024 === 0) {
    value /= 1024;
    unit++;
  }
  return [value, BYTE_UNITS[unit]!];
}

/** A set as the addon's parser returns it. */
export interface ParsedSet {
  family: number;
  table: string;
  name: string;
  handle?: number;
  flags?: number;
  keyType?: number;
  keyLen?: number;
  dataType?: number;
  dataLen?: number;
  objType?: number;
  policy?: number;
  size?: number;
  timeout?: number;
  gcInterval?: number;
  fieldLengths?: number[];
  userdata?: string;
  /** The statements the set gives each element (NFTA_SET_EXPR, NFTA_SET_EXPRESSIONS). */
  expr?: ExprDescriptor[];
}

/** A set element as the addon's parser returns it (bytes as hex). */
export interface ParsedElement {
  key?: string;
  keyEnd?: string;
  data?: string;
  verdict?: number;
  chain?: string;
  flags?: number;
  timeout?: number;
  expiration?: number;
  userdata?: string;
  /** The object an element of an object map names. */
  objref?: string;
  /** The element's own statements with their state (a counter's packets and bytes). */
  expr?: ExprDescriptor[];
}

/** What decompiling a rule may consult. */
export interface DecompileContext extends ValueContext {
  /** NFPROTO_* of the rule's table. */
  family: number;
  /** Elements of a set of the rule's table (anonymous sets are inlined). */
  setElements(name: string): { set: ParsedSet; elements: ParsedElement[] } | undefined;
}

const OPS: ReadonlyMap<number, string> = new Map([
  [NFT_CMP_EQ, '=='],
  [NFT_CMP_NEQ, '!='],
  [NFT_CMP_LT, '<'],
  [NFT_CMP_LTE, '<='],
  [NFT_CMP_GT, '>'],
  [NFT_CMP_GTE, '>='],
]);

const LIMIT_PERIODS: ReadonlyMap<number, string> = new Map([
  [1, 'second'],
  [60, 'minute'],
  [3600, 'hour'],
  [86400, 'day'],
  [604800, 'week'],
]);

const DYNSET_OPS: ReadonlyMap<number, 'add' | 'update' | 'delete'> = new Map([
  [NFT_DYNSET_OP_ADD, 'add'],
  [NFT_DYNSET_OP_UPDATE, 'update'],
  [NFT_DYNSET_OP_DELETE, 'delete'],
]);

const LOG_LEVEL_NAMES = ['emerg', 'alert', 'crit', 'err', 'warn', 'notice', 'info', 'debug', 'audit'];

/** The JSON name of an NFPROTO_* family. */
export function familyName(family: number): string {
  switch (family) {
    case NFPROTO_IPV4:
      return 'ip';
    case NFPROTO_IPV6:
      return 'ip6';
    case NFPROTO_INET:
      return 'inet';
    case 3:
      return 'arp';
    case 5:
      return 'netdev';
    case 7:
      return 'bridge';
  }
  return String(family);
}

/** The netlink attributes of an expression (inside NFTA_EXPR_DATA), for raw statements. */
export function expressionData(descriptor: ExprDescriptor): Uint8Array {
  if (isRawExpr(descriptor)) return descriptor.raw;
  const kind = exprKind(descriptor.expr)!;
  const writer = new MessageWriter(256);
  const record = descriptor as unknown as Record<string, unknown>;
  if (kind.encode) kind.encode(writer, record);
  else writeAttributes(writer, kind, record);
  return Uint8Array.from(writer.bytes());
}

function rawStatement(descriptors: readonly ExprDescriptor[]): NftStatement {
  return { raw: descriptors.map((d) => ({ expr: d.expr, data: Buffer.from(expressionData(d)).toString('hex') })) };
}

/** What a register holds while a rule is read back. */
interface Register {
  sources: ExprDescriptor[];
  kind: 'payload' | 'meta' | 'ct' | 'rt' | 'exthdr' | 'fib' | 'socket' | 'numgen' | 'hash' | 'const' | 'concat' | 'map';
  type: Datatype;
  json?: NftExpression;
  payload?: { base: number; offset: number; len: number };
  /** Resolved payload field (after dependencies are known). */
  field?: { protocol: PayloadProtocol; name: string; offset: number; length: number };
  /** A pending bitwise (mask, xor) on the loaded value. */
  bitwise?: { mask: Uint8Array; xor: Uint8Array };
  data?: Uint8Array;
  fields?: Datatype[];
  /**
   * Converted to the other byte order: read only as a stored value (`set rt mtu`); matches on
   * converted values (nft's ordered compares of host-order keys) stay raw.
   */
  converted?: boolean;
  /** Dependency matches removed for this value: listed again if it ends up raw. */
  dependencies?: Statement[];
}

/** The attributes of expressions that name a register they read. */
const SOURCE_REGISTER_KEYS = ['sreg', 'sregKey', 'sregData', 'sregAddr', 'sregDev', 'setSreg', 'regAddr', 'regPort', 'regAddrMin', 'regAddrMax', 'regProtoMin', 'regProtoMax'] as const;

/** The registers an expression reads. */
function sourceRegisters(e: ExprDescriptor): number[] {
  const d = e as unknown as Record<string, unknown>;
  const regs = SOURCE_REGISTER_KEYS.map((key) => d[key]).filter((reg): reg is number => typeof reg === 'number');
  return [...new Set(regs)];
}

interface Statement {
  json: NftStatement;
  /** A match that nft may have inserted as a dependency: which protocol it establishes. */
  dependency?: { kind: 'l4proto' | 'nfproto'; value: number };
  removed?: boolean;
}

class Unreadable extends Error {}

function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((v, i) => v === b[i]);
}

function allBytes(bytes: Uint8Array, value: number): boolean {
  return bytes.every((b) => b === value);
}

/**
 * A value of several flags compared as a whole (`ct state != established | new`) as nft lists
 * it: `{"|": [a, b]}`, nested from the left for more (`{"|": [{"|": [a, b]}, c]}`). A list
 * stands for the bit test ("in", "!") only.
 */
function orredFlags(value: NftExpression): NftExpression {
  if (!Array.isArray(value)) return value;
  return (value as NftExpression[]).reduce((left, flag) => ({ '|': [left, flag] }) as NftExpression);
}

/**
 * A header field compared as a whole, as nft 1.0.6 lists it: several flags as the number they
 * make (`tcp flags == syn | ack` is 18), unlike ct state and ct status (see orredFlags);
 * `formatted` is `type.format(bytes)`.
 */
function wholeFieldValue(type: Datatype, bytes: Uint8Array, formatted: NftExpression): NftExpression {
  return Array.isArray(formatted) ? readUint(bytes, type.byteorder) : formatted;
}

/** Formats an interval [low, high] of `type`: a value, a prefix, or a range. */
export function formatInterval(type: Datatype, low: Uint8Array, high: Uint8Array, context: ValueContext): NftExpression {
  if (bytesEqual(low, high)) return type.format(low, context);
  if (type.name === 'ifname') {
    // `eth*` is the interval from "eth" padded with NULs to "eth" padded with 0xff.
    const end = low.indexOf(0);
    const wildcard = end > 0 && allBytes(low.subarray(end), 0) && bytesEqual(low.subarray(0, end), high.subarray(0, end)) && allBytes(high.subarray(end), 0xff);
    if (wildcard) return type.format(low.subarray(0, end), context);
  }
  // The types nft lists aligned intervals of as prefixes (DTYPE_F_PREFIX): marks as values.
  if (type.name === 'ipv4_addr' || type.name === 'ipv6_addr' || type.name === 'mark') {
    const [first, last] = [networkOrder(type, low), networkOrder(type, high)];
    const hostBits = first.map((b, i) => b ^ last[i]!);
    const length = maskPrefixLength(hostBits.map((b) => ~b & 0xff));
    if (length !== undefined && first.every((b, i) => (b & hostBits[i]!) === 0)) {
      return { prefix: { addr: type.format(low, context), len: length } };
    }
  }
  return { range: [type.format(low, context), type.format(high, context)] };
}

/**
 * Orders keys as `nft list` orders them (concatenated interval sets are not sorted, see
 * decodeElements). Interval sets: by value, as the kernel compares them
 * (nft stores their keys in network order, host-order integers too; its rules convert the key
 * before the lookup). Other sets are sorted by nft 1.0.6 (mergesort.c) by one number per key:
 * a single field's value in its own byte order (a host-order one, interface names too, from
 * its last byte), a concatenation's fields unpadded one after the other read as one
 * host-order number (from the last byte of the last field).
 */
function keyCompare(a: Uint8Array, b: Uint8Array, types: readonly Datatype[], interval: boolean): number {
  if (!interval) {
    const concat = types.length > 1;
    const x = concat ? unpaddedFields(a, types) : a;
    const y = concat ? unpaddedFields(b, types) : b;
    const fromLast = concat ? HOST_IS_LITTLE_ENDIAN : types[0]!.byteorder === 'host' && HOST_IS_LITTLE_ENDIAN;
    const n = Math.min(x.length, y.length);
    for (let i = 0; i < n; i++) {
      const j = fromLast ? n - 1 - i : i;
      if (x[j] !== y[j]) return x[j]! - y[j]!;
    }
    return x.length - y.length;
  }
  // One field in network order: bytes compare as the values do.
  const size = Math.min(a.length, b.length, types[0]!.size);
  for (let i = 0; i < size; i++) if (a[i] !== b[i]) return a[i]! - b[i]!;
  return 0;
}

/** A concatenated key's fields without the padding of their registers, one after the other. */
function unpaddedFields(bytes: Uint8Array, types: readonly Datatype[]): Uint8Array {
  const out = new Uint8Array(types.reduce((sum, type) => sum + type.size, 0));
  let at = 0;
  splitFields(bytes, types).forEach((field) => {
    out.set(field, at);
    at += field.length;
  });
  return out;
}

function splitFields(bytes: Uint8Array, types: readonly Datatype[]): Uint8Array[] {
  if (types.length === 1) return [bytes];
  const out: Uint8Array[] = [];
  let offset = 0;
  for (const type of types) {
    out.push(bytes.subarray(offset, offset + type.size));
    offset += fieldSize(type);
  }
  return out;
}

/** A verdict as JSON (`{"accept": null}`, `{"jump": {"target": "x"}}`). */
export function verdictJson(verdict: number, chain: string | undefined): NftStatement | undefined {
  switch (verdict) {
    case NF_ACCEPT:
      return { accept: null };
    case NF_DROP:
      return { drop: null };
    case NFT_CONTINUE:
      return { continue: null };
    case NFT_RETURN:
      return { return: null };
    case NFT_JUMP:
      return chain === undefined ? undefined : { jump: { target: chain } };
    case NFT_GOTO:
      return chain === undefined ? undefined : { goto: { target: chain } };
  }
  return undefined;
}

/**
 * Set elements as nft lists them: sorted, intervals rebuilt from start and end elements (or
 * key ends), map values and verdicts paired with their keys.
 */
export function decodeElements(set: ParsedSet, elements: readonly ParsedElement[], keyTypes: readonly Datatype[], dataType: Datatype | 'verdict' | 'object' | undefined, context: ValueContext): NftExpression[] {
  const interval = ((set.flags ?? 0) & NFT_SET_INTERVAL) !== 0;
  const rows = elements
    .filter((e) => e.key !== undefined)
    .map((e) => ({ e, key: Buffer.from(e.key!, 'hex') as Uint8Array, end: e.keyEnd === undefined ? undefined : (Buffer.from(e.keyEnd, 'hex') as Uint8Array) }));
  const isEnd = (e: ParsedElement) => ((e.flags ?? 0) & NFT_SET_ELEM_INTERVAL_END) !== 0;
  // nft 1.0.6 lists a concatenated interval set (netlink_list_setelems: concat_range_aggregate,
  // no list_expr_sort) in the order the kernel dumps it, which for its pipapo backend is the
  // order the elements were added in; sorting them would list the same contents in another order.
  const concatInterval = interval && keyTypes.length > 1;
  // Where one interval ends at the key the next starts at, the end goes first.
  if (!concatInterval) rows.sort((a, b) => keyCompare(a.key, b.key, keyTypes, interval) || Number(isEnd(b.e)) - Number(isEnd(a.e)));
  const out: NftExpression[] = [];
  const valueOf = (e: ParsedElement): NftExpression | undefined => {
    if (dataType === undefined) return undefined;
    if (dataType === 'verdict') return (verdictJson(e.verdict ?? NF_DROP, e.chain) ?? { raw: e.verdict }) as NftExpression;
    if (dataType === 'object') return e.objref;
    return e.data === undefined ? undefined : dataType.format(Buffer.from(e.data, 'hex'), context);
  };
  const wrap = (key: NftExpression, e: ParsedElement): NftExpression => {
    let keyJson = key;
    const comment = e.userdata ? decodeComment(e.userdata) : undefined;
    const counter = e.expr?.find((d): d is CounterExpr => d.expr === 'counter' && !isRawExpr(d));
    if (e.timeout !== undefined || e.expiration !== undefined || comment !== undefined || counter !== undefined) {
      const elem: Record<string, NftExpression> = { val: key };
      // Whole seconds, cut (not rounded) as nft lists them: an element with 3599.9 s left expires in 3599.
      if (e.timeout !== undefined) elem.timeout = Math.floor(e.timeout / 1000);
      if (e.expiration !== undefined) elem.expires = Math.floor(e.expiration / 1000);
      if (comment !== undefined) elem.comment = comment;
      if (counter !== undefined) elem.counter = { packets: Number(counter.packets ?? 0), bytes: Number(counter.bytes ?? 0) } as NftExpression;
      keyJson = { elem } as NftExpression;
    }
    const value = valueOf(e);
    return value === undefined && dataType === undefined ? keyJson : [keyJson, value ?? null] as NftExpression;
  };
  // Interval keys are stored in network order; swapping them back is the same swap.
  const hostOrder = (bytes: Uint8Array, type: Datatype): Uint8Array => (interval ? networkOrder(type, bytes) : bytes);
  const format = (low: Uint8Array, high: Uint8Array): NftExpression => {
    const lows = splitFields(low, keyTypes);
    const highs = splitFields(high, keyTypes);
    const parts = keyTypes.map((type, i) => formatInterval(type, hostOrder(lows[i]!, type), hostOrder(highs[i]!, type), context));
    return keyTypes.length > 1 ? { concat: parts } : parts[0]!;
  };
  if (!interval || keyTypes.length > 1) {
    for (const { e, key, end } of rows) out.push(wrap(format(key, end ?? key), e));
    return out;
  }
  for (let i = 0; i < rows.length; i++) {
    const row = rows[i]!;
    if (isEnd(row.e)) continue;
    const next = rows[i + 1];
    let high: Uint8Array;
    if (next === undefined) high = new Uint8Array(row.key.length).fill(0xff);
    else high = decrementBytes(next.key);
    out.push(wrap(format(row.key, high), row.e));
  }
  return out;
}

function decodeComment(hex: string): string | undefined {
  const bytes = Buffer.from(hex, 'hex');
  for (let i = 0; i + 2 <= bytes.length; ) {
    const type = bytes[i]!;
    const length = bytes[i + 1]!;
    if (type === 0 && i + 2 + length <= bytes.length) {
      let end = i + 2 + length;
      while (end > i + 2 && bytes[end - 1] === 0) end--;
      return bytes.subarray(i + 2, end).toString('utf8');
    }
    i += 2 + length;
  }
  return undefined;
}

/** Reads the statements of one rule back from its expressions. */
class RuleDecompiler {
  private readonly statements: Statement[] = [];
  private readonly registers = new Map<number, Register>();
  /** Registers the current expression has consumed, put back into raw if it turns out unreadable. */
  private taken: Register[] = [];
  private raw: ExprDescriptor[] | undefined;
  private nfproto: number | undefined;
  private l4proto: number | undefined;
  /** The statements that established nfproto / l4proto, until a payload consumes them. */
  private nfprotoDependency: Statement | undefined;
  private l4protoDependency: Statement | undefined;
  /** Whether a match let the packet be one of several transport (network) protocols. */
  private severalTransport = false;
  private severalNetwork = false;

  constructor(private readonly context: DecompileContext) {
    if (context.family === NFPROTO_IPV4 || context.family === NFPROTO_IPV6) this.nfproto = context.family;
  }

  run(expressions: readonly ExprDescriptor[]): NftStatement[] {
    for (let i = 0; i < expressions.length; i++) {
      const e = expressions[i]!;
      if (isRawExpr(e)) {
        // It may read any register: what is loaded and not yet used goes before it, in order.
        const pending = [...this.registers.values()].flatMap((r) => r.sources).sort((a, b) => expressions.indexOf(a) - expressions.indexOf(b));
        this.registers.clear();
        this.addRaw([...pending, e]);
        continue;
      }
      if (this.raw !== undefined && this.readsUnknown(e)) {
        this.addRaw([...this.unloadSources(e, [], expressions), e]);
        this.forgetWrites(e);
        continue;
      }
      this.closeRaw();
      this.taken = [];
      try {
        i += this.step(e, expressions[i + 1]);
      } catch (error) {
        if (!(error instanceof Unreadable)) throw error;
        this.addRaw([...this.unloadSources(e, this.taken, expressions), e]);
        this.forgetWrites(e);
      }
    }
    this.closeRaw();
    const leftovers = this.rawSources([...this.registers.values()], expressions);
    if (leftovers.length > 0) this.push({ json: rawStatement(leftovers) });
    return this.statements.filter((s) => !s.removed).map((s) => s.json);
  }

  /**
   * The loads behind the registers an expression going raw reads (and those it had already
   * taken): they go raw with it.
   */
  private unloadSources(e: ExprDescriptor, taken: readonly Register[], expressions: readonly ExprDescriptor[]): ExprDescriptor[] {
    const read = [...taken];
    for (const reg of sourceRegisters(e)) {
      const unread = this.registers.get(reg);
      if (unread !== undefined && !read.includes(unread)) read.push(unread);
      this.registers.delete(reg);
    }
    return this.rawSources(read, expressions);
  }

  /**
   * The expressions behind registers listed raw, in the kernel's order. The dependencies
   * removed for them are listed again: raw loads do not name their protocol.
   */
  private rawSources(registers: readonly Register[], expressions: readonly ExprDescriptor[]): ExprDescriptor[] {
    for (const dependency of registers.flatMap((r) => r.dependencies ?? [])) dependency.removed = false;
    return [...new Set(registers.flatMap((r) => r.sources))].sort((a, b) => expressions.indexOf(a) - expressions.indexOf(b));
  }

  private readsUnknown(e: ExprDescriptor): boolean {
    return sourceRegisters(e).some((reg) => !this.registers.has(reg));
  }

  private forgetWrites(e: ExprDescriptor): void {
    const dreg = (e as { dreg?: number }).dreg;
    if (dreg !== undefined) this.registers.delete(dreg);
  }

  private addRaw(descriptors: ExprDescriptor[]): void {
    (this.raw ??= []).push(...descriptors);
  }

  private closeRaw(): void {
    if (this.raw === undefined) return;
    this.push({ json: rawStatement(this.raw) });
    this.raw = undefined;
  }

  /**
   * Adds a statement. nft removes a dependency only right before the match that needs it: a
   * statement of another kind in between keeps it listed (it acts on all packets).
   */
  private push(statement: Statement): void {
    if (!('match' in statement.json)) {
      this.nfprotoDependency = undefined;
      this.l4protoDependency = undefined;
    }
    this.statements.push(statement);
  }

  private set(reg: number, value: Register): void {
    const previous = this.registers.get(reg);
    if (previous !== undefined && previous.sources.length > 0) this.push({ json: rawStatement(this.rawSources([previous], previous.sources)) });
    this.registers.set(reg, value);
  }

  private take(reg: number | undefined): Register {
    if (reg === undefined) throw new Unreadable();
    const value = this.registers.get(reg);
    if (value === undefined) throw new Unreadable();
    this.registers.delete(reg);
    this.taken.push(value);
    return value;
  }

  /** Processes one expression; returns how many following expressions it also consumed. */
  private step(e: ExprDescriptor, next: ExprDescriptor | undefined): number {
    const d = e as unknown as Record<string, unknown> & { expr: string };
    switch (d.expr) {
      case 'payload': {
        if (d.sreg !== undefined || d.dreg === undefined) throw new Unreadable();
        this.set(d.dreg as number, { sources: [e], kind: 'payload', type: integerOfSize(d.len as number), payload: { base: d.base as number, offset: d.offset as number, len: d.len as number } });
        return 0;
      }
      case 'meta':
      case 'ct': {
        const info = keyByNumber(d.expr === 'meta' ? META_KEYS : CT_KEYS, d.key as number);
        // A directed ct key comes with its direction; any other key without one.
        if (info === undefined || (d.dir !== undefined) !== (info.directed === true) || (d.dir !== undefined && d.dir !== IP_CT_DIR_ORIGINAL && d.dir !== IP_CT_DIR_REPLY)) throw new Unreadable();
        const key =
          d.expr === 'meta' ? { meta: { key: info.name } } : d.dir !== undefined ? { ct: { key: info.name, dir: d.dir === IP_CT_DIR_ORIGINAL ? ('original' as const) : ('reply' as const) } } : { ct: { key: info.name } };
        if (d.dreg !== undefined) {
          this.set(d.dreg as number, { sources: [e], kind: d.expr, type: info.type, json: key });
          return 0;
        }
        if (!info.settable) throw new Unreadable();
        this.push({ json: { mangle: { key, value: this.value(this.take(d.sreg as number), info.type) } } });
        return 0;
      }
      case 'rt': {
        const info = keyByNumber(RT_KEYS, d.key as number);
        if (info === undefined || d.dreg === undefined) throw new Unreadable();
        this.set(d.dreg as number, { sources: [e], kind: 'rt', type: info.type, json: { rt: { key: info.name } } });
        return 0;
      }
      case 'exthdr':
        return this.exthdr(e, d);
      case 'socket': {
        const info = keyByNumber(SOCKET_KEYS, d.key as number);
        // cgroupv2 (with a level) stays raw: nft cannot read back the JSON it lists for it.
        if (info === undefined || d.dreg === undefined || d.level !== undefined) throw new Unreadable();
        this.set(d.dreg as number, { sources: [e], kind: 'socket', type: info.type, json: { socket: { key: info.name } } });
        return 0;
      }
      case 'numgen': {
        const mode = [...NUMGEN_MODES].find(([, type]) => type === d.type)?.[0];
        if (mode === undefined || d.dreg === undefined || d.modulus === undefined) throw new Unreadable();
        // nft lists the offset of a numgen always, 0 too.
        const json = { numgen: { mode, mod: d.modulus as number, offset: (d.offset as number | undefined) ?? 0 } };
        this.set(d.dreg as number, { sources: [e], kind: 'numgen', type: GENERATED_NUMBER, json });
        return 0;
      }
      case 'hash':
        return this.hash(e, d);
      case 'tproxy':
        this.push({ json: { tproxy: this.tproxy(d) } });
        return 0;
      case 'fib': {
        const result = [...FIB_RESULTS].find(([, r]) => r.result === d.result);
        let flags = (d.flags as number | undefined) ?? 0;
        const present = (flags & NFTA_FIB_F_PRESENT) !== 0;
        flags &= ~NFTA_FIB_F_PRESENT;
        const names = flagNames(FIB_FLAGS, flags);
        const known = names.reduce((acc, name) => acc | FIB_FLAGS.get(name)!, 0);
        if (result === undefined || d.dreg === undefined || known !== flags || (present && d.result === NFT_FIB_RESULT_ADDRTYPE)) throw new Unreadable();
        const type = present ? booleanOfSize(4) : result[1].type;
        this.set(d.dreg as number, { sources: [e], kind: 'fib', type, json: { fib: { result: result[0], flags: names } } });
        return 0;
      }
      case 'byteorder': {
        const reg = this.registers.get(d.sreg as number);
        // nft masks a host-order integer before converting it for an ordered compare (`meta mark
        // & 0xff00 0x100-0x200`); a stored value is converted as loaded (see value()).
        if (reg === undefined || d.dreg !== d.sreg || reg.converted || (reg.bitwise !== undefined && !isHostOrderInteger(reg.type))) throw new Unreadable();
        if (reg.kind !== 'rt' && reg.kind !== 'meta' && reg.kind !== 'ct' && reg.kind !== 'exthdr' && reg.kind !== 'payload') throw new Unreadable();
        this.resolvePayload(reg);
        const size = reg.type.size;
        const op = reg.type.byteorder === 'host' ? NFT_BYTEORDER_HTON : NFT_BYTEORDER_NTOH;
        if (d.op !== op || d.len !== size || d.size !== size) throw new Unreadable();
        reg.converted = true;
        reg.sources.push(e);
        return 0;
      }
      case 'bitwise': {
        if ((d.op !== undefined && d.op !== NFT_BITWISE_BOOL) || d.sreg !== d.dreg) throw new Unreadable();
        const reg = this.registers.get(d.sreg as number);
        if (reg === undefined || reg.bitwise !== undefined || reg.converted || reg.kind === 'const' || reg.kind === 'concat' || reg.kind === 'map') throw new Unreadable();
        const mask = d.mask as Uint8Array | undefined;
        const xor = d.xor as Uint8Array | undefined;
        if (mask === undefined || xor === undefined) throw new Unreadable();
        reg.bitwise = { mask, xor };
        reg.sources.push(e);
        return 0;
      }
      case 'immediate': {
        if (d.dreg === NFT_REG_VERDICT) {
          const verdict = verdictJson(d.verdict as number, d.chain as string | undefined);
          if (verdict === undefined) throw new Unreadable();
          this.push({ json: verdict });
          return 0;
        }
        if (d.data === undefined || d.dreg === undefined) throw new Unreadable();
        this.set(d.dreg as number, { sources: [e], kind: 'const', type: integerOfSize((d.data as Uint8Array).length), data: d.data as Uint8Array });
        return 0;
      }
      case 'cmp':
        return this.cmp(d, next);
      case 'range': {
        const reg = this.take(d.sreg as number);
        if (reg.converted && (d.to as Uint8Array).length !== (d.from as Uint8Array).length) throw new Unreadable();
        const { left, format } = reg.converted ? this.convertedLeft(reg, d.from as Uint8Array) : { left: this.left(reg), format: undefined };
        const fmt = format ?? ((bytes: Uint8Array) => left.type.format(bytes, this.context));
        const range = { range: [fmt(d.from as Uint8Array), fmt(d.to as Uint8Array)] } as NftExpression;
        this.push({ json: { match: { op: d.op === NFT_RANGE_EQ ? '==' : '!=', left: left.json, right: range } } });
        return 0;
      }
      case 'lookup':
        return this.lookup(e, d);
      case 'dynset':
        this.push({ json: this.dynset(d) });
        return 0;
      case 'counter':
        this.push({ json: { counter: { packets: Number(d.packets ?? 0), bytes: Number(d.bytes ?? 0) } } });
        return 0;
      case 'log':
        this.push({ json: { log: this.log(d) } });
        return 0;
      case 'limit':
        this.push({ json: { limit: this.limit(d) } });
        return 0;
      case 'quota':
        this.push({ json: { quota: this.quota(d) } });
        return 0;
      case 'notrack':
        this.push({ json: { notrack: null } });
        return 0;
      case 'dup':
        this.push({ json: { dup: this.dup(d) } });
        return 0;
      case 'synproxy':
        this.push({ json: { synproxy: synproxyJson(d) } });
        return 0;
      case 'objref': {
        if (d.setSreg !== undefined) {
          // `counter name ip saddr map @m`: the object a map of objects gives for the key.
          const found = typeof d.set === 'string' ? this.context.setElements(d.set) : undefined;
          const kind = objectTypeName(found?.set.objType);
          if (kind === undefined) throw new Unreadable();
          const { keyJson, data } = this.keyInSet(d.setSreg as number, d.set as string, 'object');
          this.push({ json: { [kind]: { map: { key: keyJson, data } } } });
          return 0;
        }
        // A named counter or quota.
        if (typeof d.name !== 'string') throw new Unreadable();
        if (d.type === NFT_OBJECT_COUNTER) this.push({ json: { counter: d.name } });
        else if (d.type === NFT_OBJECT_QUOTA) this.push({ json: { quota: d.name } });
        else throw new Unreadable();
        return 0;
      }
      case 'connlimit': {
        const flags = (d.flags as number | undefined) ?? 0;
        if (d.count === undefined || (flags & ~NFT_CONNLIMIT_F_INV) !== 0) throw new Unreadable();
        // As nft lists it: `inv` only when set.
        this.push({ json: { 'ct count': flags === NFT_CONNLIMIT_F_INV ? { val: d.count as number, inv: true } : { val: d.count as number } } });
        return 0;
      }
      case 'nat':
        this.push({ json: this.nat(d) });
        return 0;
      case 'masq':
      case 'redir': {
        const body = this.portNat(d);
        this.push({ json: d.expr === 'masq' ? { masquerade: body } : { redirect: body } });
        return 0;
      }
      case 'reject':
        this.push({ json: { reject: this.reject(d) } });
        return 0;
    }
    throw new Unreadable();
  }

  /** A TCP option loaded (its bytes, or whether it is present) or written. */
  private exthdr(e: ExprDescriptor, d: Record<string, unknown>): number {
    const option = d.op === NFT_EXTHDR_OP_TCPOPT ? tcpOptionByKind(d.type as number) : undefined;
    if (option === undefined) throw new Unreadable();
    const flags = (d.flags as number | undefined) ?? 0;
    const fieldAt = (): PayloadField => {
      const field = option.fields.find((f) => f.offset === d.offset && f.length === d.len);
      if (field === undefined) throw new Unreadable();
      return field;
    };
    if (d.dreg !== undefined) {
      if (flags === NFT_EXTHDR_F_PRESENT) {
        if (d.offset !== 0 || d.len !== 1) throw new Unreadable();
        this.set(d.dreg as number, { sources: [e], kind: 'exthdr', type: booleanOfSize(1), json: { 'tcp option': { name: option.name } } });
        return 0;
      }
      if (flags !== 0) throw new Unreadable();
      const field = fieldAt();
      this.set(d.dreg as number, { sources: [e], kind: 'exthdr', type: field.type, json: { 'tcp option': { name: option.name, field: field.name } } });
      return 0;
    }
    if (flags !== 0) throw new Unreadable();
    const field = fieldAt();
    const value = this.value(this.take(d.sreg as number), field.type);
    this.push({ json: { mangle: { key: { 'tcp option': { name: option.name, field: field.name } }, value } } });
    return 0;
  }

  /** The protocol of a header as the matches so far establish it, and the match that did. */
  private payloadProtocol(base: number): { protocol?: PayloadProtocol; dependency?: Statement } {
    if (base === NFT_PAYLOAD_NETWORK_HEADER) {
      const protocol = this.nfproto === NFPROTO_IPV4 ? PAYLOAD_PROTOCOLS.get('ip') : this.nfproto === NFPROTO_IPV6 ? PAYLOAD_PROTOCOLS.get('ip6') : undefined;
      return { protocol, dependency: this.context.family === NFPROTO_INET ? this.nfprotoDependency : undefined };
    }
    if (base === NFT_PAYLOAD_TRANSPORT_HEADER) {
      const protocol = [...PAYLOAD_PROTOCOLS.values()].find((p) => p.l4proto !== undefined && p.l4proto === this.l4proto) ?? PAYLOAD_PROTOCOLS.get('th');
      return { protocol, dependency: protocol?.name !== 'th' ? this.l4protoDependency : undefined };
    }
    return {};
  }

  /** Removes the dependency match of a load that names its protocol. */
  private consumeDependency(reg: Register, dependency: Statement | undefined): void {
    if (dependency === undefined) return;
    dependency.removed = true;
    (reg.dependencies ??= []).push(dependency);
    if (dependency === this.nfprotoDependency) this.nfprotoDependency = undefined;
    if (dependency === this.l4protoDependency) this.l4protoDependency = undefined;
  }

  /** Resolves a payload register's field, consuming the dependency that named its protocol. */
  private resolvePayload(reg: Register): void {
    if (reg.payload === undefined || reg.field !== undefined) return;
    const { base, offset, len } = reg.payload;
    const { protocol, dependency } = this.payloadProtocol(base);
    const field = protocol?.fields.find((f) => f.offset === offset && (f.length === len || (len < f.length && (f.type.name === 'ipv4_addr' || f.type.name === 'ipv6_addr'))));
    if (protocol === undefined || field === undefined) {
      const baseName = base === NFT_PAYLOAD_LL_HEADER ? 'll' : base === NFT_PAYLOAD_NETWORK_HEADER ? 'nh' : base === NFT_PAYLOAD_TRANSPORT_HEADER ? 'th' : undefined;
      if (baseName === undefined) throw new Unreadable();
      reg.json = { payload: { base: baseName, offset: offset * 8, len: len * 8 } };
      reg.type = integerOfSize(len);
      return;
    }
    this.consumeDependency(reg, dependency);
    reg.field = { protocol, name: field.name, offset: field.offset, length: field.length };
    reg.type = field.type;
    reg.json = { payload: { protocol: protocol.name, field: field.name } };
  }

  /** The left-hand side of a match (resolving payload fields, folding a pending bitwise). */
  private left(reg: Register, stored = false): { json: NftExpression; type: Datatype } {
    this.resolvePayload(reg);
    if (reg.converted && !stored) throw new Unreadable();
    if (reg.kind === 'const' || reg.kind === 'map' || reg.json === undefined) throw new Unreadable();
    if (reg.bitwise === undefined) return { json: reg.json, type: reg.type };
    return { json: this.binopJson(reg.json, reg.type, reg.bitwise.mask, reg.bitwise.xor), type: reg.type };
  }

  /**
   * The left-hand side of an ordered compare of a host-order integer that nft converted to
   * network order, and how to format the compared constants (as long as the value, in network
   * order).
   */
  private convertedLeft(reg: Register, data: Uint8Array): { left: { json: NftExpression; type: Datatype }; format: (bytes: Uint8Array) => NftExpression } {
    const left = this.left(reg, true);
    const type = left.type;
    if (!isHostOrderInteger(type) || data.length !== type.size) throw new Unreadable();
    // Swapping network order back is the same byte swap.
    return { left, format: (bytes) => type.format(networkOrder(type, bytes), this.context) };
  }

  /** `X & m`, `X | v`, `X ^ v` or `(X & (m|v)) | v`, as nft prints a bitwise expression. */
  private binopJson(json: NftExpression, type: Datatype, mask: Uint8Array, xor: Uint8Array): NftExpression {
    const fmt = (bytes: Uint8Array) => type.format(bytes, this.context);
    if (allBytes(xor, 0)) return { '&': [json, fmt(mask)] };
    if (allBytes(mask, 0xff)) return { '^': [json, fmt(xor)] };
    if (mask.every((m, i) => m === (~xor[i]! & 0xff))) return { '|': [json, fmt(xor)] };
    if (mask.every((m, i) => (m & xor[i]!) === 0)) return { '|': [{ '&': [json, fmt(mask.map((m, i) => m | xor[i]!))] }, fmt(xor)] };
    throw new Unreadable();
  }

  /** The value of a mangle: a constant, a load (maybe masked), or a map lookup. */
  private value(reg: Register, type: Datatype): NftExpression {
    if (reg.kind === 'const') {
      if (reg.data!.length !== type.size) throw new Unreadable();
      return type.format(reg.data!, this.context);
    }
    if (reg.kind === 'map') return reg.json!;
    if (reg.converted && reg.bitwise !== undefined) throw new Unreadable();
    const left = this.left(reg, true);
    // What the compiler accepts, and nothing else: a value as long as the key (nft also sets
    // a 2-byte ct zone from a 4-byte numgen; that stays raw).
    if (left.type.size !== type.size) throw new Unreadable();
    // What the compiler converts, and nothing else: a host-order value stored into a big-endian
    // key. nft stores a big-endian value into a host-order key as it is (`meta mark set tcp
    // sequence`), and so does the compiler.
    if ((left.type.byteorder === 'host' && type.byteorder === 'big' && type.size > 1) !== (reg.converted ?? false)) throw new Unreadable();
    return left.json;
  }

  private dependencyOf(json: NftExpression, data: Uint8Array, op: number): Statement['dependency'] {
    if (op !== NFT_CMP_EQ || data.length !== 1) return undefined;
    const meta = (json as { meta?: { key: string } }).meta?.key;
    if (meta === 'l4proto') return { kind: 'l4proto', value: data[0]! };
    if (meta === 'nfproto') return { kind: 'nfproto', value: data[0]! };
    if (namesNextProtocol((json as { payload?: Record<string, unknown> }).payload)) return { kind: 'l4proto', value: data[0]! };
    return undefined;
  }

  private cmp(d: Record<string, unknown>, next: ExprDescriptor | undefined): number {
    const reg = this.take(d.sreg as number);
    const data = d.data as Uint8Array;
    const op = d.op as number;
    // cmp >= low followed by cmp <= high on the same register: a range.
    const n = next as { expr: string; sreg?: number; op?: number; data?: Uint8Array } | undefined;
    if (reg.converted) {
      const isRange = op === NFT_CMP_GTE && n?.expr === 'cmp' && n.sreg === d.sreg && n.op === NFT_CMP_LTE && n.data !== undefined;
      if (!isRange && (op === NFT_CMP_EQ || op === NFT_CMP_NEQ || !OPS.has(op))) throw new Unreadable();
      const { left, format } = this.convertedLeft(reg, data);
      if (isRange) {
        if (n.data!.length !== data.length) throw new Unreadable();
        this.push({ json: { match: { op: '==', left: left.json, right: { range: [format(data), format(n.data!)] } } } });
        return 1;
      }
      this.push({ json: { match: { op: OPS.get(op)!, left: left.json, right: format(data) } } });
      return 0;
    }
    if (op === NFT_CMP_GTE && n?.expr === 'cmp' && n.sreg === d.sreg && n.op === NFT_CMP_LTE && n.data !== undefined && reg.bitwise === undefined) {
      const left = this.left(reg);
      const fmt = (bytes: Uint8Array) => left.type.format(bytes, this.context);
      this.push({ json: { match: { op: '==', left: left.json, right: { range: [fmt(data), fmt(n.data)] } } } });
      return 1;
    }
    if (op === NFT_CMP_EQ && reg.bitwise === undefined && this.mergedMatches(reg, data)) return 0;
    this.resolvePayload(reg);
    const isAddress = reg.type.name === 'ipv4_addr' || reg.type.name === 'ipv6_addr';
    // nft's byte-aligned prefix: a load shorter than an address field at its start, or, where
    // the load cannot be shorter (`ct original ip saddr`), a shorter compare.
    const fullLength = reg.field !== undefined ? reg.field.length : reg.kind === 'ct' && isAddress ? reg.type.size : undefined;
    const compared = reg.field !== undefined ? reg.payload!.len : data.length;
    if (fullLength !== undefined && compared < fullLength && reg.bitwise === undefined) {
      if (op !== NFT_CMP_EQ && op !== NFT_CMP_NEQ) throw new Unreadable();
      const full = new Uint8Array(fullLength);
      full.set(data.subarray(0, compared));
      const right = { prefix: { addr: reg.type.format(full, this.context), len: compared * 8 } };
      this.push({ json: { match: { op: OPS.get(op)!, left: reg.json!, right } } });
      return 0;
    }
    if (reg.bitwise !== undefined && allBytes(reg.bitwise.xor, 0)) {
      const { mask } = reg.bitwise;
      const addressField = (reg.field !== undefined || reg.kind === 'ct') && isAddress;
      const length = maskPrefixLength(mask);
      if (addressField && length !== undefined && (op === NFT_CMP_EQ || op === NFT_CMP_NEQ)) {
        const right = { prefix: { addr: reg.type.format(data, this.context), len: length } };
        this.push({ json: { match: { op: OPS.get(op)!, left: reg.json!, right } } });
        return 0;
      }
      // Marks have prefix notation in nft too (DTYPE_F_PREFIX, relational_binop_postprocess):
      // it lists `meta mark & 0xffff0000 == 0x10000` as 0x10000/16, the value as it is, and a
      // mask of all ones as the value alone. The mask is in host order in the register.
      const markLength = reg.type.name === 'mark' && data.length === reg.type.size ? maskPrefixLength(networkOrder(reg.type, mask)) : undefined;
      if (markLength !== undefined && (op === NFT_CMP_EQ || op === NFT_CMP_NEQ)) {
        const addr = reg.type.format(data, this.context);
        const right = markLength === reg.type.size * 8 ? addr : { prefix: { addr, len: markLength } };
        this.push({ json: { match: { op: OPS.get(op)!, left: reg.json!, right } } });
        return 0;
      }
      if (reg.type.flags !== undefined && allBytes(data, 0) && (op === NFT_CMP_NEQ || op === NFT_CMP_EQ)) {
        const flags = reg.type.format(mask, this.context);
        // Some of the bits set: "in"; none of them: "!" (nft's `ct status & assured == 0`).
        this.push({ json: { match: { op: op === NFT_CMP_NEQ ? 'in' : '!', left: reg.json!, right: flags } } });
        return 0;
      }
    }
    const left = this.left(reg);
    const opName = OPS.get(op);
    if (opName === undefined) throw new Unreadable();
    const value = left.type.format(data, this.context);
    // After a mask (`tcp flags & (syn | ack) == syn | ack`) nft lists the value as a list.
    // Without one, nft 1.0.6 lists several flags compared as a whole as `|` of them for ct
    // state and ct status, but for a header field (`tcp flags == syn | ack`) as the number, 18.
    const right = reg.bitwise !== undefined ? value : reg.kind === 'payload' ? wholeFieldValue(left.type, data, value) : orredFlags(value);
    const statement: Statement = { json: { match: { op: opName, left: left.json, right } } };
    const dependency = reg.bitwise === undefined ? this.dependencyOf(left.json, data, op) : undefined;
    const ct = (left.json as { ct?: { key: string; dir?: string } }).ct;
    if (dependency === undefined && ct !== undefined && ct.dir === undefined && reg.bitwise === undefined && op === NFT_CMP_EQ && data.length === 1 && (ct.key === 'l3proto' || ct.key === 'protocol')) {
      // nft takes the conntrack's protocols as protocol context (ct_expr_pctx_update), as the
      // compiler does: `ct l3proto ipv6` in an inet table names the network header for the
      // matches after it (`ip6 daddr`, with no `meta nfproto` before it), and `ct protocol tcp`
      // the transport header once the network protocol is known. Both stay listed: nft hides
      // them before such a match, and its listing then reads back as another rule. For the
      // same reason an earlier `meta l4proto`/`meta nfproto` is no longer hidden: nft would
      // hide this later match in its place.
      if (ct.key === 'l3proto') this.nfprotoDependency = undefined;
      else this.l4protoDependency = undefined;
      // After a match that let the packet be one of several protocols, the header stays
      // unnamed (`th dport`): named, nft would refuse the listing ("conflicting protocols").
      if (ct.key === 'l3proto' && this.context.family === NFPROTO_INET && !this.severalNetwork) this.nfproto = data[0];
      if (ct.key === 'protocol' && this.nfproto !== undefined && !this.severalTransport) this.l4proto = data[0];
    }
    if (dependency !== undefined) {
      statement.dependency = dependency;
      // A protocol the rule already established (`ct protocol tcp` before `ip protocol tcp`) is
      // not inserted again when the listing is applied: such a match stays listed, or the
      // listing would read back as another rule.
      if (dependency.kind === 'l4proto') {
        const known = this.l4proto === dependency.value;
        this.l4proto = dependency.value;
        // In inet tables `ip protocol` and `ip6 nexthdr` also say which IP version: only
        // `meta l4proto` is a pure dependency there.
        const pure = this.context.family !== NFPROTO_INET || (left.json as { meta?: unknown }).meta !== undefined;
        this.l4protoDependency = pure && !known ? statement : undefined;
      } else {
        const known = this.nfproto === dependency.value;
        this.nfproto = dependency.value;
        this.nfprotoDependency = known ? undefined : statement;
      }
    }
    this.push(statement);
    return 0;
  }

  /**
   * nft merges equality matches on adjacent header fields into one load and compare (`tcp
   * sport 1 tcp dport 2`: 4 bytes at th 0) and lists them split again: one match per field.
   */
  private mergedMatches(reg: Register, data: Uint8Array): boolean {
    if (reg.payload === undefined || reg.field !== undefined || data.length !== reg.payload.len) return false;
    const { protocol, dependency } = this.payloadProtocol(reg.payload.base);
    // Without a transport protocol nft lists the load as it is (`@th,0,32`).
    if (protocol === undefined || protocol.name === 'th') return false;
    const fields: PayloadField[] = [];
    const start = reg.payload.offset;
    for (let offset = start; offset < start + data.length; ) {
      const field = protocol.fields.find((f) => f.offset === offset);
      if (field === undefined || offset + field.length > start + data.length) return false;
      fields.push(field);
      offset += field.length;
    }
    if (fields.length < 2) return false;
    this.consumeDependency(reg, dependency);
    for (const field of fields) {
      const left: NftExpression = { payload: { protocol: protocol.name, field: field.name } };
      const bytes = data.subarray(field.offset - start, field.offset - start + field.length);
      // The protocol it names still says what a later transport header is.
      if (this.dependencyOf(left, bytes, NFT_CMP_EQ)?.kind === 'l4proto') this.l4proto = bytes[0];
      this.push({ json: { match: { op: '==', left, right: wholeFieldValue(field.type, bytes, field.type.format(bytes, this.context)) } } });
    }
    return true;
  }

  private lookup(e: ExprDescriptor, d: Record<string, unknown>): number {
    const found = this.context.setElements(d.set as string);
    const dataType = found ? this.setDataType(found.set) : undefined;
    const { keyJson, data, keyParts } = this.keyInSet(d.sreg as number, d.set as string, dataType);
    const dreg = d.dreg as number | undefined;
    if (dreg === undefined) {
      const inverted = (((d.flags as number) ?? 0) & NFT_LOOKUP_F_INV) !== 0;
      // `meta l4proto { tcp, udp }`: the packet may be either, whatever a ct match says later.
      const key = (keyJson as { meta?: { key: string }; ct?: { key: string; dir?: string } });
      // An earlier match that said one (`ct protocol udp`) no longer names the header either.
      if (!inverted && (key.meta?.key === 'l4proto' || (key.ct?.key === 'protocol' && key.ct.dir === undefined))) {
        this.severalTransport = true;
        this.l4proto = undefined;
      }
      if (!inverted && (key.meta?.key === 'nfproto' || (key.ct?.key === 'l3proto' && key.ct.dir === undefined))) {
        this.severalNetwork = true;
        if (this.context.family === NFPROTO_INET) this.nfproto = undefined;
      }
      this.push({ json: { match: { op: inverted ? '!=' : '==', left: keyJson, right: data } } });
      return 0;
    }
    if (dreg === NFT_REG_VERDICT) {
      this.push({ json: { vmap: { key: keyJson, data } } });
      return 0;
    }
    const type = dataType === 'verdict' || dataType === undefined ? integerOfSize(4) : dataType;
    this.set(dreg, { sources: [...keyParts.flatMap((p) => p.sources), e], kind: 'map', type, json: { map: { key: keyJson, data } }, dependencies: keyParts.flatMap((p) => p.dependencies ?? []) });
    return 0;
  }

  /**
   * The key in `sreg` (a register, or a concatenation from it) that an expression looks up in
   * set `name`, and that set as the right side: `"@name"`, or an anonymous set's elements.
   */
  private keyInSet(sreg: number, name: string, dataType: Datatype | 'verdict' | 'object' | undefined): { keyJson: NftExpression; data: NftExpression; keyParts: Register[] } {
    const reg = this.registers.get(sreg);
    if (reg === undefined) throw new Unreadable();
    this.registers.delete(sreg);
    this.taken.push(reg);
    const found = this.context.setElements(name);
    const keyParts = this.keyParts(reg, sreg, found?.set.keyLen).parts;
    // nft converts host-order integers to network order for interval sets, and only for them.
    const interval = ((found?.set.flags ?? 0) & NFT_SET_INTERVAL) !== 0;
    const lefts = keyParts.map((p) => {
      const left = this.left(p, true);
      if ((p.converted ?? false) !== (interval && isHostOrderInteger(left.type))) throw new Unreadable();
      return left;
    });
    const keyJson: NftExpression = lefts.length > 1 ? { concat: lefts.map((l) => l.json) } : lefts[0]!.json;
    if (!name.startsWith('__')) return { keyJson, data: `@${name}`, keyParts };
    if (found === undefined) throw new Unreadable();
    const elements = decodeElements(found.set, found.elements, lefts.map((l) => l.type), dataType, this.context);
    return { keyJson, data: { set: elements }, keyParts };
  }

  /**
   * The registers of a key that starts with `first` (in `firstReg`, already taken): a
   * concatenation's further fields sit in the 32-bit registers after the first word of
   * `firstReg`, until `keyLength` bytes. Returns them and the bytes they hold.
   */
  private keyParts(first: Register, firstReg: number, keyLength: number | undefined): { parts: Register[]; length: number } {
    const parts: Register[] = [first];
    const words = (p: Register) => Math.ceil((p.payload?.len ?? p.type.size) / 4);
    let total = first.payload?.len ?? first.type.size;
    // Each field starts at the 32-bit register after the words of the one before (an IPv6
    // address takes four). The kernel lists one that starts a 16-byte register by that
    // register's number: the field after `ip6 saddr` in NFT_REG32_04 comes back as NFT_REG_2.
    let word = (firstReg - NFT_REG_1) * 4 + words(first);
    while (keyLength !== undefined && total < keyLength) {
      const reg = [NFT_REG32_00 + word, word % 4 === 0 ? NFT_REG_1 + word / 4 : -1].find((r) => this.registers.has(r));
      if (reg === undefined) break;
      const part = this.registers.get(reg)!;
      this.registers.delete(reg);
      this.taken.push(part);
      parts.push(part);
      word += words(part);
      total = parts.reduce((sum, p) => sum + words(p) * 4, 0);
    }
    return { parts, length: total };
  }

  /**
   * `add @s { KEY }`, `update @m { KEY timeout 30s : VALUE }`: a set or map statement, as the
   * set's definition says which. Timeouts that are not whole seconds (nft's JSON would list them
   * cut short) and dynsets with flags stay raw.
   */
  private dynset(d: Record<string, unknown>): NftStatement {
    const name = d.set as string | undefined;
    const op = DYNSET_OPS.get(d.op as number);
    const found = name === undefined ? undefined : this.context.setElements(name);
    const timeout = Number(d.timeout ?? 0);
    if (found === undefined || op === undefined || ((d.flags as number | undefined) ?? 0) !== 0 || timeout % 1000 !== 0) throw new Unreadable();
    const sregKey = d.sregKey as number | undefined;
    const { parts, length } = this.keyParts(this.take(sregKey), sregKey!, found.set.keyLen);
    if (length !== found.set.keyLen) throw new Unreadable();
    const lefts = parts.map((p) => this.left(p).json);
    const key: NftExpression = lefts.length > 1 ? { concat: lefts } : lefts[0]!;
    const elem: NftExpression = timeout > 0 ? { elem: { val: key, timeout: timeout / 1000 } } : key;
    const dataType = this.setDataType(found.set);
    if (dataType === undefined) {
      if (d.sregData !== undefined) throw new Unreadable();
      return { set: { op, elem, set: `@${name}` } };
    }
    if (dataType === 'verdict' || op === 'delete') throw new Unreadable();
    const data = this.value(this.take(d.sregData as number | undefined), dataType);
    return { map: { op, elem, data, map: `@${name}` } };
  }

  /** jhash of a register (or a concatenation), or symhash; as nft lists them: mod, seed, offset, expr. */
  private hash(e: ExprDescriptor, d: Record<string, unknown>): number {
    if (d.dreg === undefined || d.modulus === undefined) throw new Unreadable();
    const sources: ExprDescriptor[] = [];
    const dependencies: Statement[] = [];
    let json: NftExpression;
    if (d.type === NFT_HASH_SYM) {
      if (d.sreg !== undefined) throw new Unreadable();
      const symhash: NonNullable<NftExpressionObject['symhash']> = { mod: d.modulus as number };
      if (d.offset) symhash.offset = d.offset as number;
      json = { symhash };
    } else if ((d.type ?? NFT_HASH_JENKINS) === NFT_HASH_JENKINS) {
      const { parts, length } = this.keyParts(this.take(d.sreg as number), d.sreg as number, d.len as number | undefined);
      if (length !== d.len) throw new Unreadable();
      const lefts = parts.map((p) => this.left(p).json);
      // The kernel lists a seed only if one was given (otherwise it drew a random one).
      const jhash: NonNullable<NftExpressionObject['jhash']> = {
        mod: d.modulus as number,
        ...(d.seed !== undefined ? { seed: d.seed as number } : {}),
        ...(d.offset ? { offset: d.offset as number } : {}),
        expr: lefts.length > 1 ? { concat: lefts } : lefts[0]!,
      };
      sources.push(...parts.flatMap((p) => p.sources));
      dependencies.push(...parts.flatMap((p) => p.dependencies ?? []));
      json = { jhash };
    } else {
      throw new Unreadable();
    }
    this.set(d.dreg as number, { sources: [...sources, e], kind: 'hash', type: GENERATED_NUMBER, json, dependencies });
    return 0;
  }

  /** A tproxy statement: the family only in inet tables (when not both), then address and port. */
  private tproxy(d: Record<string, unknown>): NftStatement['tproxy'] {
    const family = (d.family as number | undefined) ?? NFPROTO_UNSPEC;
    if (family !== NFPROTO_UNSPEC && family !== NFPROTO_IPV4 && family !== NFPROTO_IPV6) throw new Unreadable();
    const out: NonNullable<NftStatement['tproxy']> = {};
    if (this.context.family === NFPROTO_INET && family !== NFPROTO_UNSPEC) out.family = family === NFPROTO_IPV6 ? 'ip6' : 'ip';
    const addr = this.constOf(d.regAddr as number | undefined);
    if (addr !== undefined) {
      const type = datatype(family === NFPROTO_IPV6 ? 'ipv6_addr' : 'ipv4_addr')!;
      if (family === NFPROTO_UNSPEC || addr.length !== type.size) throw new Unreadable();
      out.addr = type.format(addr, this.context);
    }
    const port = this.ports(d.regPort as number | undefined, undefined);
    if (port !== undefined) out.port = port;
    this.releaseRegisters(d.regAddr as number | undefined, d.regPort as number | undefined);
    return out;
  }

  /** `dup to ADDR [device DEV]`: constants in the registers it reads, as nft lists them. */
  private dup(d: Record<string, unknown>): NftStatement['dup'] {
    if (this.context.family !== NFPROTO_IPV4 && this.context.family !== NFPROTO_IPV6) throw new Unreadable();
    const type = datatype(this.context.family === NFPROTO_IPV6 ? 'ipv6_addr' : 'ipv4_addr')!;
    const addr = this.constOf(d.sregAddr as number | undefined);
    const dev = this.constOf(d.sregDev as number | undefined);
    const devType = META_KEYS.get('oif')!.type;
    if (addr === undefined || addr.length !== type.size || (dev !== undefined && dev.length !== devType.size)) throw new Unreadable();
    this.releaseRegisters(d.sregAddr as number, d.sregDev as number | undefined);
    const out: NonNullable<NftStatement['dup']> = { addr: type.format(addr, this.context) };
    if (dev !== undefined) out.dev = devType.format(dev, this.context);
    return out;
  }

  private setDataType(set: ParsedSet): Datatype | 'verdict' | undefined {
    if (set.dataType === undefined) return undefined;
    if (set.dataType === NFT_DATA_VERDICT) return 'verdict';
    // By its type id, as a named map's data is listed (setJson); only a plain integer needs more.
    const type = datatypeById(set.dataType);
    if (type !== undefined && type.name !== 'integer') return type;
    // A plain integer's byte order is only in nft's userdata (ct zone maps hold host-order u16s).
    const userdata = set.userdata === undefined ? undefined : Buffer.from(set.userdata, 'hex');
    const host = userdataU32(userdata, NFTNL_UDATA_SET_DATABYTEORDER) === BYTEORDER_HOST_ENDIAN;
    return integerOfSize(set.dataLen ?? 4, host ? 'host' : 'big');
  }

  private log(d: Record<string, unknown>): NftStatement['log'] {
    const out: Record<string, unknown> = {};
    if (d.prefix !== undefined) out.prefix = d.prefix;
    if (d.group !== undefined) out.group = d.group;
    if (d.snaplen !== undefined && d.snaplen !== 0) out.snaplen = d.snaplen;
    if (d.qthreshold !== undefined && d.qthreshold !== 0) out['queue-threshold'] = d.qthreshold;
    if (d.level !== undefined && d.group === undefined) {
      const level = LOG_LEVEL_NAMES[d.level as number];
      if (level === undefined) throw new Unreadable();
      if (level !== 'warn') out.level = level;
    }
    const flags = (d.flags as number | undefined) ?? 0;
    if (flags !== 0) {
      const names = flagNames(LOG_FLAGS, flags);
      out.flags = names.includes('all') ? 'all' : names.length === 1 ? names[0] : names;
    }
    return Object.keys(out).length === 0 ? null : (out as NftStatement['log']);
  }

  /** As nft prints a quota: each amount in its largest unit; used only once counted. */
  private quota(d: Record<string, unknown>): NftStatement['quota'] {
    const [val, valUnit] = byteAmount(Number(d.bytes ?? 0));
    const out: NonNullable<NftStatement['quota']> = { val, val_unit: valUnit };
    const consumed = Number(d.consumed ?? 0);
    if (consumed > 0) [out.used, out.used_unit] = byteAmount(consumed);
    if (((d.flags as number | undefined) ?? 0) & NFT_QUOTA_F_INV) out.inv = true;
    return out;
  }

  private limit(d: Record<string, unknown>): NftStatement['limit'] {
    const per = LIMIT_PERIODS.get(Number(d.unit));
    if (per === undefined) throw new Unreadable();
    const rate = Number(d.rate);
    const out: Record<string, unknown> = {};
    const burst = (d.burst as number | undefined) ?? 0;
    if (d.type === NFT_LIMIT_PKT_BYTES) {
      const [rateValue, rateUnit] = byteAmount(rate);
      const [burstValue, burstUnit] = byteAmount(burst);
      Object.assign(out, { rate: rateValue, burst: burstValue, per, rate_unit: rateUnit, burst_unit: burstUnit });
    } else {
      Object.assign(out, { rate, burst, per });
    }
    if (((d.flags as number | undefined) ?? 0) & NFT_LIMIT_F_INV) out.inv = true;
    return out as NftStatement['limit'];
  }

  private natFlags(flags: number | undefined): string | string[] | undefined {
    const names = flagNames(NAT_FLAGS, flags ?? 0);
    return names.length === 0 ? undefined : names.length === 1 ? names[0] : names;
  }

  private constOf(reg: number | undefined): Uint8Array | undefined {
    if (reg === undefined) return undefined;
    const value = this.registers.get(reg);
    if (value === undefined || value.kind !== 'const') throw new Unreadable();
    return value.data;
  }

  private ports(min: number | undefined, max: number | undefined): NftExpression | undefined {
    const low = this.constOf(min);
    const high = max !== undefined && max !== min ? this.constOf(max) : undefined;
    const port = PAYLOAD_PROTOCOLS.get('th')!.fields[0]!.type;
    if (low === undefined) return undefined;
    if (low.length !== 2 || (high !== undefined && high.length !== 2)) throw new Unreadable();
    return high === undefined || bytesEqual(low, high) ? port.format(low, this.context) : { range: [port.format(low, this.context), port.format(high, this.context)] };
  }

  private releaseRegisters(...regs: (number | undefined)[]): void {
    for (const reg of regs) if (reg !== undefined) this.registers.delete(reg);
  }

  private nat(d: Record<string, unknown>): NftStatement {
    const family = d.family as number;
    const addrType = family === NFPROTO_IPV6 ? datatype('ipv6_addr')! : datatype('ipv4_addr')!;
    const min = this.constOf(d.regAddrMin as number | undefined);
    const max = d.regAddrMax !== undefined && d.regAddrMax !== d.regAddrMin ? this.constOf(d.regAddrMax as number) : undefined;
    const out: Record<string, unknown> = {};
    if (this.context.family === NFPROTO_INET) out.family = family === NFPROTO_IPV6 ? 'ip6' : 'ip';
    if (min !== undefined) {
      if (min.length !== addrType.size) throw new Unreadable();
      out.addr = max === undefined ? addrType.format(min, this.context) : formatInterval(addrType, min, max, this.context);
    }
    const port = this.ports(d.regProtoMin as number | undefined, d.regProtoMax as number | undefined);
    if (port !== undefined) out.port = port;
    const flags = this.natFlags(d.flags as number | undefined);
    if (flags !== undefined) out.flags = flags;
    this.releaseRegisters(d.regAddrMin as number, d.regAddrMax as number, d.regProtoMin as number, d.regProtoMax as number);
    return d.type === NFT_NAT_SNAT ? { snat: out } : { dnat: out };
  }

  private portNat(d: Record<string, unknown>): Record<string, unknown> | null {
    const out: Record<string, unknown> = {};
    const port = this.ports(d.regProtoMin as number | undefined, d.regProtoMax as number | undefined);
    if (port !== undefined) out.port = port;
    const flags = this.natFlags(d.flags as number | undefined);
    if (flags !== undefined) out.flags = flags;
    this.releaseRegisters(d.regProtoMin as number, d.regProtoMax as number);
    return Object.keys(out).length === 0 ? null : out;
  }

  private reject(d: Record<string, unknown>): NftStatement['reject'] {
    if (d.type === NFT_REJECT_TCP_RST) {
      // nft lists the `meta l4proto tcp` it adds in inet tables.
      if (this.l4proto === 6 && this.l4protoDependency !== undefined && this.context.family !== NFPROTO_INET) {
        this.l4protoDependency.removed = true;
        this.l4protoDependency = undefined;
      }
      return { type: 'tcp reset' };
    }
    let typeName: 'icmpx' | 'icmp' | 'icmpv6';
    if (d.type === NFT_REJECT_ICMPX_UNREACH) typeName = 'icmpx';
    else {
      typeName = this.nfproto === NFPROTO_IPV6 ? 'icmpv6' : 'icmp';
      if (this.context.family === NFPROTO_INET && this.nfprotoDependency !== undefined) {
        this.nfprotoDependency.removed = true;
        this.nfprotoDependency = undefined;
      }
    }
    const code = d.code as number;
    const name = [...REJECT_CODES.get(typeName)!].find(([, v]) => v === code)?.[0];
    if (name === undefined) throw new Unreadable();
    return { type: typeName, expr: name };
  }
}

/** Decompiles a rule's expressions into nftables JSON statements. */
export function decompileRule(expressions: readonly ExprDescriptor[], context: DecompileContext): NftStatement[] {
  return new RuleDecompiler(context).run(expressions);
}

/** A synproxy expression as nft lists it: mss and wscale only where flagged, timestamp before sack-perm. */
function synproxyJson(d: Record<string, unknown>): NftStatement['synproxy'] {
  const flags = (d.flags as number | undefined) ?? 0;
  if ((flags & ~(NF_SYNPROXY_OPT_MSS | NF_SYNPROXY_OPT_WSCALE | NF_SYNPROXY_OPT_TIMESTAMP | NF_SYNPROXY_OPT_SACK_PERM)) !== 0) throw new Unreadable();
  const out: NonNullable<NftStatement['synproxy']> = {};
  if ((flags & NF_SYNPROXY_OPT_MSS) !== 0) out.mss = (d.mss as number | undefined) ?? 0;
  if ((flags & NF_SYNPROXY_OPT_WSCALE) !== 0) out.wscale = (d.wscale as number | undefined) ?? 0;
  const named = [...SYNPROXY_FLAGS].filter(([, bit]) => (flags & bit) !== 0).map(([name]) => name as 'timestamp' | 'sack-perm');
  if (named.length > 0) out.flags = named;
  return Object.keys(out).length === 0 ? null : out;
}
