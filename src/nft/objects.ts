/**
 * Tables, chains, sets and maps: nftables JSON objects to message descriptors (validated,
 * with the field path of anything wrong), and the addon's parsed dump objects back to JSON.
 */
import { ValidationError } from '../netlink/errors.js';
import { integerInRange, shortString } from '../common/validate.js';
import { BYTEORDER_HOST_ENDIAN, datatypeById, integerOfSize, splitTypeId, type Datatype, type ValueContext } from './datatypes.js';
import { NFPROTO_ARP, NFPROTO_BRIDGE, NFPROTO_INET, NFPROTO_IPV4, NFPROTO_IPV6, NFPROTO_NETDEV, NFT_DATA_VERDICT, NFT_OBJECT_COUNTER, NFT_OBJECT_QUOTA, NFT_SET_CONCAT, NFT_SET_CONSTANT, NFT_SET_EVAL, NFT_SET_EXPR, NFT_SET_INTERVAL, NFT_SET_OBJECT, NFT_SET_POL_MEMORY, NFT_SET_POL_PERFORMANCE, NFT_SET_TIMEOUT, NFT_TABLE_F_DORMANT, NFT_TABLE_F_OWNER, NFT_TABLE_F_PERSIST, NFTNL_UDATA_CHAIN_COMMENT, NFTNL_UDATA_OBJ_COMMENT, NFTNL_UDATA_SET_COMMENT, NFTNL_UDATA_SET_DATABYTEORDER, NFTNL_UDATA_SET_KEYBYTEORDER, NFTNL_UDATA_TABLE_COMMENT, NF_INET_FORWARD, NF_INET_INGRESS, NF_INET_LOCAL_IN, NF_INET_LOCAL_OUT, NF_INET_POST_ROUTING, NF_INET_PRE_ROUTING, NF_ACCEPT, NF_DROP } from './constants.js';
import { compileRule, type RuleContext } from './compile.js';
import { decodeElements, decompileRule, familyName, type ParsedElement, type ParsedSet } from './decompile.js';
import type { ExprDescriptor } from './expr/index.js';
import { NFT_QUOTA_F_INV } from './expr/quota.js';
import type { NftChain, NftCounter, NftExpression, NftMap, NftQuota, NftSet, NftStatefulObject, NftStatement, NftTable } from './json.js';
import type { ChainMessage, ObjectMessage, SetMessage, TableMessage } from './messages.js';
import { OBJECT_TYPES, commentText, commentUserdata, objectTypeName, parseMapData, setMapData, parseSetKey, setUserdata, userdataString, userdataU32, type MapData, type SetKey } from './sets.js';
import { asObject, parseFlags } from './values.js';

/** NFPROTO_* by JSON family name. */
export const FAMILIES: ReadonlyMap<string, number> = new Map([
  ['ip', NFPROTO_IPV4],
  ['ip6', NFPROTO_IPV6],
  ['inet', NFPROTO_INET],
  ['arp', NFPROTO_ARP],
  ['bridge', NFPROTO_BRIDGE],
  ['netdev', NFPROTO_NETDEV],
]);

/** Families whose rules routemark compiles (its header fields are IP ones). */
const RULE_FAMILIES = new Set([NFPROTO_IPV4, NFPROTO_IPV6, NFPROTO_INET]);

const HOOKS: ReadonlyMap<string, number> = new Map([
  ['prerouting', NF_INET_PRE_ROUTING],
  ['input', NF_INET_LOCAL_IN],
  ['forward', NF_INET_FORWARD],
  ['output', NF_INET_LOCAL_OUT],
  ['postrouting', NF_INET_POST_ROUTING],
  ['ingress', NF_INET_INGRESS],
]);
/** netdev's hooks (NF_NETDEV_INGRESS, NF_NETDEV_EGRESS): numbered apart from inet's. */
const NETDEV_HOOKS: ReadonlyMap<string, number> = new Map([
  ['ingress', 0],
  ['egress', 1],
]);
/** arp's hooks (NF_ARP_IN, NF_ARP_OUT), as nft names them. */
const ARP_HOOKS: ReadonlyMap<string, number> = new Map([
  ['input', 0],
  ['output', 1],
]);

