/**
 * rtnetlink constants (linux/rtnetlink.h, linux/fib_rules.h, linux/if_link.h, linux/if_addr.h).
 * Each carries its C name.
 */

export const AF_UNSPEC = 0; // AF_UNSPEC
export const AF_INET = 2; // AF_INET
export const AF_INET6 = 10; // AF_INET6
export const AF_BRIDGE = 7; // AF_BRIDGE

// Message types
export const RTM_NEWLINK = 16; // RTM_NEWLINK
export const RTM_DELLINK = 17; // RTM_DELLINK
export const RTM_GETLINK = 18; // RTM_GETLINK
export const RTM_NEWADDR = 20; // RTM_NEWADDR
export const RTM_DELADDR = 21; // RTM_DELADDR
export const RTM_GETADDR = 22; // RTM_GETADDR
export const RTM_NEWROUTE = 24; // RTM_NEWROUTE
export const RTM_DELROUTE = 25; // RTM_DELROUTE
export const RTM_GETROUTE = 26; // RTM_GETROUTE
export const RTM_NEWNEIGH = 28; // RTM_NEWNEIGH
export const RTM_DELNEIGH = 29; // RTM_DELNEIGH
export const RTM_GETNEIGH = 30; // RTM_GETNEIGH
export const RTM_NEWRULE = 32; // RTM_NEWRULE
export const RTM_DELRULE = 33; // RTM_DELRULE
export const RTM_GETRULE = 34; // RTM_GETRULE

// struct fib_rule_hdr: family, dst_len, src_len, tos, table, res1, res2, action, flags(u32)
export const FIB_RULE_HDR_LEN = 12; // sizeof(struct fib_rule_hdr)
export const FIB_RULE_INVERT = 0x2; // FIB_RULE_INVERT
export const FIB_RULE_UNRESOLVED = 0x4; // FIB_RULE_UNRESOLVED
export const FIB_RULE_IIF_DETACHED = 0x8; // FIB_RULE_IIF_DETACHED
export const FIB_RULE_OIF_DETACHED = 0x10; // FIB_RULE_OIF_DETACHED

// enum fib_rule attributes
export const FRA_DST = 1; // FRA_DST
export const FRA_SRC = 2; // FRA_SRC
export const FRA_IIFNAME = 3; // FRA_IIFNAME
export const FRA_GOTO = 4; // FRA_GOTO
export const FRA_PRIORITY = 6; // FRA_PRIORITY
export const FRA_FWMARK = 10; // FRA_FWMARK
export const FRA_FLOW = 11; // FRA_FLOW
export const FRA_TUN_ID = 12; // FRA_TUN_ID
export const FRA_SUPPRESS_IFGROUP = 13; // FRA_SUPPRESS_IFGROUP
export const FRA_SUPPRESS_PREFIXLEN = 14; // FRA_SUPPRESS_PREFIXLEN
export const FRA_TABLE = 15; // FRA_TABLE
export const FRA_FWMASK = 16; // FRA_FWMASK
export const FRA_OIFNAME = 17; // FRA_OIFNAME
export const FRA_PAD = 18; // FRA_PAD
export const FRA_L3MDEV = 19; // FRA_L3MDEV
export const FRA_UID_RANGE = 20; // FRA_UID_RANGE
export const FRA_PROTOCOL = 21; // FRA_PROTOCOL
export const FRA_IP_PROTO = 22; // FRA_IP_PROTO
export const FRA_SPORT_RANGE = 23; // FRA_SPORT_RANGE
export const FRA_DPORT_RANGE = 24; // FRA_DPORT_RANGE
export const FRA_DSCP = 25; // FRA_DSCP (kernel 6.14+)
export const FRA_FLOWLABEL = 26; // FRA_FLOWLABEL (kernel 6.14+, IPv6 rules)
export const FRA_FLOWLABEL_MASK = 27; // FRA_FLOWLABEL_MASK
/** The 20 bits of an IPv6 flow label (IPV6_FLOWLABEL_MASK, host order). */
export const FLOWLABEL_BITS = 0xfffff;
export const FRA_SPORT_MASK = 28; // FRA_SPORT_MASK (kernel 6.15+)
export const FRA_DPORT_MASK = 29; // FRA_DPORT_MASK
export const FRA_DSCP_MASK = 30; // FRA_DSCP_MASK (kernel 6.18+)

