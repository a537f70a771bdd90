/**
 * nf_tables messages as plain descriptors (the attributes libnftnl knows them by) and their
 * encoding into a Batch: tables, chains, rules, sets, set elements, batch framing and the
 * generation request. Attribute order follows libnftnl; tests compare the bytes with it.
 */
import type { MessageWriter } from '../netlink/attributes.js';
import { NFGENMSG_SIZE, NFNETLINK_V0, NFTA_CHAIN_FLAGS, NFTA_CHAIN_HANDLE, NFTA_CHAIN_HOOK, NFTA_CHAIN_ID, NFTA_CHAIN_NAME, NFTA_CHAIN_POLICY, NFTA_CHAIN_TABLE, NFTA_CHAIN_TYPE, NFTA_CHAIN_USERDATA, NFTA_DATA_VALUE, NFTA_HOOK_DEV, NFTA_HOOK_HOOKNUM, NFTA_HOOK_PRIORITY, NFTA_LIST_ELEM, NFTA_OBJ_DATA, NFTA_OBJ_HANDLE, NFTA_OBJ_NAME, NFTA_OBJ_TABLE, NFTA_OBJ_TYPE, NFTA_OBJ_USERDATA, NFTA_RULE_CHAIN, NFTA_RULE_EXPRESSIONS, NFTA_RULE_HANDLE, NFTA_RULE_ID, NFTA_RULE_POSITION, NFTA_RULE_POSITION_ID, NFTA_RULE_TABLE, NFTA_RULE_USERDATA, NFTA_SET_DATA_LEN, NFTA_SET_DATA_TYPE, NFTA_SET_DESC, NFTA_SET_DESC_CONCAT, NFTA_SET_DESC_SIZE, NFTA_SET_ELEM_DATA, NFTA_SET_ELEM_EXPIRATION, NFTA_SET_ELEM_FLAGS, NFTA_SET_ELEM_KEY, NFTA_SET_ELEM_KEY_END, NFTA_SET_ELEM_LIST_ELEMENTS, NFTA_SET_ELEM_LIST_SET, NFTA_SET_ELEM_LIST_SET_ID, NFTA_SET_ELEM_LIST_TABLE, NFTA_SET_ELEM_OBJREF, NFTA_SET_ELEM_TIMEOUT, NFTA_SET_ELEM_USERDATA, NFTA_SET_EXPR, NFTA_SET_EXPRESSIONS, NFTA_SET_FIELD_LEN, NFTA_SET_FLAGS, NFTA_SET_GC_INTERVAL, NFTA_SET_HANDLE, NFTA_SET_ID, NFTA_SET_KEY_LEN, NFTA_SET_KEY_TYPE, NFTA_SET_NAME, NFTA_SET_OBJ_TYPE, NFTA_SET_POLICY, NFTA_SET_TABLE, NFTA_SET_TIMEOUT, NFTA_SET_USERDATA, NFTA_TABLE_FLAGS, NFTA_TABLE_HANDLE, NFTA_TABLE_NAME, NFTA_TABLE_USERDATA, NFT_OBJECT_COUNTER, NFT_OBJECT_QUOTA } from './constants.js';
import { writeExpression, writeExpressionBody, type ExprDescriptor, type SlotRecorder } from './expr/index.js';
import { counterKind, type CounterExpr } from './expr/counter.js';
import { writeVerdict } from './expr/immediate.js';
import { quotaKind, type QuotaExpr } from './expr/quota.js';
import { writeAttributes } from './expr/spec.js';

/** A table message (libnftnl NFTNL_TABLE_*). */
export interface TableMessage {
  name?: string;
  handle?: number;
  flags?: number;
  userdata?: Uint8Array;
}

/** A chain message (libnftnl NFTNL_CHAIN_*); `chainType` is the base chain type. */
export interface ChainMessage {
  table?: string;
  name?: string;
  handle?: number;
  hooknum?: number;
  prio?: number;
  dev?: string;
  policy?: number;
  chainType?: string;
  flags?: number;
  id?: number;
  userdata?: Uint8Array;
}

