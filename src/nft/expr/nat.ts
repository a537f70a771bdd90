/** `nat`: snat/dnat to addresses and ports held in registers. */
import type { ExprKind } from './spec.js';

export const NFTA_NAT_TYPE = 1; // NFTA_NAT_TYPE
export const NFTA_NAT_FAMILY = 2; // NFTA_NAT_FAMILY
export const NFTA_NAT_REG_ADDR_MIN = 3; // NFTA_NAT_REG_ADDR_MIN
export const NFTA_NAT_REG_ADDR_MAX = 4; // NFTA_NAT_REG_ADDR_MAX
export const NFTA_NAT_REG_PROTO_MIN = 5; // NFTA_NAT_REG_PROTO_MIN
export const NFTA_NAT_REG_PROTO_MAX = 6; // NFTA_NAT_REG_PROTO_MAX
export const NFTA_NAT_FLAGS = 7; // NFTA_NAT_FLAGS

export const NFT_NAT_SNAT = 0; // NFT_NAT_SNAT
export const NFT_NAT_DNAT = 1; // NFT_NAT_DNAT

/** NAT range flags (linux/netfilter/nf_nat.h). */
export const NF_NAT_RANGE_MAP_IPS = 1 << 0; // NF_NAT_RANGE_MAP_IPS
export const NF_NAT_RANGE_PROTO_SPECIFIED = 1 << 1; // NF_NAT_RANGE_PROTO_SPECIFIED
export const NF_NAT_RANGE_PROTO_RANDOM = 1 << 2; // NF_NAT_RANGE_PROTO_RANDOM
export const NF_NAT_RANGE_PERSISTENT = 1 << 3; // NF_NAT_RANGE_PERSISTENT
export const NF_NAT_RANGE_PROTO_RANDOM_FULLY = 1 << 4; // NF_NAT_RANGE_PROTO_RANDOM_FULLY

/** A nat expression descriptor (libnftnl NFTNL_EXPR_NAT_*). */
export interface NatExpr {
  expr: 'nat';
  type?: number;
  family?: number;
  regAddrMin?: number;
  regAddrMax?: number;
  regProtoMin?: number;
  regProtoMax?: number;
  flags?: number;
}

export const natKind: ExprKind = {
  name: 'nat',
  attrs: [
    { key: 'type', type: NFTA_NAT_TYPE, kind: 'u32' },
    { key: 'family', type: NFTA_NAT_FAMILY, kind: 'u32' },
    { key: 'regAddrMin', type: NFTA_NAT_REG_ADDR_MIN, kind: 'u32' },
    { key: 'regAddrMax', type: NFTA_NAT_REG_ADDR_MAX, kind: 'u32' },
    { key: 'regProtoMin', type: NFTA_NAT_REG_PROTO_MIN, kind: 'u32' },
    { key: 'regProtoMax', type: NFTA_NAT_REG_PROTO_MAX, kind: 'u32' },
    { key: 'flags', type: NFTA_NAT_FLAGS, kind: 'u32' },
  ],
};
