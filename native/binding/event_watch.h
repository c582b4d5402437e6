// Watches an event socket from the JS thread with uv_poll: each readable
// wake-up decodes what is queued and hands a batch to the callback. A kernel
// drop (ENOBUFS) becomes an explicit {type: 'overrun'} entry.
#pragma once

#include <napi.h>
#include <uv.h>

#include <memory>

#include "core/netlink/socket.h"

namespace netplumb::binding {

class EventWatch : public Napi::ObjectWrap<EventWatch> {
 public:
  static void define(Napi::Env env, Napi::Object exports);
  explicit EventWatch(const Napi::CallbackInfo& info);  // (fd, protocol, callback)
  ~EventWatch() override;

 private:
  Napi::Value close(const Napi::CallbackInfo& info);
  static void on_readable(uv_poll_t* handle, int status, int events);
  void drain();
  void stop();

  std::unique_ptr<nl::Socket> socket_;
  uv_poll_t* poll_ = nullptr;
  Napi::FunctionReference callback_;
};

}  // namespace netplumb::binding