/** The hook numbers of a family: each family numbers its own (bridge numbers as inet does). */
function hooksOf(family: number): ReadonlyMap<string, number> {
  return family === NFPROTO_NETDEV ? NETDEV_HOOKS : family === NFPROTO_ARP ? ARP_HOOKS : HOOKS;
}

/** Standard priorities by name (nft's `priority mangle` etc.). */
const PRIORITIES: ReadonlyMap<string, number> = new Map([
  ['raw', -300],
  ['mangle', -150],
  ['dstnat', -100],
  ['filter', 0],
  ['security', 50],
  ['srcnat', 100],
]);

const TABLE_FLAGS: ReadonlyMap<string, number> = new Map([
  ['dormant', NFT_TABLE_F_DORMANT],
  ['owner', NFT_TABLE_F_OWNER],
  ['persist', NFT_TABLE_F_PERSIST],
]);

const SET_FLAGS: ReadonlyMap<string, number> = new Map([
  ['constant', NFT_SET_CONSTANT],
  ['interval', NFT_SET_INTERVAL],
  ['timeout', NFT_SET_TIMEOUT],
  ['dynamic', NFT_SET_EVAL],
]);

/**
 * The set flags a listing shows: nft 1.0.6 neither lists nor reads `dynamic` (its JSON parser
 * refuses the whole document), and sets it itself on sets that rules write to.
 */
const LISTED_SET_FLAGS: ReadonlyMap<string, number> = new Map([...SET_FLAGS].filter(([name]) => name !== 'dynamic'));

/** Checks an object has only known keys. */
function known(object: Record<string, unknown>, field: string, keys: readonly string[]): void {
  for (const key of Object.keys(object)) {
    if (!keys.includes(key) && object[key] !== undefined) throw new ValidationError(`${field}.${key}`, object[key], `unknown property (known: ${keys.join(', ')})`);
  }
}

/** A JSON object's `family`, as NFPROTO_*. */
export function parseFamily(value: unknown, field: string, forRules = false): number {
  const family = typeof value === 'string' ? FAMILIES.get(value) : undefined;
  if (family === undefined) throw new ValidationError(field, value, 'expected a family: ip, ip6, inet, arp, bridge or netdev');
  if (forRules && !RULE_FAMILIES.has(family)) throw new ValidationError(field, value, 'routemark compiles rules for ip, ip6 and inet tables');
  return family;
}

/** A table, chain or set name (at most 255 bytes, NFT_NAME_MAXLEN - 1). */
export function objectName(value: unknown, field: string): string {
  return shortString(value, field, 255);
}

/** An optional handle (a positive integer). */
export function handleOf(value: unknown, field: string): number | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value <= 0) throw new ValidationError(field, value, 'expected a handle (a positive integer)');
  return value;
}

function seconds(value: unknown, field: string): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) throw new ValidationError(field, value, 'expected seconds > 0');
  return Math.round(value * 1000);
}

/** A table object: family and message. `identify` accepts a handle instead of a name. */
export function parseTable(value: unknown, field: string, identify = false): { family: number; message: TableMessage } {
  const object = asObject(value);
  if (object === undefined) throw new ValidationError(field, value, 'expected a table object');
  known(object, field, ['family', 'name', 'handle', 'flags', 'comment']);
  const family = parseFamily(object.family, `${field}.family`);
  const message: TableMessage = {};
  const handle = handleOf(object.handle, `${field}.handle`);
  if (identify && handle !== undefined && object.name === undefined) message.handle = handle;
  else message.name = objectName(object.name, `${field}.name`);
  if (object.flags !== undefined) message.flags = parseFlags(object.flags, TABLE_FLAGS, `${field}.flags`);
  if (object.comment !== undefined) message.userdata = commentUserdata(NFTNL_UDATA_TABLE_COMMENT, object.comment as string, `${field}.comment`);
  return { family, message };
}

