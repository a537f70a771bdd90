/** `cmp`: compares a register with a constant; the rule stops here unless it holds. */
import type { ExprKind } from './spec.js';

export const NFTA_CMP_SREG = 1; // NFTA_CMP_SREG
export const NFTA_CMP_OP = 2; // NFTA_CMP_OP
export const NFTA_CMP_DATA = 3; // NFTA_CMP_DATA

export const NFT_CMP_EQ = 0; // NFT_CMP_EQ
export const NFT_CMP_NEQ = 1; // NFT_CMP_NEQ
export const NFT_CMP_LT = 2; // NFT_CMP_LT
export const NFT_CMP_LTE = 3; // NFT_CMP_LTE
export const NFT_CMP_GT = 4; // NFT_CMP_GT
export const NFT_CMP_GTE = 5; // NFT_CMP_GTE

/** A cmp expression descriptor (libnftnl NFTNL_EXPR_CMP_*). */
export interface CmpExpr {
  expr: 'cmp';
  sreg?: number;
  op?: number;
  data?: Uint8Array;
}

export const cmpKind: ExprKind = {
  name: 'cmp',
  attrs: [
    { key: 'sreg', type: NFTA_CMP_SREG, kind: 'u32' },
    { key: 'op', type: NFTA_CMP_OP, kind: 'u32' },
    { key: 'data', type: NFTA_CMP_DATA, kind: 'data' },
  ],
};
