/**
 * nf_tables kernel constants (linux/netfilter/nf_tables.h, nfnetlink.h, netfilter.h). Each
 * carries its C name. Expression attributes live with their expression in ./expr/.
 */

/** nfnetlink framing. */
export const NFNETLINK_V0 = 0; // NFNETLINK_V0
export const NFNL_SUBSYS_NFTABLES = 10; // NFNL_SUBSYS_NFTABLES
export const NFNL_MSG_BATCH_BEGIN = 0x10; // NFNL_MSG_BATCH_BEGIN (NLMSG_MIN_TYPE)
export const NFNL_MSG_BATCH_END = 0x11; // NFNL_MSG_BATCH_END (NLMSG_MIN_TYPE + 1)
export const NFNL_BATCH_GENID = 1; // NFNL_BATCH_GENID
/** Size of struct nfgenmsg. */
export const NFGENMSG_SIZE = 4; // sizeof(struct nfgenmsg)

/** Message types (enum nf_tables_msg_types); the wire type is (NFNL_SUBSYS_NFTABLES << 8) | msg. */
export const NFT_MSG_NEWTABLE = 0; // NFT_MSG_NEWTABLE
export const NFT_MSG_GETTABLE = 1; // NFT_MSG_GETTABLE
export const NFT_MSG_DELTABLE = 2; // NFT_MSG_DELTABLE
export const NFT_MSG_NEWCHAIN = 3; // NFT_MSG_NEWCHAIN
export const NFT_MSG_GETCHAIN = 4; // NFT_MSG_GETCHAIN
export const NFT_MSG_DELCHAIN = 5; // NFT_MSG_DELCHAIN
export const NFT_MSG_NEWRULE = 6; // NFT_MSG_NEWRULE
export const NFT_MSG_GETRULE = 7; // NFT_MSG_GETRULE
export const NFT_MSG_DELRULE = 8; // NFT_MSG_DELRULE
export const NFT_MSG_NEWSET = 9; // NFT_MSG_NEWSET
export const NFT_MSG_GETSET = 10; // NFT_MSG_GETSET
export const NFT_MSG_DELSET = 11; // NFT_MSG_DELSET
export const NFT_MSG_NEWSETELEM = 12; // NFT_MSG_NEWSETELEM
export const NFT_MSG_GETSETELEM = 13; // NFT_MSG_GETSETELEM
export const NFT_MSG_DELSETELEM = 14; // NFT_MSG_DELSETELEM
export const NFT_MSG_NEWGEN = 15; // NFT_MSG_NEWGEN
export const NFT_MSG_GETGEN = 16; // NFT_MSG_GETGEN
export const NFT_MSG_NEWOBJ = 18; // NFT_MSG_NEWOBJ
export const NFT_MSG_GETOBJ = 19; // NFT_MSG_GETOBJ
export const NFT_MSG_DELOBJ = 20; // NFT_MSG_DELOBJ
export const NFT_MSG_GETOBJ_RESET = 21; // NFT_MSG_GETOBJ_RESET
export const NFT_MSG_DESTROYTABLE = 26; // NFT_MSG_DESTROYTABLE (Linux 6.3)

/** The netlink message type of an nf_tables message. */
export function nftMessageType(msg: number): number {
  return (NFNL_SUBSYS_NFTABLES << 8) | msg;
}

/** Protocol families (NFPROTO_*, linux/netfilter.h). */
export const NFPROTO_UNSPEC = 0; // NFPROTO_UNSPEC
export const NFPROTO_INET = 1; // NFPROTO_INET
export const NFPROTO_IPV4 = 2; // NFPROTO_IPV4
export const NFPROTO_ARP = 3; // NFPROTO_ARP
export const NFPROTO_NETDEV = 5; // NFPROTO_NETDEV
export const NFPROTO_BRIDGE = 7; // NFPROTO_BRIDGE
export const NFPROTO_IPV6 = 10; // NFPROTO_IPV6

/** Verdicts (NF_DROP, NF_ACCEPT from linux/netfilter.h; enum nft_verdicts). */
export const NF_DROP = 0; // NF_DROP
export const NF_ACCEPT = 1; // NF_ACCEPT
export const NFT_CONTINUE = -1; // NFT_CONTINUE
export const NFT_BREAK = -2; // NFT_BREAK
export const NFT_JUMP = -3; // NFT_JUMP
export const NFT_GOTO = -4; // NFT_GOTO
export const NFT_RETURN = -5; // NFT_RETURN