/** A chain object. `identify` parses only what names it (for delete and flush). */
export function parseChain(value: unknown, field: string, identify = false): { family: number; message: ChainMessage } {
  const object = asObject(value);
  if (object === undefined) throw new ValidationError(field, value, 'expected a chain object');
  known(object, field, ['family', 'table', 'name', 'handle', 'type', 'hook', 'prio', 'policy', 'dev', 'comment']);
  const family = parseFamily(object.family, `${field}.family`);
  const message: ChainMessage = { table: objectName(object.table, `${field}.table`) };
  const handle = handleOf(object.handle, `${field}.handle`);
  if (identify && handle !== undefined && object.name === undefined) message.handle = handle;
  else message.name = objectName(object.name, `${field}.name`);
  if (identify) return { family, message };
  const base = object.type !== undefined || object.hook !== undefined || object.prio !== undefined || object.policy !== undefined;
  if (base) {
    if (object.type !== 'filter' && object.type !== 'nat' && object.type !== 'route') throw new ValidationError(`${field}.type`, object.type, 'expected "filter", "nat" or "route"');
    const hooks = hooksOf(family);
    const hook = typeof object.hook === 'string' ? hooks.get(object.hook) : undefined;
    if (hook === undefined) throw new ValidationError(`${field}.hook`, object.hook, `expected one of ${[...hooks.keys()].join(', ')} (the hooks of family ${familyName(family)})`);
    let prio = object.prio;
    if (typeof prio === 'string') prio = PRIORITIES.get(prio);
    if (typeof prio !== 'number' || !Number.isInteger(prio) || prio < -0x80000000 || prio > 0x7fffffff) {
      throw new ValidationError(`${field}.prio`, object.prio, `expected an integer priority or one of ${[...PRIORITIES.keys()].join(', ')}`);
    }
    message.hooknum = hook;
    message.prio = prio;
    if (object.dev !== undefined) message.dev = shortString(object.dev, `${field}.dev`, 15);
    if (object.policy !== undefined) {
      if (object.policy !== 'accept' && object.policy !== 'drop') throw new ValidationError(`${field}.policy`, object.policy, 'expected "accept" or "drop"');
      message.policy = object.policy === 'accept' ? NF_ACCEPT : NF_DROP;
    }
    message.chainType = object.type;
  }
  if (object.comment !== undefined) message.userdata = commentUserdata(NFTNL_UDATA_CHAIN_COMMENT, object.comment as string, `${field}.comment`);
  return { family, message };
}

/** The statements a set can give each element: those that keep state per element. */
const SET_STATEMENT_EXPRESSIONS = new Set(['counter', 'limit', 'quota', 'connlimit']);

/** A set's `stmt` (`[{"counter": null}]`), compiled as a rule's statements are. */
function setExpressions(value: unknown, family: number, table: string, field: string): ExprDescriptor[] {
  if (!Array.isArray(value) || value.length === 0) throw new ValidationError(field, value, 'expected a list of statements, such as [{"counter": null}]');
  const noSets = (): never => {
    throw new ValidationError(field, value, "a set's statements cannot use sets");
  };
  const context: RuleContext = { interfaces: undefined, family, table, nextSetId: noSets, namedSet: noSets };
  value.forEach((statement, i) => {
    const name = asObject(statement) === undefined ? undefined : Object.keys(statement as object)[0];
    if (name !== 'counter' && name !== 'limit' && name !== 'quota' && name !== 'ct count') {
      throw new ValidationError(`${field}[${i}]`, statement, 'expected a counter, limit, quota or ct count statement: what a set can keep per element');
    }
  });
  const compiled = compileRule({ expr: value }, context, field.replace(/\.stmt$/, ''));
  if (!compiled.expressions.every((e) => SET_STATEMENT_EXPRESSIONS.has(e.expr))) throw new ValidationError(field, value, 'expected counter, limit, quota or ct count statements');
  return compiled.expressions;
}

/** Whether a set's statements give each element a counter. */
function countsPerElement(expressions: readonly ExprDescriptor[] | undefined): boolean {
  return expressions?.some((e) => e.expr === 'counter') ?? false;
}

