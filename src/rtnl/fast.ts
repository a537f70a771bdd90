/**
 * Fast paths for bulk calls. Most items of a large batch are plain: an IPv4 route with a
 * destination, a device, a table; a rule with a mark, a priority and a table. These are checked
 * and written here without the intermediate objects (address byte arrays, field-name strings)
 * that the general path makes, which for 100k items cost more than the kernel's own work.
 *
 * Every function here either produces exactly what the general path would (resolveRule,
 * encodeRoute: the unit tests compare them on many inputs) or declines, and the caller then takes
 * the general path, which also produces the ValidationError for bad input.
 */
import { ipv4StoppedAt, parseIPv4Number } from '../common/ip.js';
import { interfaceName, isIntegerIn } from '../common/validate.js';
import { hostBytes4, hostPair16, networkWord } from '../netlink/attributes.js';
import type { Batch } from '../netlink/batch.js';
import { keepShape } from '../shapes.js';
import { AF_INET, AF_INET6, FIB_RULE_HDR_LEN, FRA_FWMARK, FRA_FWMASK, FRA_PRIORITY, FRA_PROTOCOL, FRA_TABLE, FR_ACT_TO_TBL, FR_ACT_UNSPEC, RTA_DST, RTA_GATEWAY, RTA_OIF, RTA_PREFSRC, RTA_PRIORITY, RTA_TABLE, RTMSG_LEN, RTN_UNICAST, RTN_UNSPEC, RTPROT_BOOT, RT_SCOPE_LINK, RT_SCOPE_NOWHERE, RT_SCOPE_UNIVERSE, RT_TABLE_MAIN, RT_TABLE_UNSPEC } from './constants.js';
import { RULE_HASH_MASK, ruleExactHashOf, storedFwmask, type ResolvedRule, type Rule } from './rules.js';
import type { Route, RouteIntent } from './routes.js';

const NO_ADDRESS = -1;

/** The prefix length found by the last {@link quickIPv4} call. */
let lastLength = 32;

/**
 * Parses `a.b.c.d` (and `a.b.c.d/n` if `withLength`) as parsePrefix/parseAddress accept it, into
 * the address as an unsigned 32-bit number; -1 for anything else (the general path decides).
 */
export function quickIPv4(text: string, withLength: boolean): number {
  const n = text.length;
  const address = parseIPv4Number(text, withLength);
  if (address < 0) return NO_ADDRESS;
  lastLength = 32;
  const slash = ipv4StoppedAt;
  if (slash < n) {
    // "/n": one to three digits, at most 32, no leading zero (as parsePrefix)
    const rest = n - slash - 1;
    if (rest < 1 || rest > 3 || (rest > 1 && text.charCodeAt(slash + 1) === 48)) return NO_ADDRESS;
    let length = 0;
    for (let j = slash + 1; j < n; j++) {
      const c = text.charCodeAt(j);
      if (c < 48 || c > 57) return NO_ADDRESS;
      length = length * 10 + (c - 48);
    }
    if (length > 32) return NO_ADDRESS;
    lastLength = length;
  }
  return address;
}

function isTableId(value: unknown): value is number {
  return isIntegerIn(value, 1, 0xffffffff);
}

function isU32(value: unknown): value is number {
  return isIntegerIn(value, 0, 0xffffffff);
}

function isPlain(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null) return false;
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/**
 * Items from..to-1 of a bulk call, in order: runs of plain ones (`isPlain`) go to `plainRun`
 * whole, each other one to `single`.
 */
export function writeInRuns(from: number, to: number, isPlain: (k: number) => boolean, plainRun: (from: number, to: number) => void, single: (k: number) => void): void {
  for (let k = from; k < to; ) {
    if (!isPlain(k)) {
      single(k);
      k++;
      continue;
    }
    let end = k + 1;
    while (end < to && isPlain(end)) end++;
    plainRun(k, end);
    k = end;
  }
}

/** Writes a 4-byte attribute (its header word, then its value) at word `at`; returns the word after it. */
function putAttr4(words: Uint32Array, at: number, header: number, value: number): number {
  words[at] = header;
  words[at + 1] = value;
  return at + 2;
}

/** Writes an nlmsghdr of `length` bytes at word `at` (sequence number and port id 0: filled in when sent). */
function putHeader(words: Uint32Array, at: number, length: number, typeAndFlags: number): void {
  words[at] = length;
  words[at + 1] = typeAndFlags;
  words[at + 2] = 0;
  words[at + 3] = 0;
}

