/**
 * Set and map definitions: key and data types as nft names them, their lengths and type ids,
 * the userdata nft keeps beside them, and the elements in the kernel's layout (intervals as
 * start and end elements, concatenations padded to 32-bit registers).
 */
import { ValidationError } from '../netlink/errors.js';
import { HOST_IS_LITTLE_ENDIAN } from '../netlink/attributes.js';
import { NLA_F_NESTED } from '../netlink/constants.js';
import { BYTEORDER_BIG_ENDIAN, BYTEORDER_HOST_ENDIAN, DATATYPES, VERDICT_TYPE_ID, concatTypeId, networkOrder, type Datatype, type ValueContext } from './datatypes.js';
import { NFTNL_UDATA_SET_COMMENT, NFTNL_UDATA_SET_DATABYTEORDER, NFTNL_UDATA_SET_KEYBYTEORDER, NFTNL_UDATA_SET_MERGE_ELEMENTS, NFT_DATA_VERDICT, NFT_OBJECT_COUNTER, NFT_OBJECT_QUOTA, NFT_SET_ELEM_INTERVAL_END, NFT_SET_MAP, NFT_SET_OBJECT, NFT_JUMP, NFT_GOTO, NF_ACCEPT, NF_DROP, NFT_CONTINUE, NFT_RETURN } from './constants.js';
import { MessageWriter } from '../netlink/attributes.js';
import { writeElement, type ElementMessage, type SetMessage } from './messages.js';
import { asObject, compareBytes, decrementBytes, incrementBytes, onlyKeys, parseIntervalValue, singleKey, type ParsedValue } from './values.js';

/** NFTNL_UDATA_SET_DATA_INTERVAL: nft marks map data that holds intervals. */
const NFTNL_UDATA_SET_DATA_INTERVAL = 6; // NFTNL_UDATA_SET_DATA_INTERVAL

/** The key of a set: one datatype, or a concatenation of several. */
export interface SetKey {
  readonly types: readonly Datatype[];
  /** NFTA_SET_KEY_LEN: the sum of the fields, each padded to 4 bytes when concatenated. */
  readonly length: number;
  /** NFTA_SET_KEY_TYPE. */
  readonly typeId: number;
  /** Field lengths (NFTA_SET_DESC_CONCAT), for concatenations. */
  readonly fieldLengths: readonly number[];
}

/** What a map maps to: a datatype, verdicts, or named objects of the table. */
export interface MapData {
  readonly verdict: boolean;
  readonly type: Datatype | undefined;
  readonly length: number;
  readonly typeId: number;
  /** NFT_OBJECT_* of an object map (`"map": "counter"`): its elements name objects. */
  readonly object?: number;
}

/** The named stateful objects routemark reads and writes (and object maps map to), by JSON name (NFT_OBJECT_*). */
export const OBJECT_TYPES: ReadonlyMap<'counter' | 'quota', number> = new Map([
  ['counter', NFT_OBJECT_COUNTER],
  ['quota', NFT_OBJECT_QUOTA],
]);

/** The JSON name of an object type (NFT_OBJECT_*), or undefined for one routemark does not know. */
export function objectTypeName(objType: number | undefined): 'counter' | 'quota' | undefined {
  for (const [name, type] of OBJECT_TYPES) if (type === objType) return name;
  return undefined;
}

/** Padded size of one field of a concatenation (NFT_REG32_SIZE alignment). */
export function fieldSize(type: Datatype): number {
  return (type.size + 3) & ~3;
}

/** The key made of these types. */
export function setKeyOf(types: readonly Datatype[]): SetKey {
  const concat = types.length > 1;
  return {
    types,
    length: concat ? types.reduce((sum, t) => sum + fieldSize(t), 0) : types[0]!.size,
    typeId: concatTypeId(types),
    fieldLengths: concat ? types.map((t) => t.size) : [],
  };
}

