/** `meta`: loads or sets packet metadata (mark, interfaces, protocols, socket owner, ...). */
import type { ExprKind } from './spec.js';

export const NFTA_META_DREG = 1; // NFTA_META_DREG
export const NFTA_META_KEY = 2; // NFTA_META_KEY
export const NFTA_META_SREG = 3; // NFTA_META_SREG

export const NFT_META_LEN = 0; // NFT_META_LEN
export const NFT_META_PROTOCOL = 1; // NFT_META_PROTOCOL
export const NFT_META_PRIORITY = 2; // NFT_META_PRIORITY
export const NFT_META_MARK = 3; // NFT_META_MARK
export const NFT_META_IIF = 4; // NFT_META_IIF
export const NFT_META_OIF = 5; // NFT_META_OIF
export const NFT_META_IIFNAME = 6; // NFT_META_IIFNAME
export const NFT_META_OIFNAME = 7; // NFT_META_OIFNAME
export const NFT_META_IIFTYPE = 8; // NFT_META_IIFTYPE
export const NFT_META_OIFTYPE = 9; // NFT_META_OIFTYPE
export const NFT_META_SKUID = 10; // NFT_META_SKUID
export const NFT_META_SKGID = 11; // NFT_META_SKGID
export const NFT_META_NFTRACE = 12; // NFT_META_NFTRACE
export const NFT_META_RTCLASSID = 13; // NFT_META_RTCLASSID
export const NFT_META_SECMARK = 14; // NFT_META_SECMARK
export const NFT_META_NFPROTO = 15; // NFT_META_NFPROTO
export const NFT_META_L4PROTO = 16; // NFT_META_L4PROTO
export const NFT_META_PKTTYPE = 19; // NFT_META_PKTTYPE
export const NFT_META_CPU = 20; // NFT_META_CPU
export const NFT_META_IIFGROUP = 21; // NFT_META_IIFGROUP
export const NFT_META_OIFGROUP = 22; // NFT_META_OIFGROUP
export const NFT_META_CGROUP = 23; // NFT_META_CGROUP
export const NFT_META_PRANDOM = 24; // NFT_META_PRANDOM
export const NFT_META_SECPATH = 25; // NFT_META_SECPATH
export const NFT_META_IIFKIND = 26; // NFT_META_IIFKIND
export const NFT_META_OIFKIND = 27; // NFT_META_OIFKIND

/** A meta expression descriptor (libnftnl NFTNL_EXPR_META_*). */
export interface MetaExpr {
  expr: 'meta';
  key?: number;
  dreg?: number;
  sreg?: number;
}

export const metaKind: ExprKind = {
  name: 'meta',
  attrs: [
    { key: 'key', type: NFTA_META_KEY, kind: 'u32' },
    { key: 'dreg', type: NFTA_META_DREG, kind: 'u32' },
    { key: 'sreg', type: NFTA_META_SREG, kind: 'u32' },
  ],
};
