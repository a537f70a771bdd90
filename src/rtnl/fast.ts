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
import { HOST_IS_LITTLE_ENDIAN } from '../netlink/attributes.js';
import type { Batch } from '../netlink/batch.js';
import { NLMSG_HDRLEN } from '../netlink/constants.js';
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
    // "/n": one to three digits, at most 32 (parsePrefix allows leading zeros here)
    const rest = n - slash - 1;
    if (rest < 1 || rest > 3) return NO_ADDRESS;
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

/** Writes a 4-byte attribute at `at`; returns the offset after it. */
function putAttr(v: DataView, at: number, type: number, value: number, littleEndian: boolean): number {
  v.setUint16(at, 8, HOST_IS_LITTLE_ENDIAN);
  v.setUint16(at + 2, type, HOST_IS_LITTLE_ENDIAN);
  v.setUint32(at + 4, value, littleEndian);
  return at + 8;
}

/** Numbers per route in a {@link PlainRoutes} table. */
const PLAIN_FIELDS = 8;

/**
 * Interface names met while parsing a bulk call, each with a small id and the field that named it
 * first: the routes keep the id, and the names are looked up once, after every route is checked.
 */
export class InterfaceNames {
  private readonly ids = new Map<string, number>();
  /** Each name once, with the field that named it first (for the "no such interface" error). */
  readonly wanted: [name: string, field: string][] = [];

  /** The id of `name`, checked as an interface name the first time; -1 if it is not one. */
  idOf(name: string, field: () => string): number {
    const known = this.ids.get(name);
    if (known !== undefined) return known;
    const where = field();
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
  private readonly fields: Float64Array;
  private ifindexes: Int32Array = new Int32Array(0);

  constructor(count: number) {
    this.fields = new Float64Array(count * PLAIN_FIELDS);
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
      if (typeof devValue !== 'string' || (device = devices.idOf(devValue, () => `routes[${i}].dev`)) < 0) return false;
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
    const at = i * PLAIN_FIELDS;
    f[at] = dst;
    f[at + 1] = dstLength;
    f[at + 2] = gateway;
    f[at + 3] = src;
    f[at + 4] = device;
    f[at + 5] = table;
    f[at + 6] = metric;
    f[at + 7] = protocol;
    return true;
  }

  /** The interface index of each device id (see {@link InterfaceNames.indexes}). */
  useInterfaces(ifindexes: Int32Array): void {
    this.ifindexes = ifindexes;
  }

  /**
   * Writes parsed route `i` as one message of operation (`operation`, `index`), with the bytes
   * encodeRoute writes for it.
   */
  write(i: number, batch: Batch, operation: string, index: number, type: number, flags: number, intent: RouteIntent): void {
    const f = this.fields;
    const base = i * PLAIN_FIELDS;
    const dst = f[base]!;
    const dstLength = f[base + 1]!;
    const gateway = f[base + 2]!;
    const src = f[base + 3]!;
    const device = f[base + 4]!;
    const ifindex = device >= 0 ? this.ifindexes[device]! : -1;
    const table = f[base + 5]!;
    const metric = f[base + 6]!;
    const add = intent === 'add';
    const small = table < 256;
    const hasDst = dst !== NO_ADDRESS && dstLength > 0;
    const attributes = +hasDst + +(gateway !== NO_ADDRESS) + +(src !== NO_ADDRESS) + +!small + +(metric >= 0) + +(ifindex >= 0);
    let at = batch.addFixed(operation, index, type, flags, NLMSG_HDRLEN + RTMSG_LEN + attributes * 8);
    const v = batch.writer.view;
    v.setUint8(at, AF_INET);
    v.setUint8(at + 1, dstLength);
    v.setUint16(at + 2, 0); // src_len, tos
    v.setUint8(at + 4, small ? table : RT_TABLE_UNSPEC);
    v.setUint8(at + 5, f[base + 7]!);
    v.setUint8(at + 6, add ? (gateway !== NO_ADDRESS ? RT_SCOPE_UNIVERSE : RT_SCOPE_LINK) : RT_SCOPE_NOWHERE);
    v.setUint8(at + 7, add ? RTN_UNICAST : RTN_UNSPEC);
    v.setUint32(at + 8, 0); // flags
    at += RTMSG_LEN;
    if (hasDst) at = putAttr(v, at, RTA_DST, dst, false);
    if (gateway !== NO_ADDRESS) at = putAttr(v, at, RTA_GATEWAY, gateway, false);
    if (src !== NO_ADDRESS) at = putAttr(v, at, RTA_PREFSRC, src, false);
    if (!small) at = putAttr(v, at, RTA_TABLE, table, HOST_IS_LITTLE_ENDIAN);
    if (metric >= 0) at = putAttr(v, at, RTA_PRIORITY, metric, HOST_IS_LITTLE_ENDIAN);
    if (ifindex >= 0) putAttr(v, at, RTA_OIF, ifindex, HOST_IS_LITTLE_ENDIAN);
  }
}

/** Numbers per rule in a {@link PlainRules} table. */
const RULE_FIELDS = 7;
const FAMILY = 0;
const ACTION = 1;
const PRIORITY = 2;
const FWMARK = 3;
const FWMASK = 4;
const TABLE = 5;
const PROTOCOL = 6;
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
  private readonly fields: Float64Array;

