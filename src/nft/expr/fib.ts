/** `fib`: looks the packet up in the routing tables (reverse-path checks, address types). */
import type { ExprKind } from './spec.js';

export const NFTA_FIB_DREG = 1; // NFTA_FIB_DREG
export const NFTA_FIB_RESULT = 2; // NFTA_FIB_RESULT
export const NFTA_FIB_FLAGS = 3; // NFTA_FIB_FLAGS

/** What the lookup returns (enum nft_fib_result). */
export const NFT_FIB_RESULT_OIF = 1; // NFT_FIB_RESULT_OIF
export const NFT_FIB_RESULT_OIFNAME = 2; // NFT_FIB_RESULT_OIFNAME
export const NFT_FIB_RESULT_ADDRTYPE = 3; // NFT_FIB_RESULT_ADDRTYPE

/** What the lookup uses (enum nft_fib_flags). */
export const NFTA_FIB_F_SADDR = 1 << 0; // NFTA_FIB_F_SADDR
export const NFTA_FIB_F_DADDR = 1 << 1; // NFTA_FIB_F_DADDR
export const NFTA_FIB_F_MARK = 1 << 2; // NFTA_FIB_F_MARK
export const NFTA_FIB_F_IIF = 1 << 3; // NFTA_FIB_F_IIF
export const NFTA_FIB_F_OIF = 1 << 4; // NFTA_FIB_F_OIF
/** Return whether a route was found (one byte, 1 or 0) instead of the interface. */
export const NFTA_FIB_F_PRESENT = 1 << 5; // NFTA_FIB_F_PRESENT

/** A fib expression descriptor (libnftnl NFTNL_EXPR_FIB_*). */
export interface FibExpr {
  expr: 'fib';
  dreg?: number;
  result?: number;
  flags?: number;
}

export const fibKind: ExprKind = {
  name: 'fib',
  attrs: [
    { key: 'flags', type: NFTA_FIB_FLAGS, kind: 'u32' },
    { key: 'result', type: NFTA_FIB_RESULT, kind: 'u32' },
    { key: 'dreg', type: NFTA_FIB_DREG, kind: 'u32' },
  ],
};
