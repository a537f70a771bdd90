/** `rt`: loads routing data of the packet's route (here: the TCP MSS its path MTU allows). */
import type { ExprKind } from './spec.js';

export const NFTA_RT_DREG = 1; // NFTA_RT_DREG
export const NFTA_RT_KEY = 2; // NFTA_RT_KEY

export const NFT_RT_CLASSID = 0; // NFT_RT_CLASSID
export const NFT_RT_NEXTHOP4 = 1; // NFT_RT_NEXTHOP4
export const NFT_RT_NEXTHOP6 = 2; // NFT_RT_NEXTHOP6
/** The route's MTU less the IP and TCP headers, as a host-order u16 (`rt mtu` in nft). */
export const NFT_RT_TCPMSS = 3; // NFT_RT_TCPMSS

/** An rt expression descriptor (libnftnl NFTNL_EXPR_RT_*). */
export interface RtExpr {
  expr: 'rt';
  key?: number;
  dreg?: number;
}

export const rtKind: ExprKind = {
  name: 'rt',
  attrs: [
    { key: 'key', type: NFTA_RT_KEY, kind: 'u32' },
    { key: 'dreg', type: NFTA_RT_DREG, kind: 'u32' },
  ],
};
