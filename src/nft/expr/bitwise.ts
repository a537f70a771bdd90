/** `bitwise`: dreg = (sreg & mask) ^ xor (or a shift), for masks, prefixes and mark arithmetic. */
import type { ExprKind } from './spec.js';

export const NFTA_BITWISE_SREG = 1; // NFTA_BITWISE_SREG
export const NFTA_BITWISE_DREG = 2; // NFTA_BITWISE_DREG
export const NFTA_BITWISE_LEN = 3; // NFTA_BITWISE_LEN
export const NFTA_BITWISE_MASK = 4; // NFTA_BITWISE_MASK
export const NFTA_BITWISE_XOR = 5; // NFTA_BITWISE_XOR
export const NFTA_BITWISE_OP = 6; // NFTA_BITWISE_OP
export const NFTA_BITWISE_DATA = 7; // NFTA_BITWISE_DATA

export const NFT_BITWISE_BOOL = 0; // NFT_BITWISE_BOOL (NFT_BITWISE_MASK_XOR)
export const NFT_BITWISE_LSHIFT = 1; // NFT_BITWISE_LSHIFT
export const NFT_BITWISE_RSHIFT = 2; // NFT_BITWISE_RSHIFT

/** A bitwise expression descriptor (libnftnl NFTNL_EXPR_BITWISE_*). */
export interface BitwiseExpr {
  expr: 'bitwise';
  sreg?: number;
  dreg?: number;
  len?: number;
  mask?: Uint8Array;
  xor?: Uint8Array;
  op?: number;
  data?: Uint8Array;
}

export const bitwiseKind: ExprKind = {
  name: 'bitwise',
  attrs: [
    { key: 'sreg', type: NFTA_BITWISE_SREG, kind: 'u32' },
    { key: 'dreg', type: NFTA_BITWISE_DREG, kind: 'u32' },
    { key: 'op', type: NFTA_BITWISE_OP, kind: 'u32' },
    { key: 'len', type: NFTA_BITWISE_LEN, kind: 'u32' },
    { key: 'mask', type: NFTA_BITWISE_MASK, kind: 'data' },
    { key: 'xor', type: NFTA_BITWISE_XOR, kind: 'data' },
    { key: 'data', type: NFTA_BITWISE_DATA, kind: 'data' },
  ],
};
