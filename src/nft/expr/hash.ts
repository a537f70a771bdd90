/**
 * `hash`: `jhash` (Jenkins hash of a register's bytes, with a seed) or `symhash` (the kernel's
 * flow hash, the same in both directions), modulo `modulus`, plus an offset.
 */
import type { ExprKind } from './spec.js';

export const NFTA_HASH_SREG = 1; // NFTA_HASH_SREG
export const NFTA_HASH_DREG = 2; // NFTA_HASH_DREG
export const NFTA_HASH_LEN = 3; // NFTA_HASH_LEN
export const NFTA_HASH_MODULUS = 4; // NFTA_HASH_MODULUS
export const NFTA_HASH_SEED = 5; // NFTA_HASH_SEED
export const NFTA_HASH_OFFSET = 6; // NFTA_HASH_OFFSET
export const NFTA_HASH_TYPE = 7; // NFTA_HASH_TYPE

export const NFT_HASH_JENKINS = 0; // NFT_HASH_JENKINS
export const NFT_HASH_SYM = 1; // NFT_HASH_SYM

/**
 * A hash expression descriptor (libnftnl NFTNL_EXPR_HASH_*). Without a seed the kernel picks a
 * random one (and does not list it).
 */
export interface HashExpr {
  expr: 'hash';
  sreg?: number;
  dreg?: number;
  len?: number;
  modulus?: number;
  seed?: number;
  offset?: number;
  type?: number;
}

export const hashKind: ExprKind = {
  name: 'hash',
  attrs: [
    { key: 'sreg', type: NFTA_HASH_SREG, kind: 'u32' },
    { key: 'dreg', type: NFTA_HASH_DREG, kind: 'u32' },
    { key: 'len', type: NFTA_HASH_LEN, kind: 'u32' },
    { key: 'modulus', type: NFTA_HASH_MODULUS, kind: 'u32' },
    { key: 'seed', type: NFTA_HASH_SEED, kind: 'u32' },
    { key: 'offset', type: NFTA_HASH_OFFSET, kind: 'u32' },
    { key: 'type', type: NFTA_HASH_TYPE, kind: 'u32' },
  ],
};