/** A rule message (libnftnl NFTNL_RULE_*). */
export interface RuleMessage {
  table?: string;
  chain?: string;
  handle?: number;
  position?: number;
  userdata?: Uint8Array;
  id?: number;
  positionId?: number;
  expr?: ExprDescriptor[];
}

/** A set message (libnftnl NFTNL_SET_*). */
export interface SetMessage {
  table?: string;
  name?: string;
  handle?: number;
  flags?: number;
  keyType?: number;
  keyLen?: number;
  dataType?: number;
  dataLen?: number;
  objType?: number;
  id?: number;
  policy?: number;
  size?: number;
  fieldLengths?: number[];
  timeout?: number;
  gcInterval?: number;
  userdata?: Uint8Array;
  /** What the set gives each element (a counter, a limit...): NFTA_SET_EXPR, or NFTA_SET_EXPRESSIONS for several. */
  expressions?: ExprDescriptor[];
}

/** One set element (libnftnl NFTNL_SET_ELEM_*): data for maps, verdict (+chain) for vmaps. */
export interface ElementMessage {
  key?: Uint8Array;
  keyEnd?: Uint8Array;
  data?: Uint8Array;
  verdict?: number;
  chain?: string;
  flags?: number;
  timeout?: number;
  /** NFTA_SET_ELEM_EXPIRATION: milliseconds left of the timeout (nft's `expires`). */
  expiration?: number;
  userdata?: Uint8Array;
  /** The named object an element of an object map maps to (`counter`, `quota`). */
  objref?: string;
}

/** A set-element list message: which set (by name, or by id within the batch) and its elements. */
export interface ElementsMessage {
  table?: string;
  set?: string;
  setId?: number;
  elements: ElementMessage[];
}

/**
 * A stateful object message (libnftnl NFTNL_OBJ_*): `type` is NFT_OBJECT_*, and the object's
 * state is in `counter` or `quota` (the attributes of the expressions of the same name).
 */
export interface ObjectMessage {
  table?: string;
  name?: string;
  type?: number;
  handle?: number;
  userdata?: Uint8Array;
  counter?: Pick<CounterExpr, 'packets' | 'bytes'>;
  quota?: Pick<QuotaExpr, 'bytes' | 'consumed' | 'flags'>;
}

/** struct nfgenmsg: family, version, resource id (big-endian). */
export function writeNfgenmsg(writer: MessageWriter, family: number, resId = 0): void {
  writer.u8(family);
  writer.u8(NFNETLINK_V0);
  writer.be16(resId);
}

/** Table attributes. */
export function writeTable(writer: MessageWriter, table: TableMessage): void {
  if (table.name !== undefined) writer.attrString(NFTA_TABLE_NAME, table.name);
  if (table.handle !== undefined) writer.attrBe64(NFTA_TABLE_HANDLE, BigInt(table.handle));
  if (table.flags !== undefined) writer.attrBe32(NFTA_TABLE_FLAGS, table.flags);
  if (table.userdata !== undefined) writer.attrBytes(NFTA_TABLE_USERDATA, table.userdata);
}

/** Chain attributes. */
export function writeChain(writer: MessageWriter, chain: ChainMessage): void {
  if (chain.table !== undefined) writer.attrString(NFTA_CHAIN_TABLE, chain.table);
  if (chain.name !== undefined) writer.attrString(NFTA_CHAIN_NAME, chain.name);
  if (chain.hooknum !== undefined && chain.prio !== undefined) {
    writer.beginNest(NFTA_CHAIN_HOOK, true);
    writer.attrBe32(NFTA_HOOK_HOOKNUM, chain.hooknum);
    writer.attrBe32(NFTA_HOOK_PRIORITY, chain.prio >>> 0);
    if (chain.dev !== undefined) writer.attrString(NFTA_HOOK_DEV, chain.dev);
    writer.endNest();
  }
  if (chain.policy !== undefined) writer.attrBe32(NFTA_CHAIN_POLICY, chain.policy);
  if (chain.handle !== undefined) writer.attrBe64(NFTA_CHAIN_HANDLE, BigInt(chain.handle));
  if (chain.chainType !== undefined) writer.attrString(NFTA_CHAIN_TYPE, chain.chainType);
  if (chain.flags !== undefined) writer.attrBe32(NFTA_CHAIN_FLAGS, chain.flags);
  if (chain.id !== undefined) writer.attrBe32(NFTA_CHAIN_ID, chain.id);
  if (chain.userdata !== undefined) writer.attrBytes(NFTA_CHAIN_USERDATA, chain.userdata);
}

