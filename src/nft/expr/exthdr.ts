/** `exthdr`: loads or writes a field of an extension header or option (here: TCP options). */
import type { ExprKind } from './spec.js';

export const NFTA_EXTHDR_DREG = 1; // NFTA_EXTHDR_DREG
export const NFTA_EXTHDR_TYPE = 2; // NFTA_EXTHDR_TYPE
export const NFTA_EXTHDR_OFFSET = 3; // NFTA_EXTHDR_OFFSET
export const NFTA_EXTHDR_LEN = 4; // NFTA_EXTHDR_LEN
export const NFTA_EXTHDR_FLAGS = 5; // NFTA_EXTHDR_FLAGS
export const NFTA_EXTHDR_OP = 6; // NFTA_EXTHDR_OP
export const NFTA_EXTHDR_SREG = 7; // NFTA_EXTHDR_SREG

/** Which header family the type numbers (enum nft_exthdr_op). */
export const NFT_EXTHDR_OP_IPV6 = 0; // NFT_EXTHDR_OP_IPV6
export const NFT_EXTHDR_OP_TCPOPT = 1; // NFT_EXTHDR_OP_TCPOPT
export const NFT_EXTHDR_OP_IPV4 = 2; // NFT_EXTHDR_OP_IPV4

/** Load whether the option is present (1 or 0) instead of its bytes. */
export const NFT_EXTHDR_F_PRESENT = 1 << 0; // NFT_EXTHDR_F_PRESENT

/** An exthdr expression descriptor (libnftnl NFTNL_EXPR_EXTHDR_*). */
export interface ExthdrExpr {
  expr: 'exthdr';
  dreg?: number;
  sreg?: number;
  /** The option kind (TCP) or extension header type (IPv6). */
  type?: number;
  offset?: number;
  len?: number;
  op?: number;
  flags?: number;
}

export const exthdrKind: ExprKind = {
  name: 'exthdr',
  attrs: [
    { key: 'dreg', type: NFTA_EXTHDR_DREG, kind: 'u32' },
    { key: 'sreg', type: NFTA_EXTHDR_SREG, kind: 'u32' },
    { key: 'type', type: NFTA_EXTHDR_TYPE, kind: 'u8' },
    { key: 'offset', type: NFTA_EXTHDR_OFFSET, kind: 'u32' },
    { key: 'len', type: NFTA_EXTHDR_LEN, kind: 'u32' },
    { key: 'op', type: NFTA_EXTHDR_OP, kind: 'u32' },
    { key: 'flags', type: NFTA_EXTHDR_FLAGS, kind: 'u32' },
  ],
};