/** Registers (enum nft_registers). */
export const NFT_REG_VERDICT = 0; // NFT_REG_VERDICT
export const NFT_REG_1 = 1; // NFT_REG_1
export const NFT_REG_2 = 2; // NFT_REG_2
export const NFT_REG_4 = 4; // NFT_REG_4
export const NFT_REG32_00 = 8; // NFT_REG32_00
export const NFT_REG_SIZE = 16; // NFT_REG_SIZE
export const NFT_REG32_SIZE = 4; // NFT_REG32_SIZE

/** List and expression containers. */
export const NFTA_LIST_ELEM = 1; // NFTA_LIST_ELEM
export const NFTA_EXPR_NAME = 1; // NFTA_EXPR_NAME
export const NFTA_EXPR_DATA = 2; // NFTA_EXPR_DATA

/** Data registers (enum nft_data_attributes, nft_verdict_attributes). */
export const NFTA_DATA_VALUE = 1; // NFTA_DATA_VALUE
export const NFTA_DATA_VERDICT = 2; // NFTA_DATA_VERDICT
export const NFTA_VERDICT_CODE = 1; // NFTA_VERDICT_CODE
export const NFTA_VERDICT_CHAIN = 2; // NFTA_VERDICT_CHAIN
export const NFTA_VERDICT_CHAIN_ID = 3; // NFTA_VERDICT_CHAIN_ID
/** NFT_DATA_VERDICT: the set data type of verdict maps. */
export const NFT_DATA_VERDICT = 0xffffff00; // NFT_DATA_VERDICT
/** Longest value a data register holds (NFT_DATA_VALUE_MAXLEN). */
export const NFT_DATA_VALUE_MAXLEN = 64; // NFT_DATA_VALUE_MAXLEN

/** Tables (enum nft_table_attributes, nft_table_flags). */
export const NFTA_TABLE_NAME = 1; // NFTA_TABLE_NAME
export const NFTA_TABLE_FLAGS = 2; // NFTA_TABLE_FLAGS
export const NFTA_TABLE_USE = 3; // NFTA_TABLE_USE
export const NFTA_TABLE_HANDLE = 4; // NFTA_TABLE_HANDLE
export const NFTA_TABLE_USERDATA = 6; // NFTA_TABLE_USERDATA
export const NFTA_TABLE_OWNER = 7; // NFTA_TABLE_OWNER
export const NFT_TABLE_F_DORMANT = 0x1; // NFT_TABLE_F_DORMANT
export const NFT_TABLE_F_OWNER = 0x2; // NFT_TABLE_F_OWNER
export const NFT_TABLE_F_PERSIST = 0x4; // NFT_TABLE_F_PERSIST (Linux 6.9)

/** Chains (enum nft_chain_attributes, nft_hook_attributes, nft_chain_flags). */
export const NFTA_CHAIN_TABLE = 1; // NFTA_CHAIN_TABLE
export const NFTA_CHAIN_HANDLE = 2; // NFTA_CHAIN_HANDLE
export const NFTA_CHAIN_NAME = 3; // NFTA_CHAIN_NAME
export const NFTA_CHAIN_HOOK = 4; // NFTA_CHAIN_HOOK
export const NFTA_CHAIN_POLICY = 5; // NFTA_CHAIN_POLICY
export const NFTA_CHAIN_USE = 6; // NFTA_CHAIN_USE
export const NFTA_CHAIN_TYPE = 7; // NFTA_CHAIN_TYPE
export const NFTA_CHAIN_COUNTERS = 8; // NFTA_CHAIN_COUNTERS
export const NFTA_CHAIN_FLAGS = 10; // NFTA_CHAIN_FLAGS
export const NFTA_CHAIN_ID = 11; // NFTA_CHAIN_ID
export const NFTA_CHAIN_USERDATA = 12; // NFTA_CHAIN_USERDATA
export const NFTA_HOOK_HOOKNUM = 1; // NFTA_HOOK_HOOKNUM
export const NFTA_HOOK_PRIORITY = 2; // NFTA_HOOK_PRIORITY
export const NFTA_HOOK_DEV = 3; // NFTA_HOOK_DEV
export const NFT_CHAIN_BASE = 0x1; // NFT_CHAIN_BASE

