/** `masq`: source NAT to the address of the outgoing interface. */
import type { ExprKind } from './spec.js';

export const NFTA_MASQ_FLAGS = 1; // NFTA_MASQ_FLAGS
export const NFTA_MASQ_REG_PROTO_MIN = 2; // NFTA_MASQ_REG_PROTO_MIN
export const NFTA_MASQ_REG_PROTO_MAX = 3; // NFTA_MASQ_REG_PROTO_MAX

/** A masq expression descriptor (libnftnl NFTNL_EXPR_MASQ_*). */
export interface MasqExpr {
  expr: 'masq';
  flags?: number;
  regProtoMin?: number;
  regProtoMax?: number;
}

export const masqKind: ExprKind = {
  name: 'masq',
  attrs: [
    { key: 'flags', type: NFTA_MASQ_FLAGS, kind: 'u32' },
    { key: 'regProtoMin', type: NFTA_MASQ_REG_PROTO_MIN, kind: 'u32' },
    { key: 'regProtoMax', type: NFTA_MASQ_REG_PROTO_MAX, kind: 'u32' },
  ],
};