  constructor(count: number) {
    this.fields = new Float64Array(count * RULE_FIELDS);
  }

  /**
   * Checks rule `i` into the table if it is plain; returns false, storing nothing that counts,
   * for any other rule (the general path then resolves it, or reports what is wrong). `owner` is
   * the protocol of a rule that names none (the handle's owner id).
   */
  parse(i: number, rule: Rule, forDelete: boolean, owner?: number): boolean {
    if (!isPlain(rule)) return false;
    let family = AF_INET;
    let action = forDelete ? FR_ACT_UNSPEC : FR_ACT_TO_TBL;
    let priority = ABSENT;
    let fwmark = ABSENT;
    let fwmask = ABSENT;
    let table = ABSENT;
    let protocol = owner ?? ABSENT;
    for (const key in rule) {
      const value = (rule as Record<string, unknown>)[key];
      switch (key) {
        case 'family':
          if (value === 'inet6') family = AF_INET6;
          else if (value !== 'inet') return false;
          break;
        case 'priority':
          if (!isU32(value)) return false;
          priority = value;
          break;
        case 'fwmark':
          if (!isU32(value)) return false;
          fwmark = value;
          break;
        case 'fwmask':
          if (!isU32(value)) return false;
          fwmask = value;
          break;
        case 'table':
          if (!isU32(value)) return false;
          table = value;
          break;
        case 'protocol':
          if (!isIntegerIn(value, 0, 255)) return false;
          protocol = value;
          break;
        case 'action':
          if (value !== 'lookup') return false;
          action = FR_ACT_TO_TBL;
          break;
        default:
          return false;
      }
    }
    if (fwmask !== ABSENT && fwmark === ABSENT) return false;
    if (table === ABSENT && action === FR_ACT_TO_TBL && !forDelete) table = RT_TABLE_MAIN;
    const f = this.fields;
    const at = i * RULE_FIELDS;
    f[at + FAMILY] = family;
    f[at + ACTION] = action;
    f[at + PRIORITY] = priority;
    f[at + FWMARK] = fwmark;
    f[at + FWMASK] = fwmask;
    f[at + TABLE] = table;
    f[at + PROTOCOL] = protocol;
    return true;
  }

  /** The priority of parsed rule `i`, or -1 if it has none. */
  priority(i: number): number {
    return this.fields[i * RULE_FIELDS + PRIORITY]!;
  }

  /** Parsed rule `i` as resolveRule (and the owner's protocol) makes it. */
  resolved(i: number): ResolvedRule {
    const f = this.fields;
    const at = i * RULE_FIELDS;
    const rule: ResolvedRule = { family: f[at + FAMILY]!, action: f[at + ACTION]!, flags: 0, tos: 0 };
    if (f[at + PRIORITY] !== ABSENT) rule.priority = f[at + PRIORITY]!;
    if (f[at + FWMARK] !== ABSENT) rule.fwmark = f[at + FWMARK]!;
    if (f[at + FWMASK] !== ABSENT) rule.fwmask = f[at + FWMASK]!;
    if (f[at + TABLE] !== ABSENT) rule.table = f[at + TABLE]!;
    if (f[at + PROTOCOL] !== ABSENT) rule.protocol = f[at + PROTOCOL]!;
    return rule;
  }

