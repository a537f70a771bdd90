#include "netlink_socket.h"

#include <libmnl/libmnl.h>
#include <linux/netlink.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <string>

#include "netns.h"
#include "system_error.h"

namespace routemark {

namespace {

// One wake-up reads into this arena and hands it to JavaScript in one call. Reading stops once
// less than kMinFree is left of the arena's nominal size (dump datagrams are at most 32 KiB unless
// one object needs more, so this is rarely near), but recv is always offered kOverflowReserve more
// than that: the mapping runs on past the nominal size, so a datagram larger than what is left,
// or than the whole arena, still arrives whole and is delivered with the rest. Without it, recv
// truncated such a datagram and the kernel discarded it (a lost dump message, a lost ack).
// The reserve is address space only: its pages are touched by oversized datagrams alone and given
// back after them. 4 MiB is the largest linear skb the kernel allocates (KMALLOC_MAX_SIZE with
// 4 KiB pages), and every netlink message the kernel builds is one.
// Where even address space is counted (vm.overcommit_memory=2 charges MAP_NORESERVE mappings to
// the commit limit; RLIMIT_AS charges every mapping), the reserve may be refused: the arena is
// then mapped alone, and each datagram's length is peeked before it is read (one more system
// call per datagram, in that case only), so that one which does not fit what is left waits for
// the next arena, and one larger than the whole arena is read into a buffer of its own size.
// The arena is kept small enough to stay in cache: with a 4 MiB one, every recv copied into cold
// memory and a 100k-flow dump cost half as much kernel time again as the C baseline's.
constexpr size_t kArenaSize = 1u << 20;
constexpr size_t kMinFree = 256u << 10;
constexpr size_t kOverflowReserve = 4u << 20;
constexpr size_t kMinArenaSize = 4096;
constexpr size_t kMaxArenaSize = 64u << 20;
// Bounds the time one wake-up may hold the loop; the poll is level-triggered, so what is left is
// read on the next turn of the loop.
constexpr int kMaxArenasPerWake = 16;

bool ReadUint8Array(const Napi::Value& value, const uint8_t** data, size_t* length) {
  if (!value.IsTypedArray()) return false;
  Napi::TypedArray array = value.As<Napi::TypedArray>();
  if (array.TypedArrayType() != napi_uint8_array) return false;
  Napi::Uint8Array bytes = array.As<Napi::Uint8Array>();
  *data = bytes.Data();
  *length = bytes.ByteLength();
  return true;
}

// The libuv loop of the environment (main thread or worker); throws and returns null if none.
uv_loop_t* LoopOf(Napi::Env env) {
  uv_loop_t* loop = nullptr;
  if (napi_get_uv_event_loop(env, &loop) != napi_ok || loop == nullptr) {
    Napi::Error::New(env, "no libuv loop for this environment").ThrowAsJavaScriptException();
    return nullptr;
  }
  return loop;
}

}  // namespace

Napi::Function NetlinkSocket::DefineClass(Napi::Env env) {
  return ObjectWrap<NetlinkSocket>::DefineClass(
      env, "NetlinkSocket",
      {
          InstanceMethod<&NetlinkSocket::Send>("send"),
          InstanceMethod<&NetlinkSocket::SendQueued>("sendQueued"),
          InstanceMethod<&NetlinkSocket::OnSendFailure>("onSendFailure"),
          InstanceMethod<&NetlinkSocket::StopSenderForClose>("stopSender"),
          InstanceMethod<&NetlinkSocket::Start>("start"),
          InstanceMethod<&NetlinkSocket::Stop>("stop"),
          InstanceMethod<&NetlinkSocket::SetOption>("setOption"),
          InstanceMethod<&NetlinkSocket::GetOption>("getOption"),
          InstanceMethod<&NetlinkSocket::Ref>("ref"),
          InstanceMethod<&NetlinkSocket::Unref>("unref"),
          InstanceMethod<&NetlinkSocket::Close>("close"),
          InstanceMethod<&NetlinkSocket::ReadQueued>("readQueued"),
          InstanceAccessor<&NetlinkSocket::GetPortId>("portId"),
          InstanceAccessor<&NetlinkSocket::GetFd>("fd"),
          InstanceAccessor<&NetlinkSocket::GetReceiveReserve>("receiveReserveBytes"),
          InstanceAccessor<&NetlinkSocket::IsClosed>("closed"),
      });
}

NetlinkSocket::NetlinkSocket(const Napi::CallbackInfo& info)
    : Napi::ObjectWrap<NetlinkSocket>(info), env_(info.Env()), arena_size_(kArenaSize) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsNumber()) {
    Napi::TypeError::New(env, "protocol must be a number").ThrowAsJavaScriptException();
    return;
  }
  int protocol = info[0].As<Napi::Number>().Int32Value();
  std::string netns_path;
  if (info.Length() >= 2 && !info[1].IsUndefined() && !info[1].IsNull()) {
    if (!info[1].IsString()) {
      Napi::TypeError::New(env, "netnsPath must be a string").ThrowAsJavaScriptException();
      return;
    }
    netns_path = info[1].As<Napi::String>().Utf8Value();
  }
  if (info.Length() >= 3 && !info[2].IsUndefined()) {
    double bytes = info[2].IsNumber() ? info[2].As<Napi::Number>().DoubleValue() : 0;
    if (!(bytes >= kMinArenaSize && bytes <= kMaxArenaSize)) {
      Napi::RangeError::New(env, "arenaBytes must be a number from 4096 to 64 MiB").ThrowAsJavaScriptException();
      return;
    }
    arena_size_ = static_cast<size_t>(bytes);
  }

  NetnsOutcome outcome = RunInNetns(netns_path, [protocol](NetnsOutcome& out) {
    int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC | SOCK_NONBLOCK, protocol);
    if (fd < 0) {
      out.error = errno;
      out.syscall = "socket";
      return;
    }
    out.value = fd;
  });
  if (outcome.error != 0) {
    (outcome.entering ? NetnsError(env, outcome.error, outcome.syscall, netns_path)
                      : SystemError(env, outcome.error, outcome.syscall))
        .ThrowAsJavaScriptException();
    return;
  }

  fd_ = outcome.value;
  socket_ = mnl_socket_fdopen(fd_);
  if (socket_ == nullptr) {
    int err = errno;
    close(fd_);
    fd_ = -1;
    SystemError(env, err, "getsockname").ThrowAsJavaScriptException();
    return;
  }
  if (mnl_socket_bind(socket_, 0, MNL_SOCKET_AUTOPID) < 0) {
    int err = errno;
    mnl_socket_close(socket_);
    socket_ = nullptr;
    fd_ = -1;
    SystemError(env, err, "bind").ThrowAsJavaScriptException();
    return;
  }
  port_id_ = mnl_socket_get_portid(socket_);

  // A worker thread that ends without closing its sockets must not leave a poll handle on a
  // loop that is going away.
  if (napi_add_env_cleanup_hook(env, OnEnvCleanup, this) == napi_ok) cleanup_hook_added_ = true;
}