// enum fib_rule actions
export const FR_ACT_UNSPEC = 0; // FR_ACT_UNSPEC
export const FR_ACT_TO_TBL = 1; // FR_ACT_TO_TBL
export const FR_ACT_GOTO = 2; // FR_ACT_GOTO
export const FR_ACT_NOP = 3; // FR_ACT_NOP
export const FR_ACT_BLACKHOLE = 6; // FR_ACT_BLACKHOLE
export const FR_ACT_UNREACHABLE = 7; // FR_ACT_UNREACHABLE
export const FR_ACT_PROHIBIT = 8; // FR_ACT_PROHIBIT

// struct rtmsg: family, dst_len, src_len, tos, table, protocol, scope, type, flags(u32)
export const RTMSG_LEN = 12; // sizeof(struct rtmsg)

// enum rtattr_type_t
export const RTA_DST = 1; // RTA_DST
export const RTA_SRC = 2; // RTA_SRC
export const RTA_IIF = 3; // RTA_IIF
export const RTA_OIF = 4; // RTA_OIF
export const RTA_GATEWAY = 5; // RTA_GATEWAY
export const RTA_PRIORITY = 6; // RTA_PRIORITY
export const RTA_PREFSRC = 7; // RTA_PREFSRC
export const RTA_METRICS = 8; // RTA_METRICS
export const RTA_MULTIPATH = 9; // RTA_MULTIPATH
export const RTA_FLOW = 11; // RTA_FLOW
export const RTA_CACHEINFO = 12; // RTA_CACHEINFO
export const RTA_TABLE = 15; // RTA_TABLE
export const RTA_MARK = 16; // RTA_MARK
export const RTA_MFC_STATS = 17; // RTA_MFC_STATS
export const RTA_VIA = 18; // RTA_VIA
export const RTA_NEWDST = 19; // RTA_NEWDST
export const RTA_PREF = 20; // RTA_PREF
export const RTA_ENCAP_TYPE = 21; // RTA_ENCAP_TYPE
export const RTA_ENCAP = 22; // RTA_ENCAP
export const RTA_EXPIRES = 23; // RTA_EXPIRES
export const RTA_PAD = 24; // RTA_PAD
export const RTA_UID = 25; // RTA_UID
export const RTA_TTL_PROPAGATE = 26; // RTA_TTL_PROPAGATE
export const RTA_IP_PROTO = 27; // RTA_IP_PROTO
export const RTA_SPORT = 28; // RTA_SPORT
export const RTA_DPORT = 29; // RTA_DPORT
export const RTA_NH_ID = 30; // RTA_NH_ID
export const RTA_FLOWLABEL = 31; // RTA_FLOWLABEL (kernel 6.14+)

// rtm_flags
export const RTNH_F_DEAD = 1; // RTNH_F_DEAD
export const RTNH_F_PERVASIVE = 2; // RTNH_F_PERVASIVE
export const RTNH_F_ONLINK = 4; // RTNH_F_ONLINK
export const RTNH_F_OFFLOAD = 8; // RTNH_F_OFFLOAD
export const RTNH_F_LINKDOWN = 16; // RTNH_F_LINKDOWN
export const RTNH_F_UNRESOLVED = 32; // RTNH_F_UNRESOLVED
export const RTM_F_NOTIFY = 0x100; // RTM_F_NOTIFY
export const RTM_F_CLONED = 0x200; // RTM_F_CLONED
export const RTM_F_EQUALIZE = 0x400; // RTM_F_EQUALIZE
export const RTM_F_PREFIX = 0x800; // RTM_F_PREFIX
export const RTM_F_LOOKUP_TABLE = 0x1000; // RTM_F_LOOKUP_TABLE
export const RTM_F_FIB_MATCH = 0x2000; // RTM_F_FIB_MATCH

// struct rtnexthop: len(u16), flags(u8), hops(u8), ifindex(s32)
export const RTNH_LEN = 8; // sizeof(struct rtnexthop)

// enum rtn_type
export const RTN_UNSPEC = 0; // RTN_UNSPEC
export const RTN_UNICAST = 1; // RTN_UNICAST
export const RTN_LOCAL = 2; // RTN_LOCAL
export const RTN_BROADCAST = 3; // RTN_BROADCAST
export const RTN_ANYCAST = 4; // RTN_ANYCAST
export const RTN_MULTICAST = 5; // RTN_MULTICAST
export const RTN_BLACKHOLE = 6; // RTN_BLACKHOLE
export const RTN_UNREACHABLE = 7; // RTN_UNREACHABLE
export const RTN_PROHIBIT = 8; // RTN_PROHIBIT
export const RTN_THROW = 9; // RTN_THROW
export const RTN_NAT = 10; // RTN_NAT
export const RTN_XRESOLVE = 11; // RTN_XRESOLVE

