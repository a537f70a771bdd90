/** `reject`: drops the packet and answers with an ICMP error or a TCP reset. */
import type { ExprKind } from './spec.js';

export const NFTA_REJECT_TYPE = 1; // NFTA_REJECT_TYPE
export const NFTA_REJECT_ICMP_CODE = 2; // NFTA_REJECT_ICMP_CODE

export const NFT_REJECT_ICMP_UNREACH = 0; // NFT_REJECT_ICMP_UNREACH
export const NFT_REJECT_TCP_RST = 1; // NFT_REJECT_TCP_RST
export const NFT_REJECT_ICMPX_UNREACH = 2; // NFT_REJECT_ICMPX_UNREACH

/** ICMPX codes (enum nft_reject_inet_code). */
export const NFT_REJECT_ICMPX_NO_ROUTE = 0; // NFT_REJECT_ICMPX_NO_ROUTE
export const NFT_REJECT_ICMPX_PORT_UNREACH = 1; // NFT_REJECT_ICMPX_PORT_UNREACH
export const NFT_REJECT_ICMPX_HOST_UNREACH = 2; // NFT_REJECT_ICMPX_HOST_UNREACH
export const NFT_REJECT_ICMPX_ADMIN_PROHIBITED = 3; // NFT_REJECT_ICMPX_ADMIN_PROHIBITED

/** A reject expression descriptor (libnftnl NFTNL_EXPR_REJECT_*). */
export interface RejectExpr {
  expr: 'reject';
  type?: number;
  code?: number;
}

export const rejectKind: ExprKind = {
  name: 'reject',
  attrs: [
    { key: 'type', type: NFTA_REJECT_TYPE, kind: 'u32' },
    { key: 'code', type: NFTA_REJECT_ICMP_CODE, kind: 'u8' },
  ],
};