/** Parses a set's `type` (`"ipv4_addr"` or `["ipv4_addr", "inet_service"]`). */
export function parseSetKey(value: unknown, field: string): SetKey {
  const names = Array.isArray(value) ? value : [value];
  if (names.length === 0) throw new ValidationError(field, value, 'expected a type name or a list of type names');
  const types = names.map((name, i) => {
    const type = typeof name === 'string' ? DATATYPES.get(name) : undefined;
    if (type === undefined || type.name === 'integer') {
      const names = [...DATATYPES.keys()].filter((n) => n !== 'integer');
      throw new ValidationError(Array.isArray(value) ? `${field}[${i}]` : field, name, `expected a set type (${names.join(', ')})`);
    }
    return type;
  });
  return setKeyOf(types);
}

/** Parses a map's `map` (the data type). */
export function parseMapData(value: unknown, field: string): MapData {
  if (value === 'verdict') return { verdict: true, type: undefined, length: 0, typeId: VERDICT_TYPE_ID };
  const object = typeof value === 'string' ? OBJECT_TYPES.get(value as 'counter' | 'quota') : undefined;
  if (object !== undefined) return { verdict: false, type: undefined, length: 0, typeId: 0, object };
  const type = typeof value === 'string' ? DATATYPES.get(value) : undefined;
  if (type === undefined || type.name === 'integer') throw new ValidationError(field, value, 'expected a data type name, "verdict", "counter" or "quota"');
  return { verdict: false, type, length: type.size, typeId: type.id };
}

/**
 * Makes `set` a map of `data`: a data map (NFT_SET_MAP, data type and length), or an object map
 * (NFT_SET_OBJECT and the object type).
 */
export function setMapData(set: SetMessage, data: MapData): void {
  if (data.object !== undefined) {
    set.flags = (set.flags ?? 0) | NFT_SET_OBJECT;
    set.objType = data.object;
    return;
  }
  set.flags = (set.flags ?? 0) | NFT_SET_MAP;
  set.dataType = data.verdict ? NFT_DATA_VERDICT : data.typeId;
  set.dataLen = data.length;
}

function tlvU32(type: number, value: number): number[] {
  const bytes = new Uint8Array(4);
  new DataView(bytes.buffer).setUint32(0, value, HOST_IS_LITTLE_ENDIAN);
  return [type, 4, ...bytes];
}

function tlvString(type: number, text: string): number[] {
  const encoded = new TextEncoder().encode(text);
  return [type, encoded.length + 1, ...encoded, 0];
}

/** The userdata nft stores with a set: key (and data) byte order, comment. */
export function setUserdata(key: SetKey, data: MapData | undefined, comment: string | undefined): Uint8Array {
  const byteorder = (type: Datatype) => (type.byteorder === 'host' ? BYTEORDER_HOST_ENDIAN : BYTEORDER_BIG_ENDIAN);
  const bytes = [...tlvU32(NFTNL_UDATA_SET_KEYBYTEORDER, key.types.length > 1 ? 0 : byteorder(key.types[0]!))];
  if (data !== undefined && data.object === undefined) {
    // Verdicts have no byte order (nft writes BYTEORDER_INVALID and reads nothing else).
    // An object map's data is a name, not register bytes: nft writes neither TLV.
    bytes.push(...tlvU32(NFTNL_UDATA_SET_DATABYTEORDER, data.type ? byteorder(data.type) : 0));
    bytes.push(...tlvU32(NFTNL_UDATA_SET_DATA_INTERVAL, 0));
  }
  if (comment !== undefined) bytes.push(...tlvString(NFTNL_UDATA_SET_COMMENT, comment));
  return Uint8Array.from(bytes);
}

/** The value of TLV `type` in userdata, or undefined. */
function userdataValue(userdata: Uint8Array | undefined, type: number): Uint8Array | undefined {
  if (userdata === undefined) return undefined;
  for (let i = 0; i + 2 <= userdata.length; ) {
    const t = userdata[i]!;
    const length = userdata[i + 1]!;
    if (i + 2 + length > userdata.length) return undefined;
    if (t === type) return userdata.subarray(i + 2, i + 2 + length);
    i += 2 + length;
  }
  return undefined;
}

