#include "binding/event_watch.h"

#include <cerrno>

#include "binding/convert.h"
#include "binding/errors.h"
#include "core/errors.h"
#include "core/exec/parsers.h"

namespace netplumb::binding {

void EventWatch::define(Napi::Env env, Napi::Object exports) {
  exports.Set("EventWatch", DefineClass(env, "EventWatch", {InstanceMethod("close", &EventWatch::close)}));
}

EventWatch::EventWatch(const Napi::CallbackInfo& info) : Napi::ObjectWrap<EventWatch>(info) {
  Napi::Env env = info.Env();
  if (info.Length() < 3 || !info[0].IsNumber() || !info[1].IsNumber() || !info[2].IsFunction()) {
    Napi::TypeError::New(env, "EventWatch(fd, protocol, callback)").ThrowAsJavaScriptException();
    return;
  }
  socket_ = nl::Socket::adopt(info[0].As<Napi::Number>().Int32Value(), info[1].As<Napi::Number>().Int32Value());
  callback_ = Napi::Persistent(info[2].As<Napi::Function>());
  uv_loop_t* loop = nullptr;
  napi_get_uv_event_loop(env, &loop);
  poll_ = new uv_poll_t;
  poll_->data = this;
  if (uv_poll_init(loop, poll_, socket_->fd()) != 0 || uv_poll_start(poll_, UV_READABLE, on_readable) != 0) {
    delete poll_;
    poll_ = nullptr;
    Napi::Error::New(env, "cannot watch the event socket").ThrowAsJavaScriptException();
    return;
  }
  Ref();  // stays alive while watching, even if JS drops it
}

EventWatch::~EventWatch() { stop(); }

void EventWatch::on_readable(uv_poll_t* handle, int status, int) {
  auto* self = static_cast<EventWatch*>(handle->data);
  if (!self) return;
  // libuv stops the handle on POLLERR, which is how a netlink socket reports
  // ENOBUFS: read anyway (that yields the overrun and clears the error), then re-arm.
  self->drain();
  if (status < 0 && self->poll_) uv_poll_start(self->poll_, UV_READABLE, on_readable);
}

void EventWatch::drain() {
  Napi::Env env = Env();
  Napi::HandleScope scope(env);
  Array batch;
  try {
    // Read what is queued now, bounded so a storm cannot starve the loop.
    for (int i = 0; i < 64; i++) {
      bool more = socket_->read_events([&](const nlmsghdr* h) { batch.push_back(Parsers::parse(socket_->protocol(), h)); });
      if (!more) break;
    }
  } catch (const SystemError& e) {
    if (e.err != ENOBUFS) throw;
    netplumb::Value overrun;
    overrun.set("type", "overrun");
    batch.push_back(std::move(overrun));
  } catch (const std::exception&) {
    netplumb::Value broken;
    broken.set("type", "error");
    broken.set("message", "event socket failed");
    batch.push_back(std::move(broken));
  }
  if (batch.empty()) return;
  callback_.Call({to_js(env, netplumb::Value(std::move(batch)))});
}

void EventWatch::stop() {
  if (poll_) {
    poll_->data = nullptr;
    uv_poll_stop(poll_);
    uv_close(reinterpret_cast<uv_handle_t*>(poll_), [](uv_handle_t* h) { delete reinterpret_cast<uv_poll_t*>(h); });
    poll_ = nullptr;
  }
  socket_.reset();
}

Napi::Value EventWatch::close(const Napi::CallbackInfo& info) {
  if (poll_) {
    stop();
    callback_.Reset();
    Unref();
  }
  return info.Env().Undefined();
}

}  // namespace netplumb::binding