/** A parsed set or map definition: its message and what its elements hold. */
export interface SetDefinition {
  family: number;
  message: SetMessage;
  key: SetKey;
  data: MapData | undefined;
  interval: boolean;
  /** NFT_SET_* flags as sent (with the interval, map and concat bits the definition implies). */
  flags: number;
  /** Whether the set gives each element a counter (`stmt: [{"counter": null}]`), which elements then list. */
  counts: boolean;
  elements: unknown[] | undefined;
}

/** A set or map object (`isMap` for `{"map": ...}`). `identify` parses only what names it. */
export function parseSet(value: unknown, field: string, isMap: boolean, identify = false): SetDefinition {
  const object = asObject(value);
  if (object === undefined) throw new ValidationError(field, value, `expected a ${isMap ? 'map' : 'set'} object`);
  if (object['auto-merge'] !== undefined) {
    // nft 1.0.6 has no auto-merge in its JSON: nft -j -f makes the set without it (no userdata,
    // no merging) and says nothing, and nft -j lists no such property. Making it as nft's text
    // `auto-merge` does would give the document another meaning than nft -j -f gives it.
    throw new ValidationError(`${field}.auto-merge`, object['auto-merge'], 'nft 1.0.6 does not read "auto-merge" from JSON (nft -j -f drops it without a word); elements added to a set that has auto-merge (made by nft\'s text) are merged as nft merges them');
  }
  known(object, field, ['family', 'table', 'name', 'handle', 'type', 'map', 'policy', 'flags', 'elem', 'timeout', 'gc-interval', 'size', 'comment', 'stmt']);
  const family = parseFamily(object.family, `${field}.family`);
  const message: SetMessage = { table: objectName(object.table, `${field}.table`) };
  const handle = handleOf(object.handle, `${field}.handle`);
  if (identify && handle !== undefined && object.name === undefined) message.handle = handle;
  else message.name = objectName(object.name, `${field}.name`);
  if (identify) return { family, message, key: undefined as unknown as SetKey, data: undefined, interval: false, flags: 0, counts: false, elements: undefined };
  const key = parseSetKey(object.type, `${field}.type`);
  const data = isMap ? parseMapData(object.map, `${field}.map`) : undefined;
  let flags = object.flags === undefined ? 0 : parseFlags(object.flags, SET_FLAGS, `${field}.flags`);
  const interval = (flags & NFT_SET_INTERVAL) !== 0;
  if (interval && key.types.length > 1) flags |= NFT_SET_CONCAT;
  message.flags = flags;
  message.keyType = key.typeId;
  message.keyLen = key.length;
  if (data) setMapData(message, data);
  if (object.policy !== undefined) {
    if (object.policy !== 'performance' && object.policy !== 'memory') throw new ValidationError(`${field}.policy`, object.policy, 'expected "performance" or "memory"');
    message.policy = object.policy === 'memory' ? NFT_SET_POL_MEMORY : NFT_SET_POL_PERFORMANCE;
  }
  if (object.size !== undefined) {
    if (typeof object.size !== 'number' || !Number.isInteger(object.size) || object.size <= 0 || object.size > 0xffffffff) throw new ValidationError(`${field}.size`, object.size, 'expected a positive integer');
    message.size = object.size;
  }
  if (interval && key.types.length > 1) message.fieldLengths = [...key.fieldLengths];
  if (object.timeout !== undefined) message.timeout = seconds(object.timeout, `${field}.timeout`);
  if (object['gc-interval'] !== undefined) message.gcInterval = seconds(object['gc-interval'], `${field}.gc-interval`);
  if ((flags & NFT_SET_CONSTANT) !== 0) {
    // As nft 1.0.6 sends a constant set (mnl_nft_set_add): no policy and not the size asked for;
    // the size is that of the elements the definition gives (set in the transaction, once they
    // are encoded), so that the kernel refuses (ENFILE) elements added to it later, even in the
    // same document, as it does for nft.
    delete message.policy;
    delete message.size;
  }
  if (object.stmt !== undefined) {
    message.expressions = setExpressions(object.stmt, family, message.table!, `${field}.stmt`);
    // As nft sends them: the flag with a list of several (which the kernel requires), not with one.
    if (message.expressions.length > 1) message.flags = flags | NFT_SET_EXPR;
  }
  const comment = object.comment === undefined ? undefined : commentText(object.comment, `${field}.comment`);
  message.userdata = setUserdata(key, data, comment);
  let elements: unknown[] | undefined;
  if (object.elem !== undefined) elements = Array.isArray(object.elem) && (!isMap || Array.isArray(object.elem[0])) ? object.elem : [object.elem];
  return { family, message, key, data, interval, flags: message.flags, counts: countsPerElement(message.expressions), elements };
}

