/** `counter`: counts packets and bytes that reach it. */
import type { ExprKind } from './spec.js';

export const NFTA_COUNTER_BYTES = 1; // NFTA_COUNTER_BYTES
export const NFTA_COUNTER_PACKETS = 2; // NFTA_COUNTER_PACKETS

/** A counter expression descriptor (libnftnl NFTNL_EXPR_CTR_*). */
export interface CounterExpr {
  expr: 'counter';
  packets?: number | bigint;
  bytes?: number | bigint;
}

export const counterKind: ExprKind = {
  name: 'counter',
  attrs: [
    { key: 'bytes', type: NFTA_COUNTER_BYTES, kind: 'u64' },
    { key: 'packets', type: NFTA_COUNTER_PACKETS, kind: 'u64' },
  ],
};