/** Reads a TLV string (a comment) out of userdata. */
export function userdataString(userdata: Uint8Array | undefined, type: number): string | undefined {
  const value = userdataValue(userdata, type);
  if (value === undefined) return undefined;
  let end = value.length;
  while (end > 0 && value[end - 1] === 0) end--;
  return new TextDecoder().decode(value.subarray(0, end));
}

/** Reads a TLV u32 (host order, as nft writes the byte orders) out of userdata. */
export function userdataU32(userdata: Uint8Array | undefined, type: number): number | undefined {
  const value = userdataValue(userdata, type);
  if (value === undefined || value.length !== 4) return undefined;
  return new DataView(value.buffer, value.byteOffset, 4).getUint32(0, HOST_IS_LITTLE_ENDIAN);
}

/**
 * A set's or element's comment: a string of at most 128 bytes (NFTNL_UDATA_COMMENT_MAXLEN), as
 * nft takes them. A longer one would overflow its TLV's one-byte length, or the kernel's 256
 * bytes of userdata.
 */
export function commentText(value: unknown, field: string): string {
  if (typeof value !== 'string') throw new ValidationError(field, value, 'expected a string');
  if (Buffer.byteLength(value) > 128) throw new ValidationError(field, value, 'expected a comment of at most 128 bytes');
  return value;
}

/** Userdata holding one comment TLV (tables, chains, rules). */
export function commentUserdata(type: number, comment: string, field: string): Uint8Array {
  if (typeof comment !== 'string' || comment.length === 0) throw new ValidationError(field, comment, 'expected a non-empty string');
  const bytes = tlvString(type, comment);
  // Up to 128 bytes and the NUL (NFTNL_UDATA_COMMENT_MAXLEN), as nft takes them.
  if (bytes.length - 2 > 129) throw new ValidationError(field, comment, 'expected a comment of at most 128 bytes');
  return Uint8Array.from(bytes);
}

/** A verdict as a map value (`{"accept": null}`, `{"jump": {"target": "x"}}`). */
export interface VerdictValue {
  verdict: number;
  chain?: string;
}

const VERDICTS: ReadonlyMap<string, number> = new Map([
  ['accept', NF_ACCEPT],
  ['drop', NF_DROP],
  ['continue', NFT_CONTINUE],
  ['return', NFT_RETURN],
  ['jump', NFT_JUMP],
  ['goto', NFT_GOTO],
]);

/** Parses a verdict expression; undefined if `value` is not one. */
export function parseVerdict(value: unknown, field: string): VerdictValue | undefined {
  const key = singleKey(value);
  if (key === undefined) return undefined;
  const code = VERDICTS.get(key);
  if (code === undefined) return undefined;
  if (key === 'jump' || key === 'goto') {
    const target = asObject((value as Record<string, unknown>)[key])?.target;
    if (typeof target !== 'string' || target.length === 0) throw new ValidationError(`${field}.${key}.target`, target, 'expected a chain name');
    return { verdict: code, chain: target };
  }
  return { verdict: code };
}

/** One element parsed: its key (an interval for interval sets), data, timeout, comment. */
interface ParsedElement {
  key: ParsedValue[];
  data?: Uint8Array;
  verdict?: VerdictValue;
  objref?: string;
  timeout?: number;
  /** Milliseconds left of the timeout (nft's `expires`). */
  expiration?: number;
  comment?: string;
}

function parseKey(value: unknown, key: SetKey, interval: boolean, field: string, context: ValueContext): ParsedValue[] {
  if (key.types.length === 1) {
    const parsed = interval ? parseIntervalValue(value, key.types[0]!, field, context) : { low: exactKey(value, key.types[0]!, field, context) };
    return [parsed];
  }
  const parts = asObject(value)?.concat;
  if (!Array.isArray(parts) || parts.length !== key.types.length) {
    throw new ValidationError(field, value, `expected {"concat": [...]} with ${key.types.length} values`);
  }
  return parts.map((part, i) =>
    interval ? parseIntervalValue(part, key.types[i]!, `${field}.concat[${i}]`, context) : { low: exactKey(part, key.types[i]!, `${field}.concat[${i}]`, context) },
  );
}

