// Errors raised by the addon: a plain Error with the errno number and the name of the system call
// that failed. TypeScript turns them into NetlinkError (src/netlink/errors.ts); the addon keeps no
// errno names of its own.
#pragma once
#include <napi.h>

#include <string>

namespace routemark {

Napi::Error SystemError(Napi::Env env, int err, const char* syscall);

// The same, for a failure while entering a network namespace: carries the namespace path so
// that TypeScript can name the namespace that does not exist.
Napi::Error NetnsError(Napi::Env env, int err, const char* syscall, const std::string& netns_path);

}  // namespace routemark
