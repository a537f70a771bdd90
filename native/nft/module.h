// nf_tables functions of the addon: libnftnl parsing of dumps (parse.cc) and the libnftnl
// message builder that tests use as the oracle for TypeScript's encoder (build.cc).
#pragma once
#include <napi.h>

namespace routemark {
namespace nft {

void RegisterParse(Napi::Env env, Napi::Object exports);
void RegisterBuild(Napi::Env env, Napi::Object exports);

}  // namespace nft
}  // namespace routemark