/**
 * One value of the key of a set without intervals. A wildcard interface name (`eth*`) is an
 * interval of names: nft refuses it there, and the kernel would refuse its short key.
 */
function exactKey(value: unknown, type: Datatype, field: string, context: ValueContext): Uint8Array {
  const bytes = type.parse(value, field, context);
  if (bytes.length !== type.size) throw new ValidationError(field, value, 'a wildcard interface name needs a set with the interval flag (as in nft: add "flags": ["interval"])');
  return bytes;
}

/**
 * What `{"elem": {...}}` may say about an element, as nft reads it. A `counter` is what a set
 * with a counter statement lists per element: taken (in such a set only) and not sent, the
 * kernel gives each element a fresh one (as nft -j -f does).
 */
const ELEMENT_KEYS = ['val', 'timeout', 'expires', 'comment', 'counter'];

/** An element's timeout or time left (`expires`): seconds > 0, in milliseconds. */
function elementMilliseconds(value: unknown, field: string): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || !(value > 0)) throw new ValidationError(field, value, 'expected seconds > 0');
  return Math.round(value * 1000);
}

function parseElement(value: unknown, key: SetKey, data: MapData | undefined, interval: boolean, field: string, context: ValueContext, counts: boolean): ParsedElement {
  let keyValue = value;
  let dataValue: unknown;
  let keyField = field;
  if (data !== undefined) {
    if (!Array.isArray(value) || value.length !== 2) throw new ValidationError(field, value, 'expected a [KEY, VALUE] pair');
    keyValue = value[0];
    dataValue = value[1];
    keyField = `${field}[0]`;
  }
  const element: ParsedElement = { key: [] };
  const wrapper = singleKey(keyValue) === 'elem' ? asObject((keyValue as Record<string, unknown>).elem) : undefined;
  if (wrapper !== undefined) {
    // A misspelt or unsupported property would otherwise be dropped without a word.
    onlyKeys(wrapper, ELEMENT_KEYS, `${keyField}.elem`, `unknown element property (known: ${ELEMENT_KEYS.join(', ')})`);
    keyValue = wrapper.val;
    if (wrapper.timeout !== undefined) element.timeout = elementMilliseconds(wrapper.timeout, `${keyField}.elem.timeout`);
    // A listing says `"expires": 0` for an element in its last second: nft reads that as no
    // expiry given (the full timeout), and so does routemark, so that the listing applies.
    if (wrapper.expires !== undefined && wrapper.expires !== 0) element.expiration = elementMilliseconds(wrapper.expires, `${keyField}.elem.expires`);
    if (wrapper.comment !== undefined) element.comment = commentText(wrapper.comment, `${keyField}.elem.comment`);
    if (wrapper.counter !== undefined && !counts) {
      // nft -j -f drops it without a word, nft's text refuses it ("missing statement in set declaration").
      throw new ValidationError(`${keyField}.elem.counter`, wrapper.counter, 'an element counts only in a set with a counter statement (stmt: [{"counter": null}])');
    }
    if (wrapper.counter !== undefined && wrapper.counter !== null) {
      const counter = asObject(wrapper.counter);
      const count = (v: unknown) => v === undefined || (typeof v === 'number' && Number.isSafeInteger(v) && v >= 0);
      if (counter === undefined || Object.keys(counter).some((k) => k !== 'packets' && k !== 'bytes') || !count(counter.packets) || !count(counter.bytes)) {
        throw new ValidationError(`${keyField}.elem.counter`, wrapper.counter, 'expected null or { "packets": N, "bytes": N }, as a listing shows it');
      }
    }
    keyField = `${keyField}.elem.val`;
  }
  element.key = parseKey(keyValue, key, interval, keyField, context);
  if (data !== undefined) {
    if (data.object !== undefined) {
      if (typeof dataValue !== 'string' || dataValue.length === 0 || Buffer.byteLength(dataValue) > 255) {
        throw new ValidationError(`${field}[1]`, dataValue, 'expected the name of a named object of the table');
      }
      element.objref = dataValue;
    } else if (data.verdict) {
      const verdict = parseVerdict(dataValue, `${field}[1]`);
      if (verdict === undefined) throw new ValidationError(`${field}[1]`, dataValue, 'expected a verdict such as {"accept": null}');
      element.verdict = verdict;
    } else {
      element.data = data.type!.parse(dataValue, `${field}[1]`, context);
    }
  }
  return element;
}