  /** ruleExactHash of parsed rule `i`. */
  hash(i: number): number {
    const at = i * RULE_FIELDS;
    return ruleExactHashOf(this.fields[at + FAMILY]!, this.table(at), this.fields[at + PRIORITY]!, this.mark(at)) & RULE_HASH_MASK;
  }

  /**
   * ruleShadows(resolved(a), resolved(b)): whether the kernel takes the two for the same rule.
   * Plain rules have no source, destination or tos, so that is equality of the exact fields.
   */
  same(a: number, b: number): boolean {
    const f = this.fields;
    const x = a * RULE_FIELDS;
    const y = b * RULE_FIELDS;
    return (
      f[x + FAMILY] === f[y + FAMILY] &&
      f[x + ACTION] === f[y + ACTION] &&
      f[x + PRIORITY] === f[y + PRIORITY] &&
      this.table(x) === this.table(y) &&
      this.mark(x) === this.mark(y) &&
      this.mask(x) === this.mask(y) &&
      this.protocol(x) === this.protocol(y)
    );
  }

  /**
   * Writes parsed rule `i` as one message of operation (`operation`, `index`), with the bytes
   * encodeRule writes for resolved(i), in one go: bulk adds write 10k of these while the kernel
   * works on the chunk before.
   */
  write(i: number, batch: Batch, operation: string, index: number, type: number, flags: number): void {
    const f = this.fields;
    const base = i * RULE_FIELDS;
    const table = f[base + TABLE]!;
    const fwmark = f[base + FWMARK]!;
    const fwmask = f[base + FWMASK]!;
    const priority = f[base + PRIORITY]!;
    const protocol = f[base + PROTOCOL]!;
    const hasTable = table !== ABSENT;
    const small = hasTable && table < 256;
    const attributes = +(fwmark !== ABSENT) + +(fwmask !== ABSENT) + +(priority !== ABSENT) + +(hasTable && !small) + +(protocol !== ABSENT);
    let at = batch.addFixed(operation, index, type, flags, NLMSG_HDRLEN + FIB_RULE_HDR_LEN + attributes * 8);
    const v = batch.writer.view;
    v.setUint8(at, f[base + FAMILY]!);
    v.setUint16(at + 1, 0); // dst_len, src_len
    v.setUint8(at + 3, 0); // tos
    v.setUint8(at + 4, small ? table : RT_TABLE_UNSPEC);
    v.setUint16(at + 5, 0); // res1, res2
    v.setUint8(at + 7, f[base + ACTION]!);
    v.setUint32(at + 8, 0); // flags
    at += FIB_RULE_HDR_LEN;
    if (fwmark !== ABSENT) at = putAttr(v, at, FRA_FWMARK, fwmark, HOST_IS_LITTLE_ENDIAN);
    if (fwmask !== ABSENT) at = putAttr(v, at, FRA_FWMASK, fwmask, HOST_IS_LITTLE_ENDIAN);
    if (priority !== ABSENT) at = putAttr(v, at, FRA_PRIORITY, priority, HOST_IS_LITTLE_ENDIAN);
    if (hasTable && !small) at = putAttr(v, at, FRA_TABLE, table, HOST_IS_LITTLE_ENDIAN);
    if (protocol !== ABSENT) {
      // A u8 attribute: length 5, then the byte and three bytes of padding.
      v.setUint16(at, 5, HOST_IS_LITTLE_ENDIAN);
      v.setUint16(at + 2, FRA_PROTOCOL, HOST_IS_LITTLE_ENDIAN);
      v.setUint32(at + 4, protocol << 24);
    }
  }

  // The exact fields as the kernel stores them (see exactFields in rules.ts).
  private table(at: number): number {
    const table = this.fields[at + TABLE]!;
    return table === ABSENT ? 0 : table;
  }

  private mark(at: number): number {
    const mark = this.fields[at + FWMARK]!;
    return mark === ABSENT ? 0 : mark;
  }

  private mask(at: number): number {
    const mask = this.fields[at + FWMASK]!;
    return storedFwmask(this.mark(at), mask === ABSENT ? undefined : mask);
  }

  private protocol(at: number): number {
    const protocol = this.fields[at + PROTOCOL]!;
    return protocol === ABSENT ? 0 : protocol;
  }
}