/** Netfilter hooks (enum nf_inet_hooks). */
export const NF_INET_PRE_ROUTING = 0; // NF_INET_PRE_ROUTING
export const NF_INET_LOCAL_IN = 1; // NF_INET_LOCAL_IN
export const NF_INET_FORWARD = 2; // NF_INET_FORWARD
export const NF_INET_LOCAL_OUT = 3; // NF_INET_LOCAL_OUT
export const NF_INET_POST_ROUTING = 4; // NF_INET_POST_ROUTING
export const NF_INET_INGRESS = 5; // NF_INET_INGRESS

/** Rules (enum nft_rule_attributes). */
export const NFTA_RULE_TABLE = 1; // NFTA_RULE_TABLE
export const NFTA_RULE_CHAIN = 2; // NFTA_RULE_CHAIN
export const NFTA_RULE_HANDLE = 3; // NFTA_RULE_HANDLE
export const NFTA_RULE_EXPRESSIONS = 4; // NFTA_RULE_EXPRESSIONS
export const NFTA_RULE_COMPAT = 5; // NFTA_RULE_COMPAT
export const NFTA_RULE_POSITION = 6; // NFTA_RULE_POSITION
export const NFTA_RULE_USERDATA = 7; // NFTA_RULE_USERDATA
export const NFTA_RULE_ID = 9; // NFTA_RULE_ID
export const NFTA_RULE_POSITION_ID = 10; // NFTA_RULE_POSITION_ID

/** Sets (enum nft_set_attributes, nft_set_flags, nft_set_desc_attributes, ...). */
export const NFTA_SET_TABLE = 1; // NFTA_SET_TABLE
export const NFTA_SET_NAME = 2; // NFTA_SET_NAME
export const NFTA_SET_FLAGS = 3; // NFTA_SET_FLAGS
export const NFTA_SET_KEY_TYPE = 4; // NFTA_SET_KEY_TYPE
export const NFTA_SET_KEY_LEN = 5; // NFTA_SET_KEY_LEN
export const NFTA_SET_DATA_TYPE = 6; // NFTA_SET_DATA_TYPE
export const NFTA_SET_DATA_LEN = 7; // NFTA_SET_DATA_LEN
export const NFTA_SET_POLICY = 8; // NFTA_SET_POLICY
export const NFTA_SET_DESC = 9; // NFTA_SET_DESC
export const NFTA_SET_ID = 10; // NFTA_SET_ID
export const NFTA_SET_TIMEOUT = 11; // NFTA_SET_TIMEOUT
export const NFTA_SET_GC_INTERVAL = 12; // NFTA_SET_GC_INTERVAL
export const NFTA_SET_USERDATA = 13; // NFTA_SET_USERDATA
export const NFTA_SET_EXPR = 17; // NFTA_SET_EXPR
export const NFTA_SET_EXPRESSIONS = 18; // NFTA_SET_EXPRESSIONS
export const NFTA_SET_OBJ_TYPE = 15; // NFTA_SET_OBJ_TYPE
export const NFTA_SET_HANDLE = 16; // NFTA_SET_HANDLE
export const NFTA_SET_DESC_SIZE = 1; // NFTA_SET_DESC_SIZE
export const NFTA_SET_DESC_CONCAT = 2; // NFTA_SET_DESC_CONCAT
export const NFTA_SET_FIELD_LEN = 1; // NFTA_SET_FIELD_LEN
export const NFT_SET_ANONYMOUS = 0x1; // NFT_SET_ANONYMOUS
export const NFT_SET_CONSTANT = 0x2; // NFT_SET_CONSTANT
export const NFT_SET_INTERVAL = 0x4; // NFT_SET_INTERVAL
export const NFT_SET_MAP = 0x8; // NFT_SET_MAP
export const NFT_SET_TIMEOUT = 0x10; // NFT_SET_TIMEOUT
export const NFT_SET_EVAL = 0x20; // NFT_SET_EVAL
/** The set holds several expressions (NFTA_SET_EXPRESSIONS): the kernel refuses the list without it. */
export const NFT_SET_EXPR = 0x100; // NFT_SET_EXPR
export const NFT_SET_OBJECT = 0x40; // NFT_SET_OBJECT
export const NFT_SET_CONCAT = 0x80; // NFT_SET_CONCAT
export const NFT_SET_POL_PERFORMANCE = 0; // NFT_SET_POL_PERFORMANCE
export const NFT_SET_POL_MEMORY = 1; // NFT_SET_POL_MEMORY