export { OBJECT_TYPES };

/** A byte or packet count (the kernel keeps 64 bits; JSON numbers are exact to 2^53). */
function count(value: unknown, field: string): number {
  return integerInRange(value, field, 0, Number.MAX_SAFE_INTEGER, 'a count');
}

/**
 * A counter or quota object (`{"counter": {...}}`, `{"quota": {...}}`). `identify` parses only
 * what names it (for delete): the name, or the handle.
 */
export function parseObject(kind: 'counter' | 'quota', value: unknown, field: string, identify = false): { family: number; message: ObjectMessage } {
  const object = asObject(value);
  if (object === undefined) throw new ValidationError(field, value, `expected a ${kind} object`);
  known(object, field, kind === 'counter' ? ['family', 'table', 'name', 'handle', 'comment', 'packets', 'bytes'] : ['family', 'table', 'name', 'handle', 'comment', 'bytes', 'used', 'inv']);
  const family = parseFamily(object.family, `${field}.family`);
  const message: ObjectMessage = { table: objectName(object.table, `${field}.table`), type: OBJECT_TYPES.get(kind)! };
  const handle = handleOf(object.handle, `${field}.handle`);
  if (identify && handle !== undefined && object.name === undefined) message.handle = handle;
  else message.name = objectName(object.name, `${field}.name`);
  if (identify) return { family, message };
  // As nft sends them: every value, 0 where none was given.
  if (kind === 'counter') {
    message.counter = { packets: count(object.packets ?? 0, `${field}.packets`), bytes: count(object.bytes ?? 0, `${field}.bytes`) };
  } else {
    if (object.bytes === undefined) throw new ValidationError(`${field}.bytes`, undefined, 'expected the quota in bytes');
    if (object.inv !== undefined && typeof object.inv !== 'boolean') throw new ValidationError(`${field}.inv`, object.inv, 'expected a boolean');
    message.quota = { bytes: count(object.bytes, `${field}.bytes`), consumed: count(object.used ?? 0, `${field}.used`), flags: object.inv ? NFT_QUOTA_F_INV : 0 };
  }
  if (object.comment !== undefined) message.userdata = commentUserdata(NFTNL_UDATA_OBJ_COMMENT, object.comment as string, `${field}.comment`);
  return { family, message };
}

/** A stateful object as the addon's parser returns it. */
export interface ParsedObject {
  family: number;
  table: string;
  name: string;
  handle?: number;
  /** NFT_OBJECT_*. */
  objType: number;
  packets?: number;
  bytes?: number;
  consumed?: number;
  flags?: number;
  userdata?: string;
}

/** A listed counter or quota as nft -j lists it (with its values); undefined for other types. */
export function objectJson(object: ParsedObject): NftStatefulObject | undefined {
  const head = { family: familyName(object.family) as NftCounter['family'], name: object.name, table: object.table, handle: object.handle! };
  const comment = userdataString(object.userdata === undefined ? undefined : Buffer.from(object.userdata, 'hex'), NFTNL_UDATA_OBJ_COMMENT);
  const withComment = comment === undefined ? head : { ...head, comment };
  if (object.objType === NFT_OBJECT_COUNTER) return { counter: { ...withComment, packets: object.packets ?? 0, bytes: object.bytes ?? 0 } satisfies NftCounter };
  if (object.objType === NFT_OBJECT_QUOTA) {
    return { quota: { ...withComment, bytes: object.bytes ?? 0, used: object.consumed ?? 0, inv: ((object.flags ?? 0) & NFT_QUOTA_F_INV) !== 0 } satisfies NftQuota };
  }
  return undefined;
}

