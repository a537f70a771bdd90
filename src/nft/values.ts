/**
 * Right-hand values: constants, prefixes, ranges and set elements, parsed against the datatype
 * of what they are compared with, into register bytes (low and high ends for intervals).
 */
import { ValidationError } from '../netlink/errors.js';
import { networkOrder, type Datatype, type ValueContext } from './datatypes.js';

/** A constant or an interval [low, high] (inclusive), as register bytes. */
export interface ParsedValue {
  low: Uint8Array;
  /** Present for prefixes and ranges. */
  high?: Uint8Array;
  /** Prefix length, when the value was a prefix. */
  prefixLength?: number;
}

/** A plain JSON object, or undefined. */
export function asObject(value: unknown): Record<string, unknown> | undefined {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
}

/** The single key of a JSON object such as `{"prefix": {...}}`, or undefined. */
export function singleKey(value: unknown): string | undefined {
  const object = asObject(value);
  if (object === undefined) return undefined;
  let found: string | undefined;
  for (const key in object) {
    if (found !== undefined) return undefined;
    found = key;
  }
  return found;
}

/** The mask of a prefix of `length` bits over `size` bytes. */
export function prefixMask(length: number, size: number): Uint8Array {
  const mask = new Uint8Array(size);
  for (let i = 0; i < size; i++) {
    const bits = Math.max(0, Math.min(8, length - i * 8));
    mask[i] = bits === 0 ? 0 : (0xff << (8 - bits)) & 0xff;
  }
  return mask;
}

/** The prefix length a mask describes, or undefined if it is not a prefix mask. */
export function maskPrefixLength(mask: Uint8Array): number | undefined {
  let length = 0;
  let ended = false;
  for (const byte of mask) {
    for (let bit = 7; bit >= 0; bit--) {
      const set = (byte >> bit) & 1;
      if (set && ended) return undefined;
      if (set) length++;
      else ended = true;
    }
  }
  return length;
}

/** Compares two byte strings as big-endian numbers. */
export function compareBytes(a: Uint8Array, b: Uint8Array): number {
  for (let i = 0; i < Math.min(a.length, b.length); i++) if (a[i] !== b[i]) return a[i]! - b[i]!;
  return a.length - b.length;
}

/** bytes + 1 as a big-endian number, or undefined on overflow. */
export function incrementBytes(bytes: Uint8Array): Uint8Array | undefined {
  const out = Uint8Array.from(bytes);
  for (let i = out.length - 1; i >= 0; i--) {
    if (out[i] !== 0xff) {
      out[i]!++;
      return out;
    }
    out[i] = 0;
  }
  return undefined;
}

/** bytes - 1 as a big-endian number (bytes must not be zero). */
export function decrementBytes(bytes: Uint8Array): Uint8Array {
  const out = Uint8Array.from(bytes);
  for (let i = out.length - 1; i >= 0; i--) {
    if (out[i] !== 0) {
      out[i]!--;
      return out;
    }
    out[i] = 0xff;
  }
  return out;
}

/** Parses a prefix object `{"prefix": {"addr", "len"}}` against an address type. */
export function parsePrefixValue(prefix: unknown, type: Datatype, field: string, context: ValueContext): ParsedValue {
  const object = asObject(prefix);
  if (object === undefined) throw new ValidationError(field, prefix, 'expected {"addr": ADDRESS, "len": NUMBER}');
  // A host-order integer's prefix is of its value, as nft lists an aligned interval of marks.
  const address = networkOrder(type, type.parse(object.addr, `${field}.addr`, context));
  const bits = address.length * 8;
  const length = object.len;
  if (typeof length !== 'number' || !Number.isInteger(length) || length < 0 || length > bits) {
    throw new ValidationError(`${field}.len`, length, `expected a prefix length in 0..${bits}`);
  }
  const mask = prefixMask(length, address.length);
  const low = address.map((byte, i) => byte & mask[i]!);
  const high = address.map((byte, i) => (byte & mask[i]!) | (~mask[i]! & 0xff));
  return { low, high, prefixLength: length };
}

/**
 * Parses a value that may be an interval: a constant, `{"prefix": ...}`, `{"range": [a, b]}`,
 * an address string with a `/len` suffix, or a wildcard interface name. The bytes are in network order, host-order
 * integers (marks, user ids) too: the kernel compares intervals as big-endian numbers, and nft
 * converts the compared register (see isHostOrderInteger).
 */
export function parseIntervalValue(value: unknown, type: Datatype, field: string, context: ValueContext): ParsedValue {
  const key = singleKey(value);
  if (key === 'prefix') return parsePrefixValue((value as Record<string, unknown>).prefix, type, `${field}.prefix`, context);
  if (key === 'range') {
    const range = (value as Record<string, unknown>).range;
    if (!Array.isArray(range) || range.length !== 2) throw new ValidationError(`${field}.range`, range, 'expected [LOW, HIGH]');
    const low = networkOrder(type, type.parse(range[0], `${field}.range[0]`, context));
    const high = networkOrder(type, type.parse(range[1], `${field}.range[1]`, context));
    if (compareBytes(low, high) > 0) throw new ValidationError(`${field}.range`, range, 'expected LOW <= HIGH');
    return { low, high };
  }
  if (typeof value === 'string' && value.includes('/') && (type.name === 'ipv4_addr' || type.name === 'ipv6_addr')) {
    const slash = value.lastIndexOf('/');
    const length = value.slice(slash + 1);
    return parsePrefixValue({ addr: value.slice(0, slash), len: /^\d+$/.test(length) ? Number(length) : length }, type, field, context);
  }
  const bytes = type.parse(value, field, context);
  if (type.name === 'ifname' && bytes.length < type.size) {
    // A wildcard (`eth*`): every name from the prefix padded with NULs to the prefix padded
    // with 0xff, the interval nft stores for it.
    const low = new Uint8Array(type.size);
    low.set(bytes);
    const high = new Uint8Array(type.size).fill(0xff);
    high.set(bytes);
    return { low, high };
  }
  return { low: networkOrder(type, bytes) };
}

/** Refuses any key of `object` not in `keys`, naming it under `field`. */
export function onlyKeys(object: Record<string, unknown>, keys: readonly string[], field: string, message: string): void {
  for (const key of Object.keys(object)) {
    if (!keys.includes(key)) throw new ValidationError(`${field}.${key}`, object[key], message);
  }
}

/** The names in `table` whose bits are all set in `flags`, in the table's order. */
export function flagNames(table: ReadonlyMap<string, number>, flags: number): string[] {
  const names: string[] = [];
  for (const [name, bit] of table) if (bit !== 0 && (flags & bit) === bit) names.push(name);
  return names;
}

/**
 * Parses flags given as one name or a list of names (`"random"`, `["random", "persistent"]`)
 * against a table of bits; undefined is no flags.
 */
export function parseFlags(value: unknown, table: ReadonlyMap<string, number>, field: string): number {
  if (value === undefined) return 0;
  const list = Array.isArray(value) ? value : [value];
  let flags = 0;
  list.forEach((flag, i) => {
    const bit = typeof flag === 'string' ? table.get(flag) : undefined;
    if (bit === undefined) throw new ValidationError(Array.isArray(value) ? `${field}[${i}]` : field, flag, `expected one of ${[...table.keys()].join(', ')}`);
    flags |= bit;
  });
  return flags;
}
