// nftBuild(kind, msgType, family, flags, seq, descriptor): Buffer
//
// Builds one nf_tables message with libnftnl from a descriptor (the same object TypeScript's
// encoder takes, src/nft/). Tests compare the two byte for byte: libnftnl is the oracle for
// writing. Not used by the library itself, which writes its messages in TypeScript.
#include <cstdio>  // libnftnl headers use FILE without including it

#include <libmnl/libmnl.h>
#include <libnftnl/chain.h>
#include <libnftnl/common.h>
#include <libnftnl/expr.h>
#include <libnftnl/object.h>
#include <libnftnl/rule.h>
#include <libnftnl/set.h>
#include <libnftnl/table.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>
#include <napi.h>

#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "expr_table.h"
#include "module.h"

namespace routemark {
namespace nft {

namespace {

// A property of a descriptor, if present (undefined and null count as absent).
bool Get(const Napi::Object& object, const char* key, Napi::Value* out) {
  if (!object.Has(key)) return false;
  Napi::Value value = object.Get(key);
  if (value.IsUndefined() || value.IsNull()) return false;
  *out = value;
  return true;
}

uint64_t ToU64(const Napi::Value& value) {
  if (value.IsBigInt()) {
    bool lossless = false;
    return value.As<Napi::BigInt>().Uint64Value(&lossless);
  }
  return static_cast<uint64_t>(value.As<Napi::Number>().Int64Value());
}

uint32_t ToU32(const Napi::Value& value) { return static_cast<uint32_t>(ToU64(value)); }

std::string ToStr(const Napi::Value& value) { return value.As<Napi::String>().Utf8Value(); }

bool ToBytes(const Napi::Value& value, std::vector<uint8_t>* out) {
  if (!value.IsTypedArray()) return false;
  Napi::TypedArray array = value.As<Napi::TypedArray>();
  if (array.TypedArrayType() != napi_uint8_array) return false;
  Napi::Uint8Array bytes = array.As<Napi::Uint8Array>();
  out->assign(bytes.Data(), bytes.Data() + bytes.ByteLength());
  return true;
}

// Builds one expression; returns nullptr (with a JS exception pending) on bad input.
nftnl_expr* BuildExpr(Napi::Env env, const Napi::Object& desc) {
  Napi::Value name_value;
  if (!Get(desc, "expr", &name_value) || !name_value.IsString()) {
    Napi::TypeError::New(env, "expression descriptor without an expr name").ThrowAsJavaScriptException();
    return nullptr;
  }
  std::string name = ToStr(name_value);
  const ExprSpec* spec = FindExprSpec(name.c_str());
  if (spec == nullptr) {
    Napi::TypeError::New(env, "libnftnl oracle: unknown expression " + name).ThrowAsJavaScriptException();
    return nullptr;
  }
  nftnl_expr* expr = nftnl_expr_alloc(name.c_str());
  if (expr == nullptr) {
    Napi::Error::New(env, "nftnl_expr_alloc failed for " + name).ThrowAsJavaScriptException();
    return nullptr;
  }
  for (size_t i = 0; i < spec->count; i++) {
    const AttrSpec& attr = spec->attrs[i];
    Napi::Value value;
    if (!Get(desc, attr.key, &value)) continue;
    switch (attr.kind) {
      case AttrKind::kU8:
        nftnl_expr_set_u8(expr, attr.id, static_cast<uint8_t>(ToU32(value)));
        break;
      case AttrKind::kU16:
        nftnl_expr_set_u16(expr, attr.id, static_cast<uint16_t>(ToU32(value)));
        break;
      case AttrKind::kU32:
      case AttrKind::kS32:
        nftnl_expr_set_u32(expr, attr.id, ToU32(value));
        break;
      case AttrKind::kU64:
        nftnl_expr_set_u64(expr, attr.id, ToU64(value));
        break;
      case AttrKind::kString:
        nftnl_expr_set_str(expr, attr.id, ToStr(value).c_str());
        break;
      case AttrKind::kData: {
        std::vector<uint8_t> bytes;
        if (!ToBytes(value, &bytes)) {
          nftnl_expr_free(expr);
          Napi::TypeError::New(env, name + "." + attr.key + " must be a Uint8Array").ThrowAsJavaScriptException();
          return nullptr;
        }
        nftnl_expr_set(expr, attr.id, bytes.data(), bytes.size());
        break;
      }
    }
  }
  return expr;
}

bool BuildRule(Napi::Env env, nlmsghdr* nlh, const Napi::Object& desc) {
  std::unique_ptr<nftnl_rule, void (*)(const nftnl_rule*)> rule(nftnl_rule_alloc(), nftnl_rule_free);
  nftnl_rule* r = rule.get();
  Napi::Value value;
  if (Get(desc, "table", &value)) nftnl_rule_set_str(r, NFTNL_RULE_TABLE, ToStr(value).c_str());
  if (Get(desc, "chain", &value)) nftnl_rule_set_str(r, NFTNL_RULE_CHAIN, ToStr(value).c_str());
  if (Get(desc, "handle", &value)) nftnl_rule_set_u64(r, NFTNL_RULE_HANDLE, ToU64(value));
  if (Get(desc, "position", &value)) nftnl_rule_set_u64(r, NFTNL_RULE_POSITION, ToU64(value));
  if (Get(desc, "id", &value)) nftnl_rule_set_u32(r, NFTNL_RULE_ID, ToU32(value));
  if (Get(desc, "positionId", &value)) nftnl_rule_set_u32(r, NFTNL_RULE_POSITION_ID, ToU32(value));
  std::vector<uint8_t> userdata;
  if (Get(desc, "userdata", &value) && ToBytes(value, &userdata)) {
    nftnl_rule_set_data(r, NFTNL_RULE_USERDATA, userdata.data(), userdata.size());
  }
  if (Get(desc, "expr", &value) && value.IsArray()) {
    Napi::Array exprs = value.As<Napi::Array>();
    for (uint32_t i = 0; i < exprs.Length(); i++) {
      Napi::Value item = exprs.Get(i);
      if (!item.IsObject()) {
        Napi::TypeError::New(env, "expression descriptors must be objects").ThrowAsJavaScriptException();
        return false;
      }
      nftnl_expr* expr = BuildExpr(env, item.As<Napi::Object>());
      if (expr == nullptr) return false;
      nftnl_rule_add_expr(r, expr);
    }
  }
  nftnl_rule_nlmsg_build_payload(nlh, r);
  return true;
}

bool BuildTable(Napi::Env env, nlmsghdr* nlh, const Napi::Object& desc) {
  std::unique_ptr<nftnl_table, void (*)(const nftnl_table*)> table(nftnl_table_alloc(), nftnl_table_free);
  nftnl_table* t = table.get();
  Napi::Value value;
  if (Get(desc, "name", &value)) nftnl_table_set_str(t, NFTNL_TABLE_NAME, ToStr(value).c_str());
  if (Get(desc, "handle", &value)) nftnl_table_set_u64(t, NFTNL_TABLE_HANDLE, ToU64(value));
  if (Get(desc, "flags", &value)) nftnl_table_set_u32(t, NFTNL_TABLE_FLAGS, ToU32(value));
  std::vector<uint8_t> userdata;
  if (Get(desc, "userdata", &value) && ToBytes(value, &userdata)) {
    nftnl_table_set_data(t, NFTNL_TABLE_USERDATA, userdata.data(), userdata.size());
  }
  nftnl_table_nlmsg_build_payload(nlh, t);
  return true;
}

bool BuildChain(Napi::Env env, nlmsghdr* nlh, const Napi::Object& desc) {
  std::unique_ptr<nftnl_chain, void (*)(const nftnl_chain*)> chain(nftnl_chain_alloc(), nftnl_chain_free);
  nftnl_chain* c = chain.get();
  Napi::Value value;
  if (Get(desc, "table", &value)) nftnl_chain_set_str(c, NFTNL_CHAIN_TABLE, ToStr(value).c_str());
  if (Get(desc, "name", &value)) nftnl_chain_set_str(c, NFTNL_CHAIN_NAME, ToStr(value).c_str());
  if (Get(desc, "handle", &value)) nftnl_chain_set_u64(c, NFTNL_CHAIN_HANDLE, ToU64(value));
  if (Get(desc, "hooknum", &value)) nftnl_chain_set_u32(c, NFTNL_CHAIN_HOOKNUM, ToU32(value));
  if (Get(desc, "prio", &value)) nftnl_chain_set_s32(c, NFTNL_CHAIN_PRIO, value.As<Napi::Number>().Int32Value());
  if (Get(desc, "policy", &value)) nftnl_chain_set_u32(c, NFTNL_CHAIN_POLICY, ToU32(value));
  if (Get(desc, "chainType", &value)) nftnl_chain_set_str(c, NFTNL_CHAIN_TYPE, ToStr(value).c_str());
  if (Get(desc, "dev", &value)) nftnl_chain_set_str(c, NFTNL_CHAIN_DEV, ToStr(value).c_str());
  if (Get(desc, "flags", &value)) nftnl_chain_set_u32(c, NFTNL_CHAIN_FLAGS, ToU32(value));
  if (Get(desc, "id", &value)) nftnl_chain_set_u32(c, NFTNL_CHAIN_ID, ToU32(value));
  std::vector<uint8_t> userdata;
  if (Get(desc, "userdata", &value) && ToBytes(value, &userdata)) {
    nftnl_chain_set_data(c, NFTNL_CHAIN_USERDATA, userdata.data(), userdata.size());
  }
  nftnl_chain_nlmsg_build_payload(nlh, c);
  return true;
}

void SetSetAttributes(nftnl_set* s, const Napi::Object& desc, std::vector<uint8_t>* userdata) {
  Napi::Value value;
  if (Get(desc, "table", &value)) nftnl_set_set_str(s, NFTNL_SET_TABLE, ToStr(value).c_str());
  if (Get(desc, "name", &value)) nftnl_set_set_str(s, NFTNL_SET_NAME, ToStr(value).c_str());
  if (Get(desc, "set", &value)) nftnl_set_set_str(s, NFTNL_SET_NAME, ToStr(value).c_str());
  if (Get(desc, "handle", &value)) nftnl_set_set_u64(s, NFTNL_SET_HANDLE, ToU64(value));
  if (Get(desc, "flags", &value)) nftnl_set_set_u32(s, NFTNL_SET_FLAGS, ToU32(value));
  if (Get(desc, "keyType", &value)) nftnl_set_set_u32(s, NFTNL_SET_KEY_TYPE, ToU32(value));
  if (Get(desc, "keyLen", &value)) nftnl_set_set_u32(s, NFTNL_SET_KEY_LEN, ToU32(value));
  if (Get(desc, "dataType", &value)) nftnl_set_set_u32(s, NFTNL_SET_DATA_TYPE, ToU32(value));
  if (Get(desc, "dataLen", &value)) nftnl_set_set_u32(s, NFTNL_SET_DATA_LEN, ToU32(value));
  if (Get(desc, "objType", &value)) nftnl_set_set_u32(s, NFTNL_SET_OBJ_TYPE, ToU32(value));
  if (Get(desc, "id", &value)) nftnl_set_set_u32(s, NFTNL_SET_ID, ToU32(value));
  if (Get(desc, "setId", &value)) nftnl_set_set_u32(s, NFTNL_SET_ID, ToU32(value));
  if (Get(desc, "policy", &value)) nftnl_set_set_u32(s, NFTNL_SET_POLICY, ToU32(value));
  if (Get(desc, "size", &value)) nftnl_set_set_u32(s, NFTNL_SET_DESC_SIZE, ToU32(value));
  if (Get(desc, "timeout", &value)) nftnl_set_set_u64(s, NFTNL_SET_TIMEOUT, ToU64(value));
  if (Get(desc, "gcInterval", &value)) nftnl_set_set_u32(s, NFTNL_SET_GC_INTERVAL, ToU32(value));
  if (Get(desc, "fieldLengths", &value) && value.IsArray()) {
    Napi::Array lengths = value.As<Napi::Array>();
    uint8_t fields[NFT_REG32_COUNT] = {};
    for (uint32_t i = 0; i < lengths.Length() && i < NFT_REG32_COUNT; i++) fields[i] = static_cast<uint8_t>(ToU32(lengths.Get(i)));
    nftnl_set_set_data(s, NFTNL_SET_DESC_CONCAT, fields, lengths.Length());
  }
  if (Get(desc, "userdata", &value) && ToBytes(value, userdata)) {
    nftnl_set_set_data(s, NFTNL_SET_USERDATA, userdata->data(), userdata->size());
  }
}

bool BuildSet(Napi::Env env, nlmsghdr* nlh, const Napi::Object& desc) {
  std::unique_ptr<nftnl_set, void (*)(const nftnl_set*)> set(nftnl_set_alloc(), nftnl_set_free);
  std::vector<uint8_t> userdata;
  SetSetAttributes(set.get(), desc, &userdata);
  nftnl_set_nlmsg_build_payload(nlh, set.get());
  return true;
}

bool BuildElements(Napi::Env env, nlmsghdr* nlh, const Napi::Object& desc) {
  std::unique_ptr<nftnl_set, void (*)(const nftnl_set*)> set(nftnl_set_alloc(), nftnl_set_free);
  std::vector<uint8_t> userdata;
  SetSetAttributes(set.get(), desc, &userdata);
  Napi::Value value;
  if (Get(desc, "elements", &value) && value.IsArray()) {
    Napi::Array elements = value.As<Napi::Array>();
    for (uint32_t i = 0; i < elements.Length(); i++) {
      Napi::Object item = elements.Get(i).As<Napi::Object>();
      nftnl_set_elem* e = nftnl_set_elem_alloc();
      std::vector<uint8_t> bytes;
      Napi::Value field;
      if (Get(item, "key", &field) && ToBytes(field, &bytes)) nftnl_set_elem_set(e, NFTNL_SET_ELEM_KEY, bytes.data(), bytes.size());
      if (Get(item, "keyEnd", &field) && ToBytes(field, &bytes)) nftnl_set_elem_set(e, NFTNL_SET_ELEM_KEY_END, bytes.data(), bytes.size());
      if (Get(item, "data", &field) && ToBytes(field, &bytes)) nftnl_set_elem_set(e, NFTNL_SET_ELEM_DATA, bytes.data(), bytes.size());
      if (Get(item, "verdict", &field)) nftnl_set_elem_set_u32(e, NFTNL_SET_ELEM_VERDICT, ToU32(field));
      if (Get(item, "chain", &field)) nftnl_set_elem_set_str(e, NFTNL_SET_ELEM_CHAIN, ToStr(field).c_str());
      if (Get(item, "flags", &field)) nftnl_set_elem_set_u32(e, NFTNL_SET_ELEM_FLAGS, ToU32(field));
      if (Get(item, "timeout", &field)) nftnl_set_elem_set_u64(e, NFTNL_SET_ELEM_TIMEOUT, ToU64(field));
      if (Get(item, "userdata", &field) && ToBytes(field, &bytes)) nftnl_set_elem_set(e, NFTNL_SET_ELEM_USERDATA, bytes.data(), bytes.size());
      if (Get(item, "objref", &field)) nftnl_set_elem_set_str(e, NFTNL_SET_ELEM_OBJREF, ToStr(field).c_str());
      nftnl_set_elem_add(set.get(), e);
    }
  }
  nftnl_set_elems_nlmsg_build_payload(nlh, set.get());
  return true;
}

// Stateful objects: the descriptor's keys of each type's attributes (NFTNL_OBJ_*).
struct ObjAttr {
  uint16_t id;
  const char* key;
  bool u64;
};
const ObjAttr kCounterObj[] = {{NFTNL_OBJ_CTR_PKTS, "packets", true}, {NFTNL_OBJ_CTR_BYTES, "bytes", true}};
const ObjAttr kQuotaObj[] = {
    {NFTNL_OBJ_QUOTA_BYTES, "bytes", true}, {NFTNL_OBJ_QUOTA_CONSUMED, "consumed", true}, {NFTNL_OBJ_QUOTA_FLAGS, "flags", false}};

bool BuildObj(Napi::Env env, nlmsghdr* nlh, const Napi::Object& desc) {
  std::unique_ptr<nftnl_obj, void (*)(const nftnl_obj*)> obj(nftnl_obj_alloc(), nftnl_obj_free);
  nftnl_obj* o = obj.get();
  Napi::Value value;
  if (Get(desc, "table", &value)) nftnl_obj_set_str(o, NFTNL_OBJ_TABLE, ToStr(value).c_str());
  if (Get(desc, "name", &value)) nftnl_obj_set_str(o, NFTNL_OBJ_NAME, ToStr(value).c_str());
  uint32_t type = 0;
  if (Get(desc, "type", &value)) {
    type = ToU32(value);
    nftnl_obj_set_u32(o, NFTNL_OBJ_TYPE, type);
  }
  if (Get(desc, "handle", &value)) nftnl_obj_set_u64(o, NFTNL_OBJ_HANDLE, ToU64(value));
  std::vector<uint8_t> userdata;
  if (Get(desc, "userdata", &value) && ToBytes(value, &userdata)) {
    nftnl_obj_set_data(o, NFTNL_OBJ_USERDATA, userdata.data(), userdata.size());
  }
  const ObjAttr* attrs = nullptr;
  size_t count = 0;
  const char* data_key = nullptr;
  if (type == NFT_OBJECT_COUNTER) {
    attrs = kCounterObj;
    count = sizeof(kCounterObj) / sizeof(kCounterObj[0]);
    data_key = "counter";
  } else if (type == NFT_OBJECT_QUOTA) {
    attrs = kQuotaObj;
    count = sizeof(kQuotaObj) / sizeof(kQuotaObj[0]);
    data_key = "quota";
  }
  Napi::Value data;
  if (data_key != nullptr && Get(desc, data_key, &data) && data.IsObject()) {
    Napi::Object fields = data.As<Napi::Object>();
    for (size_t i = 0; i < count; i++) {
      if (!Get(fields, attrs[i].key, &value)) continue;
      if (attrs[i].u64) nftnl_obj_set_u64(o, attrs[i].id, ToU64(value));
      else nftnl_obj_set_u32(o, attrs[i].id, ToU32(value));
    }
  }
  nftnl_obj_nlmsg_build_payload(nlh, o);
  return true;
}

Napi::Value Build(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 6 || !info[0].IsString() || !info[1].IsNumber() || !info[2].IsNumber() || !info[3].IsNumber() ||
      !info[4].IsNumber() || !info[5].IsObject()) {
    Napi::TypeError::New(env, "nftBuild(kind, msgType, family, flags, seq, descriptor)").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  std::string kind = info[0].As<Napi::String>().Utf8Value();
  uint16_t msg_type = static_cast<uint16_t>(info[1].As<Napi::Number>().Uint32Value());
  uint16_t family = static_cast<uint16_t>(info[2].As<Napi::Number>().Uint32Value());
  uint16_t flags = static_cast<uint16_t>(info[3].As<Napi::Number>().Uint32Value());
  uint32_t seq = info[4].As<Napi::Number>().Uint32Value();
  Napi::Object desc = info[5].As<Napi::Object>();

  std::vector<char> buffer(1 << 20);
  nlmsghdr* nlh = nftnl_nlmsg_build_hdr(buffer.data(), msg_type, family, flags, seq);
  bool ok;
  if (kind == "rule") ok = BuildRule(env, nlh, desc);
  else if (kind == "table") ok = BuildTable(env, nlh, desc);
  else if (kind == "chain") ok = BuildChain(env, nlh, desc);
  else if (kind == "set") ok = BuildSet(env, nlh, desc);
  else if (kind == "elements") ok = BuildElements(env, nlh, desc);
  else if (kind == "obj") ok = BuildObj(env, nlh, desc);
  else {
    Napi::TypeError::New(env, "nftBuild: unknown kind " + kind).ThrowAsJavaScriptException();
    return env.Undefined();
  }
  if (!ok) return env.Undefined();
  return Napi::Buffer<uint8_t>::Copy(env, reinterpret_cast<uint8_t*>(buffer.data()), nlh->nlmsg_len);
}

}  // namespace

void RegisterBuild(Napi::Env env, Napi::Object exports) {
  exports.Set("nftBuild", Napi::Function::New(env, Build, "nftBuild"));
}

}  // namespace nft
}  // namespace routemark