// rtm_protocol
export const RTPROT_UNSPEC = 0; // RTPROT_UNSPEC
export const RTPROT_REDIRECT = 1; // RTPROT_REDIRECT
export const RTPROT_KERNEL = 2; // RTPROT_KERNEL
export const RTPROT_BOOT = 3; // RTPROT_BOOT
export const RTPROT_STATIC = 4; // RTPROT_STATIC

// enum rt_scope_t
export const RT_SCOPE_UNIVERSE = 0; // RT_SCOPE_UNIVERSE
export const RT_SCOPE_SITE = 200; // RT_SCOPE_SITE
export const RT_SCOPE_LINK = 253; // RT_SCOPE_LINK
export const RT_SCOPE_HOST = 254; // RT_SCOPE_HOST
export const RT_SCOPE_NOWHERE = 255; // RT_SCOPE_NOWHERE

// enum rt_class_t
export const RT_TABLE_UNSPEC = 0; // RT_TABLE_UNSPEC
export const RT_TABLE_COMPAT = 252; // RT_TABLE_COMPAT
export const RT_TABLE_DEFAULT = 253; // RT_TABLE_DEFAULT
export const RT_TABLE_MAIN = 254; // RT_TABLE_MAIN
export const RT_TABLE_LOCAL = 255; // RT_TABLE_LOCAL

// RTA_METRICS nested attributes (enum RTAX_*)
export const RTAX_LOCK = 1; // RTAX_LOCK
export const RTAX_MTU = 2; // RTAX_MTU
export const RTAX_WINDOW = 3; // RTAX_WINDOW
export const RTAX_RTT = 4; // RTAX_RTT
export const RTAX_RTTVAR = 5; // RTAX_RTTVAR
export const RTAX_SSTHRESH = 6; // RTAX_SSTHRESH
export const RTAX_CWND = 7; // RTAX_CWND
export const RTAX_ADVMSS = 8; // RTAX_ADVMSS
export const RTAX_REORDERING = 9; // RTAX_REORDERING
export const RTAX_HOPLIMIT = 10; // RTAX_HOPLIMIT
export const RTAX_INITCWND = 11; // RTAX_INITCWND
export const RTAX_FEATURES = 12; // RTAX_FEATURES
export const RTAX_RTO_MIN = 13; // RTAX_RTO_MIN
export const RTAX_INITRWND = 14; // RTAX_INITRWND
export const RTAX_QUICKACK = 15; // RTAX_QUICKACK
export const RTAX_CC_ALGO = 16; // RTAX_CC_ALGO
export const RTAX_FASTOPEN_NO_COOKIE = 17; // RTAX_FASTOPEN_NO_COOKIE

