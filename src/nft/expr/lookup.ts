/** `lookup`: looks a register up in a set (a match) or a map (loading the mapped value). */
import type { ExprKind } from './spec.js';

export const NFTA_LOOKUP_SET = 1; // NFTA_LOOKUP_SET
export const NFTA_LOOKUP_SREG = 2; // NFTA_LOOKUP_SREG
export const NFTA_LOOKUP_DREG = 3; // NFTA_LOOKUP_DREG
export const NFTA_LOOKUP_SET_ID = 4; // NFTA_LOOKUP_SET_ID
export const NFTA_LOOKUP_FLAGS = 5; // NFTA_LOOKUP_FLAGS

export const NFT_LOOKUP_F_INV = 1 << 0; // NFT_LOOKUP_F_INV

/** A lookup expression descriptor (libnftnl NFTNL_EXPR_LOOKUP_*). */
export interface LookupExpr {
  expr: 'lookup';
  sreg?: number;
  dreg?: number;
  set?: string;
  setId?: number;
  flags?: number;
}

export const lookupKind: ExprKind = {
  name: 'lookup',
  attrs: [
    { key: 'sreg', type: NFTA_LOOKUP_SREG, kind: 'u32' },
    { key: 'dreg', type: NFTA_LOOKUP_DREG, kind: 'u32' },
    { key: 'set', type: NFTA_LOOKUP_SET, kind: 'string' },
    { key: 'setId', type: NFTA_LOOKUP_SET_ID, kind: 'u32' },
    { key: 'flags', type: NFTA_LOOKUP_FLAGS, kind: 'u32' },
  ],
};
