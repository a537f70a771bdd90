/** `redir`: destination NAT to the local machine (optionally to other ports). */
import type { ExprKind } from './spec.js';

export const NFTA_REDIR_REG_PROTO_MIN = 1; // NFTA_REDIR_REG_PROTO_MIN
export const NFTA_REDIR_REG_PROTO_MAX = 2; // NFTA_REDIR_REG_PROTO_MAX
export const NFTA_REDIR_FLAGS = 3; // NFTA_REDIR_FLAGS

/** A redir expression descriptor (libnftnl NFTNL_EXPR_REDIR_*). */
export interface RedirExpr {
  expr: 'redir';
  regProtoMin?: number;
  regProtoMax?: number;
  flags?: number;
}

export const redirKind: ExprKind = {
  name: 'redir',
  attrs: [
    { key: 'regProtoMin', type: NFTA_REDIR_REG_PROTO_MIN, kind: 'u32' },
    { key: 'regProtoMax', type: NFTA_REDIR_REG_PROTO_MAX, kind: 'u32' },
    { key: 'flags', type: NFTA_REDIR_FLAGS, kind: 'u32' },
  ],
};
