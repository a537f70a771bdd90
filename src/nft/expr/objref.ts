/**
 * `objref`: applies a named stateful object of the table (`counter name "up1"`, `quota name
 * "q1"`) to the packet, as the object's own expression would, keeping its state in the object.
 */
import type { ExprKind } from './spec.js';

export const NFTA_OBJREF_IMM_TYPE = 1; // NFTA_OBJREF_IMM_TYPE
export const NFTA_OBJREF_IMM_NAME = 2; // NFTA_OBJREF_IMM_NAME
export const NFTA_OBJREF_SET_SREG = 3; // NFTA_OBJREF_SET_SREG
export const NFTA_OBJREF_SET_NAME = 4; // NFTA_OBJREF_SET_NAME
export const NFTA_OBJREF_SET_ID = 5; // NFTA_OBJREF_SET_ID

/**
 * An objref expression descriptor (libnftnl NFTNL_EXPR_OBJREF_*): an object by type
 * (NFT_OBJECT_*) and name, or one looked up in a map of objects (`setSreg`, `set`, `setId`).
 */
export interface ObjrefExpr {
  expr: 'objref';
  type?: number;
  name?: string;
  setSreg?: number;
  set?: string;
  setId?: number;
}

export const objrefKind: ExprKind = {
  name: 'objref',
  attrs: [
    { key: 'type', type: NFTA_OBJREF_IMM_TYPE, kind: 'u32' },
    { key: 'name', type: NFTA_OBJREF_IMM_NAME, kind: 'chars' },
    { key: 'setSreg', type: NFTA_OBJREF_SET_SREG, kind: 'u32' },
    { key: 'set', type: NFTA_OBJREF_SET_NAME, kind: 'chars' },
    { key: 'setId', type: NFTA_OBJREF_SET_ID, kind: 'u32' },
  ],
};
