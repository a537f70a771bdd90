/** `numgen`: a number generator (counting up, or random) modulo `modulus`, plus an offset. */
import type { ExprKind } from './spec.js';

export const NFTA_NG_DREG = 1; // NFTA_NG_DREG
export const NFTA_NG_MODULUS = 2; // NFTA_NG_MODULUS
export const NFTA_NG_TYPE = 3; // NFTA_NG_TYPE
export const NFTA_NG_OFFSET = 4; // NFTA_NG_OFFSET

/** 0, 1, ..., modulus - 1, 0, ... across packets (round robin). */
export const NFT_NG_INCREMENTAL = 0; // NFT_NG_INCREMENTAL
/** A random number below the modulus for each packet. */
export const NFT_NG_RANDOM = 1; // NFT_NG_RANDOM

/** A numgen expression descriptor (libnftnl NFTNL_EXPR_NG_*). */
export interface NumgenExpr {
  expr: 'numgen';
  dreg?: number;
  modulus?: number;
  type?: number;
  offset?: number;
}

export const numgenKind: ExprKind = {
  name: 'numgen',
  attrs: [
    { key: 'dreg', type: NFTA_NG_DREG, kind: 'u32' },
    { key: 'modulus', type: NFTA_NG_MODULUS, kind: 'u32' },
    { key: 'type', type: NFTA_NG_TYPE, kind: 'u32' },
    { key: 'offset', type: NFTA_NG_OFFSET, kind: 'u32' },
  ],
};
