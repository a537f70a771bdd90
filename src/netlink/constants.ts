/**
 * Netlink core constants (linux/netlink.h). Each carries its C name so that it can be looked up.
 * Family-specific constants live with their family (src/rtnl, src/nft, src/ct).
 */

/** Netlink protocols (socket(AF_NETLINK, SOCK_RAW, protocol)). */
export const NETLINK_ROUTE = 0; // NETLINK_ROUTE
export const NETLINK_NETFILTER = 12; // NETLINK_NETFILTER

/** Message header size: struct nlmsghdr. */
export const NLMSG_HDRLEN = 16; // NLMSG_HDRLEN
/** Attribute header size: struct nlattr. */
export const NLA_HDRLEN = 4; // NLA_HDRLEN

/** Control message types. */
export const NLMSG_NOOP = 0x1; // NLMSG_NOOP
export const NLMSG_ERROR = 0x2; // NLMSG_ERROR
export const NLMSG_DONE = 0x3; // NLMSG_DONE
export const NLMSG_OVERRUN = 0x4; // NLMSG_OVERRUN
export const NLMSG_MIN_TYPE = 0x10; // NLMSG_MIN_TYPE

/** Header flags. */
export const NLM_F_REQUEST = 0x01; // NLM_F_REQUEST
export const NLM_F_MULTI = 0x02; // NLM_F_MULTI
export const NLM_F_ACK = 0x04; // NLM_F_ACK
export const NLM_F_ECHO = 0x08; // NLM_F_ECHO
export const NLM_F_DUMP_INTR = 0x10; // NLM_F_DUMP_INTR
export const NLM_F_DUMP_FILTERED = 0x20; // NLM_F_DUMP_FILTERED
// GET requests
export const NLM_F_ROOT = 0x100; // NLM_F_ROOT
export const NLM_F_MATCH = 0x200; // NLM_F_MATCH
export const NLM_F_ATOMIC = 0x400; // NLM_F_ATOMIC
export const NLM_F_DUMP = NLM_F_ROOT | NLM_F_MATCH; // NLM_F_DUMP
// NEW requests
export const NLM_F_REPLACE = 0x100; // NLM_F_REPLACE
export const NLM_F_EXCL = 0x200; // NLM_F_EXCL
export const NLM_F_CREATE = 0x400; // NLM_F_CREATE
export const NLM_F_APPEND = 0x800; // NLM_F_APPEND
// DELETE requests
export const NLM_F_NONREC = 0x100; // NLM_F_NONREC
export const NLM_F_BULK = 0x200; // NLM_F_BULK
// ACK flags
export const NLM_F_CAPPED = 0x100; // NLM_F_CAPPED
export const NLM_F_ACK_TLVS = 0x200; // NLM_F_ACK_TLVS

/** Extended-ACK attributes in an NLMSG_ERROR (enum nlmsgerr_attrs). */
export const NLMSGERR_ATTR_MSG = 1; // NLMSGERR_ATTR_MSG
export const NLMSGERR_ATTR_OFFS = 2; // NLMSGERR_ATTR_OFFS
export const NLMSGERR_ATTR_COOKIE = 3; // NLMSGERR_ATTR_COOKIE
export const NLMSGERR_ATTR_POLICY = 4; // NLMSGERR_ATTR_POLICY
export const NLMSGERR_ATTR_MISS_TYPE = 5; // NLMSGERR_ATTR_MISS_TYPE
export const NLMSGERR_ATTR_MISS_NEST = 6; // NLMSGERR_ATTR_MISS_NEST

/** Attribute type flags (the top two bits of nla_type). */
export const NLA_F_NESTED = 1 << 15; // NLA_F_NESTED
export const NLA_F_NET_BYTEORDER = 1 << 14; // NLA_F_NET_BYTEORDER
export const NLA_TYPE_MASK = ~(NLA_F_NESTED | NLA_F_NET_BYTEORDER) & 0xffff; // NLA_TYPE_MASK

/** Socket options. */
export const SOL_SOCKET = 1; // SOL_SOCKET
export const SO_SNDBUF = 7; // SO_SNDBUF
export const SO_RCVBUF = 8; // SO_RCVBUF
export const SO_SNDBUFFORCE = 32; // SO_SNDBUFFORCE
export const SO_RCVBUFFORCE = 33; // SO_RCVBUFFORCE
export const SOL_NETLINK = 270; // SOL_NETLINK
export const NETLINK_ADD_MEMBERSHIP = 1; // NETLINK_ADD_MEMBERSHIP
export const NETLINK_DROP_MEMBERSHIP = 2; // NETLINK_DROP_MEMBERSHIP
export const NETLINK_BROADCAST_ERROR = 4; // NETLINK_BROADCAST_ERROR
export const NETLINK_NO_ENOBUFS = 5; // NETLINK_NO_ENOBUFS
export const NETLINK_LISTEN_ALL_NSID = 8; // NETLINK_LISTEN_ALL_NSID
export const NETLINK_CAP_ACK = 10; // NETLINK_CAP_ACK
export const NETLINK_EXT_ACK = 11; // NETLINK_EXT_ACK
export const NETLINK_GET_STRICT_CHK = 12; // NETLINK_GET_STRICT_CHK