/** A set's definition as read from the kernel, enough to encode its elements. */
export function definitionOfParsed(set: ParsedSet): Omit<SetDefinition, 'message' | 'elements'> | undefined {
  const types = set.keyType === undefined ? undefined : splitTypeId(set.keyType);
  // An integer key (nft's `typeof meta length`, say) has its width and byte order only in nft's
  // userdata; routemark does not guess them.
  if (types === undefined || types.some((t) => t.name === 'integer')) return undefined;
  const key = parseSetKey(types.map((t) => t.name), 'set.type');
  let data: MapData | undefined;
  const objectType = objectTypeName(set.objType);
  if (((set.flags ?? 0) & NFT_SET_OBJECT) !== 0) {
    if (objectType === undefined) return undefined;
    data = parseMapData(objectType, 'set.map');
  } else if (set.dataType !== undefined) {
    if (set.dataType === NFT_DATA_VERDICT) data = parseMapData('verdict', 'set.map');
    else {
      const type = datatypeById(set.dataType);
      if (type === undefined || type.name === 'integer') return undefined;
      data = parseMapData(type.name, 'set.map');
    }
  }
  return { family: set.family, key, data, interval: ((set.flags ?? 0) & NFT_SET_INTERVAL) !== 0, flags: set.flags ?? 0, counts: countsPerElement(set.expr) };
}

/** A table as the addon's parser returns it. */
export interface ParsedTable {
  family: number;
  name: string;
  handle?: number;
  flags?: number;
  owner?: number;
  userdata?: string;
}

/** A chain as the addon's parser returns it. */
export interface ParsedChain {
  family: number;
  table: string;
  name: string;
  handle?: number;
  hooknum?: number;
  prio?: number;
  policy?: number;
  chainType?: string;
  dev?: string;
  userdata?: string;
}

/** A listed table as JSON. */
export function tableJson(table: ParsedTable): { table: NftTable } {
  const out: NftTable = { family: familyName(table.family) as NftTable['family'], name: table.name, handle: table.handle! };
  const flags = [...TABLE_FLAGS].filter(([, bit]) => ((table.flags ?? 0) & bit) !== 0).map(([name]) => name);
  if (flags.length > 0) out.flags = flags as NftTable['flags'];
  const comment = userdataString(table.userdata === undefined ? undefined : Buffer.from(table.userdata, 'hex'), NFTNL_UDATA_TABLE_COMMENT);
  if (comment !== undefined) out.comment = comment;
  return { table: out };
}

/** A listed chain as JSON. */
export function chainJson(chain: ParsedChain): { chain: NftChain } {
  const out: NftChain = { family: familyName(chain.family) as NftChain['family'], table: chain.table, name: chain.name, handle: chain.handle! };
  if (chain.hooknum !== undefined) {
    out.type = chain.chainType as NftChain['type'];
    out.hook = [...hooksOf(chain.family)].find(([, n]) => n === chain.hooknum)?.[0] as NftChain['hook'];
    out.prio = chain.prio!;
    if (chain.dev !== undefined) out.dev = chain.dev;
    out.policy = chain.policy === NF_DROP ? 'drop' : 'accept';
  }
  const comment = userdataString(chain.userdata === undefined ? undefined : Buffer.from(chain.userdata, 'hex'), NFTNL_UDATA_CHAIN_COMMENT);
  if (comment !== undefined) out.comment = comment;
  return { chain: out };
}

/**
 * A set whose key or value type routemark does not know, listed with what the kernel holds
 * (type ids, lengths, elements as hex) under `raw`: never dropped, but not applicable.
 */
function rawSetJson(set: ParsedSet, elements: readonly ParsedElement[]): { set: NftSet } {
  const raw = { keyType: set.keyType, keyLen: set.keyLen, dataType: set.dataType, dataLen: set.dataLen, flags: set.flags, elements };
  return { set: { family: familyName(set.family) as NftSet['family'], name: set.name, table: set.table, handle: set.handle, raw } as unknown as NftSet };
}

