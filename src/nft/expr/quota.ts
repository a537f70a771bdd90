/** `quota`: matches until a number of bytes has passed it (or, inverted, only after). */
import type { ExprKind } from './spec.js';

export const NFTA_QUOTA_BYTES = 1; // NFTA_QUOTA_BYTES
export const NFTA_QUOTA_FLAGS = 2; // NFTA_QUOTA_FLAGS
export const NFTA_QUOTA_CONSUMED = 4; // NFTA_QUOTA_CONSUMED

/** Match once the quota is used up (`quota over`). */
export const NFT_QUOTA_F_INV = 1 << 0; // NFT_QUOTA_F_INV
/** Set by the kernel once the quota is used up; reported, never sent. */
export const NFT_QUOTA_F_DEPLETED = 1 << 1; // NFT_QUOTA_F_DEPLETED

/** A quota expression descriptor (libnftnl NFTNL_EXPR_QUOTA_*). */
export interface QuotaExpr {
  expr: 'quota';
  bytes?: number | bigint;
  consumed?: number | bigint;
  flags?: number;
}

export const quotaKind: ExprKind = {
  name: 'quota',
  attrs: [
    { key: 'bytes', type: NFTA_QUOTA_BYTES, kind: 'u64' },
    { key: 'consumed', type: NFTA_QUOTA_CONSUMED, kind: 'u64' },
    { key: 'flags', type: NFTA_QUOTA_FLAGS, kind: 'u32' },
  ],
};
