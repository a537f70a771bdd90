/** `ct`: loads or sets conntrack data (state, mark, direction, ...). */
import type { ExprKind } from './spec.js';

export const NFTA_CT_DREG = 1; // NFTA_CT_DREG
export const NFTA_CT_KEY = 2; // NFTA_CT_KEY
export const NFTA_CT_DIRECTION = 3; // NFTA_CT_DIRECTION
export const NFTA_CT_SREG = 4; // NFTA_CT_SREG

export const NFT_CT_STATE = 0; // NFT_CT_STATE
export const NFT_CT_DIRECTION = 1; // NFT_CT_DIRECTION
export const NFT_CT_STATUS = 2; // NFT_CT_STATUS
export const NFT_CT_MARK = 3; // NFT_CT_MARK
export const NFT_CT_EXPIRATION = 5; // NFT_CT_EXPIRATION
export const NFT_CT_L3PROTOCOL = 7; // NFT_CT_L3PROTOCOL
export const NFT_CT_PROTOCOL = 10; // NFT_CT_PROTOCOL
export const NFT_CT_PROTO_SRC = 11; // NFT_CT_PROTO_SRC
export const NFT_CT_PROTO_DST = 12; // NFT_CT_PROTO_DST
export const NFT_CT_ZONE = 17; // NFT_CT_ZONE
export const NFT_CT_SRC_IP = 19; // NFT_CT_SRC_IP
export const NFT_CT_DST_IP = 20; // NFT_CT_DST_IP
export const NFT_CT_SRC_IP6 = 21; // NFT_CT_SRC_IP6
export const NFT_CT_DST_IP6 = 22; // NFT_CT_DST_IP6

/** Conntrack state bits as the ct expression loads them (NF_CT_STATE_BIT, IP_CT_*). */
export const NF_CT_STATE_INVALID_BIT = 1 << 0; // NF_CT_STATE_INVALID_BIT
export const NF_CT_STATE_ESTABLISHED_BIT = 1 << 1; // NF_CT_STATE_BIT(IP_CT_ESTABLISHED)
export const NF_CT_STATE_RELATED_BIT = 1 << 2; // NF_CT_STATE_BIT(IP_CT_RELATED)
export const NF_CT_STATE_NEW_BIT = 1 << 3; // NF_CT_STATE_BIT(IP_CT_NEW)
export const NF_CT_STATE_UNTRACKED_BIT = 1 << 6; // NF_CT_STATE_UNTRACKED_BIT

/** Directions (enum ip_conntrack_dir). */
export const IP_CT_DIR_ORIGINAL = 0; // IP_CT_DIR_ORIGINAL
export const IP_CT_DIR_REPLY = 1; // IP_CT_DIR_REPLY

/** A ct expression descriptor (libnftnl NFTNL_EXPR_CT_*). */
export interface CtExpr {
  expr: 'ct';
  dreg?: number;
  key?: number;
  dir?: number;
  sreg?: number;
}

export const ctKind: ExprKind = {
  name: 'ct',
  attrs: [
    { key: 'key', type: NFTA_CT_KEY, kind: 'u32' },
    { key: 'dreg', type: NFTA_CT_DREG, kind: 'u32' },
    { key: 'dir', type: NFTA_CT_DIRECTION, kind: 'u8' },
    { key: 'sreg', type: NFTA_CT_SREG, kind: 'u32' },
  ],
};
