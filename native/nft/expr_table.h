// The expression kinds routemark reads and writes, and how each libnftnl attribute of each kind
// maps to a key of an expression descriptor (the object TypeScript encodes from, src/nft/expr/).
// The parser (parse.cc) reads dumps through this table; the oracle builder (build.cc, used by
// tests) builds bytes from descriptors through it. Kinds missing here come back raw.
#pragma once
#include <cstddef>
#include <cstdint>

namespace routemark {
namespace nft {

enum class AttrKind {
  kU8,
  kU16,
  kU32,
  kS32,  // a verdict code (NF_ACCEPT, NFT_JUMP, ...), signed in the descriptor
  kU64,
  kString,
  kData,  // bytes; hex in the parser's JSON, a Uint8Array in the builder's input
};

struct AttrSpec {
  uint16_t id;      // NFTNL_EXPR_*
  const char* key;  // descriptor key
  AttrKind kind;
};

struct ExprSpec {
  const char* name;  // NFTA_EXPR_NAME
  const AttrSpec* attrs;
  size_t count;
  // Attributes routemark does not read (nested expressions): an expression holding any of them
  // is parsed raw, never listed without them.
  const uint16_t* unread = nullptr;
  size_t unread_count = 0;
};

// The spec of an expression kind, or nullptr if routemark does not know it.
const ExprSpec* FindExprSpec(const char* name);

}  // namespace nft
}  // namespace routemark
