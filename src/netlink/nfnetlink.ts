/**
 * nfnetlink framing shared by the netfilter families (linux/netfilter/nfnetlink.h): the
 * struct nfgenmsg header and the subsystem ids. Each family (src/ct, src/nft) builds on it.
 */
import type { MessageWriter } from './attributes.js';

export const NFNETLINK_V0 = 0; // NFNETLINK_V0
export const NFGENMSG_LEN = 4; // sizeof(struct nfgenmsg)

export const NFNL_SUBSYS_NONE = 0; // NFNL_SUBSYS_NONE
export const NFNL_SUBSYS_CTNETLINK = 1; // NFNL_SUBSYS_CTNETLINK
export const NFNL_SUBSYS_CTNETLINK_EXP = 2; // NFNL_SUBSYS_CTNETLINK_EXP
export const NFNL_SUBSYS_NFTABLES = 10; // NFNL_SUBSYS_NFTABLES

export const NFNL_MSG_BATCH_BEGIN = 0x10; // NFNL_MSG_BATCH_BEGIN (NLMSG_MIN_TYPE)
export const NFNL_MSG_BATCH_END = 0x11; // NFNL_MSG_BATCH_END

/** The nlmsg_type of message `message` of subsystem `subsystem`. */
export function nfnlType(subsystem: number, message: number): number {
  return (subsystem << 8) | message;
}

/** Writes struct nfgenmsg: family, version, res_id (big-endian). */
export function writeNfgenmsg(writer: MessageWriter, family: number, resId = 0): void {
  writer.u8(family);
  writer.u8(NFNETLINK_V0);
  writer.be16(resId);
}