/** The header word of a 4-byte attribute of `type`. */
function attr4(type: number): number {
  return hostPair16(8, type);
}

const RTA_DST_HEADER = attr4(RTA_DST);
const RTA_GATEWAY_HEADER = attr4(RTA_GATEWAY);
const RTA_PREFSRC_HEADER = attr4(RTA_PREFSRC);
const RTA_TABLE_HEADER = attr4(RTA_TABLE);
const RTA_PRIORITY_HEADER = attr4(RTA_PRIORITY);
const RTA_OIF_HEADER = attr4(RTA_OIF);
const FRA_FWMARK_HEADER = attr4(FRA_FWMARK);
const FRA_FWMASK_HEADER = attr4(FRA_FWMASK);
const FRA_PRIORITY_HEADER = attr4(FRA_PRIORITY);
const FRA_TABLE_HEADER = attr4(FRA_TABLE);
/** FRA_PROTOCOL is a u8: length 5, then the byte and three bytes of padding. */
const FRA_PROTOCOL_HEADER = hostPair16(5, FRA_PROTOCOL);

/** Words of a netlink header (nlmsghdr). */
const HEADER_WORDS = 4;
/** The most bytes a plain route message takes: header, rtmsg, six 4-byte attributes. */
const MAX_ROUTE_BYTES = 16 + RTMSG_LEN + 6 * 8;
/** The most bytes a plain rule message takes: header, fib_rule_hdr, five 4-byte attributes. */
export const MAX_RULE_BYTES = 16 + FIB_RULE_HDR_LEN + 5 * 8;

// A PlainRoutes table: words per route, and where each field is. 32-bit words, not doubles: the
// table of 100k routes is written once, and each fresh page of it costs a page fault.
const ROUTE_WORDS = 7;
const ROUTE_DST = 0;
const ROUTE_GATEWAY = 1;
const ROUTE_SRC = 2;
const ROUTE_TABLE = 3;
const ROUTE_METRIC = 4;
/** The device's id in the call's InterfaceNames, or -1. */
const ROUTE_DEVICE = 5;
/** dst_len in bits 0-7, the protocol in bits 8-15, then which optional fields are there. */
const ROUTE_INFO = 6;
const HAS_DST = 1 << 16;
const HAS_GATEWAY = 1 << 17;
const HAS_SRC = 1 << 18;
const HAS_METRIC = 1 << 19;

/**
 * Interface names met while parsing a bulk call, each with a small id and the field that named it
 * first: the routes keep the id, and the names are looked up once, after every route is checked.
 */
export class InterfaceNames {
  private readonly ids = new Map<string, number>();
  /** Each name once, with the field that named it first (for the "no such interface" error). */
  readonly wanted: [name: string, field: string][] = [];

  /**
   * The id of `name`, checked as an interface name the first time; -1 if it is not one. `field`
   * names where it came from, or is the index of the route whose `dev` it is (no string or
   * closure is made per route for a name already met).
   */
  idOf(name: string, field: string | number): number {
    const known = this.ids.get(name);
    if (known !== undefined) return known;
    const where = typeof field === 'number' ? `routes[${field}].dev` : field;
    try {
      interfaceName(name, where);
    } catch {
      return -1;
    }
    const id = this.wanted.length;
    this.ids.set(name, id);
    this.wanted.push([name, where]);
    return id;
  }

  /** Interface index by id, from the looked-up indexes by name. */
  indexes(links: ReadonlyMap<string, number>): Int32Array {
    return Int32Array.from(this.wanted, ([name]) => links.get(name) ?? 0);
  }
}

/**
 * Plain IPv4 routes parsed to numbers, checked and ready to encode: bulk calls parse (and so
 * validate) every route before anything is sent, then encode chunk by chunk while the kernel
 * works on the chunk before. Devices are kept as ids of an {@link InterfaceNames}; give the
 * table their indexes ({@link useInterfaces}) before writing.
 */
export class PlainRoutes {
  private readonly fields: Int32Array;
  private ifindexes: Int32Array = new Int32Array(0);

  constructor(count: number) {
    this.fields = new Int32Array(count * ROUTE_WORDS);
  }

