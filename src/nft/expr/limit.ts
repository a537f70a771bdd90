/** `limit`: matches until a rate (packets or bytes per time unit) is exceeded, or after. */
import type { ExprKind } from './spec.js';

export const NFTA_LIMIT_RATE = 1; // NFTA_LIMIT_RATE
export const NFTA_LIMIT_UNIT = 2; // NFTA_LIMIT_UNIT
export const NFTA_LIMIT_BURST = 3; // NFTA_LIMIT_BURST
export const NFTA_LIMIT_TYPE = 4; // NFTA_LIMIT_TYPE
export const NFTA_LIMIT_FLAGS = 5; // NFTA_LIMIT_FLAGS

export const NFT_LIMIT_PKTS = 0; // NFT_LIMIT_PKTS
export const NFT_LIMIT_PKT_BYTES = 1; // NFT_LIMIT_PKT_BYTES
export const NFT_LIMIT_F_INV = 1 << 0; // NFT_LIMIT_F_INV

/** A limit expression descriptor (libnftnl NFTNL_EXPR_LIMIT_*); `unit` is in seconds. */
export interface LimitExpr {
  expr: 'limit';
  rate?: number | bigint;
  unit?: number | bigint;
  burst?: number;
  type?: number;
  flags?: number;
}

export const limitKind: ExprKind = {
  name: 'limit',
  attrs: [
    { key: 'rate', type: NFTA_LIMIT_RATE, kind: 'u64' },
    { key: 'unit', type: NFTA_LIMIT_UNIT, kind: 'u64' },
    { key: 'burst', type: NFTA_LIMIT_BURST, kind: 'u32' },
    { key: 'type', type: NFTA_LIMIT_TYPE, kind: 'u32' },
    { key: 'flags', type: NFTA_LIMIT_FLAGS, kind: 'u32' },
  ],
};