/** Object attributes; the state nest (NFTA_OBJ_DATA) goes with the type, as libnftnl writes it. */
export function writeObject(writer: MessageWriter, object: ObjectMessage): void {
  if (object.table !== undefined) writer.attrString(NFTA_OBJ_TABLE, object.table);
  if (object.name !== undefined) writer.attrString(NFTA_OBJ_NAME, object.name);
  if (object.type !== undefined) writer.attrBe32(NFTA_OBJ_TYPE, object.type);
  if (object.handle !== undefined) writer.attrBe64(NFTA_OBJ_HANDLE, BigInt(object.handle));
  if (object.userdata !== undefined) writer.attrBytes(NFTA_OBJ_USERDATA, object.userdata);
  if (object.type === NFT_OBJECT_COUNTER || object.type === NFT_OBJECT_QUOTA) {
    writer.beginNest(NFTA_OBJ_DATA, true);
    if (object.type === NFT_OBJECT_COUNTER) writeAttributes(writer, counterKind, { ...object.counter });
    else writeAttributes(writer, quotaKind, { ...object.quota });
    writer.endNest();
  }
}

/** The NFTA_RULE_EXPRESSIONS nest. */
export function writeExpressions(writer: MessageWriter, expressions: readonly ExprDescriptor[], recorder?: SlotRecorder): void {
  writer.beginNest(NFTA_RULE_EXPRESSIONS, true);
  for (const expression of expressions) writeExpression(writer, expression, recorder);
  writer.endNest();
}

/** Rule attributes. */
export function writeRule(writer: MessageWriter, rule: RuleMessage, recorder?: SlotRecorder): void {
  if (rule.table !== undefined) writer.attrString(NFTA_RULE_TABLE, rule.table);
  if (rule.chain !== undefined) writer.attrString(NFTA_RULE_CHAIN, rule.chain);
  if (rule.handle !== undefined) writer.attrBe64(NFTA_RULE_HANDLE, BigInt(rule.handle));
  if (rule.position !== undefined) writer.attrBe64(NFTA_RULE_POSITION, BigInt(rule.position));
  if (rule.userdata !== undefined) writer.attrBytes(NFTA_RULE_USERDATA, rule.userdata);
  if (rule.expr !== undefined && rule.expr.length > 0) writeExpressions(writer, rule.expr, recorder);
  if (rule.id !== undefined) writer.attrBe32(NFTA_RULE_ID, rule.id);
  if (rule.positionId !== undefined) writer.attrBe32(NFTA_RULE_POSITION_ID, rule.positionId);
}

