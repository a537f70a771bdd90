/** `byteorder`: converts a register between host and network byte order. */
import type { ExprKind } from './spec.js';

export const NFTA_BYTEORDER_SREG = 1; // NFTA_BYTEORDER_SREG
export const NFTA_BYTEORDER_DREG = 2; // NFTA_BYTEORDER_DREG
export const NFTA_BYTEORDER_OP = 3; // NFTA_BYTEORDER_OP
export const NFTA_BYTEORDER_LEN = 4; // NFTA_BYTEORDER_LEN
export const NFTA_BYTEORDER_SIZE = 5; // NFTA_BYTEORDER_SIZE

export const NFT_BYTEORDER_NTOH = 0; // NFT_BYTEORDER_NTOH
export const NFT_BYTEORDER_HTON = 1; // NFT_BYTEORDER_HTON

/** A byteorder expression descriptor (libnftnl NFTNL_EXPR_BYTEORDER_*). */
export interface ByteorderExpr {
  expr: 'byteorder';
  sreg?: number;
  dreg?: number;
  op?: number;
  /** Bytes to convert. */
  len?: number;
  /** The size of each value converted (2, 4 or 8). */
  size?: number;
}

export const byteorderKind: ExprKind = {
  name: 'byteorder',
  attrs: [
    { key: 'sreg', type: NFTA_BYTEORDER_SREG, kind: 'u32' },
    { key: 'dreg', type: NFTA_BYTEORDER_DREG, kind: 'u32' },
    { key: 'op', type: NFTA_BYTEORDER_OP, kind: 'u32' },
    { key: 'len', type: NFTA_BYTEORDER_LEN, kind: 'u32' },
    { key: 'size', type: NFTA_BYTEORDER_SIZE, kind: 'u32' },
  ],
};
