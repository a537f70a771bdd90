/**
 * ctnetlink constants (linux/netfilter/nfnetlink_conntrack.h, nf_conntrack_common.h,
 * nf_conntrack_tcp.h). Each carries its C name.
 */

// enum cntl_msg_types
export const IPCTNL_MSG_CT_NEW = 0; // IPCTNL_MSG_CT_NEW
export const IPCTNL_MSG_CT_GET = 1; // IPCTNL_MSG_CT_GET
export const IPCTNL_MSG_CT_DELETE = 2; // IPCTNL_MSG_CT_DELETE
export const IPCTNL_MSG_CT_GET_CTRZERO = 3; // IPCTNL_MSG_CT_GET_CTRZERO
export const IPCTNL_MSG_CT_GET_STATS_CPU = 4; // IPCTNL_MSG_CT_GET_STATS_CPU
export const IPCTNL_MSG_CT_GET_STATS = 5; // IPCTNL_MSG_CT_GET_STATS

// enum ctattr_type
export const CTA_TUPLE_ORIG = 1; // CTA_TUPLE_ORIG
export const CTA_TUPLE_REPLY = 2; // CTA_TUPLE_REPLY
export const CTA_STATUS = 3; // CTA_STATUS
export const CTA_PROTOINFO = 4; // CTA_PROTOINFO
export const CTA_HELP = 5; // CTA_HELP
export const CTA_NAT_SRC = 6; // CTA_NAT_SRC
export const CTA_TIMEOUT = 7; // CTA_TIMEOUT
export const CTA_MARK = 8; // CTA_MARK
export const CTA_COUNTERS_ORIG = 9; // CTA_COUNTERS_ORIG
export const CTA_COUNTERS_REPLY = 10; // CTA_COUNTERS_REPLY
export const CTA_USE = 11; // CTA_USE
export const CTA_ID = 12; // CTA_ID
export const CTA_NAT_DST = 13; // CTA_NAT_DST
export const CTA_TUPLE_MASTER = 14; // CTA_TUPLE_MASTER
export const CTA_ZONE = 18; // CTA_ZONE
export const CTA_SECCTX = 19; // CTA_SECCTX
export const CTA_TIMESTAMP = 20; // CTA_TIMESTAMP
export const CTA_MARK_MASK = 21; // CTA_MARK_MASK
export const CTA_LABELS = 22; // CTA_LABELS
export const CTA_LABELS_MASK = 23; // CTA_LABELS_MASK
export const CTA_SYNPROXY = 24; // CTA_SYNPROXY
export const CTA_FILTER = 25; // CTA_FILTER
export const CTA_STATUS_MASK = 26; // CTA_STATUS_MASK

// enum ctattr_tuple
export const CTA_TUPLE_IP = 1; // CTA_TUPLE_IP
export const CTA_TUPLE_PROTO = 2; // CTA_TUPLE_PROTO
export const CTA_TUPLE_ZONE = 3; // CTA_TUPLE_ZONE

// enum ctattr_ip
export const CTA_IP_V4_SRC = 1; // CTA_IP_V4_SRC
export const CTA_IP_V4_DST = 2; // CTA_IP_V4_DST
export const CTA_IP_V6_SRC = 3; // CTA_IP_V6_SRC
export const CTA_IP_V6_DST = 4; // CTA_IP_V6_DST

// enum ctattr_l4proto
export const CTA_PROTO_NUM = 1; // CTA_PROTO_NUM
export const CTA_PROTO_SRC_PORT = 2; // CTA_PROTO_SRC_PORT
export const CTA_PROTO_DST_PORT = 3; // CTA_PROTO_DST_PORT
export const CTA_PROTO_ICMP_ID = 4; // CTA_PROTO_ICMP_ID
export const CTA_PROTO_ICMP_TYPE = 5; // CTA_PROTO_ICMP_TYPE
export const CTA_PROTO_ICMP_CODE = 6; // CTA_PROTO_ICMP_CODE
export const CTA_PROTO_ICMPV6_ID = 7; // CTA_PROTO_ICMPV6_ID
export const CTA_PROTO_ICMPV6_TYPE = 8; // CTA_PROTO_ICMPV6_TYPE
export const CTA_PROTO_ICMPV6_CODE = 9; // CTA_PROTO_ICMPV6_CODE

// enum ctattr_protoinfo, ctattr_protoinfo_tcp
export const CTA_PROTOINFO_TCP = 1; // CTA_PROTOINFO_TCP
export const CTA_PROTOINFO_TCP_STATE = 1; // CTA_PROTOINFO_TCP_STATE
export const CTA_PROTOINFO_TCP_WSCALE_ORIGINAL = 2; // CTA_PROTOINFO_TCP_WSCALE_ORIGINAL
export const CTA_PROTOINFO_TCP_WSCALE_REPLY = 3; // CTA_PROTOINFO_TCP_WSCALE_REPLY
export const CTA_PROTOINFO_TCP_FLAGS_ORIGINAL = 4; // CTA_PROTOINFO_TCP_FLAGS_ORIGINAL
export const CTA_PROTOINFO_TCP_FLAGS_REPLY = 5; // CTA_PROTOINFO_TCP_FLAGS_REPLY
export const CTA_PROTOINFO_SCTP = 3; // CTA_PROTOINFO_SCTP
export const CTA_PROTOINFO_SCTP_STATE = 1; // CTA_PROTOINFO_SCTP_STATE
export const CTA_PROTOINFO_SCTP_VTAG_ORIGINAL = 2; // CTA_PROTOINFO_SCTP_VTAG_ORIGINAL
export const CTA_PROTOINFO_SCTP_VTAG_REPLY = 3; // CTA_PROTOINFO_SCTP_VTAG_REPLY

