// nftParse(data: Uint8Array): string
//
// Reads nf_tables messages (NEWTABLE, NEWCHAIN, NEWSET, NEWSETELEM, NEWRULE, NEWOBJ, NEWGEN: dump
// replies, echoes and events, ours or any other tool's) through libnftnl and returns one JSON
// array with one object per message. Rule expressions become descriptors (see expr_table.cc);
// an expression routemark does not know comes back with its netlink attributes as hex, never
// dropped. One call per dump: the JS/C++ boundary is crossed once, not once per object.
#include <cstdio>  // libnftnl headers use FILE without including it

#include <libmnl/libmnl.h>
#include <libnftnl/chain.h>
#include <libnftnl/expr.h>
#include <libnftnl/gen.h>
#include <libnftnl/object.h>
#include <libnftnl/rule.h>
#include <libnftnl/set.h>
#include <libnftnl/table.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>
#include <napi.h>

#include <cstring>
#include <memory>
#include <vector>

#include "expr_table.h"
#include "json_writer.h"
#include "module.h"

namespace routemark {
namespace nft {

namespace {

struct RawExpr {
  const char* name = nullptr;
  const void* data = nullptr;  // payload of NFTA_EXPR_DATA
  size_t length = 0;
};

// The attributes nested in `parent`, for range-for.
std::vector<const nlattr*> Nested(const nlattr* parent) {
  std::vector<const nlattr*> out;
  const char* end = static_cast<const char*>(mnl_attr_get_payload(parent)) + mnl_attr_get_payload_len(parent);
  for (const nlattr* attr = static_cast<const nlattr*>(mnl_attr_get_payload(parent));
       mnl_attr_ok(attr, static_cast<int>(end - reinterpret_cast<const char*>(attr))); attr = mnl_attr_next(attr)) {
    out.push_back(attr);
  }
  return out;
}

// The expressions of a rule message as sent: name and raw attributes, in order.
std::vector<RawExpr> RawExpressions(const nlmsghdr* nlh, const char** table, const char** chain, uint64_t* handle,
                                    bool* has_handle) {
  std::vector<RawExpr> out;
  // libmnl's iteration macros assign void* and do not compile as C++: walk by hand.
  const char* end = reinterpret_cast<const char*>(nlh) + nlh->nlmsg_len;
  for (const nlattr* attr = static_cast<const nlattr*>(mnl_nlmsg_get_payload_offset(nlh, sizeof(nfgenmsg)));
       mnl_attr_ok(attr, static_cast<int>(end - reinterpret_cast<const char*>(attr))); attr = mnl_attr_next(attr)) {
    switch (mnl_attr_get_type(attr)) {
      case NFTA_RULE_TABLE:
        *table = mnl_attr_get_str(attr);
        break;
      case NFTA_RULE_CHAIN:
        *chain = mnl_attr_get_str(attr);
        break;
      case NFTA_RULE_HANDLE:
        if (mnl_attr_get_payload_len(attr) >= 8) {
          *handle = be64toh(mnl_attr_get_u64(attr));
          *has_handle = true;
        }
        break;
      case NFTA_RULE_EXPRESSIONS: {
        for (const nlattr* elem : Nested(attr)) {
          RawExpr raw;
          for (const nlattr* part : Nested(elem)) {
            if (mnl_attr_get_type(part) == NFTA_EXPR_NAME) raw.name = mnl_attr_get_str(part);
            if (mnl_attr_get_type(part) == NFTA_EXPR_DATA) {
              raw.data = mnl_attr_get_payload(part);
              raw.length = mnl_attr_get_payload_len(part);
            }
          }
          out.push_back(raw);
        }
        break;
      }
    }
  }
  return out;
}

void WriteRawExpr(JsonWriter& json, const RawExpr& raw) {
  json.BeginObject();
  json.Key("expr");
  json.String(raw.name != nullptr ? raw.name : "");
  json.Key("raw");
  json.Hex(raw.data, raw.length);
  json.EndObject();
}

void WriteExpr(JsonWriter& json, const nftnl_expr* expr, const RawExpr* raw) {
  const char* name = nftnl_expr_get_str(expr, NFTNL_EXPR_NAME);
  const ExprSpec* spec = FindExprSpec(name);
  bool unread = false;
  for (size_t i = 0; spec != nullptr && i < spec->unread_count; i++) unread = unread || nftnl_expr_is_set(expr, spec->unread[i]);
  if (spec == nullptr || unread) {
    RawExpr fallback;
    fallback.name = name;
    WriteRawExpr(json, raw != nullptr ? *raw : fallback);
    return;
  }
  json.BeginObject();
  json.Key("expr");
  json.String(name);
  for (size_t i = 0; i < spec->count; i++) {
    const AttrSpec& attr = spec->attrs[i];
    if (!nftnl_expr_is_set(expr, attr.id)) continue;
    uint32_t length = 0;
    const void* value = nftnl_expr_get(expr, attr.id, &length);
    if (value == nullptr) continue;
    json.Key(attr.key);
    switch (attr.kind) {
      case AttrKind::kU8:
        json.Unsigned(nftnl_expr_get_u8(expr, attr.id));
        break;
      case AttrKind::kU16:
        json.Unsigned(nftnl_expr_get_u16(expr, attr.id));
        break;
      case AttrKind::kU32:
        json.Unsigned(nftnl_expr_get_u32(expr, attr.id));
        break;
      case AttrKind::kS32:
        json.Signed(static_cast<int32_t>(nftnl_expr_get_u32(expr, attr.id)));
        break;
      case AttrKind::kU64:
        json.Unsigned(nftnl_expr_get_u64(expr, attr.id));
        break;
      case AttrKind::kString:
        json.String(nftnl_expr_get_str(expr, attr.id));
        break;
      case AttrKind::kData:
        json.Hex(value, length);
        break;
    }
  }
  json.EndObject();
}

// nftnl_*_expr_foreach callback: one expression (without its raw bytes, which a set's or an
// element's expressions are not kept apart for: an unknown one lists as raw without data).
int WriteEachExpr(nftnl_expr* expr, void* data) {
  WriteExpr(*static_cast<JsonWriter*>(data), expr, nullptr);
  return 0;
}

void WriteRule(JsonWriter& json, const nlmsghdr* nlh, uint8_t family) {
  const char* raw_table = nullptr;
  const char* raw_chain = nullptr;
  uint64_t raw_handle = 0;
  bool raw_has_handle = false;
  std::vector<RawExpr> raws = RawExpressions(nlh, &raw_table, &raw_chain, &raw_handle, &raw_has_handle);

  std::unique_ptr<nftnl_rule, void (*)(const nftnl_rule*)> rule(nftnl_rule_alloc(), nftnl_rule_free);
  bool parsed = rule && nftnl_rule_nlmsg_parse(nlh, rule.get()) >= 0;
  json.BeginObject();
  json.Key("type");
  json.String("rule");
  json.Key("family");
  json.Unsigned(family);
  if (!parsed) {
    // libnftnl refuses rules holding an expression it does not know: keep everything raw.
    if (raw_table != nullptr) { json.Key("table"); json.String(raw_table); }
    if (raw_chain != nullptr) { json.Key("chain"); json.String(raw_chain); }
    if (raw_has_handle) { json.Key("handle"); json.Unsigned(raw_handle); }
    json.Key("expr");
    json.BeginArray();
    for (const RawExpr& raw : raws) WriteRawExpr(json, raw);
    json.EndArray();
    json.EndObject();
    return;
  }
  nftnl_rule* r = rule.get();
  if (nftnl_rule_is_set(r, NFTNL_RULE_TABLE)) { json.Key("table"); json.String(nftnl_rule_get_str(r, NFTNL_RULE_TABLE)); }
  if (nftnl_rule_is_set(r, NFTNL_RULE_CHAIN)) { json.Key("chain"); json.String(nftnl_rule_get_str(r, NFTNL_RULE_CHAIN)); }
  if (nftnl_rule_is_set(r, NFTNL_RULE_HANDLE)) { json.Key("handle"); json.Unsigned(nftnl_rule_get_u64(r, NFTNL_RULE_HANDLE)); }
  if (nftnl_rule_is_set(r, NFTNL_RULE_POSITION)) { json.Key("position"); json.Unsigned(nftnl_rule_get_u64(r, NFTNL_RULE_POSITION)); }
  if (nftnl_rule_is_set(r, NFTNL_RULE_COMPAT_PROTO)) { json.Key("compatProto"); json.Unsigned(nftnl_rule_get_u32(r, NFTNL_RULE_COMPAT_PROTO)); }
  if (nftnl_rule_is_set(r, NFTNL_RULE_COMPAT_FLAGS)) { json.Key("compatFlags"); json.Unsigned(nftnl_rule_get_u32(r, NFTNL_RULE_COMPAT_FLAGS)); }
  if (nftnl_rule_is_set(r, NFTNL_RULE_USERDATA)) {
    uint32_t length = 0;
    const void* data = nftnl_rule_get_data(r, NFTNL_RULE_USERDATA, &length);
    json.Key("userdata");
    json.Hex(data, length);
  }
  json.Key("expr");
  json.BeginArray();
  nftnl_expr_iter* iter = nftnl_expr_iter_create(r);
  size_t index = 0;
  for (nftnl_expr* expr = iter ? nftnl_expr_iter_next(iter) : nullptr; expr != nullptr; expr = nftnl_expr_iter_next(iter)) {
    WriteExpr(json, expr, index < raws.size() ? &raws[index] : nullptr);
    index++;
  }
  if (iter) nftnl_expr_iter_destroy(iter);
  json.EndArray();
  json.EndObject();
}

void WriteUserdata(JsonWriter& json, const void* data, uint32_t length) {
  json.Key("userdata");
  json.Hex(data, length);
}

void WriteTable(JsonWriter& json, const nlmsghdr* nlh) {
  std::unique_ptr<nftnl_table, void (*)(const nftnl_table*)> table(nftnl_table_alloc(), nftnl_table_free);
  json.BeginObject();
  json.Key("type");
  json.String("table");
  nftnl_table* t = table.get();
  if (t == nullptr || nftnl_table_nlmsg_parse(nlh, t) < 0) {
    json.Key("error");
    json.String("unparsable table message");
    json.EndObject();
    return;
  }
  json.Key("family");
  json.Unsigned(nftnl_table_get_u32(t, NFTNL_TABLE_FAMILY));
  if (nftnl_table_is_set(t, NFTNL_TABLE_NAME)) { json.Key("name"); json.String(nftnl_table_get_str(t, NFTNL_TABLE_NAME)); }
  if (nftnl_table_is_set(t, NFTNL_TABLE_HANDLE)) { json.Key("handle"); json.Unsigned(nftnl_table_get_u64(t, NFTNL_TABLE_HANDLE)); }
  if (nftnl_table_is_set(t, NFTNL_TABLE_FLAGS)) { json.Key("flags"); json.Unsigned(nftnl_table_get_u32(t, NFTNL_TABLE_FLAGS)); }
  if (nftnl_table_is_set(t, NFTNL_TABLE_USE)) { json.Key("use"); json.Unsigned(nftnl_table_get_u32(t, NFTNL_TABLE_USE)); }
  if (nftnl_table_is_set(t, NFTNL_TABLE_OWNER)) { json.Key("owner"); json.Unsigned(nftnl_table_get_u32(t, NFTNL_TABLE_OWNER)); }
  if (nftnl_table_is_set(t, NFTNL_TABLE_USERDATA)) {
    uint32_t length = 0;
    const void* data = nftnl_table_get_data(t, NFTNL_TABLE_USERDATA, &length);
    WriteUserdata(json, data, length);
  }
  json.EndObject();
}

void WriteChain(JsonWriter& json, const nlmsghdr* nlh) {
  std::unique_ptr<nftnl_chain, void (*)(const nftnl_chain*)> chain(nftnl_chain_alloc(), nftnl_chain_free);
  json.BeginObject();
  json.Key("type");
  json.String("chain");
  nftnl_chain* c = chain.get();
  if (c == nullptr || nftnl_chain_nlmsg_parse(nlh, c) < 0) {
    json.Key("error");
    json.String("unparsable chain message");
    json.EndObject();
    return;
  }
  json.Key("family");
  json.Unsigned(nftnl_chain_get_u32(c, NFTNL_CHAIN_FAMILY));
  if (nftnl_chain_is_set(c, NFTNL_CHAIN_TABLE)) { json.Key("table"); json.String(nftnl_chain_get_str(c, NFTNL_CHAIN_TABLE)); }
  if (nftnl_chain_is_set(c, NFTNL_CHAIN_NAME)) { json.Key("name"); json.String(nftnl_chain_get_str(c, NFTNL_CHAIN_NAME)); }
  if (nftnl_chain_is_set(c, NFTNL_CHAIN_HANDLE)) { json.Key("handle"); json.Unsigned(nftnl_chain_get_u64(c, NFTNL_CHAIN_HANDLE)); }
  if (nftnl_chain_is_set(c, NFTNL_CHAIN_HOOKNUM)) { json.Key("hooknum"); json.Unsigned(nftnl_chain_get_u32(c, NFTNL_CHAIN_HOOKNUM)); }
  if (nftnl_chain_is_set(c, NFTNL_CHAIN_PRIO)) { json.Key("prio"); json.Signed(nftnl_chain_get_s32(c, NFTNL_CHAIN_PRIO)); }
  if (nftnl_chain_is_set(c, NFTNL_CHAIN_POLICY)) { json.Key("policy"); json.Unsigned(nftnl_chain_get_u32(c, NFTNL_CHAIN_POLICY)); }
  if (nftnl_chain_is_set(c, NFTNL_CHAIN_TYPE)) { json.Key("chainType"); json.String(nftnl_chain_get_str(c, NFTNL_CHAIN_TYPE)); }
  if (nftnl_chain_is_set(c, NFTNL_CHAIN_DEV)) { json.Key("dev"); json.String(nftnl_chain_get_str(c, NFTNL_CHAIN_DEV)); }
  if (nftnl_chain_is_set(c, NFTNL_CHAIN_DEVICES)) {
    const char* const* devices = nftnl_chain_get_array(c, NFTNL_CHAIN_DEVICES);
    json.Key("devices");
    json.BeginArray();
    for (size_t i = 0; devices != nullptr && devices[i] != nullptr; i++) json.String(devices[i]);
    json.EndArray();
  }
  if (nftnl_chain_is_set(c, NFTNL_CHAIN_FLAGS)) { json.Key("flags"); json.Unsigned(nftnl_chain_get_u32(c, NFTNL_CHAIN_FLAGS)); }
  if (nftnl_chain_is_set(c, NFTNL_CHAIN_USE)) { json.Key("use"); json.Unsigned(nftnl_chain_get_u32(c, NFTNL_CHAIN_USE)); }
  if (nftnl_chain_is_set(c, NFTNL_CHAIN_PACKETS)) { json.Key("packets"); json.Unsigned(nftnl_chain_get_u64(c, NFTNL_CHAIN_PACKETS)); }
  if (nftnl_chain_is_set(c, NFTNL_CHAIN_BYTES)) { json.Key("bytes"); json.Unsigned(nftnl_chain_get_u64(c, NFTNL_CHAIN_BYTES)); }
  if (nftnl_chain_is_set(c, NFTNL_CHAIN_USERDATA)) {
    uint32_t length = 0;
    const void* data = nftnl_chain_get_data(c, NFTNL_CHAIN_USERDATA, &length);
    WriteUserdata(json, data, length);
  }
  json.EndObject();
}

void WriteSet(JsonWriter& json, const nlmsghdr* nlh) {
  std::unique_ptr<nftnl_set, void (*)(const nftnl_set*)> set(nftnl_set_alloc(), nftnl_set_free);
  json.BeginObject();
  json.Key("type");
  json.String("set");
  nftnl_set* s = set.get();
  if (s == nullptr || nftnl_set_nlmsg_parse(nlh, s) < 0) {
    json.Key("error");
    json.String("unparsable set message");
    json.EndObject();
    return;
  }
  json.Key("family");
  json.Unsigned(nftnl_set_get_u32(s, NFTNL_SET_FAMILY));
  if (nftnl_set_is_set(s, NFTNL_SET_TABLE)) { json.Key("table"); json.String(nftnl_set_get_str(s, NFTNL_SET_TABLE)); }
  if (nftnl_set_is_set(s, NFTNL_SET_NAME)) { json.Key("name"); json.String(nftnl_set_get_str(s, NFTNL_SET_NAME)); }
  if (nftnl_set_is_set(s, NFTNL_SET_HANDLE)) { json.Key("handle"); json.Unsigned(nftnl_set_get_u64(s, NFTNL_SET_HANDLE)); }
  if (nftnl_set_is_set(s, NFTNL_SET_FLAGS)) { json.Key("flags"); json.Unsigned(nftnl_set_get_u32(s, NFTNL_SET_FLAGS)); }
  if (nftnl_set_is_set(s, NFTNL_SET_KEY_TYPE)) { json.Key("keyType"); json.Unsigned(nftnl_set_get_u32(s, NFTNL_SET_KEY_TYPE)); }
  if (nftnl_set_is_set(s, NFTNL_SET_KEY_LEN)) { json.Key("keyLen"); json.Unsigned(nftnl_set_get_u32(s, NFTNL_SET_KEY_LEN)); }
  if (nftnl_set_is_set(s, NFTNL_SET_DATA_TYPE)) { json.Key("dataType"); json.Unsigned(nftnl_set_get_u32(s, NFTNL_SET_DATA_TYPE)); }
  if (nftnl_set_is_set(s, NFTNL_SET_DATA_LEN)) { json.Key("dataLen"); json.Unsigned(nftnl_set_get_u32(s, NFTNL_SET_DATA_LEN)); }
  if (nftnl_set_is_set(s, NFTNL_SET_OBJ_TYPE)) { json.Key("objType"); json.Unsigned(nftnl_set_get_u32(s, NFTNL_SET_OBJ_TYPE)); }
  if (nftnl_set_is_set(s, NFTNL_SET_POLICY)) { json.Key("policy"); json.Unsigned(nftnl_set_get_u32(s, NFTNL_SET_POLICY)); }
  if (nftnl_set_is_set(s, NFTNL_SET_DESC_SIZE)) { json.Key("size"); json.Unsigned(nftnl_set_get_u32(s, NFTNL_SET_DESC_SIZE)); }
  if (nftnl_set_is_set(s, NFTNL_SET_TIMEOUT)) { json.Key("timeout"); json.Unsigned(nftnl_set_get_u64(s, NFTNL_SET_TIMEOUT)); }
  if (nftnl_set_is_set(s, NFTNL_SET_GC_INTERVAL)) { json.Key("gcInterval"); json.Unsigned(nftnl_set_get_u32(s, NFTNL_SET_GC_INTERVAL)); }
  if (nftnl_set_is_set(s, NFTNL_SET_DESC_CONCAT)) {
    uint32_t length = 0;
    const uint8_t* fields = static_cast<const uint8_t*>(nftnl_set_get_data(s, NFTNL_SET_DESC_CONCAT, &length));
    json.Key("fieldLengths");
    json.BeginArray();
    for (uint32_t i = 0; fields != nullptr && i < length && fields[i] != 0; i++) json.Unsigned(fields[i]);
    json.EndArray();
  }
  if (nftnl_set_is_set(s, NFTNL_SET_USERDATA)) {
    uint32_t length = 0;
    const void* data = nftnl_set_get_data(s, NFTNL_SET_USERDATA, &length);
    WriteUserdata(json, data, length);
  }
  // The statements a set gives each element (counter, limit, quota...), read like a rule's.
  if (nftnl_set_is_set(s, NFTNL_SET_EXPR) || nftnl_set_is_set(s, NFTNL_SET_EXPRESSIONS)) {
    json.Key("expr");
    json.BeginArray();
    nftnl_set_expr_foreach(s, WriteEachExpr, &json);
    json.EndArray();
  }
  json.EndObject();
}

void WriteElements(JsonWriter& json, const nlmsghdr* nlh) {
  std::unique_ptr<nftnl_set, void (*)(const nftnl_set*)> set(nftnl_set_alloc(), nftnl_set_free);
  json.BeginObject();
  json.Key("type");
  json.String("elements");
  nftnl_set* s = set.get();
  if (s == nullptr || nftnl_set_elems_nlmsg_parse(nlh, s) < 0) {
    json.Key("error");
    json.String("unparsable set element message");
    json.EndObject();
    return;
  }
  json.Key("family");
  json.Unsigned(nftnl_set_get_u32(s, NFTNL_SET_FAMILY));
  if (nftnl_set_is_set(s, NFTNL_SET_TABLE)) { json.Key("table"); json.String(nftnl_set_get_str(s, NFTNL_SET_TABLE)); }
  if (nftnl_set_is_set(s, NFTNL_SET_NAME)) { json.Key("set"); json.String(nftnl_set_get_str(s, NFTNL_SET_NAME)); }
  json.Key("elements");
  json.BeginArray();
  nftnl_set_elems_iter* iter = nftnl_set_elems_iter_create(s);
  for (nftnl_set_elem* e = iter ? nftnl_set_elems_iter_next(iter) : nullptr; e != nullptr; e = nftnl_set_elems_iter_next(iter)) {
    json.BeginObject();
    uint32_t length = 0;
    if (nftnl_set_elem_is_set(e, NFTNL_SET_ELEM_KEY)) {
      const void* data = nftnl_set_elem_get(e, NFTNL_SET_ELEM_KEY, &length);
      json.Key("key");
      json.Hex(data, length);
    }
    if (nftnl_set_elem_is_set(e, NFTNL_SET_ELEM_KEY_END)) {
      const void* data = nftnl_set_elem_get(e, NFTNL_SET_ELEM_KEY_END, &length);
      json.Key("keyEnd");
      json.Hex(data, length);
    }
    if (nftnl_set_elem_is_set(e, NFTNL_SET_ELEM_VERDICT)) {
      json.Key("verdict");
      json.Signed(static_cast<int32_t>(nftnl_set_elem_get_u32(e, NFTNL_SET_ELEM_VERDICT)));
      if (nftnl_set_elem_is_set(e, NFTNL_SET_ELEM_CHAIN)) {
        json.Key("chain");
        json.String(nftnl_set_elem_get_str(e, NFTNL_SET_ELEM_CHAIN));
      }
    } else if (nftnl_set_elem_is_set(e, NFTNL_SET_ELEM_DATA)) {
      const void* data = nftnl_set_elem_get(e, NFTNL_SET_ELEM_DATA, &length);
      json.Key("data");
      json.Hex(data, length);
    }
    if (nftnl_set_elem_is_set(e, NFTNL_SET_ELEM_FLAGS)) { json.Key("flags"); json.Unsigned(nftnl_set_elem_get_u32(e, NFTNL_SET_ELEM_FLAGS)); }
    if (nftnl_set_elem_is_set(e, NFTNL_SET_ELEM_TIMEOUT)) { json.Key("timeout"); json.Unsigned(nftnl_set_elem_get_u64(e, NFTNL_SET_ELEM_TIMEOUT)); }
    if (nftnl_set_elem_is_set(e, NFTNL_SET_ELEM_EXPIRATION)) { json.Key("expiration"); json.Unsigned(nftnl_set_elem_get_u64(e, NFTNL_SET_ELEM_EXPIRATION)); }
    if (nftnl_set_elem_is_set(e, NFTNL_SET_ELEM_OBJREF)) { json.Key("objref"); json.String(nftnl_set_elem_get_str(e, NFTNL_SET_ELEM_OBJREF)); }
    if (nftnl_set_elem_is_set(e, NFTNL_SET_ELEM_USERDATA)) {
      const void* data = nftnl_set_elem_get(e, NFTNL_SET_ELEM_USERDATA, &length);
      WriteUserdata(json, data, length);
    }
    // An element's own statements with their state (a counter's packets and bytes).
    if (nftnl_set_elem_is_set(e, NFTNL_SET_ELEM_EXPR) || nftnl_set_elem_is_set(e, NFTNL_SET_ELEM_EXPRESSIONS)) {
      json.Key("expr");
      json.BeginArray();
      nftnl_set_elem_expr_foreach(e, WriteEachExpr, &json);
      json.EndArray();
    }
    json.EndObject();
  }
  if (iter) nftnl_set_elems_iter_destroy(iter);
  json.EndArray();
  json.EndObject();
}

// A stateful object; counters and quotas with their state, other types by name and type only.
void WriteObj(JsonWriter& json, const nlmsghdr* nlh) {
  std::unique_ptr<nftnl_obj, void (*)(const nftnl_obj*)> obj(nftnl_obj_alloc(), nftnl_obj_free);
  json.BeginObject();
  json.Key("type");
  json.String("obj");
  nftnl_obj* o = obj.get();
  if (o == nullptr || nftnl_obj_nlmsg_parse(nlh, o) < 0) {
    json.Key("error");
    json.String("unparsable object message");
    json.EndObject();
    return;
  }
  json.Key("family");
  json.Unsigned(nftnl_obj_get_u32(o, NFTNL_OBJ_FAMILY));
  if (nftnl_obj_is_set(o, NFTNL_OBJ_TABLE)) { json.Key("table"); json.String(nftnl_obj_get_str(o, NFTNL_OBJ_TABLE)); }
  if (nftnl_obj_is_set(o, NFTNL_OBJ_NAME)) { json.Key("name"); json.String(nftnl_obj_get_str(o, NFTNL_OBJ_NAME)); }
  if (nftnl_obj_is_set(o, NFTNL_OBJ_HANDLE)) { json.Key("handle"); json.Unsigned(nftnl_obj_get_u64(o, NFTNL_OBJ_HANDLE)); }
  if (nftnl_obj_is_set(o, NFTNL_OBJ_USE)) { json.Key("use"); json.Unsigned(nftnl_obj_get_u32(o, NFTNL_OBJ_USE)); }
  uint32_t type = nftnl_obj_is_set(o, NFTNL_OBJ_TYPE) ? nftnl_obj_get_u32(o, NFTNL_OBJ_TYPE) : 0;
  json.Key("objType");
  json.Unsigned(type);
  if (type == NFT_OBJECT_COUNTER) {
    if (nftnl_obj_is_set(o, NFTNL_OBJ_CTR_PKTS)) { json.Key("packets"); json.Unsigned(nftnl_obj_get_u64(o, NFTNL_OBJ_CTR_PKTS)); }
    if (nftnl_obj_is_set(o, NFTNL_OBJ_CTR_BYTES)) { json.Key("bytes"); json.Unsigned(nftnl_obj_get_u64(o, NFTNL_OBJ_CTR_BYTES)); }
  } else if (type == NFT_OBJECT_QUOTA) {
    if (nftnl_obj_is_set(o, NFTNL_OBJ_QUOTA_BYTES)) { json.Key("bytes"); json.Unsigned(nftnl_obj_get_u64(o, NFTNL_OBJ_QUOTA_BYTES)); }
    if (nftnl_obj_is_set(o, NFTNL_OBJ_QUOTA_CONSUMED)) { json.Key("consumed"); json.Unsigned(nftnl_obj_get_u64(o, NFTNL_OBJ_QUOTA_CONSUMED)); }
    if (nftnl_obj_is_set(o, NFTNL_OBJ_QUOTA_FLAGS)) { json.Key("flags"); json.Unsigned(nftnl_obj_get_u32(o, NFTNL_OBJ_QUOTA_FLAGS)); }
  }
  if (nftnl_obj_is_set(o, NFTNL_OBJ_USERDATA)) {
    uint32_t length = 0;
    const void* data = nftnl_obj_get_data(o, NFTNL_OBJ_USERDATA, &length);
    WriteUserdata(json, data, length);
  }
  json.EndObject();
}

void WriteGen(JsonWriter& json, const nlmsghdr* nlh) {
  std::unique_ptr<nftnl_gen, void (*)(const nftnl_gen*)> gen(nftnl_gen_alloc(), nftnl_gen_free);
  json.BeginObject();
  json.Key("type");
  json.String("gen");
  if (gen && nftnl_gen_nlmsg_parse(nlh, gen.get()) >= 0 && nftnl_gen_is_set(gen.get(), NFTNL_GEN_ID)) {
    json.Key("id");
    json.Unsigned(nftnl_gen_get_u32(gen.get(), NFTNL_GEN_ID));
  }
  json.EndObject();
}

Napi::Value Parse(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsTypedArray() ||
      info[0].As<Napi::TypedArray>().TypedArrayType() != napi_uint8_array) {
    Napi::TypeError::New(env, "nftParse(data: Uint8Array)").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  Napi::Uint8Array bytes = info[0].As<Napi::Uint8Array>();
  const uint8_t* data = bytes.Data();
  int remaining = static_cast<int>(bytes.ByteLength());
  JsonWriter json;
  json.BeginArray();
  for (const nlmsghdr* nlh = reinterpret_cast<const nlmsghdr*>(data); mnl_nlmsg_ok(nlh, remaining);
       nlh = mnl_nlmsg_next(nlh, &remaining)) {
    if ((nlh->nlmsg_type >> 8) != NFNL_SUBSYS_NFTABLES) continue;
    if (nlh->nlmsg_len < NLMSG_HDRLEN + sizeof(nfgenmsg)) continue;
    const nfgenmsg* header = static_cast<const nfgenmsg*>(mnl_nlmsg_get_payload(nlh));
    switch (nlh->nlmsg_type & 0xff) {
      case NFT_MSG_NEWTABLE:
        WriteTable(json, nlh);
        break;
      case NFT_MSG_NEWCHAIN:
        WriteChain(json, nlh);
        break;
      case NFT_MSG_NEWRULE:
        WriteRule(json, nlh, header->nfgen_family);
        break;
      case NFT_MSG_NEWSET:
        WriteSet(json, nlh);
        break;
      case NFT_MSG_NEWSETELEM:
        WriteElements(json, nlh);
        break;
      case NFT_MSG_NEWGEN:
        WriteGen(json, nlh);
        break;
      case NFT_MSG_NEWOBJ:
        WriteObj(json, nlh);
        break;
      default:
        json.BeginObject();
        json.Key("type");
        json.String("other");
        json.Key("msgType");
        json.Unsigned(nlh->nlmsg_type & 0xff);
        json.EndObject();
        break;
    }
  }
  json.EndArray();
  return Napi::String::New(env, json.str());
}

}  // namespace

void RegisterParse(Napi::Env env, Napi::Object exports) {
  exports.Set("nftParse", Napi::Function::New(env, Parse, "nftParse"));
}

}  // namespace nft
}  // namespace routemark