function concatBytes(parts: readonly Uint8Array[], key: SetKey): Uint8Array {
  if (parts.length === 1) return parts[0]!;
  const out = new Uint8Array(key.length);
  let offset = 0;
  parts.forEach((part, i) => {
    out.set(part, offset);
    offset += fieldSize(key.types[i]!);
  });
  return out;
}

const ELEM_COMMENT = 0; // NFTNL_UDATA_SET_ELEM_COMMENT

/** An element as sent: its key (and key end), data or verdict, timeout and comment. */
function elementMessage(element: ParsedElement, keyBytes: Uint8Array): ElementMessage {
  const out: ElementMessage = { key: keyBytes };
  if (element.timeout !== undefined) out.timeout = element.timeout;
  if (element.expiration !== undefined) out.expiration = element.expiration;
  if (element.verdict !== undefined) {
    out.verdict = element.verdict.verdict;
    if (element.verdict.chain !== undefined) out.chain = element.verdict.chain;
  } else if (element.data !== undefined) out.data = element.data;
  if (element.objref !== undefined) out.objref = element.objref;
  if (element.comment !== undefined) out.userdata = Uint8Array.from(tlvString(ELEM_COMMENT, element.comment));
  return out;
}

/**
 * Elements in the kernel's layout. Interval sets of one field get a start element per
 * interval and an end element (flag NFT_SET_ELEM_INTERVAL_END) just past it; concatenated
 * interval sets carry each interval's end in NFTA_SET_ELEM_KEY_END. Interval keys are in
 * network order, host-order integers too (see parseIntervalValue). `counts`: the set has a
 * counter statement, so an element may say `counter` (as a listing of it shows); elsewhere that
 * would be dropped, and is refused.
 */
export function encodeElements(values: readonly unknown[], key: SetKey, data: MapData | undefined, interval: boolean, field: string, context: ValueContext, counts = false): ElementMessage[] {
  const parsed = values.map((value, i) => parseElement(value, key, data, interval, `${field}[${i}]`, context, counts));
  if (!interval) return parsed.map((element) => elementMessage(element, concatBytes(element.key.map((k) => k.low), key)));
  if (key.types.length > 1) {
    return parsed.map((element) => {
      const out = elementMessage(element, concatBytes(element.key.map((k) => k.low), key));
      out.keyEnd = concatBytes(element.key.map((k) => k.high ?? k.low), key);
      return out;
    });
  }
  const order = parsed.map((element, i) => ({ element, i, low: element.key[0]!.low, high: element.key[0]!.high ?? element.key[0]!.low }));
  order.sort((a, b) => compareBytes(a.low, b.low));
  const out: ElementMessage[] = [];
  for (let n = 0; n < order.length; n++) {
    const { element, i, low, high } = order[n]!;
    const next = order[n + 1];
    if (next !== undefined && compareBytes(next.low, high) <= 0) {
      throw new ValidationError(`${field}[${next.i}]`, values[next.i], `overlaps ${field}[${i}]`);
    }
    out.push(elementMessage(element, low));
    // Every interval gets its end, even where the next one starts: nft sends them so, and
    // without it the kernel (6.x rbtree overlap check) refuses the next start with EEXIST.
    const end = incrementBytes(high);
    if (end !== undefined) out.push({ key: end, flags: NFT_SET_ELEM_INTERVAL_END });
  }
  return out;
}

