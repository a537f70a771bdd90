#include "system_error.h"

#include <cstring>
#include <string>

namespace routemark {

Napi::Error SystemError(Napi::Env env, int err, const char* syscall) {
  std::string message = std::string(syscall) + ": " + strerror(err);
  Napi::Error error = Napi::Error::New(env, message);
  error.Set("errno", Napi::Number::New(env, err));
  error.Set("syscall", Napi::String::New(env, syscall));
  return error;
}

Napi::Error NetnsError(Napi::Env env, int err, const char* syscall, const std::string& netns_path) {
  Napi::Error error = SystemError(env, err, syscall);
  error.Set("netnsPath", Napi::String::New(env, netns_path));
  return error;
}

}  // namespace routemark
