// A netlink socket for JavaScript: created in any network namespace, sending whole batches with
// one sendto, and receiving on the libuv loop of the environment that made it (main thread or
// worker), handing JavaScript one Buffer per wake-up with every datagram that was waiting.
// Framing, sequence numbers, acks and errors live in TypeScript (src/netlink/).
#pragma once
#include <napi.h>
#include <uv.h>

#include <cstdint>
#include <vector>

struct mnl_socket;

namespace routemark {

class NetlinkSocket : public Napi::ObjectWrap<NetlinkSocket> {
 public:
  static Napi::Function DefineClass(Napi::Env env);

  // new NetlinkSocket(protocol: number, netnsPath?: string)
  explicit NetlinkSocket(const Napi::CallbackInfo& info);
  ~NetlinkSocket() override;

 private:
  Napi::Value Send(const Napi::CallbackInfo& info);
  Napi::Value Start(const Napi::CallbackInfo& info);
  Napi::Value Stop(const Napi::CallbackInfo& info);
  Napi::Value SetOption(const Napi::CallbackInfo& info);
  Napi::Value GetOption(const Napi::CallbackInfo& info);
  Napi::Value Ref(const Napi::CallbackInfo& info);
  Napi::Value Unref(const Napi::CallbackInfo& info);
  Napi::Value Close(const Napi::CallbackInfo& info);
  Napi::Value GetPortId(const Napi::CallbackInfo& info);
  Napi::Value GetFd(const Napi::CallbackInfo& info);
  Napi::Value IsClosed(const Napi::CallbackInfo& info);

  static void OnPoll(uv_poll_t* handle, int status, int events);
  static void OnEnvCleanup(void* arg);
  void ReadAvailable();
  void OnPollError();
  void StopPolling();
  // Calls the JavaScript callback with (data | null, errno). Returns false if the socket was
  // closed from inside the callback, so the caller must stop touching it.
  bool Deliver(const uint8_t* data, size_t length, int error);
  void CloseNow();

  Napi::Env env_;
  struct mnl_socket* socket_ = nullptr;
  int fd_ = -1;
  uint32_t port_id_ = 0;
  uv_poll_t* poll_ = nullptr;  // owned by libuv between uv_close and its callback
  bool polling_ = false;
  bool referenced_ = true;
  bool closed_ = false;
  bool cleanup_hook_added_ = false;
  bool self_referenced_ = false;
  Napi::FunctionReference callback_;
  std::unique_ptr<Napi::AsyncContext> async_context_;
  std::vector<uint8_t> arena_;
};

}  // namespace routemark