  /**
   * Parses route `i` if it is plain (only dst, gateway, dev, src, table id, metric, protocol
   * number, family 'inet'); returns false, storing nothing that counts, for any other route.
   * `owner` is the protocol of a route that names none (the handle's owner id).
   */
  parse(i: number, route: Route, intent: RouteIntent, devices: InterfaceNames, owner?: number): boolean {
    if (!isPlain(route)) return false;
    // The known fields read directly, then one count of the keys to be sure there is no other:
    // cheaper than a switch over every key, for 100k routes.
    let present = 0;
    let dst = NO_ADDRESS;
    let dstLength = 0;
    const dstValue: unknown = route.dst;
    if (dstValue !== undefined) {
      present++;
      if (typeof dstValue !== 'string') return false;
      if (dstValue !== 'default') {
        dst = quickIPv4(dstValue, true);
        if (dst === NO_ADDRESS) return false;
        dstLength = lastLength;
      }
    }
    let gateway = NO_ADDRESS;
    const gatewayValue: unknown = route.gateway;
    if (gatewayValue !== undefined) {
      present++;
      if (typeof gatewayValue !== 'string' || (gateway = quickIPv4(gatewayValue, false)) === NO_ADDRESS) return false;
    }
    let src = NO_ADDRESS;
    const srcValue: unknown = route.src;
    if (srcValue !== undefined) {
      present++;
      if (typeof srcValue !== 'string' || (src = quickIPv4(srcValue, false)) === NO_ADDRESS) return false;
    }
    let device = -1;
    const devValue: unknown = route.dev;
    if (devValue !== undefined) {
      present++;
      if (typeof devValue !== 'string' || (device = devices.idOf(devValue, i)) < 0) return false;
    }
    let table = RT_TABLE_MAIN;
    const tableValue: unknown = route.table;
    if (tableValue !== undefined) {
      present++;
      if (!isTableId(tableValue)) return false;
      table = tableValue;
    }
    let metric = -1;
    const metricValue: unknown = route.metric;
    if (metricValue !== undefined) {
      present++;
      if (!isU32(metricValue)) return false;
      metric = metricValue;
    }
    const family: unknown = route.family;
    if (family !== undefined) {
      present++;
      if (family !== 'inet') return false;
    }
    let protocol = owner ?? (intent === 'add' ? RTPROT_BOOT : 0);
    const protocolValue: unknown = route.protocol;
    if (protocolValue !== undefined) {
      present++;
      if (!isIntegerIn(protocolValue, 0, 255)) return false;
      protocol = protocolValue;
    }
    let keys = 0;
    for (const _key in route) keys++;
    if (keys !== present) return false; // another field, or one given as undefined
    const f = this.fields;
    const at = i * ROUTE_WORDS;
    f[at + ROUTE_DST] = dst;
    f[at + ROUTE_GATEWAY] = gateway;
    f[at + ROUTE_SRC] = src;
    f[at + ROUTE_TABLE] = table;
    f[at + ROUTE_METRIC] = metric;
    f[at + ROUTE_DEVICE] = device;
    f[at + ROUTE_INFO] =
      dstLength | (protocol << 8) | (dst !== NO_ADDRESS && dstLength > 0 ? HAS_DST : 0) | (gateway !== NO_ADDRESS ? HAS_GATEWAY : 0) | (src !== NO_ADDRESS ? HAS_SRC : 0) | (metric >= 0 ? HAS_METRIC : 0);
    return true;
  }

  /** The interface index of each device id (see {@link InterfaceNames.indexes}). */
  useInterfaces(ifindexes: Int32Array): void {
    this.ifindexes = ifindexes;
  }