/**
 * The fixed layout of the elements of a plain set or map (one key field, no intervals) whose
 * key and value types have fast writers: a bulk list of 100,000 elements is then written as one
 * block of copies of one element, patched in place, without an object per element.
 */
export interface ElementLayout {
  /** Bytes per element (an NFTA_LIST_ELEM nest, padded). */
  readonly size: number;
  readonly keyOffset: number;
  readonly dataOffset: number;
  readonly key: Datatype;
  readonly data: Datatype | undefined;
  /** One element as writeElement writes it, with zero key and value. */
  readonly template: Uint8Array;
}

/** The layout of plain elements of this key and data, or undefined if they have none. */
export function elementLayout(key: SetKey, data: MapData | undefined, interval: boolean): ElementLayout | undefined {
  if (interval || key.types.length !== 1) return undefined;
  const keyType = key.types[0]!;
  if (keyType.into === undefined || (data !== undefined && (data.verdict || data.type?.into === undefined))) return undefined;
  const writer = new MessageWriter(64);
  writeElement(writer, data === undefined ? { key: new Uint8Array(keyType.size) } : { key: new Uint8Array(keyType.size), data: new Uint8Array(data.type!.size) }, 0);
  const template = Uint8Array.from(writer.bytes());
  // LIST_ELEM header, KEY nest header, DATA_VALUE header; then the padded key, DATA nest and
  // DATA_VALUE headers, and the value.
  const keyOffset = 12;
  const dataOffset = keyOffset + ((keyType.size + 3) & ~3) + 8;
  return { size: template.length, keyOffset, dataOffset, key: keyType, data: data?.type, template };
}

/** Set-element nests above this many bytes continue in a new message (nla_len is 16 bits). */
export const ELEMENTS_PER_MESSAGE_BYTES = 60000;

/**
 * How many plain elements of `size` bytes go in one message: as many as the general path puts
 * there, which stops once the nest has reached {@link ELEMENTS_PER_MESSAGE_BYTES}.
 */
export function plainElementsPerMessage(size: number): number {
  return Math.max(1, Math.ceil(ELEMENTS_PER_MESSAGE_BYTES / size));
}

/**
 * Writes plain elements (set keys, or [key, value] pairs of a map) in `layout` into one buffer,
 * each element nest numbered from 1 again in every message of {@link plainElementsPerMessage},
 * as libnftnl numbers them; undefined if any of them is not plain or not valid (encodeElements
 * then reports which).
 */
export function writePlainElements(values: readonly unknown[], layout: ElementLayout, isMap: boolean, context: ValueContext): Buffer | undefined {
  const size = layout.size;
  const count = values.length;
  const out = Buffer.allocUnsafe(count * size);
  fillNumberedTemplates(out, layout, count);
  const keyInto = layout.key.into!;
  const dataInto = layout.data?.into;
  const keyOffset = layout.keyOffset;
  const dataOffset = layout.dataOffset;
  for (let i = 0, base = 0; i < count; i++, base += size) {
    let key: unknown = values[i];
    if (isMap) {
      if (!Array.isArray(key) || key.length !== 2) return undefined;
      if (!dataInto!(key[1], out, base + dataOffset, context)) return undefined;
      key = key[0];
    }
    if ((typeof key !== 'string' && typeof key !== 'number') || !keyInto(key, out, base + keyOffset, context)) return undefined;
  }
  return out;
}

/**
 * Fills `out` with `count` copies of the layout's template, numbered. The first message's worth
 * is written element by element; the rest is copied from it in doubling blocks, which keeps the
 * numbering since every copy starts at a multiple of a message's length. For 100k elements it
 * makes one message's worth of small copies and number writes and a handful of large copies.
 */
