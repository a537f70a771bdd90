// A netlink socket for JavaScript: created in any network namespace, sending whole batches with
// one sendto, and receiving on the libuv loop of the environment that made it (main thread or
// worker), handing JavaScript one Buffer per wake-up with every datagram that was waiting.
// Large batches can instead be queued to a sender thread of the socket's own: the kernel handles
// a netlink request inside sendmsg, on the sending thread, so queueing lets it work on one chunk
// while JavaScript encodes the next. Framing, sequence numbers, acks and errors live in
// TypeScript (src/netlink/).
#pragma once
#include <napi.h>
#include <sys/types.h>
#include <uv.h>

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <thread>
#include <utility>
#include <vector>

struct mnl_socket;

namespace routemark {

class NetlinkSocket : public Napi::ObjectWrap<NetlinkSocket> {
 public:
  static Napi::Function DefineClass(Napi::Env env);

  // new NetlinkSocket(protocol: number, netnsPath?: string, arenaBytes?: number)
  explicit NetlinkSocket(const Napi::CallbackInfo& info);
  ~NetlinkSocket() override;

 private:
  Napi::Value Send(const Napi::CallbackInfo& info);
  Napi::Value SendQueued(const Napi::CallbackInfo& info);
  Napi::Value OnSendFailure(const Napi::CallbackInfo& info);
  // stopSender(): { sentinelSeq: number, errno: number }[]. Stops the sender thread once the
  // sendmsg in progress is done and names the queued datagrams the kernel never received: errno
  // 0 for those still waiting in the queue, sendto's errno for those it refused. For a close
  // that must tell "not applied" from "may have been applied"; sendQueued throws from then on.
  Napi::Value StopSenderForClose(const Napi::CallbackInfo& info);
  Napi::Value Start(const Napi::CallbackInfo& info);
  Napi::Value Stop(const Napi::CallbackInfo& info);
  Napi::Value SetOption(const Napi::CallbackInfo& info);
  Napi::Value GetOption(const Napi::CallbackInfo& info);
  Napi::Value Ref(const Napi::CallbackInfo& info);
  Napi::Value Unref(const Napi::CallbackInfo& info);
  Napi::Value Close(const Napi::CallbackInfo& info);
  // readQueued(maxBytes): { data: Buffer | null, errno: number }. Reads, without waiting, what the
  // kernel has queued (until EAGAIN, an error, or about maxBytes), for a close that wants the
  // answers already given.
  Napi::Value ReadQueued(const Napi::CallbackInfo& info);
  Napi::Value GetPortId(const Napi::CallbackInfo& info);
  Napi::Value GetFd(const Napi::CallbackInfo& info);
  // receiveReserveBytes: the overflow reserve mapped behind the arena (0 if it was refused and
  // oversized datagrams are read apart); undefined until the arena is mapped.
  Napi::Value GetReceiveReserve(const Napi::CallbackInfo& info);
  Napi::Value IsClosed(const Napi::CallbackInfo& info);

  static void OnPoll(uv_poll_t* handle, int status, int events);
  static void OnEnvCleanup(void* arg);
  void ReadAvailable();
  // Maps the arena (nominal size plus the overflow reserve, or the nominal size alone where the
  // reserve is refused) if not yet; false with errno if not even the arena could be mapped.
  bool MapArena();
  // Without a reserve: the length of the next datagram (recv's result and errno, nothing read).
  ssize_t PeekLength();
  // Without a reserve: reads a datagram of `length` bytes, larger than the whole arena, into a
  // buffer of its own and delivers it. False if the socket must no longer be touched (closed
  // from the callback, or a receive error JavaScript was told of and that stops the reading).
  bool ReadApart(size_t length);
  // Gives back the reserve's pages that a datagram of more than the nominal size touched.
  void ReleaseOverflow(size_t used);
  void OnPollError();
  void StopPolling();
  // Calls the JavaScript callback with (data | null, errno). Returns false if the socket was
  // closed from inside the callback, so the caller must stop touching it.
  bool Deliver(const uint8_t* data, size_t length, int error);
  void CloseNow();

  // One datagram for the sender thread, kept alive by a reference until the main thread drops it.
  struct SendJob {
    napi_ref keep = nullptr;
    const uint8_t* data = nullptr;
    size_t length = 0;
    uint32_t sentinel_seq = 0;  // a NOOP with NLM_F_ACK and this seq follows the data
    int error = 0;              // set by the sender thread
    bool sentinel_failed = false;
  };
  void SenderLoop();
  // Main thread: blocks until the sender thread has sent everything queued (sends stay in order).
  void WaitForSender();
  // Main thread: releases finished jobs and reports failures to JavaScript. False if the socket
  // was closed from inside a callback.
  bool DrainSent();
  // Main thread: joins the sender thread (it finishes at most the sendmsg in progress) and
  // releases every job; returns the datagrams the kernel never received, as (sentinel seq,
  // errno) with errno 0 for a job still queued and sendto's errno for one it refused.
  std::vector<std::pair<uint32_t, int>> HaltSender();
  void StopSender();

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
  uint8_t* arena_ = nullptr;  // mmap'd: arena_size_ bytes, then the overflow reserve if any
  size_t arena_mapped_ = 0;
  size_t arena_size_;  // nominal size (the constructor's arenaBytes): reading stops near it
  size_t reserve_size_ = 0;  // mapped past arena_size_; 0 where the mapping was refused

  std::thread sender_;
  std::mutex sender_mutex_;
  std::condition_variable sender_wake_;  // the sender thread waits for jobs on it
  std::condition_variable sender_idle_;  // WaitForSender waits on it
  std::deque<std::unique_ptr<SendJob>> to_send_;
  std::deque<std::unique_ptr<SendJob>> sent_;
  bool sender_busy_ = false;
  bool sender_stop_ = false;
  uv_async_t* sent_signal_ = nullptr;  // owned by libuv between uv_close and its callback
  Napi::FunctionReference send_failure_callback_;
};

}  // namespace routemark
