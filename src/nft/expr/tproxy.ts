/**
 * `tproxy`: hands the packet to a local socket (IP_TRANSPARENT, bound to the address and port
 * held in registers; either may be left to the packet's own) without rewriting it, and marks
 * it for that socket. Prerouting only.
 */
import type { ExprKind } from './spec.js';

export const NFTA_TPROXY_FAMILY = 1; // NFTA_TPROXY_FAMILY
export const NFTA_TPROXY_REG_ADDR = 2; // NFTA_TPROXY_REG_ADDR
export const NFTA_TPROXY_REG_PORT = 3; // NFTA_TPROXY_REG_PORT

/** A tproxy expression descriptor (libnftnl NFTNL_EXPR_TPROXY_*); family 0 (NFPROTO_UNSPEC): both. */
export interface TproxyExpr {
  expr: 'tproxy';
  family?: number;
  regAddr?: number;
  regPort?: number;
}

export const tproxyKind: ExprKind = {
  name: 'tproxy',
  attrs: [
    { key: 'family', type: NFTA_TPROXY_FAMILY, kind: 'u32' },
    { key: 'regAddr', type: NFTA_TPROXY_REG_ADDR, kind: 'u32' },
    { key: 'regPort', type: NFTA_TPROXY_REG_PORT, kind: 'u32' },
  ],
};