function fillNumberedTemplates(out: Buffer, layout: ElementLayout, count: number): void {
  const size = layout.size;
  const first = Math.min(count, plainElementsPerMessage(size));
  for (let i = 0; i < first; i++) {
    out.set(layout.template, i * size);
    if (HOST_IS_LITTLE_ENDIAN) out.writeUInt16LE((i + 1) | NLA_F_NESTED, i * size + 2);
    else out.writeUInt16BE((i + 1) | NLA_F_NESTED, i * size + 2);
  }
  const total = count * size;
  for (let filled = first * size; filled < total; ) {
    const length = Math.min(filled, total - filled);
    out.copyWithin(filled, 0, length);
    filled += length;
  }
}

/** Whether a set's userdata asks for auto-merge (NFTNL_UDATA_SET_MERGE_ELEMENTS, nft's `auto-merge`). */
export function userdataAutomerge(userdata: Uint8Array | undefined): boolean {
  return (userdataU32(userdata, NFTNL_UDATA_SET_MERGE_ELEMENTS) ?? 0) !== 0;
}

/** One interval of a set of one field with intervals: first and last key, in network order. */
export interface Interval {
  readonly low: Uint8Array;
  readonly high: Uint8Array;
}

/**
 * The intervals a set of one field holds, from its kernel elements (start elements, and end
 * elements just past each interval), rebuilt as nft rebuilds them for its listing.
 */
export function intervalsOfElements(elements: readonly { key: Uint8Array; end: boolean }[]): Interval[] {
  // Where one interval ends at the key the next starts at, the end goes first.
  const rows = [...elements].sort((a, b) => compareBytes(a.key, b.key) || Number(b.end) - Number(a.end));
  const out: Interval[] = [];
  rows.forEach((row, i) => {
    if (row.end) return;
    const next = rows[i + 1];
    out.push({ low: row.key, high: next === undefined ? new Uint8Array(row.key.length).fill(0xff) : decrementBytes(next.key) });
  });
  return out;
}

/** What adding elements to an auto-merge set sends: intervals to delete first, then elements to add. */
export interface AutomergedElements {
  /** DELSETELEM: the set's intervals that merged into new ones (start and end elements). */
  purge: ElementMessage[];
  /** NEWSETELEM: the new intervals, merged, in order. */
  add: ElementMessage[];
  /** The set's intervals after both. */
  intervals: Interval[];
}

/** Start and end elements of an interval (no end element for one that ends at the last key). */
function intervalMessages(low: Uint8Array, high: Uint8Array, start: ElementMessage): ElementMessage[] {
  const end = incrementBytes(high);
  return end === undefined ? [start] : [start, { key: end, flags: NFT_SET_ELEM_INTERVAL_END }];
}

/**
 * Elements added to a set of one field that has nft's `auto-merge` (NFTNL_UDATA_SET_MERGE_ELEMENTS
 * in its userdata, which nft 1.0.6 honours for element commands even from JSON): merged with each
 * other and with the set's `existing` intervals as nft 1.0.6 merges them (intervals.c,
 * set_automerge: a stable sort by first key, existing intervals after new ones of the same first
 * key, then one pass that drops intervals inside the previous one and joins overlapping and
 * adjacent ones). An existing interval that takes part in a join is deleted and sent again as
 * part of the joined one; a new interval keeps its own timeout and comment. Faithful to nft's
 * quirks too: two existing intervals that touch are joined by deleting the first.
 */
