/**
 * `dynset`: adds, updates or deletes an element of a named set or map from the packet path
 * (`add @seen { ip saddr }`, `update @sticky { ip saddr : meta mark }`), the key (and a map's
 * value) taken from registers, optionally with a timeout for the new element.
 */
import type { ExprKind } from './spec.js';

export const NFTA_DYNSET_SET_NAME = 1; // NFTA_DYNSET_SET_NAME
export const NFTA_DYNSET_SET_ID = 2; // NFTA_DYNSET_SET_ID
export const NFTA_DYNSET_OP = 3; // NFTA_DYNSET_OP
export const NFTA_DYNSET_SREG_KEY = 4; // NFTA_DYNSET_SREG_KEY
export const NFTA_DYNSET_SREG_DATA = 5; // NFTA_DYNSET_SREG_DATA
export const NFTA_DYNSET_TIMEOUT = 6; // NFTA_DYNSET_TIMEOUT
export const NFTA_DYNSET_FLAGS = 9; // NFTA_DYNSET_FLAGS

/** Adds the element if it is not there (its timeout is not refreshed). */
export const NFT_DYNSET_OP_ADD = 0; // NFT_DYNSET_OP_ADD
/** Adds the element, or refreshes the timeout of the one there. */
export const NFT_DYNSET_OP_UPDATE = 1; // NFT_DYNSET_OP_UPDATE
/** Removes the element. */
export const NFT_DYNSET_OP_DELETE = 2; // NFT_DYNSET_OP_DELETE

/**
 * A dynset expression descriptor (libnftnl NFTNL_EXPR_DYNSET_*). `timeout` is in milliseconds;
 * the kernel lists 0 for "the set's own". The statements a dynset may carry (`add @s { ip saddr
 * counter }`) are not described here: such an expression is listed raw.
 */
export interface DynsetExpr {
  expr: 'dynset';
  sregKey?: number;
  sregData?: number;
  op?: number;
  timeout?: number | bigint;
  set?: string;
  setId?: number;
  flags?: number;
}

export const dynsetKind: ExprKind = {
  name: 'dynset',
  attrs: [
    { key: 'sregKey', type: NFTA_DYNSET_SREG_KEY, kind: 'u32' },
    { key: 'sregData', type: NFTA_DYNSET_SREG_DATA, kind: 'u32' },
    { key: 'op', type: NFTA_DYNSET_OP, kind: 'u32' },
    { key: 'timeout', type: NFTA_DYNSET_TIMEOUT, kind: 'u64' },
    { key: 'set', type: NFTA_DYNSET_SET_NAME, kind: 'string' },
    { key: 'setId', type: NFTA_DYNSET_SET_ID, kind: 'u32' },
    { key: 'flags', type: NFTA_DYNSET_FLAGS, kind: 'u32' },
  ],
};