/** Set attributes. */
export function writeSet(writer: MessageWriter, set: SetMessage): void {
  if (set.table !== undefined) writer.attrString(NFTA_SET_TABLE, set.table);
  if (set.name !== undefined) writer.attrString(NFTA_SET_NAME, set.name);
  if (set.handle !== undefined) writer.attrBe64(NFTA_SET_HANDLE, BigInt(set.handle));
  if (set.flags !== undefined) writer.attrBe32(NFTA_SET_FLAGS, set.flags);
  if (set.keyType !== undefined) writer.attrBe32(NFTA_SET_KEY_TYPE, set.keyType);
  if (set.keyLen !== undefined) writer.attrBe32(NFTA_SET_KEY_LEN, set.keyLen);
  if (set.dataType !== undefined) writer.attrBe32(NFTA_SET_DATA_TYPE, set.dataType);
  if (set.dataLen !== undefined) writer.attrBe32(NFTA_SET_DATA_LEN, set.dataLen);
  if (set.objType !== undefined) writer.attrBe32(NFTA_SET_OBJ_TYPE, set.objType);
  if (set.id !== undefined) writer.attrBe32(NFTA_SET_ID, set.id);
  if (set.policy !== undefined) writer.attrBe32(NFTA_SET_POLICY, set.policy);
  if (set.size !== undefined || set.fieldLengths !== undefined) {
    writer.beginNest(NFTA_SET_DESC, true);
    if (set.size !== undefined) writer.attrBe32(NFTA_SET_DESC_SIZE, set.size);
    if (set.fieldLengths !== undefined) {
      writer.beginNest(NFTA_SET_DESC_CONCAT, true);
      for (const length of set.fieldLengths) {
        writer.beginNest(NFTA_LIST_ELEM, true);
        writer.attrBe32(NFTA_SET_FIELD_LEN, length);
        writer.endNest();
      }
      writer.endNest();
    }
    writer.endNest();
  }
  if (set.timeout !== undefined) writer.attrBe64(NFTA_SET_TIMEOUT, BigInt(set.timeout));
  if (set.gcInterval !== undefined) writer.attrBe32(NFTA_SET_GC_INTERVAL, set.gcInterval);
  if (set.userdata !== undefined) writer.attrBytes(NFTA_SET_USERDATA, set.userdata);
  // As libnftnl writes them: one expression alone, several as a list.
  if (set.expressions?.length === 1) {
    writer.beginNest(NFTA_SET_EXPR, true);
    writeExpressionBody(writer, set.expressions[0]!);
    writer.endNest();
  } else if (set.expressions !== undefined && set.expressions.length > 1) {
    writer.beginNest(NFTA_SET_EXPRESSIONS, true);
    for (const expression of set.expressions) writeExpression(writer, expression);
    writer.endNest();
  }
}

/**
 * One element of NFTA_SET_ELEM_LIST_ELEMENTS. libnftnl numbers the element nests 1, 2, 3, ...
 * where the kernel reads any type; `position` (0-based) does the same so the bytes match.
 */
export function writeElement(writer: MessageWriter, element: ElementMessage, position = 0): void {
  writer.beginNest(position + 1, true);
  if (element.flags !== undefined) writer.attrBe32(NFTA_SET_ELEM_FLAGS, element.flags);
  if (element.timeout !== undefined) writer.attrBe64(NFTA_SET_ELEM_TIMEOUT, BigInt(element.timeout));
  if (element.expiration !== undefined) writer.attrBe64(NFTA_SET_ELEM_EXPIRATION, BigInt(element.expiration));
  if (element.key !== undefined) {
    writer.beginNest(NFTA_SET_ELEM_KEY, true);
    writer.attrBytes(NFTA_DATA_VALUE, element.key);
    writer.endNest();
  }
  if (element.keyEnd !== undefined) {
    writer.beginNest(NFTA_SET_ELEM_KEY_END, true);
    writer.attrBytes(NFTA_DATA_VALUE, element.keyEnd);
    writer.endNest();
  }
  if (element.verdict !== undefined) writeVerdict(writer, NFTA_SET_ELEM_DATA, element.verdict, element.chain);
  else if (element.data !== undefined) {
    writer.beginNest(NFTA_SET_ELEM_DATA, true);
    writer.attrBytes(NFTA_DATA_VALUE, element.data);
    writer.endNest();
  }
  if (element.userdata !== undefined) writer.attrBytes(NFTA_SET_ELEM_USERDATA, element.userdata);
  if (element.objref !== undefined) writer.attrString(NFTA_SET_ELEM_OBJREF, element.objref);
  writer.endNest();
}

/** Set-element list attributes. */
export function writeElements(writer: MessageWriter, message: ElementsMessage): void {
  if (message.set !== undefined) writer.attrString(NFTA_SET_ELEM_LIST_SET, message.set);
  if (message.setId !== undefined) writer.attrBe32(NFTA_SET_ELEM_LIST_SET_ID, message.setId);
  if (message.table !== undefined) writer.attrString(NFTA_SET_ELEM_LIST_TABLE, message.table);
  if (message.elements.length > 0) {
    writer.beginNest(NFTA_SET_ELEM_LIST_ELEMENTS, true);
    for (let i = 0; i < message.elements.length; i++) writeElement(writer, message.elements[i]!, i);
    writer.endNest();
  }
}

/** Bytes of the fixed nfgenmsg header. */
export const NFGENMSG_LENGTH = NFGENMSG_SIZE;