// struct ifinfomsg: family(u8), pad(u8), type(u16), index(s32), flags(u32), change(u32)
export const IFINFOMSG_LEN = 16; // sizeof(struct ifinfomsg)
export const IFLA_ADDRESS = 1; // IFLA_ADDRESS
export const IFLA_BROADCAST = 2; // IFLA_BROADCAST
export const IFLA_IFNAME = 3; // IFLA_IFNAME
export const IFLA_MTU = 4; // IFLA_MTU
export const IFLA_LINK = 5; // IFLA_LINK
export const IFLA_MASTER = 10; // IFLA_MASTER
export const IFLA_OPERSTATE = 16; // IFLA_OPERSTATE
export const IFLA_LINKINFO = 18; // IFLA_LINKINFO
export const IFLA_NET_NS_PID = 19; // IFLA_NET_NS_PID
export const IFLA_GROUP = 27; // IFLA_GROUP
export const IFLA_NET_NS_FD = 28; // IFLA_NET_NS_FD
export const IFLA_EXT_MASK = 29; // IFLA_EXT_MASK
export const IFLA_CARRIER = 33; // IFLA_CARRIER
export const IFLA_LINK_NETNSID = 37; // IFLA_LINK_NETNSID
export const IFLA_ALT_IFNAME = 53; // IFLA_ALT_IFNAME
export const IFLA_INFO_KIND = 1; // IFLA_INFO_KIND
export const IFLA_INFO_DATA = 2; // IFLA_INFO_DATA
export const IFLA_VRF_TABLE = 1; // IFLA_VRF_TABLE (in IFLA_INFO_DATA of a vrf)
export const IFLA_VLAN_ID = 1; // IFLA_VLAN_ID (in IFLA_INFO_DATA of a vlan)
export const IFLA_MACVLAN_MODE = 1; // IFLA_MACVLAN_MODE (in IFLA_INFO_DATA of a macvlan)
// In IFLA_INFO_DATA of a tun or tap device (linux/if_link.h); the kernel only reports these.
export const IFLA_TUN_OWNER = 1; // IFLA_TUN_OWNER
export const IFLA_TUN_GROUP = 2; // IFLA_TUN_GROUP
export const IFLA_TUN_TYPE = 3; // IFLA_TUN_TYPE
export const IFLA_TUN_PI = 4; // IFLA_TUN_PI
export const IFLA_TUN_VNET_HDR = 5; // IFLA_TUN_VNET_HDR
export const IFLA_TUN_PERSIST = 6; // IFLA_TUN_PERSIST
export const IFLA_TUN_MULTI_QUEUE = 7; // IFLA_TUN_MULTI_QUEUE
export const IFLA_TUN_NUM_QUEUES = 8; // IFLA_TUN_NUM_QUEUES
// TUNSETIFF flags (linux/if_tun.h).
export const IFF_TUN = 0x0001; // IFF_TUN
export const IFF_TAP = 0x0002; // IFF_TAP
export const IFF_MULTI_QUEUE = 0x0100; // IFF_MULTI_QUEUE
export const IFF_NO_PI = 0x1000; // IFF_NO_PI
export const IFF_VNET_HDR = 0x4000; // IFF_VNET_HDR
export const IFF_TUN_EXCL = 0x8000; // IFF_TUN_EXCL
export const MACVLAN_MODE_PRIVATE = 1; // MACVLAN_MODE_PRIVATE
export const MACVLAN_MODE_VEPA = 2; // MACVLAN_MODE_VEPA
export const MACVLAN_MODE_BRIDGE = 4; // MACVLAN_MODE_BRIDGE
export const MACVLAN_MODE_PASSTHRU = 8; // MACVLAN_MODE_PASSTHRU
export const MACVLAN_MODE_SOURCE = 16; // MACVLAN_MODE_SOURCE
export const VETH_INFO_PEER = 1; // VETH_INFO_PEER
export const RTEXT_FILTER_VF = 1; // RTEXT_FILTER_VF
export const RTEXT_FILTER_SKIP_STATS = 1 << 3; // RTEXT_FILTER_SKIP_STATS
export const IFF_UP = 0x1; // IFF_UP
export const IFF_LOOPBACK = 0x8; // IFF_LOOPBACK
export const IFF_RUNNING = 0x40; // IFF_RUNNING
export const IFF_LOWER_UP = 0x10000; // IFF_LOWER_UP

// struct ifaddrmsg: family(u8), prefixlen(u8), flags(u8), scope(u8), index(u32)
export const IFADDRMSG_LEN = 8; // sizeof(struct ifaddrmsg)
export const IFA_ADDRESS = 1; // IFA_ADDRESS
export const IFA_LOCAL = 2; // IFA_LOCAL
export const IFA_LABEL = 3; // IFA_LABEL
export const IFA_BROADCAST = 4; // IFA_BROADCAST
export const IFA_CACHEINFO = 6; // IFA_CACHEINFO
export const IFA_FLAGS = 8; // IFA_FLAGS
export const IFA_RT_PRIORITY = 9; // IFA_RT_PRIORITY (u32: the prefix route's metric)
export const IFA_PROTO = 11; // IFA_PROTO (u8, linux 6.1+)
// ifa_flags / IFA_FLAGS bits
export const IFA_F_SECONDARY = 0x01; // IFA_F_SECONDARY
export const IFA_F_NODAD = 0x02; // IFA_F_NODAD
export const IFA_F_DEPRECATED = 0x20; // IFA_F_DEPRECATED
export const IFA_F_TENTATIVE = 0x40; // IFA_F_TENTATIVE
export const IFA_F_DADFAILED = 0x08; // IFA_F_DADFAILED
export const IFA_F_HOMEADDRESS = 0x10; // IFA_F_HOMEADDRESS
export const IFA_F_PERMANENT = 0x80; // IFA_F_PERMANENT
export const IFA_F_MANAGETEMPADDR = 0x100; // IFA_F_MANAGETEMPADDR
export const IFA_F_NOPREFIXROUTE = 0x200; // IFA_F_NOPREFIXROUTE
export const IFA_F_MCAUTOJOIN = 0x400; // IFA_F_MCAUTOJOIN

