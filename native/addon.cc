// The routemark addon: netlink sockets in any network namespace, files opened in a namespace
// (for /proc/sys/net), and libnftnl-based parsing of nf_tables messages. No policy lives here:
// no defaults, no retries, no validation beyond memory safety.
#include <fcntl.h>
#include <napi.h>
#include <unistd.h>

#include <cerrno>
#include <string>

#include "netlink_socket.h"
#include "nft/module.h"
#include "netns.h"
#include "system_error.h"

namespace routemark {

namespace {

// openInNetns(netnsPath: string | undefined, filePath: string, flags: number): number
// Opens a file from inside a network namespace and returns the descriptor. /proc/sys/net
// resolves the namespace when the file is opened, so the descriptor reads and writes that
// namespace's settings from any thread.
Napi::Value OpenInNetns(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 3 || !info[1].IsString() || !info[2].IsNumber()) {
    Napi::TypeError::New(env, "openInNetns(netnsPath, filePath, flags)").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  std::string netns_path;
  if (info[0].IsString()) netns_path = info[0].As<Napi::String>().Utf8Value();
  std::string file_path = info[1].As<Napi::String>().Utf8Value();
  int flags = info[2].As<Napi::Number>().Int32Value() | O_CLOEXEC;
  NetnsOutcome outcome = RunInNetns(netns_path, [&](NetnsOutcome& out) {
    int fd = open(file_path.c_str(), flags);
    if (fd < 0) {
      out.error = errno;
      out.syscall = "open";
      return;
    }
    out.value = fd;
  });
  if (outcome.error != 0) {
    if (outcome.entering) {
      NetnsError(env, outcome.error, outcome.syscall, netns_path).ThrowAsJavaScriptException();
    } else {
      Napi::Error error = SystemError(env, outcome.error, outcome.syscall);
      error.Set("path", Napi::String::New(env, file_path));
      error.ThrowAsJavaScriptException();
    }
    return env.Undefined();
  }
  return Napi::Number::New(env, outcome.value);
}

}  // namespace

Napi::Object InitAddon(Napi::Env env, Napi::Object exports) {
  exports.Set("NetlinkSocket", NetlinkSocket::DefineClass(env));
  exports.Set("openInNetns", Napi::Function::New(env, OpenInNetns, "openInNetns"));
  nft::RegisterParse(env, exports);
  nft::RegisterBuild(env, exports);
  return exports;
}

}  // namespace routemark

static Napi::Object Init(Napi::Env env, Napi::Object exports) {
  return routemark::InitAddon(env, exports);
}

NODE_API_MODULE(routemark, Init)
