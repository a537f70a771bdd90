/** `notrack`: the packet bypasses connection tracking (in a chain before conntrack, priority raw). */
import type { ExprKind } from './spec.js';

/** A notrack expression descriptor: it has no attributes. */
export interface NotrackExpr {
  expr: 'notrack';
}

export const notrackKind: ExprKind = { name: 'notrack', attrs: [] };
