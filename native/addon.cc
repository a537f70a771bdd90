// The routemark addon: netlink sockets in any network namespace, files opened in a namespace
// (for /proc/sys/net), tun/tap devices (the kernel makes those through ioctls only), and
// libnftnl-based parsing of nf_tables messages. No policy lives here: no defaults, no retries,
// no validation beyond memory safety.
#include <fcntl.h>
#include <linux/if_tun.h>
#include <napi.h>
#include <net/if.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
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

// createTun(netnsPath: string | undefined, name: string, flags: number, owner: number,
//           group: number): string
// Creates a persistent tun or tap device: /dev/net/tun opened from inside the namespace (the
// device belongs to the namespace of whoever opens the file), TUNSETIFF with `flags` as given
// (TypeScript chooses them), TUNSETOWNER / TUNSETGROUP unless -1, then TUNSETPERSIST. Returns
// the name the kernel gave. Closing the descriptor before TUNSETPERSIST removes the device, so
// a failure leaves nothing behind.
Napi::Value CreateTun(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 5 || !info[1].IsString() || !info[2].IsNumber() || !info[3].IsNumber() || !info[4].IsNumber()) {
    Napi::TypeError::New(env, "createTun(netnsPath, name, flags, owner, group)").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  std::string netns_path;
  if (info[0].IsString()) netns_path = info[0].As<Napi::String>().Utf8Value();
  std::string name = info[1].As<Napi::String>().Utf8Value();
  if (name.size() >= IFNAMSIZ) {
    Napi::TypeError::New(env, "createTun: name too long").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  int flags = info[2].As<Napi::Number>().Int32Value();
  int64_t owner = info[3].As<Napi::Number>().Int64Value();
  int64_t group = info[4].As<Napi::Number>().Int64Value();
  char created[IFNAMSIZ] = {};
  NetnsOutcome outcome = RunInNetns(netns_path, [&](NetnsOutcome& out) {
    int fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC);
    if (fd < 0) {
      out.error = errno;
      out.syscall = "open";
      return;
    }
    struct ifreq request;
    memset(&request, 0, sizeof(request));
    memcpy(request.ifr_name, name.data(), name.size());
    request.ifr_flags = static_cast<short>(flags);
    const char* failed = nullptr;
    if (ioctl(fd, TUNSETIFF, &request) < 0) {
      failed = "ioctl(TUNSETIFF)";
    } else if (owner >= 0 && ioctl(fd, TUNSETOWNER, static_cast<unsigned long>(owner)) < 0) {
      failed = "ioctl(TUNSETOWNER)";
    } else if (group >= 0 && ioctl(fd, TUNSETGROUP, static_cast<unsigned long>(group)) < 0) {
      failed = "ioctl(TUNSETGROUP)";
    } else if (ioctl(fd, TUNSETPERSIST, 1UL) < 0) {
      failed = "ioctl(TUNSETPERSIST)";
    }
    if (failed != nullptr) {
      out.error = errno;
      out.syscall = failed;
    } else {
      memcpy(created, request.ifr_name, IFNAMSIZ - 1);
    }
    close(fd);
  });
  if (outcome.error != 0) {
    if (outcome.entering) {
      NetnsError(env, outcome.error, outcome.syscall, netns_path).ThrowAsJavaScriptException();
    } else {
      SystemError(env, outcome.error, outcome.syscall).ThrowAsJavaScriptException();
    }
    return env.Undefined();
  }
  return Napi::String::New(env, created);
}

// emptyBuffer(): a Buffer of no bytes, made as received data is (napi_create_buffer_copy). Node
// gives Buffers made in C++ a hidden class that V8 holds only through live Buffers; TypeScript
// keeps this one, so that code optimized for received data outlives the replies it read.
Napi::Value EmptyBuffer(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  napi_value buffer;
  void* data = nullptr;
  static const uint8_t kNothing = 0;
  NAPI_THROW_IF_FAILED(env, napi_create_buffer_copy(env, 0, &kNothing, &data, &buffer), env.Undefined());
  return Napi::Value(env, buffer);
}

}  // namespace

Napi::Object InitAddon(Napi::Env env, Napi::Object exports) {
  exports.Set("NetlinkSocket", NetlinkSocket::DefineClass(env));
  exports.Set("openInNetns", Napi::Function::New(env, OpenInNetns, "openInNetns"));
  exports.Set("createTun", Napi::Function::New(env, CreateTun, "createTun"));
  exports.Set("emptyBuffer", Napi::Function::New(env, EmptyBuffer, "emptyBuffer"));
  nft::RegisterParse(env, exports);
  nft::RegisterBuild(env, exports);
  return exports;
}

}  // namespace routemark

static Napi::Object Init(Napi::Env env, Napi::Object exports) {
  return routemark::InitAddon(env, exports);
}

NODE_API_MODULE(routemark, Init)
