/**
 * `dup`: sends a copy of the packet to the address in a register (the copy is routed to that
 * gateway, its own addresses unchanged), through the interface whose index is in another
 * register if one is given. The original goes on as it would have.
 */
import type { ExprKind } from './spec.js';

export const NFTA_DUP_SREG_ADDR = 1; // NFTA_DUP_SREG_ADDR
export const NFTA_DUP_SREG_DEV = 2; // NFTA_DUP_SREG_DEV

/** A dup expression descriptor (libnftnl NFTNL_EXPR_DUP_*). */
export interface DupExpr {
  expr: 'dup';
  sregAddr?: number;
  sregDev?: number;
}

export const dupKind: ExprKind = {
  name: 'dup',
  attrs: [
    { key: 'sregAddr', type: NFTA_DUP_SREG_ADDR, kind: 'u32' },
    { key: 'sregDev', type: NFTA_DUP_SREG_DEV, kind: 'u32' },
  ],
};