// Multicast groups (enum rtnetlink_groups)
/** Clock ticks per second of clock_t values in rtnetlink (USER_HZ): 100 on every Linux ABI. */
export const USER_HZ = 100;
export const RTNLGRP_LINK = 1; // RTNLGRP_LINK
export const RTNLGRP_NEIGH = 3; // RTNLGRP_NEIGH
export const RTNLGRP_IPV4_IFADDR = 5; // RTNLGRP_IPV4_IFADDR
export const RTNLGRP_IPV4_ROUTE = 7; // RTNLGRP_IPV4_ROUTE
export const RTNLGRP_IPV4_RULE = 8; // RTNLGRP_IPV4_RULE
export const RTNLGRP_IPV6_IFADDR = 9; // RTNLGRP_IPV6_IFADDR
export const RTNLGRP_IPV6_ROUTE = 11; // RTNLGRP_IPV6_ROUTE
export const RTNLGRP_IPV6_RULE = 19; // RTNLGRP_IPV6_RULE
export const RTNLGRP_NEXTHOP = 32; // RTNLGRP_NEXTHOP

// Neighbours (struct ndmsg, NDA_*, NUD_*)
export const NDMSG_LEN = 12; // sizeof(struct ndmsg)
export const NDA_DST = 1; // NDA_DST
export const NDA_LLADDR = 2; // NDA_LLADDR
/** NDA_PROTOCOL: who made a neighbour entry (u8, the route protocol numbers; Linux 5.18+). */
export const NDA_PROTOCOL = 12;
/** NTF_PROXY: a proxy ARP / NDP entry (`ip neigh add proxy`), kept apart from the cache. */
export const NTF_PROXY = 0x08;
/** NTF_EXT_LEARNED: learned by something outside the kernel (`extern_learn`); GC leaves it. */
export const NTF_EXT_LEARNED = 0x10;
/** NTF_ROUTER: the neighbour is a router (`router`; IPv6 ND acts on it). */
export const NTF_ROUTER = 0x80;
export const NUD_INCOMPLETE = 0x01; // NUD_INCOMPLETE
export const NUD_REACHABLE = 0x02; // NUD_REACHABLE
export const NUD_STALE = 0x04; // NUD_STALE
export const NUD_DELAY = 0x08; // NUD_DELAY
export const NUD_PROBE = 0x10; // NUD_PROBE
export const NUD_FAILED = 0x20; // NUD_FAILED
export const NUD_NOARP = 0x40; // NUD_NOARP
export const NUD_PERMANENT = 0x80; // NUD_PERMANENT

// Nexthop objects (linux/nexthop.h)
export const RTM_NEWNEXTHOP = 104; // RTM_NEWNEXTHOP
export const RTM_DELNEXTHOP = 105; // RTM_DELNEXTHOP
export const RTM_GETNEXTHOP = 106; // RTM_GETNEXTHOP
export const NHMSG_LEN = 8; // sizeof(struct nhmsg)
export const NEXTHOP_GRP_LEN = 8; // sizeof(struct nexthop_grp)
export const NEXTHOP_GRP_TYPE_MPATH = 0; // NEXTHOP_GRP_TYPE_MPATH
export const NEXTHOP_GRP_TYPE_RES = 1; // NEXTHOP_GRP_TYPE_RES
export const NHA_ID = 1; // NHA_ID
export const NHA_GROUP = 2; // NHA_GROUP
export const NHA_GROUP_TYPE = 3; // NHA_GROUP_TYPE
export const NHA_BLACKHOLE = 4; // NHA_BLACKHOLE
export const NHA_OIF = 5; // NHA_OIF
export const NHA_GATEWAY = 6; // NHA_GATEWAY
export const NHA_GROUPS = 9; // NHA_GROUPS
export const NHA_MASTER = 10; // NHA_MASTER
export const NHA_FDB = 11; // NHA_FDB
export const NHA_RES_GROUP = 12; // NHA_RES_GROUP
export const NHA_RES_GROUP_BUCKETS = 1; // NHA_RES_GROUP_BUCKETS
export const NHA_RES_GROUP_IDLE_TIMER = 2; // NHA_RES_GROUP_IDLE_TIMER
export const NHA_RES_GROUP_UNBALANCED_TIMER = 3; // NHA_RES_GROUP_UNBALANCED_TIMER
