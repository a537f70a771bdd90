/** `range`: checks that a register lies (or does not lie) within [from, to]. */
import type { ExprKind } from './spec.js';

export const NFTA_RANGE_SREG = 1; // NFTA_RANGE_SREG
export const NFTA_RANGE_OP = 2; // NFTA_RANGE_OP
export const NFTA_RANGE_FROM_DATA = 3; // NFTA_RANGE_FROM_DATA
export const NFTA_RANGE_TO_DATA = 4; // NFTA_RANGE_TO_DATA

export const NFT_RANGE_EQ = 0; // NFT_RANGE_EQ
export const NFT_RANGE_NEQ = 1; // NFT_RANGE_NEQ

/** A range expression descriptor (libnftnl NFTNL_EXPR_RANGE_*). */
export interface RangeExpr {
  expr: 'range';
  sreg?: number;
  op?: number;
  from?: Uint8Array;
  to?: Uint8Array;
}

export const rangeKind: ExprKind = {
  name: 'range',
  attrs: [
    { key: 'sreg', type: NFTA_RANGE_SREG, kind: 'u32' },
    { key: 'op', type: NFTA_RANGE_OP, kind: 'u32' },
    { key: 'from', type: NFTA_RANGE_FROM_DATA, kind: 'data' },
    { key: 'to', type: NFTA_RANGE_TO_DATA, kind: 'data' },
  ],
};
