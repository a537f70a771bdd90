/** `payload`: loads packet bytes into a register, or writes a register into the packet. */
import type { ExprKind } from './spec.js';

export const NFTA_PAYLOAD_DREG = 1; // NFTA_PAYLOAD_DREG
export const NFTA_PAYLOAD_BASE = 2; // NFTA_PAYLOAD_BASE
export const NFTA_PAYLOAD_OFFSET = 3; // NFTA_PAYLOAD_OFFSET
export const NFTA_PAYLOAD_LEN = 4; // NFTA_PAYLOAD_LEN
export const NFTA_PAYLOAD_SREG = 5; // NFTA_PAYLOAD_SREG
export const NFTA_PAYLOAD_CSUM_TYPE = 6; // NFTA_PAYLOAD_CSUM_TYPE
export const NFTA_PAYLOAD_CSUM_OFFSET = 7; // NFTA_PAYLOAD_CSUM_OFFSET
export const NFTA_PAYLOAD_CSUM_FLAGS = 8; // NFTA_PAYLOAD_CSUM_FLAGS

export const NFT_PAYLOAD_LL_HEADER = 0; // NFT_PAYLOAD_LL_HEADER
export const NFT_PAYLOAD_NETWORK_HEADER = 1; // NFT_PAYLOAD_NETWORK_HEADER
export const NFT_PAYLOAD_TRANSPORT_HEADER = 2; // NFT_PAYLOAD_TRANSPORT_HEADER

/** A payload expression descriptor (libnftnl NFTNL_EXPR_PAYLOAD_*). */
export interface PayloadExpr {
  expr: 'payload';
  dreg?: number;
  base?: number;
  offset?: number;
  len?: number;
  sreg?: number;
  csumType?: number;
  csumOffset?: number;
  csumFlags?: number;
}

export const payloadKind: ExprKind = {
  name: 'payload',
  attrs: [
    { key: 'sreg', type: NFTA_PAYLOAD_SREG, kind: 'u32' },
    { key: 'dreg', type: NFTA_PAYLOAD_DREG, kind: 'u32' },
    { key: 'base', type: NFTA_PAYLOAD_BASE, kind: 'u32' },
    { key: 'offset', type: NFTA_PAYLOAD_OFFSET, kind: 'u32' },
    { key: 'len', type: NFTA_PAYLOAD_LEN, kind: 'u32' },
    { key: 'csumType', type: NFTA_PAYLOAD_CSUM_TYPE, kind: 'u32' },
    { key: 'csumOffset', type: NFTA_PAYLOAD_CSUM_OFFSET, kind: 'u32' },
    { key: 'csumFlags', type: NFTA_PAYLOAD_CSUM_FLAGS, kind: 'u32' },
  ],
};