/**
 * What a set gives each element, as nft lists it. A counter here is a template whose own count
 * means nothing (the elements count): nft lists it as `{"counter": null}`.
 */
function setStatements(expressions: NonNullable<ParsedSet['expr']>, family: number, context: ValueContext): NftStatement[] {
  const statements = decompileRule(expressions, { interfaces: context.interfaces, family, setElements: () => undefined });
  return statements.map((statement) => ('counter' in statement && typeof statement.counter === 'object' && statement.counter !== null ? { counter: null } : statement) as NftStatement);
}

/** A listed set or map as JSON, with its elements. */
export function setJson(set: ParsedSet, elements: readonly ParsedElement[], context: ValueContext): { set: NftSet } | { map: NftMap } {
  let types = set.keyType === undefined ? undefined : splitTypeId(set.keyType);
  if (types === undefined) return rawSetJson(set, elements);
  const userdata = set.userdata === undefined ? undefined : Buffer.from(set.userdata, 'hex');
  // A plain integer (a `typeof` set's) has its length and byte order only in the set.
  const sized = (type: Datatype, length: number | undefined, byteorderKey: number): Datatype =>
    type.name === 'integer' && length !== undefined ? integerOfSize(length, userdataU32(userdata, byteorderKey) === BYTEORDER_HOST_ENDIAN ? 'host' : 'big') : type;
  if (types.length === 1) types = [sized(types[0]!, set.keyLen, NFTNL_UDATA_SET_KEYBYTEORDER)];
  let dataType: Datatype | 'verdict' | 'object' | undefined;
  let objectType: string | undefined;
  if (((set.flags ?? 0) & NFT_SET_OBJECT) !== 0) {
    objectType = objectTypeName(set.objType);
    if (objectType === undefined) return rawSetJson(set, elements);
    dataType = 'object';
  } else if (set.dataType !== undefined) {
    const type = set.dataType === NFT_DATA_VERDICT ? 'verdict' : datatypeById(set.dataType);
    if (type === undefined) return rawSetJson(set, elements);
    dataType = type === 'verdict' ? type : sized(type, set.dataLen, NFTNL_UDATA_SET_DATABYTEORDER);
  }
  const out: Record<string, unknown> = {
    family: familyName(set.family),
    name: set.name,
    table: set.table,
    type: types.length > 1 ? types.map((t) => t.name) : types[0]!.name,
    handle: set.handle,
  };
  if (dataType !== undefined) out.map = dataType === 'verdict' ? 'verdict' : dataType === 'object' ? objectType : dataType.name;
  const flags = [...LISTED_SET_FLAGS].filter(([, bit]) => ((set.flags ?? 0) & bit) !== 0).map(([name]) => name);
  if (flags.length > 0) out.flags = flags;
  // In whole seconds, cut as nft lists them.
  if (set.timeout !== undefined) out.timeout = Math.floor(set.timeout / 1000);
  if (set.gcInterval !== undefined) out['gc-interval'] = Math.floor(set.gcInterval / 1000);
  // nft sizes a constant set to its elements itself, and does not list that.
  if (set.size !== undefined && ((set.flags ?? 0) & NFT_SET_CONSTANT) === 0) out.size = set.size;
  // Nor does nft list a constant set's policy (it sends none for one: see parseSet).
  if (set.policy === NFT_SET_POL_MEMORY && ((set.flags ?? 0) & NFT_SET_CONSTANT) === 0) out.policy = 'memory';
  const comment = userdataString(userdata, NFTNL_UDATA_SET_COMMENT);
  if (comment !== undefined) out.comment = comment;
  const elem: NftExpression[] = decodeElements(set, elements, types, dataType, context);
  if (elem.length > 0) out.elem = elem;
  if (set.expr !== undefined && set.expr.length > 0) out.stmt = setStatements(set.expr, set.family, context);
  return dataType !== undefined ? { map: out as unknown as NftMap } : { set: out as unknown as NftSet };
}