  /**
   * Writes parsed routes from..to-1 as one message each of operation (`operation`, route), with
   * the bytes encodeRoute writes for them.
   */
  writeRun(batch: Batch, from: number, to: number, operation: string, type: number, flags: number, intent: RouteIntent): void {
    const f = this.fields;
    const ifindexes = this.ifindexes;
    const add = intent === 'add';
    const typeAndFlags = hostPair16(type, flags);
    const run = batch.beginWords(operation, to - from, (to - from) * MAX_ROUTE_BYTES);
    const { words, starts, indexes, first } = run;
    let at = run.at;
    for (let i = from; i < to; i++) {
      const base = i * ROUTE_WORDS;
      const info = f[base + ROUTE_INFO]!;
      const dstLength = info & 0xff;
      const device = f[base + ROUTE_DEVICE]!;
      const ifindex = device >= 0 ? ifindexes[device]! : -1;
      const table = f[base + ROUTE_TABLE]! >>> 0;
      const small = table < 256;
      const hasDst = (info & HAS_DST) !== 0;
      const hasGateway = (info & HAS_GATEWAY) !== 0;
      const hasSrc = (info & HAS_SRC) !== 0;
      const hasMetric = (info & HAS_METRIC) !== 0;
      const attributes = +hasDst + +hasGateway + +hasSrc + +!small + +hasMetric + +(ifindex >= 0);
      const message = first + (i - from);
      starts[message] = at * 4;
      indexes[message] = i;
      putHeader(words, at, 16 + RTMSG_LEN + attributes * 8, typeAndFlags);
      // rtmsg: family, dst_len, src_len, tos; table, protocol, scope, type; flags
      words[at + 4] = hostBytes4(AF_INET, dstLength, 0, 0);
      const scope = add ? (hasGateway ? RT_SCOPE_UNIVERSE : RT_SCOPE_LINK) : RT_SCOPE_NOWHERE;
      words[at + 5] = hostBytes4(small ? table : RT_TABLE_UNSPEC, (info >>> 8) & 0xff, scope, add ? RTN_UNICAST : RTN_UNSPEC);
      words[at + 6] = 0;
      at += HEADER_WORDS + RTMSG_LEN / 4;
      if (hasDst) at = putAttr4(words, at, RTA_DST_HEADER, networkWord(f[base + ROUTE_DST]!));
      if (hasGateway) at = putAttr4(words, at, RTA_GATEWAY_HEADER, networkWord(f[base + ROUTE_GATEWAY]!));
      if (hasSrc) at = putAttr4(words, at, RTA_PREFSRC_HEADER, networkWord(f[base + ROUTE_SRC]!));
      if (!small) at = putAttr4(words, at, RTA_TABLE_HEADER, table);
      if (hasMetric) at = putAttr4(words, at, RTA_PRIORITY_HEADER, f[base + ROUTE_METRIC]!);
      if (ifindex >= 0) at = putAttr4(words, at, RTA_OIF_HEADER, ifindex);
    }
    batch.endWords(at);
  }
}

keepShape(new InterfaceNames());
keepShape(new PlainRoutes(0));

// A PlainRules table: words per rule, and where each field is (32-bit words, as for routes).
const RULE_WORDS = 5;
const PRIORITY = 0;
const FWMARK = 1;
const FWMASK = 2;
const TABLE = 3;
/** The family in bits 0-7, the action in bits 8-15, the protocol in bits 16-23, then which optional fields are there. */
const RULE_INFO = 4;
const HAS_PRIORITY = 1 << 24;
const HAS_FWMARK = 1 << 25;
const HAS_FWMASK = 1 << 26;
const HAS_TABLE = 1 << 27;
const HAS_PROTOCOL = 1 << 28;
/** An optional field of a {@link PlainRules} rule that is not there (every present value is unsigned). */
export const ABSENT = -1;

/**
 * Plain rules (only family, priority, fwmark, fwmask, table id, protocol number, action
 * 'lookup') checked into numbers: a bulk call of 10k rules resolves, hashes, compares and writes
 * them without making an object per rule, which cost more than the kernel's own work. Each
 * accessor gives exactly what the general path gives for the same rule (resolveRule,
 * ruleExactHash, ruleShadows, encodeRule: the unit tests compare them).
 */
export class PlainRules {
  private readonly fields: Uint32Array;

  constructor(count: number) {
    this.fields = new Uint32Array(count * RULE_WORDS);
  }

