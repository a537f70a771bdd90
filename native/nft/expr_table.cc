#include "expr_table.h"

#include <cstdio>  // libnftnl headers use FILE without including it

#include <libnftnl/expr.h>

#include <cstring>

namespace routemark {
namespace nft {

namespace {

#define ROUTEMARK_SPEC(name, table) {name, table, sizeof(table) / sizeof(table[0])}

const AttrSpec kPayload[] = {
    {NFTNL_EXPR_PAYLOAD_DREG, "dreg", AttrKind::kU32},
    {NFTNL_EXPR_PAYLOAD_BASE, "base", AttrKind::kU32},
    {NFTNL_EXPR_PAYLOAD_OFFSET, "offset", AttrKind::kU32},
    {NFTNL_EXPR_PAYLOAD_LEN, "len", AttrKind::kU32},
    {NFTNL_EXPR_PAYLOAD_SREG, "sreg", AttrKind::kU32},
    {NFTNL_EXPR_PAYLOAD_CSUM_TYPE, "csumType", AttrKind::kU32},
    {NFTNL_EXPR_PAYLOAD_CSUM_OFFSET, "csumOffset", AttrKind::kU32},
    {NFTNL_EXPR_PAYLOAD_FLAGS, "csumFlags", AttrKind::kU32},
};
const AttrSpec kMeta[] = {
    {NFTNL_EXPR_META_KEY, "key", AttrKind::kU32},
    {NFTNL_EXPR_META_DREG, "dreg", AttrKind::kU32},
    {NFTNL_EXPR_META_SREG, "sreg", AttrKind::kU32},
};
const AttrSpec kCt[] = {
    {NFTNL_EXPR_CT_DREG, "dreg", AttrKind::kU32},
    {NFTNL_EXPR_CT_KEY, "key", AttrKind::kU32},
    {NFTNL_EXPR_CT_DIR, "dir", AttrKind::kU8},
    {NFTNL_EXPR_CT_SREG, "sreg", AttrKind::kU32},
};
const AttrSpec kCmp[] = {
    {NFTNL_EXPR_CMP_SREG, "sreg", AttrKind::kU32},
    {NFTNL_EXPR_CMP_OP, "op", AttrKind::kU32},
    {NFTNL_EXPR_CMP_DATA, "data", AttrKind::kData},
};
const AttrSpec kRange[] = {
    {NFTNL_EXPR_RANGE_SREG, "sreg", AttrKind::kU32},
    {NFTNL_EXPR_RANGE_OP, "op", AttrKind::kU32},
    {NFTNL_EXPR_RANGE_FROM_DATA, "from", AttrKind::kData},
    {NFTNL_EXPR_RANGE_TO_DATA, "to", AttrKind::kData},
};
const AttrSpec kBitwise[] = {
    {NFTNL_EXPR_BITWISE_SREG, "sreg", AttrKind::kU32},
    {NFTNL_EXPR_BITWISE_DREG, "dreg", AttrKind::kU32},
    {NFTNL_EXPR_BITWISE_LEN, "len", AttrKind::kU32},
    {NFTNL_EXPR_BITWISE_MASK, "mask", AttrKind::kData},
    {NFTNL_EXPR_BITWISE_XOR, "xor", AttrKind::kData},
    {NFTNL_EXPR_BITWISE_OP, "op", AttrKind::kU32},
    {NFTNL_EXPR_BITWISE_DATA, "data", AttrKind::kData},
};
const AttrSpec kImmediate[] = {
    {NFTNL_EXPR_IMM_DREG, "dreg", AttrKind::kU32},
    {NFTNL_EXPR_IMM_DATA, "data", AttrKind::kData},
    {NFTNL_EXPR_IMM_VERDICT, "verdict", AttrKind::kS32},
    {NFTNL_EXPR_IMM_CHAIN, "chain", AttrKind::kString},
    {NFTNL_EXPR_IMM_CHAIN_ID, "chainId", AttrKind::kU32},
};
const AttrSpec kCounter[] = {
    {NFTNL_EXPR_CTR_PACKETS, "packets", AttrKind::kU64},
    {NFTNL_EXPR_CTR_BYTES, "bytes", AttrKind::kU64},
};
const AttrSpec kLookup[] = {
    {NFTNL_EXPR_LOOKUP_SREG, "sreg", AttrKind::kU32},
    {NFTNL_EXPR_LOOKUP_DREG, "dreg", AttrKind::kU32},
    {NFTNL_EXPR_LOOKUP_SET, "set", AttrKind::kString},
    {NFTNL_EXPR_LOOKUP_SET_ID, "setId", AttrKind::kU32},
    {NFTNL_EXPR_LOOKUP_FLAGS, "flags", AttrKind::kU32},
};
const AttrSpec kNat[] = {
    {NFTNL_EXPR_NAT_TYPE, "type", AttrKind::kU32},
    {NFTNL_EXPR_NAT_FAMILY, "family", AttrKind::kU32},
    {NFTNL_EXPR_NAT_REG_ADDR_MIN, "regAddrMin", AttrKind::kU32},
    {NFTNL_EXPR_NAT_REG_ADDR_MAX, "regAddrMax", AttrKind::kU32},
    {NFTNL_EXPR_NAT_REG_PROTO_MIN, "regProtoMin", AttrKind::kU32},
    {NFTNL_EXPR_NAT_REG_PROTO_MAX, "regProtoMax", AttrKind::kU32},
    {NFTNL_EXPR_NAT_FLAGS, "flags", AttrKind::kU32},
};
const AttrSpec kMasq[] = {
    {NFTNL_EXPR_MASQ_FLAGS, "flags", AttrKind::kU32},
    {NFTNL_EXPR_MASQ_REG_PROTO_MIN, "regProtoMin", AttrKind::kU32},
    {NFTNL_EXPR_MASQ_REG_PROTO_MAX, "regProtoMax", AttrKind::kU32},
};
const AttrSpec kRedir[] = {
    {NFTNL_EXPR_REDIR_REG_PROTO_MIN, "regProtoMin", AttrKind::kU32},
    {NFTNL_EXPR_REDIR_REG_PROTO_MAX, "regProtoMax", AttrKind::kU32},
    {NFTNL_EXPR_REDIR_FLAGS, "flags", AttrKind::kU32},
};
const AttrSpec kLog[] = {
    {NFTNL_EXPR_LOG_PREFIX, "prefix", AttrKind::kString},
    {NFTNL_EXPR_LOG_GROUP, "group", AttrKind::kU16},
    {NFTNL_EXPR_LOG_SNAPLEN, "snaplen", AttrKind::kU32},
    {NFTNL_EXPR_LOG_QTHRESHOLD, "qthreshold", AttrKind::kU16},
    {NFTNL_EXPR_LOG_LEVEL, "level", AttrKind::kU32},
    {NFTNL_EXPR_LOG_FLAGS, "flags", AttrKind::kU32},
};
const AttrSpec kLimit[] = {
    {NFTNL_EXPR_LIMIT_RATE, "rate", AttrKind::kU64},
    {NFTNL_EXPR_LIMIT_UNIT, "unit", AttrKind::kU64},
    {NFTNL_EXPR_LIMIT_BURST, "burst", AttrKind::kU32},
    {NFTNL_EXPR_LIMIT_TYPE, "type", AttrKind::kU32},
    {NFTNL_EXPR_LIMIT_FLAGS, "flags", AttrKind::kU32},
};
const AttrSpec kReject[] = {
    {NFTNL_EXPR_REJECT_TYPE, "type", AttrKind::kU32},
    {NFTNL_EXPR_REJECT_CODE, "code", AttrKind::kU8},
};
const AttrSpec kExthdr[] = {
    {NFTNL_EXPR_EXTHDR_DREG, "dreg", AttrKind::kU32},
    {NFTNL_EXPR_EXTHDR_SREG, "sreg", AttrKind::kU32},
    {NFTNL_EXPR_EXTHDR_TYPE, "type", AttrKind::kU8},
    {NFTNL_EXPR_EXTHDR_OFFSET, "offset", AttrKind::kU32},
    {NFTNL_EXPR_EXTHDR_LEN, "len", AttrKind::kU32},
    {NFTNL_EXPR_EXTHDR_OP, "op", AttrKind::kU32},
    {NFTNL_EXPR_EXTHDR_FLAGS, "flags", AttrKind::kU32},
};
const AttrSpec kRt[] = {
    {NFTNL_EXPR_RT_KEY, "key", AttrKind::kU32},
    {NFTNL_EXPR_RT_DREG, "dreg", AttrKind::kU32},
};
const AttrSpec kByteorder[] = {
    {NFTNL_EXPR_BYTEORDER_SREG, "sreg", AttrKind::kU32},
    {NFTNL_EXPR_BYTEORDER_DREG, "dreg", AttrKind::kU32},
    {NFTNL_EXPR_BYTEORDER_OP, "op", AttrKind::kU32},
    {NFTNL_EXPR_BYTEORDER_LEN, "len", AttrKind::kU32},
    {NFTNL_EXPR_BYTEORDER_SIZE, "size", AttrKind::kU32},
};
const AttrSpec kFib[] = {
    {NFTNL_EXPR_FIB_DREG, "dreg", AttrKind::kU32},
    {NFTNL_EXPR_FIB_RESULT, "result", AttrKind::kU32},
    {NFTNL_EXPR_FIB_FLAGS, "flags", AttrKind::kU32},
};

const AttrSpec kQuota[] = {
    {NFTNL_EXPR_QUOTA_BYTES, "bytes", AttrKind::kU64},
    {NFTNL_EXPR_QUOTA_CONSUMED, "consumed", AttrKind::kU64},
    {NFTNL_EXPR_QUOTA_FLAGS, "flags", AttrKind::kU32},
};
const AttrSpec kNumgen[] = {
    {NFTNL_EXPR_NG_DREG, "dreg", AttrKind::kU32},
    {NFTNL_EXPR_NG_MODULUS, "modulus", AttrKind::kU32},
    {NFTNL_EXPR_NG_TYPE, "type", AttrKind::kU32},
    {NFTNL_EXPR_NG_OFFSET, "offset", AttrKind::kU32},
};
const AttrSpec kHash[] = {
    {NFTNL_EXPR_HASH_SREG, "sreg", AttrKind::kU32},
    {NFTNL_EXPR_HASH_DREG, "dreg", AttrKind::kU32},
    {NFTNL_EXPR_HASH_LEN, "len", AttrKind::kU32},
    {NFTNL_EXPR_HASH_MODULUS, "modulus", AttrKind::kU32},
    {NFTNL_EXPR_HASH_SEED, "seed", AttrKind::kU32},
    {NFTNL_EXPR_HASH_OFFSET, "offset", AttrKind::kU32},
    {NFTNL_EXPR_HASH_TYPE, "type", AttrKind::kU32},
};
const AttrSpec kSocket[] = {
    {NFTNL_EXPR_SOCKET_KEY, "key", AttrKind::kU32},
    {NFTNL_EXPR_SOCKET_DREG, "dreg", AttrKind::kU32},
    {NFTNL_EXPR_SOCKET_LEVEL, "level", AttrKind::kU32},
};
const AttrSpec kTproxy[] = {
    {NFTNL_EXPR_TPROXY_FAMILY, "family", AttrKind::kU32},
    {NFTNL_EXPR_TPROXY_REG_ADDR, "regAddr", AttrKind::kU32},
    {NFTNL_EXPR_TPROXY_REG_PORT, "regPort", AttrKind::kU32},
};

const AttrSpec kDynset[] = {
    {NFTNL_EXPR_DYNSET_SREG_KEY, "sregKey", AttrKind::kU32},
    {NFTNL_EXPR_DYNSET_SREG_DATA, "sregData", AttrKind::kU32},
    {NFTNL_EXPR_DYNSET_OP, "op", AttrKind::kU32},
    {NFTNL_EXPR_DYNSET_TIMEOUT, "timeout", AttrKind::kU64},
    {NFTNL_EXPR_DYNSET_SET_NAME, "set", AttrKind::kString},
    {NFTNL_EXPR_DYNSET_SET_ID, "setId", AttrKind::kU32},
    {NFTNL_EXPR_DYNSET_FLAGS, "flags", AttrKind::kU32},
};
const AttrSpec kConnlimit[] = {
    {NFTNL_EXPR_CONNLIMIT_COUNT, "count", AttrKind::kU32},
    {NFTNL_EXPR_CONNLIMIT_FLAGS, "flags", AttrKind::kU32},
};
const AttrSpec kDup[] = {
    {NFTNL_EXPR_DUP_SREG_ADDR, "sregAddr", AttrKind::kU32},
    {NFTNL_EXPR_DUP_SREG_DEV, "sregDev", AttrKind::kU32},
};
const AttrSpec kSynproxy[] = {
    {NFTNL_EXPR_SYNPROXY_MSS, "mss", AttrKind::kU16},
    {NFTNL_EXPR_SYNPROXY_WSCALE, "wscale", AttrKind::kU8},
    {NFTNL_EXPR_SYNPROXY_FLAGS, "flags", AttrKind::kU32},
};
const AttrSpec kObjref[] = {
    {NFTNL_EXPR_OBJREF_IMM_TYPE, "type", AttrKind::kU32},
    {NFTNL_EXPR_OBJREF_IMM_NAME, "name", AttrKind::kString},
    {NFTNL_EXPR_OBJREF_SET_SREG, "setSreg", AttrKind::kU32},
    {NFTNL_EXPR_OBJREF_SET_NAME, "set", AttrKind::kString},
    {NFTNL_EXPR_OBJREF_SET_ID, "setId", AttrKind::kU32},
};
// The statements of `add @s { ip saddr counter }`.
const uint16_t kDynsetUnread[] = {NFTNL_EXPR_DYNSET_EXPR, NFTNL_EXPR_DYNSET_EXPRESSIONS};

const ExprSpec kSpecs[] = {
    ROUTEMARK_SPEC("payload", kPayload),     ROUTEMARK_SPEC("meta", kMeta),
    ROUTEMARK_SPEC("ct", kCt),               ROUTEMARK_SPEC("cmp", kCmp),
    ROUTEMARK_SPEC("range", kRange),         ROUTEMARK_SPEC("bitwise", kBitwise),
    ROUTEMARK_SPEC("immediate", kImmediate), ROUTEMARK_SPEC("counter", kCounter),
    ROUTEMARK_SPEC("lookup", kLookup),       ROUTEMARK_SPEC("nat", kNat),
    ROUTEMARK_SPEC("masq", kMasq),           ROUTEMARK_SPEC("redir", kRedir),
    ROUTEMARK_SPEC("log", kLog),             ROUTEMARK_SPEC("limit", kLimit),
    ROUTEMARK_SPEC("reject", kReject),       ROUTEMARK_SPEC("exthdr", kExthdr),
    ROUTEMARK_SPEC("rt", kRt),               ROUTEMARK_SPEC("byteorder", kByteorder),
    ROUTEMARK_SPEC("fib", kFib),             ROUTEMARK_SPEC("quota", kQuota),
    ROUTEMARK_SPEC("numgen", kNumgen),       ROUTEMARK_SPEC("hash", kHash),
    ROUTEMARK_SPEC("socket", kSocket),       ROUTEMARK_SPEC("tproxy", kTproxy),
    ROUTEMARK_SPEC("connlimit", kConnlimit), ROUTEMARK_SPEC("dup", kDup),
    ROUTEMARK_SPEC("objref", kObjref),       ROUTEMARK_SPEC("synproxy", kSynproxy),
    {"notrack", nullptr, 0},  // no attributes
    {"dynset", kDynset, sizeof(kDynset) / sizeof(kDynset[0]), kDynsetUnread, sizeof(kDynsetUnread) / sizeof(kDynsetUnread[0])},
};

#undef ROUTEMARK_SPEC

}  // namespace

const ExprSpec* FindExprSpec(const char* name) {
  if (name == nullptr) return nullptr;
  for (const ExprSpec& spec : kSpecs) {
    if (std::strcmp(spec.name, name) == 0) return &spec;
  }
  return nullptr;
}

}  // namespace nft
}  // namespace routemark
