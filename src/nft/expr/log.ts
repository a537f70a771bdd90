/** `log`: logs the packet to the kernel log (with a prefix and level) or to an nflog group. */
import type { ExprKind } from './spec.js';

export const NFTA_LOG_GROUP = 1; // NFTA_LOG_GROUP
export const NFTA_LOG_PREFIX = 2; // NFTA_LOG_PREFIX
export const NFTA_LOG_SNAPLEN = 3; // NFTA_LOG_SNAPLEN
export const NFTA_LOG_QTHRESHOLD = 4; // NFTA_LOG_QTHRESHOLD
export const NFTA_LOG_LEVEL = 5; // NFTA_LOG_LEVEL
export const NFTA_LOG_FLAGS = 6; // NFTA_LOG_FLAGS

/** Log levels (enum nft_log_level). */
export const NFT_LOGLEVEL_EMERG = 0; // NFT_LOGLEVEL_EMERG
export const NFT_LOGLEVEL_WARNING = 4; // NFT_LOGLEVEL_WARNING
export const NFT_LOGLEVEL_AUDIT = 8; // NFT_LOGLEVEL_AUDIT

/** Log flags (linux/netfilter/nf_log.h). */
export const NF_LOG_TCPSEQ = 0x01; // NF_LOG_TCPSEQ
export const NF_LOG_TCPOPT = 0x02; // NF_LOG_TCPOPT
export const NF_LOG_IPOPT = 0x04; // NF_LOG_IPOPT
export const NF_LOG_UID = 0x08; // NF_LOG_UID
export const NF_LOG_MACDECODE = 0x20; // NF_LOG_MACDECODE

/** A log expression descriptor (libnftnl NFTNL_EXPR_LOG_*). */
export interface LogExpr {
  expr: 'log';
  prefix?: string;
  group?: number;
  snaplen?: number;
  qthreshold?: number;
  level?: number;
  flags?: number;
}

export const logKind: ExprKind = {
  name: 'log',
  attrs: [
    { key: 'prefix', type: NFTA_LOG_PREFIX, kind: 'string' },
    { key: 'group', type: NFTA_LOG_GROUP, kind: 'u16' },
    { key: 'snaplen', type: NFTA_LOG_SNAPLEN, kind: 'u32' },
    { key: 'qthreshold', type: NFTA_LOG_QTHRESHOLD, kind: 'u16' },
    { key: 'level', type: NFTA_LOG_LEVEL, kind: 'u32' },
    { key: 'flags', type: NFTA_LOG_FLAGS, kind: 'u32' },
  ],
};