export function automergeElements(values: readonly unknown[], key: SetKey, existing: readonly Interval[], field: string, context: ValueContext, counts: boolean): AutomergedElements {
  interface Item {
    low: Uint8Array;
    high: Uint8Array;
    /** The element as given, for a new interval; undefined for one the kernel holds. */
    element: ParsedElement | undefined;
  }
  const fresh: Item[] = values.map((value, i) => {
    const element = parseElement(value, key, undefined, true, `${field}[${i}]`, context, counts);
    const parsed = element.key[0]!;
    return { low: parsed.low, high: parsed.high ?? parsed.low, element };
  });
  // Array.prototype.sort is stable: new intervals keep their order among equal first keys, and
  // existing ones follow them (nft's list_splice_sorted puts them after equal ones).
  const items: Item[] = [...fresh, ...existing.map((interval) => ({ low: interval.low, high: interval.high, element: undefined }))].sort((a, b) => compareBytes(a.low, b.low));
  const purged: Item[] = [];
  const kept: Item[] = [];
  let prev: Item | undefined;
  let prevLow: Uint8Array = new Uint8Array(0);
  let prevHigh: Uint8Array = new Uint8Array(0);
  for (const item of items) {
    if (prev === undefined) {
      prev = item;
      prevLow = item.low;
      prevHigh = item.high;
      kept.push(item);
      continue;
    }
    if (compareBytes(prevLow, item.low) <= 0 && compareBytes(prevHigh, item.high) >= 0) {
      // Inside the previous interval: an existing one is deleted, a new one dropped.
      if (item.element === undefined) purged.push(item);
      continue;
    }
    const afterPrev = incrementBytes(prevHigh);
    const adjacent = afterPrev !== undefined && compareBytes(afterPrev, item.low) === 0;
    if (compareBytes(item.low, prevHigh) <= 0 || adjacent) {
      if (prev.element === undefined) {
        // The previous one is the kernel's: it is deleted, and this one starts where it did.
        purged.push(prev);
        kept.splice(kept.indexOf(prev), 1);
        item.low = prev.low;
        prevHigh = item.high;
        prev = item;
        kept.push(item);
      } else {
        // Joined into the previous (new) interval; an existing one is deleted.
        if (item.element === undefined) purged.push(item);
        prev.high = item.high;
        prevHigh = item.high;
      }
      continue;
    }
    prev = item;
    prevLow = item.low;
    prevHigh = item.high;
    kept.push(item);
  }
  const purge = purged.flatMap((item) => intervalMessages(item.low, item.high, { key: item.low }));
  const add = kept.filter((item) => item.element !== undefined).flatMap((item) => intervalMessages(item.low, item.high, elementMessage(item.element!, item.low)));
  return { purge, add, intervals: kept.map((item) => ({ low: item.low, high: item.high })) };
}

/**
 * Elements deleted from an auto-merge set: merged with each other first, as nft 1.0.6 does
 * (automerge_delete), so that deleting 10.0.0.1 and 10.0.0.2 deletes the interval
 * 10.0.0.1-10.0.0.2. As in nft 1.0.6, each must then be an interval the set holds: nft refuses
 * any other ("element does not exist", part of an interval too) before sending anything, and so
 * does routemark.
 */
export function automergeDelete(values: readonly unknown[], key: SetKey, held: readonly Interval[], field: string, context: ValueContext, counts: boolean): { remove: ElementMessage[]; intervals: Interval[] } {
  const deleted = automergeElements(values, key, [], field, context, counts).intervals;
  const left = [...held];
  const type = key.types[0]!;
  const text = (bytes: Uint8Array) => JSON.stringify(type.format(networkOrder(type, bytes), context));
  for (const interval of deleted) {
    const same = left.findIndex((h) => compareBytes(h.low, interval.low) === 0 && compareBytes(h.high, interval.high) === 0);
    if (same < 0) {
      const overlapping = left.find((h) => compareBytes(h.low, interval.high) <= 0 && compareBytes(interval.low, h.high) <= 0);
      const holds = overlapping === undefined ? 'nothing of it' : `${text(overlapping.low)}-${text(overlapping.high)}`;
      throw new ValidationError(field, values, `element does not exist (as nft 1.0.6 says): the auto-merge set holds ${holds}, not ${text(interval.low)}-${text(interval.high)}; only whole intervals of it can be deleted`);
    }
    left.splice(same, 1);
  }
  return { remove: deleted.flatMap((interval) => intervalMessages(interval.low, interval.high, { key: interval.low })), intervals: left };
}
