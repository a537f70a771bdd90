/**
 * `synproxy`: answers a TCP handshake itself with SYN cookies and opens the connection to the
 * server only once the client has completed it, with the MSS, window scale and options given
 * here (those the server would send). Input and forward hooks only; the packets must reach it
 * untracked (`notrack` in a raw chain) or as `ct state invalid,untracked`.
 */
import type { ExprKind } from './spec.js';

export const NFTA_SYNPROXY_MSS = 1; // NFTA_SYNPROXY_MSS
export const NFTA_SYNPROXY_WSCALE = 2; // NFTA_SYNPROXY_WSCALE
export const NFTA_SYNPROXY_FLAGS = 3; // NFTA_SYNPROXY_FLAGS

export const NF_SYNPROXY_OPT_MSS = 0x01; // NF_SYNPROXY_OPT_MSS
export const NF_SYNPROXY_OPT_WSCALE = 0x02; // NF_SYNPROXY_OPT_WSCALE
export const NF_SYNPROXY_OPT_SACK_PERM = 0x04; // NF_SYNPROXY_OPT_SACK_PERM
export const NF_SYNPROXY_OPT_TIMESTAMP = 0x08; // NF_SYNPROXY_OPT_TIMESTAMP

/** A synproxy expression descriptor (libnftnl NFTNL_EXPR_SYNPROXY_*): `flags` says which of mss and wscale count. */
export interface SynproxyExpr {
  expr: 'synproxy';
  mss?: number;
  wscale?: number;
  flags?: number;
}

export const synproxyKind: ExprKind = {
  name: 'synproxy',
  attrs: [
    { key: 'mss', type: NFTA_SYNPROXY_MSS, kind: 'u16' },
    { key: 'wscale', type: NFTA_SYNPROXY_WSCALE, kind: 'u8' },
    { key: 'flags', type: NFTA_SYNPROXY_FLAGS, kind: 'u32' },
  ],
};

/** The option flags nft names in a synproxy statement (mss and wscale are flagged by their values). */
export const SYNPROXY_FLAGS: ReadonlyMap<string, number> = new Map([
  ['timestamp', NF_SYNPROXY_OPT_TIMESTAMP],
  ['sack-perm', NF_SYNPROXY_OPT_SACK_PERM],
]);