// enum ctattr_counters
export const CTA_COUNTERS_PACKETS = 1; // CTA_COUNTERS_PACKETS
export const CTA_COUNTERS_BYTES = 2; // CTA_COUNTERS_BYTES

// enum ctattr_stats_global
export const CTA_STATS_GLOBAL_ENTRIES = 1; // CTA_STATS_GLOBAL_ENTRIES
export const CTA_STATS_GLOBAL_MAX_ENTRIES = 2; // CTA_STATS_GLOBAL_MAX_ENTRIES

// Multicast groups (enum nfnetlink_groups)
export const NFNLGRP_CONNTRACK_NEW = 1; // NFNLGRP_CONNTRACK_NEW
export const NFNLGRP_CONNTRACK_UPDATE = 2; // NFNLGRP_CONNTRACK_UPDATE
export const NFNLGRP_CONNTRACK_DESTROY = 3; // NFNLGRP_CONNTRACK_DESTROY

// IP protocol numbers
export const IPPROTO_ICMP = 1; // IPPROTO_ICMP
export const IPPROTO_TCP = 6; // IPPROTO_TCP
export const IPPROTO_UDP = 17; // IPPROTO_UDP
export const IPPROTO_DCCP = 33; // IPPROTO_DCCP
export const IPPROTO_GRE = 47; // IPPROTO_GRE
export const IPPROTO_ICMPV6 = 58; // IPPROTO_ICMPV6
export const IPPROTO_SCTP = 132; // IPPROTO_SCTP
export const IPPROTO_UDPLITE = 136; // IPPROTO_UDPLITE

export const IPS_CONFIRMED = 1 << 3; // IPS_CONFIRMED

/** enum ip_conntrack_status bits, by the names `conntrack` prints. */
export const STATUS_BITS: readonly (readonly [name: FlowStatus, bit: number])[] = [
  ['EXPECTED', 1 << 0], // IPS_EXPECTED
  ['SEEN_REPLY', 1 << 1], // IPS_SEEN_REPLY
  ['ASSURED', 1 << 2], // IPS_ASSURED
  ['CONFIRMED', 1 << 3], // IPS_CONFIRMED
  ['SRC_NAT', 1 << 4], // IPS_SRC_NAT
  ['DST_NAT', 1 << 5], // IPS_DST_NAT
  ['SEQ_ADJUST', 1 << 6], // IPS_SEQ_ADJUST
  ['SRC_NAT_DONE', 1 << 7], // IPS_SRC_NAT_DONE
  ['DST_NAT_DONE', 1 << 8], // IPS_DST_NAT_DONE
  ['DYING', 1 << 9], // IPS_DYING
  ['FIXED_TIMEOUT', 1 << 10], // IPS_FIXED_TIMEOUT
  ['TEMPLATE', 1 << 11], // IPS_TEMPLATE
  ['UNTRACKED', 1 << 12], // IPS_UNTRACKED
  ['HELPER', 1 << 13], // IPS_HELPER
  ['OFFLOAD', 1 << 14], // IPS_OFFLOAD
  ['HW_OFFLOAD', 1 << 15], // IPS_HW_OFFLOAD
];

/** Flow status flags (enum ip_conntrack_status), as `conntrack` names them. */
export type FlowStatus =
  | 'EXPECTED' | 'SEEN_REPLY' | 'ASSURED' | 'CONFIRMED' | 'SRC_NAT' | 'DST_NAT' | 'SEQ_ADJUST'
  | 'SRC_NAT_DONE' | 'DST_NAT_DONE' | 'DYING' | 'FIXED_TIMEOUT' | 'TEMPLATE' | 'UNTRACKED'
  | 'HELPER' | 'OFFLOAD' | 'HW_OFFLOAD';

/** enum tcp_conntrack, by the names `conntrack` prints. */
export const TCP_STATES = [
  'NONE', 'SYN_SENT', 'SYN_RECV', 'ESTABLISHED', 'FIN_WAIT', 'CLOSE_WAIT', 'LAST_ACK', 'TIME_WAIT', 'CLOSE', 'SYN_SENT2',
] as const;

/** A TCP conntrack state. */
export type TcpState = (typeof TCP_STATES)[number];

/** enum sctp_conntrack, by the names `conntrack` prints (HEARTBEAT_ACKED is no longer used). */
export const SCTP_STATES = [
  'NONE', 'CLOSED', 'COOKIE_WAIT', 'COOKIE_ECHOED', 'ESTABLISHED', 'SHUTDOWN_SENT', 'SHUTDOWN_RECD', 'SHUTDOWN_ACK_SENT', 'HEARTBEAT_SENT', 'HEARTBEAT_ACKED',
] as const;

/** An SCTP conntrack state. */
export type SctpState = (typeof SCTP_STATES)[number];
