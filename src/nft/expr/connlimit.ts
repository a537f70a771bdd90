/**
 * `connlimit` (nft's `ct count`): counts the tracked connections that reach it while they stay
 * open, and matches while there are at most `count` of them (or, inverted, more).
 */
import type { ExprKind } from './spec.js';

export const NFTA_CONNLIMIT_COUNT = 1; // NFTA_CONNLIMIT_COUNT
export const NFTA_CONNLIMIT_FLAGS = 2; // NFTA_CONNLIMIT_FLAGS

/** Match above the count (`ct count over N`). */
export const NFT_CONNLIMIT_F_INV = 1 << 0; // NFT_CONNLIMIT_F_INV

/** A connlimit expression descriptor (libnftnl NFTNL_EXPR_CONNLIMIT_*). */
export interface ConnlimitExpr {
  expr: 'connlimit';
  count?: number;
  flags?: number;
}

export const connlimitKind: ExprKind = {
  name: 'connlimit',
  attrs: [
    { key: 'count', type: NFTA_CONNLIMIT_COUNT, kind: 'u32' },
    { key: 'flags', type: NFTA_CONNLIMIT_FLAGS, kind: 'u32' },
  ],
};