/** Set elements (enum nft_set_elem_attributes, nft_set_elem_list_attributes, flags). */
export const NFTA_SET_ELEM_LIST_TABLE = 1; // NFTA_SET_ELEM_LIST_TABLE
export const NFTA_SET_ELEM_LIST_SET = 2; // NFTA_SET_ELEM_LIST_SET
export const NFTA_SET_ELEM_LIST_ELEMENTS = 3; // NFTA_SET_ELEM_LIST_ELEMENTS
export const NFTA_SET_ELEM_LIST_SET_ID = 4; // NFTA_SET_ELEM_LIST_SET_ID
export const NFTA_SET_ELEM_KEY = 1; // NFTA_SET_ELEM_KEY
export const NFTA_SET_ELEM_DATA = 2; // NFTA_SET_ELEM_DATA
export const NFTA_SET_ELEM_FLAGS = 3; // NFTA_SET_ELEM_FLAGS
export const NFTA_SET_ELEM_TIMEOUT = 4; // NFTA_SET_ELEM_TIMEOUT
export const NFTA_SET_ELEM_EXPIRATION = 5; // NFTA_SET_ELEM_EXPIRATION
export const NFTA_SET_ELEM_USERDATA = 6; // NFTA_SET_ELEM_USERDATA
export const NFTA_SET_ELEM_OBJREF = 9; // NFTA_SET_ELEM_OBJREF
export const NFTA_SET_ELEM_KEY_END = 10; // NFTA_SET_ELEM_KEY_END
export const NFT_SET_ELEM_INTERVAL_END = 0x1; // NFT_SET_ELEM_INTERVAL_END

/** Stateful objects (enum nft_object_attributes, NFT_OBJECT_*). */
export const NFTA_OBJ_TABLE = 1; // NFTA_OBJ_TABLE
export const NFTA_OBJ_NAME = 2; // NFTA_OBJ_NAME
export const NFTA_OBJ_TYPE = 3; // NFTA_OBJ_TYPE
export const NFTA_OBJ_DATA = 4; // NFTA_OBJ_DATA
export const NFTA_OBJ_HANDLE = 6; // NFTA_OBJ_HANDLE
export const NFTA_OBJ_USERDATA = 8; // NFTA_OBJ_USERDATA
export const NFT_OBJECT_COUNTER = 1; // NFT_OBJECT_COUNTER
export const NFT_OBJECT_QUOTA = 2; // NFT_OBJECT_QUOTA

/** Generation (enum nft_gen_attributes). */
export const NFTA_GEN_ID = 1; // NFTA_GEN_ID

/** libnftnl's userdata TLV types (libnftnl/udata.h): comments and set metadata nft reads. */
export const NFTNL_UDATA_TABLE_COMMENT = 0; // NFTNL_UDATA_TABLE_COMMENT
export const NFTNL_UDATA_CHAIN_COMMENT = 0; // NFTNL_UDATA_CHAIN_COMMENT
export const NFTNL_UDATA_RULE_COMMENT = 0; // NFTNL_UDATA_RULE_COMMENT
export const NFTNL_UDATA_SET_KEYBYTEORDER = 0; // NFTNL_UDATA_SET_KEYBYTEORDER
export const NFTNL_UDATA_SET_DATABYTEORDER = 1; // NFTNL_UDATA_SET_DATABYTEORDER
export const NFTNL_UDATA_SET_MERGE_ELEMENTS = 2; // NFTNL_UDATA_SET_MERGE_ELEMENTS
export const NFTNL_UDATA_SET_COMMENT = 7; // NFTNL_UDATA_SET_COMMENT
export const NFTNL_UDATA_SET_ELEM_COMMENT = 0; // NFTNL_UDATA_SET_ELEM_COMMENT
export const NFTNL_UDATA_SET_ELEM_FLAGS = 1; // NFTNL_UDATA_SET_ELEM_FLAGS
export const NFTNL_UDATA_OBJ_COMMENT = 0; // NFTNL_UDATA_OBJ_COMMENT

/** The nf_tables multicast group: every committed change (enum nfnetlink_groups). */
export const NFNLGRP_NFTABLES = 7; // NFNLGRP_NFTABLES
