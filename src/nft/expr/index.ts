/**
 * Expression descriptors and their encoding: one file per expression kind, as in
 * google/nftables. A descriptor names its kind (`expr`) and carries libnftnl's attributes.
 */
import type { MessageWriter } from '../../netlink/attributes.js';
import { NFTA_EXPR_DATA, NFTA_EXPR_NAME, NFTA_LIST_ELEM } from '../constants.js';
import { bitwiseKind, type BitwiseExpr } from './bitwise.js';
import { byteorderKind, type ByteorderExpr } from './byteorder.js';
import { cmpKind, type CmpExpr } from './cmp.js';
import { connlimitKind, type ConnlimitExpr } from './connlimit.js';
import { counterKind, type CounterExpr } from './counter.js';
import { ctKind, type CtExpr } from './ct.js';
import { dupKind, type DupExpr } from './dup.js';
import { dynsetKind, type DynsetExpr } from './dynset.js';
import { exthdrKind, type ExthdrExpr } from './exthdr.js';
import { fibKind, type FibExpr } from './fib.js';
import { hashKind, type HashExpr } from './hash.js';
import { immediateKind, type ImmediateExpr } from './immediate.js';
import { limitKind, type LimitExpr } from './limit.js';
import { logKind, type LogExpr } from './log.js';
import { lookupKind, type LookupExpr } from './lookup.js';
import { masqKind, type MasqExpr } from './masq.js';
import { metaKind, type MetaExpr } from './meta.js';
import { natKind, type NatExpr } from './nat.js';
import { notrackKind, type NotrackExpr } from './notrack.js';
import { numgenKind, type NumgenExpr } from './numgen.js';
import { objrefKind, type ObjrefExpr } from './objref.js';
import { payloadKind, type PayloadExpr } from './payload.js';
import { quotaKind, type QuotaExpr } from './quota.js';
import { rangeKind, type RangeExpr } from './range.js';
import type { RawExpr } from './raw.js';
import { redirKind, type RedirExpr } from './redir.js';
import { rejectKind, type RejectExpr } from './reject.js';
import { rtKind, type RtExpr } from './rt.js';
import { socketKind, type SocketExpr } from './socket.js';
import { synproxyKind, type SynproxyExpr } from './synproxy.js';
import { tproxyKind, type TproxyExpr } from './tproxy.js';
import { writeAttributes, type ExprKind, type SlotRecorder } from './spec.js';

export type { BitwiseExpr, ByteorderExpr, CmpExpr, ConnlimitExpr, CounterExpr, CtExpr, DupExpr, DynsetExpr, ExthdrExpr, FibExpr, HashExpr, ImmediateExpr, LimitExpr, LogExpr, LookupExpr, MasqExpr, MetaExpr, NatExpr, NotrackExpr, NumgenExpr, ObjrefExpr, PayloadExpr, QuotaExpr, RangeExpr, RawExpr, RedirExpr, RejectExpr, RtExpr, SocketExpr, TproxyExpr };
export type { SlotRecorder } from './spec.js';

/** An expression routemark knows. */
export type KnownExpr =
  | PayloadExpr
  | MetaExpr
  | CtExpr
  | CmpExpr
  | RangeExpr
  | BitwiseExpr
  | ImmediateExpr
  | CounterExpr
  | LookupExpr
  | NatExpr
  | MasqExpr
  | RedirExpr
  | LogExpr
  | LimitExpr
  | RejectExpr
  | ExthdrExpr
  | RtExpr
  | ByteorderExpr
  | FibExpr
  | QuotaExpr
  | NotrackExpr
  | NumgenExpr
  | HashExpr
  | SocketExpr
  | TproxyExpr
  | DynsetExpr
  | ConnlimitExpr
  | DupExpr
  | ObjrefExpr
  | SynproxyExpr;

/** Any expression descriptor: a known kind, or an unknown one kept raw. */
export type ExprDescriptor = KnownExpr | RawExpr;

const KINDS: ReadonlyMap<string, ExprKind> = new Map(
  [payloadKind, metaKind, ctKind, cmpKind, rangeKind, bitwiseKind, immediateKind, counterKind, lookupKind, natKind, masqKind, redirKind, logKind, limitKind, rejectKind, exthdrKind, rtKind, byteorderKind, fibKind, quotaKind, notrackKind, numgenKind, hashKind, socketKind, tproxyKind, dynsetKind, connlimitKind, dupKind, objrefKind, synproxyKind].map((kind) => [kind.name, kind]),
);

/** The kind of a known expression name, or undefined. */
export function exprKind(name: string): ExprKind | undefined {
  return KINDS.get(name);
}

/** Whether a descriptor is an unknown expression kept raw. */
export function isRawExpr(descriptor: ExprDescriptor): descriptor is RawExpr {
  return (descriptor as RawExpr).raw !== undefined;
}

/** Writes one expression as NFTA_LIST_ELEM { NFTA_EXPR_NAME, NFTA_EXPR_DATA { ... } }. */
export function writeExpression(writer: MessageWriter, descriptor: ExprDescriptor, recorder?: SlotRecorder): void {
  writer.beginNest(NFTA_LIST_ELEM, true);
  writeExpressionBody(writer, descriptor, recorder);
  writer.endNest();
}

/**
 * Writes an expression's NFTA_EXPR_NAME and NFTA_EXPR_DATA { ... } into the nest the caller
 * opened: a list element of a rule, or a set's one NFTA_SET_EXPR.
 */
export function writeExpressionBody(writer: MessageWriter, descriptor: ExprDescriptor, recorder?: SlotRecorder): void {
  writer.attrString(NFTA_EXPR_NAME, descriptor.expr);
  if (isRawExpr(descriptor)) {
    // An expression without attributes (notrack) has no data nest, in the kernel's dumps too.
    if (descriptor.raw.length > 0) {
      writer.beginNest(NFTA_EXPR_DATA, true);
      writer.raw(descriptor.raw);
      writer.endNest();
    }
  } else {
    const kind = KINDS.get(descriptor.expr);
    if (kind === undefined) throw new Error(`routemark: no encoder for expression ${descriptor.expr}`);
    if (kind.attrs.length > 0 || kind.encode) {
      writer.beginNest(NFTA_EXPR_DATA, true);
      const record = descriptor as unknown as Record<string, unknown>;
      if (kind.encode) kind.encode(writer, record, recorder);
      else writeAttributes(writer, kind, record, recorder);
      writer.endNest();
    }
  }
}

/**
 * Turns an expression as the addon's parser returns it (data as hex) into a descriptor (data as
 * bytes).
 */
export function descriptorFromParsed(parsed: Record<string, unknown>): ExprDescriptor {
  const name = parsed.expr as string;
  if (typeof parsed.raw === 'string') return { expr: name, raw: Buffer.from(parsed.raw, 'hex') };
  const kind = KINDS.get(name);
  if (kind === undefined) return { expr: name, raw: new Uint8Array(0) };
  const out: Record<string, unknown> = { expr: name };
  for (const attr of kind.attrs) {
    const value = parsed[attr.key];
    if (value === undefined) continue;
    out[attr.key] = attr.kind === 'data' ? Buffer.from(value as string, 'hex') : value;
  }
  return out as unknown as ExprDescriptor;
}