  /**
   * Checks rule `i` into the table if it is plain; returns false, storing nothing that counts,
   * for any other rule (the general path then resolves it, or reports what is wrong). `owner` is
   * the protocol of a rule that names none (the handle's owner id).
   */
  parse(i: number, rule: Rule, forDelete: boolean, owner?: number): boolean {
    if (!isPlain(rule)) return false;
    // The known fields read directly, then one count of the keys to be sure there is no other
    // (as PlainRoutes.parse does): cheaper than a switch over every key's name.
    const r = rule as Record<string, unknown>;
    let present = 0;
    let family = AF_INET;
    const familyValue = r.family;
    if (familyValue !== undefined) {
      present++;
      if (familyValue === 'inet6') family = AF_INET6;
      else if (familyValue !== 'inet') return false;
    }
    let priority = ABSENT;
    const priorityValue = r.priority;
    if (priorityValue !== undefined) {
      present++;
      if (!isU32(priorityValue)) return false;
      priority = priorityValue;
    }
    let fwmark = ABSENT;
    const fwmarkValue = r.fwmark;
    if (fwmarkValue !== undefined) {
      present++;
      if (!isU32(fwmarkValue)) return false;
      fwmark = fwmarkValue;
    }
    let fwmask = ABSENT;
    const fwmaskValue = r.fwmask;
    if (fwmaskValue !== undefined) {
      present++;
      if (!isU32(fwmaskValue)) return false;
      fwmask = fwmaskValue;
    }
    let table = ABSENT;
    const tableValue = r.table;
    if (tableValue !== undefined) {
      present++;
      if (!isU32(tableValue)) return false;
      table = tableValue;
    }
    let protocol = owner ?? ABSENT;
    const protocolValue = r.protocol;
    if (protocolValue !== undefined) {
      present++;
      if (!isIntegerIn(protocolValue, 0, 255)) return false;
      protocol = protocolValue;
    }
    let action = forDelete ? FR_ACT_UNSPEC : FR_ACT_TO_TBL;
    const actionValue = r.action;
    if (actionValue !== undefined) {
      present++;
      if (actionValue !== 'lookup') return false;
      action = FR_ACT_TO_TBL;
    }
    let keys = 0;
    for (const _key in rule) keys++;
    if (keys !== present) return false; // another field, or one given as undefined
    if (fwmask !== ABSENT && fwmark === ABSENT) return false;
    if (table === ABSENT && action === FR_ACT_TO_TBL && !forDelete) table = RT_TABLE_MAIN;
    const f = this.fields;
    const at = i * RULE_WORDS;
    f[at + PRIORITY] = priority;
    f[at + FWMARK] = fwmark;
    f[at + FWMASK] = fwmask;
    f[at + TABLE] = table;
    f[at + RULE_INFO] =
      family |
      (action << 8) |
      ((protocol & 0xff) << 16) |
      (priority !== ABSENT ? HAS_PRIORITY : 0) |
      (fwmark !== ABSENT ? HAS_FWMARK : 0) |
      (fwmask !== ABSENT ? HAS_FWMASK : 0) |
      (table !== ABSENT ? HAS_TABLE : 0) |
      (protocol !== ABSENT ? HAS_PROTOCOL : 0);
    return true;
  }

  /** Field `word` of the rule at `at` if flag `has` says it is there, else ABSENT. */
  private field(at: number, word: number, has: number): number {
    return (this.fields[at + RULE_INFO]! & has) !== 0 ? this.fields[at + word]! : ABSENT;
  }

  /** The priority of parsed rule `i`, or -1 if it has none. */
  priority(i: number): number {
    return this.field(i * RULE_WORDS, PRIORITY, HAS_PRIORITY);
  }

  /** Parsed rule `i` as resolveRule (and the owner's protocol) makes it. */
  resolved(i: number): ResolvedRule {
    const at = i * RULE_WORDS;
    const info = this.fields[at + RULE_INFO]!;
    const rule: ResolvedRule = { family: info & 0xff, action: (info >>> 8) & 0xff, flags: 0, tos: 0 };
    if (info & HAS_PRIORITY) rule.priority = this.fields[at + PRIORITY]!;
    if (info & HAS_FWMARK) rule.fwmark = this.fields[at + FWMARK]!;
    if (info & HAS_FWMASK) rule.fwmask = this.fields[at + FWMASK]!;
    if (info & HAS_TABLE) rule.table = this.fields[at + TABLE]!;
    if (info & HAS_PROTOCOL) rule.protocol = (info >>> 16) & 0xff;
    return rule;
  }

  /** ruleExactHash of parsed rule `i`. */
  hash(i: number): number {
    const at = i * RULE_WORDS;
    return ruleExactHashOf(this.fields[at + RULE_INFO]! & 0xff, this.table(at), this.field(at, PRIORITY, HAS_PRIORITY), this.mark(at)) & RULE_HASH_MASK;
  }