NetlinkSocket::~NetlinkSocket() { CloseNow(); }

void NetlinkSocket::OnEnvCleanup(void* arg) {
  auto* self = static_cast<NetlinkSocket*>(arg);
  self->cleanup_hook_added_ = false;
  self->CloseNow();
}

void NetlinkSocket::CloseNow() {
  if (closed_) return;
  closed_ = true;
  if (cleanup_hook_added_) {
    napi_remove_env_cleanup_hook(env_, OnEnvCleanup, this);
    cleanup_hook_added_ = false;
  }
  if (poll_ != nullptr) {
    uv_poll_stop(poll_);
    uv_close(reinterpret_cast<uv_handle_t*>(poll_),
             [](uv_handle_t* handle) { delete reinterpret_cast<uv_poll_t*>(handle); });
    poll_ = nullptr;
  }
  polling_ = false;
  StopSender();
  if (socket_ != nullptr) {
    mnl_socket_close(socket_);  // closes fd_
    socket_ = nullptr;
    fd_ = -1;
  }
  callback_.Reset();
  send_failure_callback_.Reset();
  async_context_.reset();
  if (arena_ != nullptr) {
    munmap(arena_, arena_mapped_);
    arena_ = nullptr;
    arena_mapped_ = 0;
  }
}

bool NetlinkSocket::MapArena() {
  if (arena_ != nullptr) return true;
  // MAP_NORESERVE: the reserve past the nominal size is address space, not a commitment.
  size_t size = arena_size_ + kOverflowReserve;
  void* mapped = mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (mapped != MAP_FAILED) {
    arena_ = static_cast<uint8_t*>(mapped);
    arena_mapped_ = size;
    reserve_size_ = kOverflowReserve;
    return true;
  }
  // The reserve was refused (see kOverflowReserve): the socket works without it, reading
  // oversized datagrams apart. Only the arena itself is needed.
  mapped = mmap(nullptr, arena_size_, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (mapped == MAP_FAILED) return false;
  arena_ = static_cast<uint8_t*>(mapped);
  arena_mapped_ = arena_size_;
  reserve_size_ = 0;
  return true;
}

ssize_t NetlinkSocket::PeekLength() {
  ssize_t n;
  do {
    // MSG_TRUNC: the datagram's real length, though nothing is copied.
    n = recv(fd_, nullptr, 0, MSG_DONTWAIT | MSG_PEEK | MSG_TRUNC);
  } while (n < 0 && errno == EINTR);
  return n;
}

bool NetlinkSocket::ReadApart(size_t length) {
  // A datagram larger than the whole arena, without a reserve to take it: a buffer of its own.
  auto* buffer = static_cast<uint8_t*>(malloc(length));
  ssize_t n;
  do {
    n = recv(fd_, buffer, buffer != nullptr ? length : 0, MSG_DONTWAIT | MSG_TRUNC);
  } while (n < 0 && errno == EINTR);
  int error = 0;
  if (n < 0) {
    error = errno == EAGAIN || errno == EWOULDBLOCK ? 0 : errno;
  } else if (buffer == nullptr || static_cast<size_t>(n) > length) {
    // No memory for it (recv dropped it), or not the datagram peeked: lost, as with ENOBUFS.
    error = EMSGSIZE;
  }
  bool open = true;
  if (error == 0 && n > 0) open = Deliver(buffer, static_cast<size_t>(n), 0);
  free(buffer);
  if (!open) return false;
  if (error != 0) return Deliver(nullptr, 0, error) && (error == ENOBUFS || error == EMSGSIZE);
  return true;
}

void NetlinkSocket::ReleaseOverflow(size_t used) {
  if (used <= arena_size_) return;
  // An oversized datagram touched the reserve: give its pages back rather than keep them resident.
  size_t page = static_cast<size_t>(sysconf(_SC_PAGESIZE));
  size_t start = (arena_size_ + page - 1) / page * page;
  if (used > start) madvise(arena_ + start, used - start, MADV_DONTNEED);
}

Napi::Value NetlinkSocket::Send(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const uint8_t* data = nullptr;
  size_t length = 0;
  if (info.Length() < 1 || !ReadUint8Array(info[0], &data, &length)) {
    Napi::TypeError::New(env, "send expects a Uint8Array").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  if (closed_) {
    SystemError(env, EBADF, "sendto").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  // Whatever is queued for the sender thread was sent first: the kernel must see it first.
  WaitForSender();
  ssize_t sent;
  do {
    sent = mnl_socket_sendto(socket_, data, length);
  } while (sent < 0 && errno == EINTR);
  if (sent < 0) {
    SystemError(env, errno, "sendto").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  return Napi::Number::New(env, static_cast<double>(sent));
}

Napi::Value NetlinkSocket::SendQueued(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  auto job = std::make_unique<SendJob>();
  if (info.Length() < 2 || !ReadUint8Array(info[0], &job->data, &job->length) || !info[1].IsNumber()) {
    Napi::TypeError::New(env, "sendQueued expects (Uint8Array, sentinelSeq)").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  if (closed_ || sender_stop_) {
    // After stopSender, a job would wait for a thread that never comes back.
    SystemError(env, EBADF, "sendto").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  job->sentinel_seq = info[1].As<Napi::Number>().Uint32Value();
  if (sent_signal_ == nullptr) {
    uv_loop_t* loop = LoopOf(env);
    if (loop == nullptr) return env.Undefined();
    sent_signal_ = new uv_async_t;
    int rc = uv_async_init(loop, sent_signal_, [](uv_async_t* handle) {
      auto* self = static_cast<NetlinkSocket*>(handle->data);
      if (self == nullptr || self->closed_) return;
      napi_handle_scope scope;
      if (napi_open_handle_scope(self->env_, &scope) != napi_ok) return;
      self->DrainSent();
      napi_close_handle_scope(self->env_, scope);
    });
    if (rc != 0) {
      delete sent_signal_;
      sent_signal_ = nullptr;
      SystemError(env, -rc, "uv_async_init").ThrowAsJavaScriptException();
      return env.Undefined();
    }
    sent_signal_->data = this;
    // The poll handle keeps the loop alive while replies are awaited; this one never needs to.
    uv_unref(reinterpret_cast<uv_handle_t*>(sent_signal_));
  }
  if (napi_create_reference(env, info[0], 1, &job->keep) != napi_ok) {
    Napi::Error::New(env, "cannot keep the buffer alive").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  if (!sender_.joinable()) sender_ = std::thread([this] { SenderLoop(); });
  {
    std::lock_guard<std::mutex> lock(sender_mutex_);
    to_send_.push_back(std::move(job));
  }
  sender_wake_.notify_one();
  return env.Undefined();
}

Napi::Value NetlinkSocket::OnSendFailure(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsFunction()) {
    Napi::TypeError::New(env, "onSendFailure expects a callback").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  send_failure_callback_ = Napi::Persistent(info[0].As<Napi::Function>());
  return env.Undefined();
}

void NetlinkSocket::SenderLoop() {
  for (;;) {
    std::unique_ptr<SendJob> job;
    {
      std::unique_lock<std::mutex> lock(sender_mutex_);
      sender_wake_.wait(lock, [this] { return sender_stop_ || !to_send_.empty(); });
      if (sender_stop_) return;  // the main thread releases what is left
      job = std::move(to_send_.front());
      to_send_.pop_front();
      sender_busy_ = true;
    }
    ssize_t sent;
    do {
      sent = sendto(fd_, job->data, job->length, 0, nullptr, 0);
    } while (sent < 0 && errno == EINTR);
    if (sent < 0) {
      job->error = errno;  // and no sentinel: its ack would claim the data was answered
    } else {
      struct nlmsghdr sentinel = {};
      sentinel.nlmsg_len = NLMSG_HDRLEN;
      sentinel.nlmsg_type = NLMSG_NOOP;
      sentinel.nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK;
      sentinel.nlmsg_seq = job->sentinel_seq;
      do {
        sent = sendto(fd_, &sentinel, sizeof(sentinel), 0, nullptr, 0);
      } while (sent < 0 && errno == EINTR);
      if (sent < 0) {
        job->error = errno;
        job->sentinel_failed = true;
      }
    }
    bool idle;
    {
      std::lock_guard<std::mutex> lock(sender_mutex_);
      sent_.push_back(std::move(job));
      sender_busy_ = false;
      idle = to_send_.empty();
    }
    if (idle) sender_idle_.notify_all();
    uv_async_send(sent_signal_);
  }
}

void NetlinkSocket::WaitForSender() {
  if (!sender_.joinable()) return;
  std::unique_lock<std::mutex> lock(sender_mutex_);
  sender_idle_.wait(lock, [this] { return to_send_.empty() && !sender_busy_; });
}

bool NetlinkSocket::DrainSent() {
  // Every wake-up of the poll calls this: sockets that never queued a send skip the lock.
  if (!sender_.joinable()) return !closed_;
  std::deque<std::unique_ptr<SendJob>> done;
  {
    std::lock_guard<std::mutex> lock(sender_mutex_);
    done.swap(sent_);
  }
  for (auto& job : done) {
    napi_delete_reference(env_, job->keep);
    job->keep = nullptr;
  }
  for (auto& job : done) {
    if (job->error == 0) continue;
    if (closed_ || send_failure_callback_.IsEmpty() || !async_context_) return false;
    napi_env env = env_;
    napi_value argv[3];
    napi_value receiver;
    napi_value function;
    napi_value result;
    bool ok = napi_create_uint32(env, job->sentinel_seq, &argv[0]) == napi_ok &&
              napi_create_int32(env, job->error, &argv[1]) == napi_ok &&
              napi_get_boolean(env, job->sentinel_failed, &argv[2]) == napi_ok &&
              napi_get_global(env, &receiver) == napi_ok &&
              napi_get_reference_value(env, send_failure_callback_, &function) == napi_ok &&
              function != nullptr &&
              napi_make_callback(env, *async_context_, receiver, function, 3, argv, &result) == napi_ok;
    if (!ok) {
      bool pending = false;
      if (napi_is_exception_pending(env, &pending) == napi_ok && pending) {
        napi_value ignored;
        napi_get_and_clear_last_exception(env, &ignored);
      }
      return false;
    }
  }
  return !closed_;
}

std::vector<std::pair<uint32_t, int>> NetlinkSocket::HaltSender() {
  {
    std::lock_guard<std::mutex> lock(sender_mutex_);
    sender_stop_ = true;
  }
  if (sender_.joinable()) {
    sender_wake_.notify_all();
    sender_.join();  // at most one sendmsg (and its sentinel) to finish
  }
  // The thread is gone: the queues are this thread's alone, and what they say is final.
  std::vector<std::pair<uint32_t, int>> never_received;
  for (auto& job : sent_) {
    // A refused sentinel follows data the kernel did receive.
    if (job->error != 0 && !job->sentinel_failed) never_received.emplace_back(job->sentinel_seq, job->error);
  }
  for (auto& job : to_send_) never_received.emplace_back(job->sentinel_seq, 0);
  for (auto* queue : {&to_send_, &sent_}) {
    for (auto& job : *queue) {
      if (job->keep != nullptr) napi_delete_reference(env_, job->keep);
    }
    queue->clear();
  }
  return never_received;
}

void NetlinkSocket::StopSender() {
  HaltSender();
  if (sent_signal_ != nullptr) {
    sent_signal_->data = nullptr;
    uv_close(reinterpret_cast<uv_handle_t*>(sent_signal_),
             [](uv_handle_t* handle) { delete reinterpret_cast<uv_async_t*>(handle); });
    sent_signal_ = nullptr;
  }
}

Napi::Value NetlinkSocket::StopSenderForClose(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::vector<std::pair<uint32_t, int>> never_received = HaltSender();
  Napi::Array result = Napi::Array::New(env, never_received.size());
  for (size_t i = 0; i < never_received.size(); ++i) {
    Napi::Object entry = Napi::Object::New(env);
    entry.Set("sentinelSeq", Napi::Number::New(env, never_received[i].first));
    entry.Set("errno", Napi::Number::New(env, never_received[i].second));
    result.Set(static_cast<uint32_t>(i), entry);
  }
  return result;
}

Napi::Value NetlinkSocket::Start(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsFunction()) {
    Napi::TypeError::New(env, "start expects a callback").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  if (closed_) {
    SystemError(env, EBADF, "uv_poll_start").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  callback_ = Napi::Persistent(info[0].As<Napi::Function>());
  if (!async_context_) async_context_ = std::make_unique<Napi::AsyncContext>(env, "routemark:netlink");
  if (!MapArena()) {
    SystemError(env, errno, "mmap").ThrowAsJavaScriptException();
    return env.Undefined();
  }

  if (poll_ == nullptr) {
    uv_loop_t* loop = LoopOf(env);
    if (loop == nullptr) return env.Undefined();
    poll_ = new uv_poll_t;
    int rc = uv_poll_init(loop, poll_, fd_);
    if (rc != 0) {
      delete poll_;
      poll_ = nullptr;
      SystemError(env, -rc, "uv_poll_init").ThrowAsJavaScriptException();
      return env.Undefined();
    }
    poll_->data = this;
    if (!referenced_) uv_unref(reinterpret_cast<uv_handle_t*>(poll_));
  }
  int rc = uv_poll_start(poll_, UV_READABLE, OnPoll);
  if (rc != 0) {
    SystemError(env, -rc, "uv_poll_start").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  polling_ = true;
  // While polling, JavaScript may drop every reference to this object; the callbacks still need it.
  if (!self_referenced_) {
    Napi::ObjectWrap<NetlinkSocket>::Ref();
    self_referenced_ = true;
  }
  return env.Undefined();
}

Napi::Value NetlinkSocket::Stop(const Napi::CallbackInfo& info) {
  StopPolling();
  if (self_referenced_) {
    Napi::ObjectWrap<NetlinkSocket>::Unref();
    self_referenced_ = false;
  }
  return info.Env().Undefined();
}

void NetlinkSocket::OnPoll(uv_poll_t* handle, int status, int events) {
  auto* self = static_cast<NetlinkSocket*>(handle->data);
  if (self == nullptr || self->closed_) return;
  // Raw N-API from here on: node-addon-api's helpers abort the process when a call fails, and
  // calls do fail while a worker thread is being terminated.
  napi_handle_scope scope;
  if (napi_open_handle_scope(self->env_, &scope) != napi_ok) {
    self->StopPolling();
    return;
  }
  // A queued send that failed is reported before any reply that came after it: a later flight's
  // ack must never be read while an earlier flight's failure is still unknown.
  if (!self->DrainSent() && self->closed_) {
    napi_close_handle_scope(self->env_, scope);
    return;
  }
  if (status < 0) {
    self->OnPollError();
  } else {
    self->ReadAvailable();
  }
  napi_close_handle_scope(self->env_, scope);
}

void NetlinkSocket::OnPollError() {
  // When the kernel drops messages for this socket (a full receive queue) it sets sk_err, which
  // makes the socket report EPOLLERR; libuv then stops the poll handle and says UV_EBADF. The
  // socket is fine: fetch (and clear) the real error, tell JavaScript, read what is queued, and
  // poll again.
  int error = 0;
  socklen_t length = sizeof(error);
  if (getsockopt(fd_, SOL_SOCKET, SO_ERROR, &error, &length) < 0) error = errno;
  if (error != 0 && !Deliver(nullptr, 0, error)) return;
  if (error != 0 && error != ENOBUFS) return;  // something else: JavaScript decides (close)
  ReadAvailable();
  if (closed_ || poll_ == nullptr || !polling_) return;
  int rc = uv_poll_start(poll_, UV_READABLE, OnPoll);
  if (rc != 0) Deliver(nullptr, 0, -rc);
}

void NetlinkSocket::StopPolling() {
  if (poll_ != nullptr && polling_) uv_poll_stop(poll_);
  polling_ = false;
}

void NetlinkSocket::ReadAvailable() {
  size_t min_free = std::min(kMinFree, arena_size_ / 4);
  for (int round = 0; round < kMaxArenasPerWake; ++round) {
    size_t used = 0;
    int pending_error = 0;
    bool drained = false;
    size_t apart = 0;  // without a reserve: the length of a datagram larger than the whole arena
    // The loop stops by the nominal size; recv may write past it, into the reserve.
    while (used <= arena_size_ && arena_size_ - used >= min_free) {
      size_t room = arena_mapped_ - used;
      ssize_t n = 0;
      if (reserve_size_ == 0) {
        n = PeekLength();
        if (n >= 0 && static_cast<size_t>(n) > room) {
          // Too large for what is left: hand over what is held; it starts the next arena, or,
          // larger than all of it, is read apart.
          if (used == 0) apart = static_cast<size_t>(n);
          break;
        }
      }
      if (reserve_size_ != 0 || n >= 0) n = recv(fd_, arena_ + used, room, MSG_DONTWAIT | MSG_TRUNC);
      if (n < 0) {
        if (errno == EINTR) continue;
        if (errno == EAGAIN || errno == EWOULDBLOCK) {
          drained = true;
          break;
        }
        // ENOBUFS: the kernel dropped messages for us. The socket stays usable; JavaScript
        // decides what that means (a resync for event sockets, lost acks for requests).
        pending_error = errno;
        break;
      }
      if (static_cast<size_t>(n) > room) {
        // Larger than the kernel builds (see kOverflowReserve): only another process can send
        // one. recv dropped it; JavaScript treats that like lost messages.
        pending_error = EMSGSIZE;
        break;
      }
      used += static_cast<size_t>(n);
    }
    if (used > 0) {
      bool open = Deliver(arena_, used, 0);
      if (!open) return;  // closed from the callback: the arena is unmapped
      ReleaseOverflow(used);
    }
    if (apart > 0 && !ReadApart(apart)) return;
    if (pending_error != 0) {
      if (!Deliver(nullptr, 0, pending_error)) return;
      if (pending_error != ENOBUFS && pending_error != EMSGSIZE) return;
      continue;
    }
    if (drained || !polling_) return;
  }
}

Napi::Value NetlinkSocket::ReadQueued(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsNumber()) {
    Napi::TypeError::New(env, "readQueued expects maxBytes").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  double limit = info[0].As<Napi::Number>().DoubleValue();
  size_t max_bytes = limit > 0 ? static_cast<size_t>(std::min(limit, 1e12)) : 0;
  Napi::Object result = Napi::Object::New(env);
  if (closed_ || !MapArena()) {
    result.Set("data", env.Null());
    result.Set("errno", Napi::Number::New(env, closed_ ? EBADF : errno));
    return result;
  }
  // Each datagram lands at the arena's start and is copied out: this runs once, at close.
  std::vector<uint8_t> queued;
  size_t largest = 0;
  int error = 0;
  while (queued.size() < max_bytes) {
    if (reserve_size_ == 0) {
      ssize_t next = PeekLength();
      if (next < 0) {
        if (errno != EAGAIN && errno != EWOULDBLOCK) error = errno;
        break;
      }
      if (static_cast<size_t>(next) > arena_mapped_) {
        // Larger than the arena, and no reserve behind it: straight into the result.
        size_t start = queued.size();
        queued.resize(start + static_cast<size_t>(next));
        ssize_t n;
        do {
          n = recv(fd_, queued.data() + start, static_cast<size_t>(next), MSG_DONTWAIT | MSG_TRUNC);
        } while (n < 0 && errno == EINTR);
        if (n < 0 || n != next) {
          queued.resize(start);
          error = n < 0 ? errno : EMSGSIZE;
          break;
        }
        continue;
      }
    }
    ssize_t n = recv(fd_, arena_, arena_mapped_, MSG_DONTWAIT | MSG_TRUNC);
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno != EAGAIN && errno != EWOULDBLOCK) error = errno;
      break;
    }
    if (static_cast<size_t>(n) > arena_mapped_) {
      error = EMSGSIZE;
      break;
    }
    largest = std::max(largest, static_cast<size_t>(n));
    queued.insert(queued.end(), arena_, arena_ + n);
  }
  ReleaseOverflow(largest);
  if (queued.empty()) {
    result.Set("data", env.Null());
  } else {
    result.Set("data", Napi::Buffer<uint8_t>::Copy(env, queued.data(), queued.size()));
  }
  result.Set("errno", Napi::Number::New(env, error));
  return result;
}

bool NetlinkSocket::Deliver(const uint8_t* data, size_t length, int error) {
  if (closed_ || callback_.IsEmpty()) return false;
  napi_env env = env_;
  napi_value argv[2];
  napi_value receiver;
  napi_value function;
  napi_value result;
  void* copy = nullptr;
  bool ok = (data != nullptr ? napi_create_buffer_copy(env, length, data, &copy, &argv[0])
                             : napi_get_null(env, &argv[0])) == napi_ok &&
            napi_create_int32(env, error, &argv[1]) == napi_ok &&
            napi_get_global(env, &receiver) == napi_ok &&
            napi_get_reference_value(env, callback_, &function) == napi_ok && function != nullptr &&
            napi_make_callback(env, *async_context_, receiver, function, 2, argv, &result) == napi_ok;
  if (!ok) {
    // The callback (src/netlink/connection.ts) never throws, so a failure here means this
    // environment can no longer run JavaScript (a worker being terminated): stop quietly.
    bool pending = false;
    if (napi_is_exception_pending(env, &pending) == napi_ok && pending) {
      napi_value ignored;
      napi_get_and_clear_last_exception(env, &ignored);
    }
    StopPolling();
    return false;
  }
  return !closed_;
}

Napi::Value NetlinkSocket::SetOption(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 3 || !info[0].IsNumber() || !info[1].IsNumber() || !info[2].IsNumber()) {
    Napi::TypeError::New(env, "setOption(level, name, value) takes numbers")
        .ThrowAsJavaScriptException();
    return env.Undefined();
  }
  int level = info[0].As<Napi::Number>().Int32Value();
  int name = info[1].As<Napi::Number>().Int32Value();
  int value = info[2].As<Napi::Number>().Int32Value();
  if (closed_ || setsockopt(fd_, level, name, &value, sizeof(value)) < 0) {
    SystemError(env, closed_ ? EBADF : errno, "setsockopt").ThrowAsJavaScriptException();
  }
  return env.Undefined();
}

Napi::Value NetlinkSocket::GetOption(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 2 || !info[0].IsNumber() || !info[1].IsNumber()) {
    Napi::TypeError::New(env, "getOption(level, name) takes numbers").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  int level = info[0].As<Napi::Number>().Int32Value();
  int name = info[1].As<Napi::Number>().Int32Value();
  int value = 0;
  socklen_t length = sizeof(value);
  if (closed_ || getsockopt(fd_, level, name, &value, &length) < 0) {
    SystemError(env, closed_ ? EBADF : errno, "getsockopt").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  return Napi::Number::New(env, value);
}

Napi::Value NetlinkSocket::Ref(const Napi::CallbackInfo& info) {
  referenced_ = true;
  if (poll_ != nullptr) uv_ref(reinterpret_cast<uv_handle_t*>(poll_));
  return info.Env().Undefined();
}

Napi::Value NetlinkSocket::Unref(const Napi::CallbackInfo& info) {
  referenced_ = false;
  if (poll_ != nullptr) uv_unref(reinterpret_cast<uv_handle_t*>(poll_));
  return info.Env().Undefined();
}

Napi::Value NetlinkSocket::Close(const Napi::CallbackInfo& info) {
  CloseNow();
  if (self_referenced_) {
    Napi::ObjectWrap<NetlinkSocket>::Unref();
    self_referenced_ = false;
  }
  return info.Env().Undefined();
}

Napi::Value NetlinkSocket::GetPortId(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), port_id_);
}

Napi::Value NetlinkSocket::GetFd(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), fd_);
}

Napi::Value NetlinkSocket::GetReceiveReserve(const Napi::CallbackInfo& info) {
  if (arena_ == nullptr) return info.Env().Undefined();
  return Napi::Number::New(info.Env(), static_cast<double>(reserve_size_));
}

Napi::Value NetlinkSocket::IsClosed(const Napi::CallbackInfo& info) {
  return Napi::Boolean::New(info.Env(), closed_);
}

}  // namespace routemark