  /**
   * ruleShadows(resolved(a), resolved(b)): whether the kernel takes the two for the same rule.
   * Plain rules have no source, destination or tos, so that is equality of the exact fields.
   */
  same(a: number, b: number): boolean {
    const x = a * RULE_WORDS;
    const y = b * RULE_WORDS;
    const kinds = 0xffff; // family and action
    return (
      (this.fields[x + RULE_INFO]! & kinds) === (this.fields[y + RULE_INFO]! & kinds) &&
      this.field(x, PRIORITY, HAS_PRIORITY) === this.field(y, PRIORITY, HAS_PRIORITY) &&
      this.table(x) === this.table(y) &&
      this.mark(x) === this.mark(y) &&
      this.mask(x) === this.mask(y) &&
      this.protocol(x) === this.protocol(y)
    );
  }

  /**
   * Writes parsed rules `order[from..to)` as one message each of operation (`operation`, item),
   * with the bytes encodeRule writes for resolved(item): bulk calls write 10k of these while the
   * kernel works on the chunk before.
   */
  writeRun(batch: Batch, order: ArrayLike<number>, from: number, to: number, operation: string, type: number, flags: number): void {
    const f = this.fields;
    const typeAndFlags = hostPair16(type, flags);
    const run = batch.beginWords(operation, to - from, (to - from) * MAX_RULE_BYTES);
    const { words, starts, indexes, first } = run;
    let at = run.at;
    for (let k = from; k < to; k++) {
      const i = order[k]!;
      const base = i * RULE_WORDS;
      const info = f[base + RULE_INFO]!;
      const table = f[base + TABLE]!;
      const fwmark = f[base + FWMARK]!;
      const hasTable = (info & HAS_TABLE) !== 0;
      const hasMark = (info & HAS_FWMARK) !== 0;
      const hasMask = (info & HAS_FWMASK) !== 0;
      const hasPriority = (info & HAS_PRIORITY) !== 0;
      const hasProtocol = (info & HAS_PROTOCOL) !== 0;
      const small = hasTable && table < 256;
      const attributes = +hasMark + +hasMask + +hasPriority + +(hasTable && !small) + +hasProtocol;
      const message = first + (k - from);
      starts[message] = at * 4;
      indexes[message] = i;
      putHeader(words, at, 16 + FIB_RULE_HDR_LEN + attributes * 8, typeAndFlags);
      // fib_rule_hdr: family, dst_len, src_len, tos; table, res1, res2, action; flags
      words[at + 4] = hostBytes4(info & 0xff, 0, 0, 0);
      words[at + 5] = hostBytes4(small ? table : RT_TABLE_UNSPEC, 0, 0, (info >>> 8) & 0xff);
      words[at + 6] = 0;
      at += HEADER_WORDS + FIB_RULE_HDR_LEN / 4;
      if (hasMark) at = putAttr4(words, at, FRA_FWMARK_HEADER, fwmark);
      if (hasMask) at = putAttr4(words, at, FRA_FWMASK_HEADER, f[base + FWMASK]!);
      if (hasPriority) at = putAttr4(words, at, FRA_PRIORITY_HEADER, f[base + PRIORITY]!);
      if (hasTable && !small) at = putAttr4(words, at, FRA_TABLE_HEADER, table);
      if (hasProtocol) at = putAttr4(words, at, FRA_PROTOCOL_HEADER, hostBytes4((info >>> 16) & 0xff, 0, 0, 0));
    }
    batch.endWords(at);
  }

  // The exact fields as the kernel stores them (see exactFields in rules.ts).
  private table(at: number): number {
    return (this.fields[at + RULE_INFO]! & HAS_TABLE) !== 0 ? this.fields[at + TABLE]! : 0;
  }

  private mark(at: number): number {
    return (this.fields[at + RULE_INFO]! & HAS_FWMARK) !== 0 ? this.fields[at + FWMARK]! : 0;
  }

  private mask(at: number): number {
    const mask = this.field(at, FWMASK, HAS_FWMASK);
    return storedFwmask(this.mark(at), mask === ABSENT ? undefined : mask);
  }

  private protocol(at: number): number {
    const info = this.fields[at + RULE_INFO]!;
    return (info & HAS_PROTOCOL) !== 0 ? (info >>> 16) & 0xff : 0;
  }
}

keepShape(new PlainRules(0));
